-- Webhooks: URLs that receive a campaign's events as JSON, signed with the webhook's secret.
CREATE TABLE webhooks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,   -- kept as given: signing needs the secret itself
    events      JSONB NOT NULL,  -- array of event names
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhooks_by_campaign ON webhooks (campaign_id, id);

-- The outbox: one row per event and webhook, written with the event and posted by a background
-- worker, so that a slow or failing receiver never holds up a request and nothing is lost at a
-- restart. next_attempt_at is NULL once delivered or given up.
CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    last_status     BIGINT,
    last_error      TEXT,
    delivered_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);

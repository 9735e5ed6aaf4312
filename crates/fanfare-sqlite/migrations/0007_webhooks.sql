-- Webhooks: URLs that receive a campaign's events as JSON, signed with the webhook's secret.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,   -- kept as given: signing needs the secret itself
    events      TEXT NOT NULL,   -- JSON array of event names
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX webhooks_by_campaign ON webhooks (campaign_id, id);

-- The outbox: one row per event and webhook, written with the event and posted by a background
-- worker, so that a slow or failing receiver never holds up a request and nothing is lost at a
-- restart. next_attempt_at is NULL once delivered or given up.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);

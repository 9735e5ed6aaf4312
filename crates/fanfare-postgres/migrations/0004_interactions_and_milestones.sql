-- Appropriation: what fans do with the message. A reaction (on the campaign, or on a creation
-- when target_id is set), a comment, or a creation (text and/or a link to an image or video).
CREATE TABLE interactions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    fan_id       BIGINT NOT NULL REFERENCES fans (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('reaction', 'comment', 'creation')),
    reaction     TEXT,            -- like, love, wow… for a reaction
    target_id    BIGINT REFERENCES interactions (id) ON DELETE CASCADE,
    body         TEXT,
    url          TEXT,
    display_name TEXT,            -- the name a creator chose to publish under
    status       TEXT NOT NULL CHECK (status IN ('published', 'pending', 'approved', 'rejected')),
    reason       TEXT,            -- why an automatic rule decided, or the moderator's note
    created_at   TIMESTAMPTZ NOT NULL,
    moderated_at TIMESTAMPTZ
);
-- A fan reacts once with each reaction to the campaign (target 0) or to one creation.
CREATE UNIQUE INDEX interactions_one_reaction
    ON interactions (fan_id, reaction, COALESCE(target_id, 0)) WHERE kind = 'reaction';
CREATE INDEX interactions_by_campaign ON interactions (campaign_id, kind, status, id);
CREATE INDEX interactions_by_fan ON interactions (fan_id);

-- Rewards given when a fan's referred fans reach a threshold: the primary key makes each one
-- given exactly once, however many joins race.
CREATE TABLE milestones (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    fan_id      BIGINT NOT NULL REFERENCES fans (id) ON DELETE CASCADE,
    threshold   BIGINT NOT NULL,
    reward      TEXT NOT NULL,
    reached_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (fan_id, threshold)
);

-- Moderation rules, levels and milestones of the campaign (JSON; see EngagementSettings).
ALTER TABLE campaigns ADD COLUMN engagement JSONB NOT NULL DEFAULT '{}';

-- Fans. Personal data (ref_code, token_hash, name, email, mailbox, visitor_hash) is set to NULL
-- when a fan leaves or is erased; the rest is anonymous and keeps counts and cascades right.
CREATE TABLE fans (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    ref_code     TEXT UNIQUE,
    token_hash   TEXT UNIQUE,     -- SHA-256 of the member token; the token itself is never stored
    name         TEXT,
    email        TEXT,            -- trimmed, lowercased: one fan per address and campaign
    mailbox      TEXT,            -- after provider rules (Gmail dots, +tags), for duplicate checks
    referrer_id  BIGINT REFERENCES fans (id) ON DELETE SET NULL,
    root_id      BIGINT,          -- NULL for a fan who came on their own (the root is itself)
    depth        INTEGER NOT NULL,
    visitor_hash TEXT,            -- that day's salted hash; unlinkable once the salt is deleted
    flags        JSONB NOT NULL,  -- array of fraud reasons; [] for an honest fan
    joined_at    TIMESTAMPTZ NOT NULL,
    erased_at    TIMESTAMPTZ
);

CREATE UNIQUE INDEX fans_one_per_email ON fans (campaign_id, email);
CREATE INDEX fans_by_mailbox ON fans (campaign_id, mailbox);
CREATE INDEX fans_by_visitor ON fans (campaign_id, visitor_hash, joined_at);
CREATE INDEX fans_by_campaign ON fans (campaign_id, id);
CREATE INDEX fans_by_referrer ON fans (referrer_id);

-- One row per campaign, day, event kind and visitor: the day's unique visitors are a count.
CREATE TABLE visitor_days (
    campaign_id  BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    day          DATE NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('view', 'join_started')),
    visitor_hash TEXT NOT NULL,
    PRIMARY KEY (campaign_id, day, kind, visitor_hash)
);

-- The day's salt of the visitor hash, shared by every node; older salts are deleted.
CREATE TABLE visitor_salts (
    day  DATE PRIMARY KEY,
    salt BYTEA NOT NULL
);

-- Which ways of sharing a campaign's share bars offer (JSON array of channel names).
ALTER TABLE campaigns ADD COLUMN channels TEXT NOT NULL DEFAULT '["facebook","x","linkedin","pinterest","reddit","whatsapp","telegram","email","bluesky","threads","mastodon","hackernews","xing","vk","tumblr","copy","native","qr"]';

-- The channel whose link brought the fan (the landing URL's utm_source, passed on by the widget).
ALTER TABLE fans ADD COLUMN channel TEXT;

-- A link: a random key owned by a fan (their personal link), by the campaign (its anonymous
-- link: no fan, no target) or made by an admin with its own target. Its short codes are the key
-- plus one letter per channel.
CREATE TABLE links (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT NOT NULL UNIQUE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    fan_id      INTEGER REFERENCES fans (id) ON DELETE CASCADE,
    target_url  TEXT,             -- NULL: the campaign's landing URL, read at click time
    disabled_at TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX links_by_fan ON links (fan_id);
CREATE INDEX links_by_campaign ON links (campaign_id, id);
CREATE UNIQUE INDEX links_one_anonymous ON links (campaign_id) WHERE fan_id IS NULL AND target_url IS NULL;

-- Counters per link and channel, updated in the same transaction as the raw clicks. Unique
-- clicks are not a counter: they are the rows of link_daily_visitors.
CREATE TABLE link_stats (
    link_id       INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    clicks        INTEGER NOT NULL DEFAULT 0, -- humans only
    bot_clicks    INTEGER NOT NULL DEFAULT 0, -- crawlers and link-preview bots
    qr_clicks     INTEGER NOT NULL DEFAULT 0, -- human clicks that came from the QR code
    shares        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, channel)
) STRICT;

-- Every click, kept raw so that it can be re-sliced later. No secondary index: each one would
-- be paid on every click; reports read link_stats, and re-slicing scans by id (time order).
CREATE TABLE clicks (
    id            INTEGER PRIMARY KEY, -- no AUTOINCREMENT: it would write sqlite_sequence on every click
    link_id       INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    at            TEXT NOT NULL,
    visitor_hash  TEXT NOT NULL,
    agent         TEXT NOT NULL CHECK (agent IN ('human', 'bot', 'preview')),
    qr            INTEGER NOT NULL,
    referrer_host TEXT,
    device        TEXT NOT NULL
) STRICT;

CREATE TABLE link_daily_visitors (
    link_id      INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    day          TEXT NOT NULL,
    visitor_hash TEXT NOT NULL,
    PRIMARY KEY (link_id, channel, day, visitor_hash)
) STRICT, WITHOUT ROWID;

CREATE TABLE shares (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    at      TEXT NOT NULL
) STRICT;
CREATE INDEX shares_by_link ON shares (link_id, at);

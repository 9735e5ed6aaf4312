-- The tables every click writes, rebuilt so that a click costs SQLite less (measured with
-- `bench/redirect.sh`, see BENCHMARKS.md):
-- - A CHECK written `x IN ('a', 'b', 'c')` builds a temporary table on every row written (SQLite
--   codes a list of three or more constants as an ephemeral index); the same rule written with
--   `=` and `OR` is a few comparisons.
-- - link_stats had a rowid beside its (link, channel) key, so each counter update wrote two
--   B-trees (the table and the key's index); WITHOUT ROWID keeps one.
-- SQLite cannot alter a constraint in place: each table is copied into its new form, then
-- replaces the old one (nothing references these tables, and they have no other index).

CREATE TABLE clicks_new (
    id            INTEGER PRIMARY KEY, -- no AUTOINCREMENT: it would write sqlite_sequence on every click
    link_id       INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    at            TEXT NOT NULL,
    visitor_hash  TEXT NOT NULL,
    agent         TEXT NOT NULL CHECK (agent = 'human' OR agent = 'bot' OR agent = 'preview'),
    qr            INTEGER NOT NULL,
    referrer_host TEXT,
    device        TEXT NOT NULL
) STRICT;
INSERT INTO clicks_new (id, link_id, channel, at, visitor_hash, agent, qr, referrer_host, device)
SELECT id, link_id, channel, at, visitor_hash, agent, qr, referrer_host, device FROM clicks;
DROP TABLE clicks;
ALTER TABLE clicks_new RENAME TO clicks;

CREATE TABLE link_stats_new (
    link_id       INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    clicks        INTEGER NOT NULL DEFAULT 0, -- humans only
    bot_clicks    INTEGER NOT NULL DEFAULT 0, -- crawlers and link-preview bots
    qr_clicks     INTEGER NOT NULL DEFAULT 0, -- human clicks that came from the QR code
    shares        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, channel)
) STRICT, WITHOUT ROWID;
INSERT INTO link_stats_new (link_id, channel, clicks, bot_clicks, qr_clicks, shares)
SELECT link_id, channel, clicks, bot_clicks, qr_clicks, shares FROM link_stats;
DROP TABLE link_stats;
ALTER TABLE link_stats_new RENAME TO link_stats;

CREATE TABLE campaign_hour_dimensions_new (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    hour        INTEGER NOT NULL,
    dimension   TEXT NOT NULL CHECK (dimension = 'referrer' OR dimension = 'device'),
    value       TEXT NOT NULL,
    clicks      INTEGER NOT NULL DEFAULT 0,
    fans        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour, dimension, value)
) STRICT, WITHOUT ROWID;
INSERT INTO campaign_hour_dimensions_new (campaign_id, hour, dimension, value, clicks, fans)
SELECT campaign_id, hour, dimension, value, clicks, fans FROM campaign_hour_dimensions;
DROP TABLE campaign_hour_dimensions;
ALTER TABLE campaign_hour_dimensions_new RENAME TO campaign_hour_dimensions;

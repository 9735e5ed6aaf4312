-- STRICT tables make SQLite refuse a value of the wrong type instead of storing it anyway.
-- AUTOINCREMENT keeps ids from being reused after a delete, so list cursors stay valid.

CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    slug            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('brand', 'message', 'product')),
    title           TEXT,
    description     TEXT,
    landing_url     TEXT NOT NULL,
    allowed_domains TEXT NOT NULL, -- JSON array of host names
    image_url       TEXT,
    hashtags        TEXT NOT NULL, -- JSON array of tags without '#'
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE, -- SHA-256 of the key, hex; the key itself is never stored
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

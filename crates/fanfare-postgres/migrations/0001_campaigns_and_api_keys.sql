CREATE TABLE campaigns (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('brand', 'message', 'product')),
    title           TEXT,
    description     TEXT,
    landing_url     TEXT NOT NULL,
    allowed_domains JSONB NOT NULL, -- array of host names
    image_url       TEXT,
    hashtags        JSONB NOT NULL, -- array of tags without '#'
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE, -- SHA-256 of the key, hex; the key itself is never stored
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

-- The dashboard's login: one administrator password (an argon2id PHC string, never the
-- password) and server-side sessions kept by the SHA-256 of their token, so that a copy of the
-- database holds no usable cookie.

CREATE TABLE admin_password (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    hash       TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

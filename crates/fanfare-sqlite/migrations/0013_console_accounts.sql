-- Console accounts: one per person, with a role, in place of the one shared password.
-- A user invited but not yet arrived has no password, only the SHA-256 of a one-time invitation
-- token. Sessions now belong to a user and end with them.

CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    role              TEXT NOT NULL CHECK (role IN ('admin', 'moderator', 'viewer')),
    password_hash     TEXT,
    invite_hash       TEXT UNIQUE,
    invite_expires_at TEXT,
    created_at        TEXT NOT NULL
) STRICT;

-- The shared password, if one was set, becomes an administrator who logs in as admin@localhost.
INSERT INTO users (email, role, password_hash, created_at)
SELECT 'admin@localhost', 'admin', hash, updated_at FROM admin_password;

DROP TABLE admin_password;

-- Sessions opened with the shared password end: they belonged to no one.
DROP TABLE admin_sessions;

CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

CREATE INDEX admin_sessions_by_user ON admin_sessions (user_id);

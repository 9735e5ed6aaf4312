//! The webhook queries (see `fanfare_store::webhook_queries`).

use fanfare_store::sqlite_placeholders;

fanfare_store::webhook_queries!(
    sqlx::SqlitePool,
    sqlite_placeholders,
    "EXISTS (SELECT 1 FROM json_each(events) WHERE value = $2)"
);

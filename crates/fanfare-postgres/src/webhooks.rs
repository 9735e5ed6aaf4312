//! The webhook queries (see `fanfare_store::webhook_queries`).

use fanfare_store::postgres_placeholders;

fanfare_store::webhook_queries!(sqlx::PgPool, postgres_placeholders, "events ? $2");

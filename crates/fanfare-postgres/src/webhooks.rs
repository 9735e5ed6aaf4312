//! The webhook queries (see `fanfare_store::webhook_queries`).

/// PostgreSQL reads the shared SQL's `$N` placeholders as they are.
fn placeholders(sql: &str) -> String {
    sql.to_owned()
}

fanfare_store::webhook_queries!(sqlx::PgPool, placeholders, "events ? $2");

//! The report counters each write updates (see `fanfare_store::rollup_writes`).

use sqlx::PgConnection;

/// PostgreSQL reads the shared SQL's `$N` placeholders as they are.
fn placeholders(sql: &str) -> String {
    sql.to_owned()
}

fanfare_store::rollup_writes!(PgConnection, placeholders);

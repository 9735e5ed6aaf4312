//! The report counters each write updates (see `fanfare_store::rollup_writes`).

use fanfare_store::postgres_placeholders;
use sqlx::PgConnection;

fanfare_store::rollup_writes!(PgConnection, postgres_placeholders);

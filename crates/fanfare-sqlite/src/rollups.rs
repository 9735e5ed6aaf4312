//! The report counters each write updates (see `fanfare_store::rollup_writes`).

use fanfare_store::sqlite_placeholders;
use sqlx::SqliteConnection;

fanfare_store::rollup_writes!(SqliteConnection, sqlite_placeholders);

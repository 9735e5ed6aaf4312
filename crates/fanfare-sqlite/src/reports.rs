//! The report reads (see `fanfare_store::report_queries`).

use fanfare_store::sqlite_placeholders;

fanfare_store::report_queries!(sqlx::SqlitePool, sqlite_placeholders);

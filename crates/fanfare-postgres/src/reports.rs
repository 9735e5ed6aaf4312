//! The report reads (see `fanfare_store::report_queries`).

use fanfare_store::postgres_placeholders;

fanfare_store::report_queries!(sqlx::PgPool, postgres_placeholders);

//! The scale-out backend: any number of stateless `fanfare serve` processes share one PostgreSQL.
//! Migrations run on start; sqlx takes an advisory lock around them, so servers starting
//! together do not race.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_core::link::Agent;
use fanfare_store::sql::queries::rollup_sql;
use fanfare_store::sql::{SqlBackend, db_error};
use fanfare_store::{NewClick, RollupDeltas, StoreError, click_deltas, redact_url};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A batch of clicks in one statement: the raw clicks, the day's visitors (unique clicks are
/// their count), the per-link counters and the campaign's hourly rollups, each from arrays.
/// Statements in `WITH` run to completion even though nothing reads them; the counters'
/// keys are unique within a batch, as `ON CONFLICT DO UPDATE` needs.
static RECORD_CLICKS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH raw AS (\
            INSERT INTO clicks (link_id, channel, at, visitor_hash, agent, qr, referrer_host, device) \
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], \
                $5::text[], $6::boolean[], $7::text[], $8::text[])), \
        visitors AS (\
            INSERT INTO link_daily_visitors (link_id, channel, day, visitor_hash) \
            SELECT * FROM unnest($9::bigint[], $10::text[], $11::date[], $12::text[]) \
            ON CONFLICT DO NOTHING), \
        per_link AS ({}), \
        hours AS ({}), \
        dimensions AS ({}) \
        SELECT 1",
        rollup_sql::link_clicks(
            "SELECT * FROM unnest($13::bigint[], $14::text[], $15::bigint[], $16::bigint[], $17::bigint[])"
        ),
        rollup_sql::clicks(
            "SELECT * FROM unnest($18::bigint[], $19::bigint[], $20::text[], $21::bigint[], $22::bigint[])"
        ),
        rollup_sql::click_dimensions(
            "SELECT * FROM unnest($23::bigint[], $24::bigint[], $25::text[], $26::text[], $27::bigint[])"
        ),
    )
});

/// One array parameter: a field of every row.
fn column<'a, T, U>(rows: &'a [T], field: impl FnMut(&'a T) -> U) -> Vec<U> {
    rows.iter().map(field).collect()
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host/db`) and migrates the database. Fails
    /// within a few seconds, with the URL's password hidden, if the server cannot be reached.
    pub async fn open(url: &str) -> Result<Self, String> {
        let shown = redact_url(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| format!("invalid PostgreSQL URL {shown}: {e}"))?
            .application_name("fanfare");
        // One direct connection first: a pool would only report "timed out", where this says
        // "connection refused" or "password authentication failed".
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                format!(
                    "cannot connect to PostgreSQL at {shown}: no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| format!("cannot connect to PostgreSQL at {shown}: {e}"))?;
        probe.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(CONNECT_TIMEOUT)
            // No ping before each use (a round trip per query); a connection that died is
            // reported by the query itself, and the pool replaces it.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot connect to PostgreSQL at {shown}: {e}"))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| format!("cannot migrate the PostgreSQL database at {shown}: {e}"))?;
        tracing::debug!(url = %shown, "PostgreSQL database ready");
        Ok(Self { pool })
    }
}

#[async_trait]
impl SqlBackend for PostgresStore {
    const NAME: &'static str = "postgres";

    async fn write_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError> {
        // One statement, hence one round trip and one implicit transaction, whatever the batch
        // size: each table's rows travel as arrays, so the text never changes and is prepared
        // once per connection.
        let humans: Vec<&NewClick> = clicks.iter().filter(|c| c.agent == Agent::Human).collect();
        let deltas = click_deltas(clicks);
        let rollup = RollupDeltas::of_clicks(clicks);
        let (deltas, hours, dimensions) = (&deltas, &rollup.clicks, &rollup.dimensions);
        sqlx::query(&RECORD_CLICKS)
            .bind(column(clicks, |c| c.link_id))
            .bind(column(clicks, |c| c.channel.as_str()))
            .bind(column(clicks, |c| c.at))
            .bind(column(clicks, |c| c.visitor_hash.as_str()))
            .bind(column(clicks, |c| c.agent.as_str()))
            .bind(column(clicks, |c| c.qr))
            .bind(column(clicks, |c| c.referrer_host.as_deref()))
            .bind(column(clicks, |c| c.device.as_str()))
            .bind(column(&humans, |c| c.link_id))
            .bind(column(&humans, |c| c.channel.as_str()))
            .bind(column(&humans, |c| c.at.date_naive()))
            .bind(column(&humans, |c| c.visitor_hash.as_str()))
            .bind(column(deltas, |(link, _, _)| *link))
            .bind(column(deltas, |(_, channel, _)| channel.as_str()))
            .bind(column(deltas, |(_, _, [human, _, _])| *human))
            .bind(column(deltas, |(_, _, [_, bots, _])| *bots))
            .bind(column(deltas, |(_, _, [_, _, qr])| *qr))
            .bind(column(hours, |((campaign, _, _), _)| *campaign))
            .bind(column(hours, |((_, hour, _), _)| *hour))
            .bind(column(hours, |((_, _, channel), _)| *channel))
            .bind(column(hours, |(_, [human, _])| *human))
            .bind(column(hours, |(_, [_, bots])| *bots))
            .bind(column(dimensions, |((campaign, _, _, _), _)| *campaign))
            .bind(column(dimensions, |((_, hour, _, _), _)| *hour))
            .bind(column(dimensions, |((_, _, dimension, _), _)| *dimension))
            .bind(column(dimensions, |((_, _, _, value), _)| *value))
            .bind(column(dimensions, |(_, human)| *human))
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(db_error)
    }
}

fanfare_store::sql_store! {
    store: PostgresStore,
    pool: sqlx::PgPool,
    connection: sqlx::PgConnection,
    subscribed: "events ? $2",
    epoch_of_joined_at: "floor(extract(epoch FROM joined_at))::bigint",
    ids_of_json_array: "SELECT jsonb_array_elements_text($1)::bigint",
}

/// A throwaway database per test, so tests never see each other's rows.
#[cfg(feature = "test-support")]
pub mod testing {
    use rand::Rng;
    use sqlx::Connection;

    /// The server tests and the conformance suite read the PostgreSQL to use from here.
    pub const TEST_URL_VAR: &str = "FANFARE_TEST_POSTGRES_URL";

    #[derive(Debug)]
    pub struct TempDatabase {
        admin_url: String,
        name: String,
        /// The URL of the new, empty database.
        pub url: String,
    }

    impl TempDatabase {
        /// A new empty database on the server of `FANFARE_TEST_POSTGRES_URL`; `None` if that
        /// variable is not set. Panics if it is set but unusable: a test must not pass silently.
        pub async fn create() -> Option<Self> {
            let admin_url = std::env::var(TEST_URL_VAR).ok()?;
            let name = format!("fanfare_test_{:016x}", rand::rng().random::<u64>());
            let mut admin = sqlx::PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("{TEST_URL_VAR} is set but unusable: {e}"));
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
            let mut url = url::Url::parse(&admin_url)
                .unwrap_or_else(|e| panic!("{TEST_URL_VAR} is not a URL: {e}"));
            url.set_path(&name);
            Some(Self {
                admin_url,
                name,
                url: url.to_string(),
            })
        }

        /// Drops the database, closing any connection still open on it.
        pub async fn drop_database(&self) {
            let mut admin = sqlx::PgConnection::connect(&self.admin_url)
                .await
                .unwrap_or_else(|e| panic!("{TEST_URL_VAR} became unusable: {e}"));
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot drop the test database {}: {e}", self.name));
        }
    }
}

//! The click writer: a SQLite connection of its own, called directly on the thread that commits
//! (the click pipeline's, or a blocking task for `record_clicks`). Going through sqlx would hand
//! every batch to the driver's worker thread and back, and re-parse the SQL of each batch size;
//! here each statement is prepared once and a batch is a handful of row inserts in one
//! transaction. It leaves checkpoints to their own thread (see `checkpoint`).

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use chrono::SecondsFormat;
use fanfare_core::link::Agent;
use fanfare_store::{
    BlockingClickWriter, NewClick, RollupDeltas, StoreError, click_deltas, rollup_sql,
    sqlite_placeholders,
};
use rusqlite::{Connection, TransactionBehavior, params};

const INSERT_CLICK: &str = "INSERT INTO clicks \
    (link_id, channel, at, visitor_hash, agent, qr, referrer_host, device) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Unique clicks are the count of these rows: one per visitor, link, channel and day.
const INSERT_VISITOR: &str = "INSERT INTO link_daily_visitors (link_id, channel, day, visitor_hash) \
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";

#[derive(Debug)]
pub struct SqliteClickWriter {
    /// `None` once the store is closed: clicks are then refused, as the pool's queries are.
    connection: Mutex<Option<Connection>>,
    /// The shared counter upserts, one row each, in SQLite's placeholders.
    add_link_stats: String,
    add_hour: String,
    add_dimension: String,
}

impl SqliteClickWriter {
    /// Opens the writer's connection on an existing, migrated database file, with the settings
    /// of the pool's connections.
    pub fn open(path: &Path) -> Result<Self, String> {
        let connection = Connection::open(path)
            .map_err(|e| format!("cannot open the SQLite database {path:?} for clicks: {e}"))?;
        connection
            .busy_timeout(Duration::from_secs(5))
            .and_then(|()| {
                connection.execute_batch(
                    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA secure_delete = ON; PRAGMA cache_size = -16384; \
                     PRAGMA wal_autocheckpoint = 0;",
                )
            })
            .map_err(|e| format!("cannot set up the click writer's connection: {e}"))?;
        let one_row = "VALUES ($1, $2, $3, $4, $5)";
        Ok(Self {
            connection: Mutex::new(Some(connection)),
            add_link_stats: sqlite_placeholders(&rollup_sql::link_clicks(one_row)),
            add_hour: sqlite_placeholders(&rollup_sql::clicks(one_row)),
            add_dimension: sqlite_placeholders(&rollup_sql::click_dimensions(one_row)),
        })
    }

    /// Closes the connection once the batch being written (if any) is committed.
    pub fn close(&self) {
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    fn write(&self, connection: &mut Connection, clicks: &[NewClick]) -> rusqlite::Result<()> {
        // IMMEDIATE: take the write lock now (waiting out another writer under the busy
        // timeout) rather than fail half-way when a read turns into a write.
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert_click = tx.prepare_cached(INSERT_CLICK)?;
            let mut insert_visitor = tx.prepare_cached(INSERT_VISITOR)?;
            for click in clicks {
                // The text form sqlx gives a `DateTime<Utc>`, which every reader parses and
                // every range query compares.
                let at = click.at.to_rfc3339_opts(SecondsFormat::AutoSi, false);
                insert_click.execute(params![
                    click.link_id,
                    click.channel.as_str(),
                    at,
                    click.visitor_hash,
                    click.agent.as_str(),
                    click.qr,
                    click.referrer_host,
                    click.device.as_str(),
                ])?;
                if click.agent == Agent::Human {
                    // The day is the date part of the same text: formatting it a second time
                    // (chrono's `%F`) showed in the writer's profile.
                    let day = at.split_once('T').map_or(at.as_str(), |(day, _)| day);
                    insert_visitor.execute(params![
                        click.link_id,
                        click.channel.as_str(),
                        day,
                        click.visitor_hash,
                    ])?;
                }
            }
            let mut add_link_stats = tx.prepare_cached(&self.add_link_stats)?;
            for (link_id, channel, [human, bots, qr]) in click_deltas(clicks) {
                add_link_stats.execute(params![link_id, channel.as_str(), human, bots, qr])?;
            }
            let rollup = RollupDeltas::of_clicks(clicks);
            let mut add_hour = tx.prepare_cached(&self.add_hour)?;
            for ((campaign_id, hour, channel), [human, bots]) in &rollup.clicks {
                add_hour.execute(params![campaign_id, hour, channel, human, bots])?;
            }
            let mut add_dimension = tx.prepare_cached(&self.add_dimension)?;
            for ((campaign_id, hour, dimension, value), human) in &rollup.dimensions {
                add_dimension.execute(params![campaign_id, hour, dimension, value, human])?;
            }
        }
        // Dropping an uncommitted transaction (any `?` above) rolls it back.
        tx.commit()
    }
}

impl BlockingClickWriter for SqliteClickWriter {
    fn write_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError> {
        if clicks.is_empty() {
            return Ok(());
        }
        // A poisoned lock only means an earlier batch panicked; its transaction was rolled
        // back when the connection's statement state unwound, so the connection is usable.
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(connection) = connection.as_mut() else {
            return Err(StoreError::Unavailable("the database is closed".into()));
        };
        self.write(connection, clicks).map_err(store_error)
    }
}

fn store_error(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(error.to_string())
        }
        _ => StoreError::Database(error.to_string()),
    }
}

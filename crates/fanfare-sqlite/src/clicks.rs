//! The click writer: a SQLite connection of its own, called directly on the thread that commits
//! (a worker of the runtime through `try_write_clicks`, which never waits for a lock, or a
//! blocking task). Going through sqlx would hand every batch to the driver's worker thread and
//! back, and re-parse the SQL of each batch size; here each statement is prepared once and a
//! batch is a handful of row inserts in one transaction. It leaves checkpoints to their own
//! thread (see `checkpoint`).
//!
//! Each batch commits its raw click rows and unique visitors before any of its redirects is
//! answered. Its counters (per link, per hour, per dimension) are summed in memory and written
//! for many batches at once: with the first batch [`COUNTERS_EVERY`] after the last write, or
//! once [`MAX_PENDING_LINKS`] link rows wait, or when a read or a stop asks. A popular link's
//! counter row is then written once a second instead of once per batch. Every read of those
//! counters first writes what is in memory ([`SqliteClickWriter::write_counters`]), and
//! `click_counters.through_id` says which clicks the stored counters hold, so the clicks a
//! crash left uncounted are counted from their rows at the next start.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, TryLockError};
use std::time::{Duration, Instant};

use chrono::SecondsFormat;
use fanfare_core::link::{Agent, Channel};
use fanfare_store::sql::queries::rollup_sql;
use fanfare_store::{
    BlockingClickWriter, ChannelKey, NewClick, RollupDeltas, StoreError, click_deltas,
};
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

/// The shared SQL's `$N` placeholders as `?N`: rusqlite binds by position, and SQLite numbers
/// `$N` parameters in order of first appearance, not by `N`.
fn numbered_placeholders(sql: &str) -> String {
    sql.replace('$', "?")
}

/// Ids are given by the writer, not by SQLite: SQLite would reuse the ids of the newest rows
/// once they are deleted (a campaign's deletion), and a reused id at or below
/// `click_counters.through_id` would never be counted after a crash.
const INSERT_CLICK: &str = "INSERT INTO clicks \
    (id, link_id, channel, at, visitor_hash, agent, qr, referrer_host, device) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// Unique clicks are the count of these rows: one per visitor, link, channel and day.
const INSERT_VISITOR: &str = "INSERT INTO link_daily_visitors (link_id, channel, day, visitor_hash) \
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";

const SET_COUNTED_THROUGH: &str = "UPDATE click_counters SET through_id = ?1";

/// How long a commit waits for another connection's write lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long counters may stay in memory: the work left to a start after a crash.
const COUNTERS_EVERY: Duration = Duration::from_secs(1);
/// The most (link, channel) counter rows kept in memory before they are written.
const MAX_PENDING_LINKS: usize = 1024;

/// Counters of committed clicks not yet written, summed per row.
#[derive(Debug, Default)]
struct PendingCounters {
    /// (link, channel) → [human clicks, bot clicks, QR clicks]
    links: HashMap<(i64, Channel), [i64; 3]>,
    /// (campaign, hour, channel) → [human clicks, bot clicks]
    hours: HashMap<ChannelKey, [i64; 2]>,
    /// (campaign, hour, dimension) → value → human clicks
    dimensions: HashMap<(i64, i64, &'static str), HashMap<String, i64>>,
}

impl PendingCounters {
    fn is_empty(&self) -> bool {
        self.links.is_empty() && self.hours.is_empty() && self.dimensions.is_empty()
    }

    /// Adds a batch's counters.
    fn add(&mut self, clicks: &[NewClick]) {
        for (link, channel, counts) in click_deltas(clicks) {
            let sums = self.links.entry((link, channel)).or_default();
            sums.iter_mut().zip(counts).for_each(|(sum, n)| *sum += n);
        }
        let rollup = RollupDeltas::of_clicks(clicks);
        for (key, counts) in rollup.clicks {
            let sums = self.hours.entry(key).or_default();
            sums.iter_mut().zip(counts).for_each(|(sum, n)| *sum += n);
        }
        for ((campaign, hour, dimension, value), n) in rollup.dimensions {
            let values = self
                .dimensions
                .entry((campaign, hour, dimension))
                .or_default();
            // Only a value not seen yet is copied.
            match values.get_mut(value) {
                Some(sum) => *sum += n,
                None => {
                    values.insert(value.to_owned(), n);
                }
            }
        }
    }
}

/// The writer's connection and what it keeps between batches.
#[derive(Debug)]
struct Writer {
    connection: Connection,
    /// The counters of the committed clicks up to `next_id - 1` not yet written.
    pending: PendingCounters,
    /// When the counters in memory were last written.
    written_at: Instant,
    next_id: i64,
}

#[derive(Debug)]
pub struct SqliteClickWriter {
    /// `None` once the store is closed: clicks are then refused, as the pool's queries are.
    state: Mutex<Option<Writer>>,
    /// The shared counter upserts, one row each, in SQLite's placeholders. Each adds only while
    /// its link or campaign still exists: counters can be written after a campaign's deletion.
    add_link_stats: String,
    add_hour: String,
    add_dimension: String,
}

impl SqliteClickWriter {
    /// Opens the writer's connection on an existing, migrated database file, with the settings
    /// of the pool's connections, and counts the clicks a crash left uncounted.
    pub fn open(path: &Path) -> Result<Self, String> {
        let mut connection = Connection::open(path)
            .map_err(|e| format!("cannot open the SQLite database {path:?} for clicks: {e}"))?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| {
                connection.execute_batch(
                    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA secure_delete = ON; PRAGMA cache_size = -2048; \
                     PRAGMA wal_autocheckpoint = 0;",
                )
            })
            .map_err(|e| format!("cannot set up the click writer's connection: {e}"))?;
        let last_id = count_uncounted_clicks(&mut connection)
            .map_err(|e| format!("cannot count the clicks stored before a crash: {e}"))?;
        let if_link = "SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM links WHERE id = $1)";
        let if_campaign =
            "SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = $1)";
        Ok(Self {
            state: Mutex::new(Some(Writer {
                connection,
                pending: PendingCounters::default(),
                written_at: Instant::now(),
                next_id: last_id + 1,
            })),
            add_link_stats: numbered_placeholders(&rollup_sql::link_clicks(if_link)),
            add_hour: numbered_placeholders(&rollup_sql::clicks(if_campaign)),
            add_dimension: numbered_placeholders(&rollup_sql::click_dimensions(if_campaign)),
        })
    }

    /// Writes the counters held in memory, then closes the connection once the batch being
    /// written (if any) is committed.
    pub fn close(&self) {
        let mut state = self.lock();
        if let Some(writer) = state.as_mut()
            && let Err(e) = self.write_pending(writer)
        {
            tracing::warn!(error = %e, "click counters not written at close; the next start counts them");
        }
        state.take();
    }

    /// Writes the counters held in memory, so that a read sees every committed click. Waits
    /// for a batch being written.
    pub fn write_counters(&self) -> Result<(), StoreError> {
        let mut state = self.lock();
        let Some(writer) = state.as_mut() else {
            return Err(closed());
        };
        self.write_pending(writer).map_err(store_error)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Writer>> {
        // A poisoned lock only means an earlier batch panicked; its transaction was rolled
        // back when the connection's statement state unwound, so the connection is usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write_pending(&self, writer: &mut Writer) -> rusqlite::Result<()> {
        if writer.pending.is_empty() {
            return Ok(());
        }
        let tx = writer
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        self.add_counters(&tx, &writer.pending)?;
        count_through(&tx, writer.next_id - 1)?;
        tx.commit()?;
        writer.pending = PendingCounters::default();
        writer.written_at = Instant::now();
        Ok(())
    }

    /// Adds `counters` to the stored counters.
    fn add_counters(
        &self,
        tx: &Transaction<'_>,
        counters: &PendingCounters,
    ) -> rusqlite::Result<()> {
        let mut add_link_stats = tx.prepare_cached(&self.add_link_stats)?;
        for ((link_id, channel), [human, bots, qr]) in &counters.links {
            add_link_stats.execute(params![link_id, channel.as_str(), human, bots, qr])?;
        }
        let mut add_hour = tx.prepare_cached(&self.add_hour)?;
        for ((campaign_id, hour, channel), [human, bots]) in &counters.hours {
            add_hour.execute(params![campaign_id, hour, channel, human, bots])?;
        }
        let mut add_dimension = tx.prepare_cached(&self.add_dimension)?;
        for ((campaign_id, hour, dimension), values) in &counters.dimensions {
            for (value, human) in values {
                add_dimension.execute(params![campaign_id, hour, dimension, value, human])?;
            }
        }
        Ok(())
    }

    fn write(&self, writer: &mut Writer, clicks: &[NewClick]) -> rusqlite::Result<()> {
        let last_id = writer.next_id + i64::try_from(clicks.len()).unwrap_or(i64::MAX) - 1;
        // IMMEDIATE: take the write lock now (waiting out another writer under the busy
        // timeout) rather than fail half-way when a read turns into a write.
        let tx = writer
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert_click = tx.prepare_cached(INSERT_CLICK)?;
            let mut insert_visitor = tx.prepare_cached(INSERT_VISITOR)?;
            for (id, click) in (writer.next_id..).zip(clicks) {
                // The text form sqlx gives a `DateTime<Utc>`, which every reader parses and
                // every range query compares.
                let at = click.at.to_rfc3339_opts(SecondsFormat::AutoSi, false);
                insert_click.execute(params![
                    id,
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
        }
        // The batch's counters join those in memory only once it is committed; when they are
        // due, those in memory and the batch's are written with it.
        let due = writer.pending.links.len() >= MAX_PENDING_LINKS
            || writer.written_at.elapsed() >= COUNTERS_EVERY;
        if due {
            let mut batch = PendingCounters::default();
            batch.add(clicks);
            // On an error the transaction rolls back and the counters in memory stay as they
            // were, without this batch's.
            self.add_counters(&tx, &writer.pending)?;
            self.add_counters(&tx, &batch)?;
            count_through(&tx, last_id)?;
            tx.commit()?;
            writer.pending = PendingCounters::default();
            writer.written_at = Instant::now();
        } else {
            tx.commit()?;
            writer.pending.add(clicks);
        }
        writer.next_id = last_id + 1;
        Ok(())
    }
}

impl BlockingClickWriter for SqliteClickWriter {
    fn write_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError> {
        if clicks.is_empty() {
            return Ok(());
        }
        let mut state = self.lock();
        let Some(writer) = state.as_mut() else {
            return Err(closed());
        };
        self.write(writer, clicks).map_err(store_error)
    }

    fn try_write_clicks(&self, clicks: &[NewClick]) -> Result<bool, StoreError> {
        if clicks.is_empty() {
            return Ok(true);
        }
        let mut state = match self.state.try_lock() {
            Ok(state) => state,
            // Counters being written for a read, or the store closing.
            Err(TryLockError::WouldBlock) => return Ok(false),
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        };
        let Some(writer) = state.as_mut() else {
            return Err(closed());
        };
        // No busy handler: another connection's write transaction or a RESTART checkpoint
        // answers SQLITE_BUSY at once instead of being waited for.
        writer
            .connection
            .busy_timeout(Duration::ZERO)
            .map_err(store_error)?;
        let outcome = self.write(writer, clicks);
        if let Err(e) = writer.connection.busy_timeout(BUSY_TIMEOUT) {
            // The batch's outcome stands; later commits would fail at once on a lock instead
            // of waiting for it.
            tracing::warn!(error = %e, "cannot restore the click writer's busy timeout");
        }
        match outcome {
            Ok(()) => Ok(true),
            // Rolled back: nothing of the batch is stored, and the writer's ids and counters
            // in memory are as they were.
            Err(e) if is_busy(&e) => Ok(false),
            Err(e) => Err(store_error(e)),
        }
    }
}

fn closed() -> StoreError {
    StoreError::Unavailable("the database is closed".into())
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Records that the stored counters hold every click up to `last_id`.
fn count_through(tx: &Transaction<'_>, last_id: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(SET_COUNTED_THROUGH)?.execute([last_id])?;
    Ok(())
}

/// Counts the clicks after `click_counters.through_id` (those a crash left uncounted) from
/// their rows, the way the writer counts a batch; returns the id of the last click.
fn count_uncounted_clicks(connection: &mut Connection) -> rusqlite::Result<i64> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (through, last): (i64, i64) = tx.query_row(
        "SELECT through_id, MAX(through_id, COALESCE((SELECT MAX(id) FROM clicks), 0)) \
         FROM click_counters",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    if last > through {
        let hour = "CAST(strftime('%s', c.at) AS INTEGER) / 3600";
        let uncounted = "FROM clicks c JOIN links l ON l.id = c.link_id WHERE c.id > $1";
        for statement in [
            rollup_sql::link_clicks(&format!(
                "SELECT c.link_id, c.channel, SUM(c.agent = 'human'), SUM(c.agent <> 'human'), \
                 SUM(c.agent = 'human' AND c.qr) {uncounted} GROUP BY 1, 2"
            )),
            rollup_sql::clicks(&format!(
                "SELECT l.campaign_id, {hour}, c.channel, SUM(c.agent = 'human'), \
                 SUM(c.agent <> 'human') {uncounted} GROUP BY 1, 2, 3"
            )),
            rollup_sql::click_dimensions(&format!(
                "SELECT l.campaign_id, {hour}, 'device', c.device, COUNT(*) {uncounted} \
                 AND c.agent = 'human' GROUP BY 1, 2, 4"
            )),
            rollup_sql::click_dimensions(&format!(
                "SELECT l.campaign_id, {hour}, 'referrer', c.referrer_host, COUNT(*) {uncounted} \
                 AND c.agent = 'human' AND c.referrer_host IS NOT NULL GROUP BY 1, 2, 4"
            )),
        ] {
            tx.execute(&numbered_placeholders(&statement), [through])?;
        }
        count_through(&tx, last)?;
        tracing::info!(
            clicks_after = through,
            through = last,
            "counted the clicks stored before an unclean stop"
        );
    }
    tx.commit()?;
    Ok(last)
}

fn store_error(error: rusqlite::Error) -> StoreError {
    if is_busy(&error) {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Database(error.to_string())
    }
}

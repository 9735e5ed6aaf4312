//! The embedded default backend: one SQLite file, created and migrated on first start, in WAL
//! mode so that readers never wait for the writer, with `synchronous=NORMAL` (in WAL mode a commit
//! survives a process crash; only an OS crash or power cut can lose the last transactions).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fanfare_store::sql::SqlBackend;
use fanfare_store::{BlockingClickWriter, NewClick, StoreError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::checkpoint::Checkpointer;
use crate::clicks::SqliteClickWriter;

mod checkpoint;
mod clicks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    clicks: Arc<SqliteClickWriter>,
    checkpointer: Arc<Checkpointer>,
}

impl SqliteStore {
    /// Copies the write-ahead log into the database file and empties it. SQLite answers "busy"
    /// at once, without waiting, while another checkpoint runs (the checkpoint thread's, every
    /// 100 ms), so a busy answer is retried for up to half a second.
    async fn truncate_wal(&self) {
        for _ in 0..50 {
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await
            {
                Ok((0, _, _)) => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(e) => {
                    tracing::warn!(error = %e, "checkpoint after an erasure failed");
                    return;
                }
            }
        }
        tracing::warn!("checkpoint after an erasure stayed busy; the next one copies the log");
    }

    /// Writes the click counters the click writer holds in memory: every read of counters
    /// (link stats, hourly counters, dimensions) calls this first.
    async fn write_click_counters(&self) -> Result<(), StoreError> {
        let clicks = Arc::clone(&self.clicks);
        // Waits for a batch in progress: not on the async runtime's threads.
        tokio::task::spawn_blocking(move || clicks.write_counters())
            .await
            .map_err(|e| StoreError::Database(format!("the click writer stopped: {e}")))?
    }

    /// Opens (creating if needed) and migrates the database at `url` (`sqlite://fanfare.db`,
    /// `sqlite:///var/lib/fanfare/fanfare.db`).
    pub async fn open(url: &str) -> Result<Self, String> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| format!("invalid SQLite URL {url:?}: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Deleted or overwritten content is zeroed instead of left in free space, so an
            // erased fan's name cannot be read back from the file.
            .pragma("secure_delete", "ON")
            // SQLite's default page cache (2 MiB a connection), on purpose: in WAL mode a
            // connection drops its whole cache at its next read once another connection has
            // written, which under steady writes is every read. A larger cache holds no more
            // hits, only more memory filled and freed again (16 MiB on each of nine connections
            // swung the server's memory by ±13 % in the soak).
            .pragma("cache_size", "-2048")
            .busy_timeout(Duration::from_secs(5));
        let file = options.get_filename().to_owned();
        let path = file.display().to_string();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            // A file cannot go away under an open connection: a ping before each use would
            // only add a round trip to every query (and to every batch of clicks).
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| format!("cannot open the SQLite database {path:?}: {e}"))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| format!("cannot migrate the SQLite database {path:?}: {e}"))?;
        let clicks = Arc::new(SqliteClickWriter::open(&file)?);
        let checkpointer = Arc::new(Checkpointer::start(&file)?);
        tracing::debug!(%path, "SQLite database ready");
        Ok(Self {
            pool,
            clicks,
            checkpointer,
        })
    }
}

#[async_trait]
impl SqlBackend for SqliteStore {
    const NAME: &'static str = "sqlite";

    async fn write_clicks(&self, clicks: &[NewClick]) -> Result<(), StoreError> {
        let writer = Arc::clone(&self.clicks);
        let clicks = clicks.to_vec();
        tokio::task::spawn_blocking(move || writer.write_clicks(&clicks))
            .await
            .map_err(|e| StoreError::Database(format!("the click writer stopped: {e}")))?
    }

    fn blocking_click_writer(&self) -> Option<Arc<dyn BlockingClickWriter>> {
        Some(Arc::clone(&self.clicks) as Arc<dyn BlockingClickWriter>)
    }

    /// Every read of click counters (link stats, hourly counters, dimensions) first writes the
    /// ones the click writer holds in memory.
    async fn before_counter_reads(&self) -> Result<(), StoreError> {
        self.write_click_counters().await
    }

    /// The write-ahead log still holds the page as it was before the erasure; copy the log into
    /// the file and empty it. Best effort: a reader still on an older snapshot can keep a frame
    /// alive until the next checkpoint.
    async fn after_erasure(&self) {
        self.truncate_wal().await;
    }

    async fn close_writers(&self) {
        let clicks = Arc::clone(&self.clicks);
        // Waits for a batch in progress: not on the async runtime's threads.
        let _ = tokio::task::spawn_blocking(move || clicks.close()).await;
        self.checkpointer.close();
    }
}

fanfare_store::sql_store! {
    store: SqliteStore,
    pool: sqlx::SqlitePool,
    connection: sqlx::SqliteConnection,
    subscribed: "EXISTS (SELECT 1 FROM json_each(events) WHERE value = $2)",
    epoch_of_joined_at: "CAST(strftime('%s', joined_at) AS INTEGER)",
    ids_of_json_array: "SELECT value FROM json_each($1)",
}

//! WAL checkpoints off the click writer's path. By default the connection whose commit takes
//! the WAL past 1,000 pages copies them back into the database file and syncs both files inside
//! that commit: under a stream of clicks, a batch every so often waited for two fsyncs while
//! every redirect behind it waited too. The click writer's connection does not checkpoint; this
//! thread does, on a connection of its own, in PASSIVE mode (it never blocks the writer or a
//! reader). The pool's connections keep SQLite's default, so the WAL stays bounded even if this
//! thread were gone.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

/// How often the WAL is copied back. At the click writer's top speed the WAL grows by about a
/// thousand pages in this time, SQLite's own threshold.
const INTERVAL: Duration = Duration::from_millis(100);

/// Stops its thread when dropped or closed.
#[derive(Debug)]
pub struct Checkpointer {
    stop: mpsc::Sender<()>,
}

impl Checkpointer {
    pub fn start(path: &Path) -> Result<Self, String> {
        let connection = Connection::open(path)
            .map_err(|e| format!("cannot open the SQLite database {path:?} to checkpoint: {e}"))?;
        let (stop, stopped) = mpsc::channel();
        std::thread::Builder::new()
            .name("fanfare-checkpoint".into())
            .spawn(move || run(&connection, &stopped))
            .map_err(|e| format!("cannot start the checkpoint thread: {e}"))?;
        Ok(Self { stop })
    }

    pub fn close(&self) {
        let _ = self.stop.send(());
    }
}

fn run(connection: &Connection, stopped: &mpsc::Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
        // With nothing new in the WAL this costs a few lock calls and no I/O.
        if let Err(e) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "a WAL checkpoint failed; the next one retries");
        }
    }
}

//! WAL checkpoints off the click writer's path. By default the connection whose commit takes
//! the WAL past 1,000 pages copies them back into the database file and syncs both files inside
//! that commit: under a stream of clicks, a batch every so often waited for two fsyncs while
//! every redirect behind it waited too. The click writer's connection does not checkpoint; this
//! thread does, on a connection of its own, in PASSIVE mode (it never blocks the writer or a
//! reader).
//!
//! A PASSIVE checkpoint racing a writer that never pauses never finds the whole WAL copied, and
//! SQLite starts the WAL over only then: left alone, the WAL grew by 900 MB in a 20-second
//! benchmark. So once the WAL is past [`RESTART_FRAMES`], a RESTART checkpoint holds the writer
//! back for the last few frames, after which the next commit writes from the WAL's start again
//! (the earlier PASSIVE rounds have already copied and synced nearly everything).
//! The pool's connections keep SQLite's default autocheckpoint as a further bound.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rusqlite::Connection;

/// How often the WAL is copied back. At the click writer's top speed the WAL grows by about a
/// thousand pages in this time, SQLite's own threshold.
const INTERVAL: Duration = Duration::from_millis(100);

/// The WAL size (32 MiB of 4 KiB pages) past which the WAL is started over.
const RESTART_FRAMES: i64 = 8192;

/// How long a RESTART may wait for readers to leave the WAL before it gives up until the next
/// round (it holds the writer back while it waits).
const RESTART_WAIT: Duration = Duration::from_millis(50);
/// Stops its thread when dropped or closed.
#[derive(Debug)]
pub struct Checkpointer {
    stop: mpsc::Sender<()>,
}

impl Checkpointer {
    pub fn start(path: &Path) -> Result<Self, String> {
        let connection = Connection::open(path)
            .and_then(|connection| {
                connection.busy_timeout(RESTART_WAIT)?;
                Ok(connection)
            })
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
        let wal_frames = checkpoint(connection, "PASSIVE");
        if wal_frames.is_some_and(|frames| frames >= RESTART_FRAMES) {
            checkpoint(connection, "RESTART");
        }
    }
}

/// Runs a checkpoint; returns the number of frames the WAL held.
fn checkpoint(connection: &Connection, mode: &str) -> Option<i64> {
    match connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        row.get::<_, i64>(1)
    }) {
        Ok(frames) => Some(frames),
        Err(e) => {
            tracing::warn!(error = %e, mode, "a WAL checkpoint failed; the next round retries");
            None
        }
    }
}

//! The click pipeline (DESIGN §2): handlers push classified clicks onto a bounded channel; one
//! writer task drains it and commits each batch in a single transaction (raw rows and counters);
//! a handler answers its `302` only once its batch is committed (group commit). So an answered
//! click survives `kill -9`, and a thousand concurrent clicks cost a handful of transactions,
//! not a thousand.
//!
//! Overload is explicit: when the queue stays full for [`OVERLOAD_WAIT`], the click is refused
//! with `503` and counted, never dropped silently.

use std::sync::Arc;
use std::time::Duration;

use fanfare_store::{DynStore, NewClick};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::Metrics;

/// The most clicks one transaction commits.
const MAX_BATCH: usize = 512;
/// How long a click may wait for room in a full queue before it is refused.
pub const OVERLOAD_WAIT: Duration = Duration::from_millis(500);

/// Why a click was not recorded.
#[derive(Debug, PartialEq, Eq)]
pub enum ClickRefused {
    /// The queue stayed full: the server is over capacity.
    Overloaded,
    /// The batch could not be committed (the database is unavailable).
    NotDurable,
}

type Ack = oneshot::Sender<bool>;

#[derive(Debug, Clone)]
pub struct ClickPipeline {
    queue: mpsc::Sender<(NewClick, Ack)>,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl ClickPipeline {
    /// Starts the writer task; it runs until every clone of the pipeline is dropped, then
    /// commits what is left and stops.
    pub fn start(store: DynStore, capacity: usize, metrics: Arc<Metrics>) -> Self {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        let writer = tokio::spawn(write_batches(store, receiver, metrics));
        Self {
            queue,
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    /// Queues a click and waits until it is durable.
    pub async fn record(&self, click: NewClick) -> Result<(), ClickRefused> {
        let (ack, committed) = oneshot::channel();
        match tokio::time::timeout(OVERLOAD_WAIT, self.queue.send((click, ack))).await {
            Ok(Ok(())) => {}
            // Timed out, or the writer is gone (shutting down): either way, not recorded.
            Ok(Err(_)) | Err(_) => return Err(ClickRefused::Overloaded),
        }
        match committed.await {
            Ok(true) => Ok(()),
            _ => Err(ClickRefused::NotDurable),
        }
    }

    /// The writer's handle, taken once by `serve` to wait for the last batch at shutdown.
    pub async fn take_writer(&self) -> Option<JoinHandle<()>> {
        self.writer.lock().await.take()
    }
}

async fn write_batches(
    store: DynStore,
    mut receiver: mpsc::Receiver<(NewClick, Ack)>,
    metrics: Arc<Metrics>,
) {
    let mut clicks = Vec::with_capacity(MAX_BATCH);
    let mut acks = Vec::with_capacity(MAX_BATCH);
    while let Some((click, ack)) = receiver.recv().await {
        clicks.push(click);
        acks.push(ack);
        // Everything already waiting joins this transaction; nothing waits for more to come.
        while clicks.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok((click, ack)) => {
                    clicks.push(click);
                    acks.push(ack);
                }
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let committed = match store.record_clicks(&clicks).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, clicks = clicks.len(), "a batch of clicks could not be stored");
                false
            }
        };
        metrics.observe_click_batch(&clicks, committed, started.elapsed());
        for ack in acks.drain(..) {
            // The handler may have gone (client hung up): the click is stored all the same.
            let _ = ack.send(committed);
        }
        clicks.clear();
    }
}

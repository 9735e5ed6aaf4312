//! The click pipeline (DESIGN §2): handlers push classified clicks onto a bounded channel; one
//! writer task drains it and commits each batch in a single transaction (raw rows and counters);
//! a handler answers its `302` only once its batch is committed (group commit). So an answered
//! click survives `kill -9`, and a thousand concurrent clicks cost a handful of transactions,
//! not a thousand. A backend that can commit on a thread of its own (SQLite, called directly)
//! gets the writer on a dedicated thread; the others get it as a task on the async runtime.
//!
//! Overload is explicit: when the queue stays full for [`OVERLOAD_WAIT`], the click is refused
//! with `503` and counted, never dropped silently.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fanfare_store::{BlockingClickWriter, DynStore, NewClick, StoreError};
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
        let writer = match store.blocking_click_writer() {
            Some(direct) => {
                let (answers, mut to_answer) = mpsc::unbounded_channel::<(Vec<Ack>, bool)>();
                let answering = tokio::spawn(async move {
                    while let Some((acks, committed)) = to_answer.recv().await {
                        answer(acks, committed);
                    }
                });
                let (done, finished) = oneshot::channel::<()>();
                let thread = std::thread::Builder::new()
                    .name("fanfare-clicks".into())
                    .spawn(move || {
                        write_batches_on_thread(direct.as_ref(), receiver, &answers, &metrics);
                        drop(answers);
                        let _ = done.send(());
                    });
                if let Err(e) = thread {
                    // The queue's receiver went with the thread: every click is refused (503)
                    // rather than answered without being stored.
                    tracing::error!(error = %e, "cannot start the click writer's thread");
                }
                tokio::spawn(async move {
                    let _ = finished.await;
                    let _ = answering.await;
                })
            }
            None => tokio::spawn(write_batches(store, receiver, metrics)),
        };
        Self {
            queue,
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    /// Queues a click and waits until it is durable.
    pub async fn record(&self, click: NewClick) -> Result<(), ClickRefused> {
        let (ack, committed) = oneshot::channel();
        // The queue has room almost always: only a full one arms the overload timer.
        match self.queue.try_send((click, ack)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(item)) => {
                match tokio::time::timeout(OVERLOAD_WAIT, self.queue.send(item)).await {
                    Ok(Ok(())) => {}
                    // Timed out, or the writer is gone: either way, not recorded.
                    Ok(Err(_)) | Err(_) => return Err(ClickRefused::Overloaded),
                }
            }
            // The writer is gone (shutting down).
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(ClickRefused::Overloaded),
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

/// A batch being gathered: the clicks and who waits for each.
struct Batch {
    clicks: Vec<NewClick>,
    acks: Vec<Ack>,
}

impl Batch {
    fn new() -> Self {
        Self {
            clicks: Vec::with_capacity(MAX_BATCH),
            acks: Vec::with_capacity(MAX_BATCH),
        }
    }

    /// Adds `first`, then everything already waiting: nothing waits for more to come.
    fn gather(&mut self, first: (NewClick, Ack), receiver: &mut mpsc::Receiver<(NewClick, Ack)>) {
        let mut next = Some(first);
        while let Some((click, ack)) = next {
            self.clicks.push(click);
            self.acks.push(ack);
            next = if self.clicks.len() < MAX_BATCH {
                receiver.try_recv().ok()
            } else {
                None
            };
        }
    }

    /// Logs and counts how the batch fared, empties its clicks and says whether it committed;
    /// the caller then answers the handlers waiting in `acks`.
    fn settle(
        &mut self,
        outcome: Result<(), StoreError>,
        started: Instant,
        metrics: &Metrics,
    ) -> bool {
        let committed = match outcome {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, clicks = self.clicks.len(), "a batch of clicks could not be stored");
                false
            }
        };
        metrics.observe_click_batch(&self.clicks, committed, started.elapsed());
        self.clicks.clear();
        committed
    }
}

/// Tells every waiting handler how its click fared.
fn answer(acks: impl IntoIterator<Item = Ack>, committed: bool) {
    for ack in acks {
        // The handler may have gone (client hung up): the click is stored all the same.
        let _ = ack.send(committed);
    }
}

async fn write_batches(
    store: DynStore,
    mut receiver: mpsc::Receiver<(NewClick, Ack)>,
    metrics: Arc<Metrics>,
) {
    let mut batch = Batch::new();
    while let Some(first) = receiver.recv().await {
        batch.gather(first, &mut receiver);
        let started = Instant::now();
        let outcome = store.record_clicks(&batch.clicks).await;
        let committed = batch.settle(outcome, started, &metrics);
        answer(batch.acks.drain(..), committed);
    }
}

/// The same loop on a thread of its own, for a backend that commits by blocking. The thread
/// hands each batch's acks to a task on the runtime (`answers`) rather than sending them itself:
/// a wake from outside the runtime may cost a syscall to unpark a worker, and one per batch is
/// cheaper than one per click.
fn write_batches_on_thread(
    writer: &dyn BlockingClickWriter,
    mut receiver: mpsc::Receiver<(NewClick, Ack)>,
    answers: &mpsc::UnboundedSender<(Vec<Ack>, bool)>,
    metrics: &Metrics,
) {
    let mut batch = Batch::new();
    while let Some(first) = receiver.blocking_recv() {
        batch.gather(first, &mut receiver);
        let started = Instant::now();
        let outcome = writer.write_clicks(&batch.clicks);
        let committed = batch.settle(outcome, started, metrics);
        let acks = std::mem::replace(&mut batch.acks, Vec::with_capacity(MAX_BATCH));
        if let Err(mpsc::error::SendError((acks, committed))) = answers.send((acks, committed)) {
            // The runtime is shutting down: answer from here.
            answer(acks, committed);
        }
    }
}

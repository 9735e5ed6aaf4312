//! The click pipeline (DESIGN §2): handlers push classified clicks onto a bounded channel; one
//! writer task drains it and commits each batch in a single transaction (raw rows and counters);
//! a handler answers its `302` only once its batch is committed (group commit). So an answered
//! click survives `kill -9`, and a thousand concurrent clicks cost a handful of transactions,
//! not a thousand. A backend that can commit on a thread of its own (SQLite, called directly)
//! gets the writer on a dedicated thread; the others get it as a task on the async runtime.
//!
//! On its own thread the writer lets clicks gather while the runtime is busy: it commits when
//! the runtime goes idle or enough clicks wait (see [`Bell`]), so that a loaded server commits
//! a few large batches rather than many small ones.
//!
//! Overload is explicit: when the queue stays full for [`OVERLOAD_WAIT`], the click is refused
//! with `503` and counted, never dropped silently.

use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use fanfare_store::{BlockingClickWriter, DynStore, NewClick, StoreError};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::Metrics;

/// The most clicks one transaction commits.
const MAX_BATCH: usize = 512;
/// Clicks waiting that wake the writer at once, busy runtime or not.
const FULL_ENOUGH: isize = 32;
/// The longest a writer that has just committed waits for more clicks before it takes what is
/// there; the runtime's going idle or [`FULL_ENOUGH`] clicks end the wait sooner.
const LINGER: Duration = Duration::from_millis(1);
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
    /// Set for a writer on a thread of its own.
    bell: Option<Arc<Bell>>,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// How the click writer's thread is told that its next batch is ready: when enough clicks wait,
/// or when the runtime has nothing else to run (every handler left is waiting for a commit).
/// Committing a batch as soon as its first click arrives would make batches of a few clicks
/// under load, each paying a transaction's fixed cost (locks and WAL writes, about half the
/// writer's time at seven clicks a batch); waiting a fixed time would leave the CPU idle.
#[derive(Debug, Default)]
struct Bell {
    /// The writer's thread, known once it runs (before, it has not waited yet).
    thread: OnceLock<std::thread::Thread>,
    /// Clicks queued and not yet taken by the writer: a hint, which may lag the queue.
    queued: AtomicIsize,
}

impl Bell {
    fn ring(&self) {
        if let Some(thread) = self.thread.get() {
            // An atomic swap, unless the writer sleeps: then a wake-up.
            thread.unpark();
        }
    }
}

/// The bells of the running click writers, rung by [`runtime_idle`]. A writer's bell is
/// removed when its thread ends (a process may run several pipelines: the tests do).
static BELLS: RwLock<Vec<Arc<Bell>>> = RwLock::new(Vec::new());

fn bells() -> std::sync::RwLockWriteGuard<'static, Vec<Arc<Bell>>> {
    // A panic while the list was held left it whole: it is only pushed to and filtered.
    BELLS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// To be called by the async runtime's worker threads as they go idle
/// (`tokio::runtime::Builder::on_thread_park`): the clicks queued then are the next batch.
/// Without it the writer still commits, at most [`LINGER`] later.
pub fn runtime_idle() {
    let bells = BELLS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for bell in bells.iter() {
        if bell.queued.load(Ordering::Relaxed) > 0 {
            bell.ring();
        }
    }
}

impl ClickPipeline {
    /// Starts the writer task; it runs until every clone of the pipeline is dropped, then
    /// commits what is left and stops.
    pub fn start(store: DynStore, capacity: usize, metrics: Arc<Metrics>) -> Self {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        let mut ringing = None;
        let writer = match store.blocking_click_writer() {
            Some(direct) => {
                let (answers, mut to_answer) = mpsc::unbounded_channel::<(Vec<Ack>, bool)>();
                let answering = tokio::spawn(async move {
                    while let Some((acks, committed)) = to_answer.recv().await {
                        answer(acks, committed);
                    }
                });
                let (done, finished) = oneshot::channel::<()>();
                let bell = Arc::new(Bell::default());
                bells().push(bell.clone());
                let thread = std::thread::Builder::new()
                    .name("fanfare-clicks".into())
                    .spawn({
                        let bell = bell.clone();
                        move || {
                            let _ = bell.thread.set(std::thread::current());
                            write_batches_on_thread(
                                direct.as_ref(),
                                receiver,
                                &answers,
                                &metrics,
                                &bell,
                            );
                            bells().retain(|other| !Arc::ptr_eq(other, &bell));
                            drop(answers);
                            let _ = done.send(());
                        }
                    });
                match thread {
                    Ok(_) => ringing = Some(bell),
                    Err(e) => {
                        bells().retain(|other| !Arc::ptr_eq(other, &bell));
                        // The queue's receiver went with the thread: every click is refused
                        // (503) rather than answered without being stored.
                        tracing::error!(error = %e, "cannot start the click writer's thread");
                    }
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
            bell: ringing,
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
        if let Some(bell) = &self.bell
            && bell.queued.fetch_add(1, Ordering::Relaxed) + 1 == FULL_ENOUGH
        {
            bell.ring();
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
/// cheaper than one per click. After a commit it waits for its [`Bell`] (at most [`LINGER`])
/// unless [`FULL_ENOUGH`] clicks wait already; with nothing queued it sleeps until a click
/// comes, and commits that one at once.
fn write_batches_on_thread(
    writer: &dyn BlockingClickWriter,
    mut receiver: mpsc::Receiver<(NewClick, Ack)>,
    answers: &mpsc::UnboundedSender<(Vec<Ack>, bool)>,
    metrics: &Metrics,
    bell: &Bell,
) {
    let mut batch = Batch::new();
    loop {
        let first = match receiver.try_recv() {
            Ok(first) => first,
            Err(mpsc::error::TryRecvError::Disconnected) => break,
            // Nothing came while the writer waited: it sleeps until the next click, which it
            // then commits at once (a quiet server answers without delay).
            Err(mpsc::error::TryRecvError::Empty) => match receiver.blocking_recv() {
                Some(first) => first,
                None => break,
            },
        };
        batch.gather(first, &mut receiver);
        let taken = isize::try_from(batch.clicks.len()).unwrap_or(isize::MAX);
        bell.queued.fetch_sub(taken, Ordering::Relaxed);
        let started = Instant::now();
        let outcome = writer.write_clicks(&batch.clicks);
        let committed = batch.settle(outcome, started, metrics);
        let acks = std::mem::replace(&mut batch.acks, Vec::with_capacity(MAX_BATCH));
        if let Err(mpsc::error::SendError((acks, committed))) = answers.send((acks, committed)) {
            // The runtime is shutting down: answer from here.
            answer(acks, committed);
        }
        if bell.queued.load(Ordering::Relaxed) < FULL_ENOUGH {
            std::thread::park_timeout(LINGER);
        }
    }
}

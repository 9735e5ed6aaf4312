//! The click pipeline (ARCHITECTURE.md, the life of a click): handlers push classified clicks onto
//! a bounded channel; one writer drains it and commits each batch in a single transaction (raw rows
//! and counters); a handler answers its `302` only once its batch is committed (group commit). So
//! an answered click survives `kill -9`, and a thousand concurrent clicks cost a handful of
//! transactions, not a thousand.
//!
//! A backend that commits by blocking (SQLite, called directly) is driven by a [`Leader`]: a
//! task started by the first click that finds none running, which lets its worker run out of
//! other ready work before it takes the queued clicks (so a loaded server commits a few large
//! batches, not many small ones), commits them on that worker and wakes their handlers there.
//! No thread is woken on the way, where a writer thread of its own cost two cross-thread
//! wake-ups per batch. Other backends get the writer as a task that awaits each commit.
//!
//! Overload is explicit: when the queue stays full for [`OVERLOAD_WAIT`], the click is refused
//! with `503` and counted, never dropped silently.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use fanfare_store::{BlockingClickWriter, DynStore, NewClick, StoreError};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::metrics::Metrics;

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
    /// Set for a backend that commits by blocking.
    leader: Option<Arc<Leader>>,
    /// The writer task of the other backends, taken by `serve` to wait for its last batch.
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// What the leading task of a blocking writer needs; at most one such task runs at a time.
struct Leader {
    writer: Arc<dyn BlockingClickWriter>,
    /// Only the leading task takes from it; the lock is never contended nor held across an
    /// await.
    receiver: std::sync::Mutex<mpsc::Receiver<(NewClick, Ack)>>,
    /// Whether a task is leading (set by the click that starts it, cleared by the task).
    leading: AtomicBool,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Leader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leader")
            .field("leading", &self.leading)
            .finish_non_exhaustive()
    }
}

impl Leader {
    /// Starts a leading task unless one runs. Called after a click is queued: either this
    /// finds none running and starts one, or the running one finds the click (it looks at the
    /// queue again after it stops leading).
    fn ensure_leading(self: &Arc<Self>) {
        if !self.leading.swap(true, Ordering::SeqCst) {
            tokio::spawn(self.clone().lead());
        }
    }

    fn receiver(&self) -> std::sync::MutexGuard<'_, mpsc::Receiver<(NewClick, Ack)>> {
        // A panic while it was held left the queue whole: it is only taken from.
        self.receiver.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Commits batches until the queue is empty. Each round first yields: Tokio runs a
    /// yielding task again only once its worker has no other ready task and has polled for
    /// I/O, so the clicks of every request already read are queued by then. The commit runs
    /// on this worker when no lock holds it up (about 3 µs a click; the other workers go on
    /// serving), and the handlers it answers are woken here, without a thread in between.
    async fn lead(self: Arc<Self>) {
        let _unwinding = StopsLeadingOnPanic(&self.leading);
        let mut batch = Batch::new();
        loop {
            tokio::task::yield_now().await;
            {
                let mut receiver = self.receiver();
                if let Ok(first) = receiver.try_recv() {
                    batch.gather(first, &mut receiver);
                }
            }
            if batch.clicks.is_empty() {
                self.leading.store(false, Ordering::SeqCst);
                // A click queued after the look above saw a task leading and started none:
                // lead again for it, unless a new task has already taken over.
                if self.receiver().is_empty() || self.leading.swap(true, Ordering::SeqCst) {
                    return;
                }
                continue;
            }
            let started = Instant::now();
            let outcome = match self.writer.try_write_clicks(&batch.clicks) {
                Ok(true) => Ok(()),
                Ok(false) => self.write_waiting(&batch.clicks).await,
                Err(e) => Err(e),
            };
            if outcome.is_err() && batch.clicks.len() > 1 {
                let mut outcomes = Vec::with_capacity(batch.clicks.len());
                for click in &batch.clicks {
                    outcomes.push(self.write_waiting(std::slice::from_ref(click)).await);
                }
                batch.settle_each(outcomes, started, &self.metrics);
                continue;
            }
            let committed = batch.settle(outcome, started, &self.metrics);
            answer(batch.acks.drain(..), committed);
        }
    }

    /// Commits on a blocking thread, for a batch held up by a lock (another connection's write,
    /// a checkpoint): waiting for it here would hold this worker, and on a runtime of one
    /// thread the task that holds the lock could never finish.
    async fn write_waiting(&self, clicks: &[NewClick]) -> Result<(), StoreError> {
        let writer = self.writer.clone();
        let clicks = clicks.to_vec();
        tokio::task::spawn_blocking(move || writer.write_clicks(&clicks))
            .await
            .unwrap_or_else(|e| {
                Err(StoreError::Database(format!(
                    "the click writer failed: {e}"
                )))
            })
    }

    /// Whether queued clicks are still to be committed.
    fn busy(&self) -> bool {
        self.leading.load(Ordering::SeqCst) || !self.receiver().is_empty()
    }
}

/// Clears the leading flag if the leading task panics (a bug in a commit): the next click then
/// starts another, and the panicked batch's handlers, their acks dropped, answer `503`.
struct StopsLeadingOnPanic<'a>(&'a AtomicBool);

impl Drop for StopsLeadingOnPanic<'_> {
    fn drop(&mut self) {
        // On a normal return the task has already handed the flag on; clearing it then could
        // take it from a task that took over.
        if std::thread::panicking() {
            self.0.store(false, Ordering::SeqCst);
        }
    }
}

/// Waits, at shutdown, for the clicks still queued to be committed (their handlers may have
/// gone with their clients, but what was queued is stored).
#[derive(Debug)]
pub struct Finisher {
    writer: Option<JoinHandle<()>>,
    leader: Option<Arc<Leader>>,
}

impl Finisher {
    /// Call once every sender of the queue is gone (the router is dropped).
    pub async fn finish(self) {
        if let Some(writer) = self.writer {
            let _ = writer.await;
        }
        if let Some(leader) = self.leader {
            while leader.busy() {
                // Should the leading task have been lost (it panicked), this starts another.
                leader.ensure_leading();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

impl ClickPipeline {
    /// Starts the writer; it runs until every clone of the pipeline is dropped, then commits
    /// what is left and stops.
    pub fn start(store: DynStore, capacity: usize, metrics: Arc<Metrics>) -> Self {
        let (queue, receiver) = mpsc::channel(capacity.max(1));
        let (leader, writer) = match store.blocking_click_writer() {
            Some(writer) => (
                Some(Arc::new(Leader {
                    writer,
                    receiver: std::sync::Mutex::new(receiver),
                    leading: AtomicBool::new(false),
                    metrics,
                })),
                None,
            ),
            None => (
                None,
                Some(tokio::spawn(write_batches(store, receiver, metrics))),
            ),
        };
        Self {
            queue,
            leader,
            writer: Arc::new(Mutex::new(writer)),
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
        if let Some(leader) = &self.leader {
            leader.ensure_leading();
        }
        match committed.await {
            Ok(true) => Ok(()),
            _ => Err(ClickRefused::NotDurable),
        }
    }

    /// What `serve` waits for at shutdown, taken once.
    pub async fn finisher(&self) -> Finisher {
        Finisher {
            writer: self.writer.lock().await.take(),
            leader: self.leader.clone(),
        }
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

    /// After a batch failed as a whole: each click was tried alone, so that one the database
    /// refuses (a click on a link deleted meanwhile breaks the foreign key) does not refuse the
    /// clicks of everyone else in the batch. Answers each handler with its own click's fate.
    fn settle_each(
        &mut self,
        outcomes: Vec<Result<(), StoreError>>,
        started: Instant,
        metrics: &Metrics,
    ) {
        let refused = outcomes.iter().filter(|outcome| outcome.is_err()).count();
        if let Some(Err(e)) = outcomes.iter().find(|outcome| outcome.is_err()) {
            tracing::error!(error = %e, clicks = refused, "clicks could not be stored");
        }
        for ((click, ack), outcome) in self.clicks.drain(..).zip(self.acks.drain(..)).zip(outcomes)
        {
            let committed = outcome.is_ok();
            metrics.observe_click_batch(std::slice::from_ref(&click), committed, started.elapsed());
            // The handler may have gone (client hung up): the click is stored all the same.
            let _ = ack.send(committed);
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
        if outcome.is_err() && batch.clicks.len() > 1 {
            let mut outcomes = Vec::with_capacity(batch.clicks.len());
            for click in &batch.clicks {
                outcomes.push(store.record_clicks(std::slice::from_ref(click)).await);
            }
            batch.settle_each(outcomes, started, &metrics);
            continue;
        }
        let committed = batch.settle(outcome, started, &metrics);
        answer(batch.acks.drain(..), committed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use fanfare_core::campaign::{CampaignSettings, RawCampaignSettings, Slug};
    use fanfare_core::link::{Agent, Channel, Device, LinkKey};

    fn click(link_id: i64, campaign_id: i64, visitor: &str) -> NewClick {
        NewClick {
            link_id,
            campaign_id,
            channel: Channel::X,
            at: Utc::now(),
            visitor_hash: visitor.to_owned(),
            agent: Agent::Human,
            qr: false,
            referrer_host: None,
            device: Device::Desktop,
        }
    }

    /// A click the database refuses (its link was deleted meanwhile), queued with others:
    /// only that click is refused; the others are stored and answered as such.
    async fn one_refused_click_refuses_only_itself(store: DynStore) {
        let settings = CampaignSettings::parse(RawCampaignSettings {
            kind: "brand",
            landing_url: "https://example.com/",
            ..Default::default()
        })
        .unwrap();
        let campaign = store
            .create_campaign(&Slug::parse("batch").unwrap(), &settings)
            .await
            .unwrap();
        let key = store
            .anonymous_link(campaign.id, &LinkKey::generate())
            .await
            .unwrap();
        let link_id = store.find_link(&key).await.unwrap().unwrap().link_id;
        let pipeline = ClickPipeline::start(store.clone(), 100, Arc::new(Metrics::new()));
        // Queued together before the writer runs: one batch.
        let outcomes = futures_util::future::join_all([
            pipeline.record(click(link_id, campaign.id, "a")),
            pipeline.record(click(link_id + 1_000_000, campaign.id, "gone")),
            pipeline.record(click(link_id, campaign.id, "b")),
            pipeline.record(click(link_id, campaign.id, "c")),
        ])
        .await;
        assert!(outcomes[0].is_ok(), "{outcomes:?}");
        assert!(
            matches!(outcomes[1], Err(ClickRefused::NotDurable)),
            "{outcomes:?}"
        );
        assert!(outcomes[2].is_ok() && outcomes[3].is_ok(), "{outcomes:?}");
        pipeline.finisher().await;
        drop(pipeline);
        store.close().await;
    }

    #[tokio::test]
    async fn on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("clicks.db").display());
        let store: DynStore = Arc::new(fanfare_sqlite::SqliteStore::open(&url).await.unwrap());
        one_refused_click_refuses_only_itself(store).await;
    }

    #[tokio::test]
    async fn on_postgres() {
        let Some(db) = fanfare_postgres::testing::TempDatabase::create().await else {
            return;
        };
        let store: DynStore = Arc::new(
            fanfare_postgres::PostgresStore::open(&db.url)
                .await
                .unwrap(),
        );
        one_refused_click_refuses_only_itself(store).await;
        db.drop_database().await;
    }
}

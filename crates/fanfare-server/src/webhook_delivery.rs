//! The delivery of webhook events (see `webhooks` for the API and the events).
//!
//! An event is written to an outbox (one row per webhook) in the request that caused it: one
//! insert, no network. A background worker posts due deliveries, at most a few at a time, and
//! retries a failed one with exponential backoff (the base ×1, ×3, ×9… up to six hours) for eight
//! attempts in all. Deliveries are leased before they are posted, so servers sharing a
//! PostgreSQL never post one twice at once; a delivery whose server died is posted again when its
//! lease ends (receivers should treat `id` as an idempotency key).
//!
//! The signature header is `Fanfare-Signature: t=<unix seconds>,v1=<hex>`, where the hex is
//! HMAC-SHA256 of `"<t>.<body>"` with the webhook's secret: a receiver recomputes it and refuses
//! a `t` more than five minutes old, which stops replays.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fanfare_smo::fetch::{FetchError, Fetcher, non_public};
use fanfare_store::{Attempt, DueDelivery, DynStore, now};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// Attempts per delivery before it is given up.
const MAX_ATTEMPTS: i64 = 8;

/// How long a worker holds a delivery it took; longer than a post can last.
const LEASE: Duration = Duration::from_secs(60);

const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// Deliveries posted at once by one server.
const BATCH: u32 = 16;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// The worker looks for due retries this often, and at once when an event is queued.
const POLL: Duration = Duration::from_secs(2);

/// The background worker's handle: events wake it up.
#[derive(Debug)]
pub struct WebhookWorker {
    pub(crate) wake: Arc<Notify>,
    control: Arc<WorkerControl>,
}

/// Stops the worker at shutdown, before the store closes: a poll of a closed store is an error.
#[derive(Debug, Clone)]
pub struct WebhookStopper(Arc<WorkerControl>);

#[derive(Debug)]
struct WorkerControl {
    stop: watch::Sender<bool>,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl WebhookWorker {
    /// Starts the worker on the current Tokio runtime. `retry_base` is the wait after a first
    /// failure.
    pub fn start(store: DynStore, retry_base: Duration, allow_private: bool) -> Self {
        let wake = Arc::new(Notify::new());
        let client = client_builder().build().ok();
        let worker_wake = wake.clone();
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let Some(client) = client else {
                tracing::error!("webhooks are off: no HTTP client could be built");
                return;
            };
            while !*stopped.borrow() {
                let taken = store
                    .claim_webhook_deliveries(
                        now(),
                        now() + chrono::Duration::from_std(LEASE).unwrap_or_default(),
                        BATCH,
                    )
                    .await;
                let pause = match taken {
                    Ok(due) if !due.is_empty() => {
                        let mut posts = tokio::task::JoinSet::new();
                        for delivery in due {
                            let (client, store) = (client.clone(), store.clone());
                            posts.spawn(async move {
                                let attempt =
                                    deliver(&client, &delivery, retry_base, allow_private).await;
                                if let Err(e) = store.record_webhook_attempt(delivery.id, &attempt).await {
                                    tracing::error!(error = ?e, delivery = delivery.id, "webhook attempt not recorded");
                                }
                            });
                        }
                        // Posts in progress finish even at shutdown: their attempts are recorded.
                        while posts.join_next().await.is_some() {}
                        continue;
                    }
                    Ok(_) => POLL,
                    Err(e) => {
                        tracing::error!(error = ?e, "webhook deliveries could not be read");
                        POLL * 5
                    }
                };
                tokio::select! {
                    () = worker_wake.notified() => {}
                    () = tokio::time::sleep(pause) => {}
                    // A dropped sender stops the worker too.
                    _ = stopped.changed() => break,
                }
            }
        });
        Self {
            wake,
            control: Arc::new(WorkerControl {
                stop,
                task: std::sync::Mutex::new(Some(task)),
            }),
        }
    }

    pub fn stopper(&self) -> WebhookStopper {
        WebhookStopper(Arc::clone(&self.control))
    }
}

impl WebhookStopper {
    /// Stops the worker and waits for the posts in progress (each ends within its timeout).
    pub async fn stop(&self) {
        let _ = self.0.stop.send(true);
        let task = self
            .0
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(task) = task
            && tokio::time::timeout(POST_TIMEOUT + Duration::from_secs(1), task)
                .await
                .is_err()
        {
            tracing::warn!("webhook posts still running at shutdown; their deliveries are retried");
        }
    }
}

/// The `Fanfare-Signature` value for a body posted at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn backoff(retry_base: Duration, attempts_made: i64) -> Duration {
    let exponent = u32::try_from(attempts_made.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(20);
    let wait = retry_base
        .saturating_mul(3u32.saturating_pow(exponent))
        .min(MAX_BACKOFF);
    // ±20%, so that deliveries that failed together do not all come back together.
    wait.mul_f64(rand::rng().random_range(0.8..1.2))
}

/// The settings of every webhook post. A receiver answers for itself: a redirect is a failure,
/// not a new target.
fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Fanfare-Webhooks/", env!("CARGO_PKG_VERSION")))
}

/// Why a URL's host is not on the public web, when it is written as an address or is
/// `localhost`: the check at a webhook's creation, which resolves nothing (names are resolved and
/// checked before each post, by `pinned_client`).
pub fn non_public_host(url: &url::Url) -> Option<&'static str> {
    match url.host()? {
        url::Host::Ipv4(ip) => non_public(ip.into()),
        url::Host::Ipv6(ip) => non_public(ip.into()),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            (name == "localhost" || name.ends_with(".localhost")).then_some("loopback")
        }
    }
}

/// The client for one post, pinned to the address the audit's fetcher resolved and checked
/// (`Fetcher::resolve`, the same policy): the name cannot resolve elsewhere between the check and
/// the connection. `Err` says why nothing is posted.
async fn pinned_client(url: &str) -> Result<reqwest::Client, String> {
    let url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let address = Fetcher::default()
        .resolve(&url)
        .await
        .map_err(|e| match e {
            FetchError::Refused { .. } => e.to_string(),
            other => format!("cannot post: {other}"),
        })?;
    let host = url.host_str().unwrap_or_default();
    client_builder()
        .resolve(host.trim_start_matches('[').trim_end_matches(']'), address)
        .build()
        .map_err(|e| format!("cannot post: {e}"))
}

async fn deliver(
    client: &reqwest::Client,
    delivery: &DueDelivery,
    retry_base: Duration,
    allow_private: bool,
) -> Attempt {
    // The receiver's address is checked before every post (a name can move to a private
    // address after the webhook was created), unless the operator allows private addresses.
    let pinned = if allow_private {
        Ok(client.clone())
    } else {
        pinned_client(&delivery.url).await
    };
    let client = match pinned {
        Ok(client) => client,
        Err(refused) => return failed(delivery, retry_base, None, refused),
    };
    let timestamp = Utc::now().timestamp();
    let result = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header("fanfare-event", &delivery.event)
        .header("fanfare-delivery", delivery.id.to_string())
        .header(
            "fanfare-signature",
            signature(&delivery.secret, timestamp, &delivery.payload),
        )
        .body(delivery.payload.clone())
        .send()
        .await;
    let (status, error) = match result {
        Ok(response) if response.status().is_success() => {
            return Attempt {
                status: Some(i64::from(response.status().as_u16())),
                error: None,
                delivered_at: Some(now()),
                next_attempt_at: None,
            };
        }
        Ok(response) => (
            Some(i64::from(response.status().as_u16())),
            format!("the receiver answered {}", response.status()),
        ),
        Err(e) if e.is_timeout() => (None, format!("no answer within {POST_TIMEOUT:?}")),
        Err(e) => (None, format!("cannot post: {e}")),
    };
    failed(delivery, retry_base, status, error)
}

/// A failed attempt: retried after the backoff, until the last one.
fn failed(
    delivery: &DueDelivery,
    retry_base: Duration,
    status: Option<i64>,
    error: String,
) -> Attempt {
    let attempts_made = delivery.attempts + 1;
    let next_attempt_at = (attempts_made < MAX_ATTEMPTS).then(|| {
        now() + chrono::Duration::from_std(backoff(retry_base, attempts_made)).unwrap_or_default()
    });
    if next_attempt_at.is_none() {
        tracing::warn!(delivery = delivery.id, url = %delivery.url, "webhook delivery given up after {MAX_ATTEMPTS} attempts");
    }
    Attempt {
        status,
        error: Some(error),
        delivered_at: None,
        next_attempt_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_and_body() {
        // Computed independently with
        // `printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test`.
        assert_eq!(
            signature("whsec_test", 1_700_000_000, "{}"),
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }

    #[test]
    fn backoff_grows_by_three_and_stops_at_six_hours() {
        let base = Duration::from_secs(10);
        for (attempts, expected) in [(1, 10.0), (2, 30.0), (3, 90.0), (8, 21_600.0)] {
            let wait = backoff(base, attempts).as_secs_f64();
            assert!(
                (expected * 0.8..=expected * 1.2).contains(&wait),
                "{attempts}: {wait}"
            );
        }
    }

    #[tokio::test]
    async fn the_worker_stops_while_it_waits_and_before_the_store_closes() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
        let store: DynStore = Arc::new(fanfare_sqlite::SqliteStore::open(&url).await.unwrap());
        let worker = WebhookWorker::start(store.clone(), Duration::from_secs(1), false);
        // Let it poll once and start waiting (POLL, 2 s).
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stopper = worker.stopper();
        tokio::time::timeout(Duration::from_secs(1), stopper.stop())
            .await
            .expect("the stop does not wait for the next poll");
        assert!(worker.control.task.lock().unwrap().is_none());
        store.close().await;
    }
}

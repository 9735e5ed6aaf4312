//! Webhooks: a campaign's new fans, milestones and approved creations, posted as JSON to the
//! URLs its admin registered, signed with HMAC-SHA256.
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

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use fanfare_core::campaign::Campaign;
use fanfare_core::fan::{Fan, Secret};
use fanfare_store::{Attempt, DueDelivery, DynStore, Interaction, WEBHOOK_EVENTS, now};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::audit::web_url;
use crate::campaigns::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

/// Webhooks one campaign may have.
const MAX_WEBHOOKS: usize = 10;
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

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(delete_webhook))
        .routes(routes!(list_deliveries))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to post: an absolute http(s) URL (https advised), at most 2048 characters.
    pub url: String,
    /// Which events: `fan.joined`, `milestone.reached`, `creation.approved`. Default: all.
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: chrono::DateTime<Utc>,
    /// The signing secret: only in the answer that created the webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub event: String,
    pub attempts: i64,
    /// The receiver's last status (`null` when it could not be reached).
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<chrono::DateTime<Utc>>,
    /// The next attempt; `null` once delivered or given up.
    pub next_attempt_at: Option<chrono::DateTime<Utc>>,
    pub created_at: chrono::DateTime<Utc>,
}

fn invalid(field: &'static str, code: &'static str, message: String) -> ApiError {
    ApiError::Unprocessable {
        code,
        field: Some(field),
        message,
    }
}

fn parse_target(value: &str) -> ApiResult<String> {
    if value.chars().count() > 2048 {
        return Err(invalid(
            "url",
            "invalid_url",
            "url must be at most 2048 characters".into(),
        ));
    }
    let url = web_url("url", value.trim())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "url",
            "invalid_url",
            "url must not carry a user name or password: the signature authenticates Fanfare"
                .into(),
        ));
    }
    Ok(url.to_string())
}

fn parse_events(events: Option<Vec<String>>) -> ApiResult<Vec<String>> {
    let Some(events) = events else {
        return Ok(WEBHOOK_EVENTS.iter().map(|e| (*e).to_owned()).collect());
    };
    if events.is_empty() {
        return Err(invalid(
            "events",
            "invalid_events",
            "events must name at least one event (or be left out for all)".into(),
        ));
    }
    let mut chosen: Vec<String> = Vec::new();
    for event in events {
        if !WEBHOOK_EVENTS.contains(&event.as_str()) {
            return Err(invalid(
                "events",
                "invalid_events",
                format!(
                    "unknown event {:?}; the events are {}",
                    event.chars().take(40).collect::<String>(),
                    WEBHOOK_EVENTS.join(", ")
                ),
            ));
        }
        if !chosen.contains(&event) {
            chosen.push(event);
        }
    }
    Ok(chosen)
}

/// Register a URL for the campaign's events; the answer holds the signing secret, once.
#[utoipa::path(post, path = "/api/v1/campaigns/{slug}/webhooks", tag = "webhooks",
    params(("slug" = String, Path, description = "The campaign's slug")),
    request_body = NewWebhook,
    responses(
        (status = 201, body = WebhookView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn create_webhook(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<impl IntoResponse> {
    let url = parse_target(&body.url)?;
    let events = parse_events(body.events)?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    if state.store.list_webhooks(campaign.id).await?.len() >= MAX_WEBHOOKS {
        return Err(invalid(
            "url",
            "too_many_webhooks",
            format!("a campaign has at most {MAX_WEBHOOKS} webhooks; delete one first"),
        ));
    }
    let secret = Secret::generate("whsec_").value;
    let webhook = state
        .store
        .create_webhook(campaign.id, &url, &secret, &events, now())
        .await?;
    tracing::info!(campaign = %campaign.slug, webhook = webhook.id, "webhook registered");
    Ok((
        StatusCode::CREATED,
        ApiJson(WebhookView {
            id: webhook.id,
            url: webhook.url,
            events: webhook.events,
            created_at: webhook.created_at,
            secret: Some(secret),
        }),
    ))
}

/// The campaign's webhooks (without their secrets).
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/webhooks", tag = "webhooks",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses((status = 200, body = Vec<WebhookView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
async fn list_webhooks(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<ApiJson<Vec<WebhookView>>> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    Ok(ApiJson(
        state
            .store
            .list_webhooks(campaign.id)
            .await?
            .into_iter()
            .map(|w| WebhookView {
                id: w.id,
                url: w.url,
                events: w.events,
                created_at: w.created_at,
                secret: None,
            })
            .collect(),
    ))
}

/// Delete a webhook; its pending deliveries go with it.
#[utoipa::path(delete, path = "/api/v1/campaigns/{slug}/webhooks/{id}", tag = "webhooks",
    params(("slug" = String, Path, description = "The campaign's slug"), ("id" = i64, Path, description = "The webhook's id")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
async fn delete_webhook(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    if state.store.delete_webhook(campaign.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&campaign, id))
    }
}

fn not_found(campaign: &Campaign, id: i64) -> ApiError {
    ApiError::NotFound {
        code: "webhook_not_found",
        message: format!("campaign \"{}\" has no webhook {id}", campaign.slug),
    }
}

/// A webhook's latest 50 deliveries, newest first: what was posted, how often, what came back.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/webhooks/{id}/deliveries", tag = "webhooks",
    params(("slug" = String, Path, description = "The campaign's slug"), ("id" = i64, Path, description = "The webhook's id")),
    responses((status = 200, body = Vec<DeliveryView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
async fn list_deliveries(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
) -> ApiResult<ApiJson<Vec<DeliveryView>>> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    if !state
        .store
        .list_webhooks(campaign.id)
        .await?
        .iter()
        .any(|w| w.id == id)
    {
        return Err(not_found(&campaign, id));
    }
    Ok(ApiJson(
        state
            .store
            .list_webhook_deliveries(id, 50)
            .await?
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                event: d.event,
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                delivered_at: d.delivered_at,
                next_attempt_at: d.next_attempt_at,
                created_at: d.created_at,
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Events

/// Queues an event for the campaign's webhooks. A failure is logged, never passed on: the fan,
/// milestone or approval that caused the event stands either way.
pub(crate) async fn emit(
    state: &AppState,
    campaign: &Campaign,
    event: &'static str,
    data: serde_json::Value,
) {
    let at = now();
    let payload = serde_json::json!({
        "id": format!("evt_{:032x}", rand::rng().random::<u128>()),
        "event": event,
        "campaign": campaign.slug.as_str(),
        "created_at": at,
        "data": data,
    })
    .to_string();
    match state
        .store
        .enqueue_webhook_event(campaign.id, event, &payload, at)
        .await
    {
        Ok(0) => {}
        Ok(_) => state.webhooks.wake.notify_one(),
        Err(e) => tracing::error!(error = ?e, event, "a webhook event could not be queued"),
    }
}

pub(crate) async fn fan_joined(state: &AppState, campaign: &Campaign, fan: &Fan) {
    let data = serde_json::json!({
        "ref_code": fan.ref_code.as_ref().map(ToString::to_string),
        "name": fan.name,
        "email": fan.email,
        "referrer": fan.referrer_ref_code,
        "channel": fan.channel.map(|c| c.as_str()),
        "depth": fan.depth,
        "flags": fan.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "joined_at": fan.joined_at,
    });
    emit(state, campaign, "fan.joined", data).await;
}

pub(crate) async fn milestone_reached(
    state: &AppState,
    campaign: &Campaign,
    fan: &Fan,
    threshold: u64,
    reward: &str,
) {
    let data = serde_json::json!({
        "ref_code": fan.ref_code.as_ref().map(ToString::to_string),
        "name": fan.name,
        "threshold": threshold,
        "reward": reward,
    });
    emit(state, campaign, "milestone.reached", data).await;
}

pub(crate) async fn creation_approved(
    state: &AppState,
    campaign: &Campaign,
    creation: &Interaction,
) {
    let data = serde_json::json!({
        "id": creation.id,
        "ref_code": creation.fan_ref_code,
        "name": creation.display_name.as_ref().or(creation.fan_name.as_ref()),
        "body": creation.body,
        "url": creation.url,
        "created_at": creation.created_at,
    });
    emit(state, campaign, "creation.approved", data).await;
}

// ---------------------------------------------------------------------------------------------
// Delivery

/// The background worker's handle: events wake it up.
#[derive(Debug)]
pub struct WebhookWorker {
    wake: Arc<Notify>,
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
    pub fn start(store: DynStore, retry_base: Duration) -> Self {
        let wake = Arc::new(Notify::new());
        let client = reqwest::Client::builder()
            .timeout(POST_TIMEOUT)
            // A receiver answers for itself: a redirect is a failure, not a new target.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Fanfare-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .ok();
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
                                let attempt = deliver(&client, &delivery, retry_base).await;
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

async fn deliver(
    client: &reqwest::Client,
    delivery: &DueDelivery,
    retry_base: Duration,
) -> Attempt {
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
        let worker = WebhookWorker::start(store.clone(), Duration::from_secs(1));
        // Let it poll once and start waiting (POLL, 2 s).
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stopper = worker.stopper();
        tokio::time::timeout(Duration::from_secs(1), stopper.stop())
            .await
            .expect("the stop does not wait for the next poll");
        assert!(worker.control.task.lock().unwrap().is_none());
        store.close().await;
    }

    #[test]
    fn events_are_checked_and_deduplicated() {
        assert_eq!(parse_events(None).unwrap().len(), 3);
        assert_eq!(
            parse_events(Some(vec!["fan.joined".into(), "fan.joined".into()])).unwrap(),
            ["fan.joined"]
        );
        assert!(parse_events(Some(vec![])).is_err());
        assert!(parse_events(Some(vec!["fan.left".into()])).is_err());
        assert!(parse_target("ftp://example.com/").is_err());
        assert!(parse_target("https://user:pw@example.com/").is_err());
        assert!(parse_target(&format!("https://example.com/{}", "a".repeat(2100))).is_err());
        assert_eq!(
            parse_target("https://hooks.example.com/fanfare").unwrap(),
            "https://hooks.example.com/fanfare"
        );
    }
}

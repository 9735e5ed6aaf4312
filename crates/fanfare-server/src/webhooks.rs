//! Webhooks: a campaign's new fans, milestones and approved creations, posted as JSON to the
//! URLs its admin registered, signed with HMAC-SHA256. This module holds the admin API and the
//! events; `webhook_delivery` posts them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Utc;
use fanfare_core::campaign::Campaign;
use fanfare_core::error_code::ErrorCode;
use fanfare_core::fan::{Fan, Secret};
use fanfare_store::{Interaction, WEBHOOK_EVENTS, now};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::urls::web_url;

/// Webhooks one campaign may have.
const MAX_WEBHOOKS: usize = 10;

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
    #[schema(
        format = "uri",
        max_length = 2048,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
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

fn invalid(field: &'static str, code: ErrorCode, message: String) -> ApiError {
    ApiError::Unprocessable {
        code,
        field: Some(field),
        message,
    }
}

fn parse_target(value: &str, allow_private: bool) -> ApiResult<String> {
    if value.chars().count() > 2048 {
        return Err(invalid(
            "url",
            ErrorCode::InvalidUrl,
            "url must be at most 2048 characters".into(),
        ));
    }
    let url = web_url("url", value.trim())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "url",
            ErrorCode::InvalidUrl,
            "url must not carry a user name or password: the signature authenticates Fanfare"
                .into(),
        ));
    }
    if !allow_private && let Some(kind) = crate::webhook_delivery::non_public_host(&url) {
        return Err(invalid(
            "url",
            ErrorCode::UrlNotPublic,
            format!(
                "url points at a {kind} address; Fanfare posts webhooks to the public web only \
                 (its operator can allow private addresses)"
            ),
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
            ErrorCode::InvalidEvents,
            "events must name at least one event (or be left out for all)".into(),
        ));
    }
    let mut chosen: Vec<String> = Vec::new();
    for event in events {
        if !WEBHOOK_EVENTS.contains(&event.as_str()) {
            return Err(invalid(
                "events",
                ErrorCode::InvalidEvents,
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
    let url = parse_target(&body.url, state.config.allow_private_addresses)?;
    let events = parse_events(body.events)?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    if state.store.list_webhooks(campaign.id).await?.len() >= MAX_WEBHOOKS {
        return Err(invalid(
            "url",
            ErrorCode::TooManyWebhooks,
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
        code: ErrorCode::WebhookNotFound,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_checked_and_deduplicated() {
        assert_eq!(parse_events(None).unwrap().len(), 3);
        assert_eq!(
            parse_events(Some(vec!["fan.joined".into(), "fan.joined".into()])).unwrap(),
            ["fan.joined"]
        );
        assert!(parse_events(Some(vec![])).is_err());
        assert!(parse_events(Some(vec!["fan.left".into()])).is_err());
        assert!(parse_target("ftp://example.com/", false).is_err());
        assert!(parse_target("https://user:pw@example.com/", false).is_err());
        assert!(parse_target(&format!("https://example.com/{}", "a".repeat(2100)), false).is_err());
        assert_eq!(
            parse_target("https://hooks.example.com/fanfare", false).unwrap(),
            "https://hooks.example.com/fanfare"
        );
    }
}

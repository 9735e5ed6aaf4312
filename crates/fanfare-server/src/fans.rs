//! Adhesion: visitors join a campaign (possibly through another fan's ref code), leave it, and
//! report views; admins list, export and erase fans.
//!
//! A join is never refused for looking suspect: the fraud signals are stored on the fan as
//! reasons, the answer is the same, and flagged fans are left out of every count.

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use fanfare_core::ValidationError;
use fanfare_core::api_key::ApiKeyRecord;
use fanfare_core::campaign::Campaign;
use fanfare_core::error_code::ErrorCode;
use fanfare_core::fan::{
    Email, Fan, FraudFlag, Joining, MEMBER_TOKEN_PREFIX, RefCode, Secret, VisitorEvent, parse_name,
};
use fanfare_core::link::{Channel, Device, LinkKey};
use fanfare_store::{NewFan, Page, StoreError, now};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::member;
use crate::context::visiting;
use crate::context::{find, parse_slug_path};
use crate::engagement::reward_referrer;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiBytes, ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Listing, PageParams};
use crate::state::AppState;
use crate::urls::{LinkRoute, link_urls, url_host};
use crate::visitor::Client;

const DEFAULT_PAGE_SIZE: u32 = 100;
const MAX_PAGE_SIZE: u32 = 1000;

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join))
        .routes(routes!(leave))
        .routes(routes!(record_view))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_fans))
        .routes(routes!(export_fans))
        .routes(routes!(erase_fan))
}

/// A visitor becomes a fan.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// 1 to 80 characters, shown as text (markup is not interpreted), at least one of them
    /// visible.
    #[schema(
        example = "Ada",
        min_length = 1,
        max_length = 80,
        pattern = "[^\\s\u{200b}-\u{200d}\u{2060}\u{feff}]"
    )]
    pub name: String,
    /// Optional; the same address joins once (case-insensitive).
    pub email: Option<String>,
    /// The ref code of the fan whose link brought the visitor: `ff_ref` on the landing URL, as
    /// it is (`AbCdEf1234-l`: the code and the letter of the link's channel), or the bare code.
    #[serde(rename = "ref")]
    pub referral: Option<String>,
    /// The channel of the link that brought the visitor (`utm_source` on the landing URL);
    /// an unknown name is ignored.
    pub channel: Option<String>,
    /// The page that sent the visitor to the site (`document.referrer`), for the referrer
    /// breakdown: only its host is kept, and anything but an http(s) URL is ignored.
    pub referrer: Option<String>,
}

impl TryFrom<JoinRequest> for Joining {
    type Error = ValidationError;

    fn try_from(body: JoinRequest) -> Result<Self, ValidationError> {
        // `ff_ref` carries the link's channel since links say it; `channel` (from `utm_source`)
        // wins when both are there.
        let (code, carried_channel) = body
            .referral
            .as_deref()
            .map_or(("", None), fanfare_core::link::split_ff_ref);
        let referral = RefCode::parse(code);
        // A channel letter counts only after a code of ours.
        let carried_channel = carried_channel.filter(|_| referral.is_some());
        Ok(Self {
            name: parse_name(&body.name)?,
            // Forms send "" for an empty optional field: that is no e-mail, not a bad one.
            email: body
                .email
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(Email::parse)
                .transpose()?,
            referral,
            // An unknown channel name is ignored (a newer widget's channel, a typo in a UTM tag).
            channel: body
                .channel
                .as_deref()
                .and_then(Channel::parse)
                .or(carried_channel),
            referrer_host: body.referrer.as_deref().and_then(url_host),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// The fan's public code, in their links and on leaderboards.
    pub ref_code: String,
    /// The fan's secret for later calls (`Authorization: Bearer`); only in the answer that
    /// created the fan, `null` when the e-mail had already joined.
    pub token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JoinResponse {
    pub member: Member,
    /// The fan's personal short link per channel of the campaign.
    pub links: BTreeMap<Channel, String>,
    /// Per channel, the URL that records a share and opens the network's share dialog.
    pub share_urls: BTreeMap<Channel, String>,
}

impl JoinResponse {
    fn new(state: &AppState, campaign: &Campaign, fan: &Fan, token: Option<String>) -> Self {
        let channels = &campaign.settings.channels;
        let (links, share_urls) = match &fan.link_key {
            Some(key) => (
                link_urls(&state.config.base_url, key, channels, LinkRoute::Short),
                link_urls(&state.config.base_url, key, channels, LinkRoute::Share),
            ),
            None => Default::default(),
        };
        Self {
            member: Member {
                ref_code: fan
                    .ref_code
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                token,
            },
            links,
            share_urls,
        }
    }
}

/// The page-view beacon: a view (default) or the fan form opening.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewEvent {
    #[serde(default)]
    pub event: Option<VisitorEvent>,
}

/// A fan as the admin API lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FanView {
    pub ref_code: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The ref code of the fan who brought this one.
    pub referrer: Option<String>,
    /// Generations below the first fan of the chain (0: came on their own).
    pub depth: i32,
    /// The channel of the link that brought the fan.
    pub channel: Option<Channel>,
    /// Why the fan is left out of counts; empty for an honest fan.
    pub flags: Vec<FraudFlag>,
    pub joined_at: DateTime<Utc>,
}

impl From<Fan> for FanView {
    fn from(fan: Fan) -> Self {
        Self {
            ref_code: fan.ref_code.map(|c| c.to_string()),
            name: fan.name,
            email: fan.email,
            referrer: fan.referrer_ref_code,
            depth: fan.depth,
            channel: fan.channel,
            flags: fan.flags,
            joined_at: fan.joined_at,
        }
    }
}

/// Become a fan of a campaign.
#[utoipa::path(post, path = "/api/public/campaigns/{slug}/fans", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug")),
    request_body = JoinRequest,
    responses(
        (status = 201, description = "A new fan; keep the token", body = JoinResponse),
        (status = 200, description = "This e-mail had already joined: the same fan, no token", body = JoinResponse),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    ))]
async fn join(
    State(state): State<AppState>,
    client: Client,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<JoinRequest>,
) -> ApiResult<impl IntoResponse> {
    let (campaign, visitor) = visiting(&state, &slug, &client).await?;
    let Joining {
        name,
        email,
        referral,
        channel,
        referrer_host,
    } = body.try_into()?;

    if let Some(email) = &email
        && let Some(existing) = state
            .store
            .find_fan_by_email(campaign.id, email.address())
            .await?
    {
        return Ok(already_a_fan(&state, &campaign, &existing));
    }

    // An unknown code or a code of another campaign: no referrer, no error.
    let referrer = match referral {
        Some(code) => state.store.find_fan_by_ref_code(campaign.id, &code).await?,
        None => None,
    };
    let joined_at = now();
    let network = state
        .visitors
        .network(&state.store, &client, campaign.id)
        .await?;
    let flags = assess(
        &state,
        &campaign,
        Origin {
            visitor: &visitor,
            network: network.as_deref(),
        },
        email.as_ref(),
        referrer.as_ref(),
        joined_at,
    )
    .await?;

    // Two attempts: a clash of fresh random codes is astronomically rare, but not impossible.
    for _ in 0..2 {
        let token = Secret::generate(MEMBER_TOKEN_PREFIX);
        let new_fan = NewFan {
            campaign_id: campaign.id,
            ref_code: RefCode::generate(),
            link_key: LinkKey::generate(),
            channel,
            token_hash: token.hash,
            name: name.clone(),
            email: email
                .as_ref()
                .map(|e| (e.address().to_owned(), e.mailbox().to_owned())),
            referrer: referrer.clone(),
            visitor_hash: visitor.clone(),
            network_hash: network.clone(),
            flags: flags.clone(),
            joined_at,
            device: Device::from_user_agent(&client.user_agent),
            referrer_host: referrer_host.clone(),
        };
        match state.store.insert_fan(&new_fan).await {
            Ok(fan) => {
                // Milestones are recorded once per threshold by the store, so a failure here
                // (logged) only delays them to the referrer's next fan; the join stands.
                if let Some(referrer) = referrer.as_ref().filter(|_| !fan.is_flagged())
                    && let Err(e) = reward_referrer(&state, &campaign, referrer).await
                {
                    tracing::error!(error = ?e, "milestones could not be recorded");
                }
                crate::webhooks::fan_joined(&state, &campaign, &fan).await;
                tracing::info!(
                    campaign = %campaign.slug,
                    depth = fan.depth,
                    flags = ?fan.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
                    "fan joined"
                );
                let response = JoinResponse::new(&state, &campaign, &fan, Some(token.value));
                return Ok((StatusCode::CREATED, ApiJson(response)).into_response());
            }
            // A concurrent join with the same address won the race: answer as for a repeat.
            Err(StoreError::Conflict(_)) => {
                if let Some(email) = &email
                    && let Some(existing) = state
                        .store
                        .find_fan_by_email(campaign.id, email.address())
                        .await?
                {
                    return Ok(already_a_fan(&state, &campaign, &existing));
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Internal(
        "could not store a new fan after two attempts".into(),
    ))
}

fn already_a_fan(state: &AppState, campaign: &Campaign, fan: &Fan) -> axum::response::Response {
    let response = JoinResponse::new(state, campaign, fan, None);
    (StatusCode::OK, ApiJson(response)).into_response()
}

/// Where a join comes from: the visitor's hash, and their network's when it can be told.
struct Origin<'a> {
    visitor: &'a str,
    network: Option<&'a str>,
}

/// The fraud signals (`docs/reports.md`, flagged fans), each checked on its own so a fan can carry
/// several.
async fn assess(
    state: &AppState,
    campaign: &Campaign,
    Origin { visitor, network }: Origin<'_>,
    email: Option<&Email>,
    referrer: Option<&Fan>,
    joined_at: DateTime<Utc>,
) -> ApiResult<Vec<FraudFlag>> {
    let mut flags = Vec::new();
    if referrer.is_some_and(|r| r.visitor_hash.as_deref() == Some(visitor)) {
        flags.push(FraudFlag::SelfReferral);
    }
    if let Some(email) = email {
        if state
            .store
            .mailbox_in_use(campaign.id, email.mailbox(), email.address())
            .await?
        {
            flags.push(FraudFlag::DuplicateEmail);
        }
        if email.is_disposable() {
            flags.push(FraudFlag::DisposableEmail);
        }
    }
    let recent = state
        .store
        .joins_since(campaign.id, visitor, joined_at - Duration::hours(1))
        .await?;
    if recent >= u64::from(state.config.join_burst_limit) {
        flags.push(FraudFlag::JoinBurst);
    }
    if let Some(network) = network {
        // A day: the salt, and with it the network's hash, changes at midnight UTC anyway.
        let joins = state
            .store
            .network_joins_since(
                campaign.id,
                network,
                referrer.map(|r| r.id),
                joined_at - Duration::days(1),
            )
            .await?;
        if joins.all >= u64::from(state.config.network_join_limit)
            || (referrer.is_some()
                && joins.by_referrer >= u64::from(state.config.network_referral_limit))
        {
            flags.push(FraudFlag::NetworkBurst);
        }
    }
    Ok(flags)
}

/// Leave a campaign: the fan's name, e-mail, code and token are erased.
#[utoipa::path(delete, path = "/api/public/campaigns/{slug}/fans/me", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, description = "Missing or invalid member token", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("member_token" = [])))]
async fn leave(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let fan = member(&state, &headers, &campaign).await?;
    state.store.erase_fan(fan.id).await?;
    tracing::info!(campaign = %campaign.slug, "fan left");
    Ok(StatusCode::NO_CONTENT)
}

/// Count a page view (or the fan form opening) once per visitor and day.
///
/// The body is optional and read as JSON whatever its content type, because
/// `navigator.sendBeacon` sends strings as `text/plain`.
#[utoipa::path(post, path = "/api/public/campaigns/{slug}/views", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug")),
    request_body(content = ViewEvent, description = "Optional: {\"event\": \"join_started\"}"),
    responses(
        (status = 204, description = "Counted"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, description = "The body is larger than the limit", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
async fn record_view(
    State(state): State<AppState>,
    client: Client,
    ApiPath(slug): ApiPath<String>,
    ApiBytes(body): ApiBytes,
) -> ApiResult<StatusCode> {
    let event = if body.iter().all(u8::is_ascii_whitespace) {
        ViewEvent::default()
    } else {
        serde_json::from_slice::<ViewEvent>(&body).map_err(|e| {
            if e.is_data() {
                ApiError::InvalidBody(format!(
                    "{e}; send nothing, or {{\"event\": \"view\"}} or {{\"event\": \"join_started\"}}"
                ))
            } else {
                ApiError::InvalidJson(format!("the body is not valid JSON: {e}"))
            }
        })?
    };
    let (campaign, visitor) = visiting(&state, &slug, &client).await?;
    let event = event.event.unwrap_or(VisitorEvent::View);
    state
        .store
        .record_visitor_event(campaign.id, Utc::now().date_naive(), event, &visitor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List a campaign's fans (not those who left), oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/fans", tag = "fans",
    description = "At most 1000 per page (default 100).",
    params(("slug" = String, Path, description = "The campaign's slug"), PageParams),
    responses(
        (status = 200, body = Listing<FanView>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn list_fans(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<ApiJson<Listing<FanView>>> {
    let page = pagination::requested(&params, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let fans = state
        .store
        .list_fans(campaign.id, pagination::probe(page))
        .await?;
    Ok(ApiJson(pagination::listing(
        fans,
        page,
        |f| f.id,
        FanView::from,
    )))
}

/// A spreadsheet cell may not start with these: Excel and LibreOffice would run it as a formula
/// (CSV injection, OWASP). A leading apostrophe makes them show it as text.
fn csv_safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// Export a campaign's fans as CSV (UTF-8, one header line).
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/fans.csv", tag = "fans",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses(
        (status = 200, content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn export_fans(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKeyRecord>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<impl IntoResponse> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let body = fans_csv(&state, &campaign).await?;
    tracing::info!(campaign = %campaign.slug, api_key = key.id, "fans exported");
    Ok(csv_response(&campaign, body))
}

/// The CSV download of a campaign's fans (API and dashboard).
pub(crate) fn csv_response(campaign: &Campaign, body: Vec<u8>) -> impl IntoResponse + use<> {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-fans.csv\"", campaign.slug),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
}

/// Every fan who has not been erased, oldest first, as CSV (UTF-8, one header line).
pub(crate) async fn fans_csv(state: &AppState, campaign: &Campaign) -> ApiResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| ApiError::Internal(format!("CSV: {e}"));
    writer
        .write_record([
            "ref_code",
            "name",
            "email",
            "referrer",
            "depth",
            "flags",
            "joined_at",
        ])
        .map_err(csv_error)?;
    let mut after = None;
    loop {
        let fans = state
            .store
            .list_fans(
                campaign.id,
                Page {
                    after,
                    limit: MAX_PAGE_SIZE,
                },
            )
            .await?;
        let Some(last) = fans.last() else { break };
        after = Some(last.id);
        for fan in fans {
            let flags: Vec<&str> = fan.flags.iter().map(|f| f.as_str()).collect();
            writer
                .write_record([
                    fan.ref_code.map(|c| c.to_string()).unwrap_or_default(),
                    csv_safe(fan.name.as_deref().unwrap_or_default()),
                    csv_safe(fan.email.as_deref().unwrap_or_default()),
                    fan.referrer_ref_code.unwrap_or_default(),
                    fan.depth.to_string(),
                    flags.join(" "),
                    fan.joined_at.to_rfc3339(),
                ])
                .map_err(csv_error)?;
        }
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("CSV: {e}")))
}

/// Erase a fan (a data-subject request): name, e-mail, code and token are removed; anonymous
/// counts and the referral chain stay.
#[utoipa::path(delete, path = "/api/v1/campaigns/{slug}/fans/{ref_code}", tag = "fans",
    params(
        ("slug" = String, Path, description = "The campaign's slug"),
        ("ref_code" = String, Path, description = "The fan's ref code"),
    ),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn erase_fan(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKeyRecord>,
    ApiPath((slug, ref_code)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let not_found = || ApiError::NotFound {
        code: ErrorCode::FanNotFound,
        message: format!(
            "campaign \"{}\" has no fan with ref code \"{ref_code}\"",
            campaign.slug
        ),
    };
    let code = RefCode::parse(&ref_code).ok_or_else(not_found)?;
    let fan = state
        .store
        .find_fan_by_ref_code(campaign.id, &code)
        .await?
        .ok_or_else(not_found)?;
    state.store.erase_fan(fan.id).await?;
    tracing::info!(campaign = %campaign.slug, api_key = key.id, "fan erased");
    Ok(StatusCode::NO_CONTENT)
}

//! Campaigns: the admin API (create, list, read, change, delete) and the public read.

use std::collections::BTreeMap;

use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use fanfare_core::ValidationError;
use fanfare_core::api_key::ApiKeyRecord;
use fanfare_core::campaign::{Campaign, CampaignKind, CampaignSettings, RawCampaignSettings, Slug};
use fanfare_core::error_code::ErrorCode;
use fanfare_core::fan::RefCode;
use fanfare_core::link::{Channel, split_ff_ref};
use fanfare_store::StoreError;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::{anonymous_link, find, parse_slug_path};
use crate::context::{public_name, visiting};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Listing, PageParams};
use crate::state::AppState;
use crate::urls::{LinkRoute, link_urls};
use crate::visitor::Client;

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_campaign, list_campaigns))
        .routes(routes!(get_campaign, update_campaign, delete_campaign))
}

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_public_campaign))
}

/// A new campaign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    /// `[a-z0-9-]{1,64}`; used in every URL of the campaign; cannot be changed later.
    #[schema(example = "spring-launch", pattern = "^[a-z0-9-]{1,64}$")]
    pub slug: String,
    #[schema(value_type = CampaignKind)]
    pub kind: String,
    #[schema(example = "The spring collection", max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Absolute http(s) URL where fans land.
    #[schema(
        example = "https://www.example.com/spring",
        format = "uri",
        max_length = 2048,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
    pub landing_url: String,
    /// Hosts the campaign's links may point to (subdomains included). Default: the landing URL's host.
    pub allowed_domains: Option<Vec<String>>,
    #[schema(
        format = "uri",
        max_length = 2048,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
    pub image_url: Option<String>,
    /// The background of the generated share card (`/c/{slug}/card.png`), `#rrggbb`.
    #[schema(example = "#b0124f", pattern = "^#[0-9A-Fa-f]{6}$")]
    pub brand_color: Option<String>,
    /// Without `#`; letters, digits and underscores.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// The ways of sharing its share bars offer, in order. Default: all of them.
    #[schema(value_type = Option<Vec<Channel>>)]
    pub channels: Option<Vec<String>>,
}

/// Changes to a campaign: only the fields present change; `null` clears an optional field
/// (`allowed_domains: null` goes back to the landing URL's host).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCampaign {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<CampaignKind>)]
    pub kind: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub landing_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_domains: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^#[0-9A-Fa-f]{6}$")]
    pub brand_color: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub hashtags: Option<Option<Vec<String>>>,
    /// `null` goes back to every channel.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<Channel>>)]
    pub channels: Option<Option<Vec<String>>>,
}

/// Tells a field sent as `null` (`Some(None)`) from a field left out (`None`, via `default`).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A campaign as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub slug: String,
    pub kind: CampaignKind,
    pub title: Option<String>,
    pub description: Option<String>,
    pub landing_url: String,
    pub allowed_domains: Vec<String>,
    pub image_url: Option<String>,
    /// `#rrggbb`, or `null` for Fanfare's own colour.
    pub brand_color: Option<String>,
    pub hashtags: Vec<String>,
    pub channels: Vec<Channel>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Campaign> for CampaignView {
    fn from(campaign: Campaign) -> Self {
        let s = campaign.settings;
        Self {
            allowed_domains: s.allowed_domain_strings(),
            hashtags: s.hashtag_strings(),
            slug: campaign.slug.to_string(),
            kind: s.kind,
            title: s.title,
            description: s.description,
            landing_url: s.landing_url.to_string(),
            image_url: s.image_url.map(|u| u.to_string()),
            brand_color: s.brand_color.map(|c| c.to_string()),
            channels: s.channels,
            created_at: campaign.created_at,
            updated_at: campaign.updated_at,
        }
    }
}

/// What anyone may read about a campaign (no allowed domains, no timestamps).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicCampaignView {
    pub slug: String,
    pub kind: CampaignKind,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub landing_url: String,
    pub hashtags: Vec<String>,
    /// Fans who count: neither flagged as suspect nor gone.
    pub fans: u64,
    /// The ways of sharing the campaign's share bars offer, in order.
    pub channels: Vec<Channel>,
    /// For visitors who share without joining: the campaign's anonymous short link per channel.
    pub links: BTreeMap<Channel, String>,
    /// Per channel, the URL that records a share and opens the network's share dialog.
    pub share_urls: BTreeMap<Channel, String>,
    /// The public name of the fan whose link the visitor came by (`ref`), when that fan may be
    /// named (the name the leaderboard shows; not for flagged or erased fans).
    pub invited_by: Option<String>,
}

/// The longest `ref` read: a ref code and its channel letter take far less.
const MAX_REF_CHARS: usize = 64;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicCampaignParams {
    /// The `ff_ref` of the link the visitor arrived by (`CODE` or `CODE-letter`).
    #[serde(rename = "ref")]
    #[param(rename = "ref", max_length = 64)]
    pub referrer: Option<String>,
}

/// Create a campaign.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns",
    request_body = CreateCampaign,
    responses(
        (status = 201, description = "Created", body = CampaignView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody),
        (status = 409, description = "The slug is taken", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn create_campaign(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKeyRecord>,
    ApiJson(body): ApiJson<CreateCampaign>,
) -> ApiResult<impl IntoResponse> {
    let slug = Slug::parse(&body.slug)?;
    let settings = CampaignSettings::parse(RawCampaignSettings {
        kind: &body.kind,
        title: body.title.as_deref(),
        description: body.description.as_deref(),
        landing_url: &body.landing_url,
        allowed_domains: body.allowed_domains.as_deref(),
        image_url: body.image_url.as_deref(),
        brand_color: body.brand_color.as_deref(),
        hashtags: &body.hashtags,
        channels: body.channels.as_deref(),
    })?;
    let campaign = state
        .store
        .create_campaign(&slug, &settings)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::Conflict {
                code: ErrorCode::SlugTaken,
                message: format!(
                    "a campaign with slug \"{slug}\" already exists; choose another slug, or PATCH that campaign"
                ),
            },
            other => other.into(),
        })?;
    tracing::info!(slug = %campaign.slug, api_key = key.id, "campaign created");
    let location = format!("/api/v1/campaigns/{}", campaign.slug);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        ApiJson(CampaignView::from(campaign)),
    ))
}

/// List campaigns in creation order, page by page.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    description = "At most 200 per page (default 50).",
    params(PageParams),
    responses(
        (status = 200, body = Listing<CampaignView>),
        (status = 400, description = "Bad limit or cursor", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn list_campaigns(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<ApiJson<Listing<CampaignView>>> {
    let page = pagination::requested(&params, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
    let campaigns = state.store.list_campaigns(pagination::probe(page)).await?;
    Ok(ApiJson(pagination::listing(
        campaigns,
        page,
        |c| c.id,
        CampaignView::from,
    )))
}

/// Read one campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}", tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses(
        (status = 200, body = CampaignView),
        (status = 400, description = "Not a valid slug", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn get_campaign(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<ApiJson<CampaignView>> {
    let slug = parse_slug_path(&slug)?;
    Ok(ApiJson(find(&state, &slug).await?.into()))
}

/// Change some fields of a campaign (the slug stays).
#[utoipa::path(patch, path = "/api/v1/campaigns/{slug}", tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign's slug")),
    request_body = UpdateCampaign,
    responses(
        (status = 200, body = CampaignView),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn update_campaign(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(changes): ApiJson<UpdateCampaign>,
) -> ApiResult<ApiJson<CampaignView>> {
    let slug = parse_slug_path(&slug)?;
    let current = find(&state, &slug).await?.settings;
    let current_domains = current.allowed_domain_strings();
    let current_hashtags = current.hashtag_strings();
    let channels = changes
        .channels
        .unwrap_or_else(|| Some(current.channel_strings()));
    let title = changes.title.unwrap_or(current.title);
    let description = changes.description.unwrap_or(current.description);
    let landing_url = required(changes.landing_url, "landing_url")?
        .unwrap_or_else(|| current.landing_url.to_string());
    let kind = required(changes.kind, "kind")?;
    let allowed_domains = changes.allowed_domains.unwrap_or(Some(current_domains));
    let image_url = changes
        .image_url
        .unwrap_or_else(|| current.image_url.map(|u| u.to_string()));
    let brand_color = changes
        .brand_color
        .unwrap_or_else(|| current.brand_color.map(|c| c.to_string()));
    let hashtags = changes
        .hashtags
        .unwrap_or(Some(current_hashtags))
        .unwrap_or_default();
    let settings = CampaignSettings::parse(RawCampaignSettings {
        kind: kind.as_deref().unwrap_or(current.kind.as_str()),
        title: title.as_deref(),
        description: description.as_deref(),
        landing_url: &landing_url,
        allowed_domains: allowed_domains.as_deref(),
        image_url: image_url.as_deref(),
        brand_color: brand_color.as_deref(),
        hashtags: &hashtags,
        channels: channels.as_deref(),
    })?;
    // A concurrent DELETE between the read and the write leaves nothing to update.
    let updated = state
        .store
        .update_campaign(&slug, &settings)
        .await?
        .ok_or_else(|| ApiError::campaign_not_found(slug.as_str()))?;
    // The landing URL may have changed: cached link targets of this campaign are stale here
    // now (and on other nodes within the cache's time to live).
    state.links.forget_campaign(updated.id);
    Ok(ApiJson(updated.into()))
}

/// A field that a PATCH may change but not remove: `null` is refused.
fn required(change: Option<Option<String>>, field: &str) -> ApiResult<Option<String>> {
    match change {
        Some(None) => Err(ValidationError::new(
            field,
            ErrorCode::RequiredField,
            format!("{field} cannot be removed; send a new value or leave the field out"),
        )
        .into()),
        Some(Some(value)) => Ok(Some(value)),
        None => Ok(None),
    }
}

/// Delete a campaign.
#[utoipa::path(delete, path = "/api/v1/campaigns/{slug}", tag = "campaigns",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn delete_campaign(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKeyRecord>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let slug = parse_slug_path(&slug)?;
    let campaign = find(&state, &slug).await?;
    if !state.store.delete_campaign(&slug).await? {
        return Err(ApiError::campaign_not_found(slug.as_str()));
    }
    state.links.forget_campaign(campaign.id);
    state
        .anonymous_links
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&campaign.id);
    tracing::info!(%slug, api_key = key.id, "campaign deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// A campaign's public face.
#[utoipa::path(get, path = "/api/public/campaigns/{slug}", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug"), PublicCampaignParams),
    responses(
        (status = 200, body = PublicCampaignView),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    ))]
async fn get_public_campaign(
    State(state): State<AppState>,
    client: Client,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<PublicCampaignParams>,
) -> ApiResult<ApiJson<PublicCampaignView>> {
    if params
        .referrer
        .as_deref()
        .is_some_and(|value| value.chars().count() > MAX_REF_CHARS)
    {
        return Err(ApiError::InvalidQuery(format!(
            "ref must be at most {MAX_REF_CHARS} characters: the ff_ref of the link followed"
        )));
    }
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let fans = state.store.count_fans(campaign.id).await?;
    // A hint, not a command: a code that is malformed or not this campaign's names nobody.
    let inviter = params
        .referrer
        .as_deref()
        .map(|value| split_ff_ref(value).0)
        .and_then(RefCode::parse);
    let invited_by = match inviter {
        Some(code) => public_name(&state, &campaign, &code).await?,
        None => None,
    };
    let key = anonymous_link(&state, campaign.id).await?;
    let links = link_urls(
        &state.config.base_url,
        &key,
        &campaign.settings.channels,
        LinkRoute::Short,
    );
    let share_urls = link_urls(
        &state.config.base_url,
        &key,
        &campaign.settings.channels,
        LinkRoute::Share,
    );
    let s = campaign.settings;
    Ok(ApiJson(PublicCampaignView {
        fans,
        links,
        share_urls,
        hashtags: s.hashtag_strings(),
        channels: s.channels,
        slug: campaign.slug.to_string(),
        kind: s.kind,
        title: s.title,
        description: s.description,
        image_url: s.image_url.map(|u| u.to_string()),
        landing_url: s.landing_url.to_string(),
        invited_by,
    }))
}

//! What a request is about, found once at the start of a handler: the campaign named in the
//! path, the visitor behind a public call (hashed, rate limited), the fan whose member token
//! it carries, and the fan a link or `ref` names (`public_name`).
//!
//! These are functions a handler calls, not extractors, on purpose: an extractor runs before the
//! body is read, so a request wrong in both its path and its body would be answered about the
//! path first, where today the body's error comes first.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use fanfare_core::campaign::{Campaign, Slug};
use fanfare_core::fan::{Fan, RefCode, hash_secret};
use fanfare_core::link::LinkKey;

use crate::auth::bearer_from_headers;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::visitor::{Client, Network};

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        Ok(Self::of(parts, state.config.trusted_proxy_header.as_ref()))
    }
}

/// A slug read from the URL's path: a malformed one answers 400 with the slug's validation code.
pub fn parse_slug_path(value: &str) -> ApiResult<Slug> {
    Slug::parse(value).map_err(|e| ApiError::InvalidPath {
        code: e.code,
        message: e.message,
    })
}

/// The campaign with this slug, or a 404 `campaign_not_found`.
pub async fn find(state: &AppState, slug: &Slug) -> ApiResult<Campaign> {
    state
        .store
        .get_campaign(slug)
        .await?
        .ok_or_else(|| ApiError::campaign_not_found(slug.as_str()))
}

/// Resolves the campaign, hashes the visitor and applies the per-visitor limit: the common start
/// of every public call that writes.
pub async fn visiting(
    state: &AppState,
    slug: &str,
    client: &Client,
) -> ApiResult<(Campaign, String)> {
    let slug = parse_slug_path(slug)?;
    let campaign = find(state, &slug).await?;
    let visitor = state
        .visitors
        .hash(&state.store, client, campaign.id)
        .await?;
    let limited = |wait: std::time::Duration| ApiError::RateLimited {
        retry_after_secs: wait.as_secs().max(1),
    };
    state.public_limiter.check(&visitor).map_err(limited)?;
    // The limiter keeps a 64-bit hash of its key, never the address.
    if let Some(network) = Network::of(client.ip) {
        state
            .network_limiter
            .check((campaign.id, network))
            .map_err(limited)?;
    }
    Ok((campaign, visitor))
}

/// The fan whose member token the request carries, in this campaign.
pub async fn member(state: &AppState, headers: &HeaderMap, campaign: &Campaign) -> ApiResult<Fan> {
    let token = bearer_from_headers(headers).ok_or(ApiError::MissingMemberToken)?;
    state
        .store
        .find_fan_by_token(&hash_secret(token))
        .await?
        .filter(|fan| fan.campaign_id == campaign.id)
        .ok_or(ApiError::InvalidMemberToken)
}

/// The name a fan is shown under in public (the leaderboard's), if they may be named: not
/// erased, not flagged, and with a name.
pub async fn public_name(
    state: &AppState,
    campaign: &Campaign,
    code: &RefCode,
) -> ApiResult<Option<String>> {
    Ok(state
        .store
        .find_fan_by_ref_code(campaign.id, code)
        .await?
        .filter(|fan| fan.erased_at.is_none() && !fan.is_flagged())
        .and_then(|fan| fan.name))
}

/// The campaign's anonymous link, made on first use and then remembered by this process.
pub async fn anonymous_link(state: &AppState, campaign_id: i64) -> ApiResult<LinkKey> {
    let known = state
        .anonymous_links
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&campaign_id)
        .cloned();
    if let Some(key) = known {
        return Ok(key);
    }
    let key = state
        .store
        .anonymous_link(campaign_id, &LinkKey::generate())
        .await?;
    state
        .anonymous_links
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(campaign_id, key.clone());
    Ok(key)
}

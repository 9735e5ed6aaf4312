//! A campaign's engagement settings (moderation rules, levels, milestones), read by every
//! appropriation call and set by the admin API.

use axum::extract::State;
use fanfare_core::ValidationError;
use fanfare_core::campaign::Campaign;
use fanfare_core::engagement::EngagementSettings;
use fanfare_core::error_code::ErrorCode;

use crate::context::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// The campaign's engagement settings (defaults until an admin sets them).
pub(crate) async fn settings_of(
    state: &AppState,
    campaign: &Campaign,
) -> ApiResult<EngagementSettings> {
    let json = state.store.engagement_settings(campaign.id).await?;
    serde_json::from_str(&json).map_err(|e| ApiError::Internal(format!("engagement settings: {e}")))
}

pub(super) fn invalid(field: &str, code: ErrorCode, message: impl Into<String>) -> ApiError {
    ValidationError::new(field, code, message).into()
}

/// The campaign's engagement settings.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/engagement", tag = "engagement",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses((status = 200, body = EngagementSettings), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub(super) async fn get_settings(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<ApiJson<EngagementSettings>> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    Ok(ApiJson(settings_of(&state, &campaign).await?))
}

/// Replace the campaign's engagement settings (moderation rules, levels, milestones).
#[utoipa::path(put, path = "/api/v1/campaigns/{slug}/engagement", tag = "engagement",
    params(("slug" = String, Path, description = "The campaign's slug")),
    request_body = EngagementSettings,
    responses((status = 200, body = EngagementSettings), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub(super) async fn put_settings(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(settings): ApiJson<EngagementSettings>,
) -> ApiResult<ApiJson<EngagementSettings>> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let settings = settings.validate()?;
    let json = serde_json::to_string(&settings).map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .set_engagement_settings(campaign.id, &json)
        .await?;
    Ok(ApiJson(settings))
}

//! Moderators curate: the queue of comments and creations waiting, decisions, and the
//! milestones reached.

use axum::extract::State;
use chrono::{DateTime, Utc};
use fanfare_core::engagement::{InteractionKind, Status};
use fanfare_core::error_code::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::interactions::InteractionView;
use super::settings::invalid;
use crate::context::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Listing, PageParams};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// creation (default) or comment.
    pub kind: Option<String>,
    /// pending (default), approved, rejected or published.
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The moderation queue: newest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/moderation", tag = "engagement",
    params(("slug" = String, Path, description = "The campaign's slug"), QueueParams),
    responses((status = 200, body = Listing<InteractionView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub(super) async fn moderation_queue(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<QueueParams>,
) -> ApiResult<ApiJson<Listing<InteractionView>>> {
    let kind = match params.kind.as_deref() {
        None | Some("creation") => InteractionKind::Creation,
        Some("comment") => InteractionKind::Comment,
        Some(_) => {
            return Err(ApiError::InvalidQuery(
                "kind must be creation or comment".into(),
            ));
        }
    };
    let status = match params.status.as_deref() {
        None => Status::Pending,
        Some(s) => Status::parse(s).ok_or_else(|| {
            ApiError::InvalidQuery("status must be pending, approved, rejected or published".into())
        })?,
    };
    let page = pagination::requested(
        &PageParams {
            limit: params.limit,
            cursor: params.cursor.clone(),
        },
        50,
        200,
    )?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let items = state
        .store
        .list_interactions(campaign.id, kind, &[status], pagination::probe(page))
        .await?;
    Ok(ApiJson(pagination::listing(
        items,
        page,
        |i| i.id,
        InteractionView::from,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// approve or reject.
    pub decision: String,
    /// A note kept with the decision.
    pub reason: Option<String>,
}

/// Approve or reject a comment or creation.
#[utoipa::path(post, path = "/api/v1/campaigns/{slug}/moderation/{id}", tag = "engagement",
    params(("slug" = String, Path, description = "The campaign's slug"), ("id" = i64, Path, description = "The interaction's id")),
    request_body = Decision,
    responses((status = 200, body = InteractionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub(super) async fn moderate(
    State(state): State<AppState>,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(decision): ApiJson<Decision>,
) -> ApiResult<ApiJson<InteractionView>> {
    let status = match decision.decision.as_str() {
        "approve" => Status::Approved,
        "reject" => Status::Rejected,
        _ => {
            return Err(invalid(
                "decision",
                ErrorCode::InvalidDecision,
                "decision must be approve or reject",
            ));
        }
    };
    let reason = decision
        .reason
        .as_deref()
        .map(|r| {
            fanfare_core::engagement::parse_display_name(r)
                .map_err(|e| invalid("reason", e.code, e.message))
        })
        .transpose()?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let before = state.store.get_interaction(campaign.id, id).await?;
    let updated = state
        .store
        .moderate_interaction(campaign.id, id, status, reason.as_deref())
        .await?
        .ok_or_else(|| ApiError::NotFound {
            code: ErrorCode::InteractionNotFound,
            message: format!(
                "campaign \"{}\" has no comment or creation {id}",
                campaign.slug
            ),
        })?;
    // Approving an approved creation again is not news.
    let was_approved = before.is_some_and(|b| b.status == Status::Approved);
    if updated.kind == InteractionKind::Creation && status == Status::Approved && !was_approved {
        crate::webhooks::creation_approved(&state, &campaign, &updated).await;
    }
    Ok(ApiJson(updated.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneRecordView {
    pub fan: Option<String>,
    pub threshold: i64,
    pub reward: String,
    pub reached_at: DateTime<Utc>,
}

/// Milestones reached by the campaign's fans, in the order they were reached.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/milestones", tag = "engagement",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses((status = 200, body = Vec<MilestoneRecordView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub(super) async fn milestones(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<ApiJson<Vec<MilestoneRecordView>>> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    Ok(ApiJson(
        state
            .store
            .list_milestones(campaign.id)
            .await?
            .into_iter()
            .map(|m| MilestoneRecordView {
                fan: m.fan_ref_code,
                threshold: m.threshold,
                reward: m.reward,
                reached_at: m.reached_at,
            })
            .collect(),
    ))
}

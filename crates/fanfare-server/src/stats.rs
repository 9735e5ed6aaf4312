//! What the campaign's loop did: for now its cascades (DESIGN §5); the funnel, rates and pillars
//! come next.

use axum::extract::State;
use fanfare_core::cascade::{CascadeFan, cascades};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::campaigns::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_cascades))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CascadeParams {
    /// 1 to 1000; default 10.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CascadeView {
    /// The ref code of the fan who started it (`null` once that fan is erased).
    pub root: Option<String>,
    pub size: u64,
    pub depth: u32,
    pub max_breadth: u64,
    /// Mean distance between two of its fans (Goel et al., 2016); 0 for a cascade of one.
    pub structural_virality: f64,
}

/// The campaign's cascades, largest first: who brought whom, over non-flagged fans.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/cascades", tag = "stats",
    params(("slug" = String, Path, description = "The campaign's slug"), CascadeParams),
    description = "Each cascade is a tree of fans linked to the fan who brought them; flagged fans are \
        left out (a fan brought by a flagged fan starts a cascade of their own). Erased fans keep their \
        place in the tree, without their ref code.",
    responses(
        (status = 200, body = Vec<CascadeView>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn list_cascades(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<CascadeParams>,
) -> ApiResult<ApiJson<Vec<CascadeView>>> {
    let limit = params.limit.unwrap_or(10);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::InvalidQuery(
            "limit must be between 1 and 1000".into(),
        ));
    }
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let graph = state.store.referral_graph(campaign.id).await?;
    let fans: Vec<CascadeFan> = graph
        .iter()
        .filter(|f| !f.flagged)
        .map(|f| CascadeFan {
            id: f.id,
            referrer_id: f.referrer_id,
        })
        .collect();
    let ref_codes: std::collections::HashMap<i64, Option<String>> = graph
        .iter()
        .map(|f| (f.id, f.ref_code.clone().filter(|_| !f.erased)))
        .collect();
    Ok(ApiJson(
        cascades(&fans)
            .into_iter()
            .take(limit as usize)
            .map(|c| CascadeView {
                root: ref_codes.get(&c.root).cloned().flatten(),
                size: c.size,
                depth: c.depth,
                max_breadth: c.max_breadth,
                structural_virality: c.structural_virality,
            })
            .collect(),
    ))
}

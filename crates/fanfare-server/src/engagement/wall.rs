//! The wall a fan appropriates the campaign on: reactions to the campaign with their counts, the
//! public comments newest first, and (for the fan asking) what they wrote that still waits for a
//! moderator. Creations have their own listing (`interactions::creations`).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use fanfare_core::engagement::{InteractionKind, Reaction, Status};
use fanfare_store::Interaction;
use serde::Serialize;
use utoipa::ToSchema;

use super::interactions::InteractionView;
use crate::auth::bearer_from_headers;
use crate::context::{member, visiting};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Listing, PageParams};
use crate::state::AppState;
use crate::visitor::Client;

/// A public comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    /// The author's name, as the leaderboard shows it.
    pub name: Option<String>,
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Wall {
    /// Every reaction (like, love, wow, clap) and how many fans gave it to the campaign.
    #[schema(value_type = BTreeMap<String, u64>)]
    pub reactions: BTreeMap<Reaction, u64>,
    /// The reactions the fan asking gave (empty without a member token).
    pub my_reactions: Vec<Reaction>,
    /// Public comments, newest first, by cursor.
    pub comments: Listing<CommentView>,
    /// The comments and creations of the fan asking that wait for a moderator, newest first.
    pub my_pending: Vec<InteractionView>,
}

/// The campaign's wall: reactions, comments, and the fan's own pending contributions.
#[utoipa::path(get, path = "/api/public/campaigns/{slug}/wall", tag = "public",
    description = "The member token is optional: with it, `my_reactions` and `my_pending` are the fan's.",
    params(("slug" = String, Path, description = "The campaign's slug"), PageParams),
    responses(
        (status = 200, body = Wall),
        (status = 400, body = ErrorBody),
        (status = 401, description = "A member token that is not valid here", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    ))]
pub(super) async fn wall(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<ApiJson<Wall>> {
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let page = pagination::requested(&params, 20, 100)?;
    let fan = match bearer_from_headers(&headers) {
        Some(_) => Some(member(&state, &headers, &campaign).await?),
        None => None,
    };
    let mut reactions: BTreeMap<Reaction, u64> = Reaction::ALL.iter().map(|r| (*r, 0)).collect();
    reactions.extend(state.store.campaign_reactions(campaign.id).await?);
    let comments = state
        .store
        .list_interactions(
            campaign.id,
            InteractionKind::Comment,
            &[Status::Published, Status::Approved],
            pagination::probe(page),
        )
        .await?;
    let comments = pagination::listing(comments, page, |c| c.id, comment_view);
    let (mut my_reactions, mut my_pending) = (Vec::new(), Vec::new());
    if let Some(fan) = fan {
        for interaction in state.store.fan_interactions(fan.id).await? {
            match (interaction.kind, interaction.reaction) {
                (InteractionKind::Reaction, Some(reaction)) if interaction.target_id.is_none() => {
                    my_reactions.push(reaction);
                }
                (InteractionKind::Comment | InteractionKind::Creation, _)
                    if interaction.status == Status::Pending =>
                {
                    my_pending.push(InteractionView::from(interaction));
                }
                _ => {}
            }
        }
    }
    my_reactions.sort();
    Ok(ApiJson(Wall {
        reactions,
        my_reactions,
        comments,
        my_pending,
    }))
}

fn comment_view(comment: Interaction) -> CommentView {
    CommentView {
        id: comment.id,
        name: comment.display_name.or(comment.fan_name),
        body: comment.body,
        created_at: comment.created_at,
    }
}

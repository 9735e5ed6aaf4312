//! Fans appropriate: reactions, comments and creations, and the approved creations others see.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use fanfare_core::campaign::{Campaign, WebUrl};
use fanfare_core::engagement::{
    CreationLinks, EngagementSettings, InteractionKind, Reaction, Status, hot_score, parse_body,
    parse_display_name,
};
use fanfare_core::error_code::ErrorCode;
use fanfare_store::{Interaction, NewInteraction, Page, StoreError, now};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::settings::{invalid, settings_of};
use crate::context::member;
use crate::context::visiting;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Listing, PageParams};
use crate::state::AppState;
use crate::visitor::Client;

/// An interaction: a reaction (to the campaign, or to a creation with `target`), a comment or
/// a creation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionRequest {
    #[schema(value_type = InteractionKind)]
    pub kind: String,
    /// For a reaction: like, love, wow or clap.
    #[schema(value_type = Option<Reaction>)]
    pub reaction: Option<String>,
    /// For a reaction to a creation: the creation's id.
    pub target: Option<i64>,
    /// The text of a comment or creation (up to 2000 characters, shown as text).
    pub body: Option<String>,
    /// A creation's link to an image or video (https; or on the campaign's domains, as its
    /// settings say).
    pub url: Option<String>,
    /// The name to publish a creation under, instead of the fan's own.
    pub display_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionView {
    pub id: i64,
    pub kind: InteractionKind,
    pub reaction: Option<Reaction>,
    pub target: Option<i64>,
    pub body: Option<String>,
    pub url: Option<String>,
    /// The name shown publicly.
    pub name: Option<String>,
    /// The author's ref code.
    pub fan: Option<String>,
    pub status: Status,
    /// Why a rule or a moderator decided.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Interaction> for InteractionView {
    fn from(i: Interaction) -> Self {
        Self {
            id: i.id,
            kind: i.kind,
            reaction: i.reaction,
            target: i.target_id,
            body: i.body,
            url: i.url,
            name: i.display_name.or(i.fan_name),
            fan: i.fan_ref_code,
            status: i.status,
            reason: i.reason,
            created_at: i.created_at,
        }
    }
}

/// React, comment or create (with the member token from joining).
#[utoipa::path(post, path = "/api/public/campaigns/{slug}/interactions", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug")),
    request_body = InteractionRequest,
    responses(
        (status = 201, body = InteractionView),
        (status = 200, description = "This reaction was already given: the same one", body = InteractionView),
        (status = 401, description = "Missing or invalid member token", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody),
    ),
    security(("member_token" = [])))]
pub(super) async fn interact(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<InteractionRequest>,
) -> ApiResult<Response> {
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let fan = member(&state, &headers, &campaign).await?;
    state
        .fan_limiter
        .check(fan.id)
        .map_err(|wait| ApiError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        })?;
    let kind = InteractionKind::parse(&body.kind).ok_or_else(|| {
        invalid(
            "kind",
            ErrorCode::InvalidKind,
            "kind must be reaction, comment or creation",
        )
    })?;
    let ref_code = fan
        .ref_code
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut new = NewInteraction {
        campaign_id: campaign.id,
        fan_id: fan.id,
        kind,
        reaction: None,
        target_id: None,
        body: None,
        url: None,
        display_name: None,
        status: Status::Published,
        reason: None,
        created_at: now(),
    };
    match kind {
        InteractionKind::Reaction => {
            if body.body.is_some() || body.url.is_some() || body.display_name.is_some() {
                return Err(invalid(
                    "body",
                    ErrorCode::UnexpectedField,
                    "a reaction has no body, url or display_name",
                ));
            }
            let reaction = body
                .reaction
                .as_deref()
                .and_then(Reaction::parse)
                .ok_or_else(|| {
                    invalid(
                        "reaction",
                        ErrorCode::InvalidReaction,
                        "reaction must be like, love, wow or clap",
                    )
                })?;
            if let Some(target) = body.target {
                let creation = state.store.get_interaction(campaign.id, target).await?;
                if !creation
                    .is_some_and(|c| c.kind == InteractionKind::Creation && c.status.is_public())
                {
                    return Err(invalid(
                        "target",
                        ErrorCode::InvalidTarget,
                        "target is not a published creation of this campaign",
                    ));
                }
            }
            new.reaction = Some(reaction);
            new.target_id = body.target;
        }
        InteractionKind::Comment | InteractionKind::Creation => {
            if body.reaction.is_some() || body.target.is_some() {
                return Err(invalid(
                    "reaction",
                    ErrorCode::UnexpectedField,
                    "only a reaction has reaction or target",
                ));
            }
            // Only what a person wrote is moderated: reactions need no settings.
            let settings = settings_of(&state, &campaign).await?;
            new.body = body.body.as_deref().map(parse_body).transpose()?;
            if kind == InteractionKind::Comment {
                if new.body.is_none() {
                    return Err(invalid(
                        "body",
                        ErrorCode::EmptyText,
                        "a comment needs a body",
                    ));
                }
                if body.url.is_some() || body.display_name.is_some() {
                    return Err(invalid(
                        "url",
                        ErrorCode::UnexpectedField,
                        "a comment has no url or display_name; post a creation",
                    ));
                }
            } else {
                new.url = body
                    .url
                    .as_deref()
                    .map(|u| creation_url(&campaign, &settings, u))
                    .transpose()?;
                if new.body.is_none() && new.url.is_none() {
                    return Err(invalid(
                        "body",
                        ErrorCode::EmptyText,
                        "a creation needs a body, a url, or both",
                    ));
                }
                new.display_name = body
                    .display_name
                    .as_deref()
                    .map(parse_display_name)
                    .transpose()?;
            }
            let texts: Vec<&str> = [
                new.body.as_deref(),
                new.url.as_deref(),
                new.display_name.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            let (status, reason) = settings.moderate(kind, &texts, &ref_code);
            new.status = status;
            new.reason = reason;
        }
    }
    match state.store.add_interaction(&new).await {
        Ok(stored) => {
            // A rule may approve a creation at once.
            if stored.kind == InteractionKind::Creation && stored.status == Status::Approved {
                crate::webhooks::creation_approved(&state, &campaign, &stored).await;
            }
            Ok((StatusCode::CREATED, ApiJson(InteractionView::from(stored))).into_response())
        }
        // The same reaction again: idempotent, answer with the one already given.
        Err(StoreError::Conflict(_)) => {
            let existing = state
                .store
                .fan_interactions(fan.id)
                .await?
                .into_iter()
                .find(|i| {
                    i.kind == InteractionKind::Reaction
                        && i.reaction == new.reaction
                        && i.target_id == new.target_id
                })
                .ok_or_else(|| ApiError::Internal("a conflicting reaction vanished".into()))?;
            Ok((StatusCode::OK, ApiJson(InteractionView::from(existing))).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

fn creation_url(
    campaign: &Campaign,
    settings: &EngagementSettings,
    value: &str,
) -> ApiResult<String> {
    let url = WebUrl::parse("url", value)?;
    match settings.creation_links {
        CreationLinks::AnyHttps if url.url().scheme() != "https" => Err(invalid(
            "url",
            ErrorCode::InvalidUrl,
            "a creation's link must be an https URL",
        )),
        CreationLinks::AllowedDomains
            if !campaign
                .settings
                .allowed_domains
                .iter()
                .any(|d| d.covers(&url.host())) =>
        {
            Err(invalid(
                "url",
                ErrorCode::UrlNotAllowed,
                "this campaign accepts links on its own domains only",
            ))
        }
        _ => Ok(url.to_string()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetParams {
    /// The creation the reaction was given to; none for the campaign itself.
    pub target: Option<i64>,
}

/// Take a reaction back.
#[utoipa::path(delete, path = "/api/public/campaigns/{slug}/interactions/reactions/{reaction}", tag = "public",
    params(
        ("slug" = String, Path, description = "The campaign's slug"),
        ("reaction" = Reaction, Path, description = "like, love, wow or clap"),
        TargetParams,
    ),
    responses(
        (status = 204, description = "Taken back"),
        (status = 401, body = ErrorBody),
        (status = 404, description = "The fan had not given it", body = ErrorBody),
    ),
    security(("member_token" = [])))]
pub(super) async fn take_back_reaction(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath((slug, reaction)): ApiPath<(String, String)>,
    ApiQuery(params): ApiQuery<TargetParams>,
) -> ApiResult<StatusCode> {
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let fan = member(&state, &headers, &campaign).await?;
    let not_found = || ApiError::NotFound {
        code: ErrorCode::ReactionNotFound,
        message: "this fan has not given that reaction there".into(),
    };
    let reaction = Reaction::parse(&reaction).ok_or_else(not_found)?;
    if !state
        .store
        .remove_reaction(fan.id, reaction, params.target)
        .await?
    {
        return Err(not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreationParams {
    /// `newest` (default, paginated) or `hot`: (reactions + 1) / (age in hours + 2)^1.5, first
    /// page only.
    pub sort: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreationView {
    pub id: i64,
    pub name: Option<String>,
    pub body: Option<String>,
    pub url: Option<String>,
    pub reactions: u64,
    pub created_at: DateTime<Utc>,
}

/// Approved creations, newest first or hottest first.
#[utoipa::path(get, path = "/api/public/campaigns/{slug}/creations", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug"), CreationParams),
    responses((status = 200, body = Listing<CreationView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn creations(
    State(state): State<AppState>,
    client: Client,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<CreationParams>,
) -> ApiResult<ApiJson<Listing<CreationView>>> {
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let hot = match params.sort.as_deref() {
        None | Some("newest") => false,
        Some("hot") => true,
        Some(_) => return Err(ApiError::InvalidQuery("sort must be newest or hot".into())),
    };
    let page = pagination::requested(
        &PageParams {
            limit: params.limit,
            cursor: params.cursor.clone(),
        },
        20,
        100,
    )?;
    let reactions: HashMap<i64, u64> = state
        .store
        .reactions_per_creation(campaign.id)
        .await?
        .into_iter()
        .collect();
    let view = |i: Interaction| creation_view(i, &reactions);
    if hot {
        // The hot order changes as time passes: it has one page, the best of the latest 500.
        let mut recent = state
            .store
            .list_interactions(
                campaign.id,
                InteractionKind::Creation,
                &[Status::Approved],
                Page {
                    after: None,
                    limit: 500,
                },
            )
            .await?;
        let at = Utc::now();
        let score = |i: &Interaction| {
            hot_score(reactions.get(&i.id).copied().unwrap_or(0), i.created_at, at)
        };
        recent.sort_by(|a, b| score(b).total_cmp(&score(a)).then(b.id.cmp(&a.id)));
        recent.truncate(page.limit as usize);
        return Ok(ApiJson(Listing {
            items: recent.into_iter().map(view).collect(),
            next_cursor: None,
        }));
    }
    let items = state
        .store
        .list_interactions(
            campaign.id,
            InteractionKind::Creation,
            &[Status::Approved],
            pagination::probe(page),
        )
        .await?;
    Ok(ApiJson(pagination::listing(items, page, |i| i.id, view)))
}

/// The newest approved creations, with their reactions (the hosted page shows them).
pub(crate) async fn recent_creations(
    state: &AppState,
    campaign: &Campaign,
    limit: u32,
) -> ApiResult<Vec<CreationView>> {
    let reactions: HashMap<i64, u64> = state
        .store
        .reactions_per_creation(campaign.id)
        .await?
        .into_iter()
        .collect();
    let items = state
        .store
        .list_interactions(
            campaign.id,
            InteractionKind::Creation,
            &[Status::Approved],
            Page { after: None, limit },
        )
        .await?;
    Ok(items
        .into_iter()
        .map(|i| creation_view(i, &reactions))
        .collect())
}

fn creation_view(i: Interaction, reactions: &HashMap<i64, u64>) -> CreationView {
    CreationView {
        reactions: reactions.get(&i.id).copied().unwrap_or(0),
        id: i.id,
        name: i.display_name.or(i.fan_name),
        body: i.body,
        url: i.url,
        created_at: i.created_at,
    }
}

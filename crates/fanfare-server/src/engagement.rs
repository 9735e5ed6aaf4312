//! Appropriation over HTTP: fans react, comment and create; moderators curate; ambassadors are
//! ranked; milestones reward fans who bring others. The formulas live in
//! `fanfare_core::engagement`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use fanfare_core::ValidationError;
use fanfare_core::campaign::{Campaign, WebUrl};
use fanfare_core::engagement::{
    Activity, CreationLinks, EngagementSettings, InteractionKind, Reaction, Status,
    engagement_score, hot_score, parse_body, parse_display_name, referral_counts,
};
use fanfare_core::error_code::ErrorCode;
use fanfare_core::fan::Fan;
use fanfare_core::link::Channel;
use fanfare_store::{GraphFan, Interaction, NewInteraction, Page, StoreError, now};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::member;
use crate::context::visiting;
use crate::context::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Listing, PageParams};
use crate::state::AppState;
use crate::urls::{LinkRoute, link_urls};
use crate::visitor::Client;

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(interact))
        .routes(routes!(take_back_reaction))
        .routes(routes!(creations))
        .routes(routes!(leaderboard))
        .routes(routes!(my_page))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(moderation_queue))
        .routes(routes!(moderate))
        .routes(routes!(milestones))
}

/// The campaign's engagement settings (defaults until an admin sets them).
pub(crate) async fn settings_of(
    state: &AppState,
    campaign: &Campaign,
) -> ApiResult<EngagementSettings> {
    let json = state.store.engagement_settings(campaign.id).await?;
    serde_json::from_str(&json).map_err(|e| ApiError::Internal(format!("engagement settings: {e}")))
}

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

fn invalid(field: &str, code: ErrorCode, message: impl Into<String>) -> ApiError {
    ValidationError::new(field, code, message).into()
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
async fn interact(
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
        .check(&fan.id.to_string())
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
async fn take_back_reaction(
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
async fn creations(
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

/// A fan's standing: what the leaderboard and the fan's page show.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Standing {
    pub name: Option<String>,
    pub ref_code: Option<String>,
    /// Fans brought directly (flagged ones left out).
    pub referred: u64,
    /// Fans brought over all generations below.
    pub reach: u64,
    pub score: u64,
    pub level: String,
    /// Flagged fans have a page of their own but no place on the leaderboard.
    #[serde(skip)]
    pub flagged: bool,
}

/// Every fan's standing (erased fans aside), in leaderboard order.
async fn standings(
    state: &AppState,
    campaign: &Campaign,
) -> ApiResult<(Vec<(i64, Standing)>, EngagementSettings)> {
    let settings = settings_of(state, campaign).await?;
    let graph = state.store.referral_graph(campaign.id).await?;
    let nodes: Vec<fanfare_core::engagement::Node> = graph
        .iter()
        .map(|f| fanfare_core::engagement::Node {
            id: f.id,
            referrer_id: f.referrer_id,
            flagged: f.flagged,
        })
        .collect();
    let counts = referral_counts(&nodes);
    let activity: HashMap<i64, Activity> = state
        .store
        .activity(campaign.id)
        .await?
        .into_iter()
        .collect();
    let mut ranked: Vec<(i64, Standing, &GraphFan)> = graph
        .iter()
        .filter(|f| !f.erased)
        .map(|f| {
            let (referred, reach) = counts.get(&f.id).copied().unwrap_or((0, 0));
            let score = engagement_score(
                activity.get(&f.id).copied().unwrap_or_default(),
                referred,
                reach,
            );
            let standing = Standing {
                name: f.name.clone(),
                ref_code: f.ref_code.clone(),
                referred,
                reach,
                score,
                level: settings.level(score).to_owned(),
                flagged: f.flagged,
            };
            (f.id, standing, f)
        })
        .collect();
    // Fans referred, then reach, then who joined first (ids grow with joins).
    ranked.sort_by(|a, b| {
        b.1.referred
            .cmp(&a.1.referred)
            .then(b.1.reach.cmp(&a.1.reach))
            .then(a.2.joined_at.cmp(&b.2.joined_at))
            .then(a.0.cmp(&b.0))
    });
    Ok((
        ranked.into_iter().map(|(id, s, _)| (id, s)).collect(),
        settings,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LeaderboardParams {
    /// 1 to 100; default 10.
    pub limit: Option<u32>,
}

/// Ambassadors ranked by fans brought directly, then over all generations, then by who joined
/// first; only fans who brought at least one, flagged fans neither shown nor counted.
#[utoipa::path(get, path = "/api/public/campaigns/{slug}/leaderboard", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug"), LeaderboardParams),
    responses((status = 200, body = Vec<Standing>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn leaderboard(
    State(state): State<AppState>,
    client: Client,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<LeaderboardParams>,
) -> ApiResult<ApiJson<Vec<Standing>>> {
    let limit = params.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::InvalidQuery(
            "limit must be between 1 and 100".into(),
        ));
    }
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    Ok(ApiJson(top_ambassadors(&state, &campaign, limit).await?))
}

/// The leaderboard: fans who brought at least one, flagged fans left out.
pub(crate) async fn top_ambassadors(
    state: &AppState,
    campaign: &Campaign,
    limit: u32,
) -> ApiResult<Vec<Standing>> {
    let (ranked, _) = standings(state, campaign).await?;
    Ok(ranked
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| s.referred > 0 && !s.flagged)
        .take(limit as usize)
        .collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyLink {
    pub channel: Channel,
    pub url: String,
    pub clicks: u64,
    pub unique_clicks: u64,
    pub shares: u64,
    pub fans: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneView {
    pub threshold: i64,
    pub reward: String,
    pub reached_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyPage {
    #[serde(flatten)]
    pub standing: Standing,
    /// Rank among the campaign's ambassadors (fans who brought at least one); `null` before the
    /// first fan brought.
    pub rank: Option<u64>,
    pub links: Vec<MyLink>,
    pub creations: Vec<InteractionView>,
    pub milestones: Vec<MilestoneView>,
}

/// The fan's own page: rank, level, links with their clicks and fans, creations, milestones.
#[utoipa::path(get, path = "/api/public/campaigns/{slug}/fans/me", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses((status = 200, body = MyPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("member_token" = [])))]
async fn my_page(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<ApiJson<MyPage>> {
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let fan = member(&state, &headers, &campaign).await?;
    let (ranked, _) = standings(&state, &campaign).await?;
    let ambassador_rank = ranked
        .iter()
        .filter(|(_, s)| s.referred > 0 && !s.flagged)
        .position(|(id, _)| *id == fan.id)
        .map(|i| i as u64 + 1);
    let standing = ranked
        .iter()
        .find(|(id, _)| *id == fan.id)
        .map(|(_, s)| s.clone())
        .ok_or(ApiError::InvalidMemberToken)?;
    let mut links = Vec::new();
    if let Some(key) = &fan.link_key
        && let Some(target) = state.store.find_link(key).await?
    {
        let report = state
            .store
            .link_reports(
                campaign.id,
                Page {
                    after: Some(target.link_id - 1),
                    limit: 1,
                },
            )
            .await?
            .into_iter()
            .find(|r| r.link.id == target.link_id);
        let urls = link_urls(
            &state.config.base_url,
            key,
            &campaign.settings.channels,
            LinkRoute::Short,
        );
        for (channel, url) in urls {
            let stats = report
                .as_ref()
                .and_then(|r| r.channels.iter().find(|(c, _)| *c == channel))
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            links.push(MyLink {
                channel,
                url,
                clicks: stats.clicks,
                unique_clicks: stats.unique_clicks,
                shares: stats.shares,
                fans: stats.fans,
            });
        }
    }
    let creations = state
        .store
        .fan_interactions(fan.id)
        .await?
        .into_iter()
        .filter(|i| i.kind == InteractionKind::Creation)
        .map(InteractionView::from)
        .collect();
    let milestones = state
        .store
        .list_milestones(campaign.id)
        .await?
        .into_iter()
        .filter(|m| m.fan_id == fan.id)
        .map(|m| MilestoneView {
            threshold: m.threshold,
            reward: m.reward,
            reached_at: m.reached_at,
        })
        .collect();
    Ok(ApiJson(MyPage {
        standing,
        rank: ambassador_rank,
        links,
        creations,
        milestones,
    }))
}

/// Records the milestones a referrer has just reached (after a fan joined through them).
pub(crate) async fn reward_referrer(
    state: &AppState,
    campaign: &Campaign,
    referrer: &Fan,
) -> ApiResult<()> {
    let settings = settings_of(state, campaign).await?;
    if settings.milestones.is_empty() {
        return Ok(());
    }
    let referred = state.store.count_referred(referrer.id).await?;
    let reached: Vec<_> = settings
        .milestones
        .into_iter()
        .filter(|m| m.threshold <= referred)
        .collect();
    let awarded = state
        .store
        .award_milestones(campaign.id, referrer.id, &reached, now())
        .await?;
    for threshold in awarded {
        tracing::info!(campaign = %campaign.slug, threshold, "milestone reached");
        let reward = reached
            .iter()
            .find(|m| m.threshold == threshold)
            .map_or("", |m| m.reward.as_str());
        crate::webhooks::milestone_reached(state, campaign, referrer, threshold, reward).await;
    }
    Ok(())
}

/// The campaign's engagement settings.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/engagement", tag = "engagement",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses((status = 200, body = EngagementSettings), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
async fn get_settings(
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
async fn put_settings(
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

#[derive(Debug, Deserialize, IntoParams)]
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
async fn moderation_queue(
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
async fn moderate(
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
async fn milestones(
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

//! Ambassadors: standings, the public leaderboard, a fan's own page, and the milestones that
//! reward fans who bring others.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use fanfare_core::campaign::Campaign;
use fanfare_core::engagement::{
    Activity, EngagementSettings, InteractionKind, engagement_score, referral_counts,
};
use fanfare_core::fan::Fan;
use fanfare_core::link::Channel;
use fanfare_store::{GraphFan, Page, now};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::interactions::InteractionView;
use super::settings::settings_of;
use crate::context::member;
use crate::context::visiting;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::urls::{LinkRoute, link_urls};
use crate::visitor::Client;

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
pub(super) async fn standings(
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
#[into_params(parameter_in = Query)]
pub struct LeaderboardParams {
    /// 1 to 100; default 10.
    pub limit: Option<u32>,
}

/// Ambassadors ranked by fans brought directly, then over all generations, then by who joined
/// first; only fans who brought at least one, flagged fans neither shown nor counted.
#[utoipa::path(get, path = "/api/public/campaigns/{slug}/leaderboard", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug"), LeaderboardParams),
    responses((status = 200, body = Vec<Standing>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn leaderboard(
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

/// The next milestone a fan can reach by bringing friends.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct NextMilestone {
    /// Fans to bring directly (flagged ones left out).
    pub threshold: u64,
    pub reward: String,
}

/// The next level a fan can reach by their engagement score.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct NextLevel {
    pub name: String,
    pub min_score: u64,
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
    /// The lowest milestone above the fans brought so far; `null` when none is left.
    pub next_milestone: Option<NextMilestone>,
    /// The level after the fan's; `null` at the top.
    pub next_level: Option<NextLevel>,
}

/// The fan's own page: rank, level, links with their clicks and fans, creations, milestones.
#[utoipa::path(get, path = "/api/public/campaigns/{slug}/fans/me", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses((status = 200, body = MyPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("member_token" = [])))]
pub(super) async fn my_page(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<ApiJson<MyPage>> {
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let fan = member(&state, &headers, &campaign).await?;
    let (ranked, settings) = standings(&state, &campaign).await?;
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
    let (next_milestone, next_level) = (
        next_milestone(&settings, standing.referred),
        next_level(&settings, standing.score),
    );
    Ok(ApiJson(MyPage {
        standing,
        rank: ambassador_rank,
        next_milestone,
        next_level,
        links,
        creations,
        milestones,
    }))
}

fn next_milestone(settings: &EngagementSettings, referred: u64) -> Option<NextMilestone> {
    settings
        .milestones
        .iter()
        .filter(|m| m.threshold > referred)
        .min_by_key(|m| m.threshold)
        .map(|m| NextMilestone {
            threshold: m.threshold,
            reward: m.reward.clone(),
        })
}

fn next_level(settings: &EngagementSettings, score: u64) -> Option<NextLevel> {
    settings
        .levels
        .iter()
        .filter(|l| l.min_score > score)
        .min_by_key(|l| l.min_score)
        .map(|l| NextLevel {
            name: l.name.clone(),
            min_score: l.min_score,
        })
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

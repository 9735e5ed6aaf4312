//! The moderation queue of a campaign's report: the creations and comments waiting, each with
//! its approve and reject buttons.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fanfare_core::account::Role;
use fanfare_core::campaign::Campaign;
use fanfare_core::engagement::{InteractionKind, Status};
use fanfare_store::{AdminSession, Page};
use maud::{Markup, html};
use serde::Deserialize;

use super::extract::PageForm;
use super::layout::{layout, page, problem};
use super::session::{csrf_refused, same_origin, signed_in};
use crate::context::{find, parse_slug_path};
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;

/// The moderation queue on a page of its own: where a moderator works.
pub async fn moderation_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_moderate).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let title = format!(
        "Moderation · {}",
        campaign
            .settings
            .title
            .as_deref()
            .unwrap_or(campaign.slug.as_str())
    );
    let body = html! {
        h1 { (title) }
        (moderation_queue(&state, &campaign, &current).await?)
    };
    Ok(page(
        StatusCode::OK,
        layout(&title, Some(&current), html! {}, body),
    ))
}

pub async fn moderation_queue(
    state: &AppState,
    campaign: &Campaign,
    current: &AdminSession,
) -> ApiResult<Markup> {
    let mut waiting = Vec::new();
    for kind in [InteractionKind::Creation, InteractionKind::Comment] {
        let pending = state
            .store
            .list_interactions(
                campaign.id,
                kind,
                &[Status::Pending],
                Page {
                    after: None,
                    limit: 20,
                },
            )
            .await?;
        waiting.extend(pending);
    }
    let slug = campaign.slug.as_str();
    Ok(html! {
        section.queue #moderation {
            h2 { "Moderation queue" }
            @if waiting.is_empty() {
                p { "Nothing waits for a decision." }
            }
            @for item in &waiting {
                @let action = format!("/admin/campaigns/{slug}/moderation/{}", item.id);
                article {
                    p {
                        b { (item.kind.as_str()) }
                        " by "
                        (item.display_name.as_deref().or(item.fan_name.as_deref()).unwrap_or("(erased)"))
                        " · "
                        (item.created_at.format("%Y-%m-%d %H:%M UTC"))
                    }
                    p { (item.body.as_deref().unwrap_or("")) }
                    @if let Some(url) = &item.url {
                        p { a href=(url) rel="noopener noreferrer nofollow" target="_blank" { (url) } }
                    }
                    @for (decision, label) in [("approve", "Approve"), ("reject", "Reject")] {
                        form method="post" action=(action) {
                            input type="hidden" name="csrf" value=(current.csrf_token);
                            input type="hidden" name="decision" value=(decision);
                            button type="submit" { (label) }
                        }
                    }
                }
            }
        }
    })
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

pub async fn moderate(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    PageForm(form): PageForm<DecisionForm>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_moderate).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    if form.csrf != current.csrf_token || !same_origin(&state, &headers) {
        return Ok(csrf_refused());
    }
    let refused = |status: StatusCode, message: &str| {
        page(
            status,
            layout("Moderation", Some(&current), html! {}, problem(message)),
        )
    };
    let status = match form.decision.as_str() {
        "approve" => Status::Approved,
        "reject" => Status::Rejected,
        _ => {
            return Ok(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The decision must be approve or reject.",
            ));
        }
    };
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let before = state.store.get_interaction(campaign.id, id).await?;
    let decided = state
        .store
        .moderate_interaction(campaign.id, id, status, None)
        .await?;
    // Approving an approved creation again is not news.
    let was_approved = before.is_some_and(|b| b.status == Status::Approved);
    if let Some(creation) = &decided
        && creation.kind == InteractionKind::Creation
        && status == Status::Approved
        && !was_approved
    {
        crate::webhooks::creation_approved(&state, &campaign, creation).await;
    }
    if decided.is_none() {
        return Ok(refused(
            StatusCode::NOT_FOUND,
            "This campaign has no such comment or creation.",
        ));
    }
    tracing::info!(campaign = %campaign.slug, interaction = id, decision = %form.decision, "moderated from the dashboard");
    // Back where the decision was taken: the report (administrators) or the queue's own page.
    let back = if current.user.role.can_read_reports() {
        format!("/admin/campaigns/{}#moderation", campaign.slug)
    } else {
        format!("/admin/campaigns/{}/moderation", campaign.slug)
    };
    Ok(Redirect::to(&back).into_response())
}

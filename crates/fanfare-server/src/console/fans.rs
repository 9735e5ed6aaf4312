//! The fans of a campaign's report, a page at a time, and their CSV export.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use fanfare_core::account::Role;
use fanfare_core::campaign::Campaign;
use fanfare_store::Page;
use maud::{Markup, html};

use super::session::signed_in;
use crate::context::{find, parse_slug_path};
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::fans::{csv_response, fans_csv};
use crate::state::AppState;

const FANS_PER_PAGE: u32 = 25;

pub async fn fans_list(
    state: &AppState,
    campaign: &Campaign,
    after: Option<i64>,
) -> ApiResult<Markup> {
    let slug = campaign.slug.as_str();
    let fans = state
        .store
        .list_fans(
            campaign.id,
            Page {
                after,
                limit: FANS_PER_PAGE,
            },
        )
        .await?;
    let next = fans
        .last()
        .filter(|_| fans.len() as u32 == FANS_PER_PAGE)
        .map(|last| last.id);
    Ok(html! {
        section #fans {
            h2 { "Fans" }
            p { a href={ "/admin/campaigns/" (slug) "/fans.csv" } download { "Export all fans (CSV)" } }
            div.scroll {
                table {
                    thead { tr {
                        th { "Name" } th { "Code" } th { "E-mail" } th { "Brought by" }
                        th { "Channel" } th.n { "Depth" } th { "Flags" } th { "Joined (UTC)" }
                    } }
                    tbody {
                        @if fans.is_empty() {
                            tr { td colspan="8" { "No fan here." } }
                        }
                        @for fan in &fans {
                            @let flags: Vec<&str> = fan.flags.iter().map(|f| f.as_str()).collect();
                            tr {
                                td { (fan.name.as_deref().unwrap_or("")) }
                                td { code { (fan.ref_code.as_ref().map(|c| c.to_string()).unwrap_or_default()) } }
                                td { (fan.email.as_deref().unwrap_or("")) }
                                td { (fan.referrer_ref_code.as_deref().unwrap_or("")) }
                                td { (fan.channel.map(|c| c.as_str()).unwrap_or("")) }
                                td.n { (fan.depth) }
                                td { (flags.join(" ")) }
                                td { (fan.joined_at.format("%Y-%m-%d %H:%M")) }
                            }
                        }
                    }
                }
            }
            @if let Some(last) = next {
                p { a href={ "/admin/campaigns/" (slug) "?fans_after=" (last) "#fans" } { "Next fans" } }
            }
        }
    })
}

pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    if let Err(response) = signed_in(&state, &headers, Role::can_administer).await? {
        return Ok(response);
    }
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let body = fans_csv(&state, &campaign).await?;
    tracing::info!(campaign = %campaign.slug, "fans exported from the dashboard");
    Ok(csv_response(&campaign, body).into_response())
}

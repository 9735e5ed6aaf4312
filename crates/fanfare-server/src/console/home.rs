//! The console's first page: the campaigns, each with its report, public page and audit.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fanfare_store::Page;
use maud::html;

use super::layout::{layout, page};
use super::session::{anyone, signed_in};
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, anyone).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let campaigns = state
        .store
        .list_campaigns(Page {
            after: None,
            limit: 500,
        })
        .await?;
    let role = current.user.role;
    let body = html! {
        h1 { "Campaigns" }
        @if role.can_administer() {
            p { a.button href="/admin/campaigns/new" { "New campaign" } }
        }
        @if campaigns.is_empty() {
            p {
                "No campaign yet."
                @if role.can_administer() { " Create one with the button above, or with " code { "POST /api/v1/campaigns" } "." }
            }
        } @else {
            table {
                thead { tr { th { "Slug" } th { "Title" } th { "Landing page" } th {} } }
                tbody {
                    @for campaign in &campaigns {
                        @let slug = campaign.slug.as_str();
                        tr {
                            td { a href={ "/c/" (slug) } { (slug) } }
                            td { (campaign.settings.title.as_deref().unwrap_or("")) }
                            td { (campaign.settings.landing_url.as_str()) }
                            td.actions {
                                @if role.can_read_reports() {
                                    a href={ "/admin/campaigns/" (slug) } { "Report" }
                                }
                                @if role.can_moderate() {
                                    a href={ "/admin/campaigns/" (slug) "/moderation" } { "Moderation" }
                                }
                                @if role.can_administer() {
                                    a href={ "/admin/campaigns/" (slug) "/edit" } { "Edit" }
                                    a href={ "/admin/campaigns/" (slug) "/install" } { "Install" }
                                    a href={ "/admin/campaigns/" (slug) "/audit" } { "Audit its landing page" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        StatusCode::OK,
        layout("Campaigns", Some(&current), html! {}, body),
    ))
}

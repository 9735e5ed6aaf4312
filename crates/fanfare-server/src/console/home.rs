//! The console's first page: the campaigns, each with its report, public page and audit.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fanfare_store::Page;
use maud::html;

use super::layout::{layout, page};
use super::session::{session, to_login};
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    let campaigns = state
        .store
        .list_campaigns(Page {
            after: None,
            limit: 500,
        })
        .await?;
    let body = html! {
        h1 { "Campaigns" }
        @if campaigns.is_empty() {
            p { "No campaign yet: create one with " code { "POST /api/v1/campaigns" } "." }
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
                            td {
                                a href={ "/admin/campaigns/" (slug) } { "Report" }
                                " · "
                                a href={ "/admin/campaigns/" (slug) "/audit" } { "Audit its landing page" }
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

//! The SMO audit in the console: a page's URL or HTML in, the previews as Facebook, X and
//! LinkedIn would draw them, the findings and the tags to paste out.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fanfare_core::account::Role;
use fanfare_core::campaign::Campaign;
use fanfare_smo::{Options, Preview, Report, Severity};
use fanfare_store::AdminSession;
use maud::{Markup, html};
use serde::Deserialize;

use super::extract::PageForm;
use super::layout::{layout, page, problem};
use super::session::{csrf_refused, signed_in};
use crate::audit::{fetcher, hints};
use crate::context::{find, parse_slug_path};
use crate::error::ApiResult;
use crate::extract::ApiPath;
use crate::state::AppState;
use crate::urls::web_url;

fn audit_form(
    current: &AdminSession,
    trouble: Option<&str>,
    url: &str,
    html: &str,
    base_url: &str,
) -> Markup {
    html! {
        h1 { "Audit a page" }
        @if let Some(trouble) = trouble { (problem(trouble)) }
        form method="post" action="/admin/audit" {
            input type="hidden" name="csrf" value=(current.csrf_token);
            label for="url" { "The page's URL (fetched with its images)" }
            input type="url" id="url" name="url" value=(url) placeholder="https://www.example.com/page";
            label for="html" { "Or its HTML" }
            textarea id="html" name="html" { (html) }
            label for="base_url" { "The URL of that HTML" }
            input type="url" id="base_url" name="base_url" value=(base_url);
            label { input type="checkbox" name="fetch" value="on"; " also fetch the HTML's images" }
            p { button type="submit" { "Audit" } }
        }
    }
}

pub async fn audit_page(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    Ok(page(
        StatusCode::OK,
        layout(
            "Audit",
            Some(&current),
            html! {},
            audit_form(&current, None, "", "", ""),
        ),
    ))
}

#[derive(Debug, Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    html: String,
    #[serde(default)]
    base_url: String,
    fetch: Option<String>,
}

pub async fn audit_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<AuditForm>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    if form.csrf != current.csrf_token {
        return Ok(csrf_refused());
    }
    let retry = |trouble: &str| {
        page(
            StatusCode::UNPROCESSABLE_ENTITY,
            layout(
                "Audit",
                Some(&current),
                html! {},
                audit_form(
                    &current,
                    Some(trouble),
                    &form.url,
                    &form.html,
                    &form.base_url,
                ),
            ),
        )
    };
    let web = |value: &str| web_url("url", value.trim()).ok();
    let (url, html) = (form.url.trim(), form.html.trim());
    let report = match (url.is_empty(), html.is_empty()) {
        (false, true) => {
            let Some(url) = web(url) else {
                return Ok(retry("The URL must be an absolute http(s) URL."));
            };
            match fanfare_smo::audit_url(&url, &fetcher(&state), None).await {
                Ok(report) => report,
                Err(e) => return Ok(retry(&format!("{url} could not be audited: {e}"))),
            }
        }
        (true, false) => {
            let base_url = match form.base_url.trim() {
                "" => None,
                value => match web(value) {
                    Some(u) => Some(u),
                    None => {
                        return Ok(retry(
                            "The URL of the HTML must be an absolute http(s) URL.",
                        ));
                    }
                },
            };
            let options = Options {
                base_url,
                fetch: form.fetch.is_some().then(|| fetcher(&state)),
                campaign: None,
            };
            fanfare_smo::audit_html(html.as_bytes(), Some("utf-8"), &options).await
        }
        _ => {
            return Ok(retry(
                "Give either a URL or HTML, not both and not neither.",
            ));
        }
    };
    Ok(page(
        StatusCode::OK,
        layout(
            "Audit",
            Some(&current),
            html! {},
            render_report(&report, None),
        ),
    ))
}

pub async fn audit_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_administer).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let url = campaign.settings.landing_url.url().clone();
    let hints = hints(&campaign);
    let body = match fanfare_smo::audit_url(&url, &fetcher(&state), Some(hints)).await {
        Ok(report) => render_report(&report, Some(&campaign)),
        Err(e) => html! {
            h1 { "Audit of " (campaign.slug.as_str()) }
            (problem(&format!("{url} could not be audited: {e}")))
        },
    };
    Ok(page(
        StatusCode::OK,
        layout("Audit", Some(&current), html! {}, body),
    ))
}

fn image(preview: &Preview) -> Markup {
    html! {
        @match &preview.image {
            Some(src) => img src=(src) alt="" referrerpolicy="no-referrer" loading="lazy";,
            None => div.noimg { "no image" },
        }
    }
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// The three previews, each in its network's own layout.
fn cards(report: &Report) -> Markup {
    let p = &report.previews;
    let x_class = if p.x.card.as_deref() == Some("summary") {
        "x summary"
    } else {
        "x"
    };
    html! {
        div.cards {
            figure {
                figcaption.net { "Facebook" }
                div.card.fb aria-label="Facebook preview" {
                    (image(&p.facebook))
                    div.meta {
                        div.site { (text(&p.facebook.site)) }
                        div.title { (text(&p.facebook.title)) }
                        div.desc { (text(&p.facebook.description)) }
                    }
                }
            }
            figure {
                figcaption.net { "X (" (text(&p.x.card)) ")" }
                div class={ "card " (x_class) } aria-label="X preview" {
                    (image(&p.x))
                    div.meta {
                        div.title { (text(&p.x.title)) }
                        div.desc { (text(&p.x.description)) }
                        div.site { "From " (text(&p.x.site)) }
                    }
                }
            }
            figure {
                figcaption.net { "LinkedIn" }
                div.card.li aria-label="LinkedIn preview" {
                    (image(&p.linkedin))
                    div.meta {
                        div.title { (text(&p.linkedin.title)) }
                        div.site { (text(&p.linkedin.site)) }
                    }
                }
            }
        }
    }
}

fn render_report(report: &Report, campaign: Option<&Campaign>) -> Markup {
    let mut unchecked: Vec<&str> = report.unchecked.iter().map(|u| u.rule).collect();
    unchecked.dedup();
    html! {
        h1 {
            @match campaign {
                Some(c) => { "Audit of " (c.slug.as_str()) "'s landing page" },
                None => "Audit",
            }
        }
        p { (report.url.as_deref().unwrap_or("(given HTML)")) }
        p {
            span.score { (report.score) } "/100 · "
            (report.count(Severity::Error)) " errors · "
            (report.count(Severity::Warning)) " warnings · "
            (report.count(Severity::Info)) " advice"
        }
        (cards(report))
        h2 { "Findings" }
        @for severity in [Severity::Error, Severity::Warning, Severity::Info] {
            @for finding in report.findings.iter().filter(|f| f.severity == severity) {
                div class={ "finding " (severity.as_str()) } {
                    strong { (severity.as_str()) " " (finding.rule) }
                    " " (finding.message)
                    br;
                    small { "Fix: " (finding.fix) }
                }
            }
        }
        @if !unchecked.is_empty() {
            p { "Not checked: " (unchecked.join(", ")) }
        }
        h2 { "Paste into <head>" }
        pre { (report.suggested_tags) }
        p { a href="/admin/audit" { "Audit another page" } }
    }
}

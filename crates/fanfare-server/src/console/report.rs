//! A campaign's report in the console: for a date range, the funnel (visitors → fans →
//! appropriators → sharers → ambassadors), the three pillars, daily charts (uPlot, vendored),
//! breakdowns by channel, referrer and device, the leaderboard, the largest cascades drawn as
//! trees, the moderation queue and the fans with their export.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use fanfare_core::account::Role;
use fanfare_core::campaign::Campaign;
use fanfare_core::fan::VisitorEvent;
use fanfare_core::report::count;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::cascades::cascades;
use super::extract::PageQuery;
use super::fans::fans_list;
use super::layout::{layout, page_with_scripts, problem};
use super::moderation::moderation_queue;
use super::session::signed_in;
use crate::context::{find, parse_slug_path};
use crate::engagement::top_ambassadors;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::state::AppState;
use crate::stats::{self, BreakdownBy, Stats, Window};

const UPLOT_JS: &str = include_str!("../../../../web/vendor/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("../../../../web/vendor/uplot/uPlot.min.css");
const DASHBOARD_JS: &str = include_str!("../../../../web/dashboard/dashboard.js");
/// Versioned paths: a new uPlot or script gets a new URL, so they can be cached for long.
const UPLOT_JS_PATH: &str = "/admin/assets/uplot-1.6.32.min.js";
const UPLOT_CSS_PATH: &str = "/admin/assets/uplot-1.6.32.min.css";
const DASHBOARD_JS_PATH: &str =
    concat!("/admin/assets/dashboard-", env!("CARGO_PKG_VERSION"), ".js");
/// The longest daily chart: ten years.
const MAX_CHART_DAYS: i64 = 3660;

/// The report's scripts and style sheet, under versioned paths.
pub fn asset_routes() -> Router<AppState> {
    Router::new()
        .route(UPLOT_JS_PATH, get(|| asset("text/javascript", UPLOT_JS)))
        .route(UPLOT_CSS_PATH, get(|| asset("text/css", UPLOT_CSS)))
        .route(
            DASHBOARD_JS_PATH,
            get(|| asset("text/javascript", DASHBOARD_JS)),
        )
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct RangeQuery {
    /// First day shown (UTC), included.
    from: Option<String>,
    /// Last day shown (UTC), included.
    to: Option<String>,
    /// `all`: from the first day with data.
    range: Option<String>,
    /// The fans list's cursor.
    fans_after: Option<i64>,
}

/// The days chosen: `[first, last]`, or everything.
struct Range {
    first: Option<NaiveDate>,
    last: NaiveDate,
}

fn parse_day(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| format!("The {name} date must look like 2026-11-01."))?;
    // Far enough either way for any campaign, and no date arithmetic can overflow.
    if !(1970..=9000).contains(&day.year()) {
        return Err(format!("The {name} date must be between 1970 and 9000."));
    }
    Ok(Some(day))
}

fn parse_range(query: &RangeQuery) -> Result<Range, String> {
    let today = Utc::now().date_naive();
    let last = parse_day("end", query.to.as_deref())?.unwrap_or(today);
    let first = if query.range.as_deref() == Some("all") {
        None
    } else {
        Some(parse_day("start", query.from.as_deref())?.unwrap_or(last - Duration::days(29)))
    };
    if first.is_some_and(|first| first > last) {
        return Err("The start date must not be after the end date.".into());
    }
    Ok(Range { first, last })
}

pub async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    PageQuery(query): PageQuery<RangeQuery>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, Role::can_read_reports).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let (range, trouble) = match parse_range(&query) {
        Ok(range) => (range, None),
        Err(trouble) => (
            parse_range(&RangeQuery {
                from: None,
                to: None,
                range: None,
                fans_after: None,
            })
            .map_err(ApiError::Internal)?,
            Some(trouble),
        ),
    };
    let to = (range.last + Duration::days(1)).to_string();
    let from = range.first.map(|d| d.to_string());
    let window = Window::parse(from.as_deref(), Some(&to))?;
    let stats = stats::stats(&state, campaign.id, window).await?;
    let title = campaign
        .settings
        .title
        .as_deref()
        .unwrap_or(campaign.slug.as_str());
    let slug = campaign.slug.as_str();

    let body = html! {
        h1 { (title) }
        p.sub {
            a href={ "/c/" (slug) } { "Campaign page" }
            @if current.user.role.can_administer() {
                " · "
                a href={ "/admin/campaigns/" (slug) "/audit" } { "Audit its landing page" }
            }
        }
        (range_form(&campaign, &range, trouble.as_deref()))
        (figures(&stats))
        (funnel(&stats))
        (pillars(&stats))
        section {
            h2 { "Over time" }
            div #chart-adhesion .chart {}
            div #chart-transmission .chart {}
        }
        (series_json(&state, campaign.id, window, range.first.is_none()).await?)
        (breakdowns(&state, campaign.id, window).await?)
        (leaderboard(&state, &campaign).await?)
        (cascades(&state, campaign.id, window).await?)
        // Names, e-mails and pending texts are for the roles that act on them.
        @if current.user.role.can_moderate() {
            (moderation_queue(&state, &campaign, &current).await?)
        }
        @if current.user.role.can_administer() {
            (fans_list(&state, &campaign, query.fans_after).await?)
        }
    };
    let head = html! {
        link rel="stylesheet" href=(UPLOT_CSS_PATH);
        style { (PreEscaped(REPORT_STYLE)) }
        script src=(UPLOT_JS_PATH) defer {}
        script src=(DASHBOARD_JS_PATH) defer {}
    };
    let status = if trouble.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(page_with_scripts(
        status,
        layout(title, Some(&current), head, body),
    ))
}

const REPORT_STYLE: &str = ".sub{margin-top:-.5rem;color:#555}section{margin:1.5rem 0}\
.range{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;background:#fff;padding:.6rem;border:1px solid #ddd}\
.range label{margin:0;font-weight:400;font-size:.85rem}.range input{display:block;font:inherit;padding:.3rem}\
.range nav{display:flex;gap:.6rem;flex-wrap:wrap;margin-left:auto}\
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(9rem,1fr));gap:.6rem}\
.tile{background:#fff;border:1px solid #ddd;padding:.5rem .7rem}.tile b{display:block;font-size:1.4rem}.tile span{font-size:.8rem;color:#555}\
.funnel div.step{display:grid;grid-template-columns:8.5rem 1fr 6rem;gap:.5rem;align-items:center;margin:.3rem 0}\
.bar{background:#b4235a;height:1.4rem;min-width:2px}.step small{color:#555}\
.pillars{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.6rem}\
.pillar{background:#fff;border:1px solid #ddd;padding:.6rem}.pillar meter{width:100%;height:1.2rem}.pillar b{font-size:1.3rem}\
.chart{background:#fff;border:1px solid #ddd;margin:.6rem 0;min-height:250px;overflow:hidden}\
.grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.8rem}\
.tree{background:#fff;border:1px solid #ddd;padding:.4rem;margin:.6rem 0}.tree svg{display:block;max-width:100%;height:auto;margin:0 auto}\
.queue article{background:#fff;border:1px solid #ddd;padding:.6rem;margin:.5rem 0}.queue form{display:inline}\
.queue button{margin-right:.4rem}.scroll{overflow-x:auto}td.n,th.n{text-align:right}";

fn range_form(campaign: &Campaign, range: &Range, trouble: Option<&str>) -> Markup {
    let slug = campaign.slug.as_str();
    let today = Utc::now().date_naive();
    html! {
        @if let Some(trouble) = trouble { (problem(trouble)) }
        form.range method="get" action={ "/admin/campaigns/" (slug) } {
            label { "From " input type="date" name="from" value=(range.first.map(|d| d.to_string()).unwrap_or_default()); }
            label { "To " input type="date" name="to" value=(range.last); }
            button type="submit" { "Show" }
            nav aria-label="Date ranges" {
                @for days in [7, 30, 90] {
                    a href={ "/admin/campaigns/" (slug) "?from=" (today - Duration::days(days - 1)) "&to=" (today) } {
                        (days) " days"
                    }
                }
                a href={ "/admin/campaigns/" (slug) "?range=all" } { "All time" }
            }
        }
    }
}

fn tile(value: &str, label: &str) -> Markup {
    html! { div.tile { b { (value) } span { (label) } } }
}

fn figures(stats: &Stats) -> Markup {
    let cycle = stats
        .viral_cycle_time_hours
        .map_or_else(|| "—".to_owned(), |h| format!("{h:.1} h"));
    let tiles = [
        (format!("{:.2}", stats.k_factor), "K-factor"),
        (cycle, "viral cycle time"),
        (stats.clicks.to_string(), "clicks"),
        (stats.bot_clicks.to_string(), "bot and preview clicks"),
        (stats.shares.to_string(), "shares"),
        (stats.interactions.to_string(), "interactions"),
        (stats.creators.to_string(), "creators"),
        (stats.flagged_fans.to_string(), "flagged fans"),
        (stats.cascades.count.to_string(), "cascades"),
        (stats.cascades.largest.to_string(), "largest cascade"),
        (stats.cascades.max_depth.to_string(), "deepest generation"),
        (
            format!("{:.2}", stats.cascades.mean_structural_virality),
            "mean structural virality",
        ),
    ];
    html! {
        section aria-label="Key figures" {
            div.tiles { @for (value, label) in &tiles { (tile(value, label)) } }
        }
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

fn funnel(stats: &Stats) -> Markup {
    let steps = [
        ("Visitors", stats.visitors),
        ("Fans", stats.fans),
        ("Appropriators", stats.appropriators),
        ("Sharers", stats.sharers),
        ("Ambassadors", stats.ambassadors),
    ];
    let widest = steps.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    // The percentage of each step is of the step before.
    let of_previous = |i: usize| {
        i.checked_sub(1)
            .map(|p| percent(steps[i].1, steps[p].1))
            .unwrap_or_default()
    };
    html! {
        section.funnel #funnel {
            h2 { "Funnel" }
            @for (i, (label, value)) in steps.iter().enumerate() {
                div.step {
                    span { (label) }
                    div { div.bar style={ "width:" (format!("{:.1}", 100.0 * *value as f64 / widest as f64)) "%" } {} }
                    span { b { (value) } " " small { (of_previous(i)) } }
                }
            }
            p { small {
                "Fans: new, non-flagged fans of the range. Appropriators, sharers and ambassadors: \
                 those of these fans who interacted, shared or brought a fan. The percentage is of the step before."
            } }
        }
    }
}

fn pillars(stats: &Stats) -> Markup {
    let pillars = [
        (
            "Interest",
            stats.pillars.interest,
            "fans who interacted (appropriation rate)",
        ),
        (
            "Simplicity",
            stats.pillars.simplicity,
            "joins completed per join form opened",
        ),
        ("Vitality", stats.pillars.vitality, "K-factor, up to 1"),
    ];
    html! {
        section #pillars {
            h2 { "The three pillars" }
            div.pillars {
                @for (name, value, meaning) in pillars {
                    div.pillar {
                        div { (name) " " b { (format!("{value:.0}")) } "/100" }
                        meter min="0" max="100" low="34" high="67" optimum="100"
                            value=(format!("{value:.1}")) aria-label=(name) {}
                        small { (meaning) }
                    }
                }
            }
        }
    }
}

/// The daily figures the charts draw, as JSON inside the page.
async fn series_json(
    state: &AppState,
    campaign_id: i64,
    window: Window,
    all_time: bool,
) -> ApiResult<Markup> {
    let hourly = state
        .store
        .counters_by_hour(campaign_id, window.hours())
        .await?;
    let (first_day, last_day) = window.days();
    let visitors = state
        .store
        .visitors_by_day(campaign_id, VisitorEvent::View, first_day, last_day)
        .await?;
    let mut first = first_day;
    if all_time {
        // "All time" starts with the first day that has anything.
        let hour_day = hourly.first().and_then(|(hour, _)| {
            Utc.timestamp_opt(hour * 3600, 0)
                .single()
                .map(|t| t.date_naive())
        });
        first = [hour_day, visitors.first().map(|(day, _)| *day)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(last_day);
    }
    first = first.max(last_day - Duration::days(MAX_CHART_DAYS));
    // Day → [fans, clicks, shares, interactions, visitors]
    let mut days: BTreeMap<NaiveDate, [u64; 5]> = BTreeMap::new();
    let mut day = first;
    while day <= last_day {
        days.insert(day, [0; 5]);
        day += Duration::days(1);
    }
    for (hour, c) in hourly {
        let Some(day) = Utc
            .timestamp_opt(hour * 3600, 0)
            .single()
            .map(|t| t.date_naive())
        else {
            continue;
        };
        if let Some(values) = days.get_mut(&day) {
            values[0] += count(c.fans);
            values[1] += count(c.clicks);
            values[2] += count(c.shares);
            values[3] += count(c.interactions);
        }
    }
    for (day, n) in visitors {
        if let Some(values) = days.get_mut(&day) {
            values[4] += n;
        }
    }
    let column = |i: usize| days.values().map(|v| v[i]).collect::<Vec<_>>();
    let t: Vec<i64> = days
        .keys()
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp()
        })
        .collect();
    let json = serde_json::json!({
        "t": t,
        "fans": column(0),
        "clicks": column(1),
        "shares": column(2),
        "interactions": column(3),
        "visitors": column(4),
    })
    .to_string()
    // Inside <script>, "</script>" would end the element: JSON allows "<" escaped.
    .replace('<', "\\u003c");
    Ok(html! {
        // The JSON's "<" are escaped above: it cannot close the element.
        script type="application/json" id="fanfare-series" { (PreEscaped(json)) }
        noscript { p { "The charts need JavaScript; the figures above do not." } }
    })
}

async fn breakdowns(state: &AppState, campaign_id: i64, window: Window) -> ApiResult<Markup> {
    let mut tables = Vec::new();
    for (by, title) in [
        (BreakdownBy::Channel, "Channel"),
        (BreakdownBy::Referrer, "Referrer"),
        (BreakdownBy::Device, "Device"),
    ] {
        let rows = stats::breakdown_rows(state, campaign_id, by, window).await?;
        // Channels are few; referrer hosts are many.
        let shown = if by == BreakdownBy::Channel {
            rows.len()
        } else {
            10
        };
        tables.push(html! {
            div.scroll {
                table {
                    caption { (title) }
                    thead { tr { th { (title) } th.n { "Clicks" } th.n { "Fans" } } }
                    tbody {
                        @if rows.is_empty() {
                            tr { td colspan="3" { "Nothing in this range." } }
                        }
                        @for row in rows.iter().take(shown) {
                            tr { td { (row.value) } td.n { (row.clicks) } td.n { (row.fans) } }
                        }
                    }
                }
            }
        });
    }
    Ok(html! {
        section #breakdowns {
            h2 { "Where they come from" }
            div.grid3 { @for table in tables { (table) } }
        }
    })
}

async fn leaderboard(state: &AppState, campaign: &Campaign) -> ApiResult<Markup> {
    let top = top_ambassadors(state, campaign, 10).await?;
    Ok(html! {
        section #leaderboard {
            h2 { "Leaderboard" }
            div.scroll {
                table {
                    thead { tr {
                        th { "#" } th { "Ambassador" } th { "Code" }
                        th.n { "Brought" } th.n { "Reach" } th { "Level" }
                    } }
                    tbody {
                        @if top.is_empty() {
                            tr { td colspan="6" { "No fan has brought another yet." } }
                        }
                        @for (rank, s) in top.iter().enumerate() {
                            tr {
                                td { (rank + 1) }
                                td { (s.name.as_deref().unwrap_or("(erased)")) }
                                td { code { (s.ref_code.as_deref().unwrap_or("")) } }
                                td.n { (s.referred) }
                                td.n { (s.reach) }
                                td { (s.level) }
                            }
                        }
                    }
                }
            }
            p { small { "All time: fans brought directly, then over every generation." } }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_default_to_thirty_days_and_refuse_nonsense() {
        let query = |from: Option<&str>, to: Option<&str>| RangeQuery {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            range: None,
            fans_after: None,
        };
        let range = parse_range(&query(None, Some("2026-11-30"))).unwrap();
        assert_eq!(range.first, NaiveDate::from_ymd_opt(2026, 11, 1));
        assert!(parse_range(&query(Some("2026-12-01"), Some("2026-11-30"))).is_err());
        assert!(parse_range(&query(Some("yesterday"), None)).is_err());
        assert!(parse_range(&query(Some("1900-01-01"), None)).is_err());
        assert!(parse_range(&query(None, Some("9999-12-31"))).is_err());
        assert!(parse_range(&query(Some("-0001-01-01"), None)).is_err());
        assert!(parse_range(&query(Some(""), Some(""))).is_ok());
    }
}

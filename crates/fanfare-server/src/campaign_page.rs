//! The dashboard's page of one campaign: for a date range, the funnel (visitors → fans →
//! appropriators → sharers → ambassadors), the three pillars, daily charts (uPlot, vendored),
//! breakdowns by channel, referrer and device, the leaderboard, the largest cascades drawn as
//! trees, the moderation queue and the fans with their export.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use fanfare_core::campaign::Campaign;
use fanfare_core::engagement::{InteractionKind, Status};
use fanfare_core::fan::VisitorEvent;
use fanfare_store::{AdminSession, Page};
use serde::Deserialize;

use crate::context::{find, parse_slug_path};
use crate::dashboard::{
    csrf_refused, layout_with, page, page_with_scripts, same_origin, session, to_login,
};
use crate::engagement::top_ambassadors;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::fans::{csv_response, fans_csv};
use crate::forest::TreeNode;
use crate::html::escape as esc;
use crate::state::AppState;
use crate::stats::{self, BreakdownBy, Stats, Window};
use fanfare_core::report::count;

const UPLOT_JS: &str = include_str!("../../../web/vendor/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("../../../web/vendor/uplot/uPlot.min.css");
const DASHBOARD_JS: &str = include_str!("../../../web/dashboard/dashboard.js");
/// Versioned paths: a new uPlot or script gets a new URL, so they can be cached for long.
const UPLOT_JS_PATH: &str = "/admin/assets/uplot-1.6.32.min.js";
const UPLOT_CSS_PATH: &str = "/admin/assets/uplot-1.6.32.min.css";
const DASHBOARD_JS_PATH: &str =
    concat!("/admin/assets/dashboard-", env!("CARGO_PKG_VERSION"), ".js");
/// Fans drawn per cascade tree: beyond that a drawing says less than the numbers beside it.
const TREE_NODES: usize = 400;
const TREES: usize = 3;
const FANS_PER_PAGE: u32 = 25;
/// The longest daily chart: ten years.
const MAX_CHART_DAYS: i64 = 3660;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/campaigns/{slug}", get(report))
        .route("/admin/campaigns/{slug}/fans.csv", get(export))
        .route("/admin/campaigns/{slug}/moderation/{id}", post(moderate))
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

async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
    Query(query): Query<RangeQuery>,
) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let (range, problem) = match parse_range(&query) {
        Ok(range) => (range, None),
        Err(problem) => (
            parse_range(&RangeQuery {
                from: None,
                to: None,
                range: None,
                fans_after: None,
            })
            .map_err(ApiError::Internal)?,
            Some(problem),
        ),
    };
    let to = (range.last + Duration::days(1)).to_string();
    let from = range.first.map(|d| d.to_string());
    let window = Window::parse(from.as_deref(), Some(&to))?;
    let stats = stats::stats(&state, campaign.id, window).await?;

    let mut body = String::new();
    let title = campaign
        .settings
        .title
        .as_deref()
        .unwrap_or(campaign.slug.as_str());
    let _ = write!(
        body,
        "<h1>{}</h1><p class=\"sub\"><a href=\"/c/{slug}\">Campaign page</a> · \
         <a href=\"/admin/campaigns/{slug}/audit\">Audit its landing page</a></p>",
        esc(title),
        slug = esc(campaign.slug.as_str())
    );
    body.push_str(&range_form(&campaign, &range, problem.as_deref()));
    body.push_str(&figures(&stats));
    body.push_str(&funnel(&stats));
    body.push_str(&pillars(&stats));
    body.push_str(
        "<section><h2>Over time</h2><div id=\"chart-adhesion\" class=\"chart\"></div>\
         <div id=\"chart-transmission\" class=\"chart\"></div></section>",
    );
    body.push_str(&series_json(&state, campaign.id, window, range.first.is_none()).await?);
    body.push_str(&breakdowns(&state, campaign.id, window).await?);
    body.push_str(&leaderboard(&state, &campaign).await?);
    body.push_str(&trees(&state, campaign.id, window).await?);
    body.push_str(&moderation(&state, &campaign, &current).await?);
    body.push_str(&fans_list(&state, &campaign, query.fans_after).await?);

    let head = format!(
        "<link rel=\"stylesheet\" href=\"{UPLOT_CSS_PATH}\"><style>{REPORT_STYLE}</style>\
         <script src=\"{UPLOT_JS_PATH}\" defer></script><script src=\"{DASHBOARD_JS_PATH}\" defer></script>"
    );
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(page_with_scripts(
        status,
        layout_with(title, Some(&current), &head, &body),
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

fn range_form(campaign: &Campaign, range: &Range, problem: Option<&str>) -> String {
    let slug = esc(campaign.slug.as_str());
    let today = Utc::now().date_naive();
    let preset = |days: i64| {
        format!(
            "<a href=\"/admin/campaigns/{slug}?from={}&amp;to={today}\">{days} days</a>",
            today - Duration::days(days - 1)
        )
    };
    let problem = problem
        .map(|p| format!("<p class=\"problem\" role=\"alert\">{}</p>", esc(p)))
        .unwrap_or_default();
    format!(
        "{problem}<form class=\"range\" method=\"get\" action=\"/admin/campaigns/{slug}\">\
         <label>From <input type=\"date\" name=\"from\" value=\"{from}\"></label>\
         <label>To <input type=\"date\" name=\"to\" value=\"{to}\"></label>\
         <button type=\"submit\">Show</button>\
         <nav aria-label=\"Date ranges\">{d7}{d30}{d90}<a href=\"/admin/campaigns/{slug}?range=all\">All time</a></nav></form>",
        from = range.first.map(|d| d.to_string()).unwrap_or_default(),
        to = range.last,
        d7 = preset(7),
        d30 = preset(30),
        d90 = preset(90),
    )
}

fn tile(value: &str, label: &str) -> String {
    format!(
        "<div class=\"tile\"><b>{}</b><span>{}</span></div>",
        esc(value),
        esc(label)
    )
}

fn figures(stats: &Stats) -> String {
    let cycle = stats
        .viral_cycle_time_hours
        .map_or_else(|| "—".to_owned(), |h| format!("{h:.1} h"));
    let tiles = [
        tile(&format!("{:.2}", stats.k_factor), "K-factor"),
        tile(&cycle, "viral cycle time"),
        tile(&stats.clicks.to_string(), "clicks"),
        tile(&stats.bot_clicks.to_string(), "bot and preview clicks"),
        tile(&stats.shares.to_string(), "shares"),
        tile(&stats.interactions.to_string(), "interactions"),
        tile(&stats.creators.to_string(), "creators"),
        tile(&stats.flagged_fans.to_string(), "flagged fans"),
        tile(&stats.cascades.count.to_string(), "cascades"),
        tile(&stats.cascades.largest.to_string(), "largest cascade"),
        tile(&stats.cascades.max_depth.to_string(), "deepest generation"),
        tile(
            &format!("{:.2}", stats.cascades.mean_structural_virality),
            "mean structural virality",
        ),
    ];
    format!(
        "<section aria-label=\"Key figures\"><div class=\"tiles\">{}</div></section>",
        tiles.concat()
    )
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

fn funnel(stats: &Stats) -> String {
    let steps = [
        ("Visitors", stats.visitors),
        ("Fans", stats.fans),
        ("Appropriators", stats.appropriators),
        ("Sharers", stats.sharers),
        ("Ambassadors", stats.ambassadors),
    ];
    let widest = steps.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let mut html = String::from("<section class=\"funnel\" id=\"funnel\"><h2>Funnel</h2>");
    let mut previous: Option<u64> = None;
    for (label, value) in steps {
        let width = 100.0 * value as f64 / widest as f64;
        let step = previous.map(|p| percent(value, p)).unwrap_or_default();
        let _ = write!(
            html,
            "<div class=\"step\"><span>{label}</span><div><div class=\"bar\" style=\"width:{width:.1}%\"></div></div>\
             <span><b>{value}</b> <small>{step}</small></span></div>"
        );
        previous = Some(value);
    }
    html.push_str(
        "<p><small>Fans: new, non-flagged fans of the range. Appropriators, sharers and ambassadors: \
         those of these fans who interacted, shared or brought a fan. The percentage is of the step before.</small></p></section>",
    );
    html
}

fn pillars(stats: &Stats) -> String {
    let pillar = |name: &str, value: f64, meaning: &str| {
        format!(
            "<div class=\"pillar\"><div>{name} <b>{value:.0}</b>/100</div>\
             <meter min=\"0\" max=\"100\" low=\"34\" high=\"67\" optimum=\"100\" value=\"{value:.1}\" aria-label=\"{name}\"></meter>\
             <small>{meaning}</small></div>"
        )
    };
    format!(
        "<section id=\"pillars\"><h2>The three pillars</h2><div class=\"pillars\">{}{}{}</div></section>",
        pillar(
            "Interest",
            stats.pillars.interest,
            "fans who interacted (appropriation rate)"
        ),
        pillar(
            "Simplicity",
            stats.pillars.simplicity,
            "joins completed per join form opened"
        ),
        pillar("Vitality", stats.pillars.vitality, "K-factor, up to 1"),
    )
}

/// The daily figures the charts draw, as JSON inside the page.
async fn series_json(
    state: &AppState,
    campaign_id: i64,
    window: Window,
    all_time: bool,
) -> ApiResult<String> {
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
    Ok(format!(
        "<script type=\"application/json\" id=\"fanfare-series\">{json}</script>\
         <noscript><p>The charts need JavaScript; the figures above do not.</p></noscript>"
    ))
}

async fn breakdowns(state: &AppState, campaign_id: i64, window: Window) -> ApiResult<String> {
    let mut html = String::from(
        "<section id=\"breakdowns\"><h2>Where they come from</h2><div class=\"grid3\">",
    );
    for (by, title) in [
        (BreakdownBy::Channel, "Channel"),
        (BreakdownBy::Referrer, "Referrer"),
        (BreakdownBy::Device, "Device"),
    ] {
        let rows = stats::breakdown_rows(state, campaign_id, by, window).await?;
        let _ = write!(
            html,
            "<div class=\"scroll\"><table><caption>{title}</caption><thead><tr><th>{title}</th>\
             <th class=\"n\">Clicks</th><th class=\"n\">Fans</th></tr></thead><tbody>"
        );
        if rows.is_empty() {
            html.push_str("<tr><td colspan=\"3\">Nothing in this range.</td></tr>");
        }
        // Channels are few; referrer hosts are many.
        let shown = if by == BreakdownBy::Channel {
            rows.len()
        } else {
            10
        };
        for row in rows.iter().take(shown) {
            let _ = write!(
                html,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&row.value),
                row.clicks,
                row.fans
            );
        }
        html.push_str("</tbody></table></div>");
    }
    html.push_str("</div></section>");
    Ok(html)
}

async fn leaderboard(state: &AppState, campaign: &Campaign) -> ApiResult<String> {
    let top = top_ambassadors(state, campaign, 10).await?;
    let mut html = String::from(
        "<section id=\"leaderboard\"><h2>Leaderboard</h2><div class=\"scroll\"><table><thead><tr>\
         <th>#</th><th>Ambassador</th><th>Code</th><th class=\"n\">Brought</th><th class=\"n\">Reach</th><th>Level</th>\
         </tr></thead><tbody>",
    );
    if top.is_empty() {
        html.push_str("<tr><td colspan=\"6\">No fan has brought another yet.</td></tr>");
    }
    for (rank, s) in top.iter().enumerate() {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            rank + 1,
            esc(s.name.as_deref().unwrap_or("(erased)")),
            esc(s.ref_code.as_deref().unwrap_or("")),
            s.referred,
            s.reach,
            esc(&s.level),
        );
    }
    html.push_str("</tbody></table></div><p><small>All time: fans brought directly, then over every generation.</small></p></section>");
    Ok(html)
}

/// A tree drawn top-down: a generation per row, leaves one column each, a parent in the middle
/// of its children.
fn tree_svg(nodes: &[TreeNode], label: &str) -> String {
    if nodes.is_empty() {
        return String::new();
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        if let Some(parent) = node.parent {
            children[parent].push(i);
        }
    }
    // Depth-first: leaves take the next row; a parent takes the mean of its children's rows.
    let mut y = vec![0.0f64; nodes.len()];
    let mut next_row = 0.0;
    let mut stack = vec![(0usize, false)];
    while let Some((node, visited)) = stack.pop() {
        if visited || children[node].is_empty() {
            if children[node].is_empty() {
                y[node] = next_row;
                next_row += 1.0;
            } else {
                let ys: Vec<f64> = children[node].iter().map(|&c| y[c]).collect();
                y[node] = ys.iter().sum::<f64>() / ys.len() as f64;
            }
            continue;
        }
        stack.push((node, true));
        for &child in children[node].iter().rev() {
            stack.push((child, false));
        }
    }
    // Top-down: generations are rows, leaves spread across.
    let (dx, dy, pad) = (14.0, 36.0, 8.0);
    let depth = nodes.iter().map(|n| n.depth).max().unwrap_or(0);
    let width = (next_row - 1.0).max(0.0) * dx + 2.0 * pad;
    let height = f64::from(depth) * dy + 2.0 * pad;
    let point = |i: usize| (pad + y[i] * dx, pad + f64::from(nodes[i].depth) * dy);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{shown:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(label),
        // A small tree is drawn at its own size (a bit larger), a large one shrinks to fit.
        shown = width * 1.5
    );
    svg.push_str("<g stroke=\"#c9c9cf\" stroke-width=\"1.2\" fill=\"none\">");
    for (i, node) in nodes.iter().enumerate() {
        if let Some(parent) = node.parent {
            let ((x1, y1), (x2, y2)) = (point(parent), point(i));
            let _ = write!(
                svg,
                "<path d=\"M{x1:.1} {y1:.1}C{x1:.1} {my:.1} {x2:.1} {my:.1} {x2:.1} {y2:.1}\"/>",
                my = (y1 + y2) / 2.0
            );
        }
    }
    svg.push_str("</g>");
    for i in 0..nodes.len() {
        let (x, y) = point(i);
        let (r, fill) = if i == 0 {
            (5.5, "#1b1b1b")
        } else {
            (3.5, "#b4235a")
        };
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r}\" fill=\"{fill}\"/>"
        );
    }
    svg.push_str("</svg>");
    svg
}

async fn trees(state: &AppState, campaign_id: i64, window: Window) -> ApiResult<String> {
    let largest = stats::largest_cascades(state, campaign_id, window, TREES).await?;
    let mut html = String::from("<section id=\"cascades\"><h2>Largest cascades</h2>");
    let drawn: Vec<_> = largest.iter().filter(|c| c.size >= 2).collect();
    if drawn.is_empty() {
        html.push_str("<p>No fan has brought another in this range.</p>");
    }
    for cascade in drawn {
        let nodes = state
            .forests
            .tree(campaign_id, window.seconds(), cascade.root_id, TREE_NODES)
            .await;
        let shown = if (nodes.len() as u64) < cascade.size {
            format!(" (the first {} drawn)", nodes.len())
        } else {
            String::new()
        };
        let label = format!(
            "Cascade started by {}: {} fans, {} generations deep",
            cascade.root.as_deref().unwrap_or("an erased fan"),
            cascade.size,
            cascade.depth
        );
        let _ = write!(
            html,
            "<figure class=\"tree\"><figcaption>Started by <code>{root}</code>: <b>{size}</b> fans{shown}, depth {depth}, \
             widest generation {breadth}, structural virality {sv:.2}</figcaption>{svg}</figure>",
            root = esc(cascade.root.as_deref().unwrap_or("(erased)")),
            size = cascade.size,
            depth = cascade.depth,
            breadth = cascade.max_breadth,
            sv = cascade.structural_virality,
            svg = tree_svg(&nodes, &label),
        );
    }
    html.push_str("</section>");
    Ok(html)
}

async fn moderation(
    state: &AppState,
    campaign: &Campaign,
    current: &AdminSession,
) -> ApiResult<String> {
    let slug = esc(campaign.slug.as_str());
    let mut html =
        String::from("<section class=\"queue\" id=\"moderation\"><h2>Moderation queue</h2>");
    let mut waiting = 0;
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
        waiting += pending.len();
        for item in pending {
            let link = item
                .url
                .as_deref()
                .map(|u| {
                    format!(
                        "<p><a href=\"{0}\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">{0}</a></p>",
                        esc(u)
                    )
                })
                .unwrap_or_default();
            let _ = write!(
                html,
                "<article><p><b>{kind}</b> by {who} · {at}</p><p>{body}</p>{link}\
                 <form method=\"post\" action=\"/admin/campaigns/{slug}/moderation/{id}\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"decision\" value=\"approve\">\
                 <button type=\"submit\">Approve</button></form>\
                 <form method=\"post\" action=\"/admin/campaigns/{slug}/moderation/{id}\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"decision\" value=\"reject\">\
                 <button type=\"submit\">Reject</button></form></article>",
                kind = kind.as_str(),
                who = esc(item
                    .display_name
                    .as_deref()
                    .or(item.fan_name.as_deref())
                    .unwrap_or("(erased)")),
                at = item.created_at.format("%Y-%m-%d %H:%M UTC"),
                body = esc(item.body.as_deref().unwrap_or("")),
                id = item.id,
                csrf = esc(&current.csrf_token),
            );
        }
    }
    if waiting == 0 {
        html.push_str("<p>Nothing waits for a decision.</p>");
    }
    html.push_str("</section>");
    Ok(html)
}

async fn fans_list(state: &AppState, campaign: &Campaign, after: Option<i64>) -> ApiResult<String> {
    let slug = esc(campaign.slug.as_str());
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
    let mut html = format!(
        "<section id=\"fans\"><h2>Fans</h2><p><a href=\"/admin/campaigns/{slug}/fans.csv\" download>Export all fans (CSV)</a></p>\
         <div class=\"scroll\"><table><thead><tr><th>Name</th><th>Code</th><th>E-mail</th><th>Brought by</th>\
         <th>Channel</th><th class=\"n\">Depth</th><th>Flags</th><th>Joined (UTC)</th></tr></thead><tbody>"
    );
    if fans.is_empty() {
        html.push_str("<tr><td colspan=\"8\">No fan here.</td></tr>");
    }
    for fan in &fans {
        let flags: Vec<&str> = fan.flags.iter().map(|f| f.as_str()).collect();
        let _ = write!(
            html,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(fan.name.as_deref().unwrap_or("")),
            esc(&fan
                .ref_code
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default()),
            esc(fan.email.as_deref().unwrap_or("")),
            esc(fan.referrer_ref_code.as_deref().unwrap_or("")),
            esc(fan.channel.map(|c| c.as_str()).unwrap_or("")),
            fan.depth,
            esc(&flags.join(" ")),
            fan.joined_at.format("%Y-%m-%d %H:%M"),
        );
    }
    html.push_str("</tbody></table></div>");
    if fans.len() as u32 == FANS_PER_PAGE
        && let Some(last) = fans.last()
    {
        let _ = write!(
            html,
            "<p><a href=\"/admin/campaigns/{slug}?fans_after={}#fans\">Next fans</a></p>",
            last.id
        );
    }
    html.push_str("</section>");
    Ok(html)
}

async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    if session(&state, &headers).await?.is_none() {
        return Ok(to_login());
    }
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let body = fans_csv(&state, &campaign).await?;
    tracing::info!(campaign = %campaign.slug, "fans exported from the dashboard");
    Ok(csv_response(&campaign, body).into_response())
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

async fn moderate(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    Form(form): Form<DecisionForm>,
) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    if form.csrf != current.csrf_token || !same_origin(&state, &headers) {
        return Ok(csrf_refused());
    }
    let status = match form.decision.as_str() {
        "approve" => Status::Approved,
        "reject" => Status::Rejected,
        _ => {
            return Ok(page(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::dashboard::layout(
                    "Moderation",
                    Some(&current),
                    "<p class=\"problem\" role=\"alert\">The decision must be approve or reject.</p>",
                ),
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
        return Ok(page(
            StatusCode::NOT_FOUND,
            crate::dashboard::layout(
                "Moderation",
                Some(&current),
                "<p class=\"problem\" role=\"alert\">This campaign has no such comment or creation.</p>",
            ),
        ));
    }
    tracing::info!(campaign = %campaign.slug, interaction = id, decision = %form.decision, "moderated from the dashboard");
    Ok(Redirect::to(&format!("/admin/campaigns/{}#moderation", campaign.slug)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_sits_between_its_children() {
        // Root with two children; the first child has one child.
        let nodes = [
            TreeNode {
                parent: None,
                depth: 0,
            },
            TreeNode {
                parent: Some(0),
                depth: 1,
            },
            TreeNode {
                parent: Some(0),
                depth: 1,
            },
            TreeNode {
                parent: Some(1),
                depth: 2,
            },
        ];
        let svg = tree_svg(&nodes, "test");
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(svg.matches("<path").count(), 3);
        // Leaves in columns 0 (the grandchild) and 1; the root halfway: x = 8 + 0.5 × 14.
        assert!(svg.contains("cx=\"15.0\" cy=\"8.0\" r=\"5.5\""), "{svg}");
    }

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

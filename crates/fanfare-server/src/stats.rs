//! What the campaign's loop did (`docs/reports.md`): the funnel, rates and pillars, time series,
//! breakdowns and cascades.
//!
//! Counts come from the hourly rollups the writes maintain, so a report sums at most a few
//! rows per hour and channel, however many clicks there were. Cascades and the viral cycle time
//! need the referral forest itself: each campaign's fans are kept in memory as compact nodes,
//! loaded once and then topped up with the fans who joined since (one indexed query per report).

use std::collections::HashMap;
use std::ops::Range;

use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use fanfare_core::cascade::Cascade;
use fanfare_core::fan::VisitorEvent;
use fanfare_core::report::{CascadeSummary, Funnel, Pillars, Rates, count, k_factor};
use fanfare_store::{Counters, Dimension, hour_of};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cascades))
        .routes(routes!(campaign_stats))
        .routes(routes!(timeseries))
        .routes(routes!(breakdown))
}

/// The longest time series one request may ask for.
const MAX_POINTS: i64 = 10_000;

// ---------------------------------------------------------------------------------------------
// Windows and time zones

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowParams {
    /// Start of the window, included: a date (`2026-11-01`, midnight in `tz`) or an RFC 3339
    /// time. Default: the beginning.
    pub from: Option<String>,
    /// End of the window, excluded: a date (`2026-12-01`: up to that midnight in `tz`) or an
    /// RFC 3339 time. Default: now.
    pub to: Option<String>,
    /// An IANA time zone (`Europe/Paris`) for dates and day buckets. Default: `UTC`.
    pub tz: Option<String>,
}

/// A window in whole UTC hours, the rollups' grain: `from` is rounded down, `to` up.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// `[from, to)` from dates or times, as the API takes them.
    pub(crate) fn parse(from: Option<&str>, to: Option<&str>) -> ApiResult<Self> {
        let params = WindowParams {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            tz: None,
        };
        parse_window(&params, Tz::UTC, None)
    }

    pub(crate) fn hours(&self) -> Range<i64> {
        hour_of(self.from)..hour_of(self.to)
    }

    pub(crate) fn seconds(&self) -> Range<i64> {
        self.from.timestamp()..self.to.timestamp()
    }

    /// The UTC days the window touches: visitors are counted per UTC day (the visitor hash's
    /// salt changes at midnight UTC), so a partly covered day counts whole.
    pub(crate) fn days(&self) -> (NaiveDate, NaiveDate) {
        (
            self.from.date_naive(),
            (self.to - Duration::seconds(1)).date_naive(),
        )
    }
}

fn parse_tz(tz: Option<&str>) -> ApiResult<Tz> {
    match tz {
        None => Ok(Tz::UTC),
        Some(name) => name.parse().map_err(|_| {
            ApiError::InvalidQuery(format!(
                "tz {:?} is not an IANA time zone; use a name such as Europe/Paris or UTC",
                truncate(name)
            ))
        }),
    }
}

fn truncate(value: &str) -> String {
    value.chars().take(64).collect()
}

fn parse_instant(name: &str, value: &str, tz: Tz) -> ApiResult<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        && let Some(midnight) = day.and_hms_opt(0, 0, 0)
        && let Some(local) = tz.from_local_datetime(&midnight).earliest()
    {
        return Ok(local.with_timezone(&Utc));
    }
    Err(ApiError::InvalidQuery(format!(
        "{name} {:?} is neither a date (2026-11-01) nor an RFC 3339 time (2026-11-01T09:00:00Z)",
        truncate(value)
    )))
}

fn parse_window(
    params: &WindowParams,
    tz: Tz,
    default_span: Option<Duration>,
) -> ApiResult<Window> {
    let now = Utc::now();
    let to = match &params.to {
        Some(value) => parse_instant("to", value, tz)?,
        None => now,
    };
    let from = match (&params.from, default_span) {
        (Some(value), _) => parse_instant("from", value, tz)?,
        (None, Some(span)) => to - span,
        (None, None) => DateTime::<Utc>::UNIX_EPOCH,
    };
    let earliest = DateTime::<Utc>::UNIX_EPOCH;
    if from < earliest || to < earliest {
        return Err(ApiError::InvalidQuery(
            "from and to must not be before 1970-01-01".into(),
        ));
    }
    if from >= to {
        return Err(ApiError::InvalidQuery(
            "from must be earlier than to (the window is [from, to))".into(),
        ));
    }
    let whole_hour = |hour: i64| Utc.timestamp_opt(hour * 3600, 0).single();
    let from = whole_hour(hour_of(from)).unwrap_or(earliest);
    let to = whole_hour((to.timestamp() + 3599).div_euclid(3600)).unwrap_or(to);
    Ok(Window { from, to })
}

/// The window fields of the other endpoints' parameters.
macro_rules! window_of {
    ($($params:ty),*) => {$(
        impl $params {
            fn window(&self) -> WindowParams {
                WindowParams {
                    from: self.from.clone(),
                    to: self.to.clone(),
                    tz: self.tz.clone(),
                }
            }
        }
    )*};
}
window_of!(SeriesParams, BreakdownParams, CascadeParams);

// ---------------------------------------------------------------------------------------------
// Stats

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    /// The window reported on, in whole hours: `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Sum of each UTC day's unique visitors (page views through the widget or hosted page).
    pub visitors: u64,
    /// Visitors who opened the join form (summed per day like `visitors`).
    pub join_starts: u64,
    /// New fans who are not flagged.
    pub fans: u64,
    /// Of those, fans brought by a (non-flagged) fan.
    pub referred_fans: u64,
    /// New fans flagged as suspect, left out of every other figure.
    pub flagged_fans: u64,
    /// Of the new fans: those with at least one interaction.
    pub appropriators: u64,
    /// Of the new fans: those with at least one creation.
    pub creators: u64,
    /// Of the new fans: those with at least one share.
    pub sharers: u64,
    /// Of the new fans: those who brought at least one fan.
    pub ambassadors: u64,
    pub shares: u64,
    /// Human clicks on the campaign's links.
    pub clicks: u64,
    /// Crawler and link-preview clicks (redirected, not counted as clicks).
    pub bot_clicks: u64,
    pub interactions: u64,
    /// referred_fans / fans.
    pub k_factor: f64,
    /// Median hours from a referrer's join to their referred fans' joins; `null` with no
    /// referred fan.
    pub viral_cycle_time_hours: Option<f64>,
    pub rates: Rates,
    pub pillars: Pillars,
    pub cascades: CascadeSummary,
}

/// The funnel, rates and pillars of a campaign (`docs/reports.md`).
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/stats", tag = "stats",
    params(("slug" = String, Path, description = "The campaign's slug"), WindowParams),
    description = "Fan figures are cohorts: of the fans who joined in the window, how many have \
        interacted, created, shared or brought a fan (at any time since). Events (clicks, shares, \
        interactions) are those that happened in the window. The window is widened to whole hours; \
        visitors to whole UTC days.",
    responses(
        (status = 200, body = Stats),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn campaign_stats(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<WindowParams>,
) -> ApiResult<ApiJson<Stats>> {
    let tz = parse_tz(params.tz.as_deref())?;
    let window = parse_window(&params, tz, None)?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    Ok(ApiJson(stats(&state, campaign.id, window).await?))
}

pub(crate) async fn stats(state: &AppState, campaign_id: i64, window: Window) -> ApiResult<Stats> {
    let (first_day, last_day) = window.days();
    // The counters and the forest at once: the database works while the forest is computed.
    let (by_channel, visitors, join_starts, forest) = tokio::try_join!(
        async {
            Ok::<_, ApiError>(
                state
                    .store
                    .counters_by_channel(campaign_id, window.hours())
                    .await?,
            )
        },
        async {
            Ok(state
                .store
                .count_visitor_events(campaign_id, VisitorEvent::View, first_day, last_day)
                .await?)
        },
        async {
            Ok(state
                .store
                .count_visitor_events(campaign_id, VisitorEvent::JoinStarted, first_day, last_day)
                .await?)
        },
        state
            .forests
            .figures(&state.store, campaign_id, window.seconds()),
    )?;
    let mut total = Counters::default();
    for (_, counters) in by_channel {
        total.add(&counters);
    }

    let funnel = Funnel {
        visitors,
        join_starts,
        fans: count(total.fans),
        referred_fans: count(total.referred_fans),
        appropriators: count(total.appropriators),
        sharers: count(total.sharers),
    };
    Ok(Stats {
        from: window.from,
        to: window.to,
        visitors,
        join_starts,
        fans: funnel.fans,
        referred_fans: funnel.referred_fans,
        flagged_fans: count(total.flagged_fans),
        appropriators: funnel.appropriators,
        creators: count(total.creators),
        sharers: funnel.sharers,
        ambassadors: count(total.ambassadors),
        shares: count(total.shares),
        clicks: count(total.clicks),
        bot_clicks: count(total.bot_clicks),
        interactions: count(total.interactions),
        k_factor: k_factor(funnel.referred_fans, funnel.fans),
        viral_cycle_time_hours: forest.cycle_hours,
        rates: Rates::of(&funnel),
        pillars: Pillars::of(&funnel),
        cascades: forest.summary,
    })
}

// ---------------------------------------------------------------------------------------------
// Time series

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Fans,
    Clicks,
    Shares,
    Interactions,
    Visitors,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Hour,
    Day,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesParams {
    /// fans, clicks, shares, interactions or visitors.
    pub metric: Metric,
    /// hour or day (visitors: day only). Default: day.
    pub interval: Option<Interval>,
    /// Start of the window, included: a date (`2026-11-01`, midnight in `tz`) or an RFC 3339
    /// time.
    pub from: Option<String>,
    /// End of the window, excluded: a date or an RFC 3339 time. Default: now.
    pub to: Option<String>,
    /// An IANA time zone (`Europe/Paris`) for dates and day buckets. Default: `UTC`.
    pub tz: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Point {
    /// The start of the bucket, in the requested time zone.
    pub t: String,
    pub value: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Series {
    pub metric: Metric,
    pub interval: Interval,
    pub tz: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// One point per bucket of the window, empty buckets included.
    pub points: Vec<Point>,
}

/// One metric per hour or per day, in the caller's time zone.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/timeseries", tag = "stats",
    params(("slug" = String, Path, description = "The campaign's slug"), SeriesParams),
    description = "Default window: the last 30 days (day) or 48 hours (hour). Day buckets follow \
        `tz`, built from UTC hours (in a zone offset by a half hour, a day bucket is shifted by that \
        half hour). Visitors are counted per UTC day, so they only come per day: each UTC day's count goes \
        to the bucket that holds its noon.",
    responses(
        (status = 200, body = Series),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn timeseries(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<SeriesParams>,
) -> ApiResult<ApiJson<Series>> {
    let tz = parse_tz(params.tz.as_deref())?;
    let interval = params.interval.unwrap_or(Interval::Day);
    if params.metric == Metric::Visitors && interval == Interval::Hour {
        return Err(ApiError::InvalidQuery(
            "visitors are counted per day: use interval=day".into(),
        ));
    }
    let span = match interval {
        Interval::Hour => Duration::hours(48),
        Interval::Day => Duration::days(30),
    };
    let window = parse_window(&params.window(), tz, Some(span))?;
    let buckets = buckets(window, interval, tz);
    if buckets.len() as i64 > MAX_POINTS {
        return Err(ApiError::InvalidQuery(format!(
            "the window holds {} buckets; at most {MAX_POINTS}: narrow it or use interval=day",
            buckets.len()
        )));
    }
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let mut values = vec![0u64; buckets.len()];
    let bucket_of = |at: DateTime<Utc>| buckets.partition_point(|b| *b <= at).checked_sub(1);
    if params.metric == Metric::Visitors {
        let (first, last) = window.days();
        for (day, visitors) in state
            .store
            .visitors_by_day(campaign.id, VisitorEvent::View, first, last)
            .await?
        {
            let at = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).expect("noon"));
            if let Some(i) = bucket_of(at) {
                values[i] += visitors;
            }
        }
    } else {
        for (hour, counters) in state
            .store
            .counters_by_hour(campaign.id, window.hours())
            .await?
        {
            let value = match params.metric {
                Metric::Fans => counters.fans,
                Metric::Clicks => counters.clicks,
                Metric::Shares => counters.shares,
                Metric::Interactions => counters.interactions,
                Metric::Visitors => 0,
            };
            let at = Utc.timestamp_opt(hour * 3600, 0).single();
            if let Some(i) = at.and_then(bucket_of) {
                values[i] += count(value);
            }
        }
    }
    let points = buckets
        .iter()
        .zip(values)
        .map(|(start, value)| Point {
            t: start.with_timezone(&tz).to_rfc3339(),
            value,
        })
        .collect();
    Ok(ApiJson(Series {
        metric: params.metric,
        interval,
        tz: tz.name().to_owned(),
        from: window.from,
        to: window.to,
        points,
    }))
}

/// The starts of the window's buckets, in UTC: each hour, or each local midnight in `tz`.
fn buckets(window: Window, interval: Interval, tz: Tz) -> Vec<DateTime<Utc>> {
    let mut starts = Vec::new();
    match interval {
        Interval::Hour => {
            let mut at = window.from;
            while at < window.to && (starts.len() as i64) <= MAX_POINTS {
                starts.push(at);
                at += Duration::hours(1);
            }
        }
        Interval::Day => {
            let mut day = window.from.with_timezone(&tz).date_naive();
            loop {
                let midnight = day
                    .and_hms_opt(0, 0, 0)
                    .and_then(|m| tz.from_local_datetime(&m).earliest())
                    .map(|m| m.with_timezone(&Utc));
                if let Some(start) = midnight {
                    if start >= window.to || (starts.len() as i64) > MAX_POINTS {
                        break;
                    }
                    starts.push(start.max(window.from));
                }
                match day.succ_opt() {
                    Some(next) => day = next,
                    None => break,
                }
            }
        }
    }
    starts
}

// ---------------------------------------------------------------------------------------------
// Breakdowns

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BreakdownBy {
    Channel,
    Referrer,
    Device,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BreakdownParams {
    /// channel, referrer (the host of the page that sent the visitor) or device.
    #[param(inline)]
    pub by: BreakdownBy,
    /// Start of the window, included: a date (`2026-11-01`, midnight in `tz`) or an RFC 3339
    /// time.
    pub from: Option<String>,
    /// End of the window, excluded: a date or an RFC 3339 time. Default: now.
    pub to: Option<String>,
    /// An IANA time zone (`Europe/Paris`) for dates and day buckets. Default: `UTC`.
    pub tz: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreakdownRow {
    /// The channel, host or device class (`direct` for fans who came without a channel).
    pub value: String,
    /// Human clicks.
    pub clicks: u64,
    /// Non-flagged fans who joined in the window.
    pub fans: u64,
    /// Shares (by channel only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<u64>,
}

/// Clicks and fans by channel, by referrer host or by device class, most clicks first.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/breakdown", tag = "stats",
    params(("slug" = String, Path, description = "The campaign's slug"), BreakdownParams),
    description = "Referrer hosts: at most the 100 with the most clicks. A fan's referrer is the page \
        that sent them to the campaign's site, as the widget saw it; a click's is its Referer header.",
    responses(
        (status = 200, body = Vec<BreakdownRow>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn breakdown(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<BreakdownParams>,
) -> ApiResult<ApiJson<Vec<BreakdownRow>>> {
    let tz = parse_tz(params.tz.as_deref())?;
    let window = parse_window(&params.window(), tz, None)?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    Ok(ApiJson(
        breakdown_rows(&state, campaign.id, params.by, window).await?,
    ))
}

/// Clicks and fans of the window by one dimension, most clicks first.
pub(crate) async fn breakdown_rows(
    state: &AppState,
    campaign_id: i64,
    by: BreakdownBy,
    window: Window,
) -> ApiResult<Vec<BreakdownRow>> {
    let mut rows: Vec<BreakdownRow> = match by {
        BreakdownBy::Channel => state
            .store
            .counters_by_channel(campaign_id, window.hours())
            .await?
            .into_iter()
            .map(|(channel, c)| BreakdownRow {
                value: if channel.is_empty() {
                    "direct".into()
                } else {
                    channel
                },
                clicks: count(c.clicks),
                fans: count(c.fans),
                shares: Some(count(c.shares)),
            })
            .filter(|r| r.clicks + r.fans + r.shares.unwrap_or(0) > 0)
            .collect(),
        BreakdownBy::Referrer | BreakdownBy::Device => {
            let dimension = if by == BreakdownBy::Referrer {
                Dimension::Referrer
            } else {
                Dimension::Device
            };
            state
                .store
                .dimension_counts(campaign_id, dimension, window.hours())
                .await?
                .into_iter()
                .map(|d| BreakdownRow {
                    value: d.value,
                    clicks: count(d.clicks),
                    fans: count(d.fans),
                    shares: None,
                })
                .collect()
        }
    };
    rows.sort_by(|a, b| {
        b.clicks
            .cmp(&a.clicks)
            .then(b.fans.cmp(&a.fans))
            .then(a.value.cmp(&b.value))
    });
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// Cascades

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CascadeParams {
    /// 1 to 1000; default 10.
    pub limit: Option<u32>,
    /// Start of the window, included: a date (`2026-11-01`, midnight in `tz`) or an RFC 3339
    /// time.
    pub from: Option<String>,
    /// End of the window, excluded: a date or an RFC 3339 time. Default: now.
    pub to: Option<String>,
    /// An IANA time zone (`Europe/Paris`) for dates and day buckets. Default: `UTC`.
    pub tz: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CascadeView {
    /// The root fan's id, for drawing the tree.
    #[serde(skip)]
    pub root_id: i64,
    /// The ref code of the fan who started it (`null` once that fan is erased).
    pub root: Option<String>,
    pub size: u64,
    pub depth: u32,
    pub max_breadth: u64,
    /// Mean distance between two of its fans (Goel et al., 2016); 0 for a cascade of one.
    pub structural_virality: f64,
}

/// The campaign's cascades, largest first: who brought whom, over non-flagged fans.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/cascades", tag = "stats",
    params(("slug" = String, Path, description = "The campaign's slug"), CascadeParams),
    description = "Each cascade is a tree of fans linked to the fan who brought them; flagged fans are \
        left out (a fan brought by a flagged fan starts a cascade of their own). With a window, only \
        fans who joined in it count, and a fan whose referrer joined before it starts a cascade. \
        Erased fans keep their place in the tree, without their ref code.",
    responses(
        (status = 200, body = Vec<CascadeView>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn list_cascades(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<CascadeParams>,
) -> ApiResult<ApiJson<Vec<CascadeView>>> {
    let limit = params.limit.unwrap_or(10);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::InvalidQuery(
            "limit must be between 1 and 1000".into(),
        ));
    }
    let tz = parse_tz(params.tz.as_deref())?;
    let window = parse_window(&params.window(), tz, None)?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let top = largest_cascades(&state, campaign.id, window, limit as usize).await?;
    Ok(ApiJson(top))
}

/// The `limit` largest cascades of the window, with their roots' ref codes.
pub(crate) async fn largest_cascades(
    state: &AppState,
    campaign_id: i64,
    window: Window,
    limit: usize,
) -> ApiResult<Vec<CascadeView>> {
    let forest = state
        .forests
        .figures(&state.store, campaign_id, window.seconds())
        .await?;
    let top: Vec<&Cascade> = forest.largest.iter().take(limit).collect();
    let roots: Vec<i64> = top.iter().map(|c| c.root).collect();
    let codes: HashMap<i64, Option<String>> =
        state.store.ref_codes(&roots).await?.into_iter().collect();
    Ok(top
        .into_iter()
        .map(|c| CascadeView {
            root_id: c.root,
            root: codes.get(&c.root).cloned().flatten(),
            size: c.size,
            depth: c.depth,
            max_breadth: c.max_breadth,
            structural_virality: c.structural_virality,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_buckets_follow_the_time_zone() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let params = WindowParams {
            from: Some("2026-03-28".into()),
            to: Some("2026-03-31".into()),
            tz: None,
        };
        let window = parse_window(&params, tz, None).unwrap();
        let starts: Vec<String> = buckets(window, Interval::Day, tz)
            .iter()
            .map(|s| s.to_rfc3339())
            .collect();
        // Summer time starts on 29 March 2026: that day has 23 hours.
        assert_eq!(
            starts,
            [
                "2026-03-27T23:00:00+00:00",
                "2026-03-28T23:00:00+00:00",
                "2026-03-29T22:00:00+00:00",
            ]
        );
    }
}

//! Transmission: short links (`/s/{code}`), share redirects (`/share/{code}`), QR codes, and
//! the admin view of links.
//!
//! The redirect is the hot path: a shape check (no database for junk), a bounded in-memory cache
//! of link targets, the user-agent class, the visitor hash, then the click pipeline. The target
//! always comes from the database, never from the request, so `/s/…` cannot be made an open
//! redirect.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use fanfare_core::campaign::{Campaign, WebUrl};
use fanfare_core::link::{
    Agent, Channel, Device, LinkKey, ShareContent, parse_short_code, render_intent, tracked_url,
};
use fanfare_store::{LinkRecord, LinkReport, LinkTarget, NewClick, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::campaigns::{find, parse_slug_path};
use crate::clicks::ClickRefused;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::{self, Listing, PageParams};
use crate::visitor::Client;

/// Asks search engines not to index redirects and link pages.
const X_ROBOTS_TAG: header::HeaderName = header::HeaderName::from_static("x-robots-tag");

/// How long a cached link target is trusted: other nodes' changes (a disabled link, a new
/// landing URL) reach this node within this time.
const CACHE_TTL: Duration = Duration::from_secs(60);

/// A bounded cache of short codes (a link on one channel), unknown ones included (so random
/// codes do not each cost a query).
#[derive(Debug)]
pub struct LinkCache {
    entries: quick_cache::sync::Cache<String, (Instant, Option<Arc<CachedLink>>)>,
}

/// A code as the redirect needs it: its link's target, and the redirect's `Location` built once
/// (parsing the target and encoding the tracking tags on every click cost more than the rest
/// of the handler's own work).
#[derive(Debug)]
pub struct CachedLink {
    pub target: LinkTarget,
    /// `None` if the stored target is not a URL.
    location: Option<HeaderValue>,
}

impl CachedLink {
    fn new(target: LinkTarget, channel: Channel) -> Self {
        let location = url::Url::parse(&target.target_url).ok().and_then(|url| {
            let tracked = tracked_url(
                &url,
                channel,
                &target.campaign_slug,
                target.ref_code.as_deref(),
            );
            HeaderValue::from_str(tracked.as_str()).ok()
        });
        Self { target, location }
    }
}

impl LinkCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(capacity.max(1)),
        }
    }

    /// `code` is `key` and `channel` as [`parse_short_code`] read them.
    async fn get(
        &self,
        state: &AppState,
        code: &str,
        key: &LinkKey,
        channel: Channel,
    ) -> ApiResult<Option<Arc<CachedLink>>> {
        if let Some((loaded, link)) = self.entries.get(code)
            && loaded.elapsed() < CACHE_TTL
        {
            return Ok(link);
        }
        let link = state
            .store
            .find_link(key)
            .await?
            .map(|target| Arc::new(CachedLink::new(target, channel)));
        self.entries
            .insert(code.to_owned(), (Instant::now(), link.clone()));
        Ok(link)
    }

    /// Forgets what this node knows of a link (on every channel) or a campaign's links, after a
    /// change here.
    pub fn forget(&self, key: &LinkKey) {
        for channel in Channel::ALL {
            self.entries.remove(key.code(channel).as_str());
        }
    }

    pub fn forget_campaign(&self, campaign_id: i64) {
        self.entries.retain(|_, (_, link)| {
            link.as_ref()
                .is_none_or(|l| l.target.campaign_id != campaign_id)
        });
    }
}

/// Link-preview fetchers of the networks and messengers: they fetch a shared URL to draw its
/// card. Their user agents, as each network documents them.
const PREVIEW_AGENTS: &[&str] = &[
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "twitterbot",
    "linkedinbot",
    "pinterestbot",
    "pinterest/",
    "redditbot",
    "whatsapp",
    "telegrambot",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "skypeuripreview",
    "bluesky cardyb",
    "mastodon/",
    "threads",
    "iframely",
    "embedly",
    "vkshare",
    "xing-contenttabreceiver",
    "tumblr",
    "google-pagerenderer",
    "applebot",
    "snapchat",
    "viber",
];

/// User agents the classifier remembers (with their device class): a campaign's visitors come
/// with a few thousand distinct browsers, and matching one against the bot patterns costs more
/// than the rest of a redirect's own work.
const REMEMBERED_AGENTS: usize = 4096;
/// Longer user agents are classified every time rather than kept (they are rare, and a client
/// making up huge ones should not fill the memory).
const LONGEST_REMEMBERED_AGENT: usize = 512;

#[derive(Debug)]
pub struct AgentClassifier {
    bots: isbot::Bots,
    /// Each user agent's class and device.
    remembered: quick_cache::sync::Cache<String, (Agent, Device)>,
}

impl Default for AgentClassifier {
    fn default() -> Self {
        Self {
            bots: isbot::Bots::default(),
            remembered: quick_cache::sync::Cache::new(REMEMBERED_AGENTS),
        }
    }
}

impl AgentClassifier {
    /// Who sent the request, and on what device. A missing user agent and a `HEAD` are not
    /// people; preview fetchers are named as such; the rest is matched against the `isbot`
    /// crate's maintained pattern list.
    pub fn classify(&self, method: &Method, user_agent: &str) -> (Agent, Device) {
        match self.by_user_agent(user_agent) {
            (Agent::Human, device) if method == Method::HEAD => (Agent::Bot, device),
            known => known,
        }
    }

    fn by_user_agent(&self, user_agent: &str) -> (Agent, Device) {
        if let Some(known) = self.remembered.get(user_agent) {
            return known;
        }
        let lower = user_agent.to_ascii_lowercase();
        let agent = if PREVIEW_AGENTS.iter().any(|p| lower.contains(p)) {
            Agent::Preview
        } else if user_agent.trim().is_empty() || self.bots.is_bot(user_agent) {
            Agent::Bot
        } else {
            Agent::Human
        };
        let known = (agent, Device::from_user_agent(user_agent));
        if user_agent.len() <= LONGEST_REMEMBERED_AGENT {
            self.remembered.insert(user_agent.to_owned(), known);
        }
        known
    }
}

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(share))
        .routes(routes!(qr_svg))
        .routes(routes!(qr_png))
}

/// The short-link redirect, served outside the layers the other routes share (see `router`):
/// it is the one path hit thousands of times a second, and each middleware built with
/// `from_fn` clones and boxes the inner service for every request.
pub fn redirect_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(redirect))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_links, create_link))
        .routes(routes!(disable_link))
}

/// `{channel: url}` for a link key: its short links, or its share redirects.
pub fn link_urls(
    state: &AppState,
    key: &LinkKey,
    channels: &[Channel],
    prefix: &str,
) -> BTreeMap<Channel, String> {
    let base = state.config.base_url.as_str().trim_end_matches('/');
    channels
        .iter()
        .map(|&channel| (channel, format!("{base}/{prefix}/{}", key.code(channel))))
        .collect()
}

fn not_found_page() -> Response {
    let body = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
        <meta name=\"robots\" content=\"noindex\"><title>Link not found</title>\
        <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\
        <h1>This link does not exist</h1>\
        <p>It may have been mistyped, or disabled by the campaign's owner.</p></body></html>";
    (
        StatusCode::NOT_FOUND,
        [
            (header::CACHE_CONTROL, "no-store"),
            (X_ROBOTS_TAG, "noindex"),
        ],
        Html(body),
    )
        .into_response()
}

/// The link of a code, if the code is well formed and its link exists and is enabled.
async fn resolve(
    state: &AppState,
    code: &str,
) -> ApiResult<Option<(LinkKey, Channel, Arc<CachedLink>)>> {
    let Some((key, channel)) = parse_short_code(code) else {
        return Ok(None);
    };
    Ok(state
        .links
        .get(state, code, &key, channel)
        .await?
        .filter(|link| !link.target.disabled)
        .map(|link| (key, channel, link)))
}

/// The host of the page the click came from (its `Referer`), if it is an http(s) URL.
fn referrer_host(headers: &HeaderMap) -> Option<String> {
    url_host(headers.get(header::REFERER)?.to_str().ok()?)
}

/// The host of an http(s) URL, for referrer breakdowns; `None` for anything else.
pub(crate) fn url_host(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    (host.len() <= 253).then(|| host.to_ascii_lowercase())
}

/// Follow a short link.
#[utoipa::path(get, path = "/s/{code}", tag = "links",
    params(("code" = String, Path, description = "A link key and a channel letter")),
    responses(
        (status = 302, description = "To the landing URL with the tracking tags"),
        (status = 404, description = "Unknown or disabled link (an HTML page)"),
        (status = 503, description = "Overloaded or database unavailable; see Retry-After", body = ErrorBody),
    ))]
async fn redirect(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let (mut parts, _) = request.into_parts();
    match ApiPath::<String>::from_request_parts(&mut parts, &state).await {
        Ok(ApiPath(code)) => observed_redirect(&state, &parts, Ok(&code), started).await,
        Err(rejected) => observed_redirect(&state, &parts, Err(rejected), started).await,
    }
}

/// The path a short link's redirect is served at, up to the code.
const SHORT_LINK_PREFIX: &str = "/s/";

/// Whether a request is a short link's redirect whose code can be read from the path as it is:
/// a `GET` or `HEAD` of `/s/{code}` with one segment and nothing percent-encoded. Those are
/// served ahead of the router ([`redirect_unrouted`]); the rest (`/s/{code}/qr.svg`, other
/// methods, encoded characters) goes through it.
pub(crate) fn is_plain_redirect(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && path
            .strip_prefix(SHORT_LINK_PREFIX)
            .is_some_and(|code| !code.is_empty() && !code.contains(['/', '%']))
}

/// A request [`is_plain_redirect`] accepted, answered as `redirect` answers it through the
/// router, without the route matching and the boxed futures routing costs on every click.
pub(crate) async fn redirect_unrouted(state: AppState, request: Request) -> Response {
    let started = Instant::now();
    let (parts, _) = request.into_parts();
    let code = parts
        .uri
        .path()
        .strip_prefix(SHORT_LINK_PREFIX)
        .unwrap_or_default();
    observed_redirect(&state, &parts, Ok(code), started).await
}

/// What the shared `observe` layer does for the other routes, minus the span: the request is
/// counted, timed and logged at debug level under its route's name.
async fn observed_redirect(
    state: &AppState,
    parts: &Parts,
    code: Result<&str, ApiError>,
    started: Instant,
) -> Response {
    let in_flight = InFlight::enter(state);
    let response = match code {
        Ok(code) => follow(state, parts, code).await.into_response(),
        Err(rejected) => rejected.into_response(),
    };
    drop(in_flight);
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if status == 302 && parts.method == Method::GET {
        state.metrics.observe_redirect_found(elapsed);
    } else {
        state
            .metrics
            .observe_request(parts.method.as_str(), REDIRECT_ROUTE, status, elapsed);
    }
    tracing::debug!(
        route = REDIRECT_ROUTE,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request finished"
    );
    response
}

pub(crate) const REDIRECT_ROUTE: &str = "/s/{code}";

/// Counts a request in flight until dropped, so that a client hanging up mid-request (which
/// drops the handler's future) does not leave it counted.
struct InFlight<'a>(&'a AppState);

impl<'a> InFlight<'a> {
    fn enter(state: &'a AppState) -> Self {
        state.metrics.in_flight.inc();
        Self(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.in_flight.dec();
    }
}

async fn follow(state: &AppState, parts: &Parts, code: &str) -> ApiResult<Response> {
    let client = Client::of(parts, state);
    let method = &parts.method;
    let Some((_, channel, link)) = resolve(state, code).await? else {
        return Ok(not_found_page());
    };
    let Some(location) = &link.location else {
        tracing::error!(
            link = link.target.link_id,
            "a stored link target is not a URL"
        );
        return Ok(not_found_page());
    };
    let target = &link.target;
    let (agent, device) = state.agents.classify(method, &client.user_agent);
    let click = NewClick {
        link_id: target.link_id,
        campaign_id: target.campaign_id,
        channel,
        at: fanfare_store::now(),
        visitor_hash: state
            .visitors
            .hash(state, &client, target.campaign_id)
            .await?,
        agent,
        qr: channel == Channel::Qr,
        referrer_host: referrer_host(&parts.headers),
        device,
    };
    state.clicks.record(click).await.map_err(|refused| {
        if refused == ClickRefused::Overloaded {
            state.metrics.clicks_refused.inc();
        }
        ApiError::Busy
    })?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location.clone()),
            // A cached redirect is a click nobody counts.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (X_ROBOTS_TAG, HeaderValue::from_static("noindex")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ),
        ],
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ShareParams {
    /// Mastodon only: the instance to share on (after the page asked for it).
    pub instance: Option<String>,
}

fn share_content<'a>(
    campaign: &'a Campaign,
    url: &'a str,
    hashtags: &'a [String],
) -> ShareContent<'a> {
    let s = &campaign.settings;
    let title = s.title.as_deref().unwrap_or(campaign.slug.as_str());
    ShareContent {
        url,
        title,
        text: s.description.as_deref().unwrap_or(title),
        hashtags,
        image: s.image_url.as_ref().map(WebUrl::as_str),
        instance: None,
    }
}

/// Share through a link: records the share, then sends the sharer to the network's dialog.
#[utoipa::path(get, path = "/share/{code}", tag = "links",
    params(("code" = String, Path, description = "A link key and a channel letter"), ShareParams),
    responses(
        (status = 302, description = "To the network's share dialog, carrying the short link"),
        (status = 200, description = "Mastodon: a page that asks for the instance (once)"),
        (status = 204, description = "Copy, native share and QR: the share is recorded"),
        (status = 404, description = "Unknown or disabled link"),
    ))]
async fn share(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
    ApiQuery(params): ApiQuery<ShareParams>,
) -> ApiResult<Response> {
    let Some((key, channel, link)) = resolve(&state, &code).await? else {
        return Ok(not_found_page());
    };
    let target = &link.target;
    let slug = parse_slug_path(&target.campaign_slug)?;
    let campaign = find(&state, &slug).await?;
    state
        .store
        .record_share(target.link_id, channel, fanfare_store::now())
        .await?;
    let short = link_urls(&state, &key, &[channel], "s")
        .remove(&channel)
        .unwrap_or_default();
    let hashtags = campaign.settings.hashtag_strings();
    let mut content = share_content(&campaign, &short, &hashtags);
    let template = state
        .config
        .share_templates
        .get(&channel)
        .map(String::as_str)
        .or(channel.default_intent());
    let Some(template) = template else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    if channel == Channel::Mastodon {
        // The instance is the sharer's own server: asked in the page, kept in their browser,
        // never turned into a server-side redirect to a host the request names.
        let instance = params.instance.unwrap_or_default();
        content.instance = Some("INSTANCE");
        let intent = render_intent(template, channel, &content);
        return Ok(mastodon_page(&intent, &instance));
    }
    let intent = render_intent(template, channel, &content);
    let location = HeaderValue::from_str(&intent)
        .map_err(|e| ApiError::Internal(format!("share intent: {e}")))?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (X_ROBOTS_TAG, HeaderValue::from_static("noindex")),
        ],
    )
        .into_response())
}

pub(crate) fn html_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A page that asks for the Mastodon instance once (remembered in the browser's storage) and
/// opens the share dialog there.
fn mastodon_page(intent: &str, instance: &str) -> Response {
    let intent_json = serde_json::to_string(intent).unwrap_or_else(|_| "\"\"".into());
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><meta name=\"robots\" content=\"noindex\">\
<title>Share on Mastodon</title>\
<body style=\"font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem\">\
<h1>Share on Mastodon</h1>\
<form id=\"f\"><label for=\"i\">Your Mastodon server</label><br>\
<input id=\"i\" name=\"instance\" required placeholder=\"mastodon.social\" value=\"{}\" \
pattern=\"[A-Za-z0-9.-]+\\.[A-Za-z]{{2,}}\" autocomplete=\"url\" style=\"font-size:1.1rem;padding:.4rem;width:100%\">\
<p><button style=\"font-size:1.1rem;padding:.4rem 1rem\">Share</button></p></form>\
<script>\
var intent={intent_json},f=document.getElementById('f'),i=document.getElementById('i');\
try{{if(!i.value)i.value=localStorage.getItem('fanfare.mastodon')||''}}catch(e){{}}\
f.onsubmit=function(e){{e.preventDefault();var h=i.value.trim().replace(/^https?:\\/\\//,'').replace(/\\/.*$/,'');\
if(!/^[A-Za-z0-9.-]+\\.[A-Za-z]{{2,}}$/.test(h))return;try{{localStorage.setItem('fanfare.mastodon',h)}}catch(e){{}}\
location.href=intent.replace('INSTANCE',h)}};\
</script></body></html>",
        html_escape(instance)
    );
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (X_ROBOTS_TAG, "noindex"),
        ],
        Html(page),
    )
        .into_response()
}

/// What a QR code of a link encodes: its QR-channel short link, so scans count as QR clicks.
async fn qr_target(state: &AppState, code: &str) -> ApiResult<Option<String>> {
    Ok(resolve(state, code).await?.map(|(key, _, _)| {
        link_urls(state, &key, &[Channel::Qr], "s")
            .remove(&Channel::Qr)
            .unwrap_or_default()
    }))
}

fn qr_code(content: &str) -> ApiResult<qrcode::QrCode> {
    qrcode::QrCode::new(content.as_bytes()).map_err(|e| ApiError::Internal(format!("QR code: {e}")))
}

/// The link as a QR code (SVG).
#[utoipa::path(get, path = "/s/{code}/qr.svg", tag = "links",
    params(("code" = String, Path, description = "A link key and a channel letter")),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404)))]
async fn qr_svg(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Response> {
    let Some(content) = qr_target(&state, &code).await? else {
        return Ok(not_found_page());
    };
    let svg = qr_code(&content)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    Ok(image_response("image/svg+xml", svg.into_bytes()))
}

/// The link as a QR code (PNG, 8 pixels per module).
#[utoipa::path(get, path = "/s/{code}/qr.png", tag = "links",
    params(("code" = String, Path, description = "A link key and a channel letter")),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404)))]
async fn qr_png(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Response> {
    let Some(content) = qr_target(&state, &code).await? else {
        return Ok(not_found_page());
    };
    let code = qr_code(&content)?;
    let png = render_png(&code).map_err(|e| ApiError::Internal(format!("QR PNG: {e}")))?;
    Ok(image_response("image/png", png))
}

/// Draws the modules with a 4-module quiet zone (the QR standard's minimum) as 8-bit grey.
fn render_png(code: &qrcode::QrCode) -> Result<Vec<u8>, png::EncodingError> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (index, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (mx, my) = (index % modules + QUIET, index / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    let side = u32::try_from(side).unwrap_or(u32::MAX);
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(out)
}

fn image_response(content_type: &'static str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // The code of a link never changes.
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        Body::from(body),
    )
        .into_response()
}

/// A new link with its own target.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    /// Absolute http(s) URL within the campaign's allowed domains.
    #[schema(example = "https://www.example.com/spring/dresses")]
    pub target_url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelStatsView {
    pub channel: Channel,
    /// Human clicks.
    pub clicks: u64,
    /// One per visitor, link, channel and day.
    pub unique_clicks: u64,
    /// Crawlers and link-preview fetchers: redirected, not counted as clicks.
    pub bot_clicks: u64,
    pub qr_clicks: u64,
    pub shares: u64,
    /// Fans who joined through this link and channel (flagged ones left out).
    pub fans: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub key: String,
    /// The owning fan's ref code; `null` for the campaign's anonymous link and admin links.
    pub fan: Option<String>,
    /// The link's own target; `null`: the campaign's landing URL.
    pub target_url: Option<String>,
    pub disabled: bool,
    pub created_at: chrono::DateTime<Utc>,
    /// The short link per channel.
    pub links: BTreeMap<Channel, String>,
    /// Channels with any activity.
    pub stats: Vec<ChannelStatsView>,
}

fn link_view(state: &AppState, campaign: &Campaign, report: LinkReport) -> LinkView {
    let LinkRecord {
        key,
        fan_ref_code,
        target_url,
        disabled_at,
        created_at,
        ..
    } = report.link;
    LinkView {
        links: link_urls(state, &key, &campaign.settings.channels, "s"),
        key: key.as_str().to_owned(),
        fan: fan_ref_code,
        target_url,
        disabled: disabled_at.is_some(),
        created_at,
        stats: report
            .channels
            .into_iter()
            .map(|(channel, s)| ChannelStatsView {
                channel,
                clicks: s.clicks,
                unique_clicks: s.unique_clicks,
                bot_clicks: s.bot_clicks,
                qr_clicks: s.qr_clicks,
                shares: s.shares,
                fans: s.fans,
            })
            .collect(),
    }
}

/// A campaign's links with clicks, unique clicks, shares and fans brought per channel.
#[utoipa::path(get, path = "/api/v1/campaigns/{slug}/links", tag = "links",
    description = "At most 500 per page (default 100).",
    params(("slug" = String, Path, description = "The campaign's slug"), PageParams),
    responses(
        (status = 200, body = Listing<LinkView>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn list_links(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<ApiJson<Listing<LinkView>>> {
    let page = pagination::requested(&params, 100, 500)?;
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let reports = state
        .store
        .link_reports(campaign.id, pagination::probe(page))
        .await?;
    Ok(ApiJson(pagination::listing(
        reports,
        page,
        |r| r.link.id,
        |r| link_view(&state, &campaign, r),
    )))
}

/// Create a link to a page of the campaign's site.
#[utoipa::path(post, path = "/api/v1/campaigns/{slug}/links", tag = "links",
    params(("slug" = String, Path, description = "The campaign's slug")),
    request_body = CreateLink,
    responses(
        (status = 201, body = LinkView),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Not an http(s) URL, or outside the allowed domains", body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn create_link(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<CreateLink>,
) -> ApiResult<impl IntoResponse> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let target = WebUrl::parse("target_url", &body.target_url)?;
    let host = target.host();
    if !campaign
        .settings
        .allowed_domains
        .iter()
        .any(|d| d.covers(&host))
    {
        return Err(fanfare_core::ValidationError::new(
            "target_url",
            "target_not_allowed",
            format!(
                "\"{host}\" is not within the campaign's allowed_domains; add it there first, or link to an allowed host"
            ),
        )
        .into());
    }
    for _ in 0..2 {
        match state
            .store
            .create_link(campaign.id, &LinkKey::generate(), target.as_str())
            .await
        {
            Ok(link) => {
                let view = link_view(
                    &state,
                    &campaign,
                    LinkReport {
                        link,
                        channels: Vec::new(),
                    },
                );
                return Ok((StatusCode::CREATED, ApiJson(view)));
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::Internal("could not draw a free link key".into()))
}

/// Disable a link: its short links answer 404 from then on.
#[utoipa::path(delete, path = "/api/v1/campaigns/{slug}/links/{key}", tag = "links",
    params(
        ("slug" = String, Path, description = "The campaign's slug"),
        ("key" = String, Path, description = "The link's key"),
    ),
    responses(
        (status = 204, description = "Disabled"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = [])))]
async fn disable_link(
    State(state): State<AppState>,
    ApiPath((slug, key)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let campaign = find(&state, &parse_slug_path(&slug)?).await?;
    let not_found = || ApiError::NotFound {
        code: "link_not_found",
        message: format!(
            "campaign \"{}\" has no link with key \"{key}\"",
            campaign.slug
        ),
    };
    let parsed = LinkKey::parse(&key).ok_or_else(not_found)?;
    if !state.store.disable_link(campaign.id, &parsed).await? {
        return Err(not_found());
    }
    state.links.forget(&parsed);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_link_redirects_skip_the_router() {
        for path in ["/s/ABCDEFGHx", "/s/x", "/s/anything-else_"] {
            assert!(is_plain_redirect(&Method::GET, path), "{path}");
            assert!(is_plain_redirect(&Method::HEAD, path), "{path}");
        }
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
            assert!(!is_plain_redirect(&method, "/s/ABCDEFGHx"), "{method}");
        }
        // Other routes under /s/, empty codes, and codes that need decoding go through the
        // router, which answers them as it always has.
        for path in [
            "/s/",
            "/s",
            "/s/ABCDEFGHx/qr.svg",
            "/s/ABCDEFGHx/",
            "/s/ABCDEFGH%78",
            "/s/%2F%2Fevil.example",
            "/share/ABCDEFGHx",
            "/S/ABCDEFGHx",
            "//s/ABCDEFGHx",
        ] {
            assert!(!is_plain_redirect(&Method::GET, path), "{path}");
        }
    }
}

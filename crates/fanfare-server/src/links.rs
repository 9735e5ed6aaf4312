//! Transmission: short links (`/s/{code}`), share redirects (`/share/{code}`), QR codes, and
//! the admin view of links.
//!
//! The redirect is the hot path: a shape check (no database for junk), a bounded in-memory cache
//! of link targets, the user-agent class, the visitor hash, then the click pipeline. The target
//! always comes from the database, never from the request, so `/s/…` cannot be made an open
//! redirect.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use fanfare_core::campaign::{Campaign, WebUrl};
use fanfare_core::error_code::ErrorCode;
use fanfare_core::link::{Channel, LinkKey, ShareContent, render_intent};
use fanfare_store::{LinkRecord, LinkReport, StoreError};
use maud::{DOCTYPE, PreEscaped, html};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::{find, parse_slug_path};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::html::X_ROBOTS_TAG;
use crate::pagination::{self, Listing, PageParams};
use crate::redirect::{not_found_page, resolve};
use crate::state::AppState;
use crate::urls::{LinkRoute, link_urls};
use crate::visitor::Client;

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(share))
        .routes(routes!(qr_svg))
        .routes(routes!(qr_png))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_links, create_link))
        .routes(routes!(disable_link))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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

/// Share through a link: records the share (once per visitor, link, channel and hour), then
/// sends the sharer to the network's dialog.
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
    client: Client,
    ApiPath(code): ApiPath<String>,
    ApiQuery(params): ApiQuery<ShareParams>,
) -> ApiResult<Response> {
    let Some((key, channel, link)) = resolve(&state, &code).await? else {
        return Ok(not_found_page());
    };
    let target = &link.target;
    let slug = parse_slug_path(&target.campaign_slug)?;
    let campaign = find(&state, &slug).await?;
    // One share per visitor, link, channel and hour: calling the URL again redirects again,
    // but counts nothing more.
    let visitor = state
        .visitors
        .hash(&state.store, &client, target.campaign_id)
        .await?;
    state
        .store
        .record_share(target.link_id, channel, fanfare_store::now(), &visitor)
        .await?;
    let short = link_urls(&state.config.base_url, &key, &[channel], LinkRoute::Short)
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

/// A page that asks for the Mastodon instance once (remembered in the browser's storage) and
/// opens the share dialog there.
fn mastodon_page(intent: &str, instance: &str) -> Response {
    // JSON is valid JavaScript; "<" escaped so that the string cannot close the script.
    let intent_json = serde_json::to_string(intent)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c");
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width";
            meta name="robots" content="noindex";
            title { "Share on Mastodon" }
            body style="font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem" {
                h1 { "Share on Mastodon" }
                form #f {
                    label for="i" { "Your Mastodon server" }
                    br;
                    input #i name="instance" required placeholder="mastodon.social" value=(instance)
                        pattern="[A-Za-z0-9.-]+\\.[A-Za-z]{2,}" autocomplete="url"
                        style="font-size:1.1rem;padding:.4rem;width:100%";
                    p { button style="font-size:1.1rem;padding:.4rem 1rem" { "Share" } }
                }
                script {
                    "var intent=" (PreEscaped(intent_json)) (PreEscaped(MASTODON_SCRIPT))
                }
            }
        }
    };
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            (X_ROBOTS_TAG, "noindex"),
        ],
        Html(page.into_string()),
    )
        .into_response()
}

/// Asks for the instance once (remembered in the browser's storage), then opens the share
/// dialog there.
const MASTODON_SCRIPT: &str = ",f=document.getElementById('f'),i=document.getElementById('i');\
try{if(!i.value)i.value=localStorage.getItem('fanfare.mastodon')||''}catch(e){}\
f.onsubmit=function(e){e.preventDefault();var h=i.value.trim().replace(/^https?:\\/\\//,'').replace(/\\/.*$/,'');\
if(!/^[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$/.test(h))return;try{localStorage.setItem('fanfare.mastodon',h)}catch(e){}\
location.href=intent.replace('INSTANCE',h)};";

/// What a QR code of a link encodes: its QR-channel short link, so scans count as QR clicks.
async fn qr_target(state: &AppState, code: &str) -> ApiResult<Option<String>> {
    Ok(resolve(state, code).await?.map(|(key, _, _)| {
        link_urls(
            &state.config.base_url,
            &key,
            &[Channel::Qr],
            LinkRoute::Short,
        )
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
    #[schema(
        example = "https://www.example.com/spring/dresses",
        format = "uri",
        max_length = 2048,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
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
        links: link_urls(
            &state.config.base_url,
            &key,
            &campaign.settings.channels,
            LinkRoute::Short,
        ),
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
            ErrorCode::TargetNotAllowed,
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
        code: ErrorCode::LinkNotFound,
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

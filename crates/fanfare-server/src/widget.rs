//! What a visitor's browser loads from other sites: the embeddable widget (`/w/fanfare.js`) and
//! the CORS rules of the public API that the widget calls from them.
//!
//! The widget is hand-written scripts embedded in the binary: `fanfare.js`, which every page
//! embeds, and the parts it fetches only where a page has their placeholder (`progress.js`,
//! `wall.js`).
//! Each is served compressed when the browser accepts it, with an ETag so that a revalidation
//! costs a 304. The hosted campaign
//! page that loads it on Fanfare's own origin is `public_page`.

use std::io::Write;
use std::sync::OnceLock;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::{find, parse_slug_path};
use crate::error::ApiError;
use crate::state::AppState;
use crate::validators::{etag_of, not_modified};

/// A script of the widget, as written (it needs no build step), hashed and compressed once per
/// process, on first request.
struct Script {
    source: &'static str,
    asset: OnceLock<WidgetAsset>,
}

/// The fan button and the share bar: what every page embeds.
static FANFARE_JS: Script = Script::new(include_str!("../../../web/widget/fanfare.js"));

/// The fan's progress view, fetched by `fanfare.js` only where a page has its placeholder.
static PROGRESS_JS: Script = Script::new(include_str!("../../../web/widget/progress.js"));

/// The wall (reactions, comments, creations), fetched only where a page has its placeholder.
static WALL_JS: Script = Script::new(include_str!("../../../web/widget/wall.js"));

/// The widget is not versioned in its URL (sites embed it once), so browsers keep it only a
/// short while and then revalidate with the ETag.
const WIDGET_CACHE_CONTROL: &str = "public, max-age=600, stale-while-revalidate=86400";

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(widget_script))
        .routes(routes!(progress_script))
        .routes(routes!(wall_script))
}

struct WidgetAsset {
    etag: HeaderValue,
    gzipped: Vec<u8>,
}

impl Script {
    const fn new(source: &'static str) -> Self {
        Self {
            source,
            asset: OnceLock::new(),
        }
    }

    fn asset(&self) -> &WidgetAsset {
        self.asset.get_or_init(|| {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            // Writing to a Vec cannot fail; should it ever, the plain script is served instead.
            let gzipped = encoder
                .write_all(self.source.as_bytes())
                .and_then(|()| encoder.finish())
                .unwrap_or_default();
            WidgetAsset {
                etag: etag_of(self.source.as_bytes()),
                gzipped,
            }
        })
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// The embeddable widget: the fan button and the share bar.
#[utoipa::path(get, path = "/w/fanfare.js", tag = "public",
    description = "Embed with `<script src=\".../w/fanfare.js\" data-campaign=\"SLUG\" async></script>` \
        and placeholders `<div data-fanfare=\"fan-button\">` / `<div data-fanfare=\"share-bar\">` / \
        `<div data-fanfare=\"progress\">` / `<div data-fanfare=\"wall\">` (the fan's progress, the \
        wall of reactions, comments and creations; their scripts are fetched only then). \
        Optional attributes: `data-lang` (en, fr), `data-theme` (light, dark).",
    responses(
        (status = 200, description = "The script (gzipped when accepted)", content_type = "text/javascript"),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
async fn widget_script(headers: HeaderMap) -> Response {
    serve(&FANFARE_JS, &headers)
}

/// The widget's progress view: friends brought, reach, rank, level, clicks, the next reward.
#[utoipa::path(get, path = "/w/progress.js", tag = "public",
    description = "Loaded by `/w/fanfare.js` on pages with a `<div data-fanfare=\"progress\">` placeholder; \
        not meant to be embedded on its own.",
    responses(
        (status = 200, description = "The script (gzipped when accepted)", content_type = "text/javascript"),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
async fn progress_script(headers: HeaderMap) -> Response {
    serve(&PROGRESS_JS, &headers)
}

/// The widget's wall: reactions, comments and creations, with a one-step join.
#[utoipa::path(get, path = "/w/wall.js", tag = "public",
    description = "Loaded by `/w/fanfare.js` on pages with a `<div data-fanfare=\"wall\">` placeholder; \
        not meant to be embedded on its own.",
    responses(
        (status = 200, description = "The script (gzipped when accepted)", content_type = "text/javascript"),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
async fn wall_script(headers: HeaderMap) -> Response {
    serve(&WALL_JS, &headers)
}

fn serve(script: &'static Script, headers: &HeaderMap) -> Response {
    let asset = script.asset();
    let common = [
        (header::ETAG, asset.etag.clone()),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(WIDGET_CACHE_CONTROL),
        ),
        (header::VARY, HeaderValue::from_static("Accept-Encoding")),
        // Sites that isolate themselves (COEP) may still load it.
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if not_modified(headers, &asset.etag) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let javascript = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    if accepts_gzip(headers) && !asset.gzipped.is_empty() {
        (
            common,
            [
                javascript,
                (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
            ],
            asset.gzipped.clone(),
        )
            .into_response()
    } else {
        (common, [javascript], script.source).into_response()
    }
}

/// CORS for `/api/public/campaigns/{slug}/…`: a browser on one of the campaign's allowed domains
/// (or on Fanfare's own origin) may call; other sites may read nothing and change nothing.
///
/// Only headers are added to reads from elsewhere (the browser then hides the answer), but a
/// write from a foreign origin is refused here, since a plain form or beacon POST needs no
/// preflight and would otherwise reach the handler.
pub async fn public_cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(slug) = request
        .uri()
        .path()
        .strip_prefix("/api/public/campaigns/")
        .map(|rest| rest.split('/').next().unwrap_or("").to_owned())
    else {
        return next.run(request).await;
    };
    let Some(origin) = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return next.run(request).await;
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let verdict = origin_verdict(&state, &slug, &origin, request.headers()).await;
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = match &verdict {
        Verdict::Allowed if preflight => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let h = response.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, DELETE"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            response
        }
        Verdict::Refused(campaign_slug) if preflight || !safe => {
            ApiError::OriginNotAllowed(format!(
                "{origin} may not call campaign \"{campaign_slug}\": add its host to the campaign's allowed_domains"
            ))
            .into_response()
        }
        _ => next.run(request).await,
    };
    let h = response.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    match verdict {
        Verdict::Allowed => {
            if let Ok(value) = HeaderValue::from_str(&origin) {
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
                h.insert(
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    HeaderValue::from_static("retry-after"),
                );
            }
        }
        // Nothing to protect: let the widget read the error and say why it shows nothing.
        Verdict::Undecided => {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
        Verdict::Refused(_) => {}
    }
    response
}

/// Whether `origin` is Fanfare itself: the host the request was sent to, or the configured
/// public URL (behind a proxy the two may differ).
pub(crate) fn is_own_origin(state: &AppState, headers: &HeaderMap, origin: &url::Url) -> bool {
    let Some(host) = origin.host_str() else {
        return false;
    };
    let authority = match origin.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case(&authority))
        || state.config.base_url.origin() == origin.origin()
}

enum Verdict {
    Allowed,
    Refused(String),
    /// No such campaign, or it could not be read: the handler answers with the error.
    Undecided,
}

async fn origin_verdict(
    state: &AppState,
    slug: &str,
    origin: &str,
    headers: &HeaderMap,
) -> Verdict {
    let Ok(slug) = parse_slug_path(slug) else {
        return Verdict::Undecided;
    };
    let Ok(parsed) = url::Url::parse(origin) else {
        return Verdict::Refused(slug.as_str().to_owned());
    };
    let Some(host) = parsed.host_str() else {
        return Verdict::Refused(slug.as_str().to_owned());
    };
    let same_origin = is_own_origin(state, headers, &parsed);
    let campaign = match find(state, &slug).await {
        Ok(campaign) => campaign,
        // No campaign, or no database right now: the handler meets the same failure and answers
        // it (404, 503); refusing here would blame the origin for it.
        Err(_) => return Verdict::Undecided,
    };
    let web = matches!(parsed.scheme(), "http" | "https");
    if same_origin
        || (web
            && campaign
                .settings
                .allowed_domains
                .iter()
                .any(|d| d.covers(host)))
    {
        Verdict::Allowed
    } else {
        Verdict::Refused(slug.as_str().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_chosen_only_when_accepted() {
        let mut headers = HeaderMap::new();
        assert!(!accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, GZIP;q=0.8"),
        );
        assert!(accepts_gzip(&headers));
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&headers));
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzipx"));
        assert!(!accepts_gzip(&headers));
    }
}

//! What a visitor's browser loads: the embeddable widget (`/w/fanfare.js`), the hosted campaign
//! page (`/c/{slug}`), and the CORS rules of the public API that the widget calls from other
//! sites.
//!
//! The widget is one hand-written script embedded in the binary; it is served compressed when
//! the browser accepts it, with an ETag so that a revalidation costs a 304. The hosted page is
//! rendered here, so that it shows the message, the count, the share links and the leaderboard
//! without running any script, and the widget (the same one other sites embed) then adds the
//! fan button and the personal share bar.

use std::io::Write;
use std::sync::OnceLock;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use fanfare_core::campaign::Campaign;
use fanfare_core::link::Channel;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::context::visiting;
use crate::context::{anonymous_link, find, parse_slug_path};
use crate::engagement::{CreationView, Standing, recent_creations, top_ambassadors};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::html::escape as html_escape;
use crate::state::AppState;
use crate::urls::{LinkRoute, link_urls};
use crate::visitor::Client;

/// The widget's source, as written (it needs no build step).
const WIDGET_JS: &str = include_str!("../../../web/widget/fanfare.js");

/// The widget is not versioned in its URL (sites embed it once), so browsers keep it only a
/// short while and then revalidate with the ETag.
const WIDGET_CACHE_CONTROL: &str = "public, max-age=600, stale-while-revalidate=86400";

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(widget_script))
        .routes(routes!(campaign_page))
}

struct WidgetAsset {
    etag: HeaderValue,
    gzipped: Vec<u8>,
}

/// Hashed and compressed once per process, on first request.
fn widget_asset() -> &'static WidgetAsset {
    static ASSET: OnceLock<WidgetAsset> = OnceLock::new();
    ASSET.get_or_init(|| {
        let digest = Sha256::digest(WIDGET_JS.as_bytes());
        let tag: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail; should it ever, the plain script is served instead.
        let gzipped = encoder
            .write_all(WIDGET_JS.as_bytes())
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        WidgetAsset {
            etag: HeaderValue::from_str(&format!("\"{tag}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("\"widget\"")),
            gzipped,
        }
    })
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
        and placeholders `<div data-fanfare=\"fan-button\">` / `<div data-fanfare=\"share-bar\">`. \
        Optional attributes: `data-lang` (en, fr), `data-theme` (light, dark).",
    responses(
        (status = 200, description = "The script (gzipped when accepted)", content_type = "text/javascript"),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
async fn widget_script(headers: HeaderMap) -> Response {
    let asset = widget_asset();
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
    let revalidated = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == asset.etag.to_str().unwrap_or("")
        });
    if revalidated {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let javascript = (
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    if accepts_gzip(&headers) && !asset.gzipped.is_empty() {
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
        (common, [javascript], WIDGET_JS).into_response()
    }
}

/// Labels of the hosted page; the widget carries its own.
struct Labels {
    lang: &'static str,
    fans: &'static str,
    share: &'static str,
    ambassadors: &'static str,
    no_ambassadors: &'static str,
    creations: &'static str,
    brought: &'static str,
}

const ENGLISH: Labels = Labels {
    lang: "en",
    fans: "fans",
    share: "Share",
    ambassadors: "Top ambassadors",
    no_ambassadors: "Be the first to bring a friend.",
    creations: "Fans' creations",
    brought: "brought",
};

const FRENCH: Labels = Labels {
    lang: "fr",
    fans: "fans",
    share: "Partager",
    ambassadors: "Meilleurs ambassadeurs",
    no_ambassadors: "Soyez le premier à faire venir un ami.",
    creations: "Créations des fans",
    brought: "a fait venir",
};

/// French when the browser prefers it to English, English otherwise.
fn labels_for(headers: &HeaderMap) -> &'static Labels {
    let preferred = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(',')
        .map(|tag| {
            tag.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .find(|tag| tag.starts_with("fr") || tag.starts_with("en"));
    match preferred {
        Some(tag) if tag.starts_with("fr") => &FRENCH,
        _ => &ENGLISH,
    }
}

/// The hosted campaign page: message, fan button, share bar, leaderboard, approved creations.
#[utoipa::path(get, path = "/c/{slug}", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses(
        (status = 200, description = "The page, with Open Graph and X card tags", content_type = "text/html"),
        (status = 404, description = "No such campaign", content_type = "text/html"),
        (status = 429, description = "Too many requests; see Retry-After", body = crate::error::ErrorBody),
    ))]
async fn campaign_page(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    let campaign = match visiting(&state, &slug, &client).await {
        Ok((campaign, _)) => campaign,
        Err(ApiError::NotFound { .. } | ApiError::InvalidPath { .. }) => {
            return Ok(page_not_found());
        }
        Err(e) => return Err(e),
    };
    let fans = state.store.count_fans(campaign.id).await?;
    let key = anonymous_link(&state, campaign.id).await?;
    let share_urls = link_urls(
        &state.config.base_url,
        &key,
        &campaign.settings.channels,
        LinkRoute::Share,
    );
    let ambassadors = top_ambassadors(&state, &campaign, 10).await?;
    let creations = recent_creations(&state, &campaign, 12).await?;
    let page_url = format!(
        "{}/c/{}",
        state.config.base_url.as_str().trim_end_matches('/'),
        campaign.slug.as_str()
    );
    let html = render_page(&PageContent {
        campaign: &campaign,
        page_url: &page_url,
        fans,
        share_urls: &share_urls,
        ambassadors: &ambassadors,
        creations: &creations,
        labels: labels_for(&headers),
    });
    Ok((
        [
            (
                header::CONTENT_SECURITY_POLICY,
                // Inline styles only (the page's and the widget's); scripts only from here.
                "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' https: http: data:; \
                 style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
            (header::CACHE_CONTROL, "public, max-age=30"),
            (header::VARY, "Accept-Language"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(html),
    )
        .into_response())
}

fn page_not_found() -> Response {
    let body = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
        <meta name=\"robots\" content=\"noindex\"><title>Campaign not found</title>\
        <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\
        <h1>This campaign does not exist</h1>\
        <p>It may have ended, or the address may be mistyped.</p></body></html>";
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, "no-store")],
        Html(body),
    )
        .into_response()
}

struct PageContent<'a> {
    campaign: &'a Campaign,
    page_url: &'a str,
    fans: u64,
    share_urls: &'a std::collections::BTreeMap<Channel, String>,
    ambassadors: &'a [Standing],
    creations: &'a [CreationView],
    labels: &'static Labels,
}

const PAGE_STYLE: &str = "body{font:17px/1.5 system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:1.5rem 1rem;color:#1b1b1b;background:#fff}\
img.hero{max-width:100%;height:auto;border-radius:8px}h1{line-height:1.2}\
.fallback a{display:inline-block;margin:0 .4rem .4rem 0;color:#1b1b1b}\
ol{padding-left:1.4rem}li{margin:.2rem 0}.creation{border-top:1px solid #ddd;padding:.6rem 0}\
a{color:#8a0e3e}";

fn render_page(content: &PageContent<'_>) -> String {
    let settings = &content.campaign.settings;
    let labels = content.labels;
    let slug = content.campaign.slug.as_str();
    let title = settings.title.as_deref().unwrap_or(slug);
    let description = settings.description.as_deref().unwrap_or("");
    let image = settings.image_url.as_ref().map(|u| u.to_string());
    let title_html = html_escape(title);
    let description_html = html_escape(description);
    let page_url = html_escape(content.page_url);

    let mut head = format!(
        "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title_html}</title>\
         <link rel=\"canonical\" href=\"{page_url}\">\
         <meta property=\"og:type\" content=\"website\">\
         <meta property=\"og:url\" content=\"{page_url}\">\
         <meta property=\"og:title\" content=\"{title_html}\">\
         <meta name=\"twitter:title\" content=\"{title_html}\">"
    );
    if !description.is_empty() {
        head.push_str(&format!(
            "<meta name=\"description\" content=\"{description_html}\">\
             <meta property=\"og:description\" content=\"{description_html}\">\
             <meta name=\"twitter:description\" content=\"{description_html}\">"
        ));
    }
    let card = match &image {
        Some(image) => {
            let image = html_escape(image);
            head.push_str(&format!(
                "<meta property=\"og:image\" content=\"{image}\">\
                 <meta property=\"og:image:alt\" content=\"{title_html}\">\
                 <meta name=\"twitter:image\" content=\"{image}\">"
            ));
            "summary_large_image"
        }
        None => "summary",
    };
    head.push_str(&format!(
        "<meta name=\"twitter:card\" content=\"{card}\"><style>{PAGE_STYLE}</style>"
    ));

    let mut body = String::new();
    if let Some(image) = &image {
        body.push_str(&format!(
            "<img class=\"hero\" src=\"{}\" alt=\"\">",
            html_escape(image)
        ));
    }
    body.push_str(&format!("<h1>{title_html}</h1>"));
    if !description.is_empty() {
        body.push_str(&format!("<p>{description_html}</p>"));
    }
    body.push_str(&format!(
        "<div data-fanfare=\"fan-button\"><p class=\"count\"><strong>{}</strong> {}</p></div>",
        content.fans, labels.fans
    ));
    // The count and plain share links inside the placeholders: what a browser without scripts
    // shows; the widget's shadow roots take their place when it runs.
    body.push_str(&format!(
        "<div data-fanfare=\"share-bar\"><nav class=\"fallback\" aria-label=\"{}\">",
        labels.share
    ));
    for (channel, url) in content.share_urls {
        if channel.default_intent().is_some() {
            body.push_str(&format!(
                "<a href=\"{}\" rel=\"nofollow noopener\">{}</a>",
                html_escape(url),
                channel.as_str()
            ));
        }
    }
    body.push_str("</nav></div>");

    body.push_str(&format!("<h2>{}</h2>", labels.ambassadors));
    if content.ambassadors.is_empty() {
        body.push_str(&format!("<p>{}</p>", labels.no_ambassadors));
    } else {
        body.push_str("<ol class=\"leaderboard\">");
        for ambassador in content.ambassadors {
            body.push_str(&format!(
                "<li>{} — {} {}</li>",
                html_escape(ambassador.name.as_deref().unwrap_or("?")),
                labels.brought,
                ambassador.referred
            ));
        }
        body.push_str("</ol>");
    }
    if !content.creations.is_empty() {
        body.push_str(&format!("<h2>{}</h2>", labels.creations));
        for creation in content.creations {
            body.push_str("<article class=\"creation\">");
            body.push_str(&format!(
                "<strong>{}</strong>",
                html_escape(creation.name.as_deref().unwrap_or("?"))
            ));
            if let Some(text) = &creation.body {
                body.push_str(&format!("<p>{}</p>", html_escape(text)));
            }
            if let Some(url) = &creation.url {
                let url = html_escape(url);
                body.push_str(&format!(
                    "<p><a href=\"{url}\" rel=\"nofollow ugc noopener\">{url}</a></p>"
                ));
            }
            body.push_str("</article>");
        }
    }
    format!(
        "<!doctype html><html lang=\"{lang}\"><head>{head}</head><body><main>{body}</main>\
         <script src=\"/w/fanfare.js\" data-campaign=\"{slug}\" data-lang=\"{lang}\" async></script>\
         </body></html>",
        lang = labels.lang,
        slug = html_escape(slug),
    )
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

    #[test]
    fn french_only_when_preferred_over_english() {
        let mut headers = HeaderMap::new();
        assert_eq!(labels_for(&headers).lang, "en");
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr-CA,fr;q=0.9,en;q=0.5"),
        );
        assert_eq!(labels_for(&headers).lang, "fr");
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de, en-GB;q=0.8, fr;q=0.5"),
        );
        assert_eq!(labels_for(&headers).lang, "en");
    }
}

//! The hosted campaign page (`/c/{slug}`): the message, the fan count, the share links and the
//! leaderboard, readable without any script, with the Open Graph and X card tags that make its
//! previews; the widget (the same one other sites embed) then adds the fan button, the personal
//! share bar, the fan's progress and the wall. Its generated share card (`/c/{slug}/card.png`,
//! drawn by `card`) is served here too.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use fanfare_core::campaign::Campaign;
use fanfare_core::link::Channel;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::card::{CardContent, DEFAULT_BRAND_COLOUR, DrawnCard};
use crate::context::{anonymous_link, visiting};
use crate::engagement::{CreationView, Standing, recent_creations, top_ambassadors};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath;
use crate::html::notice_page;
use crate::state::AppState;
use crate::urls::{LinkRoute, link_urls};
use crate::validators::not_modified;
use crate::visitor::Client;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(campaign_page))
        .routes(routes!(share_card))
}

/// Labels of the hosted page; the widget carries its own.
pub(crate) struct Labels {
    pub(crate) lang: &'static str,
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
pub(crate) fn labels_for(headers: &HeaderMap) -> &'static Labels {
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
pub async fn campaign_page(
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
    let key = match anonymous_link(&state, campaign.id).await {
        Ok(key) => key,
        // Deleted since it was read: the same page as for a campaign never created.
        Err(ApiError::NotFound { .. }) => return Ok(page_not_found()),
        Err(e) => return Err(e),
    };
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
        card_url: &card_url(&state.config.base_url, &campaign),
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
        Html(html.into_string()),
    )
        .into_response())
}

/// The campaign's share card, drawn from its title and fan count.
#[utoipa::path(get, path = "/c/{slug}/card.png", tag = "public",
    params(("slug" = String, Path, description = "The campaign's slug")),
    responses(
        (status = 200, description = "A 1200×630 PNG: the title and fan count on the brand colour", content_type = "image/png"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many requests; see Retry-After", body = ErrorBody),
    ))]
async fn share_card(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Response> {
    let (campaign, _) = visiting(&state, &slug, &client).await?;
    let card = card_of(&state, &campaign).await?;
    let common = [
        (header::ETAG, card.etag.clone()),
        // Networks fetch it once per share; an edited title shows within ten minutes.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=600"),
        ),
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if not_modified(&headers, &card.etag) {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static("image/png"))],
        card.png.clone(),
    )
        .into_response())
}

async fn card_of(state: &AppState, campaign: &Campaign) -> ApiResult<Arc<DrawnCard>> {
    let settings = &campaign.settings;
    let title = settings
        .title
        .clone()
        .unwrap_or_else(|| campaign.slug.as_str().to_owned());
    let host = settings.landing_url.host();
    let site = host.trim_start_matches("www.").to_owned();
    let background = settings
        .brand_color
        .map_or(DEFAULT_BRAND_COLOUR, |colour| colour.rgb());
    if let Some(kept) = state.cards.fresh(campaign.id, &title, &site, background) {
        return Ok(kept);
    }
    let content = CardContent {
        title,
        fans: state.store.count_fans(campaign.id).await?,
        site,
        background,
    };
    // Tens of milliseconds of drawing and compressing: off the async runtime's threads.
    let drawn = tokio::task::spawn_blocking(move || DrawnCard::draw(content))
        .await
        .map_err(|e| ApiError::Internal(format!("share card: {e}")))?
        .map_err(|e| ApiError::Internal(format!("share card: {e}")))?;
    let drawn = Arc::new(drawn);
    state.cards.keep(campaign.id, drawn.clone());
    Ok(drawn)
}

/// The generated share card of a campaign (`/c/{slug}/card.png`).
pub(crate) fn card_url(base_url: &url::Url, campaign: &Campaign) -> String {
    format!(
        "{}/c/{}/card.png",
        base_url.as_str().trim_end_matches('/'),
        campaign.slug.as_str()
    )
}

fn page_not_found() -> Response {
    let body = notice_page(
        "Campaign not found",
        "This campaign does not exist",
        "It may have ended, or the address may be mistyped.",
    );
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, "no-store")],
        Html(body.into_string()),
    )
        .into_response()
}

struct PageContent<'a> {
    campaign: &'a Campaign,
    page_url: &'a str,
    /// The generated card: the previews' image when the campaign has none of its own.
    card_url: &'a str,
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

fn render_page(content: &PageContent<'_>) -> Markup {
    let settings = &content.campaign.settings;
    let labels = content.labels;
    let slug = content.campaign.slug.as_str();
    let title = settings.title.as_deref().unwrap_or(slug);
    let description = settings.description.as_deref().filter(|d| !d.is_empty());
    let image = settings.image_url.as_ref().map(|u| u.to_string());
    html! {
        (DOCTYPE)
        html lang=(labels.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) }
                link rel="canonical" href=(content.page_url);
                meta property="og:type" content="website";
                meta property="og:url" content=(content.page_url);
                meta property="og:title" content=(title);
                meta name="twitter:title" content=(title);
                @if let Some(description) = description {
                    meta name="description" content=(description);
                    meta property="og:description" content=(description);
                    meta name="twitter:description" content=(description);
                }
                @let preview_image = image.as_deref().unwrap_or(content.card_url);
                meta property="og:image" content=(preview_image);
                meta property="og:image:alt" content=(title);
                @if image.is_none() {
                    meta property="og:image:width" content=(crate::card::CARD_WIDTH);
                    meta property="og:image:height" content=(crate::card::CARD_HEIGHT);
                }
                meta name="twitter:image" content=(preview_image);
                meta name="twitter:card" content="summary_large_image";
                style { (PreEscaped(PAGE_STYLE)) }
            }
            body {
                main {
                    @if let Some(image) = &image {
                        img.hero src=(image) alt="";
                    }
                    h1 { (title) }
                    @if let Some(description) = description {
                        p { (description) }
                    }
                    div data-fanfare="fan-button" {
                        p.count { strong { (content.fans) } " " (labels.fans) }
                    }
                    // The count and plain share links inside the placeholders: what a browser
                    // without scripts shows; the widget's shadow roots take their place when it
                    // runs.
                    div data-fanfare="share-bar" {
                        nav.fallback aria-label=(labels.share) {
                            @for (channel, url) in content.share_urls {
                                @if channel.default_intent().is_some() {
                                    a href=(url) rel="nofollow noopener" { (channel.as_str()) }
                                }
                            }
                        }
                    }
                    // The fan's progress and the wall, drawn by the widget (nothing without it).
                    div data-fanfare="progress" {}
                    div data-fanfare="wall" {}
                    h2 { (labels.ambassadors) }
                    @if content.ambassadors.is_empty() {
                        p { (labels.no_ambassadors) }
                    } @else {
                        ol.leaderboard {
                            @for ambassador in content.ambassadors {
                                li {
                                    (ambassador.name.as_deref().unwrap_or("?"))
                                    " — " (labels.brought) " " (ambassador.referred)
                                }
                            }
                        }
                    }
                    @if !content.creations.is_empty() {
                        h2 { (labels.creations) }
                        @for creation in content.creations {
                            article.creation {
                                strong { (creation.name.as_deref().unwrap_or("?")) }
                                @if let Some(text) = &creation.body {
                                    p { (text) }
                                }
                                @if let Some(url) = &creation.url {
                                    p { a href=(url) rel="nofollow ugc noopener" { (url) } }
                                }
                            }
                        }
                    }
                }
                script src="/w/fanfare.js" data-campaign=(slug) data-lang=(labels.lang) async {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

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

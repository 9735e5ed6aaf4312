//! What a network's link-preview fetcher gets from `/s/{code}`: a small page of Open Graph and
//! X card tags instead of the `302`, so that a shared link draws the campaign's card, and for a
//! fan's personal link an invitation in the fan's name ("Ada invites you to …").
//!
//! Only fetchers the classifier names `preview` get it; people and other bots keep the redirect.
//! The fetch is still stored as a click of the `preview` class (never counted as a person's),
//! exactly as when it was redirected. `og:url` is the short link itself: networks treat it as the
//! canonical address and would otherwise draw the card of the landing page instead.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use fanfare_core::campaign::{Campaign, Slug};
use fanfare_core::fan::RefCode;
use maud::{DOCTYPE, Markup, html};

use super::cache::CachedLink;
use crate::context::{find, public_name};
use crate::error::{ApiError, ApiResult};
use crate::html::X_ROBOTS_TAG;
use crate::public_page::{card_url, labels_for};
use crate::state::AppState;

/// The card a preview fetcher draws: the texts and image of the page it gets.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PreviewCard {
    pub title: String,
    pub description: Option<String>,
    pub image: String,
    /// The short link the fetcher asked for.
    pub url: String,
    /// Where a person who gets this page anyway (a browser that says it is a fetcher) goes.
    pub target: String,
    pub lang: &'static str,
}

/// The preview page of the link behind `code`, or `None` if its campaign went away meanwhile
/// (the caller then answers as for an unknown link).
pub(crate) async fn preview_page(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
    link: &CachedLink,
    location: &HeaderValue,
) -> ApiResult<Option<Response>> {
    let Ok(slug) = Slug::parse(&link.target.campaign_slug) else {
        return Ok(None);
    };
    let campaign = match find(state, &slug).await {
        Ok(campaign) => campaign,
        Err(ApiError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let inviter = match link.target.ref_code.as_deref().and_then(RefCode::parse) {
        Some(code) => public_name(state, &campaign, &code).await?,
        None => None,
    };
    let labels = labels_for(headers);
    let base = state.config.base_url.as_str().trim_end_matches('/');
    let card = PreviewCard::new(
        &campaign,
        inviter.as_deref(),
        labels.lang,
        format!("{base}/s/{code}"),
        card_url(&state.config.base_url, &campaign),
        location.to_str().unwrap_or_default().to_owned(),
    );
    Ok(Some(
        (
            [
                // Networks keep their own copy of a card; ours must not outlive a disabled link.
                (header::CACHE_CONTROL, "no-store"),
                (header::VARY, "Accept-Language"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; img-src 'self' https: http:; base-uri 'none'; frame-ancestors 'none'",
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (X_ROBOTS_TAG, "noindex"),
            ],
            Html(render(&card).into_string()),
        )
            .into_response(),
    ))
}

impl PreviewCard {
    fn new(
        campaign: &Campaign,
        inviter: Option<&str>,
        lang: &'static str,
        url: String,
        image: String,
        target: String,
    ) -> Self {
        let settings = &campaign.settings;
        let campaign_title = settings
            .title
            .clone()
            .unwrap_or_else(|| campaign.slug.as_str().to_owned());
        let title = match (inviter, lang) {
            (Some(name), "fr") => format!("{name} vous invite : {campaign_title}"),
            (Some(name), _) => format!("{name} invites you to {campaign_title}"),
            (None, _) => campaign_title,
        };
        Self {
            title,
            description: settings.description.clone().filter(|d| !d.is_empty()),
            image: settings
                .image_url
                .as_ref()
                .map_or(image, |url| url.to_string()),
            url,
            target,
            lang,
        }
    }
}

fn render(card: &PreviewCard) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(card.lang) {
            head {
                meta charset="utf-8";
                meta name="robots" content="noindex";
                title { (card.title) }
                meta property="og:type" content="website";
                meta property="og:url" content=(card.url);
                meta property="og:title" content=(card.title);
                meta property="og:image" content=(card.image);
                meta property="og:image:alt" content=(card.title);
                meta name="twitter:card" content="summary_large_image";
                meta name="twitter:title" content=(card.title);
                meta name="twitter:image" content=(card.image);
                @if let Some(description) = &card.description {
                    meta name="description" content=(description);
                    meta property="og:description" content=(description);
                    meta name="twitter:description" content=(description);
                }
                // A person whose browser calls itself a fetcher still gets where the link goes.
                meta http-equiv="refresh" content={ "0; url=" (card.target) };
            }
            body {
                p { a href=(card.target) { (card.title) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use fanfare_core::campaign::{CampaignSettings, RawCampaignSettings};

    use super::*;

    fn campaign(title: Option<&str>, image: Option<&str>) -> Campaign {
        let settings = CampaignSettings::parse(RawCampaignSettings {
            kind: "brand",
            title,
            image_url: image,
            landing_url: "https://brand.example/",
            ..RawCampaignSettings::default()
        })
        .unwrap();
        Campaign {
            id: 1,
            slug: Slug::parse("spring").unwrap(),
            settings,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn card(campaign: &Campaign, inviter: Option<&str>, lang: &'static str) -> PreviewCard {
        PreviewCard::new(
            campaign,
            inviter,
            lang,
            "https://f.example/s/AbCdEfGhx".into(),
            "https://f.example/c/spring/card.png".into(),
            "https://brand.example/?ff_ref=X".into(),
        )
    }

    #[test]
    fn a_fans_link_is_an_invitation_in_their_name() {
        let spring = campaign(Some("Spring sale"), None);
        assert_eq!(
            card(&spring, Some("Ada"), "en").title,
            "Ada invites you to Spring sale"
        );
        assert_eq!(
            card(&spring, Some("Ada"), "fr").title,
            "Ada vous invite : Spring sale"
        );
        assert_eq!(card(&spring, None, "en").title, "Spring sale");
        assert_eq!(card(&campaign(None, None), None, "en").title, "spring");
    }

    #[test]
    fn the_campaigns_image_comes_before_the_generated_card() {
        let generated = card(&campaign(None, None), None, "en");
        assert_eq!(generated.image, "https://f.example/c/spring/card.png");
        let own = card(
            &campaign(None, Some("https://brand.example/hero.jpg")),
            None,
            "en",
        );
        assert_eq!(own.image, "https://brand.example/hero.jpg");
    }

    #[test]
    fn a_name_is_text_in_the_page() {
        let page = render(&card(
            &campaign(Some("Sale"), None),
            Some("<script>alert(1)</script>\"'"),
            "en",
        ))
        .into_string();
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;"), "{page}");
    }
}

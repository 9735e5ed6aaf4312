//! HTML that more than one part of the server serves. Every page Fanfare renders is a maud
//! `html!` template, which escapes each value it is given: no page is assembled from strings
//! with escaping called by hand.

use maud::{DOCTYPE, Markup, html};

/// A small page that says one thing (a link or a campaign that does not exist), kept out of
/// search engines.
pub fn notice_page(title: &str, heading: &str, text: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            meta charset="utf-8";
            meta name="robots" content="noindex";
            title { (title) }
            body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem" {
                h1 { (heading) }
                p { (text) }
            }
        }
    }
}

/// Asks search engines not to index redirects and link pages.
pub(crate) const X_ROBOTS_TAG: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-robots-tag");

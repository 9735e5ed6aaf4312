//! The rules of `docs/smo-rules.md`, each under its stable id. A rule that needs something the
//! audit did not fetch (an image, an oEmbed answer) says so in `unchecked` rather than passing.

use crate::report::Severity;

mod base;
mod content;
mod networks;

pub use base::{Inputs, Outcome, site_of};

use content::{consistency, keywords, oembed, structured_data, text_lengths};
pub use content::{json_ld_image_urls, oembed_problems};
use networks::{facebook, linkedin, open_graph, x};

pub fn check(inputs: &Inputs<'_>) -> Outcome {
    let mut out = Outcome::default();
    let m = inputs.meta;
    open_graph(inputs, &mut out);
    facebook(inputs, &mut out);
    x(inputs, &mut out);
    linkedin(inputs, &mut out);
    text_lengths(m, &mut out);
    keywords(inputs, &mut out);
    structured_data(inputs, &mut out);
    oembed(inputs, &mut out);
    consistency(inputs, &mut out);
    if out.findings.iter().any(|f| f.severity >= Severity::Warning) {
        out.add(
            "C2",
            Severity::Info,
            "networks keep the preview they scraped (Facebook for about 24 hours)".into(),
            "after fixing, ask each network to scrape the page again (Facebook's sharing debugger, LinkedIn's post inspector)",
        );
    }
    out
}
#[cfg(test)]
mod tests {
    use super::base::is_iso8601;
    use super::*;

    #[test]
    fn iso_dates() {
        assert!(is_iso8601("2026-11-26", false));
        assert!(!is_iso8601("2026-11-26", true));
        assert!(is_iso8601("2026-11-26T10:00:00Z", true));
        assert!(is_iso8601("2026-11-26T10:00:00+01:00", true));
        assert!(!is_iso8601("26/11/2026", false));
        assert!(!is_iso8601("2026-11-26T10:00:00", true));
    }

    #[test]
    fn sites() {
        assert_eq!(site_of("www.shop.example.com"), "example.com");
        assert_eq!(site_of("news.bbc.co.uk"), "bbc.co.uk");
        assert_eq!(site_of("localhost"), "localhost");
    }
}

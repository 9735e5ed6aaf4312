//! The parser's entry point against what the web really sends: truncated, binary, huge, deeply
//! nested, non-UTF-8 pages and absurd attributes. None may panic, hang or exceed its bounds.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use fanfare_smo::{Options, audit_offline, meta};
use proptest::prelude::*;

fn audit(bytes: &[u8]) -> fanfare_smo::Report {
    audit_offline(
        bytes,
        &Options {
            base_url: url::Url::parse("https://shop.example/p").ok(),
            ..Options::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let report = audit(&bytes);
        prop_assert!(report.score <= 100);
    }

    #[test]
    fn markup_soup_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("<meta property=\"og:title\" content=\"".to_owned()),
        Just("<meta name=twitter:card content=summary>".to_owned()),
        Just("<meta property=og:image content=".to_owned()),
        Just("<meta property=\"og:image:width\" content=\"-1\">".to_owned()),
        Just("<head>".to_owned()), Just("</head>".to_owned()), Just("<body>".to_owned()),
        Just("<title>".to_owned()), Just("</title>".to_owned()),
        Just("<script type=\"application/ld+json\">{\"@type\":[\"Product\",".to_owned()),
        Just("</script>".to_owned()), Just("<link rel=canonical href=//x>".to_owned()),
        Just("&amp;&#0;&#x110000;&bogus;".to_owned()), Just("\"'>".to_owned()),
        Just("<svg><title>x</title></svg>".to_owned()), Just("<!--".to_owned()),
        "[a-zA-Z0-9 <>/=\"'&;:#-]{0,40}",
    ], 0..60)) {
        let html = parts.concat();
        let report = audit(html.as_bytes());
        prop_assert!(report.score <= 100);
        // A title, when found, stays bounded and without tags' angle brackets inside.
        if let Some(title) = &report.meta.title {
            prop_assert!(title.chars().count() <= 4096);
        }
    }
}

#[test]
fn a_50_mb_page_is_cut_at_the_limit_and_read_quickly() {
    let mut page = b"<html><head><title>Huge</title>".to_vec();
    page.extend(std::iter::repeat_n(b'x', 50 * 1024 * 1024));
    page.extend_from_slice(b"<meta property=\"og:title\" content=\"beyond the limit\">");
    let started = Instant::now();
    let report = audit(&page);
    assert_eq!(report.meta.title.as_deref(), Some("Huge"));
    assert_eq!(
        report.meta.og_title,
        None,
        "nothing past {} bytes is read",
        meta::MAX_HTML_BYTES
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn deep_nesting_and_absurd_attributes_stay_bounded() {
    let mut page = String::from("<html><head>");
    page.push_str(&format!(
        "<meta property=\"og:title\" content=\"{}\">",
        "T".repeat(1_000_000)
    ));
    page.push_str(&format!(
        "<meta property=\"og:description\" {}>",
        "a=\"b\" ".repeat(100_000)
    ));
    page.push_str("</head><body>");
    page.push_str(&"<div><span><a>".repeat(200_000));
    page.push_str("<img src=\"/late.png\">");
    let report = audit(page.as_bytes());
    assert_eq!(
        report.meta.og_title.as_ref().map(|t| t.chars().count()),
        Some(4096)
    );
    assert_eq!(report.meta.first_img.as_deref(), Some("/late.png"));
    // The terminal output does not carry a megabyte title either.
    assert!(fanfare_smo::text::render(&report, false).len() < 20_000);
}

#[test]
fn truncated_binary_and_non_utf8_pages_are_audited_as_far_as_they_go() {
    let truncated = b"<html><head><title>Cut here</title><meta property=\"og:title\" content=\"Cut";
    let report = audit(truncated);
    assert_eq!(report.meta.title.as_deref(), Some("Cut here"));
    let binary: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let report = audit(&binary);
    assert!(report.findings.iter().any(|f| f.rule == "OG1"));
    let shift_jis = b"<meta charset=\"shift_jis\"><title>\x93\xfa\x96\x7b</title>";
    assert_eq!(audit(shift_jis).meta.title.as_deref(), Some("日本"));
    let utf16 = {
        let mut b = vec![0xff, 0xfe];
        for unit in "<title>été</title>".encode_utf16() {
            b.extend_from_slice(&unit.to_le_bytes());
        }
        b
    };
    assert_eq!(audit(&utf16).meta.title.as_deref(), Some("été"));
}

#[test]
fn hostile_text_cannot_drive_the_terminal() {
    let page = "<title>\u{1b}[2J\u{1b}]0;owned\u{7}Title</title>";
    let report = audit(page.as_bytes());
    let text = fanfare_smo::text::render(&report, false);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(!text.contains('\u{7}'));
}

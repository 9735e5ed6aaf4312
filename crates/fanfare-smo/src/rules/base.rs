//! What every rule reads and writes: the [`Inputs`], the [`Outcome`], and the small checks
//! several rules share.

use url::Url;

use crate::meta::Meta;
use crate::report::{
    CampaignHints, Finding, ImageProbe, OembedProbe, Severity, Unchecked, absolute,
};

/// Everything the rules look at.
#[derive(Debug)]
pub struct Inputs<'a> {
    pub meta: &'a Meta,
    pub base: Option<&'a Url>,
    /// Whether images were fetched; when not, image rules are `unchecked`.
    pub fetched: bool,
    pub images: &'a [ImageProbe],
    pub oembed: Option<&'a OembedProbe>,
    pub campaign: Option<&'a CampaignHints>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub unchecked: Vec<Unchecked>,
}

impl Outcome {
    pub(crate) fn add(
        &mut self,
        rule: &'static str,
        severity: Severity,
        message: String,
        fix: impl Into<String>,
    ) {
        self.findings.push(Finding {
            rule,
            severity,
            message,
            fix: fix.into(),
        });
    }

    pub(crate) fn skip(&mut self, rule: &'static str, reason: impl Into<String>) {
        self.unchecked.push(Unchecked {
            rule,
            reason: reason.into(),
        });
    }
}

pub(crate) const KNOWN_TYPES: &[&str] = &[
    "website",
    "article",
    "book",
    "profile",
    "music.song",
    "music.album",
    "music.playlist",
    "music.radio_station",
    "video.movie",
    "video.episode",
    "video.tv_show",
    "video.other",
];

pub(crate) const X_CARDS: &[&str] = &["summary", "summary_large_image", "app", "player"];

pub(crate) fn chars(value: &str) -> usize {
    value.chars().count()
}

pub(crate) fn is_web_url(value: &str) -> bool {
    Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The part of a host that names the site, roughly its registrable domain: the last two labels,
/// or three when the second-level label is a generic one under a country (`example.co.uk`).
pub fn site_of(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let take = if labels.len() >= 3
        && labels[labels.len() - 1].len() == 2
        && matches!(
            labels[labels.len() - 2],
            "co" | "com" | "org" | "net" | "gov" | "ac" | "edu" | "ne" | "or"
        ) {
        3
    } else {
        2
    };
    labels[labels.len().saturating_sub(take)..].join(".")
}

/// ISO 8601 date or date-time as the networks read it (`2026-11-26`, `2026-11-26T10:00:00Z`,
/// `2026-11-26T10:00:00+01:00`).
pub(crate) fn is_iso8601(value: &str, need_zone: bool) -> bool {
    let bytes = value.as_bytes();
    let date_ok = bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit);
    if !date_ok {
        return false;
    }
    if bytes.len() == 10 {
        return !need_zone;
    }
    let time = &value[10..];
    let Some(time) = time.strip_prefix('T').or_else(|| time.strip_prefix(' ')) else {
        return false;
    };
    let zoned = time.ends_with('Z')
        || time
            .rfind(['+', '-'])
            .is_some_and(|i| i >= 5 && time[i + 1..].len() == 5 && time.as_bytes()[i + 3] == b':');
    let hms = time.as_bytes();
    let clock_ok = hms.len() >= 5 && hms[..2].iter().all(u8::is_ascii_digit) && hms[2] == b':';
    clock_ok && (zoned || !need_zone)
}

pub(crate) fn probe<'a>(inputs: &'a Inputs<'_>, url: Option<&str>) -> Option<&'a ImageProbe> {
    let url = absolute(url?, inputs.base)?.to_string();
    inputs.images.iter().find(|p| p.url == url)
}

pub(crate) fn dims(p: &ImageProbe) -> Option<(u32, u32)> {
    Some((p.width?, p.height?))
}

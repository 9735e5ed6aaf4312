//! The rules of `SMO_RULES.md`, each under its stable id. A rule that needs something the audit
//! did not fetch (an image, an oEmbed answer) says so in `unchecked` rather than passing.

use serde::Serialize;
use url::Url;

use crate::meta::Meta;
use crate::report::{
    CampaignHints, Finding, ImageProbe, OembedProbe, Unchecked, absolute, is_tracking_parameter,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

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
    fn add(
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

    fn skip(&mut self, rule: &'static str, reason: impl Into<String>) {
        self.unchecked.push(Unchecked {
            rule,
            reason: reason.into(),
        });
    }
}

const KNOWN_TYPES: &[&str] = &[
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

const X_CARDS: &[&str] = &["summary", "summary_large_image", "app", "player"];

fn chars(value: &str) -> usize {
    value.chars().count()
}

fn is_web_url(value: &str) -> bool {
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
fn is_iso8601(value: &str, need_zone: bool) -> bool {
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

fn probe<'a>(inputs: &'a Inputs<'_>, url: Option<&str>) -> Option<&'a ImageProbe> {
    let url = absolute(url?, inputs.base)?.to_string();
    inputs.images.iter().find(|p| p.url == url)
}

fn dims(p: &ImageProbe) -> Option<(u32, u32)> {
    Some((p.width?, p.height?))
}

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

fn open_graph(inputs: &Inputs<'_>, out: &mut Outcome) {
    let m = inputs.meta;
    let missing: Vec<&str> = [
        ("og:title", m.og_title.is_none()),
        ("og:type", m.og_type.is_none()),
        ("og:image", m.og_images.is_empty()),
        ("og:url", m.og_url.is_none()),
    ]
    .into_iter()
    .filter_map(|(name, absent)| absent.then_some(name))
    .collect();
    if !missing.is_empty() {
        out.add(
            "OG1",
            Severity::Error,
            format!(
                "required Open Graph properties are missing: {}",
                missing.join(", ")
            ),
            "add them to <head> (see suggested_tags)",
        );
    }
    if let Some(kind) = &m.og_type {
        let known = KNOWN_TYPES.contains(&kind.as_str())
            || kind.split_once(':').is_some_and(|(prefix, _)| {
                m.prefixes.iter().any(|p| p == &prefix.to_ascii_lowercase())
            });
        if !known {
            out.add(
                "OG2",
                Severity::Warning,
                format!("og:type \"{kind}\" is not an Open Graph type, nor a CURIE with a declared prefix"),
                "use website, article, book, profile, music.* or video.*",
            );
        }
    }
    let mut urls: Vec<(&str, &str)> = Vec::new();
    if let Some(u) = &m.og_url {
        urls.push(("og:url", u));
    }
    for image in &m.og_images {
        urls.push(("og:image", &image.url));
    }
    if let Some(u) = &m.twitter_image {
        urls.push(("twitter:image", u));
    }
    for (property, value) in urls {
        if !is_web_url(value) {
            let resolved = absolute(value, inputs.base)
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map_or_else(
                    || "an absolute http(s) URL".to_owned(),
                    |u| format!("\"{u}\""),
                );
            out.add(
                "OG3",
                Severity::Error,
                format!("{property} \"{value}\" is not an absolute http(s) URL; crawlers drop it"),
                format!("write it as {resolved}"),
            );
        }
    }
    canonical(inputs, out);
    if m.og_description.is_none() {
        out.add(
            "OG5",
            Severity::Warning,
            "og:description is missing".into(),
            "add one or two sentences as og:description",
        );
    }
    if let Some(image) = m.og_images.first() {
        if image.alt.is_none() {
            out.add(
                "OG6",
                Severity::Warning,
                "og:image has no og:image:alt".into(),
                "describe the image in og:image:alt, right after og:image",
            );
        }
        let mut absent = Vec::new();
        if image.width.is_none() {
            absent.push("og:image:width");
        }
        if image.height.is_none() {
            absent.push("og:image:height");
        }
        if image.mime_type.is_none() {
            absent.push("og:image:type");
        }
        if image.width.is_none() || image.height.is_none() {
            out.add(
                "OG7",
                Severity::Warning,
                format!(
                    "the first share renders late: {} not declared",
                    absent.join(", ")
                ),
                "declare the image's width, height and type after og:image",
            );
        }
    }
    locale(m, out);
    if m.og_type.as_deref() == Some("article") {
        let mut problems = Vec::new();
        for (name, value) in [
            ("article:published_time", &m.article_published_time),
            ("article:modified_time", &m.article_modified_time),
        ] {
            match value {
                None => problems.push(format!("{name} is missing")),
                Some(v) if !is_iso8601(v, false) => {
                    problems.push(format!("{name} \"{v}\" is not ISO 8601"));
                }
                Some(_) => {}
            }
        }
        if m.article_author.is_none() {
            problems.push("article:author is missing".into());
        }
        if m.article_tags.is_empty() {
            problems.push("no article:tag".into());
        }
        if !problems.is_empty() {
            out.add(
                "OG9",
                Severity::Warning,
                format!("article metadata: {}", problems.join("; ")),
                "add article:published_time and article:modified_time (ISO 8601), article:author and article:tag",
            );
        }
    }
}

fn canonical(inputs: &Inputs<'_>, out: &mut Outcome) {
    let m = inputs.meta;
    let og_url = m.og_url.as_deref().and_then(|u| absolute(u, inputs.base));
    let canonical = m
        .canonical
        .as_deref()
        .and_then(|u| absolute(u, inputs.base));
    let mut problems = Vec::new();
    if let (Some(a), Some(b)) = (&og_url, &canonical)
        && a != b
    {
        problems.push(format!("og:url \"{a}\" differs from the canonical \"{b}\""));
    }
    if let Some(page_host) = inputs.base.and_then(Url::host_str) {
        for (name, url) in [("og:url", &og_url), ("canonical", &canonical)] {
            if let Some(host) = url.as_ref().and_then(Url::host_str)
                && site_of(host) != site_of(page_host)
            {
                problems.push(format!(
                    "{name} points to another site ({host}); Facebook refuses a cross-domain canonical"
                ));
            }
        }
    }
    if let Some(url) = &og_url {
        let tracking: Vec<String> = url
            .query_pairs()
            .map(|(k, _)| k.into_owned())
            .filter(|k| is_tracking_parameter(k))
            .collect();
        if !tracking.is_empty() {
            problems.push(format!(
                "og:url carries session or tracking parameters: {}",
                tracking.join(", ")
            ));
        }
    }
    if !problems.is_empty() {
        out.add(
            "OG4",
            Severity::Warning,
            problems.join("; "),
            "make og:url and <link rel=canonical> the same clean URL on the page's own domain",
        );
    }
}

fn locale(m: &Meta, out: &mut Outcome) {
    let Some(locale) = &m.og_locale else {
        if let Some(lang) = m
            .lang
            .as_deref()
            .filter(|l| !l.to_ascii_lowercase().starts_with("en"))
        {
            out.add(
                "OG8",
                Severity::Info,
                format!(
                    "the page is in \"{lang}\" but og:locale is absent (networks assume en_US)"
                ),
                "add og:locale as language_TERRITORY, e.g. fr_FR",
            );
        }
        return;
    };
    let well_formed = locale.split_once('_').is_some_and(|(l, t)| {
        (2..=3).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_lowercase())
            && t.len() == 2
            && t.chars().all(|c| c.is_ascii_uppercase())
    });
    if !well_formed {
        out.add(
            "OG8",
            Severity::Info,
            format!("og:locale \"{locale}\" is not language_TERRITORY"),
            "write it like en_US or fr_FR",
        );
    } else if let Some(lang) = &m.lang {
        let page = lang
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let declared = locale.split('_').next().unwrap_or("");
        if !page.is_empty() && page != declared {
            out.add(
                "OG8",
                Severity::Info,
                format!("og:locale \"{locale}\" disagrees with <html lang=\"{lang}\">"),
                "make og:locale and the page's lang name the same language",
            );
        }
    }
}

/// The image Facebook would show, and its probe.
fn facebook(inputs: &Inputs<'_>, out: &mut Outcome) {
    let m = inputs.meta;
    let image = m
        .og_images
        .first()
        .map(|i| i.url.as_str())
        .or(m.first_img.as_deref());
    if m.fb_app_id.is_none() {
        out.add(
            "FB6",
            Severity::Info,
            "no fb:app_id (optional: only Facebook's insights need it)".into(),
            "add fb:app_id if you use Facebook insights; otherwise nothing to do",
        );
    }
    let Some(image) = image else {
        for rule in ["FB1", "FB2", "FB3", "FB4", "FB5"] {
            out.skip(rule, "the page has no image to check");
        }
        return;
    };
    let Some(p) = probe(inputs, Some(image)).filter(|_| inputs.fetched) else {
        for rule in ["FB1", "FB2", "FB3", "FB4", "FB5"] {
            out.skip(
                rule,
                "the image was not fetched (audit with --fetch or \"fetch\": true)",
            );
        }
        return;
    };
    if let Some(problem) = unreachable(p) {
        out.add(
            "FB5",
            Severity::Error,
            format!("the image {} {problem}", p.url),
            "serve the image publicly with status 200 and an image/* content type",
        );
        for rule in ["FB1", "FB2", "FB3"] {
            out.skip(rule, "the image could not be read");
        }
    } else if let Some((w, h)) = dims(p) {
        if w < 200 || h < 200 {
            out.add(
                "FB1",
                Severity::Error,
                format!("the image is {w}×{h} px; Facebook needs at least 200×200"),
                "use an image of 1200×630 px",
            );
        } else if w < 600 || h < 315 {
            out.add(
                "FB2",
                Severity::Warning,
                format!(
                    "the image is {w}×{h} px: a small card, not the large one (600×315 at least)"
                ),
                "use an image of 1200×630 px",
            );
        }
        let ratio = f64::from(w) / f64::from(h);
        if (ratio - 1.91).abs() / 1.91 > 0.1 {
            out.add(
                "FB3",
                Severity::Warning,
                format!("the image's aspect ratio is {ratio:.2}:1; Facebook crops to 1.91:1"),
                "use a 1.91:1 image (1200×630 px)",
            );
        }
    } else {
        out.skip("FB1", "the image's dimensions could not be read");
    }
    if let Some(size) = p.size_bytes
        && size > 8 * 1024 * 1024
    {
        out.add(
            "FB4",
            Severity::Error,
            format!(
                "the image weighs {:.1} MB; Facebook takes at most 8 MB",
                size as f64 / 1_048_576.0
            ),
            "compress the image below 8 MB (a 1200×630 JPEG is usually under 300 KB)",
        );
    }
}

/// Why an image would not show, if it would not.
fn unreachable(p: &ImageProbe) -> Option<String> {
    if let Some(error) = &p.error {
        return Some(format!("could not be fetched: {error}"));
    }
    match p.status {
        Some(s) if !(200..300).contains(&s) => return Some(format!("answers HTTP {s}")),
        None => return Some("was not answered".into()),
        _ => {}
    }
    let declared = p.content_type.as_deref().unwrap_or("");
    if !declared.to_ascii_lowercase().starts_with("image/") {
        return Some(format!("is served as \"{declared}\", not image/*"));
    }
    if p.format.is_none() {
        return Some(format!(
            "is served as {declared} but its bytes are not an image"
        ));
    }
    None
}

fn x(inputs: &Inputs<'_>, out: &mut Outcome) {
    let m = inputs.meta;
    match m.twitter_card.as_deref() {
        None => out.add(
            "X1",
            Severity::Warning,
            "no twitter:card; X may fall back to a small summary card".into(),
            "add <meta name=\"twitter:card\" content=\"summary_large_image\">",
        ),
        Some(card) if !X_CARDS.contains(&card) => out.add(
            "X1",
            Severity::Warning,
            format!("twitter:card \"{card}\" is not a card type X knows"),
            "use summary, summary_large_image, app or player",
        ),
        Some(_) => {}
    }
    let title = m.twitter_title.as_deref().or(m.og_title.as_deref());
    if let Some(title) = title
        && chars(title) > 70
    {
        out.add(
            "X2",
            Severity::Warning,
            format!(
                "the title X shows has {} characters (at most 70)",
                chars(title)
            ),
            "shorten twitter:title (or og:title) to 70 characters",
        );
    }
    let description = m
        .twitter_description
        .as_deref()
        .or(m.og_description.as_deref());
    if let Some(description) = description
        && chars(description) > 200
    {
        out.add(
            "X3",
            Severity::Warning,
            format!(
                "the description X shows has {} characters (at most 200)",
                chars(description)
            ),
            "shorten twitter:description (or og:description) to 200 characters",
        );
    }
    if let Some(alt) = &m.twitter_image_alt
        && chars(alt) > 420
    {
        out.add(
            "X7",
            Severity::Info,
            format!(
                "twitter:image:alt has {} characters (at most 420)",
                chars(alt)
            ),
            "shorten the alt text to 420 characters",
        );
    }
    let image = m
        .twitter_image
        .as_deref()
        .or(m.og_images.first().map(|i| i.url.as_str()));
    let Some(image) = image else {
        for rule in ["X4", "X5", "X6"] {
            out.skip(rule, "the page has no image for X");
        }
        return;
    };
    let by_name_svg = image
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
        .ends_with(".svg");
    let p = probe(inputs, Some(image)).filter(|_| inputs.fetched);
    let format = p.and_then(|p| p.format.clone());
    if by_name_svg || format.as_deref() == Some("svg") {
        out.add(
            "X4",
            Severity::Error,
            "the image for X is an SVG, which X does not show".into(),
            "use a JPG, PNG, WEBP or GIF image",
        );
    }
    let Some(p) = p else {
        for rule in ["X4", "X5", "X6"] {
            if rule != "X4" || !by_name_svg {
                out.skip(
                    rule,
                    "the image was not fetched (audit with --fetch or \"fetch\": true)",
                );
            }
        }
        return;
    };
    if let Some(f) = &format
        && !matches!(f.as_str(), "jpeg" | "png" | "webp" | "gif" | "svg")
    {
        out.add(
            "X4",
            Severity::Error,
            format!("the image for X is {f}; X takes JPG, PNG, WEBP or GIF"),
            "convert the image to JPG or PNG",
        );
    }
    if let Some(size) = p.size_bytes
        && size > 5 * 1024 * 1024
    {
        out.add(
            "X4",
            Severity::Error,
            format!(
                "the image for X weighs {:.1} MB (under 5 MB)",
                size as f64 / 1_048_576.0
            ),
            "compress the image below 5 MB",
        );
    }
    let card = m.twitter_card.as_deref().unwrap_or("summary");
    let Some((w, h)) = dims(p) else {
        out.skip("X5", "the image's dimensions could not be read");
        out.skip("X6", "the image's dimensions could not be read");
        return;
    };
    let ratio = f64::from(w) / f64::from(h);
    if card == "summary"
        && ((ratio - 1.0).abs() > 0.1 || w < 144 || h < 144 || w > 4096 || h > 4096)
    {
        out.add(
            "X5",
            Severity::Warning,
            format!(
                "a summary card wants a square image from 144×144 to 4096×4096; this one is {w}×{h}"
            ),
            "use a square image, or twitter:card summary_large_image for a wide one",
        );
    }
    if card == "summary_large_image"
        && ((ratio - 2.0).abs() / 2.0 > 0.15 || w < 300 || h < 157 || w > 4096 || h > 4096)
    {
        out.add(
            "X6",
            Severity::Warning,
            format!(
                "a large-image card wants about 2:1 from 300×157 to 4096×4096; this one is {w}×{h}"
            ),
            "use an image of about 1200×628 px",
        );
    }
}

fn linkedin(inputs: &Inputs<'_>, out: &mut Outcome) {
    let m = inputs.meta;
    let missing: Vec<&str> = [
        ("og:title", m.og_title.is_none()),
        ("og:description", m.og_description.is_none()),
        ("og:image", m.og_images.is_empty()),
        ("og:url", m.og_url.is_none()),
    ]
    .into_iter()
    .filter_map(|(n, absent)| absent.then_some(n))
    .collect();
    if !missing.is_empty() {
        out.add(
            "LI1",
            Severity::Warning,
            format!(
                "LinkedIn reads Open Graph only (no twitter:* fallback); missing: {}",
                missing.join(", ")
            ),
            "add the Open Graph tags (see suggested_tags)",
        );
    }
    let Some(image) = m.og_images.first() else {
        out.skip("LI2", "the page has no og:image");
        return;
    };
    let Some(p) = probe(inputs, Some(&image.url)).filter(|_| inputs.fetched) else {
        out.skip(
            "LI2",
            "the image was not fetched (audit with --fetch or \"fetch\": true)",
        );
        return;
    };
    let mut problems = Vec::new();
    if let Some(size) = p.size_bytes
        && size > 5 * 1024 * 1024
    {
        problems.push(format!(
            "it weighs {:.1} MB (at most 5 MB)",
            size as f64 / 1_048_576.0
        ));
    }
    if let Some((w, h)) = dims(p) {
        let ratio = f64::from(w) / f64::from(h);
        if (ratio - 1.91).abs() / 1.91 > 0.1 {
            problems.push(format!("it is {w}×{h}, not 1.91:1"));
        }
    }
    if !problems.is_empty() {
        out.add(
            "LI2",
            Severity::Warning,
            format!("LinkedIn's image: {}", problems.join("; ")),
            "use a 1200×627 px image under 5 MB",
        );
    }
}

fn text_lengths(m: &Meta, out: &mut Outcome) {
    match m.title.as_deref() {
        None => out.add(
            "T1",
            Severity::Info,
            "the page has no <title>".into(),
            "add a <title> of about 50–60 characters",
        ),
        Some(t) if chars(t) > 60 || chars(t) < 10 => out.add(
            "T1",
            Severity::Info,
            format!(
                "the <title> has {} characters; about 50–60 read whole",
                chars(t)
            ),
            "aim for 50–60 characters",
        ),
        Some(_) => {}
    }
    match m.description.as_deref() {
        None => out.add(
            "T2",
            Severity::Info,
            "the page has no meta description".into(),
            "add <meta name=\"description\"> of about 155–160 characters",
        ),
        Some(d) if chars(d) > 160 || chars(d) < 50 => out.add(
            "T2",
            Severity::Info,
            format!(
                "the meta description has {} characters; about 155–160 read whole",
                chars(d)
            ),
            "aim for 155–160 characters",
        ),
        Some(_) => {}
    }
}

fn keywords(inputs: &Inputs<'_>, out: &mut Outcome) {
    let Some(hashtags) = inputs
        .campaign
        .map(|c| &c.hashtags)
        .filter(|h| !h.is_empty())
    else {
        out.skip("K1", "no campaign hashtags to look for");
        return;
    };
    let m = inputs.meta;
    let keywords = m.keywords.as_deref().unwrap_or("").to_ascii_lowercase();
    let missing: Vec<&String> = hashtags
        .iter()
        .filter(|tag| {
            let tag = tag.trim_start_matches('#').to_ascii_lowercase();
            !m.article_tags.iter().any(|t| t.to_ascii_lowercase() == tag)
                && !keywords.contains(&tag)
        })
        .collect();
    if !missing.is_empty() {
        out.add(
            "K1",
            Severity::Info,
            format!(
                "the campaign's hashtags are not on the page: {}",
                missing.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(", ")
            ),
            "list them as article:tag (or keywords); X's intent takes them comma-separated without #",
        );
    }
}

/// JSON-LD objects, flattening arrays and `@graph`.
fn json_ld_objects(blocks: &[String], out: &mut Outcome) -> Vec<serde_json::Value> {
    fn walk(value: serde_json::Value, found: &mut Vec<serde_json::Value>) {
        match value {
            serde_json::Value::Array(items) => items.into_iter().for_each(|v| walk(v, found)),
            serde_json::Value::Object(mut map) => {
                if let Some(graph) = map.remove("@graph") {
                    walk(graph, found);
                }
                if map.contains_key("@type") {
                    found.push(serde_json::Value::Object(map));
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        match serde_json::from_str::<serde_json::Value>(block.trim()) {
            Ok(value) => walk(value, &mut found),
            Err(e) => out.add(
                "SD1",
                Severity::Warning,
                format!("JSON-LD block {} is not valid JSON: {e}", i + 1),
                "fix the JSON (search engines ignore the whole block)",
            ),
        }
    }
    found
}

/// The image URLs of the page's JSON-LD objects (for the fetcher to probe), at most `limit`.
pub fn json_ld_image_urls(meta: &Meta, limit: usize) -> Vec<String> {
    let mut ignored = Outcome::default();
    let mut urls = Vec::new();
    for object in json_ld_objects(&meta.json_ld, &mut ignored) {
        let images: Vec<serde_json::Value> = match object.get("image") {
            Some(serde_json::Value::Array(items)) => items.clone(),
            Some(image) => vec![image.clone()],
            None => Vec::new(),
        };
        for image in images {
            let url = match &image {
                serde_json::Value::String(u) => Some(u.clone()),
                other => other.get("url").and_then(|u| u.as_str()).map(str::to_owned),
            };
            if let Some(url) = url
                && !urls.contains(&url)
                && urls.len() < limit
            {
                urls.push(url);
            }
        }
    }
    urls
}

fn types_of(value: &serde_json::Value) -> Vec<String> {
    match &value["@type"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn structured_data(inputs: &Inputs<'_>, out: &mut Outcome) {
    let objects = json_ld_objects(&inputs.meta.json_ld, out);
    let mut images_seen = false;
    for object in &objects {
        let types = types_of(object);
        if types
            .iter()
            .any(|t| matches!(t.as_str(), "Article" | "NewsArticle" | "BlogPosting"))
        {
            let mut problems = Vec::new();
            for field in ["headline", "image", "datePublished", "dateModified"] {
                if object.get(field).is_none_or(serde_json::Value::is_null) {
                    problems.push(format!("{field} is missing"));
                }
            }
            for field in ["datePublished", "dateModified"] {
                if let Some(value) = object.get(field).and_then(|v| v.as_str())
                    && !is_iso8601(value, true)
                {
                    problems.push(format!(
                        "{field} \"{value}\" is not ISO 8601 with a time zone"
                    ));
                }
            }
            let author_named = match object.get("author") {
                Some(serde_json::Value::Array(a)) => {
                    a.iter().all(|x| x.get("name").is_some()) && !a.is_empty()
                }
                Some(a) => a.get("name").is_some(),
                None => false,
            };
            if !author_named {
                problems.push("author with a name is missing".into());
            }
            if !problems.is_empty() {
                out.add(
                    "SD1",
                    Severity::Warning,
                    format!("JSON-LD {}: {}", types.join("/"), problems.join("; ")),
                    "give the article headline, image, datePublished and dateModified (ISO 8601 with time zone) and author.name",
                );
            }
            images_seen |= sd_images(inputs, object, out);
        }
        if types.iter().any(|t| t == "Product") {
            let has_name = object.get("name").is_some();
            let has_offer = ["review", "aggregateRating", "offers"]
                .iter()
                .any(|f| object.get(*f).is_some());
            if !has_name || !has_offer {
                out.add(
                    "SD3",
                    Severity::Error,
                    "JSON-LD Product needs a name and at least one of review, aggregateRating, offers".into(),
                    "add the product's name and its offers (price, currency, availability)",
                );
            }
            images_seen |= sd_images(inputs, object, out);
        }
    }
    if !images_seen {
        out.skip("SD2", "no JSON-LD image to check");
    }
}

/// SD2 for one object's images; returns whether it had any.
fn sd_images(inputs: &Inputs<'_>, object: &serde_json::Value, out: &mut Outcome) -> bool {
    let images: Vec<&serde_json::Value> = match object.get("image") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(image) => vec![image],
        None => return false,
    };
    for image in images {
        let (url, declared) = match image {
            serde_json::Value::String(url) => (Some(url.as_str()), None),
            other => (
                other.get("url").and_then(|u| u.as_str()),
                other
                    .get("width")
                    .and_then(number)
                    .zip(other.get("height").and_then(number)),
            ),
        };
        let measured = probe(inputs, url).filter(|_| inputs.fetched).and_then(dims);
        let Some((w, h)) = measured
            .map(|(w, h)| (u64::from(w), u64::from(h)))
            .or(declared)
        else {
            out.skip(
                "SD2",
                "a JSON-LD image's size is neither declared nor fetched",
            );
            continue;
        };
        if w * h < 50_000 {
            out.add(
                "SD2",
                Severity::Warning,
                format!(
                    "a JSON-LD image is {w}×{h} = {} pixels (at least 50,000)",
                    w * h
                ),
                "use larger images, ideally in 16×9, 4×3 and 1×1 variants",
            );
        }
    }
    true
}

fn number(value: &serde_json::Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_str()
            .and_then(|s| s.trim().trim_end_matches("px").parse().ok())
    })
}

fn oembed(inputs: &Inputs<'_>, out: &mut Outcome) {
    let m = inputs.meta;
    if m.embeds_media && m.oembed_url.is_none() {
        out.add(
            "OE1",
            Severity::Info,
            "the page embeds media but offers no oEmbed discovery link".into(),
            "add <link rel=\"alternate\" type=\"application/json+oembed\" href=\"…\">",
        );
    }
    let Some(url) = &m.oembed_url else {
        out.skip("OE2", "the page has no oEmbed link");
        return;
    };
    let Some(probe) = inputs.oembed.filter(|_| inputs.fetched) else {
        out.skip(
            "OE2",
            "the oEmbed response was not fetched (audit with --fetch or \"fetch\": true)",
        );
        return;
    };
    let problems = match &probe.body {
        Err(e) => vec![format!("could not be read: {e}")],
        Ok(body) => oembed_problems(body),
    };
    if !problems.is_empty() {
        out.add(
            "OE2",
            Severity::Error,
            format!("the oEmbed response at {url}: {}", problems.join("; ")),
            "answer type photo/video/link/rich, version \"1.0\", and the fields each type needs",
        );
    }
}

pub fn oembed_problems(body: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    let kind = body.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !matches!(kind, "photo" | "video" | "link" | "rich") {
        problems.push(format!("type \"{kind}\" is not photo, video, link or rich"));
    }
    if body.get("version").and_then(|v| v.as_str()) != Some("1.0") {
        problems.push("version is not \"1.0\"".into());
    }
    let need: &[&str] = match kind {
        "photo" => &["url", "width", "height"],
        "video" | "rich" => &["html", "width", "height"],
        _ => &[],
    };
    for field in need {
        if body.get(*field).is_none() {
            problems.push(format!("{kind} needs {field}"));
        }
    }
    problems
}

fn consistency(inputs: &Inputs<'_>, out: &mut Outcome) {
    let m = inputs.meta;
    let mut notes = Vec::new();
    let differ = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a.trim() != b.trim());
    if differ(&m.og_title, &m.title) {
        notes.push("og:title and <title> differ".to_owned());
    }
    if differ(&m.twitter_title, &m.og_title) {
        notes.push("twitter:title and og:title differ".to_owned());
    }
    if differ(&m.og_description, &m.description) {
        notes.push("og:description and the meta description differ".to_owned());
    }
    let og_image = m.og_images.first().map(|i| i.url.clone());
    if differ(&m.twitter_image, &og_image) {
        notes.push("twitter:image and og:image differ".to_owned());
    }
    for duplicate in &m.duplicates {
        notes.push(format!(
            "{duplicate} is declared more than once (the first one wins)"
        ));
    }
    if !notes.is_empty() {
        out.add(
            "C1",
            Severity::Info,
            notes.join("; "),
            "keep one value per tag, and the same message across networks unless the difference is deliberate",
        );
    }
}

#[cfg(test)]
mod tests {
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

//! The audit report: what the page declares, what each network would show, the
//! findings of `docs/smo-rules.md`, a score, and the tags to paste.

use serde::Serialize;
use url::Url;

use crate::meta::Meta;

/// How much a finding matters: an error breaks a preview, a warning weakens it.
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

/// What was learned of an image from its first bytes (a ranged request).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImageProbe {
    pub url: String,
    /// The HTTP status, when the image was requested.
    pub status: Option<u16>,
    /// The `Content-Type` the server sent.
    pub content_type: Option<String>,
    /// The file's size, from `Content-Range` or `Content-Length`.
    pub size_bytes: Option<u64>,
    /// The format read from the bytes (png, jpeg, gif, webp, …), whatever the header claims.
    pub format: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Why the image could not be read.
    pub error: Option<String>,
}

/// What an oEmbed endpoint answered.
#[derive(Debug, Clone, PartialEq)]
pub struct OembedProbe {
    pub url: String,
    pub body: Result<serde_json::Value, String>,
}

/// What the campaign knows, to fill the suggested tags where the page is silent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignHints {
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub url: Option<String>,
    pub hashtags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    /// A stable rule id of `docs/smo-rules.md` (OG1, FB2, X4, …).
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    /// What to change.
    pub fix: String,
}

/// A rule that could not be checked, and why (an image not fetched, say).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Unchecked {
    pub rule: &'static str,
    pub reason: String,
}

/// What one network would show for a share of the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub title: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub url: Option<String>,
    /// The domain or site name shown under the card.
    pub site: Option<String>,
    /// X only: the card type it would use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Previews {
    pub facebook: Preview,
    pub x: Preview,
    pub linkedin: Preview,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The audited page (the final URL after redirects, or the given base URL).
    pub url: Option<String>,
    pub meta: Meta,
    pub previews: Previews,
    pub findings: Vec<Finding>,
    pub unchecked: Vec<Unchecked>,
    /// 0–100: 100 minus 12 per error and 4 per warning (advice costs nothing), at least 0.
    pub score: u8,
    /// Images probed, when the audit fetched them.
    pub images: Vec<ImageProbe>,
    /// HTML to paste into `<head>`: the page's values where it has them, the campaign's where
    /// it has not, and a visible TODO where neither knows.
    pub suggested_tags: String,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

pub const ERROR_WEIGHT: u32 = 12;
pub const WARNING_WEIGHT: u32 = 4;

pub fn score(findings: &[Finding]) -> u8 {
    let lost: u32 = findings
        .iter()
        .map(|f| match f.severity {
            Severity::Error => ERROR_WEIGHT,
            Severity::Warning => WARNING_WEIGHT,
            Severity::Info => 0,
        })
        .sum();
    100u32.saturating_sub(lost) as u8
}

/// Resolves a URL as a crawler does: absolute ones as they are, relative ones against the page.
pub fn absolute(value: &str, base: Option<&Url>) -> Option<Url> {
    match Url::parse(value) {
        Ok(url) => Some(url),
        Err(url::ParseError::RelativeUrlWithoutBase) => base.and_then(|b| b.join(value).ok()),
        Err(_) => None,
    }
}

fn host_of(value: Option<&str>, base: Option<&Url>) -> Option<String> {
    value.and_then(|v| absolute(v, base)).and_then(|u| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_owned())
    })
}

/// Each network's fallback order (`docs/smo-rules.md`, end).
pub fn previews(meta: &Meta, base: Option<&Url>) -> Previews {
    let og_image = meta.og_images.first().map(|i| i.url.clone());
    let resolved = |v: Option<String>| v.map(|v| absolute(&v, base).map_or(v, |u| u.to_string()));
    let page_url = meta
        .og_url
        .clone()
        .or_else(|| meta.canonical.clone())
        .or_else(|| base.map(Url::to_string));
    let site = meta
        .og_site_name
        .clone()
        .or_else(|| host_of(page_url.as_deref(), base));
    let facebook = Preview {
        title: meta.og_title.clone().or_else(|| meta.title.clone()),
        description: meta
            .og_description
            .clone()
            .or_else(|| meta.description.clone()),
        image: resolved(og_image.clone().or_else(|| meta.first_img.clone())),
        url: resolved(page_url.clone()),
        site: site.clone(),
        card: None,
    };
    let x_image = meta.twitter_image.clone().or(og_image.clone());
    let x = Preview {
        title: meta.twitter_title.clone().or_else(|| meta.og_title.clone()),
        description: meta
            .twitter_description
            .clone()
            .or_else(|| meta.og_description.clone()),
        card: Some(
            meta.twitter_card
                .clone()
                .unwrap_or_else(|| "summary".into()),
        ),
        image: resolved(x_image),
        url: resolved(page_url.clone()),
        site: host_of(page_url.as_deref(), base),
    };
    let linkedin = Preview {
        title: meta.og_title.clone().or_else(|| meta.title.clone()),
        description: meta.og_description.clone(),
        image: resolved(og_image),
        url: resolved(page_url),
        site,
        card: None,
    };
    Previews {
        facebook,
        x,
        linkedin,
    }
}

fn attr(value: &str) -> String {
    html_escape::encode_double_quoted_attribute(value).into_owned()
}

/// The tags to paste: one complete, consistent block.
pub fn suggested_tags(
    meta: &Meta,
    base: Option<&Url>,
    images: &[ImageProbe],
    campaign: Option<&CampaignHints>,
) -> String {
    let hint = |f: fn(&CampaignHints) -> Option<String>| campaign.and_then(f);
    let todo = |what: &str| format!("TODO: {what}");
    let abs = |v: &str| absolute(v, base).map_or_else(|| v.to_owned(), |u| u.to_string());
    let title = meta
        .og_title
        .clone()
        .or_else(|| meta.title.clone())
        .or_else(|| hint(|c| c.title.clone()))
        .unwrap_or_else(|| todo("the page's title"));
    let description = meta
        .og_description
        .clone()
        .or_else(|| meta.description.clone())
        .or_else(|| hint(|c| c.description.clone()))
        .unwrap_or_else(|| todo("one or two sentences on the page"));
    let url = meta
        .canonical
        .as_deref()
        .or(meta.og_url.as_deref())
        .map(abs)
        .or_else(|| base.map(|b| strip_tracking(b).to_string()))
        .or_else(|| hint(|c| c.url.clone()))
        .unwrap_or_else(|| todo("the page's absolute URL"));
    let image_tag = meta.og_images.first();
    let image = image_tag
        .map(|i| abs(&i.url))
        .or_else(|| meta.twitter_image.as_deref().map(abs))
        .or_else(|| hint(|c| c.image_url.clone()))
        .unwrap_or_else(|| todo("an absolute URL of a 1200×630 image"));
    let probe = images.iter().find(|p| p.url == image);
    let width = probe
        .and_then(|p| p.width.map(|w| w.to_string()))
        .or_else(|| image_tag.and_then(|i| i.width.clone()));
    let height = probe
        .and_then(|p| p.height.map(|h| h.to_string()))
        .or_else(|| image_tag.and_then(|i| i.height.clone()));
    let mime = probe
        .and_then(|p| p.format.as_deref().map(|f| format!("image/{f}")))
        .or_else(|| image_tag.and_then(|i| i.mime_type.clone()));
    let alt = image_tag
        .and_then(|i| i.alt.clone())
        .or_else(|| meta.twitter_image_alt.clone())
        .unwrap_or_else(|| todo("what the image shows"));
    let og_type = meta.og_type.clone().unwrap_or_else(|| "website".to_owned());
    let mut lines = vec![
        format!("<link rel=\"canonical\" href=\"{}\">", attr(&url)),
        format!("<meta property=\"og:type\" content=\"{}\">", attr(&og_type)),
        format!("<meta property=\"og:url\" content=\"{}\">", attr(&url)),
        format!("<meta property=\"og:title\" content=\"{}\">", attr(&title)),
        format!(
            "<meta property=\"og:description\" content=\"{}\">",
            attr(&description)
        ),
        format!("<meta property=\"og:image\" content=\"{}\">", attr(&image)),
    ];
    for (property, value) in [
        (
            "og:image:width",
            width.unwrap_or_else(|| todo("width in px")),
        ),
        (
            "og:image:height",
            height.unwrap_or_else(|| todo("height in px")),
        ),
    ] {
        lines.push(format!(
            "<meta property=\"{property}\" content=\"{}\">",
            attr(&value)
        ));
    }
    if let Some(mime) = mime {
        lines.push(format!(
            "<meta property=\"og:image:type\" content=\"{}\">",
            attr(&mime)
        ));
    }
    lines.push(format!(
        "<meta property=\"og:image:alt\" content=\"{}\">",
        attr(&alt)
    ));
    if let Some(site) = &meta.og_site_name {
        lines.push(format!(
            "<meta property=\"og:site_name\" content=\"{}\">",
            attr(site)
        ));
    }
    if let Some(locale) = meta
        .og_locale
        .clone()
        .or_else(|| meta.lang.as_deref().and_then(locale_from_lang))
    {
        lines.push(format!(
            "<meta property=\"og:locale\" content=\"{}\">",
            attr(&locale)
        ));
    }
    if og_type == "article" || campaign.is_some_and(|c| !c.hashtags.is_empty()) {
        let mut tags = meta.article_tags.clone();
        for tag in campaign.map(|c| c.hashtags.clone()).unwrap_or_default() {
            if !tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
                tags.push(tag);
            }
        }
        for tag in tags {
            lines.push(format!(
                "<meta property=\"article:tag\" content=\"{}\">",
                attr(&tag)
            ));
        }
    }
    let card = match meta.twitter_card.as_deref() {
        Some(card @ ("summary" | "summary_large_image" | "app" | "player")) => card.to_owned(),
        _ => "summary_large_image".to_owned(),
    };
    lines.push(format!("<meta name=\"twitter:card\" content=\"{card}\">"));
    lines.push(format!(
        "<meta name=\"twitter:title\" content=\"{}\">",
        attr(&truncate(&title, 70))
    ));
    lines.push(format!(
        "<meta name=\"twitter:description\" content=\"{}\">",
        attr(&truncate(&description, 200))
    ));
    lines.push(format!(
        "<meta name=\"twitter:image\" content=\"{}\">",
        attr(&image)
    ));
    lines.push(format!(
        "<meta name=\"twitter:image:alt\" content=\"{}\">",
        attr(&truncate(&alt, 420))
    ));
    lines.join("\n")
}

fn truncate(value: &str, max: usize) -> String {
    if value.chars().count() <= max {
        return value.to_owned();
    }
    let mut cut: String = value.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// `fr-CA` → `fr_CA`; `fr` → `fr_FR` only where the territory is unambiguous is a guess, so a
/// bare language gives nothing.
pub fn locale_from_lang(lang: &str) -> Option<String> {
    let mut parts = lang.split(['-', '_']);
    let language = parts.next()?.to_ascii_lowercase();
    let territory = parts.next()?.to_ascii_uppercase();
    (language.len() == 2 && territory.len() == 2).then(|| format!("{language}_{territory}"))
}

/// Query parameters that identify a visit or a campaign, not the page.
pub const TRACKING_PARAMETERS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "sessionid",
    "session_id",
    "sid",
    "phpsessid",
    "jsessionid",
    "ff_ref",
];

pub fn is_tracking_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMETERS.contains(&name.as_str())
}

pub fn strip_tracking(url: &Url) -> Url {
    let mut clean = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking_parameter(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        clean.set_query(None);
    } else {
        clean.query_pairs_mut().clear().extend_pairs(kept);
    }
    clean.set_fragment(None);
    clean
}

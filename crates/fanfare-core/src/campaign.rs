//! The campaign: the brand, message or product an audience should adhere to, and the validated
//! values it is made of.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::{Host, Url};

use crate::error_code::ErrorCode;
use crate::link::Channel;
use crate::validation::{ValidationError, clean_text};

pub const TITLE_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;
pub const URL_MAX_BYTES: usize = 2048;
pub const MAX_ALLOWED_DOMAINS: usize = 50;
pub const MAX_HASHTAGS: usize = 30;
pub const HASHTAG_MAX_CHARS: usize = 100;
pub const SLUG_MAX_LEN: usize = 64;

/// The campaign's name in every URL (`/c/{slug}`, `utm_campaign=`): `[a-z0-9-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let valid_chars = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if value.is_empty() || value.len() > SLUG_MAX_LEN || !valid_chars {
            return Err(ValidationError::new(
                "slug",
                ErrorCode::InvalidSlug,
                format!(
                    "slug must be 1 to {SLUG_MAX_LEN} characters among a-z, 0-9 and '-' \
                     (for example \"spring-launch\")"
                ),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the audience adheres to (the three objects of the seed text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CampaignKind {
    Brand,
    Message,
    Product,
}

impl CampaignKind {
    pub const ALL: [CampaignKind; 3] = [Self::Brand, Self::Message, Self::Product];

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .ok_or_else(|| {
                ValidationError::new(
                    "kind",
                    ErrorCode::InvalidKind,
                    "kind must be one of \"brand\", \"message\" or \"product\"",
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Brand => "brand",
            Self::Message => "message",
            Self::Product => "product",
        }
    }
}

/// An absolute `http` or `https` URL, safe to put in a redirect or an `href`: no other scheme
/// (`javascript:`, `data:`, `file:` …), no credentials (`https://bank.example@evil.example` reads
/// as one host and goes to another), no whitespace or control characters (the URL standard would
/// silently drop them, so `java\nscript:` and `exa\tmple.com` would change meaning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct WebUrl(Url);

impl WebUrl {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let invalid = |message: String| ValidationError::new(field, ErrorCode::InvalidUrl, message);
        if value.len() > URL_MAX_BYTES {
            return Err(invalid(format!(
                "{field} is {} bytes long; at most {URL_MAX_BYTES} are allowed",
                value.len()
            )));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(format!(
                "{field} contains whitespace or control characters; percent-encode them (a space is %20)"
            )));
        }
        let url = Url::parse(value).map_err(|e| {
            invalid(format!(
                "{field} is not an absolute URL ({e}); write it in full, like https://example.com/page"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "{field} uses the scheme \"{}:\"; only http and https URLs are accepted",
                url.scheme()
            )));
        }
        if url.host().is_none() {
            return Err(invalid(format!("{field} has no host name")));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(format!(
                "{field} carries a user name or password before the host; remove the part before '@'"
            )));
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The host, lowercased by the URL parser, without port.
    pub fn host(&self) -> String {
        self.0.host_str().unwrap_or_default().to_owned()
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// A campaign's brand colour, `#rrggbb`: the background of its generated share card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BrandColor([u8; 3]);

impl BrandColor {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let hex = value
            .strip_prefix('#')
            .filter(|hex| hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some(hex) = hex else {
            return Err(ValidationError::new(
                field,
                ErrorCode::InvalidColor,
                format!("{field} must be a colour written #rrggbb, like #b0124f; got {value:?}"),
            ));
        };
        // Six ASCII hex digits: every pair parses.
        let channel = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).unwrap_or_default();
        Ok(Self([channel(0), channel(2), channel(4)]))
    }

    pub fn rgb(self) -> [u8; 3] {
        self.0
    }
}

impl fmt::Display for BrandColor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// A host name (or IP address) a campaign's links may point to. `example.com` also covers its
/// subdomains (`www.example.com`, `shop.example.com`), which is what a marketer means by "my site".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Domain(String);

impl Domain {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let invalid =
            |message: String| ValidationError::new(field, ErrorCode::InvalidDomain, message);
        let trimmed = value.trim().trim_end_matches('.').to_ascii_lowercase();
        if let Some(parent) = trimmed.strip_prefix("*.") {
            return Err(invalid(format!(
                "{field}: write \"{parent}\" without \"*.\"; subdomains are always included"
            )));
        }
        if trimmed.is_empty()
            || trimmed.len() > 253
            || trimmed.contains(['/', ':', '@', '?', '#', '*', ' '])
        {
            return Err(invalid(format!(
                "{field} must be a bare host name like \"example.com\" (no scheme, port or path)"
            )));
        }
        // The URL parser applies IDNA, so "bücher.example" becomes its punycode form, the one
        // that parsed landing URLs carry too.
        match Host::parse(&trimmed) {
            Ok(Host::Domain(domain)) if domain.contains('.') || domain == "localhost" => {
                Ok(Self(domain))
            }
            Ok(Host::Ipv4(ip)) => Ok(Self(ip.to_string())),
            _ => Err(invalid(format!(
                "{field} is not a valid host name: {value:?} (expected something like \"example.com\")"
            ))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a URL on `host` belongs to this domain (itself or a subdomain).
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        host == self.0
            || host
                .strip_suffix(&self.0)
                .is_some_and(|prefix| prefix.ends_with('.'))
    }
}

/// A hashtag without its `#`: letters, digits and underscores, as the networks accept them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Hashtag(String);

impl Hashtag {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let tag = value.trim();
        let tag = tag.strip_prefix('#').unwrap_or(tag);
        let count = tag.chars().count();
        if count == 0
            || count > HASHTAG_MAX_CHARS
            || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            return Err(ValidationError::new(
                field,
                ErrorCode::InvalidHashtag,
                format!(
                    "{field} must be 1 to {HASHTAG_MAX_CHARS} letters, digits or underscores \
                     (a leading # is optional): {value:?}"
                ),
            ));
        }
        Ok(Self(tag.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything about a campaign that its owner can set, validated as a whole: each value alone,
/// and the landing URL against the allowed domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSettings {
    pub kind: CampaignKind,
    pub title: Option<String>,
    pub description: Option<String>,
    pub landing_url: WebUrl,
    pub allowed_domains: Vec<Domain>,
    pub image_url: Option<WebUrl>,
    /// The share card's background; Fanfare's own colour when unset.
    pub brand_color: Option<BrandColor>,
    pub hashtags: Vec<Hashtag>,
    /// The ways of sharing its share bars offer, in the order given.
    pub channels: Vec<Channel>,
}

/// Raw campaign values as a caller sent them (or as a database row holds them), before any check.
#[derive(Debug, Clone, Default)]
pub struct RawCampaignSettings<'a> {
    pub kind: &'a str,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub landing_url: &'a str,
    /// `None` means "the landing URL's host".
    pub allowed_domains: Option<&'a [String]>,
    pub image_url: Option<&'a str>,
    pub brand_color: Option<&'a str>,
    pub hashtags: &'a [String],
    /// `None` means every channel.
    pub channels: Option<&'a [String]>,
}

impl CampaignSettings {
    pub fn parse(raw: RawCampaignSettings<'_>) -> Result<Self, ValidationError> {
        let kind = CampaignKind::parse(raw.kind)?;
        let title = raw
            .title
            .map(|t| clean_text("title", t, TITLE_MAX_CHARS, false))
            .transpose()?;
        let description = raw
            .description
            .map(|d| clean_text("description", d, DESCRIPTION_MAX_CHARS, true))
            .transpose()?;
        let landing_url = WebUrl::parse("landing_url", raw.landing_url)?;
        let image_url = raw
            .image_url
            .map(|u| WebUrl::parse("image_url", u))
            .transpose()?;
        let brand_color = raw
            .brand_color
            .map(|c| BrandColor::parse("brand_color", c))
            .transpose()?;
        let allowed_domains = match raw.allowed_domains {
            None => vec![Domain::parse("landing_url", &landing_url.host())?],
            Some(list) => parse_list(
                "allowed_domains",
                list,
                MAX_ALLOWED_DOMAINS,
                Domain::parse,
                |d: &Domain| d.as_str().to_owned(),
            )?,
        };
        if allowed_domains.is_empty() {
            return Err(ValidationError::new(
                "allowed_domains",
                ErrorCode::EmptyAllowedDomains,
                "allowed_domains is empty: list at least the landing URL's host, or leave the field out",
            ));
        }
        let host = landing_url.host();
        if !allowed_domains.iter().any(|d| d.covers(&host)) {
            return Err(ValidationError::new(
                "landing_url",
                ErrorCode::LandingUrlNotAllowed,
                format!(
                    "the landing URL's host \"{host}\" is not within allowed_domains ({}); add it to allowed_domains or change the landing URL",
                    allowed_domains
                        .iter()
                        .map(Domain::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let hashtags = parse_list(
            "hashtags",
            raw.hashtags,
            MAX_HASHTAGS,
            Hashtag::parse,
            // Networks treat #Launch and #launch as one tag.
            |tag: &Hashtag| tag.as_str().to_lowercase(),
        )?;
        let channels = match raw.channels {
            None => Channel::ALL.to_vec(),
            Some(names) => parse_list(
                "channels",
                names,
                Channel::ALL.len(),
                |field, name| {
                    Channel::parse(name).ok_or_else(|| {
                        ValidationError::new(
                            field,
                            ErrorCode::InvalidChannel,
                            format!(
                                "{field}: {name:?} is not a channel; use any of {}",
                                Channel::ALL.map(Channel::as_str).join(", ")
                            ),
                        )
                    })
                },
                |c: &Channel| *c,
            )?,
        };
        if channels.is_empty() {
            return Err(ValidationError::new(
                "channels",
                ErrorCode::EmptyChannels,
                "channels is empty: list at least one, or leave the field out for all of them",
            ));
        }
        Ok(Self {
            kind,
            title,
            description,
            landing_url,
            allowed_domains,
            image_url,
            brand_color,
            hashtags,
            channels,
        })
    }

    /// The raw form, for a store to write and read back through [`CampaignSettings::parse`].
    pub fn allowed_domain_strings(&self) -> Vec<String> {
        self.allowed_domains
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect()
    }

    pub fn hashtag_strings(&self) -> Vec<String> {
        self.hashtags
            .iter()
            .map(|h| h.as_str().to_owned())
            .collect()
    }

    pub fn channel_strings(&self) -> Vec<String> {
        self.channels
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect()
    }
}

/// Parses each element, reports the failing index, and drops duplicates (the first one stays).
fn parse_list<T, K: PartialEq>(
    field: &str,
    values: &[String],
    max: usize,
    parse: impl Fn(&str, &str) -> Result<T, ValidationError>,
    key: impl Fn(&T) -> K,
) -> Result<Vec<T>, ValidationError> {
    if values.len() > max {
        return Err(ValidationError::new(
            field,
            ErrorCode::TooManyItems,
            format!(
                "{field} has {} items; at most {max} are allowed",
                values.len()
            ),
        ));
    }
    let mut parsed: Vec<T> = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let item = parse(field, value).map_err(|e| e.at_index(index))?;
        if !parsed.iter().any(|seen| key(seen) == key(&item)) {
            parsed.push(item);
        }
    }
    Ok(parsed)
}

/// A stored campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: i64,
    pub slug: Slug,
    pub settings: CampaignSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(landing_url: &'a str) -> RawCampaignSettings<'a> {
        RawCampaignSettings {
            kind: "brand",
            landing_url,
            ..Default::default()
        }
    }

    #[test]
    fn brand_colours_are_six_hex_digits() {
        let colour = BrandColor::parse("brand_color", "#B0124f").unwrap();
        assert_eq!(colour.rgb(), [0xb0, 0x12, 0x4f]);
        assert_eq!(colour.to_string(), "#b0124f");
        for bad in [
            "",
            "#",
            "b0124f",
            "#b0124",
            "#b0124f0",
            "#g0124f",
            "red",
            "#ｂ0124f",
            "#b0124f\n",
        ] {
            assert_eq!(
                BrandColor::parse("brand_color", bad).unwrap_err().code,
                ErrorCode::InvalidColor,
                "{bad:?}"
            );
        }
        let mut with_colour = raw("https://example.com/");
        with_colour.brand_color = Some("#00ff00");
        assert_eq!(
            CampaignSettings::parse(with_colour)
                .unwrap()
                .brand_color
                .map(BrandColor::rgb),
            Some([0, 255, 0])
        );
    }

    #[test]
    fn slugs_follow_the_documented_pattern() {
        for good in ["a", "spring-launch-2027", &"x".repeat(64)] {
            assert!(Slug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Spring",
            "a_b",
            "a b",
            "é",
            "../etc",
            "a/b",
            &"x".repeat(65),
        ] {
            assert_eq!(
                Slug::parse(bad).unwrap_err().code,
                ErrorCode::InvalidSlug,
                "{bad}"
            );
        }
    }

    #[test]
    fn only_http_and_https_urls_are_accepted() {
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "ftp://example.com/",
            "//example.com/",
            "/relative/path",
            "https://",
            "https://user:pw@example.com/",
            "https://bank.example@evil.example/",
            "https://exa mple.com/",
            "https://exa\tmple.com/",
        ] {
            assert_eq!(
                WebUrl::parse("landing_url", bad).unwrap_err().code,
                ErrorCode::InvalidUrl,
                "{bad:?}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX_BYTES));
        assert!(WebUrl::parse("landing_url", &long).is_err());
        assert!(WebUrl::parse("landing_url", "HTTPS://Example.COM/A?b=c#d").is_ok());
    }

    #[test]
    fn allowed_domains_default_to_the_landing_host() {
        let s = CampaignSettings::parse(raw("https://www.Example.com/launch")).unwrap();
        assert_eq!(s.allowed_domain_strings(), ["www.example.com"]);
    }

    #[test]
    fn a_domain_covers_its_subdomains_but_not_lookalikes() {
        let d = Domain::parse("d", "example.com").unwrap();
        assert!(d.covers("example.com"));
        assert!(d.covers("www.example.com"));
        assert!(d.covers("example.com."));
        assert!(!d.covers("notexample.com"));
        assert!(!d.covers("example.com.evil.net"));
        assert!(!d.covers("com"));
    }

    #[test]
    fn landing_url_must_be_within_allowed_domains() {
        let domains = vec!["example.com".to_owned()];
        let mut r = raw("https://evil.example.net/");
        r.allowed_domains = Some(&domains);
        assert_eq!(
            CampaignSettings::parse(r).unwrap_err().code,
            ErrorCode::LandingUrlNotAllowed
        );
        let mut r = raw("https://shop.example.com/");
        r.allowed_domains = Some(&domains);
        assert!(CampaignSettings::parse(r).is_ok());
        let empty: Vec<String> = vec![];
        let mut r = raw("https://example.com/");
        r.allowed_domains = Some(&empty);
        assert_eq!(
            CampaignSettings::parse(r).unwrap_err().code,
            ErrorCode::EmptyAllowedDomains
        );
    }

    #[test]
    fn bad_domains_name_their_index() {
        let domains = vec!["example.com".to_owned(), "https://x.com/".to_owned()];
        let mut r = raw("https://example.com/");
        r.allowed_domains = Some(&domains);
        let err = CampaignSettings::parse(r).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.code),
            ("allowed_domains[1]", ErrorCode::InvalidDomain)
        );
        for bad in [
            "*.example.com",
            "exa mple.com",
            "example.com:8080",
            "",
            "com",
        ] {
            assert!(Domain::parse("d", bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Domain::parse("d", "Bücher.Example").unwrap().as_str(),
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn hashtags_lose_their_hash_and_duplicates() {
        let tags = vec![
            "#Launch".to_owned(),
            "launch".to_owned(),
            "été_2027".to_owned(),
        ];
        let mut r = raw("https://example.com/");
        r.hashtags = &tags;
        let s = CampaignSettings::parse(r).unwrap();
        assert_eq!(s.hashtag_strings(), ["Launch", "été_2027"]);
        for bad in ["#", "two words", "a-b", "<script>"] {
            assert!(Hashtag::parse("hashtags", bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..=MAX_HASHTAGS).map(|i| format!("t{i}")).collect();
        let mut r = raw("https://example.com/");
        r.hashtags = &many;
        assert_eq!(
            CampaignSettings::parse(r).unwrap_err().code,
            ErrorCode::TooManyItems
        );
    }

    #[test]
    fn channels_default_to_all_and_are_checked() {
        let s = CampaignSettings::parse(raw("https://example.com/")).unwrap();
        assert_eq!(s.channels, Channel::ALL);
        let chosen = vec!["x".to_owned(), "email".to_owned(), "x".to_owned()];
        let mut r = raw("https://example.com/");
        r.channels = Some(&chosen);
        assert_eq!(
            CampaignSettings::parse(r).unwrap().channels,
            [Channel::X, Channel::Email]
        );
        let bad = vec!["x".to_owned(), "myspace".to_owned()];
        let mut r = raw("https://example.com/");
        r.channels = Some(&bad);
        let err = CampaignSettings::parse(r).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.code),
            ("channels[1]", ErrorCode::InvalidChannel)
        );
        let none: Vec<String> = vec![];
        let mut r = raw("https://example.com/");
        r.channels = Some(&none);
        assert_eq!(
            CampaignSettings::parse(r).unwrap_err().code,
            ErrorCode::EmptyChannels
        );
    }

    #[test]
    fn kinds_are_the_three_of_the_seed() {
        assert_eq!(CampaignKind::parse("product"), Ok(CampaignKind::Product));
        assert_eq!(
            CampaignKind::parse("Brand").unwrap_err().code,
            ErrorCode::InvalidKind
        );
    }
}

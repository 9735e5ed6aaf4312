//! The public URLs Fanfare hands out (short links, share redirects) and the paths it serves them
//! at, built from the server's base URL.

use std::collections::BTreeMap;

use fanfare_core::error_code::ErrorCode;
use fanfare_core::link::{Channel, LinkKey};
use url::Url;

use crate::error::{ApiError, ApiResult};

/// Where the redirect of a short link is served (its route, as metrics and logs name it).
pub const REDIRECT_ROUTE: &str = "/s/{code}";

/// The path of a short link, up to its code.
pub const SHORT_LINK_PREFIX: &str = "/s/";

/// The two kinds of URL a link key has per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRoute {
    /// `/s/{code}`: the short link, whose click is counted and redirected to the target.
    Short,
    /// `/share/{code}`: records a share, then opens the network's share dialog.
    Share,
}

impl LinkRoute {
    fn path(self) -> &'static str {
        match self {
            Self::Short => "s",
            Self::Share => "share",
        }
    }
}

/// `{channel: url}` for a link key: its short links, or its share redirects.
pub fn link_urls(
    base_url: &url::Url,
    key: &LinkKey,
    channels: &[Channel],
    route: LinkRoute,
) -> BTreeMap<Channel, String> {
    let base = base_url.as_str().trim_end_matches('/');
    let path = route.path();
    channels
        .iter()
        .map(|&channel| (channel, format!("{base}/{path}/{}", key.code(channel))))
        .collect()
}

/// The host of an http(s) URL, for referrer breakdowns; `None` for anything else.
pub fn url_host(value: &str) -> Option<String> {
    let url = url::Url::parse(value).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    (host.len() <= 253).then(|| host.to_ascii_lowercase())
}

pub fn web_url(field: &'static str, value: &str) -> ApiResult<Url> {
    Url::parse(value)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| ApiError::Unprocessable {
            code: ErrorCode::InvalidUrl,
            field: Some(field),
            message: format!("{field} must be an absolute http(s) URL, not {value:?}"),
        })
}

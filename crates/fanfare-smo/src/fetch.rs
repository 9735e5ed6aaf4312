//! The fetcher: pages, images and oEmbed answers from URLs that someone else wrote, so it must
//! not become a way into the operator's network (SSRF). Every hop, the first and each redirect,
//! is resolved here, every address it resolves to is checked, and the connection is pinned to
//! the checked address, so a DNS answer that changes between check and connect (rebinding)
//! cannot slip through. Body size, time and redirects are bounded.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::header;
use url::Url;

use crate::report::ImageProbe;

#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Let loopback, private, link-local and other non-public addresses through (an operator's
    /// choice, for auditing an intranet).
    pub allow_private: bool,
    /// Single non-public addresses let through (a known intranet host), the rest still refused.
    pub allow_addresses: Vec<IpAddr>,
    pub max_redirects: usize,
    pub timeout: Duration,
    pub max_page_bytes: usize,
    /// Bytes of an image read to learn its type and size.
    pub image_probe_bytes: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allow_private: false,
            allow_addresses: Vec::new(),
            max_redirects: 5,
            timeout: Duration::from_secs(10),
            max_page_bytes: crate::meta::MAX_HTML_BYTES,
            image_probe_bytes: 64 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("only http and https URLs can be fetched, not {0:?}")]
    Scheme(String),
    #[error("{url} has no host")]
    NoHost { url: String },
    #[error(
        "{host} resolves to {ip}, a {kind} address; refused (allow it with --allow-private or allow_private_addresses)"
    )]
    Refused {
        host: String,
        ip: IpAddr,
        kind: &'static str,
    },
    #[error("{host} could not be resolved: {reason}")]
    Dns { host: String, reason: String },
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("a redirect without a valid Location")]
    BadRedirect,
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Http(String),
    #[error("the page answers HTTP {0}")]
    Status(u16),
}

/// Why an address is not public, if it is not.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_kind(v4);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if first & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.segments()[..6].iter().all(|&s| s == 0) {
                // `::a.b.c.d`: deprecated, and some stacks route it to the IPv4 address.
                Some("IPv4-compatible")
            } else if first == 0x2002 {
                // 6to4 and Teredo tunnel to an IPv4 address written inside the IPv6 one:
                // whichever it is, the request would leave for somewhere this check never saw.
                Some("6to4 tunnel")
            } else if first == 0x2001 && v6.segments()[1] == 0 {
                Some("Teredo tunnel")
            } else if v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
                Some("cloud metadata")
            } else if first == 0x64 && v6.segments()[1] == 0xff9b {
                // NAT64 embeds an IPv4 address in the last 32 bits.
                let [.., a, b] = v6.segments();
                v4_kind(Ipv4Addr::new(
                    (a >> 8) as u8,
                    a as u8,
                    (b >> 8) as u8,
                    b as u8,
                ))
            } else {
                None
            }
        }
    }
}

fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip == Ipv4Addr::new(169, 254, 169, 254) {
        Some("cloud metadata")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if ip.is_broadcast() || ip.is_unspecified() || a == 0 {
        Some("unspecified or broadcast")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared (carrier-grade NAT)")
    } else if a >= 240 {
        Some("reserved")
    } else {
        None
    }
}

/// A fetched page: its final URL, its bytes (bounded) and the charset its header declared.
#[derive(Debug)]
pub struct Fetched {
    pub url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The resource's whole size, from `Content-Range` or `Content-Length`.
    pub total_size: Option<u64>,
}

impl Fetched {
    pub fn charset(&self) -> Option<&str> {
        let content_type = self.content_type.as_deref()?;
        content_type
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("charset="))
            .next()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Fetcher {
    pub policy: FetchPolicy,
}

impl Fetcher {
    pub fn new(policy: FetchPolicy) -> Self {
        Self { policy }
    }

    /// The address to connect to for `url`, after the checks: an http(s) URL whose host resolves
    /// to public addresses only (unless the policy allows more). Connect to that address, not to
    /// the name: DNS could answer otherwise the next time. The webhook deliveries use it too.
    pub async fn resolve(&self, url: &Url) -> Result<SocketAddr, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Scheme(url.scheme().to_owned()));
        }
        let host = url.host_str().ok_or_else(|| FetchError::NoHost {
            url: url.to_string(),
        })?;
        let port = url.port_or_known_default().unwrap_or(80);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                tokio::time::timeout(self.policy.timeout, tokio::net::lookup_host((bare, port)))
                    .await
                    .map_err(|_| FetchError::Timeout(self.policy.timeout))?
                    .map_err(|e| FetchError::Dns {
                        host: host.to_owned(),
                        reason: e.to_string(),
                    })?
                    .collect()
            }
        };
        if addresses.is_empty() {
            return Err(FetchError::Dns {
                host: host.to_owned(),
                reason: "no address".into(),
            });
        }
        // Every address must pass: the client could otherwise pick the one that does not.
        if !self.policy.allow_private {
            for address in &addresses {
                if self.policy.allow_addresses.contains(&address.ip()) {
                    continue;
                }
                if let Some(kind) = non_public(address.ip()) {
                    return Err(FetchError::Refused {
                        host: host.to_owned(),
                        ip: address.ip(),
                        kind,
                    });
                }
            }
        }
        Ok(addresses[0])
    }

    /// GETs `url`, following redirects by hand (each hop checked), and reads at most `limit`
    /// bytes of the body.
    async fn get(&self, url: &Url, limit: usize, range: bool) -> Result<Fetched, FetchError> {
        let mut current = url.clone();
        for _ in 0..=self.policy.max_redirects {
            let address = self.resolve(&current).await?;
            let host = current.host_str().unwrap_or_default().to_owned();
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.policy.timeout)
                .user_agent(concat!(
                    "Fanfare-Audit/",
                    env!("CARGO_PKG_VERSION"),
                    " (+social preview check)"
                ))
                // The connection goes to the address checked above, whatever DNS says now.
                .resolve(&host, address)
                .no_proxy()
                .build()
                .map_err(|e| FetchError::Http(e.to_string()))?;
            let mut request = client.get(current.clone());
            if range {
                request = request.header(
                    header::RANGE,
                    format!("bytes=0-{}", limit.saturating_sub(1)),
                );
            }
            let response = request.send().await.map_err(|e| {
                if e.is_timeout() {
                    FetchError::Timeout(self.policy.timeout)
                } else {
                    FetchError::Http(format!("{current}: {e}"))
                }
            })?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| current.join(l).ok())
                    .ok_or(FetchError::BadRedirect)?;
                current = location;
                continue;
            }
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let total = total_size(response.headers());
            let mut body = Vec::new();
            let mut response = response;
            let read = async {
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|e| FetchError::Http(e.to_string()))?
                {
                    let room = limit - body.len();
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if body.len() >= limit {
                        break;
                    }
                }
                Ok::<(), FetchError>(())
            };
            tokio::time::timeout(self.policy.timeout, read)
                .await
                .map_err(|_| FetchError::Timeout(self.policy.timeout))??;
            return Ok(Fetched {
                url: current,
                status: status.as_u16(),
                content_type,
                body,
                total_size: total,
            });
        }
        Err(FetchError::TooManyRedirects(self.policy.max_redirects))
    }

    /// The page at `url` (an error for a non-2xx answer).
    pub async fn page(&self, url: &Url) -> Result<Fetched, FetchError> {
        let fetched = self.get(url, self.policy.max_page_bytes, false).await?;
        if !(200..300).contains(&fetched.status) {
            return Err(FetchError::Status(fetched.status));
        }
        Ok(fetched)
    }

    /// An image's first bytes: its real type and size, whatever its headers claim.
    pub async fn probe_image(&self, url: &Url) -> ImageProbe {
        let mut probe = ImageProbe {
            url: url.to_string(),
            ..ImageProbe::default()
        };
        match self.get(url, self.policy.image_probe_bytes, true).await {
            Err(e) => probe.error = Some(e.to_string()),
            Ok(fetched) => {
                probe.status = Some(fetched.status);
                probe.content_type = fetched.content_type.clone();
                probe.size_bytes = fetched.total_size.or_else(|| {
                    // Without a range answer the body was cut at the limit: a lower bound.
                    (fetched.body.len() < self.policy.image_probe_bytes)
                        .then_some(fetched.body.len() as u64)
                });
                let (format, size) = sniff_image(&fetched.body);
                probe.format = format;
                if let Some((w, h)) = size {
                    probe.width = Some(w);
                    probe.height = Some(h);
                }
            }
        }
        probe
    }

    /// An oEmbed endpoint's JSON.
    pub async fn oembed(&self, url: &Url) -> Result<serde_json::Value, String> {
        let fetched = self
            .get(url, 256 * 1024, false)
            .await
            .map_err(|e| e.to_string())?;
        if !(200..300).contains(&fetched.status) {
            return Err(format!("HTTP {}", fetched.status));
        }
        serde_json::from_slice(&fetched.body).map_err(|e| format!("not JSON: {e}"))
    }
}

fn total_size(headers: &header::HeaderMap) -> Option<u64> {
    if let Some(range) = headers
        .get(header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
    {
        // "bytes 0-65535/1234567"
        return range.rsplit('/').next().and_then(|t| t.trim().parse().ok());
    }
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The format and pixel size an image's first bytes declare (a crate reads the headers).
pub fn sniff_image(bytes: &[u8]) -> (Option<String>, Option<(u32, u32)>) {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"<svg")
        || (trimmed.starts_with(b"<?xml") && bytes.windows(4).any(|w| w == b"<svg"))
    {
        return (Some("svg".into()), None);
    }
    let Ok(kind) = imagesize::image_type(bytes) else {
        return (None, None);
    };
    let name = match kind {
        imagesize::ImageType::Png => "png",
        imagesize::ImageType::Jpeg => "jpeg",
        imagesize::ImageType::Gif => "gif",
        imagesize::ImageType::Webp => "webp",
        imagesize::ImageType::Bmp => "bmp",
        imagesize::ImageType::Tiff => "tiff",
        imagesize::ImageType::Ico => "ico",
        imagesize::ImageType::Heif(_) => "heif",
        _ => "other",
    };
    let size = imagesize::blob_size(bytes)
        .ok()
        .and_then(|s| Some((u32::try_from(s.width).ok()?, u32::try_from(s.height).ok()?)));
    (Some(name.into()), size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_named() {
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "cloud metadata"),
            ("169.254.1.1", "link-local"),
            ("224.0.0.1", "multicast"),
            ("0.0.0.0", "unspecified or broadcast"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("::1", "loopback"),
            ("fd00::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
            ("64:ff9b::a00:1", "private"),
            ("fd00:ec2::254", "private (unique local)"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("::8.8.8.8", "IPv4-compatible"),
            ("2002:7f00:1::", "6to4 tunnel"),
            ("2002:0808:0808::1", "6to4 tunnel"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo tunnel"),
        ] {
            assert_eq!(non_public(ip.parse().unwrap()), Some(kind), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
            // Global unicast beside the tunnels' prefixes.
            "2001:db9::1",
            "2001:4860:4860::8888",
            "2003::1",
        ] {
            assert_eq!(non_public(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn images_are_known_by_their_bytes() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&1200u32.to_be_bytes());
        png.extend_from_slice(&630u32.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0]);
        assert_eq!(sniff_image(&png), (Some("png".into()), Some((1200, 630))));
        assert_eq!(
            sniff_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
                .0
                .as_deref(),
            Some("svg")
        );
        assert_eq!(sniff_image(b"<!doctype html><p>not an image"), (None, None));
    }
}

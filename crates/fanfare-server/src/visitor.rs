//! Who is asking, without knowing who they are: the visitor hash of `docs/reports.md` (privacy). A
//! keyed hash of (IP, user agent, campaign) under a salt that changes every UTC day and whose old
//! values are deleted, so a hash can count unique visitors today and never be linked to a person
//! later. The IP itself is read, hashed and dropped; it is stored nowhere.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, header};
use chrono::{NaiveDate, Utc};
use fanfare_store::DynStore;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::{ApiError, ApiResult};

/// The request's client, as far as hashing needs it.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: String,
}

impl Client {
    /// The client of a request; `trusted_proxy_header` as in the server's configuration.
    pub fn of(parts: &Parts, trusted_proxy_header: Option<&HeaderName>) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
            // Only a router served without connection info (never `serve`) gets here.
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let ip = client_ip(&parts.headers, peer, trusted_proxy_header);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        Self { ip, user_agent }
    }
}

/// The client's IP: the TCP peer, unless the operator named the header their reverse proxy sets
/// (`X-Forwarded-For`, `X-Real-IP`, `CF-Connecting-IP`…). Only the last value counts: that is the
/// one the operator's own proxy appended; earlier ones are whatever the client claimed.
pub fn client_ip(headers: &HeaderMap, peer: IpAddr, trusted: Option<&HeaderName>) -> IpAddr {
    let Some(name) = trusted else { return peer };
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| parse_ip(item.trim()))
        .next_back()
        .unwrap_or(peer)
}

fn parse_ip(value: &str) -> Option<IpAddr> {
    value
        .parse::<IpAddr>()
        .ok()
        .or_else(|| value.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Feeds formatted text to a MAC without building a string first.
struct MacText<'a>(&'a mut Hmac<Sha256>);

impl std::fmt::Write for MacText<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.update(text.as_bytes());
        Ok(())
    }
}

/// Today's salt, cached as a keyed HMAC (asked of the database once a day per process); each
/// hash starts from a copy of it instead of keying a new one.
#[derive(Debug, Default)]
pub struct VisitorHasher {
    keyed: std::sync::RwLock<Option<(NaiveDate, Hmac<Sha256>)>>,
}

impl VisitorHasher {
    pub async fn hash(
        &self,
        store: &DynStore,
        client: &Client,
        campaign_id: i64,
    ) -> ApiResult<String> {
        let mut mac = self.keyed_for_today(store).await?;
        // Separators keep ("1.2.3.4", "5agent") apart from ("1.2.3.45", "agent"). The address
        // is written as text straight into the MAC (the bytes `to_string` would give).
        let _ = write!(MacText(&mut mac), "{}", client.ip);
        mac.update(b"\0");
        mac.update(client.user_agent.as_bytes());
        mac.update(b"\0");
        mac.update(&campaign_id.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        // 128 bits: collisions among a day's visitors of one campaign are out of reach.
        Ok(hex(&digest[..16]))
    }

    /// The network the client is on, hashed like the visitor (same daily salt, same campaign):
    /// what a client rotating user agents cannot change. `None` for a loopback client: a server
    /// that sees every visitor as loopback sits behind a proxy whose header it was not told to
    /// trust, and could not tell one network from another.
    pub async fn network(
        &self,
        store: &DynStore,
        client: &Client,
        campaign_id: i64,
    ) -> ApiResult<Option<String>> {
        let Some(network) = Network::of(client.ip) else {
            return Ok(None);
        };
        let mut mac = self.keyed_for_today(store).await?;
        // "network\0" keeps a network's hash apart from any visitor's.
        mac.update(b"network\0");
        let _ = write!(MacText(&mut mac), "{network}");
        mac.update(b"\0");
        mac.update(&campaign_id.to_be_bytes());
        Ok(Some(hex(&mac.finalize().into_bytes()[..16])))
    }

    /// Today's keyed MAC, from the cache or, once a day, from the database's salt.
    async fn keyed_for_today(&self, store: &DynStore) -> ApiResult<Hmac<Sha256>> {
        let today = Utc::now().date_naive();
        match self.cached(today) {
            Some(mac) => Ok(mac),
            None => self.key_for(store, today).await,
        }
    }

    fn cached(&self, day: NaiveDate) -> Option<Hmac<Sha256>> {
        let keyed = self
            .keyed
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        keyed
            .as_ref()
            .filter(|(cached_day, _)| *cached_day == day)
            .map(|(_, mac)| mac.clone())
    }

    async fn key_for(&self, store: &DynStore, day: NaiveDate) -> ApiResult<Hmac<Sha256>> {
        let mut candidate = [0u8; 32];
        rand::rng().fill_bytes(&mut candidate);
        let salt = store.visitor_salt(day, &candidate).await?;
        let mac = Hmac::<Sha256>::new_from_slice(&salt)
            .map_err(|e| ApiError::Internal(format!("visitor salt: {e}")))?;
        *self
            .keyed
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((day, mac.clone()));
        Ok(mac)
    }
}

/// The network of an address: the IPv4 address itself (/32: one household or office behind its
/// NAT), or the /64 of an IPv6 address (what one subscriber is given). An IPv4 address written
/// as IPv6 (`::ffff:1.2.3.4`) is its IPv4 self. Shown as `1.2.3.4` or `2001:db8:1:2::/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network(IpAddr);

impl Network {
    /// `None` for loopback.
    pub fn of(ip: IpAddr) -> Option<Self> {
        match ip.to_canonical() {
            ip if ip.is_loopback() => None,
            IpAddr::V4(v4) => Some(Self(IpAddr::V4(v4))),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Some(Self(IpAddr::V6(std::net::Ipv6Addr::from(prefix))))
            }
        }
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn an_address_written_into_the_mac_is_its_text() {
        for ip in ["203.0.113.7", "2001:db8::1", "::ffff:1.2.3.4"] {
            let ip: IpAddr = ip.parse().unwrap();
            let keyed = Hmac::<Sha256>::new_from_slice(b"salt").unwrap();
            let mut written = keyed.clone();
            write!(MacText(&mut written), "{ip}").unwrap();
            let mut from_string = keyed;
            from_string.update(ip.to_string().as_bytes());
            assert_eq!(
                written.finalize().into_bytes(),
                from_string.finalize().into_bytes(),
                "{ip}"
            );
        }
    }

    #[test]
    fn networks_are_the_ipv4_address_or_the_ipv6_slash_64() {
        let network = |ip: &str| Network::of(ip.parse().unwrap()).map(|n| n.to_string());
        assert_eq!(network("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            network("::ffff:203.0.113.7").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            network("2001:db8:1:2:aaaa:bbbb:cccc:dddd").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(
            network("2001:db8:1:2::1"),
            network("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_ne!(network("2001:db8:1:2::1"), network("2001:db8:1:3::1"));
        assert_eq!(network("127.0.0.1"), None);
        assert_eq!(network("::1"), None);
        assert_eq!(network("::ffff:127.0.0.1"), None);
    }

    #[test]
    fn hashes_are_lowercase_hex() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn the_peer_is_the_client_unless_a_proxy_header_is_trusted() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(
            client_ip(&spoofed, peer, None),
            peer,
            "untrusted header ignored"
        );
        let xff = HeaderName::from_static("x-forwarded-for");
        let proxied = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7")]);
        assert_eq!(
            client_ip(&proxied, peer, Some(&xff)),
            "203.0.113.7".parse::<IpAddr>().unwrap(),
            "the value the trusted proxy appended, not the one the client made up"
        );
        let two_lines = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "[2001:db8::1]:443"),
        ]);
        assert_eq!(
            client_ip(&two_lines, peer, Some(&xff)),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        let garbage = headers(&[("x-forwarded-for", "not an ip")]);
        assert_eq!(client_ip(&garbage, peer, Some(&xff)), peer);
        assert_eq!(client_ip(&HeaderMap::new(), peer, Some(&xff)), peer);
    }
}

//! Fans: who adheres to a campaign, who brought them, and the signals that make a join suspect.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error_code::ErrorCode;
use crate::link::Channel;
use crate::validation::{ValidationError, clean_text};

pub const NAME_MAX_CHARS: usize = 80;
/// RFC 5321 §4.5.3.1: 64 octets of local part, 254 for a whole path usable in `MAIL FROM`.
pub const EMAIL_MAX_LEN: usize = 254;
const EMAIL_LOCAL_MAX_LEN: usize = 64;
/// 10 characters of a 62-letter alphabet: about 59.5 random bits, short enough to read aloud,
/// too many to guess (a billion guesses find one of a million fans with odds of about 1 in 1,000).
pub const REF_CODE_LEN: usize = 10;
const REF_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const MEMBER_TOKEN_PREFIX: &str = "fft_";

/// A fan's public code: in their links (`ff_ref=`), in leaderboards.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RefCode(String);

impl RefCode {
    pub fn generate() -> Self {
        let mut bytes = [0u8; REF_CODE_LEN];
        rand::rng().fill_bytes(&mut bytes);
        // 256 is not a multiple of 62: rejection sampling would remove the slight bias, but a
        // bias of under 1.6 % per character costs well under a bit of the 59.5.
        let code = bytes
            .iter()
            .map(|b| REF_ALPHABET[usize::from(*b) % REF_ALPHABET.len()] as char)
            .collect();
        Self(code)
    }

    /// A code as received (`ref` in a join, a path segment). `None` if it cannot be one of ours,
    /// which callers treat like an unknown code.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == REF_CODE_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RefCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret handed out once (a member token, an API key) and the SHA-256 under which it is stored.
#[derive(Debug)]
pub struct Secret {
    pub value: String,
    pub hash: String,
}

impl Secret {
    /// `prefix` followed by 256 random bits, base64url.
    pub fn generate(prefix: &str) -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let value = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
        Self {
            hash: hash_secret(&value),
            value,
        }
    }
}

/// Lowercase hex SHA-256. A plain hash suffices: secrets are 256 random bits, not passwords.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fan's display name.
pub fn parse_name(value: &str) -> Result<String, ValidationError> {
    clean_text("name", value, NAME_MAX_CHARS, false)
}

/// An e-mail address, checked strictly enough to refuse the absurd (no `@`, two `@`, spaces,
/// quoted local parts, IP-literal domains, no TLD) and normalised twice:
/// - `address`: trimmed and lowercased — the identity: the same address joins once;
/// - `mailbox`: where mail really lands, after the provider's rules (Gmail ignores dots and
///   `+tags`; most large providers ignore `+tags`) — two different addresses with one mailbox
///   are one person joining twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    address: String,
    mailbox: String,
    domain_start: usize,
}

/// Providers that deliver `name+anything@` to `name@` (their documented sub-addressing).
const PLUS_TAG_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
];

impl Email {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let invalid = |why: &str| {
            ValidationError::new(
                "email",
                ErrorCode::InvalidEmail,
                format!("email {why}; write an address like name@example.com, or leave it out"),
            )
        };
        let address = value.trim().to_lowercase();
        if address.len() > EMAIL_MAX_LEN {
            return Err(invalid(&format!(
                "is longer than {EMAIL_MAX_LEN} characters"
            )));
        }
        let Some((local, domain)) = address.split_once('@') else {
            return Err(invalid("has no '@'"));
        };
        if domain.contains('@') {
            return Err(invalid("has more than one '@'"));
        }
        let local_ok = !local.is_empty()
            && local.len() <= EMAIL_LOCAL_MAX_LEN
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !local_ok {
            return Err(invalid(
                "has a part before '@' that is empty, too long, or holds characters mail servers refuse",
            ));
        }
        let domain_ok = domain.len() <= 253
            && domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && domain
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
        if !domain_ok {
            return Err(invalid(
                "has a domain that is not a host name like example.com",
            ));
        }
        let mailbox = canonical_mailbox(local, domain);
        Ok(Self {
            domain_start: local.len() + 1,
            address,
            mailbox,
        })
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn mailbox(&self) -> &str {
        &self.mailbox
    }

    pub fn domain(&self) -> &str {
        &self.address[self.domain_start..]
    }

    /// Whether the domain belongs to a throwaway-address service, per the list the `mailchecker`
    /// crate maintains (tens of thousands of domains, updated with each release).
    pub fn is_disposable(&self) -> bool {
        // Only the domain is asked about, so a syntax rule of that crate's own cannot make an
        // address we accepted look disposable.
        !mailchecker::is_valid(&format!("x@{}", self.domain()))
    }
}

/// A visitor's request to join a campaign, validated: what a new fan is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joining {
    pub name: String,
    pub email: Option<Email>,
    /// The ref code of the fan whose link brought the visitor; a malformed one is no referral
    /// (links get mangled in transit), not an error.
    pub referral: Option<RefCode>,
    /// The channel of the link that brought the visitor, when it names one.
    pub channel: Option<Channel>,
    /// The host of the page that sent the visitor (http(s) pages only).
    pub referrer_host: Option<String>,
}

fn canonical_mailbox(local: &str, domain: &str) -> String {
    let domain = if domain == "googlemail.com" {
        "gmail.com"
    } else {
        domain
    };
    if !PLUS_TAG_DOMAINS.contains(&domain) {
        return format!("{local}@{domain}");
    }
    let local = local.split_once('+').map_or(local, |(base, _)| base);
    let local = if domain == "gmail.com" {
        local.replace('.', "")
    } else {
        local.to_owned()
    };
    format!("{local}@{domain}")
}

/// Why a fan is suspect. A flagged fan joins like anyone (the same answer, so nothing tells a
/// cheater what was noticed) and is left out of K-factor, cascades and leaderboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FraudFlag {
    /// Joined through a ref code from the same visitor (IP and browser) as its owner.
    SelfReferral,
    /// Another fan of the campaign has a different address for the same mailbox.
    DuplicateEmail,
    /// The e-mail domain is a throwaway-address service.
    DisposableEmail,
    /// Too many joins from one visitor within an hour.
    JoinBurst,
    /// Too many joins from one network (an IPv4 address, an IPv6 /64) in a day, or too many
    /// of them referred by the same fan, whatever browser each one showed.
    NetworkBurst,
}

impl FraudFlag {
    pub const ALL: [FraudFlag; 5] = [
        Self::SelfReferral,
        Self::DuplicateEmail,
        Self::DisposableEmail,
        Self::JoinBurst,
        Self::NetworkBurst,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfReferral => "self_referral",
            Self::DuplicateEmail => "duplicate_email",
            Self::DisposableEmail => "disposable_email",
            Self::JoinBurst => "join_burst",
            Self::NetworkBurst => "network_burst",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|flag| flag.as_str() == value)
    }
}

/// A stored fan. After erasure, `ref_code`, `name` and `email` are gone; what remains (when, who
/// referred whom, flags) is anonymous and keeps the campaign's counts and cascades right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fan {
    pub id: i64,
    pub campaign_id: i64,
    pub ref_code: Option<RefCode>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub referrer_id: Option<i64>,
    /// The referrer's public code, when the referrer still has one.
    pub referrer_ref_code: Option<String>,
    /// The first fan of this fan's chain (itself for a fan who came on their own).
    pub root_id: i64,
    /// Generations below the root: 0 for a fan who came on their own.
    pub depth: i32,
    pub flags: Vec<FraudFlag>,
    /// The fan's personal link (its short codes are this key plus a channel letter).
    pub link_key: Option<crate::link::LinkKey>,
    /// The channel whose link brought the fan, when known.
    pub channel: Option<crate::link::Channel>,
    /// The salted visitor hash of the join (self-referral checks); gone after erasure.
    pub visitor_hash: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}

impl Fan {
    pub fn is_flagged(&self) -> bool {
        !self.flags.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_codes_are_short_url_safe_and_distinct() {
        let codes: std::collections::HashSet<_> = (0..1000).map(|_| RefCode::generate()).collect();
        assert_eq!(codes.len(), 1000);
        for code in &codes {
            assert!(RefCode::parse(code.as_str()).is_some());
        }
        for bad in [
            "",
            "short",
            "with space",
            "abcdefghi/",
            "abcdefghijk",
            "<script>x",
        ] {
            assert!(RefCode::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn emails_are_lowercased_and_gmail_mailboxes_canonical() {
        let e = Email::parse("  John.Doe+News@GoogleMail.com ").unwrap();
        assert_eq!(e.address(), "john.doe+news@googlemail.com");
        assert_eq!(e.mailbox(), "johndoe@gmail.com");
        assert_eq!(
            Email::parse("jo.hn+x@outlook.com").unwrap().mailbox(),
            "jo.hn@outlook.com",
            "dots matter outside Gmail"
        );
        assert_eq!(
            Email::parse("a+b@example.org").unwrap().mailbox(),
            "a+b@example.org",
            "unknown providers keep the tag"
        );
        assert_eq!(
            Email::parse("zoë@exämple.fr").unwrap().domain(),
            "exämple.fr"
        );
    }

    #[test]
    fn absurd_emails_are_refused() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long = format!("a@{}.com", "b".repeat(250));
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@@example.com",
            "a@b@example.com",
            "a b@example.com",
            "\"quoted\"@example.com",
            "a@[127.0.0.1]",
            "a@127.0.0.1",
            "a@localhost",
            "a@example",
            "a@-example.com",
            "a@exa_mple.com",
            ".a@example.com",
            "a..b@example.com",
            "a@example.c",
            "<script>@example.com",
            "a\n@example.com",
            &long_local,
            &long,
        ] {
            assert_eq!(
                Email::parse(bad).map_err(|e| e.code),
                Err(ErrorCode::InvalidEmail),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn disposable_domains_come_from_the_maintained_list() {
        assert!(Email::parse("x@yopmail.com").unwrap().is_disposable());
        assert!(Email::parse("x@mailinator.com").unwrap().is_disposable());
        assert!(!Email::parse("x@gmail.com").unwrap().is_disposable());
        assert!(!Email::parse("x@example.org").unwrap().is_disposable());
    }

    #[test]
    fn secrets_hash_to_what_is_stored() {
        let s = Secret::generate(MEMBER_TOKEN_PREFIX);
        assert!(s.value.starts_with(MEMBER_TOKEN_PREFIX));
        assert_eq!(hash_secret(&s.value), s.hash);
        assert_ne!(s.value, Secret::generate(MEMBER_TOKEN_PREFIX).value);
    }

    #[test]
    fn flags_round_trip_through_their_names() {
        for flag in FraudFlag::ALL {
            assert_eq!(FraudFlag::parse(flag.as_str()), Some(flag));
        }
        assert_eq!(FraudFlag::parse("nope"), None);
    }
}

/// What the page-view beacon reports: a view, or the fan form opening (for the simplicity pillar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitorEvent {
    View,
    JoinStarted,
}

impl VisitorEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::JoinStarted => "join_started",
        }
    }
}

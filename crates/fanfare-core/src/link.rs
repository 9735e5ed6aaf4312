//! Tracked links: the short code of a (link, channel), the landing URL a click is sent to with
//! its tracking tags, and the share-intent URL of each network.
//!
//! A link is a random key owned by a fan (their personal link), by a campaign (its anonymous
//! link, for visitors who share without joining) or created by an admin with its own target. Its
//! short code is the key plus one letter naming the channel, so one row serves every network:
//! `/s/{key}{channel}`.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::RngCore;
use serde::Serialize;
use url::Url;

/// 8 characters of 62: about 47.6 random bits per link; with a million links, a guess finds one
/// with odds of about 1 in 200 million.
pub const LINK_KEY_LEN: usize = 8;
pub const SHORT_CODE_LEN: usize = LINK_KEY_LEN + 1;
const KEY_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The networks and ways of sharing (`docs/reports.md`, share intents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Facebook,
    X,
    Linkedin,
    Pinterest,
    Reddit,
    Whatsapp,
    Telegram,
    Email,
    Bluesky,
    Threads,
    Mastodon,
    Hackernews,
    Xing,
    Vk,
    Tumblr,
    Copy,
    Native,
    Qr,
}

impl Channel {
    pub const ALL: [Channel; 18] = [
        Self::Facebook,
        Self::X,
        Self::Linkedin,
        Self::Pinterest,
        Self::Reddit,
        Self::Whatsapp,
        Self::Telegram,
        Self::Email,
        Self::Bluesky,
        Self::Threads,
        Self::Mastodon,
        Self::Hackernews,
        Self::Xing,
        Self::Vk,
        Self::Tumblr,
        Self::Copy,
        Self::Native,
        Self::Qr,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Facebook => "facebook",
            Self::X => "x",
            Self::Linkedin => "linkedin",
            Self::Pinterest => "pinterest",
            Self::Reddit => "reddit",
            Self::Whatsapp => "whatsapp",
            Self::Telegram => "telegram",
            Self::Email => "email",
            Self::Bluesky => "bluesky",
            Self::Threads => "threads",
            Self::Mastodon => "mastodon",
            Self::Hackernews => "hackernews",
            Self::Xing => "xing",
            Self::Vk => "vk",
            Self::Tumblr => "tumblr",
            Self::Copy => "copy",
            Self::Native => "native",
            Self::Qr => "qr",
        }
    }

    /// The last character of a short code. Stable: changing one breaks every shared link.
    pub fn code_char(self) -> char {
        match self {
            Self::Facebook => 'f',
            Self::X => 'x',
            Self::Linkedin => 'l',
            Self::Pinterest => 'p',
            Self::Reddit => 'r',
            Self::Whatsapp => 'w',
            Self::Telegram => 't',
            Self::Email => 'e',
            Self::Bluesky => 'b',
            Self::Threads => 'h',
            Self::Mastodon => 'm',
            Self::Hackernews => 'n',
            Self::Xing => 'g',
            Self::Vk => 'v',
            Self::Tumblr => 'u',
            Self::Copy => 'c',
            Self::Native => 'a',
            Self::Qr => 'q',
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == value)
    }

    fn from_code_char(c: char) -> Option<Self> {
        Self::ALL.into_iter().find(|ch| ch.code_char() == c)
    }

    /// The network's share-intent template (`docs/reports.md`); `None` for ways of sharing that
    /// need no network (copy, native share, QR). Placeholders: `{url}`, `{text}`, `{title}`,
    /// `{tags}`, `{image}`, `{instance}` (Mastodon).
    pub fn default_intent(self) -> Option<&'static str> {
        Some(match self {
            Self::Facebook => "https://www.facebook.com/sharer/sharer.php?u={url}",
            Self::X => "https://x.com/intent/tweet?text={text}&url={url}&hashtags={tags}",
            Self::Linkedin => "https://www.linkedin.com/sharing/share-offsite/?url={url}",
            Self::Pinterest => {
                "https://www.pinterest.com/pin/create/button/?url={url}&media={image}&description={text}"
            }
            Self::Reddit => "https://www.reddit.com/submit?url={url}&title={title}",
            Self::Whatsapp => "https://wa.me/?text={text}%20{url}",
            Self::Telegram => "https://t.me/share/url?url={url}&text={text}",
            Self::Email => "mailto:?subject={title}&body={text}%20{url}",
            Self::Bluesky => "https://bsky.app/intent/compose?text={text}%20{url}",
            Self::Threads => "https://www.threads.com/intent/post?text={text}&url={url}",
            Self::Mastodon => "https://{instance}/share?text={text}%20{url}",
            Self::Hackernews => "https://news.ycombinator.com/submitlink?u={url}&t={title}",
            Self::Xing => "https://www.xing.com/spi/shares/new?url={url}",
            Self::Vk => "https://vk.com/share.php?url={url}&title={title}",
            Self::Tumblr => {
                "https://www.tumblr.com/widgets/share/tool?posttype=link&canonicalUrl={url}&title={title}"
            }
            Self::Copy | Self::Native | Self::Qr => return None,
        })
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who clicked, as far as the user agent tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Agent {
    Human,
    /// A crawler, a script, a request without a user agent, a `HEAD`.
    Bot,
    /// A network's link-preview fetcher (Facebook, X, Slack, WhatsApp…): redirected so that
    /// previews work, never counted as a click.
    Preview,
}

impl Agent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Bot => "bot",
            Self::Preview => "preview",
        }
    }
}

/// The kind of device a click came from, for breakdowns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Device {
    Mobile,
    Tablet,
    Desktop,
    Unknown,
}

impl Device {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Desktop => "desktop",
            Self::Unknown => "unknown",
        }
    }

    /// A coarse reading of the user agent: enough for a breakdown, not for fingerprinting.
    pub fn from_user_agent(ua: &str) -> Self {
        let ua = ua.to_ascii_lowercase();
        if ua.is_empty() {
            Self::Unknown
        } else if ua.contains("ipad")
            || ua.contains("tablet")
            || (ua.contains("android") && !ua.contains("mobile"))
        {
            Self::Tablet
        } else if ua.contains("mobi") || ua.contains("iphone") || ua.contains("android") {
            Self::Mobile
        } else if ua.contains("windows")
            || ua.contains("macintosh")
            || ua.contains("x11")
            || ua.contains("cros")
        {
            Self::Desktop
        } else {
            Self::Unknown
        }
    }
}

/// A link's random key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LinkKey(String);

impl LinkKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; LINK_KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        // The modulo bias (256 = 4·62 + 8) costs a fraction of a bit of the 47.6.
        Self(
            bytes
                .iter()
                .map(|b| KEY_ALPHABET[usize::from(*b) % KEY_ALPHABET.len()] as char)
                .collect(),
        )
    }

    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == LINK_KEY_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn code(&self, channel: Channel) -> String {
        format!("{}{}", self.0, channel.code_char())
    }
}

/// `/s/{code}`: a link key and a channel. Anything else is not a code (and gets the 404 page
/// without a database lookup).
pub fn parse_short_code(code: &str) -> Option<(LinkKey, Channel)> {
    if code.len() != SHORT_CODE_LEN || !code.is_ascii() {
        return None;
    }
    let (key, channel) = code.split_at(LINK_KEY_LEN);
    let channel = Channel::from_code_char(channel.chars().next()?)?;
    Some((LinkKey::parse(key)?, channel))
}

/// The query keys a click's redirect sets; any value the target already had for them is
/// replaced, so a link cannot be made to report another channel or ambassador.
pub const TRACKING_KEYS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "ff_ref",
];

/// The `ff_ref` a click's landing URL carries: the ambassador's ref code and the channel letter
/// of the link (`AbCdEf1234-l`), so a join that brings `ref` back but lost `utm_source` on the
/// way (a site or a client that drops UTM tags) is still credited to the right channel.
pub fn ff_ref(ref_code: &str, channel: Channel) -> String {
    format!("{ref_code}-{}", channel.code_char())
}

/// An `ff_ref` as received: the ref code part, and the channel when the value carries a known
/// one. A bare ref code (links made before channels were carried) has no channel.
pub fn split_ff_ref(value: &str) -> (&str, Option<Channel>) {
    match value.rsplit_once('-') {
        Some((code, letter)) if letter.chars().count() == 1 => {
            match letter.chars().next().and_then(Channel::from_code_char) {
                Some(channel) => (code, Some(channel)),
                None => (value, None),
            }
        }
        _ => (value, None),
    }
}

/// Where a click on (`target`, `channel`) goes: the target with the campaign's tracking tags
/// merged into its query (ours win; the target's other parameters and fragment stay).
pub fn tracked_url(
    target: &Url,
    channel: Channel,
    campaign_slug: &str,
    ref_code: Option<&str>,
) -> Url {
    let mut url = target.clone();
    let kept: Vec<(String, String)> = target
        .query_pairs()
        .filter(|(k, _)| !TRACKING_KEYS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (k, v) in &kept {
            query.append_pair(k, v);
        }
        query.append_pair("utm_source", channel.as_str());
        query.append_pair("utm_medium", "social");
        query.append_pair("utm_campaign", campaign_slug);
        if let Some(code) = ref_code {
            query.append_pair("utm_content", code);
            query.append_pair("ff_ref", &ff_ref(code, channel));
        }
    }
    url
}

/// Percent-encode everything but RFC 3986's unreserved characters (so a space is `%20`, never
/// `+`, which some intent endpoints would show literally).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What a share says about the campaign.
#[derive(Debug, Clone, Default)]
pub struct ShareContent<'a> {
    pub url: &'a str,
    pub title: &'a str,
    pub text: &'a str,
    pub hashtags: &'a [String],
    pub image: Option<&'a str>,
    pub instance: Option<&'a str>,
}

/// Bluesky counts at most 300 graphemes in a post; the text is cut (on a character boundary)
/// so that text, space and link fit.
const BLUESKY_MAX: usize = 300;

/// Fills an intent template, every value percent-encoded.
pub fn render_intent(template: &str, channel: Channel, content: &ShareContent<'_>) -> String {
    let encode = |value: &str| utf8_percent_encode(value, COMPONENT).to_string();
    let text = if channel == Channel::Bluesky {
        let room = BLUESKY_MAX.saturating_sub(content.url.chars().count() + 1);
        content.text.chars().take(room).collect::<String>()
    } else {
        content.text.to_owned()
    };
    template
        .replace("{url}", &encode(content.url))
        .replace("{text}", &encode(&text))
        .replace("{title}", &encode(content.title))
        .replace("{tags}", &encode(&content.hashtags.join(",")))
        .replace("{image}", &encode(content.image.unwrap_or_default()))
        .replace("{instance}", content.instance.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_letters_and_names_are_unique() {
        let letters: std::collections::HashSet<_> =
            Channel::ALL.iter().map(|c| c.code_char()).collect();
        let names: std::collections::HashSet<_> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(letters.len(), Channel::ALL.len());
        assert_eq!(names.len(), Channel::ALL.len());
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
    }

    #[test]
    fn short_codes_round_trip_and_junk_is_not_a_code() {
        let key = LinkKey::generate();
        for channel in Channel::ALL {
            assert_eq!(
                parse_short_code(&key.code(channel)),
                Some((key.clone(), channel))
            );
        }
        for junk in [
            "",
            "abc",
            "abcdefgh",
            "abcdefghz",
            "abcdefgh!",
            "abcdefghxx",
            "../../etcx",
            "abcdéfgx",
        ] {
            assert_eq!(parse_short_code(junk), None, "{junk}");
        }
    }

    #[test]
    fn tracking_tags_are_merged_and_ours_win() {
        let target =
            Url::parse("https://shop.example.com/p?color=red&utm_source=evil&ff_ref=someone#top")
                .unwrap();
        let url = tracked_url(&target, Channel::X, "spring", Some("AbCdEf1234"));
        assert_eq!(
            url.as_str(),
            "https://shop.example.com/p?color=red&utm_source=x&utm_medium=social&utm_campaign=spring&utm_content=AbCdEf1234&ff_ref=AbCdEf1234-x#top"
        );
        let anonymous = tracked_url(&target, Channel::Qr, "spring", None);
        assert_eq!(
            anonymous.query(),
            Some("color=red&utm_source=qr&utm_medium=social&utm_campaign=spring")
        );
    }

    #[test]
    fn ff_ref_carries_the_channel_and_old_codes_still_parse() {
        assert_eq!(ff_ref("AbCdEf1234", Channel::Linkedin), "AbCdEf1234-l");
        assert_eq!(
            split_ff_ref("AbCdEf1234-l"),
            ("AbCdEf1234", Some(Channel::Linkedin))
        );
        assert_eq!(split_ff_ref("AbCdEf1234"), ("AbCdEf1234", None));
        // An unknown letter or a longer suffix is not a channel: the whole value is the code
        // (and then no code of ours).
        assert_eq!(split_ff_ref("AbCdEf1234-9"), ("AbCdEf1234-9", None));
        assert_eq!(split_ff_ref("AbCdEf1234-ll"), ("AbCdEf1234-ll", None));
        assert_eq!(split_ff_ref("-"), ("-", None));
        assert_eq!(split_ff_ref("é-"), ("é-", None));
        assert_eq!(split_ff_ref("AbCdEf1234-é"), ("AbCdEf1234-é", None));
        for channel in Channel::ALL {
            assert_eq!(
                split_ff_ref(&ff_ref("AbCdEf1234", channel)),
                ("AbCdEf1234", Some(channel))
            );
        }
    }

    #[test]
    fn intents_encode_every_value() {
        let tags = vec!["Spring".to_owned(), "été".to_owned()];
        let content = ShareContent {
            url: "https://fans.example/s/abcdefghx",
            title: "A & B",
            text: "Hello world",
            hashtags: &tags,
            image: Some("https://cdn.example/i.png"),
            instance: None,
        };
        let x = render_intent(Channel::X.default_intent().unwrap(), Channel::X, &content);
        assert_eq!(
            x,
            "https://x.com/intent/tweet?text=Hello%20world&url=https%3A%2F%2Ffans.example%2Fs%2Fabcdefghx&hashtags=Spring%2C%C3%A9t%C3%A9"
        );
        let mail = render_intent(
            Channel::Email.default_intent().unwrap(),
            Channel::Email,
            &content,
        );
        assert!(mail.starts_with("mailto:?subject=A%20%26%20B&body=Hello%20world%20https%3A"));
    }

    #[test]
    fn bluesky_posts_fit_in_300_characters() {
        let long = "é".repeat(400);
        let url = "https://fans.example/s/abcdefghb";
        let content = ShareContent {
            url,
            title: "",
            text: &long,
            ..Default::default()
        };
        let intent = render_intent(
            Channel::Bluesky.default_intent().unwrap(),
            Channel::Bluesky,
            &content,
        );
        let text = intent.split("text=").nth(1).unwrap();
        let decoded = percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .unwrap();
        assert_eq!(decoded.chars().count(), 300);
        assert!(decoded.ends_with(url));
    }
}

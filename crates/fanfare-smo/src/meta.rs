//! Reading a page's social tags: the character set first (byte order mark, the HTTP header, or a
//! `<meta>` in the first kilobytes, as browsers do), then one streaming pass of lol_html that
//! collects what the rules need and stops after `</head>` when the head already holds the Open
//! Graph essentials (tags left in `<body>` by broken templates are still found otherwise).
//!
//! Duplicates: the first value wins, as with the networks' crawlers; the others are kept for the
//! consistency rule.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::html_content::{Element, TextChunk};
use lol_html::{HtmlRewriter, Settings, element, text};
use serde::Serialize;

/// The most HTML read from one page; beyond, the page is treated as cut there.
pub const MAX_HTML_BYTES: usize = 8 * 1024 * 1024;
/// Values longer than this are cut: no network reads more, and absurd attributes must not
/// make the report absurd too.
const MAX_VALUE_CHARS: usize = 4096;
/// JSON-LD blocks read at most.
const MAX_JSON_LD: usize = 16;

/// One `og:image` (or `twitter:image`) with the structured properties that followed it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImageTag {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
}

/// What a page declares, as read (URLs are not resolved here).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Meta {
    pub lang: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub canonical: Option<String>,
    pub keywords: Option<String>,
    pub og_title: Option<String>,
    pub og_type: Option<String>,
    pub og_url: Option<String>,
    pub og_description: Option<String>,
    pub og_site_name: Option<String>,
    pub og_locale: Option<String>,
    /// In page order; the first is the one networks show.
    pub og_images: Vec<ImageTag>,
    pub twitter_card: Option<String>,
    pub twitter_title: Option<String>,
    pub twitter_description: Option<String>,
    pub twitter_image: Option<String>,
    pub twitter_image_alt: Option<String>,
    pub twitter_site: Option<String>,
    pub fb_app_id: Option<String>,
    pub article_published_time: Option<String>,
    pub article_modified_time: Option<String>,
    pub article_author: Option<String>,
    pub article_tags: Vec<String>,
    /// Namespace prefixes declared with `<html prefix="…">` or `<head prefix="…">`.
    #[serde(skip)]
    pub prefixes: Vec<String>,
    /// The `href` of `<link rel="alternate" type="application/json+oembed">`.
    pub oembed_url: Option<String>,
    /// The first `<img src>` of the page: Facebook's last resort for an image.
    pub first_img: Option<String>,
    /// The text of each `<script type="application/ld+json">`.
    #[serde(skip)]
    pub json_ld: Vec<String>,
    /// Properties declared more than once (`og:title` …), in the order met.
    pub duplicates: Vec<String>,
    /// Whether the page holds a `<video>`, `<audio>` or `<iframe>` (oEmbed discovery matters then).
    #[serde(skip)]
    pub embeds_media: bool,
    /// The reader stopped after `</head>` (what the rules need was there).
    #[serde(skip)]
    pub stopped_after_head: bool,
}

/// Turns the page's bytes into text: a byte order mark wins, then the charset of the
/// `Content-Type` header, then a `<meta charset>` / `http-equiv` in the first 1024 bytes, then
/// UTF-8. Undecodable bytes become U+FFFD rather than an error: a broken page still gets audited.
pub fn decode(bytes: &[u8], header_charset: Option<&str>) -> String {
    let bytes = &bytes[..bytes.len().min(MAX_HTML_BYTES)];
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    let declared = header_charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().trim_matches('"').as_bytes()))
        .or_else(|| sniff_meta_charset(&bytes[..bytes.len().min(1024)]));
    // UTF-16 declared in a document that decoded as ASCII-compatible is a lie (HTML spec).
    let encoding = match declared {
        Some(e) if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE => encoding_rs::UTF_8,
        Some(e) => e,
        None => encoding_rs::UTF_8,
    };
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// `charset=` in the first `<meta>` tags, read from bytes before any decoding.
fn sniff_meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<meta") {
        rest = &rest[at + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(pos) = tag.find("charset") {
            let value = tag[pos + 7..]
                .trim_start()
                .strip_prefix('=')
                .unwrap_or("")
                .trim_start()
                .trim_start_matches(['"', '\'']);
            let end = value
                .find(|c: char| c == '"' || c == '\'' || c == ';' || c == '/' || c.is_whitespace())
                .unwrap_or(value.len());
            if let Some(encoding) = encoding_rs::Encoding::for_label(&value.as_bytes()[..end]) {
                return Some(encoding);
            }
        }
    }
    None
}

/// Entities decoded, control characters (which no tag value needs, and which could drive a
/// terminal showing the report) turned into spaces, whitespace collapsed, length bounded.
fn clean(value: &str) -> String {
    let decoded: String = html_escape::decode_html_entities(value)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let collapsed: String = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(MAX_VALUE_CHARS).collect()
}

/// Why the streaming pass stopped early (returned as a handler error, then treated as success).
#[derive(Debug)]
struct Enough;

impl std::fmt::Display for Enough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the head held what the audit needs")
    }
}

impl std::error::Error for Enough {}

#[derive(Default)]
struct State {
    meta: Meta,
    seen: Vec<String>,
    in_title: bool,
    title: String,
    json_ld: Option<String>,
    head_done: bool,
}

impl State {
    fn set(&mut self, property: &str, value: String) {
        let m = &mut self.meta;
        let first_time = !self.seen.iter().any(|p| p == property);
        // Repeatable properties: each `og:image` opens a new image; its width, height, type
        // and alt attach to the latest one.
        match property {
            "og:image" | "og:image:url" | "og:image:secure_url"
                if property == "og:image" || m.og_images.is_empty() =>
            {
                m.og_images.push(ImageTag {
                    url: value,
                    ..ImageTag::default()
                });
                if !first_time && !m.duplicates.iter().any(|d| d == "og:image") {
                    // Several images are allowed (arrays); still worth a note.
                    m.duplicates.push(property.to_owned());
                }
                self.seen.push(property.to_owned());
                return;
            }
            "og:image:width" | "og:image:height" | "og:image:type" | "og:image:alt" => {
                if let Some(image) = m.og_images.last_mut() {
                    let slot = match property {
                        "og:image:width" => &mut image.width,
                        "og:image:height" => &mut image.height,
                        "og:image:type" => &mut image.mime_type,
                        _ => &mut image.alt,
                    };
                    if slot.is_none() {
                        *slot = Some(value);
                    }
                }
                return;
            }
            "article:tag" => {
                m.article_tags.push(value);
                return;
            }
            _ => {}
        }
        if !first_time {
            if !m.duplicates.iter().any(|d| d == property) {
                m.duplicates.push(property.to_owned());
            }
            return;
        }
        self.seen.push(property.to_owned());
        let slot = match property {
            "description" => &mut m.description,
            "keywords" => &mut m.keywords,
            "og:title" => &mut m.og_title,
            "og:type" => &mut m.og_type,
            "og:url" => &mut m.og_url,
            "og:description" => &mut m.og_description,
            "og:site_name" => &mut m.og_site_name,
            "og:locale" => &mut m.og_locale,
            "twitter:card" => &mut m.twitter_card,
            "twitter:title" => &mut m.twitter_title,
            "twitter:description" => &mut m.twitter_description,
            "twitter:image" | "twitter:image:src" => &mut m.twitter_image,
            "twitter:image:alt" => &mut m.twitter_image_alt,
            "twitter:site" => &mut m.twitter_site,
            "fb:app_id" => &mut m.fb_app_id,
            "article:published_time" => &mut m.article_published_time,
            "article:modified_time" => &mut m.article_modified_time,
            "article:author" => &mut m.article_author,
            _ => return,
        };
        *slot = Some(value);
    }

    /// Enough to stop at `</head>`: the rest of the page could only add fallbacks. Without an
    /// oEmbed link the body must still be read, to learn whether it embeds media (OE1).
    fn head_is_enough(&self) -> bool {
        let m = &self.meta;
        m.og_title.is_some()
            && m.og_url.is_some()
            && m.og_type.is_some()
            && !m.og_images.is_empty()
            && m.oembed_url.is_some()
    }
}

fn on_meta(state: &Rc<RefCell<State>>, el: &Element) {
    let Some(content) = el.get_attribute("content") else {
        return;
    };
    // Open Graph uses `property`, X uses `name`; pages mix them up and crawlers accept both.
    let key = el
        .get_attribute("property")
        .or_else(|| el.get_attribute("name"))
        .map(|k| k.trim().to_ascii_lowercase());
    if let Some(key) = key {
        state.borrow_mut().set(&key, clean(&content));
    }
}

fn on_link(state: &Rc<RefCell<State>>, el: &Element) {
    let rel = el
        .get_attribute("rel")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let Some(href) = el.get_attribute("href") else {
        return;
    };
    let mut s = state.borrow_mut();
    if rel.split_whitespace().any(|r| r == "canonical") {
        if s.meta.canonical.is_none() {
            s.meta.canonical = Some(clean(&href));
        } else if !s.meta.duplicates.iter().any(|d| d == "canonical") {
            s.meta.duplicates.push("canonical".into());
        }
    } else if rel.split_whitespace().any(|r| r == "alternate")
        && el
            .get_attribute("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json+oembed"))
        && s.meta.oembed_url.is_none()
    {
        s.meta.oembed_url = Some(clean(&href));
    }
}

/// Reads the social tags of a page already decoded to text.
pub fn extract(html: &str) -> Meta {
    let state = Rc::new(RefCell::new(State::default()));
    let handlers = {
        let (s1, s2, s3, s4, s5, s6, s7, s8, s9, s10) = (
            state.clone(),
            state.clone(),
            state.clone(),
            state.clone(),
            state.clone(),
            state.clone(),
            state.clone(),
            state.clone(),
            state.clone(),
            state.clone(),
        );
        vec![
            element!("html, head", move |el| {
                let mut s = s1.borrow_mut();
                if el.tag_name() == "html" && s.meta.lang.is_none() {
                    s.meta.lang = el.get_attribute("lang").map(|l| clean(&l));
                }
                if let Some(prefix) = el.get_attribute("prefix") {
                    // "og: https://ogp.me/ns# fb: …": every `name:` is a declared prefix.
                    s.meta.prefixes.extend(
                        prefix
                            .split_whitespace()
                            .filter_map(|p| p.strip_suffix(':'))
                            .map(str::to_ascii_lowercase),
                    );
                }
                if el.tag_name() == "head" {
                    let s = s1.clone();
                    if let Some(handlers) = el.end_tag_handlers() {
                        let on_end: lol_html::EndTagHandler<'static> = Box::new(move |_| {
                            let mut state = s.borrow_mut();
                            state.head_done = true;
                            if state.head_is_enough() {
                                state.meta.stopped_after_head = true;
                                return Err(Box::new(Enough));
                            }
                            Ok(())
                        });
                        handlers.push(on_end);
                    }
                }
                Ok(())
            }),
            element!("meta[content]", move |el| {
                on_meta(&s2, el);
                Ok(())
            }),
            element!("link[href]", move |el| {
                on_link(&s3, el);
                Ok(())
            }),
            element!("title", move |_| {
                let mut s = s4.borrow_mut();
                // Only the first <title> counts; an <svg><title> in the body is not the page's.
                s.in_title = s.meta.title.is_none() && !s.head_done;
                s.title.clear();
                Ok(())
            }),
            text!("title", move |t: &mut TextChunk| {
                let mut s = s5.borrow_mut();
                if s.in_title {
                    if s.title.len() < MAX_VALUE_CHARS * 4 {
                        s.title.push_str(t.as_str());
                    }
                    if t.last_in_text_node() {
                        s.in_title = false;
                        let title = clean(&s.title);
                        s.meta.title = Some(title);
                    }
                }
                Ok(())
            }),
            element!("img[src]", move |el| {
                let mut s = s6.borrow_mut();
                if s.meta.first_img.is_none() {
                    s.meta.first_img = el.get_attribute("src").map(|v| clean(&v));
                }
                Ok(())
            }),
            element!("video, audio, iframe, embed, object", move |_| {
                s7.borrow_mut().meta.embeds_media = true;
                Ok(())
            }),
            element!("script[type]", move |el| {
                let is_ld = el
                    .get_attribute("type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
                let mut s = s8.borrow_mut();
                s.json_ld = (is_ld && s.meta.json_ld.len() < MAX_JSON_LD).then(String::new);
                Ok(())
            }),
            text!("script[type]", move |t: &mut TextChunk| {
                let mut s = s9.borrow_mut();
                if let Some(buffer) = s.json_ld.as_mut() {
                    if buffer.len() < 1024 * 1024 {
                        buffer.push_str(t.as_str());
                    }
                    if t.last_in_text_node() {
                        let done = s.json_ld.take().unwrap_or_default();
                        s.meta.json_ld.push(done);
                    }
                }
                Ok(())
            }),
            element!("body", move |_| {
                s10.borrow_mut().head_done = true;
                Ok(())
            }),
        ]
    };
    let mut rewriter = HtmlRewriter::new(
        Settings {
            element_content_handlers: handlers,
            ..Settings::new()
        },
        |_: &[u8]| {},
    );
    // Fed in slices so that a stop after </head> skips the rest of a long page. Any error
    // other than the deliberate stop is a limit of the parser (memory bounds): what was read
    // so far is the result.
    let mut finished = false;
    for chunk in html.as_bytes().chunks(16 * 1024) {
        if rewriter.write(chunk).is_err() {
            finished = true;
            break;
        }
    }
    if !finished {
        let _ = rewriter.end();
    } else {
        drop(rewriter);
    }
    let state = Rc::try_unwrap(state)
        .map(RefCell::into_inner)
        .unwrap_or_else(|shared| {
            let s = shared.borrow();
            State {
                meta: s.meta.clone(),
                ..State::default()
            }
        });
    let mut meta = state.meta;
    // A <title> cut by the end of the page.
    if meta.title.is_none() && !state.title.is_empty() {
        meta.title = Some(clean(&state.title));
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_and_duplicates_are_noted() {
        let meta = extract(
            r#"<html lang="fr"><head><title>Un &amp; deux</title>
            <meta property="og:title" content="First">
            <meta property="og:title" content="Second">
            <meta name="twitter:card" content="summary">
            <meta property="og:image" content="/a.png"><meta property="og:image:width" content="1200">
            <meta property="og:image" content="/b.png"><meta property="og:image:alt" content="B">
            </head><body><img src="/first.jpg"></body></html>"#,
        );
        assert_eq!(meta.lang.as_deref(), Some("fr"));
        assert_eq!(meta.title.as_deref(), Some("Un & deux"));
        assert_eq!(meta.og_title.as_deref(), Some("First"));
        assert_eq!(
            meta.duplicates,
            vec!["og:title".to_owned(), "og:image".to_owned()]
        );
        assert_eq!(meta.og_images.len(), 2);
        assert_eq!(meta.og_images[0].width.as_deref(), Some("1200"));
        assert_eq!(meta.og_images[0].alt, None);
        assert_eq!(meta.og_images[1].alt.as_deref(), Some("B"));
        assert_eq!(meta.first_img.as_deref(), Some("/first.jpg"));
    }

    #[test]
    fn entities_are_decoded_once() {
        let meta = extract(
            r#"<meta property="og:title" content="Fish &amp; chips &amp;lt;3 &eacute;t&#233;">"#,
        );
        assert_eq!(meta.og_title.as_deref(), Some("Fish & chips &lt;3 été"));
    }

    #[test]
    fn tags_in_the_body_are_found_when_the_head_lacks_them() {
        let meta = extract(
            r#"<html><head><title>T</title></head><body>
            <meta property="og:image" content="https://e.example/i.png"></body></html>"#,
        );
        assert_eq!(meta.og_images[0].url, "https://e.example/i.png");
        assert!(!meta.stopped_after_head);
    }

    #[test]
    fn reading_stops_after_a_complete_head() {
        let body = "<p>filler</p>".repeat(100_000);
        let meta = extract(&format!(
            r#"<head><meta property="og:title" content="T"><meta property="og:type" content="website">
            <meta property="og:url" content="https://e.example/"><meta property="og:image" content="https://e.example/i.png">
            <link rel="alternate" type="application/json+oembed" href="https://e.example/oembed">
            </head><body>{body}<meta property="og:description" content="late"></body>"#
        ));
        assert!(meta.stopped_after_head);
        assert_eq!(meta.og_description, None);
    }

    #[test]
    fn charsets_come_from_the_bom_the_header_or_a_meta_tag() {
        let latin1 = b"<meta charset=\"iso-8859-1\"><title>\xe9t\xe9</title>";
        assert!(decode(latin1, None).contains("été"));
        let header = b"<title>\xe9t\xe9</title>";
        assert!(decode(header, Some("windows-1252")).contains("été"));
        let http_equiv =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"><title>\x80</title>";
        assert!(decode(http_equiv, None).contains('€'));
        let bom = b"\xef\xbb\xbf<title>\xc3\xa9</title>";
        assert!(decode(bom, Some("iso-8859-1")).contains("<title>é"));
        assert!(decode(b"<title>\xff\xfe broken</title>", None).contains('\u{fffd}'));
    }
}

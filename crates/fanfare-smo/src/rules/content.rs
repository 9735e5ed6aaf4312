//! The rules of the content itself: text lengths, keywords, structured data (JSON-LD), oEmbed,
//! and consistency across networks.

use super::base::*;
use crate::meta::Meta;
use crate::report::Severity;

pub(super) fn text_lengths(m: &Meta, out: &mut Outcome) {
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

pub(super) fn keywords(inputs: &Inputs<'_>, out: &mut Outcome) {
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
pub(super) fn json_ld_objects(blocks: &[String], out: &mut Outcome) -> Vec<serde_json::Value> {
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

pub(super) fn types_of(value: &serde_json::Value) -> Vec<String> {
    match &value["@type"] {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn structured_data(inputs: &Inputs<'_>, out: &mut Outcome) {
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
pub(super) fn sd_images(
    inputs: &Inputs<'_>,
    object: &serde_json::Value,
    out: &mut Outcome,
) -> bool {
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

pub(super) fn number(value: &serde_json::Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_str()
            .and_then(|s| s.trim().trim_end_matches("px").parse().ok())
    })
}

pub(super) fn oembed(inputs: &Inputs<'_>, out: &mut Outcome) {
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

pub(super) fn consistency(inputs: &Inputs<'_>, out: &mut Outcome) {
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

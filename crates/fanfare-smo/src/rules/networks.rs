//! The rules of what each network reads: Open Graph, the canonical URL and locale, Facebook,
//! X and LinkedIn.

use url::Url;

use super::base::*;
use crate::meta::Meta;
use crate::report::{ImageProbe, Severity, absolute, is_tracking_parameter};

pub(super) fn open_graph(inputs: &Inputs<'_>, out: &mut Outcome) {
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

pub(super) fn canonical(inputs: &Inputs<'_>, out: &mut Outcome) {
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

pub(super) fn locale(m: &Meta, out: &mut Outcome) {
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
pub(super) fn facebook(inputs: &Inputs<'_>, out: &mut Outcome) {
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
pub(super) fn unreachable(p: &ImageProbe) -> Option<String> {
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

pub(super) fn x(inputs: &Inputs<'_>, out: &mut Outcome) {
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

pub(super) fn linkedin(inputs: &Inputs<'_>, out: &mut Outcome) {
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

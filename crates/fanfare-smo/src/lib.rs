//! Fanfare's SMO audit: read a page's social tags, show what Facebook, X and LinkedIn would
//! display, check the rules of `docs/smo-rules.md`, score the page and write the tags that fix it.
//!
//! [`audit_html`] works on given HTML and fetches nothing unless asked; [`audit_url`] fetches the
//! page, then its images and oEmbed answer, through a [`fetch::Fetcher`] that refuses private
//! addresses. [`text::render`] draws the report for a terminal.

pub mod fetch;
pub mod meta;
pub mod report;
pub mod rules;
pub mod text;

use url::Url;

pub use fetch::{FetchError, FetchPolicy, Fetcher};
pub use report::{
    CampaignHints, Finding, ImageProbe, Preview, Previews, Report, Severity, Unchecked,
};

/// What to audit, beyond the HTML itself.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The page's URL: relative URLs resolve against it, and it is the page's domain.
    pub base_url: Option<Url>,
    /// Fetch the images and the oEmbed answer (with a fetcher).
    pub fetch: Option<Fetcher>,
    pub campaign: Option<CampaignHints>,
}

/// The report on parsed tags, with whatever was fetched.
fn build(
    meta: meta::Meta,
    options: &Options,
    images: Vec<ImageProbe>,
    oembed: Option<report::OembedProbe>,
) -> Report {
    let base = options.base_url.as_ref();
    let outcome = rules::check(&rules::Inputs {
        meta: &meta,
        base,
        fetched: options.fetch.is_some(),
        images: &images,
        oembed: oembed.as_ref(),
        campaign: options.campaign.as_ref(),
    });
    let previews = report::previews(&meta, base);
    let suggested_tags = report::suggested_tags(&meta, base, &images, options.campaign.as_ref());
    Report {
        url: base.map(Url::to_string),
        score: report::score(&outcome.findings),
        previews,
        findings: outcome.findings,
        unchecked: outcome.unchecked,
        images,
        suggested_tags,
        meta,
    }
}

/// Audits HTML already at hand (parse and rules only unless `options.fetch` is set).
pub async fn audit_html(html: &[u8], header_charset: Option<&str>, options: &Options) -> Report {
    // Parsing a page of megabytes takes a while of CPU: off the async runtime's workers, so that
    // the server's other requests (its health checks included) go on meanwhile.
    let (html, charset) = (html.to_vec(), header_charset.map(str::to_owned));
    let meta = match tokio::task::spawn_blocking(move || {
        meta::extract(&meta::decode(&html, charset.as_deref()))
    })
    .await
    {
        Ok(meta) => meta,
        Err(stopped) => std::panic::resume_unwind(stopped.into_panic()),
    };
    let (images, oembed) = match &options.fetch {
        Some(fetcher) => fetch_related(fetcher, &meta, options.base_url.as_ref()).await,
        None => (Vec::new(), None),
    };
    build(meta, options, images, oembed)
}

/// The same, without any I/O: what the benchmark measures.
pub fn audit_offline(html: &[u8], options: &Options) -> Report {
    let meta = meta::extract(&meta::decode(html, None));
    build(meta, options, Vec::new(), None)
}

/// Fetches the page at `url` and audits it, images and oEmbed answer included.
pub async fn audit_url(
    url: &Url,
    fetcher: &Fetcher,
    campaign: Option<CampaignHints>,
) -> Result<Report, FetchError> {
    let page = fetcher.page(url).await?;
    let options = Options {
        base_url: Some(page.url.clone()),
        fetch: Some(fetcher.clone()),
        campaign,
    };
    Ok(audit_html(&page.body, page.charset(), &options).await)
}

/// The images the previews and the structured data would show (a handful at most, fetched one
/// after the other), and the oEmbed answer.
async fn fetch_related(
    fetcher: &Fetcher,
    meta: &meta::Meta,
    base: Option<&Url>,
) -> (Vec<ImageProbe>, Option<report::OembedProbe>) {
    let mut wanted: Vec<Url> = Vec::new();
    let candidates = meta
        .og_images
        .first()
        .map(|i| i.url.as_str())
        .into_iter()
        .chain(meta.twitter_image.as_deref())
        .chain(
            meta.first_img
                .as_deref()
                .filter(|_| meta.og_images.is_empty()),
        )
        .map(str::to_owned)
        .chain(rules::json_ld_image_urls(meta, 4));
    for candidate in candidates {
        if let Some(url) = report::absolute(&candidate, base)
            && !wanted.contains(&url)
        {
            wanted.push(url);
        }
    }
    let mut images = Vec::with_capacity(wanted.len());
    for url in &wanted {
        images.push(fetcher.probe_image(url).await);
    }
    let oembed = match meta
        .oembed_url
        .as_deref()
        .and_then(|u| report::absolute(u, base))
    {
        Some(url) => Some(report::OembedProbe {
            url: url.to_string(),
            body: fetcher.oembed(&url).await,
        }),
        None => None,
    };
    (images, oembed)
}

/// The page URLs a sitemap lists (`<loc>` of a `<urlset>`), in order.
pub fn sitemap_locations(xml: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<loc>") {
        rest = &rest[start + 5..];
        let Some(end) = rest.find("</loc>") else {
            break;
        };
        let value = html_escape::decode_html_entities(rest[..end].trim()).into_owned();
        if value.starts_with("http://") || value.starts_with("https://") {
            found.push(value);
        }
        rest = &rest[end + 6..];
    }
    found
}

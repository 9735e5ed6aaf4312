//! Audit throughput: a generated corpus of real-looking pages (offline, no network), parse and
//! rules only, pages and megabytes per second on one thread. `bench/audit.sh` runs a peer, the
//! npm package open-graph-scraper under Node, on the same files in the same run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, clap::Args)]
pub struct CorpusArgs {
    /// Where to write the pages
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 24)]
    pages: usize,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// A folder of .html pages (see audit-corpus)
    #[arg(long)]
    corpus: PathBuf,
    #[arg(long, default_value_t = 5)]
    seconds: u64,
}

const WORDS: &[&str] = &[
    "spring",
    "colour",
    "linen",
    "collection",
    "made",
    "to",
    "last",
    "shipped",
    "free",
    "in",
    "Europe",
    "with",
    "returns",
    "for",
    "thirty",
    "days",
    "and",
    "the",
    "new",
    "cuts",
    "&amp;",
    "été",
    "nouveauté",
    "design",
    "studio",
    "recycled",
    "cotton",
    "wool",
    "—",
    "«",
    "»",
];

fn sentence(rng: &mut StdRng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.random_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// One page: a head whose completeness varies (some pages lack tags, some put them in the body,
/// some repeat them), then a body of navigation, articles, scripts and styles up to `body_kb`.
fn page(rng: &mut StdRng, index: usize, body_kb: usize) -> String {
    let host = format!("https://www{}.shop.example", index % 5);
    let mut head =
        String::from("<!doctype html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n");
    head.push_str(&format!("<title>{} | The shop</title>\n", sentence(rng, 8)));
    head.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    head.push_str(
        &"<link rel=\"preload\" href=\"/fonts/a.woff2\" as=\"font\" crossorigin>\n".repeat(3),
    );
    head.push_str(
        "<style>body{font-family:system-ui}.nav a{color:#333}.hero{display:grid}</style>\n",
    );
    let complete = !index.is_multiple_of(4);
    let tags = format!(
        "<meta property=\"og:title\" content=\"{}\">\n<meta property=\"og:description\" content=\"{}\">\n\
         <meta property=\"og:type\" content=\"{}\">\n<meta property=\"og:url\" content=\"{host}/p/{index}\">\n\
         <meta property=\"og:image\" content=\"{}\">\n<meta property=\"og:image:width\" content=\"1200\">\n\
         <meta name=\"twitter:card\" content=\"summary_large_image\">\n<link rel=\"canonical\" href=\"{host}/p/{index}\">\n",
        sentence(rng, 7),
        sentence(rng, 25),
        if index.is_multiple_of(3) {
            "article"
        } else {
            "website"
        },
        if index.is_multiple_of(5) {
            format!("/img/{index}.jpg")
        } else {
            format!("{host}/img/{index}.jpg")
        },
    );
    if complete {
        head.push_str(&tags);
    }
    if index.is_multiple_of(6) {
        head.push_str(&format!(
            "<script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\"@type\":\"Product\",\"name\":\"{}\",\"image\":\"{host}/img/{index}.jpg\",\"offers\":{{\"@type\":\"Offer\",\"price\":\"49\"}}}}</script>\n",
            sentence(rng, 3)
        ));
    }
    head.push_str("<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>\n</head>\n");
    let mut body = String::from("<body>\n<nav class=\"nav\">");
    for i in 0..30 {
        body.push_str(&format!("<a href=\"/c/{i}\">{}</a>", sentence(rng, 2)));
    }
    body.push_str("</nav>\n<main>\n");
    if !complete {
        // Broken templates put the tags in the body.
        body.push_str(&tags);
    }
    while body.len() < body_kb * 1024 {
        body.push_str(&format!(
            "<article class=\"card\"><h2>{}</h2><img src=\"/img/{}.jpg\" alt=\"{}\" width=\"400\" height=\"300\"><p>{}</p><ul>{}</ul></article>\n",
            sentence(rng, 5),
            rng.random_range(0..1000),
            sentence(rng, 4),
            sentence(rng, 60),
            "<li><a href=\"#\">more</a></li>".repeat(5),
        ));
    }
    body.push_str("</main>\n<script src=\"/app.js\" defer></script>\n</body>\n</html>\n");
    head + &body
}

pub fn corpus(args: CorpusArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let mut rng = StdRng::seed_from_u64(2026);
    // From small landing pages to heavy shop pages: 5 KB to about 1.3 MB.
    let sizes = [5usize, 12, 20, 35, 60, 90, 150, 250, 400, 700, 1000, 1300];
    let mut total = 0;
    for index in 0..args.pages {
        let html = page(&mut rng, index, sizes[index % sizes.len()]);
        total += html.len();
        std::fs::write(args.out.join(format!("page-{index:03}.html")), html)?;
    }
    println!(
        "{} pages, {:.1} MB in {}",
        args.pages,
        total as f64 / 1e6,
        args.out.display()
    );
    Ok(())
}

pub fn run(args: AuditArgs) -> anyhow::Result<()> {
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(&args.corpus)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "html") {
            pages.push(std::fs::read(&path)?);
        }
    }
    anyhow::ensure!(
        !pages.is_empty(),
        "no .html pages in {}",
        args.corpus.display()
    );
    let options = fanfare_smo::Options::default();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let (mut audited, mut bytes, mut findings) = (0u64, 0u64, 0usize);
    while Instant::now() < deadline {
        for page in &pages {
            let report = fanfare_smo::audit_offline(page, &options);
            findings += report.findings.len();
            audited += 1;
            bytes += page.len() as u64;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "fanfare-smo: {audited} pages in {elapsed:.2} s: {:.1} pages/s, {:.1} MB/s ({} findings on average)",
        audited as f64 / elapsed,
        bytes as f64 / 1e6 / elapsed,
        findings / audited.max(1) as usize
    );
    Ok(())
}

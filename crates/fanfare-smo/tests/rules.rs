//! Every rule of docs/smo-rules.md: a page that triggers it and a page that passes it. Image and
//! oEmbed rules fetch from a real local HTTP server that serves image headers of any size,
//! lying images, errors and redirects.

#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fanfare_smo::{CampaignHints, FetchError, FetchPolicy, Fetcher, Options, Report, Severity};
use url::Url;

/// A PNG's first bytes declaring `w`×`h` pixels.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(&w.to_be_bytes());
    bytes.extend_from_slice(&h.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

#[derive(serde::Deserialize)]
struct ImageQuery {
    /// The size the server claims for the whole file (Content-Range).
    size: Option<u64>,
}

async fn image(
    Path(name): Path<String>,
    Query(q): Query<ImageQuery>,
    headers: HeaderMap,
) -> Response {
    let (content_type, body) = match name.as_str() {
        "fake.png" => ("image/png", b"<!doctype html><p>not an image</p>".to_vec()),
        "missing.png" => return StatusCode::NOT_FOUND.into_response(),
        "page.png" => ("text/html", png(1200, 630)),
        "logo.svg" => (
            "image/svg+xml",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        ),
        "hang.png" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            ("image/png", png(1, 1))
        }
        other => {
            let Some((w, h)) = other
                .strip_suffix(".png")
                .and_then(|d| d.split_once('x'))
                .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
            else {
                return StatusCode::NOT_FOUND.into_response();
            };
            ("image/png", png(w, h))
        }
    };
    let total = q.size.unwrap_or(body.len() as u64);
    if headers.contains_key(header::RANGE) {
        (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_TYPE, content_type.to_owned()),
                (
                    header::CONTENT_RANGE,
                    format!("bytes 0-{}/{total}", body.len() - 1),
                ),
            ],
            body,
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    }
}

async fn oembed(Path(kind): Path<String>) -> Response {
    let body = match kind.as_str() {
        "good.json" => {
            r#"{"type":"video","version":"1.0","html":"<iframe></iframe>","width":640,"height":360}"#
        }
        "bad.json" => r#"{"type":"video","version":"2"}"#,
        _ => "not json",
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn spawn() -> SocketAddr {
    let app = Router::new()
        .route("/img/{name}", get(image))
        .route("/oembed/{kind}", get(oembed))
        .route(
            "/page",
            get(|| async { axum::response::Html(GOOD.replace("BASE", "")) }),
        )
        .route(
            "/to-private",
            get(|| async { axum::response::Redirect::temporary("http://10.20.30.40/page") }),
        )
        .route(
            "/to-metadata",
            get(|| async {
                axum::response::Redirect::temporary("http://169.254.169.254/latest/meta-data/")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// A page that passes every rule: each test below breaks one thing.
const GOOD: &str = r#"<!doctype html>
<html lang="en-US" prefix="og: https://ogp.me/ns#">
<head>
<meta charset="utf-8">
<title>Spring collection: new colours and new cuts at the shop</title>
<meta name="description" content="Our spring collection brings twelve new colours and three new cuts, made to last, shipped free in Europe, with returns free for thirty days too.">
<meta name="keywords" content="spring, fashion">
<link rel="canonical" href="BASE/spring">
<meta property="og:type" content="article">
<meta property="og:url" content="BASE/spring">
<meta property="og:title" content="Spring collection: new colours and new cuts at the shop">
<meta property="og:description" content="Our spring collection brings twelve new colours and three new cuts, made to last, shipped free in Europe, with returns free for thirty days too.">
<meta property="og:site_name" content="The shop">
<meta property="og:locale" content="en_US">
<meta property="og:image" content="BASE/img/1200x630.png">
<meta property="og:image:width" content="1200">
<meta property="og:image:height" content="630">
<meta property="og:image:type" content="image/png">
<meta property="og:image:alt" content="Three models in the new colours">
<meta property="fb:app_id" content="1234567890">
<meta property="article:published_time" content="2026-03-01T09:00:00Z">
<meta property="article:modified_time" content="2026-03-02T09:00:00Z">
<meta property="article:author" content="https://shop.example/about">
<meta property="article:tag" content="spring">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:title" content="Spring collection: new colours and new cuts at the shop">
<meta name="twitter:description" content="Our spring collection brings twelve new colours and three new cuts, made to last, shipped free in Europe, with returns free for thirty days too.">
<meta name="twitter:image" content="BASE/img/1200x630.png">
<meta name="twitter:image:alt" content="Three models in the new colours">
<link rel="alternate" type="application/json+oembed" href="BASE/oembed/good.json">
<script type="application/ld+json">
{"@context":"https://schema.org","@graph":[
 {"@type":"Article","headline":"Spring collection","image":["BASE/img/1200x630.png"],
  "datePublished":"2026-03-01T09:00:00+01:00","dateModified":"2026-03-02T09:00:00+01:00",
  "author":{"@type":"Person","name":"Ada"}},
 {"@type":"Product","name":"Spring coat","offers":{"@type":"Offer","price":"120","priceCurrency":"EUR"}}]}
</script>
</head>
<body><h1>Spring</h1><video src="BASE/v.mp4"></video></body>
</html>"#;

struct Page {
    address: SocketAddr,
}

impl Page {
    fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    fn fetcher(&self) -> Fetcher {
        Fetcher::new(FetchPolicy {
            allow_addresses: vec![IpAddr::from([127, 0, 0, 1])],
            timeout: Duration::from_secs(2),
            ..FetchPolicy::default()
        })
    }

    async fn audit(&self, html: &str, fetch: bool) -> Report {
        let html = html.replace("BASE", &self.base());
        let options = Options {
            base_url: Some(Url::parse(&format!("{}/spring", self.base())).unwrap()),
            fetch: fetch.then(|| self.fetcher()),
            campaign: Some(CampaignHints {
                hashtags: vec!["spring".into()],
                ..CampaignHints::default()
            }),
        };
        fanfare_smo::audit_html(html.as_bytes(), None, &options).await
    }
}

fn rules_of(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.rule).collect()
}

fn assert_flags(report: &Report, rule: &str, severity: Severity) {
    let found = report.findings.iter().find(|f| f.rule == rule);
    let Some(found) = found else {
        panic!("{rule} not raised; findings: {:?}", report.findings);
    };
    assert_eq!(found.severity, severity, "{found:?}");
    assert!(
        found.message.len() > 10 && found.fix.len() > 10,
        "{found:?}"
    );
}

/// Replaces `from` (which must be in the good page) by `to`.
fn broken(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "{from}");
    GOOD.replacen(from, to, 1)
}

#[tokio::test]
async fn the_good_page_passes_every_rule() {
    let page = Page {
        address: spawn().await,
    };
    let report = page.audit(GOOD, true).await;
    // Only the reminder about caches, which needs no fix when nothing else is wrong.
    assert_eq!(
        rules_of(&report),
        Vec::<&str>::new(),
        "{:#?}",
        report.findings
    );
    assert_eq!(report.score, 100);
    assert!(report.unchecked.is_empty(), "{:?}", report.unchecked);
    assert_eq!(report.images[0].width, Some(1200));
}

#[tokio::test]
async fn each_rule_is_raised_by_the_page_that_breaks_it() {
    let page = Page {
        address: spawn().await,
    };
    let cases: Vec<(&str, Severity, String)> = vec![
        ("OG1", Severity::Error, broken(r#"<meta property="og:type" content="article">"#, "")),
        ("OG2", Severity::Warning, broken(r#"content="article">"#, r#"content="blogpost">"#)),
        ("OG3", Severity::Error, broken(r#"<meta property="og:image" content="BASE/img/1200x630.png">"#, r#"<meta property="og:image" content="/img/1200x630.png">"#)),
        ("OG4", Severity::Warning, broken(r#"<meta property="og:url" content="BASE/spring">"#, r#"<meta property="og:url" content="BASE/spring?utm_source=newsletter">"#)),
        ("OG4", Severity::Warning, broken(r#"<link rel="canonical" href="BASE/spring">"#, r#"<link rel="canonical" href="https://other-site.example/spring">"#)),
        ("OG5", Severity::Warning, broken("<meta property=\"og:description\"", "<meta property=\"og:nothing\"")),
        ("OG6", Severity::Warning, broken(r#"<meta property="og:image:alt" content="Three models in the new colours">"#, "")),
        ("OG7", Severity::Warning, broken(r#"<meta property="og:image:height" content="630">"#, "")),
        ("OG8", Severity::Info, broken(r#"content="en_US""#, r#"content="english""#)),
        ("OG8", Severity::Info, broken(r#"lang="en-US""#, r#"lang="de-DE""#)),
        ("OG9", Severity::Warning, broken(r#"content="2026-03-01T09:00:00Z""#, r#"content="March 1st""#)),
        ("FB1", Severity::Error, GOOD.replace("1200x630.png", "150x150.png")),
        ("FB2", Severity::Warning, GOOD.replace("1200x630.png", "400x210.png")),
        ("FB3", Severity::Warning, GOOD.replace("1200x630.png", "1000x1000.png")),
        ("FB4", Severity::Error, GOOD.replace("1200x630.png", "1200x630.png?size=9000000")),
        ("FB5", Severity::Error, GOOD.replace("1200x630.png", "missing.png")),
        ("FB5", Severity::Error, GOOD.replace("1200x630.png", "fake.png")),
        ("FB5", Severity::Error, GOOD.replace("1200x630.png", "page.png")),
        ("FB6", Severity::Info, broken(r#"<meta property="fb:app_id" content="1234567890">"#, "")),
        ("X1", Severity::Warning, broken(r#"<meta name="twitter:card" content="summary_large_image">"#, "")),
        ("X1", Severity::Warning, broken(r#"content="summary_large_image""#, r#"content="gallery""#)),
        ("X2", Severity::Warning, GOOD.replace("Spring collection: new colours and new cuts at the shop", &"Long title ".repeat(8))),
        ("X3", Severity::Warning, GOOD.replace("returns free for thirty days too.", &"and more ".repeat(20))),
        ("X4", Severity::Error, broken(r#"<meta name="twitter:image" content="BASE/img/1200x630.png">"#, r#"<meta name="twitter:image" content="BASE/img/logo.svg">"#)),
        ("X4", Severity::Error, broken(r#"<meta name="twitter:image" content="BASE/img/1200x630.png">"#, r#"<meta name="twitter:image" content="BASE/img/1200x600.png?size=6000000">"#)),
        ("X5", Severity::Warning, broken(r#"content="summary_large_image""#, r#"content="summary""#)),
        ("X6", Severity::Warning, broken(r#"<meta name="twitter:image" content="BASE/img/1200x630.png">"#, r#"<meta name="twitter:image" content="BASE/img/600x600.png">"#)),
        ("X7", Severity::Info, broken(r#"<meta name="twitter:image:alt" content="Three models in the new colours">"#, &format!(r#"<meta name="twitter:image:alt" content="{}">"#, "a".repeat(421)))),
        ("LI1", Severity::Warning, broken(r#"<meta property="og:url" content="BASE/spring">"#, "")),
        ("LI2", Severity::Warning, GOOD.replace("1200x630.png", "1200x630.png?size=6000000")),
        ("T1", Severity::Info, GOOD.replace("<title>Spring collection: new colours and new cuts at the shop</title>", "<title>Spring</title>")),
        ("T2", Severity::Info, broken(r#"<meta name="description" content="Our"#, r#"<meta name="description" content="Short. Our"#).replace("returns free for thirty days too.\">\n<meta name=\"keywords\"", "returns free for thirty days too, and more words to go beyond one hundred sixty characters.\">\n<meta name=\"keywords\"")),
        ("K1", Severity::Info, broken(r#"<meta property="article:tag" content="spring">"#, "").replace("spring, fashion", "fashion")),
        ("SD1", Severity::Warning, broken(r#""author":{"@type":"Person","name":"Ada"}"#, r#""author":"Ada""#)),
        ("SD1", Severity::Warning, broken(r#""datePublished":"2026-03-01T09:00:00+01:00""#, r#""datePublished":"2026-03-01T09:00:00""#)),
        ("SD1", Severity::Warning, broken(r#"{"@context""#, r#"{broken "@context""#)),
        ("SD2", Severity::Warning, broken(r#""image":["BASE/img/1200x630.png"]"#, r#""image":["BASE/img/200x200.png"]"#)),
        ("SD3", Severity::Error, broken(r#","offers":{"@type":"Offer","price":"120","priceCurrency":"EUR"}"#, "")),
        ("OE1", Severity::Info, broken(r#"<link rel="alternate" type="application/json+oembed" href="BASE/oembed/good.json">"#, "")),
        ("OE2", Severity::Error, GOOD.replace("oembed/good.json", "oembed/bad.json")),
        ("OE2", Severity::Error, GOOD.replace("oembed/good.json", "oembed/garbage")),
        ("C1", Severity::Info, broken("<title>Spring collection: new colours and new cuts at the shop</title>", "<title>Another title for the same page, long enough here</title>")),
        ("C1", Severity::Info, broken(r#"<meta property="og:locale" content="en_US">"#, r#"<meta property="og:locale" content="en_US"><meta property="og:title" content="Second">"#)),
    ];
    for (rule, severity, html) in cases {
        let report = page.audit(&html, true).await;
        assert_flags(&report, rule, severity);
        // A page with a problem also reminds that previews are cached.
        if severity >= Severity::Warning {
            assert!(rules_of(&report).contains(&"C2"), "{rule}");
            assert!(report.score < 100, "{rule}");
        }
    }
}

#[tokio::test]
async fn without_fetching_image_rules_say_they_were_not_checked() {
    let page = Page {
        address: spawn().await,
    };
    let report = page.audit(GOOD, false).await;
    let unchecked: Vec<&str> = report.unchecked.iter().map(|u| u.rule).collect();
    for rule in [
        "FB1", "FB2", "FB3", "FB4", "FB5", "X4", "X5", "X6", "LI2", "OE2",
    ] {
        assert!(unchecked.contains(&rule), "{rule} in {unchecked:?}");
    }
    assert!(report.images.is_empty());
    assert_eq!(report.findings, Vec::new());
}

#[tokio::test]
async fn previews_follow_each_networks_fallbacks() {
    let page = Page {
        address: spawn().await,
    };
    let html = r#"<html><head><title>Plain title</title>
        <meta name="description" content="Plain description">
        <meta name="twitter:title" content="X title">
        </head><body><img src="/first.jpg"></body></html>"#;
    let report = page.audit(html, false).await;
    let p = &report.previews;
    assert_eq!(p.facebook.title.as_deref(), Some("Plain title"));
    assert_eq!(p.facebook.description.as_deref(), Some("Plain description"));
    assert_eq!(p.facebook.image, Some(format!("{}/first.jpg", page.base())));
    assert_eq!(p.x.title.as_deref(), Some("X title"));
    assert_eq!(p.x.card.as_deref(), Some("summary"));
    assert_eq!(p.x.image, None, "X does not use the page's first image");
    assert_eq!(p.linkedin.title.as_deref(), Some("Plain title"));
    assert_eq!(
        p.linkedin.description, None,
        "LinkedIn reads og:description only"
    );
    // The fix is written out, with the campaign's hashtag and TODOs where nothing is known.
    assert!(
        report
            .suggested_tags
            .contains(r#"<meta property="og:title" content="Plain title">"#)
    );
    assert!(
        report
            .suggested_tags
            .contains(r#"<meta property="article:tag" content="spring">"#)
    );
    assert!(
        report
            .suggested_tags
            .contains("TODO: an absolute URL of a 1200×630 image")
            || report.suggested_tags.contains("first.jpg")
    );
}

#[tokio::test]
async fn the_fetcher_refuses_private_addresses_after_resolution_and_on_redirects() {
    let page = Page {
        address: spawn().await,
    };
    let strict = Fetcher::new(FetchPolicy::default());
    let port = page.address.port();
    for (url, kind) in [
        (format!("http://127.0.0.1:{port}/page"), "loopback"),
        // A name, refused for what it resolves to.
        (format!("http://localhost:{port}/page"), "loopback"),
        ("http://10.0.0.1/".to_owned(), "private"),
        (
            "http://169.254.169.254/latest/meta-data/".to_owned(),
            "cloud metadata",
        ),
        ("http://[::1]/".to_owned(), "loopback"),
        ("http://[::ffff:192.168.0.1]/".to_owned(), "private"),
    ] {
        match strict.page(&Url::parse(&url).unwrap()).await {
            Err(FetchError::Refused { kind: k, .. }) => assert_eq!(k, kind, "{url}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    for url in ["ftp://example.com/", "file:///etc/passwd"] {
        assert!(
            matches!(
                strict.page(&Url::parse(url).unwrap()).await,
                Err(FetchError::Scheme(_))
            ),
            "{url}"
        );
    }
    // The local server itself is allowed here; where it redirects to is checked again.
    let fetcher = page.fetcher();
    assert!(
        fetcher
            .page(&Url::parse(&format!("{}/page", page.base())).unwrap())
            .await
            .is_ok()
    );
    for (path, kind) in [
        ("/to-private", "private"),
        ("/to-metadata", "cloud metadata"),
    ] {
        match fetcher
            .page(&Url::parse(&format!("{}{path}", page.base())).unwrap())
            .await
        {
            Err(FetchError::Refused { kind: k, .. }) => assert_eq!(k, kind, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
    // With the operator's blanket permission, loopback is reachable.
    let open = Fetcher::new(FetchPolicy {
        allow_private: true,
        ..FetchPolicy::default()
    });
    let report = fanfare_smo::audit_url(
        &Url::parse(&format!("http://localhost:{port}/page")).unwrap(),
        &open,
        None,
    )
    .await
    .unwrap();
    assert_eq!(report.meta.og_site_name.as_deref(), Some("The shop"));
}

#[tokio::test]
async fn images_that_hang_or_lie_are_bounded_and_reported() {
    let page = Page {
        address: spawn().await,
    };
    let started = std::time::Instant::now();
    let report = page
        .audit(&GOOD.replace("1200x630.png", "hang.png"), true)
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_flags(&report, "FB5", Severity::Error);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "FB5" && f.message.contains("within")),
        "{:?}",
        report.findings
    );

    // An image that redirects into the private network is refused like a page would be.
    let report = page
        .audit(
            &GOOD.replace("BASE/img/1200x630.png", "BASE/to-metadata"),
            true,
        )
        .await;
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "FB5" && f.message.contains("cloud metadata")),
        "{:?}",
        report.findings
    );
}

//! The SMO audit over HTTP: given HTML, a URL (refused when private unless the operator allows
//! it), a campaign's landing page, and the errors that say what to fix.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_error};

const PAGE: &str = r#"<html lang="en"><head><title>Spring</title>
<meta property="og:title" content="Spring at the shop">
<meta property="og:image" content="/spring.png">
</head><body></body></html>"#;

/// A local site serving one page, for the audits that fetch.
async fn site() -> std::net::SocketAddr {
    let app = axum::Router::new().route(
        "/spring",
        axum::routing::get(|| async { axum::response::Html(PAGE) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

async fn audit(app: &TestApp, body: Value) -> reqwest::Response {
    app.admin(Method::POST, "/api/v1/audit")
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn given_html_is_audited_without_fetching() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let response = audit(
        &app,
        json!({"html": PAGE, "base_url": "https://shop.example/spring"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["meta"]["og_title"], "Spring at the shop");
    assert_eq!(
        report["previews"]["facebook"]["image"],
        "https://shop.example/spring.png"
    );
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"OG1") && rules.contains(&"OG3"),
        "{rules:?}"
    );
    let unchecked: Vec<&str> = report["unchecked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["rule"].as_str().unwrap())
        .collect();
    assert!(unchecked.contains(&"FB1"), "{unchecked:?}");
    assert!(report["score"].as_u64().unwrap() < 100);
    assert!(
        report["suggested_tags"]
            .as_str()
            .unwrap()
            .contains(r#"<meta property="og:image" content="https://shop.example/spring.png">"#)
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_campaigns_texts_fill_the_suggested_tags() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let created = app
        .create_campaign(
            &json!({"slug": "spring", "kind": "product", "title": "Spring",
            "description": "New colours for spring", "hashtags": ["SpringSale"],
            "landing_url": "https://shop.example/spring"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let report: Value = audit(
        &app,
        json!({"html": "<html><head></head></html>", "campaign": "spring"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let tags = report["suggested_tags"].as_str().unwrap();
    assert!(
        tags.contains(r#"<meta property="og:title" content="Spring">"#),
        "{tags}"
    );
    assert!(
        tags.contains(r#"content="New colours for spring""#),
        "{tags}"
    );
    assert!(
        tags.contains(r#"<meta property="article:tag" content="SpringSale">"#),
        "{tags}"
    );
    let unknown = audit(&app, json!({"html": "<p>", "campaign": "nope"})).await;
    expect_error(unknown, StatusCode::NOT_FOUND, "campaign_not_found").await;
    app.cleanup().await;
}

#[tokio::test]
async fn private_addresses_are_refused_unless_the_operator_allows_them() {
    let address = site().await;
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for url in [
        format!("http://{address}/spring"),
        format!("http://localhost:{}/spring", address.port()),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        let refused = audit(&app, json!({"url": url})).await;
        let error = expect_error(refused, StatusCode::UNPROCESSABLE_ENTITY, "fetch_refused").await;
        assert_eq!(error["field"], "url");
        assert!(
            error["message"].as_str().unwrap().contains("refused"),
            "{error}"
        );
    }
    // Given HTML with fetch: its images are refused the same way, and reported as such.
    let report: Value = audit(
        &app,
        json!({"html": PAGE, "base_url": format!("http://{address}/spring"), "fetch": true}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        report["images"][0]["error"]
            .as_str()
            .map(|e| e.contains("loopback")),
        Some(true),
        "{report}"
    );
    app.cleanup().await;

    let allowed = TestApp::spawn_with(
        Backend::Sqlite,
        fanfare_server::ServerConfig {
            allow_private_addresses: true,
            ..fanfare_server::ServerConfig::default()
        },
    )
    .await
    .unwrap();
    let report: Value = audit(&allowed, json!({"url": format!("http://{address}/spring")}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["url"], format!("http://{address}/spring"));
    assert_eq!(report["meta"]["title"], "Spring");
    allowed.cleanup().await;
}

#[tokio::test]
async fn bad_audit_requests_say_what_to_fix() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for (body, code) in [
        (json!({}), "url_or_html"),
        (
            json!({"url": "https://a.example/", "html": "<p>"}),
            "url_or_html",
        ),
        (json!({"url": "javascript:alert(1)"}), "invalid_url"),
        (json!({"url": "/relative"}), "invalid_url"),
        (
            json!({"html": "<p>", "base_url": "ftp://a.example/"}),
            "invalid_url",
        ),
        (
            json!({"url": "https://a.example/", "base_url": "https://a.example/"}),
            "conflicting_fields",
        ),
        (json!({"html": "<p>", "colour": "red"}), "invalid_body"),
        (json!({"html": 42}), "invalid_body"),
    ] {
        let response = audit(&app, body.clone()).await;
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    let unauthenticated = app
        .client
        .post(app.url("/api/v1/audit"))
        .json(&json!({"html": "<p>"}))
        .send()
        .await
        .unwrap();
    expect_error(unauthenticated, StatusCode::UNAUTHORIZED, "missing_api_key").await;
    // A whole page is accepted (beyond the API's usual 64 KiB), hostile bytes included.
    let mut big = String::from("<html><head><title>Big</title></head><body>");
    big.push_str(&"<div>".repeat(100_000));
    big.push_str(&"\u{0}\u{7f}<<<>>>&&&;".repeat(10_000));
    let report: Value = audit(&app, json!({"html": big}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["meta"]["title"], "Big");
    // Beyond the audit's own limit: 413 with the limit in the message.
    let huge = "a".repeat(11 * 1024 * 1024);
    let too_big = audit(&app, json!({"html": huge})).await;
    expect_error(too_big, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // The body is decoded off the async runtime, with the errors of every other JSON endpoint.
    for (content_type, body, status, code) in [
        (
            "application/json",
            "{\"html\": ",
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "text/plain",
            "{\"html\": \"<p>\"}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "application/json; charset=utf-8",
            "[1, 2]",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ] {
        let response = app
            .admin(Method::POST, "/api/v1/audit")
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(response, status, code).await;
    }
    app.cleanup().await;
}

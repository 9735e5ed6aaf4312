//! What browsers load: the widget script (size, caching), the CORS rules of the public API, and
//! the hosted campaign page (tags, escaping, leaderboard, creations). The widget's behaviour in a
//! real browser is tested in `e2e/`.

use std::io::Read;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

crate::on_both_backends!(
    the_widget_is_small_compressed_and_revalidated,
    only_allowed_origins_may_call_the_public_api,
    the_hosted_page_renders_the_campaign_with_its_share_tags,
    hostile_text_on_the_hosted_page_stays_text,
);

const XSS: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'";

async fn campaign(app: &TestApp, body: &Value) {
    let response = app.create_campaign(body).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
}

async fn the_widget_is_small_compressed_and_revalidated(app: &mut TestApp) {
    // Budgets, gzipped as served: the script every page embeds, and each part it fetches.
    for (path, budget) in [
        ("/w/fanfare.js", 6 * 1024),
        ("/w/progress.js", 4 * 1024),
        ("/w/wall.js", 4 * 1024),
    ] {
        a_script_is_small_compressed_and_revalidated(app, path, budget).await;
    }
}

async fn a_script_is_small_compressed_and_revalidated(app: &TestApp, path: &str, budget: usize) {
    let plain = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    let headers = plain.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    assert_eq!(headers["vary"], "Accept-Encoding");
    assert!(!headers.contains_key("content-encoding"));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let source = plain.text().await.unwrap();
    assert!(source.contains("data-fanfare") || source.contains("[data-fanfare]"));

    let gzipped = app
        .client
        .get(app.url(path))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert_eq!(gzipped.headers()["etag"].to_str().unwrap(), etag);
    let bytes = gzipped.bytes().await.unwrap();
    assert!(
        bytes.len() <= budget,
        "{path} is {} bytes gzipped; the budget is {budget}",
        bytes.len()
    );
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut unpacked)
        .unwrap();
    assert_eq!(unpacked, source, "the gzipped body is the same script");

    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"nope\", {etag}"),
    ] {
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", tag.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path} {tag}");
        assert!(again.bytes().await.unwrap().is_empty());
    }
    let stale = app
        .client
        .get(app.url(path))
        .header("if-none-match", "\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

async fn only_allowed_origins_may_call_the_public_api(app: &mut TestApp) {
    campaign(
        app,
        &json!({"slug": "shop", "kind": "product", "title": "Shop",
            "landing_url": "https://shop.example/spring", "allowed_domains": ["shop.example"]}),
    )
    .await;
    let join_path = "/api/public/campaigns/shop/fans";

    // A subdomain of an allowed domain: the preflight passes, the answer names the origin.
    let allowed = preflight(app, join_path, "https://www.shop.example").await;
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.shop.example"
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    assert!(
        allowed.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("content-type")
    );
    assert!(
        allowed.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("Origin")
    );

    // Other sites, look-alikes and opaque origins are refused, with a message that says why.
    for origin in [
        "https://evil.example",
        "https://shop.example.evil.example",
        "https://notshop.example",
        "null",
        "file://",
        "not an origin",
    ] {
        let refused = preflight(app, join_path, origin).await;
        assert!(
            !refused
                .headers()
                .contains_key("access-control-allow-origin"),
            "{origin}"
        );
        let error = expect_error(refused, StatusCode::FORBIDDEN, "origin_not_allowed").await;
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("allowed_domains"),
            "{error}"
        );
    }

    // A read from another site is answered, but without the header the browser needs to show it.
    let read = app
        .client
        .get(app.url("/api/public/campaigns/shop"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    assert!(!read.headers().contains_key("access-control-allow-origin"));

    // A write from another site needs no preflight when sent as a plain form or beacon: it is
    // refused here, and nothing is stored.
    for (path, body) in [
        (join_path, r#"{"name":"Mallory"}"#),
        ("/api/public/campaigns/shop/views", ""),
    ] {
        let forged = app
            .client
            .post(app.url(path))
            .header("origin", "https://evil.example")
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .await
            .unwrap();
        expect_error(forged, StatusCode::FORBIDDEN, "origin_not_allowed").await;
    }
    let fans = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/shop/fans"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(fans["items"].as_array().unwrap().len(), 0);

    // From the allowed site, the same join works and its answer is readable.
    let joined = app
        .client
        .post(app.url(join_path))
        .header("origin", "https://shop.example")
        .json(&json!({"name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), StatusCode::CREATED);
    assert_eq!(
        joined.headers()["access-control-allow-origin"],
        "https://shop.example"
    );

    // Fanfare's own pages (the hosted page) call from Fanfare's origin.
    let own_origin = app.url("");
    let own = preflight(app, join_path, own_origin.trim_end_matches('/')).await;
    assert_eq!(own.status(), StatusCode::NO_CONTENT);

    // An unknown campaign: the widget may read the 404 to say why it shows nothing.
    let unknown = app
        .client
        .get(app.url("/api/public/campaigns/nope"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.headers()["access-control-allow-origin"], "*");
    expect_error(unknown, StatusCode::NOT_FOUND, "campaign_not_found").await;

    // No Origin header (a server, curl): CORS does not apply.
    let server_side = app
        .client
        .post(app.url(join_path))
        .json(&json!({"name": "Bob"}))
        .send()
        .await
        .unwrap();
    assert_eq!(server_side.status(), StatusCode::CREATED);

    // With the database gone, an allowed site gets the real cause (503), not a CORS refusal.
    app.store.close().await;
    let lost = app
        .client
        .post(app.url(join_path))
        .header("origin", "https://shop.example")
        .json(&json!({"name": "Cy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(lost.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(lost.headers().contains_key("access-control-allow-origin"));
}

async fn page(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

async fn the_hosted_page_renders_the_campaign_with_its_share_tags(app: &mut TestApp) {
    campaign(
        app,
        &json!({"slug": "spring", "kind": "product", "title": "Spring & co",
            "description": "New colours, new cuts", "image_url": "https://cdn.example.com/spring.jpg",
            "landing_url": "https://www.example.com/spring", "channels": ["facebook", "x", "copy"]}),
    )
    .await;
    let join = |body: Value, agent: &'static str| {
        app.client
            .post(app.url("/api/public/campaigns/spring/fans"))
            .header("user-agent", agent)
            .json(&body)
            .send()
    };
    let ada: Value = join(json!({"name": "Ada"}), "agent-ada")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ada_ref = ada["member"]["ref_code"].as_str().unwrap();
    let bob = join(json!({"name": "Bob", "ref": ada_ref}), "agent-bob")
        .await
        .unwrap();
    assert_eq!(bob.status(), StatusCode::CREATED);
    // A creation, approved: the page shows it.
    let creation: Value = app
        .client
        .post(app.url("/api/public/campaigns/spring/interactions"))
        .bearer_auth(ada["member"]["token"].as_str().unwrap())
        .json(&json!({"kind": "creation", "body": "My spring look", "url": "https://www.example.com/ada-look"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let decided = app
        .admin(
            Method::POST,
            &format!(
                "/api/v1/campaigns/spring/moderation/{}",
                creation["id"].as_i64().unwrap()
            ),
        )
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), StatusCode::OK);

    let (status, headers, html) = page(app, "/c/spring").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page_url = format!("{}/c/spring", app.url("").trim_end_matches('/'));
    for tag in [
        "<title>Spring &amp; co</title>".to_owned(),
        format!("<link rel=\"canonical\" href=\"{page_url}\">"),
        format!("<meta property=\"og:url\" content=\"{page_url}\">"),
        "<meta property=\"og:type\" content=\"website\">".to_owned(),
        "<meta property=\"og:title\" content=\"Spring &amp; co\">".to_owned(),
        "<meta property=\"og:description\" content=\"New colours, new cuts\">".to_owned(),
        "<meta property=\"og:image\" content=\"https://cdn.example.com/spring.jpg\">".to_owned(),
        "<meta name=\"twitter:card\" content=\"summary_large_image\">".to_owned(),
        "<meta name=\"twitter:title\" content=\"Spring &amp; co\">".to_owned(),
        "<meta name=\"twitter:image\" content=\"https://cdn.example.com/spring.jpg\">".to_owned(),
        "<meta name=\"description\" content=\"New colours, new cuts\">".to_owned(),
    ] {
        assert!(html.contains(&tag), "missing {tag} in {html}");
    }
    // The count (flagged fans aside), the widget, the no-script share links of the chosen
    // networks only, the leaderboard and the approved creation.
    assert!(html.contains("<strong>2</strong> fans"), "{html}");
    assert!(html.contains("<script src=\"/w/fanfare.js\" data-campaign=\"spring\""));
    assert!(html.contains("data-fanfare=\"fan-button\""));
    let share_links = html.matches("/share/").count();
    assert_eq!(share_links, 2, "facebook and x, not copy: {html}");
    assert!(html.contains("<li>Ada — brought 1</li>"), "{html}");
    assert!(!html.contains("Bob — "), "Bob brought nobody");
    assert!(html.contains("My spring look"));
    assert!(html.contains("rel=\"nofollow ugc noopener\""));

    // The share links on the page work: they record a share and open the network's dialog.
    let href = html
        .split("href=\"")
        .find(|s| s.contains("/share/"))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let shared = crate::helpers::no_redirects()
        .get(&href)
        .send()
        .await
        .unwrap();
    assert_eq!(shared.status(), StatusCode::FOUND);

    // French for browsers that prefer it.
    let french = app
        .client
        .get(app.url("/c/spring"))
        .header("accept-language", "fr-FR,fr;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(french.contains("<html lang=\"fr\">"));
    assert!(french.contains("Meilleurs ambassadeurs"));

    // Unknown or malformed slugs: a small HTML page, never JSON or a 500.
    for path in ["/c/nope", "/c/NOT%20A%20SLUG", "/c/%3Cscript%3E"] {
        let (status, headers, body) = page(app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(!body.contains("<script"), "{path}");
    }
}

async fn hostile_text_on_the_hosted_page_stays_text(app: &mut TestApp) {
    campaign(
        app,
        &json!({"slug": "xss", "kind": "product", "title": XSS, "description": XSS,
            "landing_url": "https://www.example.com/"}),
    )
    .await;
    let fan: Value = app
        .client
        .post(app.url("/api/public/campaigns/xss/fans"))
        .header("user-agent", "agent-one")
        .json(&json!({"name": XSS}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let joined = app
        .client
        .post(app.url("/api/public/campaigns/xss/fans"))
        .header("user-agent", "agent-two")
        .json(&json!({"name": "Bob", "ref": fan["member"]["ref_code"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(joined.status(), StatusCode::CREATED);
    let (status, _, html) = page(app, "/c/xss").await;
    assert_eq!(status, StatusCode::OK);
    // The only script element is the widget's; the payload shows as text.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("onerror=alert(2)>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        html.contains("<li>&lt;script&gt;"),
        "the ambassador's name, escaped: {html}"
    );
}

//! Every malformed request gets a 4xx with a stable code, and none of them changes what was
//! already accepted.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

crate::on_both_backends!(
    malformed_bodies_are_refused_and_nothing_is_lost,
    invalid_fields_name_the_field_and_the_fix,
    a_bad_patch_changes_nothing,
    bad_paths_methods_and_routes,
);

fn valid() -> Value {
    json!({"slug": "kept", "kind": "brand", "landing_url": "https://example.com/"})
}

async fn only_the_valid_campaign_exists(app: &TestApp, expected: &Value) {
    let page = app
        .get_json(app.admin(Method::GET, "/api/v1/campaigns"), StatusCode::OK)
        .await;
    assert_eq!(page["items"], json!([expected]));
}

async fn malformed_bodies_are_refused_and_nothing_is_lost(app: &mut TestApp) {
    let kept: Value = app.create_campaign(&valid()).await.json().await.unwrap();
    let post_raw = |body: Vec<u8>, content_type: Option<&'static str>| {
        let mut request = app.admin(Method::POST, "/api/v1/campaigns").body(body);
        if let Some(value) = content_type {
            request = request.header("content-type", value);
        }
        request.send()
    };
    let json_type = Some("application/json");

    for syntax in [
        &b"{"[..],
        b"not json",
        b"{\"slug\": \"a\",}",
        b"",
        b"{\"slug\": \"a\", \"kind\": \"brand\", \"landing_url\": \"https://example.com/\"} trailing",
        b"\xff\xfe{}",
    ] {
        let response = post_raw(syntax.to_vec(), json_type).await.unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_json").await;
    }

    let shapes = [
        (json!(null), "invalid type"),
        (json!([1, 2]), "invalid type"),
        (
            json!({"slug": 5, "kind": "brand", "landing_url": "https://example.com/"}),
            "slug",
        ),
        (
            json!({"slug": "a", "kind": true, "landing_url": "https://example.com/"}),
            "kind",
        ),
        (
            json!({"slug": "a", "kind": "brand", "landing_url": "https://example.com/", "hashtags": "x"}),
            "hashtags",
        ),
        (json!({"slug": "a", "kind": "brand"}), "landing_url"),
        (
            json!({"slug": "a", "kind": "brand", "landing_url": "https://example.com/", "admin": true}),
            "admin",
        ),
    ];
    for (body, mentions) in shapes {
        let response = post_raw(serde_json::to_vec(&body).unwrap(), json_type)
            .await
            .unwrap();
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
        assert!(
            error["message"].as_str().unwrap().contains(mentions),
            "{body} → {error}"
        );
    }

    let body = serde_json::to_vec(&valid()).unwrap();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let response = post_raw(body.clone(), content_type).await.unwrap();
        expect_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }

    let huge = json!({"slug": "huge", "kind": "brand", "landing_url": "https://example.com/",
        "description": "x".repeat(fanfare_server::BODY_LIMIT_BYTES + 1)});
    let response = post_raw(serde_json::to_vec(&huge).unwrap(), json_type)
        .await
        .unwrap();
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    only_the_valid_campaign_exists(app, &kept).await;
}

async fn invalid_fields_name_the_field_and_the_fix(app: &mut TestApp) {
    let kept: Value = app.create_campaign(&valid()).await.json().await.unwrap();
    let long_url = format!("https://example.com/{}", "a".repeat(2100));
    let cases = [
        (json!({"slug": "Spring"}), "slug", "invalid_slug"),
        (json!({"slug": ""}), "slug", "invalid_slug"),
        (json!({"slug": "a/../b"}), "slug", "invalid_slug"),
        (json!({"slug": "x".repeat(65)}), "slug", "invalid_slug"),
        (json!({"kind": "person"}), "kind", "invalid_kind"),
        (
            json!({"landing_url": "javascript:alert(document.cookie)"}),
            "landing_url",
            "invalid_url",
        ),
        (
            json!({"landing_url": "data:text/html;base64,PHNjcmlwdD4="}),
            "landing_url",
            "invalid_url",
        ),
        (
            json!({"landing_url": "/relative"}),
            "landing_url",
            "invalid_url",
        ),
        (
            json!({"landing_url": "https://example.com@evil.example/"}),
            "landing_url",
            "invalid_url",
        ),
        (
            json!({"landing_url": long_url}),
            "landing_url",
            "invalid_url",
        ),
        (
            json!({"image_url": "javascript:alert(1)"}),
            "image_url",
            "invalid_url",
        ),
        (
            json!({"landing_url": "https://evil.example/", "allowed_domains": ["example.com"]}),
            "landing_url",
            "landing_url_not_allowed",
        ),
        (
            json!({"allowed_domains": []}),
            "allowed_domains",
            "empty_allowed_domains",
        ),
        (
            json!({"allowed_domains": ["example.com", "https://example.com/"]}),
            "allowed_domains[1]",
            "invalid_domain",
        ),
        (
            json!({"hashtags": ["ok", "not ok"]}),
            "hashtags[1]",
            "invalid_hashtag",
        ),
        (json!({"title": "   "}), "title", "empty_text"),
        (json!({"title": "x".repeat(201)}), "title", "text_too_long"),
        (
            json!({"title": "evil\u{202E}txt.exe"}),
            "title",
            "invalid_characters",
        ),
        (
            json!({"description": "bell\u{7}"}),
            "description",
            "invalid_characters",
        ),
    ];
    for (overrides, field, code) in cases {
        let mut body =
            json!({"slug": "fresh", "kind": "brand", "landing_url": "https://example.com/"});
        for (k, v) in overrides.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = app.create_campaign(&body).await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        assert_eq!(error["field"], field, "{body}");
    }
    only_the_valid_campaign_exists(app, &kept).await;

    // Markup is not an error: it is text, stored as sent and escaped wherever it is shown.
    let markup = app
        .create_campaign(&json!({"slug": "markup", "kind": "brand",
            "landing_url": "https://example.com/", "title": "<script>alert(1)</script>"}))
        .await;
    assert_eq!(markup.status(), StatusCode::CREATED);
    let markup: Value = markup.json().await.unwrap();
    assert_eq!(markup["title"], "<script>alert(1)</script>");
}

async fn a_bad_patch_changes_nothing(app: &mut TestApp) {
    let kept: Value = app.create_campaign(&valid()).await.json().await.unwrap();
    let path = "/api/v1/campaigns/kept";
    let attempts = [
        (
            json!({"slug": "renamed"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({"landing_url": "https://elsewhere.example/"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "landing_url_not_allowed",
        ),
        (
            json!({"allowed_domains": ["other.example"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "landing_url_not_allowed",
        ),
        (
            json!({"landing_url": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "required_field",
        ),
        (
            json!({"kind": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "required_field",
        ),
        (
            json!({"kind": "nope"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_kind",
        ),
        (
            json!({"title": 3}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
    ];
    for (body, status, code) in attempts {
        let response = app
            .admin(Method::PATCH, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(response, status, code).await;
    }
    let response = app
        .admin(Method::PATCH, path)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_json").await;
    only_the_valid_campaign_exists(app, &kept).await;
}

async fn bad_paths_methods_and_routes(app: &mut TestApp) {
    for path in [
        "/api/v1/campaigns/Bad_Slug",
        "/api/v1/campaigns/%2e%2e%2fetc",
        "/api/v1/campaigns/%00",
        &format!("/api/v1/campaigns/{}", "x".repeat(65)),
        "/api/public/campaigns/%3Cscript%3E",
    ] {
        let response = app.admin(Method::GET, path).send().await.unwrap();
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_slug").await;
        assert!(!error["message"].as_str().unwrap().contains("<script>"));
    }
    let response = app
        .admin(Method::GET, "/api/v1/nothing-here")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .client
        .get(app.url("/definitely/not/here"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    for (method, path) in [
        (Method::PUT, "/api/v1/campaigns/kept"),
        (Method::DELETE, "/api/v1/campaigns"),
        (Method::POST, "/healthz"),
        (Method::DELETE, "/api/public/campaigns/kept"),
        // The redirect is routed apart from the rest: the same answer.
        (Method::POST, "/s/ABCDEFGHf"),
    ] {
        let response = app.admin(method, path).send().await.unwrap();
        expect_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
}

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, expect_error};

crate::on_both_backends!(
    the_admin_api_needs_a_valid_key,
    a_revoked_key_is_refused_and_others_still_work,
    the_public_api_needs_no_key,
);

async fn the_admin_api_needs_a_valid_key(app: &mut TestApp) {
    let body = json!({"slug": "x", "kind": "brand", "landing_url": "https://example.com/"});
    let attempts = [
        (None, "missing_api_key"),
        (Some("".to_owned()), "missing_api_key"),
        (Some("Bearer".to_owned()), "missing_api_key"),
        (Some("Bearer    ".to_owned()), "missing_api_key"),
        (Some(format!("Basic {}", app.api_key)), "missing_api_key"),
        (
            Some("Bearer ffk_not-a-real-key".to_owned()),
            "invalid_api_key",
        ),
        (Some(format!("Bearer {}x", app.api_key)), "invalid_api_key"),
        (Some("Bearer ' OR 1=1 --".to_owned()), "invalid_api_key"),
    ];
    for (header, code) in attempts {
        for (method, path) in [
            (Method::GET, "/api/v1/campaigns"),
            (Method::POST, "/api/v1/campaigns"),
            (Method::GET, "/api/v1/campaigns/x"),
            (Method::PATCH, "/api/v1/campaigns/x"),
            (Method::DELETE, "/api/v1/campaigns/x"),
        ] {
            let mut request = app.client.request(method, app.url(path)).json(&body);
            if let Some(value) = &header {
                request = request.header("authorization", value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(
                response.headers()["www-authenticate"],
                "Bearer realm=\"fanfare\""
            );
            expect_error(response, StatusCode::UNAUTHORIZED, code).await;
        }
    }
    // Nothing was created by any of those.
    let page = app
        .get_json(app.admin(Method::GET, "/api/v1/campaigns"), StatusCode::OK)
        .await;
    assert_eq!(page["items"], json!([]));
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let lower = app
        .client
        .get(app.url("/api/v1/campaigns"))
        .header("authorization", format!("bearer {}", app.api_key))
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), StatusCode::OK);
}

async fn a_revoked_key_is_refused_and_others_still_work(app: &mut TestApp) {
    let other = fanfare_core::api_key::NewApiKey::generate();
    let record = app.store.create_api_key("other", &other).await.unwrap();
    let list = |key: String| {
        app.client
            .get(app.url("/api/v1/campaigns"))
            .bearer_auth(key)
            .send()
    };
    assert_eq!(
        list(other.secret.clone()).await.unwrap().status(),
        StatusCode::OK
    );
    app.store.revoke_api_key(record.id).await.unwrap();
    let refused = list(other.secret.clone()).await.unwrap();
    expect_error(refused, StatusCode::UNAUTHORIZED, "revoked_api_key").await;
    assert_eq!(
        list(app.api_key.clone()).await.unwrap().status(),
        StatusCode::OK
    );
}

async fn the_public_api_needs_no_key(app: &mut TestApp) {
    app.create_campaign(
        &json!({"slug": "open", "kind": "message", "landing_url": "https://example.com/"}),
    )
    .await;
    let response = app
        .client
        .get(app.url("/api/public/campaigns/open"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

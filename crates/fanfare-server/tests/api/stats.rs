//! Cascades of a campaign built through HTTP, against values computed by hand.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

crate::on_both_backends!(cascades_match_the_hand_computed_tree);

async fn join(app: &TestApp, name: &str, referrer: Option<&str>, agent: &str) -> String {
    let mut body = json!({"name": name});
    if let Some(code) = referrer {
        body["ref"] = json!(code);
    }
    let response = app
        .client
        .post(app.url("/api/public/campaigns/tree/fans"))
        .header("user-agent", agent)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let joined: Value = response.json().await.unwrap();
    joined["member"]["ref_code"].as_str().unwrap().to_owned()
}

async fn cascades_match_the_hand_computed_tree(app: &mut TestApp) {
    let created = app
        .create_campaign(&json!({"slug": "tree", "kind": "message",
            "landing_url": "https://www.example.com/"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // A ← B, A ← C, B ← D, D ← E; F alone; G is A again (self-referral: flagged, left out);
    // H, brought by G, starts a cascade of their own.
    let a = join(app, "A", None, "ua-a").await;
    let b = join(app, "B", Some(&a), "ua-b").await;
    join(app, "C", Some(&a), "ua-c").await;
    let d = join(app, "D", Some(&b), "ua-d").await;
    join(app, "E", Some(&d), "ua-e").await;
    let f = join(app, "F", None, "ua-f").await;
    let g = join(app, "G", Some(&a), "ua-a").await;
    let h = join(app, "H", Some(&g), "ua-h").await;

    let cascades = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/tree/cascades"),
            StatusCode::OK,
        )
        .await;
    // A's tree: depth 3 (A→B→D→E), breadth 2 (B and C); subtree sizes B 3, C 1, D 2, E 1:
    // Σ s(n−s) = 6 + 4 + 6 + 4 = 20 over n(n−1)/2 = 10 pairs → structural virality 2.
    assert_eq!(
        cascades,
        json!([
            {"root": a, "size": 5, "depth": 3, "max_breadth": 2, "structural_virality": 2.0},
            {"root": f, "size": 1, "depth": 0, "max_breadth": 1, "structural_virality": 0.0},
            {"root": h, "size": 1, "depth": 0, "max_breadth": 1, "structural_virality": 0.0},
        ])
    );

    let first = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/tree/cascades?limit=1"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(first.as_array().unwrap().len(), 1);
    for bad in ["limit=0", "limit=1001", "limit=ten"] {
        let response = app
            .admin(
                Method::GET,
                &format!("/api/v1/campaigns/tree/cascades?{bad}"),
            )
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }

    // An erased root keeps its tree, without its ref code.
    let erased = app
        .admin(Method::DELETE, &format!("/api/v1/campaigns/tree/fans/{a}"))
        .send()
        .await
        .unwrap();
    assert!(erased.status().is_success());
    let after = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/tree/cascades?limit=1"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(after[0]["root"], Value::Null);
    assert_eq!(after[0]["size"], 5);
}

//! Network-level signals: a client rotating user agents makes new visitors, not a new network.
//! Behind a trusted proxy (as in production), the network is the client's IPv4 address or IPv6
//! /64; joins and referrals from one network beyond a small allowance are flagged
//! `network_burst`, and one network's public requests are limited too.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_error};
use fanfare_server::ServerConfig;

fn behind_a_proxy() -> ServerConfig {
    ServerConfig {
        trusted_proxy_header: Some(fanfare_server::http_header::HeaderName::from_static(
            "x-forwarded-for",
        )),
        ..ServerConfig::default()
    }
}

async fn campaign(app: &TestApp, slug: &str) {
    let response = app
        .create_campaign(
            &json!({"slug": slug, "kind": "brand", "landing_url": "https://example.com/"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn join_from(app: &TestApp, ip: &str, agent: &str, body: Value) -> Value {
    let response = app
        .client
        .post(app.url("/api/public/campaigns/net/fans"))
        .header("user-agent", agent)
        .header("x-forwarded-for", ip)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "{agent}");
    response.json().await.unwrap()
}

async fn referred(app: &TestApp, member_token: &str) -> u64 {
    let me = app
        .get_json(
            app.client
                .get(app.url("/api/public/campaigns/net/fans/me"))
                .header("x-forwarded-for", "198.51.100.1")
                .bearer_auth(member_token),
            StatusCode::OK,
        )
        .await;
    me["referred"].as_u64().unwrap()
}

async fn flags_of(app: &TestApp, name: &str) -> Value {
    let fans = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/net/fans?limit=100"),
            StatusCode::OK,
        )
        .await;
    fans["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap()["flags"]
        .clone()
}

async fn ten_browsers_on_one_network_raise_referred_by_at_most_three(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, behind_a_proxy()).await else {
        return;
    };
    campaign(&app, "net").await;
    let ada = join_from(
        &app,
        "198.51.100.1",
        "Ada's browser",
        json!({"name": "Ada"}),
    )
    .await;
    let code = ada["member"]["ref_code"].as_str().unwrap().to_owned();
    let token = ada["member"]["token"].as_str().unwrap().to_owned();

    for i in 0..10 {
        // Every join answers the same 201: nothing tells a cheater what was noticed.
        join_from(
            &app,
            "203.0.113.7",
            &format!("Mozilla/5.0 rotating-{i}"),
            json!({"name": format!("Sock {i}"), "ref": code}),
        )
        .await;
    }
    assert_eq!(referred(&app, &token).await, 3);
    assert_eq!(flags_of(&app, "Sock 2").await, json!([]));
    assert_eq!(flags_of(&app, "Sock 3").await, json!(["network_burst"]));
    assert_eq!(flags_of(&app, "Sock 9").await, json!(["network_burst"]));

    // One IPv6 /64 is one network too, whatever its last 64 bits.
    for i in 0..4 {
        join_from(
            &app,
            &format!("2001:db8:5:6::{i:x}"),
            &format!("Mozilla/5.0 v6-{i}"),
            json!({"name": format!("Six {i}"), "ref": code}),
        )
        .await;
    }
    assert_eq!(flags_of(&app, "Six 3").await, json!(["network_burst"]));
    assert_eq!(referred(&app, &token).await, 6);

    // Friends on other networks count as before.
    for (i, ip) in ["192.0.2.10", "192.0.2.11", "2001:db8:7:8::1"]
        .into_iter()
        .enumerate()
    {
        join_from(
            &app,
            ip,
            &format!("Mozilla/5.0 friend-{i}"),
            json!({"name": format!("Friend {i}"), "ref": code}),
        )
        .await;
    }
    assert_eq!(referred(&app, &token).await, 9);
    app.cleanup().await;
}

async fn a_network_joining_on_its_own_is_flagged_past_its_allowance(backend: Backend) {
    let config = ServerConfig {
        network_join_limit: 4,
        ..behind_a_proxy()
    };
    let Some(app) = TestApp::spawn_with(backend, config).await else {
        return;
    };
    campaign(&app, "net").await;
    for i in 0..6 {
        join_from(
            &app,
            "203.0.113.9",
            &format!("Mozilla/5.0 office-{i}"),
            json!({"name": format!("Colleague {i}")}),
        )
        .await;
    }
    assert_eq!(flags_of(&app, "Colleague 3").await, json!([]));
    assert_eq!(
        flags_of(&app, "Colleague 4").await,
        json!(["network_burst"])
    );
    app.cleanup().await;
}

async fn one_network_is_rate_limited_whatever_its_browsers(backend: Backend) {
    // One visitor may make 2 requests a minute, one network 20.
    let config = ServerConfig {
        public_rate_limit: 2,
        ..behind_a_proxy()
    };
    let Some(app) = TestApp::spawn_with(backend, config).await else {
        return;
    };
    campaign(&app, "net").await;
    let view = |ip: &'static str, agent: String| {
        app.client
            .post(app.url("/api/public/campaigns/net/views"))
            .header("user-agent", agent)
            .header("x-forwarded-for", ip)
            .send()
    };
    for i in 0..20 {
        let response = view("203.0.113.8", format!("rotating-{i}")).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{i}");
    }
    let refused = view("203.0.113.8", "rotating-20".into()).await.unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Another network is not affected.
    let other = view("203.0.113.99", "rotating-0".into()).await.unwrap();
    assert_eq!(other.status(), StatusCode::NO_CONTENT);
    app.cleanup().await;
}

crate::for_each_backend!(
    ten_browsers_on_one_network_raise_referred_by_at_most_three,
    a_network_joining_on_its_own_is_flagged_past_its_allowance,
    one_network_is_rate_limited_whatever_its_browsers
);

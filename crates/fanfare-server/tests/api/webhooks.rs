//! Webhooks through HTTP: registered by the admin API, fed by joins, milestones and approvals,
//! posted signed to a real receiver on port 0 that fails at first, retried until delivered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use fanfare_server::ServerConfig;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Backend, TestApp, expect_error};

#[derive(Debug, Clone)]
struct Received {
    path: String,
    event: String,
    delivery: String,
    signature: String,
    body: String,
}

/// A receiver whose `/flaky` answers 500 to its first `failures` posts, and `/steady` always 200.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<Received>>>) {
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let record = |path: &'static str, seen: Arc<Mutex<Vec<Received>>>, failures: usize| {
        move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let mut seen = seen.lock().unwrap();
                let earlier = seen.iter().filter(|r| r.path == path).count();
                seen.push(Received {
                    path: path.to_owned(),
                    event: header("fanfare-event"),
                    delivery: header("fanfare-delivery"),
                    signature: header("fanfare-signature"),
                    body: String::from_utf8(body.to_vec()).unwrap(),
                });
                if earlier < failures {
                    AxumStatus::INTERNAL_SERVER_ERROR
                } else {
                    AxumStatus::NO_CONTENT
                }
            }
        }
    };
    let app = Router::new()
        .route("/flaky", post(record("/flaky", seen.clone(), failures)))
        .route("/steady", post(record("/steady", seen.clone(), 0)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn verify(secret: &str, received: &Received) {
    let (t, v1) = received
        .signature
        .split_once(",v1=")
        .and_then(|(t, v1)| Some((t.strip_prefix("t=")?, v1)))
        .unwrap_or_else(|| panic!("malformed signature {:?}", received.signature));
    let t: i64 = t.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - t).abs() < 60);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "signature of {}", received.body);
}

async fn join(app: &TestApp, name: &str, referrer: Option<&Value>, agent: &str) -> Value {
    let mut body = json!({"name": name, "email": format!("{}@example.com", name.to_lowercase())});
    if let Some(referrer) = referrer {
        body["ref"] = referrer["member"]["ref_code"].clone();
    }
    let response = app
        .client
        .post(app.url("/api/public/campaigns/hooked/fans"))
        .header("user-agent", agent)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn webhook(app: &TestApp, body: Value) -> reqwest::Response {
    app.admin(Method::POST, "/api/v1/campaigns/hooked/webhooks")
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn wait_for(seen: &Arc<Mutex<Vec<Received>>>, what: impl Fn(&[Received]) -> bool) {
    for _ in 0..200 {
        if what(&seen.lock().unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the receiver did not get what was expected: {:#?}",
        seen.lock().unwrap()
    );
}

async fn events_are_signed_and_retried_until_delivered(backend: Backend) {
    let config = ServerConfig {
        webhook_retry_base: Duration::from_millis(100),
        // The receiver is on loopback: the operator's switch for private addresses.
        allow_private_addresses: true,
        ..ServerConfig::default()
    };
    let Some(app) = TestApp::spawn_with(backend, config).await else {
        return;
    };
    let created = app
        .create_campaign(&json!({"slug": "hooked", "kind": "message",
            "landing_url": "https://www.example.com/"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let settings = app
        .admin(Method::PUT, "/api/v1/campaigns/hooked/engagement")
        .json(&json!({"milestones": [{"threshold": 1, "reward": "sticker"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), StatusCode::OK);
    let (receiver_url, seen) = receiver(2).await;

    let flaky = webhook(&app, json!({"url": format!("{receiver_url}/flaky")})).await;
    assert_eq!(flaky.status(), StatusCode::CREATED);
    let flaky: Value = flaky.json().await.unwrap();
    let flaky_secret = flaky["secret"].as_str().unwrap().to_owned();
    assert!(flaky_secret.starts_with("whsec_"));
    assert_eq!(
        flaky["events"],
        json!(["fan.joined", "milestone.reached", "creation.approved"])
    );
    let steady = webhook(
        &app,
        json!({"url": format!("{receiver_url}/steady"), "events": ["milestone.reached"]}),
    )
    .await;
    assert_eq!(steady.status(), StatusCode::CREATED);
    let steady: Value = steady.json().await.unwrap();

    // Ada joins, Bob joins through her (her first fan: the milestone), Bob creates, the admin
    // approves it.
    let ada = join(&app, "Ada", None, "ua-ada").await;
    let bob = join(&app, "Bob", Some(&ada), "ua-bob").await;
    let creation = app
        .client
        .post(app.url("/api/public/campaigns/hooked/interactions"))
        .bearer_auth(bob["member"]["token"].as_str().unwrap())
        .json(&json!({"kind": "creation", "body": "My folding bike on the tram"}))
        .send()
        .await
        .unwrap();
    assert_eq!(creation.status(), StatusCode::CREATED);
    let creation: Value = creation.json().await.unwrap();
    let approved = app
        .admin(
            Method::POST,
            &format!("/api/v1/campaigns/hooked/moderation/{}", creation["id"]),
        )
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
    // Approved again: not a second event.
    let again = app
        .admin(
            Method::POST,
            &format!("/api/v1/campaigns/hooked/moderation/{}", creation["id"]),
        )
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);

    // Four events for /flaky (two failures first, so six posts at least), one for /steady.
    wait_for(&seen, |r| {
        let delivered = |path: &str| r.iter().filter(|x| x.path == path).count();
        delivered("/flaky") >= 6 && delivered("/steady") >= 1
    })
    .await;
    let received = seen.lock().unwrap().clone();
    let flaky_posts: Vec<&Received> = received.iter().filter(|r| r.path == "/flaky").collect();
    for post in &flaky_posts {
        verify(&flaky_secret, post);
        let body: Value = serde_json::from_str(&post.body).unwrap();
        assert_eq!(body["event"], post.event.as_str());
        assert_eq!(body["campaign"], "hooked");
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        // A retry is the same delivery: same Fanfare-Delivery, same event id.
        for other in flaky_posts.iter().filter(|o| o.delivery == post.delivery) {
            let other: Value = serde_json::from_str(&other.body).unwrap();
            assert_eq!(other["id"], body["id"]);
        }
        assert!(post.delivery.parse::<i64>().is_ok(), "{}", post.delivery);
    }
    let steady_post = received.iter().find(|r| r.path == "/steady").unwrap();
    verify(steady["secret"].as_str().unwrap(), steady_post);
    assert_eq!(steady_post.event, "milestone.reached");
    // A wrong secret does not verify.
    assert!(std::panic::catch_unwind(|| verify("whsec_wrong", steady_post)).is_err());

    // Each event reached /flaky exactly once successfully (the 5th and 6th posts onwards), in
    // the end: one delivery per event, each with its own id.
    let mut events: Vec<(String, Value)> = flaky_posts
        .iter()
        .map(|p| (p.event.clone(), serde_json::from_str(&p.body).unwrap()))
        .collect();
    events.dedup_by(|a, b| a.1["id"] == b.1["id"]);
    let bob_joined = events
        .iter()
        .find(|(e, b)| e == "fan.joined" && b["data"]["name"] == "Bob")
        .expect("Bob's join");
    assert_eq!(bob_joined.1["data"]["referrer"], ada["member"]["ref_code"]);
    assert_eq!(bob_joined.1["data"]["email"], "bob@example.com");
    let milestone = events
        .iter()
        .find(|(e, _)| e == "milestone.reached")
        .expect("the milestone");
    assert_eq!(milestone.1["data"]["ref_code"], ada["member"]["ref_code"]);
    assert_eq!(milestone.1["data"]["reward"], "sticker");
    let approval = events
        .iter()
        .find(|(e, _)| e == "creation.approved")
        .expect("the approval");
    assert_eq!(approval.1["data"]["body"], "My folding bike on the tram");

    // The deliveries as the admin sees them: all delivered, the first ones after retries.
    let mut deliveries = Value::Null;
    for _ in 0..100 {
        deliveries = app
            .get_json(
                app.admin(
                    Method::GET,
                    &format!(
                        "/api/v1/campaigns/hooked/webhooks/{}/deliveries",
                        flaky["id"]
                    ),
                ),
                StatusCode::OK,
            )
            .await;
        if deliveries
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !d["delivered_at"].is_null())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deliveries = deliveries.as_array().unwrap();
    assert_eq!(deliveries.len(), 4, "{deliveries:?}");
    let attempts: i64 = deliveries
        .iter()
        .map(|d| d["attempts"].as_i64().unwrap())
        .sum();
    assert_eq!(
        attempts, 6,
        "two failures, then four successes: {deliveries:?}"
    );
    for d in deliveries {
        assert!(!d["delivered_at"].is_null(), "{d}");
        assert_eq!(d["last_status"], 204);
        assert_eq!(d["next_attempt_at"], Value::Null);
    }
    // A delivered delivery keeps no copy of its payload (which can hold a fan's e-mail).
    assert!(!app.all_stored_text().await.contains("evt_"));

    // Listing hides secrets; deleting stops the deliveries.
    let listed = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/hooked/webhooks"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed.to_string().find("whsec_").is_none());
    for hook in [&flaky, &steady] {
        let deleted = app
            .admin(
                Method::DELETE,
                &format!("/api/v1/campaigns/hooked/webhooks/{}", hook["id"]),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    }
    let before = seen.lock().unwrap().len();
    join(&app, "Cyd", None, "ua-cyd").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(seen.lock().unwrap().len(), before);
    app.cleanup().await;
}

async fn bad_webhooks_are_refused_and_change_nothing(app: &mut TestApp) {
    let created = app
        .create_campaign(&json!({"slug": "hooked", "kind": "message",
            "landing_url": "https://www.example.com/"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let long = format!("https://example.com/{}", "a".repeat(2100));
    for (body, code) in [
        (json!({"url": "ftp://example.com/hook"}), "invalid_url"),
        (json!({"url": "/relative"}), "invalid_url"),
        (
            json!({"url": "https://user:secret@example.com/"}),
            "invalid_url",
        ),
        (json!({"url": long}), "invalid_url"),
        (
            json!({"url": "https://example.com/", "events": []}),
            "invalid_events",
        ),
        // Not the public web: refused unless the operator allows private addresses.
        (json!({"url": "http://127.0.0.1:9/hook"}), "url_not_public"),
        (json!({"url": "http://[::1]/hook"}), "url_not_public"),
        (
            json!({"url": "http://[::127.0.0.1]/hook"}),
            "url_not_public",
        ),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data"}),
            "url_not_public",
        ),
        (json!({"url": "http://10.0.0.7/hook"}), "url_not_public"),
        (
            json!({"url": "http://localhost:8080/hook"}),
            "url_not_public",
        ),
        (
            json!({"url": "http://api.localhost./hook"}),
            "url_not_public",
        ),
        (
            json!({"url": "https://example.com/", "events": ["fan.left"]}),
            "invalid_events",
        ),
    ] {
        let response = webhook(app, body.clone()).await;
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    for body in [
        json!({"url": 42}),
        json!({"url": "https://example.com/", "secret": "mine"}),
        json!({}),
    ] {
        let response = webhook(app, body).await;
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let listed = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/hooked/webhooks"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(listed, json!([]));
    for i in 0..10 {
        let response = webhook(app, json!({"url": format!("https://example.com/{i}")})).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let eleventh = webhook(app, json!({"url": "https://example.com/11"})).await;
    expect_error(
        eleventh,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_webhooks",
    )
    .await;
    for path in ["webhooks/999999", "webhooks/999999/deliveries"] {
        let method = if path.ends_with("deliveries") {
            Method::GET
        } else {
            Method::DELETE
        };
        let response = app
            .admin(method, &format!("/api/v1/campaigns/hooked/{path}"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::NOT_FOUND, "webhook_not_found").await;
    }
    let anonymous = app
        .client
        .post(app.url("/api/v1/campaigns/hooked/webhooks"))
        .json(&json!({"url": "https://example.com/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

crate::on_both_backends!(
    bad_webhooks_are_refused_and_change_nothing,
    a_receiver_on_a_private_address_gets_nothing,
);

/// A webhook whose name resolves to a private address (here `localhost`, stored as if it had
/// been public when created, or as a name that moved since): each post checks the address it
/// would connect to, and posts nothing there.
async fn a_receiver_on_a_private_address_gets_nothing(app: &mut TestApp) {
    let created = app
        .create_campaign(&json!({"slug": "moved", "kind": "message",
            "landing_url": "https://www.example.com/"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let (receiver_url, seen) = receiver(0).await;
    let on_localhost = receiver_url.replace("127.0.0.1", "localhost");
    let campaign = app
        .store
        .get_campaign(&fanfare_core::campaign::Slug::parse("moved").unwrap())
        .await
        .unwrap()
        .unwrap();
    let hook = app
        .store
        .create_webhook(
            campaign.id,
            &format!("{on_localhost}/steady"),
            "whsec_test",
            &["fan.joined".to_owned()],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/public/campaigns/moved/fans"))
        .json(&json!({"name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let path = format!("/api/v1/campaigns/moved/webhooks/{}/deliveries", hook.id);
    for _ in 0..100 {
        let deliveries = app
            .get_json(app.admin(Method::GET, &path), StatusCode::OK)
            .await;
        if let Some(error) = deliveries[0]["last_error"].as_str() {
            assert!(error.contains("refused"), "{error}");
            assert!(error.contains("loopback"), "{error}");
            assert!(
                seen.lock().unwrap().is_empty(),
                "the receiver was posted to"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no delivery attempt was made");
}

#[tokio::test]
async fn events_are_signed_and_retried_until_delivered_on_sqlite() {
    events_are_signed_and_retried_until_delivered(Backend::Sqlite).await;
}

#[tokio::test]
async fn events_are_signed_and_retried_until_delivered_on_postgres() {
    events_are_signed_and_retried_until_delivered(Backend::Postgres).await;
}

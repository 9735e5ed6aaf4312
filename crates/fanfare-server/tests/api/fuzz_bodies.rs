//! Arbitrary bodies against every operation that takes one, as the OpenAPI document lists them
//! (so an operation added later is fuzzed too): generated JSON (any shape, and objects with the
//! API's own field names holding any value) and raw bytes, with and without a JSON content type.
//! Whatever arrives, the answer is never a 5xx, and an error is the JSON error shape.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

/// Field names the API reads somewhere: objects made of them get past "unknown field" and reach
/// the validation of values.
const FIELDS: &[&str] = &[
    "name",
    "email",
    "ref",
    "channel",
    "referrer",
    "slug",
    "kind",
    "title",
    "description",
    "landing_url",
    "allowed_domains",
    "image_url",
    "hashtags",
    "channels",
    "url",
    "events",
    "text",
    "caption",
    "reaction",
    "status",
    "decision",
    "target_url",
    "utm",
    "html",
    "rules",
    "levels",
    "milestones",
    "moderation",
    "threshold",
    "reward",
];

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "\\PC{0,300}".prop_map(Value::from),
        Just(Value::from("https://example.com/x")),
        Just(Value::from("http://127.0.0.1:1/")),
        Just(Value::from("\u{200b}\u{feff}")),
        Just(Value::from("a".repeat(5000))),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            proptest::collection::btree_map(".{0,12}", inner.clone(), 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            proptest::collection::btree_map(proptest::sample::select(FIELDS), inner, 0..8)
                .prop_map(|map| {
                    Value::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
        ]
    })
}

#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Bytes(Vec<u8>, &'static str),
}

fn any_body() -> impl Strategy<Value = Body> {
    prop_oneof![
        6 => any_json().prop_map(Body::Json),
        1 => (
            proptest::collection::vec(any::<u8>(), 0..512),
            proptest::sample::select(&["application/json", "text/plain", "application/x-www-form-urlencoded", ""][..]),
        )
            .prop_map(|(bytes, content_type)| Body::Bytes(bytes, content_type)),
    ]
}

/// The operations with a request body, from the server's own document.
async fn operations_with_a_body(app: &TestApp) -> Vec<(Method, String)> {
    let document: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("requestBody").is_some() {
                operations.push((method.to_uppercase().parse().unwrap(), path.clone()));
            }
        }
    }
    operations
}

async fn arbitrary_bodies_never_cause_a_server_error(backend: Backend) {
    // Limits out of the way: every case must reach the handler, not the limiter.
    let config = fanfare_server::ServerConfig {
        public_rate_limit: u32::MAX / 16,
        interactions_per_minute: u32::MAX / 16,
        join_burst_limit: u32::MAX,
        ..fanfare_server::ServerConfig::default()
    };
    let Some(app) = TestApp::spawn_with(backend, config).await else {
        return;
    };
    let created = app
        .create_campaign(
            &json!({"slug": "spring", "kind": "brand", "landing_url": "https://example.com/"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let ada: Value = app
        .client
        .post(app.url("/api/public/campaigns/spring/fans"))
        .header("user-agent", "Mozilla/5.0 (fuzz) Firefox/133.0")
        .json(&json!({"name": "Ada"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let member = ada["member"]["token"].as_str().unwrap().to_owned();
    let ref_code = ada["member"]["ref_code"].as_str().unwrap().to_owned();

    let operations = operations_with_a_body(&app).await;
    assert!(operations.len() >= 8, "{operations:?}");
    let runtime = tokio::runtime::Handle::current();
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    let statuses_seen = std::sync::Mutex::new(&mut statuses);
    for (method, template) in operations {
        let path = template
            .replace("{slug}", "spring")
            .replace("{ref_code}", &ref_code)
            .replace("{id}", "1")
            .replace("{key}", "nokey")
            .replace("{reaction}", "like");
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        });
        let outcome = tokio::task::block_in_place(|| {
            runner.run(&any_body(), |body| {
                runtime.block_on(async {
                    let mut request = app.client.request(method.clone(), app.url(&path));
                    request = if path.starts_with("/api/v1/") {
                        request.bearer_auth(&app.api_key)
                    } else {
                        request.bearer_auth(&member)
                    };
                    request = match &body {
                        Body::Json(value) => request.json(value),
                        Body::Bytes(bytes, content_type) => {
                            let request = request.body(bytes.clone());
                            if content_type.is_empty() {
                                request
                            } else {
                                request.header("content-type", *content_type)
                            }
                        }
                    };
                    let response = request.send().await.unwrap();
                    let status = response.status();
                    *statuses_seen
                        .lock()
                        .unwrap()
                        .entry(status.as_u16())
                        .or_default() += 1;
                    let content_type = response
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    prop_assert!(
                        !status.is_server_error(),
                        "{method} {path} answered {status} to {body:?}"
                    );
                    if status.is_client_error() {
                        prop_assert!(
                            content_type.starts_with("application/json"),
                            "{method} {path}: {status} as {content_type:?}"
                        );
                        let error: Value = response.json().await.unwrap();
                        prop_assert!(error["error"]["code"].is_string(), "{error}");
                    }
                    Ok::<(), TestCaseError>(())
                })
            })
        });
        if let Err(failure) = outcome {
            panic!("{method} {template}: {failure}");
        }
    }
    // The cases reached the handlers: some were accepted, most refused, none limited.
    let statuses = statuses_seen.into_inner().unwrap();
    eprintln!("answers: {statuses:?}");
    assert!(
        statuses.keys().any(|s| (200..300).contains(s)),
        "{statuses:?}"
    );
    assert!(!statuses.contains_key(&429), "{statuses:?}");
    app.cleanup().await;
}

mod arbitrary_bodies {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::arbitrary_bodies_never_cause_a_server_error(super::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::arbitrary_bodies_never_cause_a_server_error(super::Backend::Postgres).await
    }
}

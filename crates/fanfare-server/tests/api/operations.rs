use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use fanfare_core::error_code::ErrorCode;

use crate::helpers::{TestApp, expect_error, no_redirects};

crate::on_both_backends!(
    health_and_readiness,
    a_lost_database_is_503_not_500,
    metrics_are_labelled_by_route_template,
    the_openapi_document_lists_every_endpoint,
    the_openapi_document_names_every_error_code,
    the_openapi_document_places_parameters_and_resolves_references,
);

async fn health_and_readiness(app: &mut TestApp) {
    let health = app
        .get_json(app.client.get(app.url("/healthz")), StatusCode::OK)
        .await;
    assert_eq!(health["status"], "ok");
    let ready = app
        .get_json(app.client.get(app.url("/readyz")), StatusCode::OK)
        .await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], app.store.backend());
}

async fn a_lost_database_is_503_not_500(app: &mut TestApp) {
    app.create_campaign(
        &json!({"slug": "a", "kind": "brand", "landing_url": "https://example.com/"}),
    )
    .await;
    // Closing the pool under the running server is what a lost database looks like from here.
    app.store.close().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK, "the process is still up");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.headers()["retry-after"], "5");
    expect_error(
        ready,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    )
    .await;
    let read = app
        .client
        .get(app.url("/api/public/campaigns/a"))
        .send()
        .await
        .unwrap();
    expect_error(
        read,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    )
    .await;
    let admin = app
        .admin(Method::GET, "/api/v1/campaigns")
        .send()
        .await
        .unwrap();
    expect_error(
        admin,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    )
    .await;
}

async fn metrics_are_labelled_by_route_template(app: &mut TestApp) {
    app.create_campaign(
        &json!({"slug": "secret-launch", "kind": "brand", "landing_url": "https://example.com/"}),
    )
    .await;
    for _ in 0..3 {
        app.client
            .get(app.url("/api/public/campaigns/secret-launch"))
            .send()
            .await
            .unwrap();
    }
    app.client
        .get(app.url("/no/such/path"))
        .send()
        .await
        .unwrap();
    // The redirect counts itself (it is served outside the shared layers); a followed link
    // (`GET`, 302) is counted through handles kept aside, a `HEAD` through the labels.
    let fan: Value = app
        .client
        .post(app.url("/api/public/campaigns/secret-launch/fans"))
        .json(&json!({"name": "Ada"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = fan["links"]["x"].as_str().unwrap();
    for method in [Method::GET, Method::GET, Method::HEAD] {
        let followed = no_redirects().request(method, link).send().await.unwrap();
        assert_eq!(followed.status(), StatusCode::FOUND);
    }
    let unknown = app
        .client
        .get(app.url("/s/SECRETXYZf"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(
        text.contains(
            "fanfare_http_requests_total{method=\"GET\",route=\"/api/public/campaigns/{slug}\",status=\"200\"} 3"
        ),
        "{text}"
    );
    assert!(text.contains(
        "fanfare_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"
    ));
    assert!(
        text.contains(
            "fanfare_http_requests_total{method=\"GET\",route=\"/s/{code}\",status=\"404\"} 1"
        ),
        "{text}"
    );
    for counted in [
        "fanfare_http_requests_total{method=\"GET\",route=\"/s/{code}\",status=\"302\"} 2",
        "fanfare_http_requests_total{method=\"HEAD\",route=\"/s/{code}\",status=\"302\"} 1",
        "fanfare_http_request_duration_seconds_count{method=\"GET\",route=\"/s/{code}\"} 3",
    ] {
        assert!(text.contains(counted), "{counted} in {text}");
    }
    assert!(text.contains("fanfare_http_requests_in_flight 1"), "{text}");
    assert!(text.contains("fanfare_http_request_duration_seconds_bucket"));
    assert!(text.contains("fanfare_build_info{version="));
    assert!(
        !text.contains("secret-launch")
            && !text.contains("/no/such/path")
            && !text.contains("SECRETXYZ"),
        "raw paths never become labels"
    );
}

async fn the_openapi_document_lists_every_endpoint(app: &mut TestApp) {
    let doc: Value = app
        .get_json(app.client.get(app.url("/api/openapi.json")), StatusCode::OK)
        .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let expected: BTreeSet<String> = [
        "POST /api/v1/campaigns",
        "GET /api/v1/campaigns",
        "GET /api/v1/campaigns/{slug}",
        "PATCH /api/v1/campaigns/{slug}",
        "DELETE /api/v1/campaigns/{slug}",
        "GET /api/public/campaigns/{slug}",
        "POST /api/public/campaigns/{slug}/fans",
        "DELETE /api/public/campaigns/{slug}/fans/me",
        "POST /api/public/campaigns/{slug}/views",
        "GET /api/v1/campaigns/{slug}/fans",
        "GET /api/v1/campaigns/{slug}/fans.csv",
        "DELETE /api/v1/campaigns/{slug}/fans/{ref_code}",
        "GET /api/v1/campaigns/{slug}/links",
        "POST /api/v1/campaigns/{slug}/links",
        "DELETE /api/v1/campaigns/{slug}/links/{key}",
        "GET /s/{code}",
        "GET /s/{code}/qr.svg",
        "GET /s/{code}/qr.png",
        "GET /share/{code}",
        "POST /api/public/campaigns/{slug}/interactions",
        "DELETE /api/public/campaigns/{slug}/interactions/reactions/{reaction}",
        "GET /api/public/campaigns/{slug}/creations",
        "GET /api/public/campaigns/{slug}/leaderboard",
        "GET /api/public/campaigns/{slug}/fans/me",
        "GET /api/public/campaigns/{slug}/wall",
        "GET /api/v1/campaigns/{slug}/engagement",
        "PUT /api/v1/campaigns/{slug}/engagement",
        "GET /api/v1/campaigns/{slug}/moderation",
        "POST /api/v1/campaigns/{slug}/moderation/{id}",
        "GET /api/v1/campaigns/{slug}/milestones",
        "POST /api/v1/audit",
        "GET /api/v1/campaigns/{slug}/breakdown",
        "GET /api/v1/campaigns/{slug}/cascades",
        "GET /api/v1/campaigns/{slug}/stats",
        "GET /api/v1/campaigns/{slug}/timeseries",
        "GET /api/v1/campaigns/{slug}/webhooks",
        "POST /api/v1/campaigns/{slug}/webhooks",
        "DELETE /api/v1/campaigns/{slug}/webhooks/{id}",
        "GET /api/v1/campaigns/{slug}/webhooks/{id}/deliveries",
        "GET /api/v1/campaigns/{slug}/audit",
        "GET /w/fanfare.js",
        "GET /w/progress.js",
        "GET /w/wall.js",
        "GET /c/{slug}",
        "GET /c/{slug}/card.png",
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(operations, expected);

    // Every documented operation answers something other than "no such endpoint".
    for operation in &expected {
        let (method, path) = operation.split_once(' ').unwrap();
        let path = path
            .replace("{slug}", "x")
            .replace("{ref_code}", "x")
            .replace("{key}", "x")
            .replace("{code}", "x")
            .replace("{reaction}", "like")
            .replace("{id}", "1");
        let response = app
            .admin(Method::from_bytes(method.as_bytes()).unwrap(), &path)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("\"not_found\"") && status != StatusCode::METHOD_NOT_ALLOWED,
            "{operation} is documented but not routed: {status} {body}"
        );
    }

    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["paths"]["/api/v1/campaigns"]["post"]["security"],
        json!([{"api_key": []}])
    );
    assert!(doc["paths"]["/api/public/campaigns/{slug}"]["get"]["security"].is_null());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

/// The table of error codes is the one list: the OpenAPI document names each code as a value of
/// `ErrorCode`, which is the type of every error body's `code`.
async fn the_openapi_document_names_every_error_code(app: &mut TestApp) {
    let doc: Value = app
        .get_json(app.client.get(app.url("/api/openapi.json")), StatusCode::OK)
        .await;
    let schemas = &doc["components"]["schemas"];
    let documented: BTreeSet<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode is an enum of strings")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let declared: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, declared);
    assert_eq!(
        schemas["ErrorDetail"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    // And a real error carries a code of the table, with the table's status.
    let response = app
        .client
        .get(app.url("/api/public/campaigns/no-such-campaign"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        ErrorCode::CampaignNotFound.status()
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], ErrorCode::CampaignNotFound.as_str());
}

/// A client generated from the document must work: a path parameter is one the path names,
/// anything else is in the query, and every `$ref` points at a schema the document has.
async fn the_openapi_document_places_parameters_and_resolves_references(app: &mut TestApp) {
    let doc: Value = app
        .get_json(app.client.get(app.url("/api/openapi.json")), StatusCode::OK)
        .await;
    let mut query_parameters = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                let place = parameter["in"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    place,
                    if in_path { "path" } else { "query" },
                    "{method} {path}: {name}"
                );
                query_parameters += usize::from(place == "query");
            }
        }
    }
    assert!(
        query_parameters >= 30,
        "{query_parameters} query parameters"
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut references = Vec::new();
    collect_references(&doc, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {reference}"));
        assert!(schemas.contains_key(name), "dangling reference {reference}");
    }
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    _ => collect_references(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

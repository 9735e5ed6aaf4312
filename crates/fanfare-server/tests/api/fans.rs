//! Adhesion through HTTP: joining, referrals, fraud signals, views, leaving, erasure, export.

use fanfare_core::fan::VisitorEvent;
use fanfare_server::ServerConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_error};

crate::on_both_backends!(
    a_join_returns_a_code_and_a_token_once_per_address,
    a_referral_chain_is_attributed_through_ref_codes,
    self_referral_is_flagged_and_honest_referrals_are_not,
    a_second_address_of_one_mailbox_is_flagged,
    disposable_addresses_are_flagged,
    concurrent_joins_with_one_address_make_one_fan,
    views_count_unique_visitors_per_day_and_join_starts,
    leaving_erases_the_fan_and_the_token_stops_working,
    admins_list_export_and_erase_fans,
    hostile_joins_are_refused_and_store_nothing,
);

/// All test requests come from 127.0.0.1: the user agent tells visitors apart.
const ALICE_BROWSER: &str = "Mozilla/5.0 (alice)";
const BOB_BROWSER: &str = "Mozilla/5.0 (bob)";

async fn campaign(app: &TestApp, slug: &str) {
    let response = app
        .create_campaign(
            &json!({"slug": slug, "kind": "brand", "landing_url": "https://example.com/"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn join_as(app: &TestApp, slug: &str, browser: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/public/campaigns/{slug}/fans")))
        .header("user-agent", browser)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn fans_of(app: &TestApp, slug: &str) -> Vec<Value> {
    let page = app
        .get_json(
            app.admin(Method::GET, &format!("/api/v1/campaigns/{slug}/fans")),
            StatusCode::OK,
        )
        .await;
    page["items"].as_array().unwrap().clone()
}

fn fan_named<'a>(fans: &'a [Value], name: &str) -> &'a Value {
    fans.iter().find(|f| f["name"] == name).unwrap()
}

async fn public_fan_count(app: &TestApp, slug: &str) -> u64 {
    let public = app
        .get_json(
            app.client
                .get(app.url(&format!("/api/public/campaigns/{slug}"))),
            StatusCode::OK,
        )
        .await;
    public["fans"].as_u64().unwrap()
}

async fn a_join_returns_a_code_and_a_token_once_per_address(app: &mut TestApp) {
    campaign(app, "club").await;
    let (status, first) = join_as(
        app,
        "club",
        ALICE_BROWSER,
        json!({"name": "Ada", "email": "Ada.Lovelace@Example.com"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let code = first["member"]["ref_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 10);
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(
        first["member"]["token"]
            .as_str()
            .unwrap()
            .starts_with("fft_")
    );

    let (status, again) = join_as(
        app,
        "club",
        BOB_BROWSER,
        json!({"name": "Someone else", "email": "  ada.lovelace@example.COM "}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["member"]["ref_code"], code.as_str());
    assert_eq!(again["member"]["token"], Value::Null);

    // Without an e-mail every join is a new fan; an empty e-mail is no e-mail.
    for name in ["Anon 1", "Anon 2"] {
        let (status, _) = join_as(app, "club", name, json!({"name": name, "email": ""})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    assert_eq!(public_fan_count(app, "club").await, 3);
    assert_eq!(fans_of(app, "club").await.len(), 3);
}

async fn a_referral_chain_is_attributed_through_ref_codes(app: &mut TestApp) {
    campaign(app, "chain").await;
    campaign(app, "elsewhere").await;
    let (_, ada) = join_as(app, "chain", "ua-ada", json!({"name": "Ada"})).await;
    let ada_code = ada["member"]["ref_code"].as_str().unwrap().to_owned();
    let (_, bob) = join_as(
        app,
        "chain",
        "ua-bob",
        json!({"name": "Bob", "ref": ada_code}),
    )
    .await;
    let bob_code = bob["member"]["ref_code"].as_str().unwrap().to_owned();
    join_as(
        app,
        "chain",
        "ua-cyd",
        json!({"name": "Cyd", "ref": bob_code}),
    )
    .await;
    let (_, other) = join_as(app, "elsewhere", "ua-oz", json!({"name": "Oz"})).await;
    let other_code = other["member"]["ref_code"].as_str().unwrap().to_owned();
    // Not errors: an unknown code, another campaign's code, garbage.
    for (name, referral) in [
        ("Unknown", "ZZZZZZZZZZ"),
        ("Foreign", other_code.as_str()),
        ("Junk", "<script>"),
    ] {
        let (status, _) = join_as(
            app,
            "chain",
            &format!("ua-{name}"),
            json!({"name": name, "ref": referral}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{name}");
    }

    let fans = fans_of(app, "chain").await;
    let expect = [
        ("Ada", Value::Null, 0),
        ("Bob", json!(ada_code), 1),
        ("Cyd", json!(bob_code), 2),
        ("Unknown", Value::Null, 0),
        ("Foreign", Value::Null, 0),
        ("Junk", Value::Null, 0),
    ];
    for (name, referrer, depth) in expect {
        let fan = fan_named(&fans, name);
        assert_eq!(fan["referrer"], referrer, "{name}");
        assert_eq!(fan["depth"], depth, "{name}");
        assert_eq!(fan["flags"], json!([]), "{name}");
    }
}

async fn self_referral_is_flagged_and_honest_referrals_are_not(app: &mut TestApp) {
    campaign(app, "selfie").await;
    let (_, ada) = join_as(app, "selfie", ALICE_BROWSER, json!({"name": "Ada"})).await;
    let code = ada["member"]["ref_code"].as_str().unwrap().to_owned();
    // The same browser on the same IP uses its own link to join again.
    let (status, sock) = join_as(
        app,
        "selfie",
        ALICE_BROWSER,
        json!({"name": "Sock puppet", "ref": code}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "flagging never blocks");
    assert!(
        sock["member"]["token"].is_string(),
        "the same answer as anyone"
    );
    let (_, _) = join_as(
        app,
        "selfie",
        BOB_BROWSER,
        json!({"name": "Bob", "ref": code}),
    )
    .await;

    let fans = fans_of(app, "selfie").await;
    assert_eq!(
        fan_named(&fans, "Sock puppet")["flags"],
        json!(["self_referral"])
    );
    assert_eq!(fan_named(&fans, "Bob")["flags"], json!([]));
    assert_eq!(
        public_fan_count(app, "selfie").await,
        2,
        "the flagged fan does not count"
    );
}

async fn a_second_address_of_one_mailbox_is_flagged(app: &mut TestApp) {
    campaign(app, "mail").await;
    let joins = [
        ("John", "john.doe@gmail.com", "ua1"),
        ("Johnny", "JohnDoe+promo@googlemail.com", "ua2"),
        ("Jane", "jane.doe@gmail.com", "ua3"),
        ("Jo", "jo+x@example.org", "ua4"),
        ("Jo2", "jo+y@example.org", "ua5"),
    ];
    for (name, email, browser) in joins {
        let (status, _) =
            join_as(app, "mail", browser, json!({"name": name, "email": email})).await;
        assert_eq!(status, StatusCode::CREATED, "{name}");
    }
    let fans = fans_of(app, "mail").await;
    assert_eq!(fan_named(&fans, "John")["flags"], json!([]));
    assert_eq!(
        fan_named(&fans, "Johnny")["flags"],
        json!(["duplicate_email"])
    );
    assert_eq!(fan_named(&fans, "Jane")["flags"], json!([]));
    // Outside the providers whose rules are known, +tags are different mailboxes.
    assert_eq!(fan_named(&fans, "Jo2")["flags"], json!([]));
}

async fn disposable_addresses_are_flagged(app: &mut TestApp) {
    campaign(app, "throwaway").await;
    join_as(
        app,
        "throwaway",
        "ua1",
        json!({"name": "Temp", "email": "x@mailinator.com"}),
    )
    .await;
    join_as(
        app,
        "throwaway",
        "ua2",
        json!({"name": "Real", "email": "x@example.org"}),
    )
    .await;
    let fans = fans_of(app, "throwaway").await;
    assert_eq!(
        fan_named(&fans, "Temp")["flags"],
        json!(["disposable_email"])
    );
    assert_eq!(fan_named(&fans, "Real")["flags"], json!([]));
    assert_eq!(public_fan_count(app, "throwaway").await, 1);
}

async fn concurrent_joins_with_one_address_make_one_fan(app: &mut TestApp) {
    campaign(app, "rush").await;
    let requests = (0..12).map(|i| {
        let client = app.client.clone();
        let url = app.url("/api/public/campaigns/rush/fans");
        async move {
            let response = client
                .post(url)
                .header("user-agent", format!("ua-{i}"))
                .json(&json!({"name": format!("Racer {i}"), "email": "same@example.com"}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    let handles: Vec<_> = requests.map(tokio::spawn).collect();
    let mut created = 0;
    let mut codes = std::collections::HashSet::new();
    for handle in handles {
        let (status, body) = handle.await.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => assert_eq!(body["member"]["token"], Value::Null),
            other => panic!("unexpected {other}: {body}"),
        }
        codes.insert(body["member"]["ref_code"].as_str().unwrap().to_owned());
    }
    assert_eq!(created, 1);
    assert_eq!(codes.len(), 1, "every answer names the one fan");
    assert_eq!(fans_of(app, "rush").await.len(), 1);
}

async fn count_views(app: &TestApp, slug: &str, event: VisitorEvent) -> u64 {
    let campaign = app
        .store
        .get_campaign(&fanfare_core::campaign::Slug::parse(slug).unwrap())
        .await
        .unwrap()
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    app.store
        .count_visitor_events(campaign.id, event, today, today)
        .await
        .unwrap()
}

async fn beacon(
    app: &TestApp,
    slug: &str,
    browser: &str,
    body: &str,
    content_type: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/public/campaigns/{slug}/views")))
        .header("user-agent", browser)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn views_count_unique_visitors_per_day_and_join_starts(app: &mut TestApp) {
    campaign(app, "seen").await;
    for _ in 0..3 {
        let response = beacon(app, "seen", ALICE_BROWSER, "", "text/plain").await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    // What navigator.sendBeacon sends: a JSON string as text/plain.
    let response = beacon(
        app,
        "seen",
        BOB_BROWSER,
        r#"{"event":"view"}"#,
        "text/plain;charset=UTF-8",
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = beacon(
        app,
        "seen",
        BOB_BROWSER,
        r#"{"event":"join_started"}"#,
        "application/json",
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(count_views(app, "seen", VisitorEvent::View).await, 2);
    assert_eq!(count_views(app, "seen", VisitorEvent::JoinStarted).await, 1);

    let bad = beacon(app, "seen", BOB_BROWSER, "{not json", "text/plain").await;
    expect_error(bad, StatusCode::BAD_REQUEST, "invalid_json").await;
    let bad = beacon(
        app,
        "seen",
        BOB_BROWSER,
        r#"{"event":"purchase"}"#,
        "text/plain",
    )
    .await;
    expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;
    // A body over the limit gets the JSON error shape too, and counts nothing.
    let huge = " ".repeat(fanfare_server::BODY_LIMIT_BYTES + 1);
    let bad = beacon(app, "seen", "Mozilla/5.0 (carol)", &huge, "text/plain").await;
    expect_error(bad, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let missing = beacon(app, "nowhere", BOB_BROWSER, "", "text/plain").await;
    expect_error(missing, StatusCode::NOT_FOUND, "campaign_not_found").await;
    assert_eq!(
        count_views(app, "seen", VisitorEvent::View).await,
        2,
        "nothing counted twice"
    );
}

async fn leaving_erases_the_fan_and_the_token_stops_working(app: &mut TestApp) {
    campaign(app, "exit").await;
    campaign(app, "other").await;
    let (_, ada) = join_as(
        app,
        "exit",
        ALICE_BROWSER,
        json!({"name": "Ada Unforgettable", "email": "ada.unique@example.com"}),
    )
    .await;
    let token = ada["member"]["token"].as_str().unwrap().to_owned();
    let code = ada["member"]["ref_code"].as_str().unwrap().to_owned();
    let (_, bob) = join_as(
        app,
        "exit",
        BOB_BROWSER,
        json!({"name": "Bob", "ref": code}),
    )
    .await;
    assert_eq!(bob["member"]["token"].as_str().unwrap().len(), 47);
    let leave = |slug: &str, token: Option<&str>| {
        let mut request = app
            .client
            .delete(app.url(&format!("/api/public/campaigns/{slug}/fans/me")));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let response = leave("exit", None).await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_member_token").await;
    let response = leave("exit", Some("fft_forged")).await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_member_token").await;
    let response = leave("other", Some(&token)).await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_member_token").await;
    let response = leave("exit", Some(&app.api_key)).await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_member_token").await;

    let response = leave("exit", Some(&token)).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let again = leave("exit", Some(&token)).await.unwrap();
    expect_error(again, StatusCode::UNAUTHORIZED, "invalid_member_token").await;

    let stored = app.all_stored_text().await;
    for secret in [
        "Ada Unforgettable",
        "ada.unique",
        &token,
        &fanfare_core::fan::hash_secret(&token),
        &code,
    ] {
        assert!(
            !stored.contains(secret),
            "{secret:?} is still in the database"
        );
    }
    let fans = fans_of(app, "exit").await;
    assert_eq!(fans.len(), 1);
    assert_eq!(fans[0]["name"], "Bob");
    assert_eq!(fans[0]["depth"], 1, "the anonymous chain stays");
    assert_eq!(fans[0]["referrer"], Value::Null);
    assert_eq!(public_fan_count(app, "exit").await, 1);
}

async fn admins_list_export_and_erase_fans(app: &mut TestApp) {
    campaign(app, "crm").await;
    let mut codes = Vec::new();
    for i in 0..5 {
        let (_, body) = join_as(
            app,
            "crm",
            &format!("ua-{i}"),
            json!({"name": format!("Fan {i}"), "email": format!("fan{i}@example.com")}),
        )
        .await;
        codes.push(body["member"]["ref_code"].as_str().unwrap().to_owned());
    }
    join_as(app, "crm", "ua-evil", json!({"name": "=HYPERLINK(\"http://evil.example\")", "email": "@evil@example.com".trim_start_matches('@')})).await;

    // Pages of two, in join order.
    let mut names = Vec::new();
    let mut path = "/api/v1/campaigns/crm/fans?limit=2".to_owned();
    loop {
        let page = app
            .get_json(app.admin(Method::GET, &path), StatusCode::OK)
            .await;
        names.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/campaigns/crm/fans?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(names.len(), 6);
    assert_eq!(names[0], "Fan 0");

    let erase = app
        .admin(
            Method::DELETE,
            &format!("/api/v1/campaigns/crm/fans/{}", codes[1]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(erase.status(), StatusCode::NO_CONTENT);
    for bad in [codes[1].as_str(), "ZZZZZZZZZZ", "not-a-code"] {
        let response = app
            .admin(Method::DELETE, &format!("/api/v1/campaigns/crm/fans/{bad}"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::NOT_FOUND, "fan_not_found").await;
    }

    let csv = app
        .admin(Method::GET, "/api/v1/campaigns/crm/fans.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("crm-fans.csv")
    );
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "ref_code,name,email,referrer,depth,flags,joined_at"
    );
    assert_eq!(lines.len(), 1 + 5, "header and the five fans left");
    assert!(!text.contains("Fan 1"), "the erased fan is not exported");
    assert!(text.contains(&format!("{},Fan 0,fan0@example.com,,0,,", codes[0])));
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "{text}"
    );

    let unauthorized = app
        .client
        .get(app.url("/api/v1/campaigns/crm/fans.csv"))
        .send()
        .await
        .unwrap();
    expect_error(unauthorized, StatusCode::UNAUTHORIZED, "missing_api_key").await;
}

async fn hostile_joins_are_refused_and_store_nothing(app: &mut TestApp) {
    campaign(app, "guarded").await;
    let cases = [
        (
            json!({"name": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_text",
        ),
        (
            json!({"name": "   "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_text",
        ),
        (
            // Zero-width spaces, a word joiner and a byte-order mark: a name that shows nothing.
            json!({"name": "\u{200B}\u{2060}\u{FEFF}\u{200B}"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_text",
        ),
        (
            json!({"name": "x".repeat(81)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "text_too_long",
        ),
        (
            json!({"name": "a\u{0}b"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_characters",
        ),
        (
            json!({"name": "line\nbreak"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_characters",
        ),
        (
            json!({"name": "Ok", "email": "nope"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            json!({"name": "Ok", "email": "a@b@c.com"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            json!({"name": "Ok", "email": format!("{}@example.com", "a".repeat(300))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            json!({"name": "Ok", "email": "<script>@x.com"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
        ),
        (
            json!({"name": 5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({"name": "Ok", "ref": 12}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({"name": "Ok", "role": "admin"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let response = app
            .client
            .post(app.url("/api/public/campaigns/guarded/fans"))
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(response, status, code).await;
    }
    let response = app
        .client
        .post(app.url("/api/public/campaigns/guarded/fans"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_json").await;
    let response = app
        .client
        .post(app.url("/api/public/campaigns/missing/fans"))
        .json(&json!({"name": "Ok"}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, "campaign_not_found").await;
    let response = app
        .client
        .post(app.url("/api/public/campaigns/Bad_Slug/fans"))
        .json(&json!({"name": "Ok"}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_slug").await;
    assert!(fans_of(app, "guarded").await.is_empty());

    // Markup is a name like any other: stored as text.
    let (status, _) = join_as(
        app,
        "guarded",
        "ua",
        json!({"name": "<img src=x onerror=alert(1)>"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        fans_of(app, "guarded").await[0]["name"],
        "<img src=x onerror=alert(1)>"
    );
}

/// Scenarios that need their own server settings, on both backends.
mod configured {
    use super::*;

    async fn with(backend: Backend, config: ServerConfig) -> Option<TestApp> {
        TestApp::spawn_with(backend, config).await
    }

    async fn join_burst(backend: Backend) {
        let config = ServerConfig {
            join_burst_limit: 3,
            ..ServerConfig::default()
        };
        let Some(app) = with(backend, config).await else {
            return;
        };
        campaign(&app, "burst").await;
        for i in 0..5 {
            let (status, _) = join_as(
                &app,
                "burst",
                ALICE_BROWSER,
                json!({"name": format!("Alice {i}")}),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED);
        }
        join_as(&app, "burst", BOB_BROWSER, json!({"name": "Bob"})).await;
        let fans = fans_of(&app, "burst").await;
        for i in 0..3 {
            assert_eq!(
                fan_named(&fans, &format!("Alice {i}"))["flags"],
                json!([]),
                "{i}"
            );
        }
        for i in 3..5 {
            assert_eq!(
                fan_named(&fans, &format!("Alice {i}"))["flags"],
                json!(["join_burst"]),
                "{i}"
            );
        }
        assert_eq!(fan_named(&fans, "Bob")["flags"], json!([]));
        app.cleanup().await;
    }

    async fn rate_limit(backend: Backend) {
        let config = ServerConfig {
            public_rate_limit: 4,
            ..ServerConfig::default()
        };
        let Some(app) = with(backend, config).await else {
            return;
        };
        campaign(&app, "limited").await;
        for _ in 0..3 {
            assert_eq!(
                beacon(&app, "limited", ALICE_BROWSER, "", "text/plain")
                    .await
                    .status(),
                StatusCode::NO_CONTENT
            );
        }
        let (status, _) = join_as(&app, "limited", ALICE_BROWSER, json!({"name": "Alice"})).await;
        assert_eq!(status, StatusCode::CREATED);
        let refused = beacon(&app, "limited", ALICE_BROWSER, "", "text/plain").await;
        let retry: u64 = refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry));
        expect_error(refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
        let response = app
            .client
            .post(app.url("/api/public/campaigns/limited/fans"))
            .header("user-agent", ALICE_BROWSER)
            .json(&json!({"name": "Alice again"}))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
        let read = app
            .client
            .get(app.url("/api/public/campaigns/limited"))
            .header("user-agent", ALICE_BROWSER)
            .send()
            .await
            .unwrap();
        expect_error(read, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
        // Another visitor is not affected, and what was accepted is still there.
        assert_eq!(
            beacon(&app, "limited", BOB_BROWSER, "", "text/plain")
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(fans_of(&app, "limited").await.len(), 1);
        app.cleanup().await;
    }

    async fn trusted_proxy(backend: Backend) {
        let config = ServerConfig {
            trusted_proxy_header: Some(fanfare_server::http_header::HeaderName::from_static(
                "x-forwarded-for",
            )),
            ..ServerConfig::default()
        };
        let Some(app) = with(backend, config).await else {
            return;
        };
        campaign(&app, "proxied").await;
        for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.2"] {
            let response = app
                .client
                .post(app.url("/api/public/campaigns/proxied/views"))
                .header("user-agent", ALICE_BROWSER)
                .header("x-forwarded-for", format!("6.6.6.6, {ip}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
        }
        assert_eq!(count_views(&app, "proxied", VisitorEvent::View).await, 2);
        app.cleanup().await;
    }

    async fn untrusted_proxy_header_is_ignored(backend: Backend) {
        let Some(app) = with(backend, ServerConfig::default()).await else {
            return;
        };
        campaign(&app, "direct").await;
        for ip in ["203.0.113.1", "203.0.113.2"] {
            app.client
                .post(app.url("/api/public/campaigns/direct/views"))
                .header("user-agent", ALICE_BROWSER)
                .header("x-forwarded-for", ip)
                .send()
                .await
                .unwrap();
        }
        assert_eq!(
            count_views(&app, "direct", VisitorEvent::View).await,
            1,
            "a client cannot pose as many"
        );
        app.cleanup().await;
    }

    crate::for_each_backend!(
        join_burst,
        rate_limit,
        trusted_proxy,
        untrusted_proxy_header_is_ignored
    );
}

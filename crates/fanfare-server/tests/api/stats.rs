//! Stats and cascades of a campaign built through HTTP, against values computed by hand.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

crate::on_both_backends!(
    cascades_match_the_hand_computed_tree,
    stats_match_the_hand_computed_campaign,
    report_queries_reject_bad_windows,
    reports_agree_with_a_simulated_history,
);

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

const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 \
    (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const CRAWLER: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/// Joins the "funnel" campaign; the whole answer (member, token, links, share URLs).
async fn join_funnel(app: &TestApp, name: &str, referrer: Option<&Value>, agent: &str) -> Value {
    let mut body = json!({"name": name, "referrer": "https://news.example/story"});
    if let Some(referrer) = referrer {
        body["ref"] = referrer["member"]["ref_code"].clone();
    }
    let response = app
        .client
        .post(app.url("/api/public/campaigns/funnel/fans"))
        .header("user-agent", agent)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn interact(app: &TestApp, fan: &Value, kind: &str) {
    let response = app
        .client
        .post(app.url("/api/public/campaigns/funnel/interactions"))
        .bearer_auth(fan["member"]["token"].as_str().unwrap())
        .json(&json!({"kind": kind, "body": format!("a {kind}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn follow(url: &str, agent: &str) {
    let response = crate::helpers::no_redirects()
        .get(url)
        .header("user-agent", agent)
        .header("referer", "https://social.example/feed")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND, "{url}");
}

async fn beacon(app: &TestApp, agent: &str, body: &str) {
    let response = app
        .client
        .post(app.url("/api/public/campaigns/funnel/views"))
        .header("user-agent", agent)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

async fn stats_match_the_hand_computed_campaign(app: &mut TestApp) {
    let created = app
        .create_campaign(&json!({"slug": "funnel", "kind": "message",
            "landing_url": "https://www.example.com/"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // Ten visitors see the page (one twice), eight open the join form.
    for v in 0..10 {
        beacon(app, &format!("ua-{v}"), "{}").await;
    }
    beacon(app, "ua-0", "{}").await;
    for v in 0..8 {
        beacon(app, &format!("ua-{v}"), r#"{"event":"join_started"}"#).await;
    }
    // The tree of the cascades test: A ← B, A ← C, B ← D, D ← E; F alone; G is A again
    // (flagged); H, brought by G, starts a cascade of their own.
    let a = join_funnel(app, "A", None, "ua-0").await;
    let b = join_funnel(app, "B", Some(&a), "ua-1").await;
    let c = join_funnel(app, "C", Some(&a), "ua-2").await;
    let d = join_funnel(app, "D", Some(&b), "ua-3").await;
    join_funnel(app, "E", Some(&d), "ua-4").await;
    join_funnel(app, "F", None, "ua-5").await;
    let g = join_funnel(app, "G", Some(&a), "ua-0").await;
    join_funnel(app, "H", Some(&g), "ua-6").await;
    // Appropriation: A comments and creates, B comments; G (flagged) comments.
    interact(app, &a, "comment").await;
    interact(app, &a, "creation").await;
    interact(app, &b, "comment").await;
    interact(app, &g, "comment").await;
    // Transmission: A shares on X and Facebook, C on X; A's X link is followed twice by a
    // phone and once by a crawler.
    for (fan, channel) in [(&a, "x"), (&a, "facebook"), (&c, "x")] {
        follow(fan["share_urls"][channel].as_str().unwrap(), PHONE).await;
    }
    let a_link = a["links"]["x"].as_str().unwrap();
    follow(a_link, PHONE).await;
    follow(a_link, PHONE).await;
    follow(a_link, CRAWLER).await;

    let stats = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/funnel/stats"),
            StatusCode::OK,
        )
        .await;
    let number = |key: &str| {
        stats[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {stats}"))
    };
    let expected = [
        ("visitors", 10.0),
        ("join_starts", 8.0),
        ("fans", 7.0),
        ("referred_fans", 4.0),
        ("flagged_fans", 1.0),
        ("appropriators", 2.0),
        ("creators", 1.0),
        ("sharers", 2.0),
        ("ambassadors", 3.0),
        ("shares", 3.0),
        ("clicks", 2.0),
        ("bot_clicks", 1.0),
        ("interactions", 4.0),
        ("k_factor", 4.0 / 7.0),
    ];
    for (key, value) in expected {
        assert!((number(key) - value).abs() < 1e-9, "{key}: {stats}");
    }
    // The joins were moments apart: a cycle time of a few seconds at most.
    let cycle = number("viral_cycle_time_hours");
    assert!((0.0..0.01).contains(&cycle), "{stats}");
    let close = |value: &Value, expected: f64| (value.as_f64().unwrap() - expected).abs() < 1e-9;
    assert!(close(&stats["rates"]["adhesion"], 0.7), "{stats}");
    assert!(
        close(&stats["rates"]["appropriation"], 2.0 / 7.0),
        "{stats}"
    );
    assert!(close(&stats["rates"]["transmission"], 2.0 / 7.0), "{stats}");
    assert!(close(&stats["pillars"]["interest"], 200.0 / 7.0), "{stats}");
    assert!(close(&stats["pillars"]["simplicity"], 87.5), "{stats}");
    assert!(close(&stats["pillars"]["vitality"], 400.0 / 7.0), "{stats}");
    assert_eq!(
        stats["cascades"],
        json!({"count": 3, "largest": 5, "max_depth": 3, "mean_structural_virality": 2.0})
    );

    // A window that ended before anything happened holds nothing.
    let before = app
        .get_json(
            app.admin(
                Method::GET,
                "/api/v1/campaigns/funnel/stats?from=2020-01-01&to=2020-02-01",
            ),
            StatusCode::OK,
        )
        .await;
    assert_eq!(before["fans"], 0);
    assert_eq!(before["visitors"], 0);
    assert_eq!(before["cascades"]["count"], 0);
    assert_eq!(before["viral_cycle_time_hours"], Value::Null);

    // Today's bucket holds the seven fans; the series covers the last 30 days by default.
    let series = app
        .get_json(
            app.admin(
                Method::GET,
                "/api/v1/campaigns/funnel/timeseries?metric=fans&interval=day&tz=Europe/Paris",
            ),
            StatusCode::OK,
        )
        .await;
    let points = series["points"].as_array().unwrap();
    assert!((30..=32).contains(&points.len()), "{series}");
    assert_eq!(
        points
            .iter()
            .map(|p| p["value"].as_u64().unwrap())
            .sum::<u64>(),
        7
    );
    assert_eq!(points.last().unwrap()["value"], 7, "{series}");
    assert_eq!(series["tz"], "Europe/Paris");
    for (metric, total) in [
        ("clicks", 2),
        ("shares", 3),
        ("interactions", 4),
        ("visitors", 10),
    ] {
        let series = app
            .get_json(
                app.admin(
                    Method::GET,
                    &format!("/api/v1/campaigns/funnel/timeseries?metric={metric}"),
                ),
                StatusCode::OK,
            )
            .await;
        let sum: u64 = series["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, total, "{metric}: {series}");
    }
    let hourly = app
        .get_json(
            app.admin(
                Method::GET,
                "/api/v1/campaigns/funnel/timeseries?metric=clicks&interval=hour",
            ),
            StatusCode::OK,
        )
        .await;
    assert!((48..=49).contains(&hourly["points"].as_array().unwrap().len()));

    let by_channel = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/funnel/breakdown?by=channel"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        by_channel,
        json!([
            {"value": "x", "clicks": 2, "fans": 0, "shares": 2},
            {"value": "direct", "clicks": 0, "fans": 7, "shares": 0},
            {"value": "facebook", "clicks": 0, "fans": 0, "shares": 1},
        ])
    );
    let by_device = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/funnel/breakdown?by=device"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        by_device,
        json!([
            {"value": "mobile", "clicks": 2, "fans": 0},
            {"value": "unknown", "clicks": 0, "fans": 7},
        ])
    );
    let by_referrer = app
        .get_json(
            app.admin(
                Method::GET,
                "/api/v1/campaigns/funnel/breakdown?by=referrer",
            ),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        by_referrer,
        json!([
            {"value": "social.example", "clicks": 2, "fans": 0},
            {"value": "news.example", "clicks": 0, "fans": 7},
        ])
    );
}

async fn report_queries_reject_bad_windows(app: &mut TestApp) {
    let created = app
        .create_campaign(&json!({"slug": "windows", "kind": "message",
            "landing_url": "https://www.example.com/"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    for query in [
        "stats?from=yesterday",
        "stats?from=2026-02-30",
        "stats?from=2026-11-02&to=2026-11-01",
        "stats?from=2026-11-01&to=2026-11-01",
        "stats?tz=Mars/Olympus",
        "stats?from=1969-12-31",
        "stats?to=%00",
        "timeseries",
        "timeseries?metric=likes",
        "timeseries?metric=fans&interval=week",
        "timeseries?metric=visitors&interval=hour",
        "timeseries?metric=clicks&interval=hour&from=2000-01-01",
        "breakdown",
        "breakdown?by=country",
        "cascades?from=tomorrow",
    ] {
        let response = app
            .admin(Method::GET, &format!("/api/v1/campaigns/windows/{query}"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
    let unknown = app
        .admin(Method::GET, "/api/v1/campaigns/nothing-here/stats")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let anonymous = app
        .client
        .get(app.url("/api/v1/campaigns/windows/stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// A simulated campaign (the demo's model) written through the store: the report endpoints
/// agree with what the simulation says it wrote, and with each other.
async fn reports_agree_with_a_simulated_history(app: &mut TestApp) {
    use fanfare_simulation::{Plan, simulate};

    let created = app
        .create_campaign(&json!({"slug": "simulated", "kind": "message",
            "landing_url": "https://www.example.com/"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // The history ends now, and its weekends depend on the date: with 300 fans some dates gave
    // cascades that died out at 142 fans and 873 clicks, too few for the check below.
    let plan = Plan {
        fans: 600,
        days: 20,
        seed: 11,
        ..Plan::demo()
    };
    let slug = fanfare_core::campaign::Slug::parse("simulated").unwrap();
    let id = app.store.get_campaign(&slug).await.unwrap().unwrap().id;
    let summary = simulate(&app.store, id, &plan, |_| {}).await.unwrap();
    assert!(summary.fans > 100 && summary.clicks > 1000, "{summary:?}");

    let stats = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/simulated/stats"),
            StatusCode::OK,
        )
        .await;
    let n = |key: &str| {
        stats[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {stats}"))
    };
    assert_eq!(n("fans"), summary.fans);
    assert_eq!(n("clicks") + n("bot_clicks"), summary.clicks);
    assert_eq!(n("shares"), summary.shares);
    assert_eq!(n("interactions"), summary.interactions);
    assert_eq!(n("visitors"), summary.visitors);
    // Every fan is in one cascade; each fan who was not referred starts one.
    assert_eq!(
        stats["cascades"]["count"],
        summary.fans - n("referred_fans")
    );
    let all: Value = app
        .get_json(
            app.admin(
                Method::GET,
                "/api/v1/campaigns/simulated/cascades?limit=1000",
            ),
            StatusCode::OK,
        )
        .await;
    let sizes: u64 = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["size"].as_u64().unwrap())
        .sum();
    assert_eq!(sizes, summary.fans);
    // The daily series add up to the totals, and so do the breakdowns.
    for (metric, total) in [
        ("fans", n("fans")),
        ("clicks", n("clicks")),
        ("shares", n("shares")),
        ("visitors", n("visitors")),
    ] {
        let series = app
            .get_json(
                app.admin(
                    Method::GET,
                    &format!("/api/v1/campaigns/simulated/timeseries?metric={metric}&from=2000-01-01&tz=America/New_York"),
                ),
                StatusCode::OK,
            )
            .await;
        let sum: u64 = series["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, total, "{metric}");
    }
    for by in ["channel", "device"] {
        let rows = app
            .get_json(
                app.admin(
                    Method::GET,
                    &format!("/api/v1/campaigns/simulated/breakdown?by={by}"),
                ),
                StatusCode::OK,
            )
            .await;
        let (clicks, fans) = rows.as_array().unwrap().iter().fold((0, 0), |(c, f), r| {
            (
                c + r["clicks"].as_u64().unwrap(),
                f + r["fans"].as_u64().unwrap(),
            )
        });
        assert_eq!((clicks, fans), (n("clicks"), n("fans")), "{by}");
    }
}

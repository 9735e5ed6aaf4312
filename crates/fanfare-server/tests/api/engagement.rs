//! Appropriation through HTTP: a realistic campaign computed by hand, concurrent milestones,
//! hostile interactions.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_error};

crate::on_both_backends!(
    a_realistic_campaign_ranks_levels_and_rewards_as_computed_by_hand,
    a_milestone_is_recorded_exactly_once_under_concurrent_joins,
    hostile_interactions_are_refused,
    hostile_queries_on_appropriation_endpoints_are_refused,
    the_wall_counts_reactions_lists_comments_and_shows_authors_what_waits,
);

struct Member {
    code: String,
    token: String,
}

async fn campaign(app: &TestApp, slug: &str) {
    let response = app
        .create_campaign(
            &json!({"slug": slug, "kind": "brand", "landing_url": "https://example.com/"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn join(
    app: &TestApp,
    slug: &str,
    name: &str,
    referrer: Option<&Member>,
    agent: &str,
) -> Member {
    let response = app
        .client
        .post(app.url(&format!("/api/public/campaigns/{slug}/fans")))
        .header("user-agent", agent)
        .json(&json!({"name": name, "ref": referrer.map(|r| r.code.clone())}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    Member {
        code: body["member"]["ref_code"].as_str().unwrap().to_owned(),
        token: body["member"]["token"].as_str().unwrap().to_owned(),
    }
}

async fn interact(app: &TestApp, slug: &str, who: &Member, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/public/campaigns/{slug}/interactions")))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn settings(app: &TestApp, slug: &str, body: Value) {
    let response = app
        .admin(Method::PUT, &format!("/api/v1/campaigns/{slug}/engagement"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
}

async fn a_realistic_campaign_ranks_levels_and_rewards_as_computed_by_hand(app: &mut TestApp) {
    let slug = "loyal";
    campaign(app, slug).await;
    // Ada's creations are trusted; a word is banned; rewards at 2 and 3 fans brought.
    let ada = join(app, slug, "Ada", None, "ua-ada").await;
    settings(
        app,
        slug,
        json!({
            "trusted_fans": [ada.code],
            "blocked_words": ["casino"],
            "milestones": [{"threshold": 3, "reward": "mug"}, {"threshold": 2, "reward": "sticker"}]
        }),
    )
    .await;
    // A ─ B ─ E ─ G
    //   ├ C └ F (same browser as B: flagged, with nothing below counted)
    //   └ D
    let bob = join(app, slug, "Bob", Some(&ada), "ua-bob").await;
    let cyd = join(app, slug, "Cyd", Some(&ada), "ua-cyd").await;
    let dee = join(app, slug, "Dee", Some(&ada), "ua-dee").await;
    let eve = join(app, slug, "Eve", Some(&bob), "ua-eve").await;
    let _sock = join(app, slug, "Sock", Some(&bob), "ua-bob").await;
    let _gus = join(app, slug, "Gus", Some(&eve), "ua-gus").await;

    // Appropriation.
    let like = interact(
        app,
        slug,
        &ada,
        json!({"kind": "reaction", "reaction": "like"}),
    )
    .await;
    assert_eq!(like.status(), StatusCode::CREATED);
    let like: Value = like.json().await.unwrap();
    let again = interact(
        app,
        slug,
        &ada,
        json!({"kind": "reaction", "reaction": "like"}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::OK, "reactions are idempotent");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], like["id"]);
    assert_eq!(
        interact(
            app,
            slug,
            &ada,
            json!({"kind": "reaction", "reaction": "love"})
        )
        .await
        .status(),
        StatusCode::CREATED
    );
    let wow = interact(
        app,
        slug,
        &cyd,
        json!({"kind": "reaction", "reaction": "wow"}),
    )
    .await;
    assert_eq!(wow.status(), StatusCode::CREATED);
    let taken = app
        .client
        .delete(app.url(&format!(
            "/api/public/campaigns/{slug}/interactions/reactions/wow"
        )))
        .bearer_auth(&cyd.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        taken.status(),
        StatusCode::NO_CONTENT,
        "a fan can take a reaction back"
    );
    let comment = interact(
        app,
        slug,
        &bob,
        json!({"kind": "comment", "body": "Love it <3"}),
    )
    .await;
    let comment: Value = comment.json().await.unwrap();
    assert_eq!(comment["status"], "published");
    let ada_creation: Value = interact(
        app,
        slug,
        &ada,
        json!({"kind": "creation", "body": "My story", "url": "https://img.example/ada.jpg"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (
            ada_creation["status"].as_str(),
            ada_creation["reason"].as_str()
        ),
        (Some("approved"), Some("trusted fan"))
    );
    let cyd_creation: Value = interact(
        app,
        slug,
        &cyd,
        json!({"kind": "creation", "body": "A remix", "display_name": "DJ Cyd"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(cyd_creation["status"], "pending");
    let spam: Value = interact(
        app,
        slug,
        &dee,
        json!({"kind": "creation", "body": "Visit my CASINO"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (spam["status"].as_str(), spam["reason"].as_str()),
        (Some("rejected"), Some("blocked word: casino"))
    );

    // Moderation: the queue holds Cyd's creation; it is approved.
    let queue = app
        .get_json(
            app.admin(Method::GET, &format!("/api/v1/campaigns/{slug}/moderation")),
            StatusCode::OK,
        )
        .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    assert_eq!(queue["items"][0]["id"], cyd_creation["id"]);
    let approved = app
        .get_json(
            app.admin(
                Method::POST,
                &format!("/api/v1/campaigns/{slug}/moderation/{}", cyd_creation["id"]),
            )
            .json(&json!({"decision": "approve"})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(approved["status"], "approved");
    // Eve loves Cyd's creation: it is now the hottest.
    assert_eq!(
        interact(
            app,
            slug,
            &eve,
            json!({"kind": "reaction", "reaction": "love", "target": cyd_creation["id"]})
        )
        .await
        .status(),
        StatusCode::CREATED
    );

    let public = app
        .get_json(
            app.client
                .get(app.url(&format!("/api/public/campaigns/{slug}/creations"))),
            StatusCode::OK,
        )
        .await;
    let names: Vec<&str> = public["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["DJ Cyd", "Ada"],
        "approved only, newest first, under the chosen name"
    );
    let hot = app
        .get_json(
            app.client
                .get(app.url(&format!("/api/public/campaigns/{slug}/creations?sort=hot"))),
            StatusCode::OK,
        )
        .await;
    assert_eq!(hot["items"][0]["name"], "DJ Cyd");
    assert_eq!(hot["items"][0]["reactions"], 1);

    // The leaderboard, by hand: Ada brought Bob, Cyd, Dee (3) and reaches Eve and Gus too (5;
    // Sock is flagged); Bob brought Eve (1) and reaches Gus (2); Eve brought Gus (1, reach 1).
    // Scores: Ada 2 reactions + 10 (approved creation) + 5·3 + 2·(5−3) = 31 → ambassador;
    // Bob 3 (comment) + 5·1 + 2·1 = 10 → contributor; Eve 1 reaction + 5·1 = 6 → newcomer.
    let board = app
        .get_json(
            app.client
                .get(app.url(&format!("/api/public/campaigns/{slug}/leaderboard"))),
            StatusCode::OK,
        )
        .await;
    let rows: Vec<(String, u64, u64, u64, String)> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["referred"].as_u64().unwrap(),
                r["reach"].as_u64().unwrap(),
                r["score"].as_u64().unwrap(),
                r["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Ada".into(), 3, 5, 31, "ambassador".into()),
            ("Bob".into(), 1, 2, 10, "contributor".into()),
            ("Eve".into(), 1, 1, 6, "newcomer".into()),
        ]
    );

    // Milestones: Ada reached 2 and 3, once each; Bob none (his second fan was flagged).
    let reached = app
        .get_json(
            app.admin(Method::GET, &format!("/api/v1/campaigns/{slug}/milestones")),
            StatusCode::OK,
        )
        .await;
    let reached: Vec<(String, i64, String)> = reached
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["fan"].as_str().unwrap().to_owned(),
                m["threshold"].as_i64().unwrap(),
                m["reward"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reached,
        [
            (ada.code.clone(), 2, "sticker".into()),
            (ada.code.clone(), 3, "mug".into())
        ]
    );

    // Ada's own page.
    let page = app
        .get_json(
            app.client
                .get(app.url(&format!("/api/public/campaigns/{slug}/fans/me")))
                .bearer_auth(&ada.token),
            StatusCode::OK,
        )
        .await;
    assert_eq!(page["rank"], 1);
    assert_eq!(page["level"], "ambassador");
    assert_eq!(page["referred"], 3);
    assert_eq!(page["links"].as_array().unwrap().len(), 18);
    assert_eq!(page["creations"][0]["status"], "approved");
    assert_eq!(page["milestones"].as_array().unwrap().len(), 2);
    // Every milestone reached: none next; the level above hers.
    assert_eq!(page["next_milestone"], Value::Null);
    assert_eq!(
        page["next_level"],
        json!({"name": "champion", "min_score": 100})
    );
    let dee_page = app
        .get_json(
            app.client
                .get(app.url(&format!("/api/public/campaigns/{slug}/fans/me")))
                .bearer_auth(&dee.token),
            StatusCode::OK,
        )
        .await;
    assert_eq!(dee_page["rank"], Value::Null, "no fan brought yet");
    // The lowest milestone comes next, whatever order the settings list them in.
    assert_eq!(
        dee_page["next_milestone"],
        json!({"threshold": 2, "reward": "sticker"})
    );
    assert_eq!(dee_page["next_level"]["name"], "contributor");
    assert_eq!(dee_page["next_level"]["min_score"], 10);
    let sock_page = app
        .get_json(
            app.client
                .get(app.url(&format!("/api/public/campaigns/{slug}/fans/me")))
                .bearer_auth(&_sock.token),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        sock_page["rank"],
        Value::Null,
        "a flagged fan has a page but no rank"
    );
    assert_eq!(
        dee_page["creations"][0]["status"], "rejected",
        "a creator sees their creations' status"
    );
}

async fn a_milestone_is_recorded_exactly_once_under_concurrent_joins(app: &mut TestApp) {
    let slug = "race-reward";
    campaign(app, slug).await;
    settings(
        app,
        slug,
        json!({"milestones": [{"threshold": 3, "reward": "hoodie"}]}),
    )
    .await;
    let ada = join(app, slug, "Ada", None, "ua-ada").await;
    let joins: Vec<_> = (0..10)
        .map(|i| {
            let (client, url, code) = (
                app.client.clone(),
                app.url(&format!("/api/public/campaigns/{slug}/fans")),
                ada.code.clone(),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .header("user-agent", format!("racer-{i}"))
                    .json(&json!({"name": format!("Racer {i}"), "ref": code}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for join in joins {
        assert_eq!(join.await.unwrap(), StatusCode::CREATED);
    }
    let reached = app
        .get_json(
            app.admin(Method::GET, &format!("/api/v1/campaigns/{slug}/milestones")),
            StatusCode::OK,
        )
        .await;
    assert_eq!(reached.as_array().unwrap().len(), 1, "{reached}");
    assert_eq!(reached[0]["fan"], ada.code.as_str());
    assert_eq!(reached[0]["reward"], "hoodie");
}

async fn hostile_interactions_are_refused(app: &mut TestApp) {
    let slug = "guarded-talk";
    campaign(app, slug).await;
    campaign(app, "other-talk").await;
    let ada = join(app, slug, "Ada", None, "ua-ada").await;
    let stranger = join(app, "other-talk", "Stranger", None, "ua-x").await;
    let cases = [
        (json!({"kind": "comment", "body": ""}), "empty_text"),
        (json!({"kind": "comment"}), "empty_text"),
        (
            json!({"kind": "comment", "body": "x".repeat(2001)}),
            "text_too_long",
        ),
        (
            json!({"kind": "comment", "body": "bell\u{7}"}),
            "invalid_characters",
        ),
        (
            json!({"kind": "comment", "body": "hi", "url": "https://a.example/"}),
            "unexpected_field",
        ),
        (json!({"kind": "creation"}), "empty_text"),
        (
            json!({"kind": "creation", "url": "javascript:alert(1)"}),
            "invalid_url",
        ),
        (
            json!({"kind": "creation", "url": "data:image/png;base64,AAAA"}),
            "invalid_url",
        ),
        (
            json!({"kind": "creation", "url": "http://img.example/a.jpg"}),
            "invalid_url",
        ),
        (
            json!({"kind": "creation", "body": "x", "display_name": "\u{202E}evil"}),
            "invalid_characters",
        ),
        (
            json!({"kind": "reaction", "reaction": "hate"}),
            "invalid_reaction",
        ),
        (
            json!({"kind": "reaction", "reaction": "like", "body": "x"}),
            "unexpected_field",
        ),
        (
            json!({"kind": "reaction", "reaction": "like", "target": 999_999}),
            "invalid_target",
        ),
        (json!({"kind": "poke"}), "invalid_kind"),
    ];
    for (body, code) in cases {
        let response = interact(app, slug, &ada, body.clone()).await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        assert!(error["message"].as_str().unwrap().len() > 10, "{body}");
    }
    let response = interact(
        app,
        slug,
        &ada,
        json!({"kind": "comment", "body": "x", "admin": true}),
    )
    .await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").await;

    // Markup is text.
    let markup: Value = interact(
        app,
        slug,
        &ada,
        json!({"kind": "comment", "body": "<img src=x onerror=alert(1)>"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(markup["body"], "<img src=x onerror=alert(1)>");

    // Tokens: none, forged, another campaign's.
    let none = app
        .client
        .post(app.url(&format!("/api/public/campaigns/{slug}/interactions")))
        .json(&json!({"kind": "reaction", "reaction": "like"}))
        .send()
        .await
        .unwrap();
    expect_error(none, StatusCode::UNAUTHORIZED, "missing_member_token").await;
    let forged = Member {
        code: String::new(),
        token: "fft_forged".into(),
    };
    expect_error(
        interact(
            app,
            slug,
            &forged,
            json!({"kind": "reaction", "reaction": "like"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_member_token",
    )
    .await;
    expect_error(
        interact(
            app,
            slug,
            &stranger,
            json!({"kind": "reaction", "reaction": "like"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_member_token",
    )
    .await;

    // Links on the campaign's own domains only, when it says so.
    settings(app, slug, json!({"creation_links": "allowed_domains"})).await;
    let outside = interact(
        app,
        slug,
        &ada,
        json!({"kind": "creation", "url": "https://img.example/a.jpg"}),
    )
    .await;
    expect_error(outside, StatusCode::UNPROCESSABLE_ENTITY, "url_not_allowed").await;
    let inside = interact(
        app,
        slug,
        &ada,
        json!({"kind": "creation", "url": "https://cdn.example.com/a.jpg"}),
    )
    .await;
    assert_eq!(inside.status(), StatusCode::CREATED);

    // Bad settings.
    for (body, code) in [
        (json!({"levels": []}), "invalid_levels"),
        (
            json!({"levels": [{"name": "a", "min_score": 3}]}),
            "invalid_levels",
        ),
        (
            json!({"milestones": [{"threshold": 0, "reward": "x"}]}),
            "invalid_threshold",
        ),
        (json!({"moderate_comments": "yes"}), "invalid_body"),
        (json!({"surprise": 1}), "invalid_body"),
    ] {
        let response = app
            .admin(Method::PUT, &format!("/api/v1/campaigns/{slug}/engagement"))
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    let decision = app
        .admin(
            Method::POST,
            &format!("/api/v1/campaigns/{slug}/moderation/1"),
        )
        .json(&json!({"decision": "maybe"}))
        .send()
        .await
        .unwrap();
    expect_error(
        decision,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_decision",
    )
    .await;
    let unknown = app
        .admin(
            Method::POST,
            &format!("/api/v1/campaigns/{slug}/moderation/999999"),
        )
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    expect_error(unknown, StatusCode::NOT_FOUND, "interaction_not_found").await;

    // An erased fan's token no longer works, and what they wrote is gone from public view.
    let leave = app
        .client
        .delete(app.url(&format!("/api/public/campaigns/{slug}/fans/me")))
        .bearer_auth(&ada.token)
        .send()
        .await
        .unwrap();
    assert_eq!(leave.status(), StatusCode::NO_CONTENT);
    expect_error(
        interact(
            app,
            slug,
            &ada,
            json!({"kind": "reaction", "reaction": "like"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "invalid_member_token",
    )
    .await;
    let stored = app.all_stored_text().await;
    assert!(
        !stored.contains("<img src=x onerror=alert(1)>"),
        "an erased fan's comment is erased too"
    );
}

/// A burst of interactions from one fan is limited per fan, whatever the visitor.
#[tokio::test]
async fn a_spam_burst_is_rate_limited_per_fan() {
    let config = fanfare_server::ServerConfig {
        interactions_per_minute: 3,
        ..Default::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, config).await.unwrap();
    campaign(&app, "burst-talk").await;
    let ada = join(&app, "burst-talk", "Ada", None, "ua-ada").await;
    for i in 0..3 {
        let response = app
            .client
            .post(app.url("/api/public/campaigns/burst-talk/interactions"))
            .header("user-agent", format!("browser-{i}"))
            .bearer_auth(&ada.token)
            .json(&json!({"kind": "comment", "body": format!("hello {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let burst = app
        .client
        .post(app.url("/api/public/campaigns/burst-talk/interactions"))
        .header("user-agent", "yet-another-browser")
        .bearer_auth(&ada.token)
        .json(&json!({"kind": "comment", "body": "spam"}))
        .send()
        .await
        .unwrap();
    assert!(burst.headers().contains_key("retry-after"));
    expect_error(burst, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    app.cleanup().await;
}

async fn hostile_queries_on_appropriation_endpoints_are_refused(app: &mut TestApp) {
    let slug = "queried";
    campaign(app, slug).await;
    let ada = join(app, slug, "Ada", None, "ua-ada").await;
    for path in [
        "creations?sort=random",
        "creations?limit=0",
        "creations?limit=101",
        "creations?cursor=drop%20table",
        "leaderboard?limit=0",
        "leaderboard?limit=101",
        "leaderboard?limit=-1",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/public/campaigns/{slug}/{path}")))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
    for path in [
        "moderation?kind=reaction",
        "moderation?status=deleted",
        "moderation?limit=201",
    ] {
        let response = app
            .admin(Method::GET, &format!("/api/v1/campaigns/{slug}/{path}"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
    let take_back = |path: String| {
        app.client
            .delete(app.url(&format!(
                "/api/public/campaigns/{slug}/interactions/reactions/{path}"
            )))
            .bearer_auth(&ada.token)
            .send()
    };
    let garbage = take_back("like?target=abc".into()).await.unwrap();
    expect_error(garbage, StatusCode::BAD_REQUEST, "invalid_query").await;
    let unknown = take_back("hate".into()).await.unwrap();
    expect_error(unknown, StatusCode::NOT_FOUND, "reaction_not_found").await;
    let missing = app
        .client
        .get(app.url("/api/public/campaigns/nowhere/leaderboard"))
        .send()
        .await
        .unwrap();
    expect_error(missing, StatusCode::NOT_FOUND, "campaign_not_found").await;
}

async fn wall(app: &TestApp, slug: &str, who: Option<&Member>, query: &str) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url(&format!("/api/public/campaigns/{slug}/wall{query}")));
    if let Some(who) = who {
        request = request.bearer_auth(&who.token);
    }
    request.send().await.unwrap()
}

async fn the_wall_counts_reactions_lists_comments_and_shows_authors_what_waits(app: &mut TestApp) {
    let slug = "wall";
    campaign(app, slug).await;
    settings(app, slug, json!({"moderate_comments": true})).await;
    let ada = join(app, slug, "Ada", None, "ua-ada").await;
    let bob = join(app, slug, "Bob", None, "ua-bob").await;

    let empty: Value = wall(app, slug, None, "").await.json().await.unwrap();
    assert_eq!(
        empty["reactions"],
        json!({"like": 0, "love": 0, "wow": 0, "clap": 0})
    );
    assert_eq!(empty["my_reactions"], json!([]));
    assert_eq!(empty["comments"]["items"], json!([]));

    for (who, reaction) in [(&ada, "clap"), (&ada, "like"), (&bob, "like")] {
        let given = interact(
            app,
            slug,
            who,
            json!({"kind": "reaction", "reaction": reaction}),
        )
        .await;
        assert_eq!(given.status(), StatusCode::CREATED);
    }
    // A comment waits for a moderator: its author sees it waiting, nobody else sees it.
    let comment: Value = interact(
        app,
        slug,
        &ada,
        json!({"kind": "comment", "body": "Lovely <b>colours</b>"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(comment["status"], "pending");
    let ada_wall: Value = wall(app, slug, Some(&ada), "").await.json().await.unwrap();
    assert_eq!(
        ada_wall["reactions"],
        json!({"like": 2, "love": 0, "wow": 0, "clap": 1})
    );
    assert_eq!(ada_wall["my_reactions"], json!(["like", "clap"]));
    assert_eq!(ada_wall["my_pending"][0]["body"], "Lovely <b>colours</b>");
    assert_eq!(ada_wall["comments"]["items"], json!([]));
    let bob_wall: Value = wall(app, slug, Some(&bob), "").await.json().await.unwrap();
    assert_eq!(bob_wall["my_reactions"], json!(["like"]));
    assert_eq!(bob_wall["my_pending"], json!([]));

    let approved = app
        .admin(
            Method::POST,
            &format!("/api/v1/campaigns/{slug}/moderation/{}", comment["id"]),
        )
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
    // Approved: public, newest first, by cursor.
    let second = interact(
        app,
        slug,
        &bob,
        json!({"kind": "comment", "body": "Me too"}),
    )
    .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    app.admin(
        Method::POST,
        &format!(
            "/api/v1/campaigns/{slug}/moderation/{}",
            second.json::<Value>().await.unwrap()["id"]
        ),
    )
    .json(&json!({"decision": "approve"}))
    .send()
    .await
    .unwrap();
    let first_page: Value = wall(app, slug, None, "?limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first_page["comments"]["items"][0]["body"], "Me too");
    assert_eq!(first_page["comments"]["items"][0]["name"], "Bob");
    let cursor = first_page["comments"]["next_cursor"].as_str().unwrap();
    let next: Value = wall(app, slug, None, &format!("?limit=1&cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        next["comments"]["items"][0]["body"],
        "Lovely <b>colours</b>"
    );
    assert_eq!(next["comments"]["next_cursor"], Value::Null);

    // Taking a reaction back lowers its count.
    let taken = app
        .client
        .delete(app.url(&format!(
            "/api/public/campaigns/{slug}/interactions/reactions/like"
        )))
        .bearer_auth(&ada.token)
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::NO_CONTENT);
    let after: Value = wall(app, slug, Some(&ada), "").await.json().await.unwrap();
    assert_eq!(after["reactions"]["like"], 1);
    assert_eq!(after["my_reactions"], json!(["clap"]));

    // Hostile requests: a token that is not a member's here, bad pages, no such campaign.
    let stranger = Member {
        code: String::new(),
        token: "not-a-token".into(),
    };
    expect_error(
        wall(app, slug, Some(&stranger), "").await,
        StatusCode::UNAUTHORIZED,
        "invalid_member_token",
    )
    .await;
    for query in ["?limit=0", "?limit=101", "?cursor=%00%01", "?limit=-1"] {
        let response = wall(app, slug, None, query).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
    assert_eq!(
        wall(app, "no-such-wall", None, "").await.status(),
        StatusCode::NOT_FOUND
    );
}

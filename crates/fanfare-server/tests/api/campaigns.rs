use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, expect_error};

crate::on_both_backends!(
    create_read_update_delete,
    a_campaign_survives_a_restart,
    a_duplicate_slug_is_a_conflict_and_the_first_stays,
    the_list_is_paginated_by_cursor,
    patch_changes_only_what_is_sent_and_null_clears,
    the_public_view_shows_public_fields_only,
);

fn spring() -> Value {
    json!({
        "slug": "spring-launch",
        "kind": "product",
        "title": "  The spring collection  ",
        "description": "New colours.\r\nNew cuts.",
        "landing_url": "https://www.example.com/spring?ref=home",
        "allowed_domains": ["example.com", "shop.example.net"],
        "image_url": "https://cdn.example.org/spring.jpg",
        "hashtags": ["#Spring", "fashion", "spring"]
    })
}

async fn create_read_update_delete(app: &mut TestApp) {
    let response = app.create_campaign(&spring()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["location"],
        "/api/v1/campaigns/spring-launch"
    );
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["slug"], "spring-launch");
    assert_eq!(created["kind"], "product");
    assert_eq!(created["title"], "The spring collection", "trimmed");
    assert_eq!(created["description"], "New colours.\nNew cuts.");
    assert_eq!(
        created["landing_url"],
        "https://www.example.com/spring?ref=home"
    );
    assert_eq!(
        created["allowed_domains"],
        json!(["example.com", "shop.example.net"])
    );
    assert_eq!(
        created["hashtags"],
        json!(["Spring", "fashion"]),
        "# stripped, case-insensitive duplicates dropped"
    );
    assert_eq!(created["created_at"], created["updated_at"]);

    let read = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/spring-launch"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(read, created);

    let updated = app
        .get_json(
            app.admin(Method::PATCH, "/api/v1/campaigns/spring-launch")
                .json(&json!({"title": "Spring, again", "kind": "brand"})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(updated["title"], "Spring, again");
    assert_eq!(updated["kind"], "brand");
    assert_eq!(updated["description"], created["description"]);
    assert_eq!(updated["created_at"], created["created_at"]);
    assert_ne!(updated["updated_at"], created["updated_at"]);

    let response = app
        .admin(Method::DELETE, "/api/v1/campaigns/spring-launch")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for path in [
        "/api/v1/campaigns/spring-launch",
        "/api/public/campaigns/spring-launch",
    ] {
        let response = app.admin(Method::GET, path).send().await.unwrap();
        expect_error(response, StatusCode::NOT_FOUND, "campaign_not_found").await;
    }
    let again = app
        .admin(Method::DELETE, "/api/v1/campaigns/spring-launch")
        .send()
        .await
        .unwrap();
    expect_error(again, StatusCode::NOT_FOUND, "campaign_not_found").await;
}

async fn a_campaign_survives_a_restart(app: &mut TestApp) {
    let created: Value = app.create_campaign(&spring()).await.json().await.unwrap();
    app.restart().await;
    let read = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/spring-launch"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(read, created);
}

async fn a_duplicate_slug_is_a_conflict_and_the_first_stays(app: &mut TestApp) {
    let first: Value = app.create_campaign(&spring()).await.json().await.unwrap();
    let mut second = spring();
    second["title"] = json!("Another one");
    let response = app.create_campaign(&second).await;
    let error = expect_error(response, StatusCode::CONFLICT, "slug_taken").await;
    assert!(error["message"].as_str().unwrap().contains("spring-launch"));
    let read = app
        .get_json(
            app.admin(Method::GET, "/api/v1/campaigns/spring-launch"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(read, first);
}

async fn the_list_is_paginated_by_cursor(app: &mut TestApp) {
    let slugs = ["c-one", "a-two", "b-three", "d-four", "e-five"];
    for slug in slugs {
        let response = app
            .create_campaign(
                &json!({"slug": slug, "kind": "brand", "landing_url": "https://example.com/"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/campaigns?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = app
            .get_json(app.admin(Method::GET, &path), StatusCode::OK)
            .await;
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|c| c["slug"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/campaigns?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, slugs, "creation order, each once");
    assert_eq!(pages, 3);

    let all = app
        .get_json(app.admin(Method::GET, "/api/v1/campaigns"), StatusCode::OK)
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    assert_eq!(all["next_cursor"], Value::Null);

    for bad in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "limit=-1",
        "cursor=abc",
        "cursor=1%27%20OR%201=1",
    ] {
        let response = app
            .admin(Method::GET, &format!("/api/v1/campaigns?{bad}"))
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
}

async fn patch_changes_only_what_is_sent_and_null_clears(app: &mut TestApp) {
    let created: Value = app.create_campaign(&spring()).await.json().await.unwrap();
    let path = "/api/v1/campaigns/spring-launch";

    let cleared = app
        .get_json(
            app.admin(Method::PATCH, path).json(&json!({
                "description": null,
                "image_url": null,
                "hashtags": null,
            })),
            StatusCode::OK,
        )
        .await;
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["image_url"], Value::Null);
    assert_eq!(cleared["hashtags"], json!([]));
    assert_eq!(cleared["title"], created["title"]);
    assert_eq!(cleared["allowed_domains"], created["allowed_domains"]);

    // The landing URL moves within the allowed domains: fine.
    let moved = app
        .get_json(
            app.admin(Method::PATCH, path)
                .json(&json!({"landing_url": "https://shop.example.net/"})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(moved["landing_url"], "https://shop.example.net/");

    // allowed_domains: null goes back to the landing URL's host.
    let reset = app
        .get_json(
            app.admin(Method::PATCH, path)
                .json(&json!({"allowed_domains": null})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(reset["allowed_domains"], json!(["shop.example.net"]));

    // An empty patch changes nothing but is accepted.
    let same = app
        .get_json(
            app.admin(Method::PATCH, path).json(&json!({})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(same["landing_url"], reset["landing_url"]);

    let missing = app
        .admin(Method::PATCH, "/api/v1/campaigns/nobody")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(missing, StatusCode::NOT_FOUND, "campaign_not_found").await;
}

async fn the_public_view_shows_public_fields_only(app: &mut TestApp) {
    app.create_campaign(&spring()).await;
    let response = app
        .client
        .get(app.url("/api/public/campaigns/spring-launch"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let public: Value = response.json().await.unwrap();
    let mut keys: Vec<&str> = public
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "channels",
            "description",
            "fans",
            "hashtags",
            "image_url",
            "invited_by",
            "kind",
            "landing_url",
            "links",
            "share_urls",
            "slug",
            "title"
        ]
    );
    assert_eq!(public["title"], "The spring collection");
    let unknown = app
        .client
        .get(app.url("/api/public/campaigns/nope"))
        .send()
        .await
        .unwrap();
    expect_error(unknown, StatusCode::NOT_FOUND, "campaign_not_found").await;
}

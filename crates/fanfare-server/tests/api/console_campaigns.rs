//! Setting up a campaign from the console, without curl: create, see every refused field with
//! the API's code, edit, install. Administrators only.

use fanfare_core::account::Role;
use reqwest::StatusCode;

use crate::console_support::{
    EMAIL, PASSWORD, add_user, csrf_of, get, log_in, log_in_as, post_form,
};
use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn an_administrator_creates_and_edits_a_campaign_in_the_console() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    add_user(&app, EMAIL, Role::Admin, PASSWORD).await;
    add_user(&app, "vi@example.com", Role::Viewer, PASSWORD).await;
    let admin = log_in(&app).await;
    let form = get(&app, "/admin/campaigns/new", Some(&admin)).await;
    assert_eq!(form.status(), StatusCode::OK);
    let csrf = csrf_of(&form.text().await.unwrap());
    let create = |fields: Vec<(&'static str, &'static str)>| {
        let (csrf, admin) = (csrf.clone(), admin.clone());
        let app = &app;
        async move {
            let mut all = vec![("csrf", csrf.as_str())];
            all.extend(fields);
            post_form(app, "/admin/campaigns", Some(&admin), &all).await
        }
    };

    // Every wrong field is shown at once, each with its code, and nothing is created.
    let refused = create(vec![
        ("slug", "Not A Slug"),
        ("kind", "brand"),
        ("landing_url", "javascript:alert(1)"),
    ])
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("invalid_slug") && page.contains("invalid_url"),
        "{page}"
    );
    assert!(page.contains("id=\"slug-error\"") && page.contains("id=\"landing_url-error\""));
    assert!(
        page.contains("value=\"Not A Slug\""),
        "what was typed is kept"
    );
    for (field, value, code) in [
        (
            "allowed_domains",
            "shop.example\nnot a domain!",
            "invalid_domain",
        ),
        ("channels", "x, carrier-pigeon", "invalid_channel"),
        ("brand_color", "pink", "invalid_color"),
        ("hashtags", "spring #sale!", "invalid_hashtag"),
        ("title", "\u{202e}reversed", "invalid_characters"),
    ] {
        let refused = create(vec![
            ("slug", "spring"),
            ("kind", "product"),
            ("landing_url", "https://shop.example/spring"),
            (field, value),
        ])
        .await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        let page = refused.text().await.unwrap();
        assert!(page.contains(code), "{field}: {code}");
        assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}");
    }
    assert!(
        app.store
            .get_campaign(&fanfare_core::campaign::Slug::parse("spring").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let created = create(vec![
        ("slug", "spring"),
        ("kind", "product"),
        ("title", "The spring collection"),
        ("landing_url", "https://shop.example/spring"),
        ("allowed_domains", "shop.example\nblog.example"),
        ("channels", "whatsapp, x\nlinkedin"),
        ("hashtags", "#spring sale"),
        ("brand_color", "#b0124f"),
    ])
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        created.headers()["location"],
        "/admin/campaigns/spring/install"
    );
    let campaign: serde_json::Value = app
        .client
        .get(app.url("/api/v1/campaigns/spring"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(campaign["title"], "The spring collection");
    assert_eq!(
        campaign["channels"],
        serde_json::json!(["whatsapp", "x", "linkedin"])
    );
    assert_eq!(
        campaign["allowed_domains"],
        serde_json::json!(["shop.example", "blog.example"])
    );
    assert_eq!(campaign["hashtags"], serde_json::json!(["spring", "sale"]));
    assert_eq!(campaign["brand_color"], "#b0124f");

    let install = get(&app, "/admin/campaigns/spring/install", Some(&admin)).await;
    assert_eq!(install.status(), StatusCode::OK);
    let install = install.text().await.unwrap();
    assert!(
        install.contains("/w/fanfare.js&quot; data-campaign=&quot;spring&quot;"),
        "the snippet names the campaign"
    );
    assert!(install.contains("/admin/campaigns/spring/audit"));

    let taken = create(vec![
        ("slug", "spring"),
        ("kind", "brand"),
        ("landing_url", "https://shop.example/"),
    ])
    .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert!(taken.text().await.unwrap().contains("slug_taken"));

    // Editing: the form comes filled in; a bad value is refused and changes nothing.
    let edit = get(&app, "/admin/campaigns/spring/edit", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains("value=\"The spring collection\""));
    assert!(edit.contains("whatsapp, x, linkedin"));
    let save = |fields: Vec<(&'static str, &'static str)>| {
        let (csrf, admin) = (csrf.clone(), admin.clone());
        let app = &app;
        async move {
            // As the browser sends it: the prefilled fields come back.
            let mut all = vec![
                ("csrf", csrf.as_str()),
                ("kind", "product"),
                ("allowed_domains", "shop.example\nblog.example"),
            ];
            all.extend(fields);
            post_form(app, "/admin/campaigns/spring/edit", Some(&admin), &all).await
        }
    };
    let refused = save(vec![("landing_url", "https://elsewhere.example/")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("landing_url_not_allowed")
    );
    let saved = save(vec![
        ("title", "Spring, second edition"),
        ("landing_url", "https://shop.example/spring-2"),
    ])
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let public: serde_json::Value = app
        .client
        .get(app.url("/api/public/campaigns/spring"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["title"], "Spring, second edition");
    let forged = post_form(
        &app,
        "/admin/campaigns/spring/edit",
        Some(&admin),
        &[
            ("csrf", "forged"),
            ("kind", "brand"),
            ("landing_url", "https://shop.example/"),
        ],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let missing = get(&app, "/admin/campaigns/no-such/edit", Some(&admin)).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // A viewer reads reports; the forms are refused to them, by the server.
    let viewer = log_in_as(&app, "vi@example.com", PASSWORD).await;
    for path in [
        "/admin/campaigns/new",
        "/admin/campaigns/spring/edit",
        "/admin/campaigns/spring/install",
    ] {
        assert_eq!(
            get(&app, path, Some(&viewer)).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let viewer_csrf = csrf_of(
        &get(&app, "/admin", Some(&viewer))
            .await
            .text()
            .await
            .unwrap(),
    );
    let refused = post_form(
        &app,
        "/admin/campaigns",
        Some(&viewer),
        &[
            ("csrf", &viewer_csrf),
            ("slug", "mine"),
            ("kind", "brand"),
            ("landing_url", "https://shop.example/"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    app.cleanup().await;
}

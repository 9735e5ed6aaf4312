//! The dashboard's login, sessions, CSRF and audit pages over real HTTP.

use reqwest::StatusCode;
use serde_json::json;

use fanfare_core::account::Role;

use crate::console_support::{EMAIL, PASSWORD, add_user, browser, csrf_of, get, log_in};
use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn only_a_logged_in_admin_sees_the_dashboard() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // No password yet: the login page says how to set one, and nothing logs in.
    let page = get(&app, "/admin/login", None).await.text().await.unwrap();
    assert!(page.contains("fanfare admin create-user"));
    let refused = browser()
        .post(app.url("/admin/login"))
        .form(&[("email", EMAIL), ("password", "anything at all, long")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let hash = fanfare_server::console::hash_password(PASSWORD).unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(fanfare_server::console::hash_password("short").is_err());
    add_user(&app, EMAIL, Role::Admin, PASSWORD).await;

    for path in ["/admin", "/admin/audit", "/admin/campaigns/x/audit"] {
        let anonymous = get(&app, path, None).await;
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(anonymous.headers()["location"], "/admin/login");
    }
    let forged = get(&app, "/admin", Some("fanfare_admin=forged")).await;
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);

    let wrong = browser()
        .post(app.url("/admin/login"))
        .form(&[("email", EMAIL), ("password", "not the password at all")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(!wrong.headers().contains_key("set-cookie"));
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong e-mail or password")
    );
    // An unknown address is refused the same way, and the address is matched as typed
    // differently (spaces, capitals).
    let unknown = browser()
        .post(app.url("/admin/login"))
        .form(&[("email", "nobody@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("Wrong e-mail or password")
    );
    let typed_loosely = browser()
        .post(app.url("/admin/login"))
        .form(&[("email", "  Ada@Example.COM "), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(typed_loosely.status(), StatusCode::SEE_OTHER);

    // A login posted from another site is refused (login CSRF).
    let cross_site = browser()
        .post(app.url("/admin/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    let created = app
        .create_campaign(
            &json!({"slug": "spring", "kind": "product", "title": "Spring <b>sale</b>",
            "landing_url": "https://shop.example/spring"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let cookie = log_in(&app).await;
    let home = get(&app, "/admin", Some(&cookie)).await;
    assert_eq!(home.status(), StatusCode::OK);
    let csp = home.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = home.text().await.unwrap();
    assert!(html.contains("/admin/campaigns/spring/audit"));
    assert!(
        html.contains("Spring &lt;b&gt;sale&lt;/b&gt;"),
        "titles are escaped"
    );

    // Logging out needs the form's CSRF token; then the cookie is worthless.
    let csrf = csrf_of(&html);
    let no_token = browser()
        .post(app.url("/admin/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let out = browser()
        .post(app.url("/admin/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, "/admin", Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_audit_page_draws_the_previews_and_the_fix() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    add_user(&app, EMAIL, Role::Admin, PASSWORD).await;
    let cookie = log_in(&app).await;
    let form = get(&app, "/admin/audit", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&form);

    let html = r#"<html><head><title>Spring</title>
        <meta property="og:title" content="Spring <script>alert(1)</script>">
        <meta property="og:image" content="/spring.png"></head></html>"#;
    let post = |fields: Vec<(&'static str, String)>| {
        browser()
            .post(app.url("/admin/audit"))
            .header("cookie", &cookie)
            .form(&fields)
            .send()
    };
    let refused = post(vec![("csrf", "stale".into()), ("html", html.into())])
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let audited = post(vec![
        ("csrf", csrf.clone()),
        ("html", html.into()),
        ("base_url", "https://shop.example/spring".into()),
    ])
    .await
    .unwrap();
    assert_eq!(audited.status(), StatusCode::OK);
    let page = audited.text().await.unwrap();
    for expected in [
        "aria-label=\"Facebook preview\"",
        "aria-label=\"X preview\"",
        "aria-label=\"LinkedIn preview\"",
        "src=\"https://shop.example/spring.png\"",
        "error OG1",
        "Paste into &lt;head&gt;",
        "Spring &lt;script&gt;alert(1)&lt;/script&gt;",
    ] {
        assert!(page.contains(expected), "missing {expected}");
    }
    assert!(!page.contains("<script>alert(1)"));

    // Bad input comes back as the form, with what to fix.
    for fields in [
        vec![("csrf", csrf.clone())],
        vec![
            ("csrf", csrf.clone()),
            ("url", "javascript:alert(1)".into()),
        ],
        vec![
            ("csrf", csrf.clone()),
            ("url", format!("http://127.0.0.1:{}/", 9)),
        ],
    ] {
        let response = post(fields).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("class=\"problem\""));
    }
    app.cleanup().await;
}

/// The console is HTML: a form or a query it cannot read is answered with a page, in the
/// status axum's own rejection would have, never with plain text.
#[tokio::test]
async fn unreadable_forms_and_queries_are_answered_with_a_page() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let not_a_form = browser()
        .post(app.url("/admin/login"))
        .header("content-type", "application/json")
        .body("{\"password\": \"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        not_a_form.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        not_a_form
            .text()
            .await
            .unwrap()
            .contains("could not be read")
    );

    let missing_field = browser()
        .post(app.url("/admin/login"))
        .form(&[("not_the_password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing_field.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing_field.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    app.cleanup().await;
}

#[tokio::test]
async fn password_guessing_is_slowed_to_ten_tries_a_minute() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    add_user(&app, EMAIL, Role::Admin, PASSWORD).await;
    for attempt in 0..fanfare_server::LOGINS_PER_MINUTE {
        let wrong = browser()
            .post(app.url("/admin/login"))
            .form(&[
                ("email", EMAIL.to_owned()),
                ("password", format!("guess number {attempt}")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            wrong.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // Even the right password waits now.
    let limited = browser()
        .post(app.url("/admin/login"))
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert!(!limited.headers().contains_key("set-cookie"));
    app.cleanup().await;
}

/// The campaign report over HTTP: its sections, its hostile inputs, its moderation forms.
#[tokio::test]
async fn the_campaign_report_refuses_bad_ranges_and_forged_decisions() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    add_user(&app, EMAIL, Role::Admin, PASSWORD).await;
    let created = app
        .create_campaign(&json!({"slug": "spring", "kind": "product",
            "title": "Spring <b>sale</b>", "landing_url": "https://shop.example/spring"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // A fan with a creation waiting for moderation.
    let joined: serde_json::Value = app
        .client
        .post(app.url("/api/public/campaigns/spring/fans"))
        .json(&json!({"name": "Ada <script>"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let creation: serde_json::Value = app
        .client
        .post(app.url("/api/public/campaigns/spring/interactions"))
        .bearer_auth(joined["member"]["token"].as_str().unwrap())
        .json(&json!({"kind": "creation", "body": "<img src=x onerror=alert(1)>"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = creation["id"].as_i64().unwrap();

    // Without a session: to the login page, CSV included.
    for path in [
        "/admin/campaigns/spring",
        "/admin/campaigns/spring/fans.csv",
    ] {
        assert_eq!(get(&app, path, None).await.status(), StatusCode::SEE_OTHER);
    }
    let cookie = log_in(&app).await;
    let report = get(&app, "/admin/campaigns/spring", Some(&cookie)).await;
    assert_eq!(report.status(), StatusCode::OK);
    let csp = report.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    let html = report.text().await.unwrap();
    for section in [
        "Funnel",
        "The three pillars",
        "Over time",
        "Leaderboard",
        "Largest cascades",
        "Moderation queue",
        "Fans",
    ] {
        assert!(html.contains(&format!(">{section}</h2>")), "{section}");
    }
    assert!(html.contains("Spring &lt;b&gt;sale&lt;/b&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("id=\"fanfare-series\""));
    // The vendored chart library is served by the binary, with its long cache.
    let uplot = get(&app, "/admin/assets/uplot-1.6.32.min.js", None).await;
    assert_eq!(uplot.status(), StatusCode::OK);
    assert!(
        uplot.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );

    for query in [
        "from=yesterday",
        "from=2026-12-01&to=2026-11-01",
        "to=9999-12-31",
        "from=1900-01-01",
        "from=%3Cscript%3E",
    ] {
        let response = get(
            &app,
            &format!("/admin/campaigns/spring?{query}"),
            Some(&cookie),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let page = response.text().await.unwrap();
        assert!(page.contains("role=\"alert\""), "{query}");
        assert!(!page.contains("<script>"), "{query}");
    }
    assert_eq!(
        get(&app, "/admin/campaigns/nothing-here", Some(&cookie))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let csrf = csrf_of(&html);
    let decide = |csrf: String, decision: &'static str, id: i64| {
        let cookie = cookie.clone();
        let url = app.url(&format!("/admin/campaigns/spring/moderation/{id}"));
        async move {
            browser()
                .post(url)
                .header("cookie", cookie)
                .form(&[("csrf", csrf.as_str()), ("decision", decision)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        decide("forged".into(), "approve", id).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        decide(csrf.clone(), "publish", id).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        decide(csrf.clone(), "approve", 999_999).await,
        StatusCode::NOT_FOUND
    );
    // Nothing above changed the creation.
    let still = app.store.get_interaction(1, id).await.unwrap().unwrap();
    assert_eq!(still.status.as_str(), "pending");
    assert_eq!(decide(csrf, "approve", id).await, StatusCode::SEE_OTHER);
    let approved = app.store.get_interaction(1, id).await.unwrap().unwrap();
    assert_eq!(approved.status.as_str(), "approved");

    let csv = get(&app, "/admin/campaigns/spring/fans.csv", Some(&cookie)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.text().await.unwrap().contains("Ada <script>"));
    app.cleanup().await;
}

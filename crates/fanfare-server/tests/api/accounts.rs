//! Console accounts over real HTTP: roles refused on the server, invitations, passwords.

use fanfare_core::account::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::console_support::{
    EMAIL, PASSWORD, add_user, browser, csrf_of, get, log_in, log_in_as, post_form,
};
use crate::helpers::{Backend, TestApp};

/// Roles are checked by the server on every page and form, not only by hiding links.
#[tokio::test]
async fn each_role_is_refused_what_it_may_not_do() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    add_user(&app, EMAIL, Role::Admin, PASSWORD).await;
    add_user(&app, "mo@example.com", Role::Moderator, PASSWORD).await;
    add_user(&app, "vi@example.com", Role::Viewer, PASSWORD).await;
    let created = app
        .create_campaign(&json!({"slug": "spring", "kind": "product",
            "landing_url": "https://shop.example/spring"}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let joined: serde_json::Value = app
        .client
        .post(app.url("/api/public/campaigns/spring/fans"))
        .json(&json!({"name": "Grace", "email": "grace@example.org"}))
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
        .json(&json!({"kind": "creation", "body": "My spring poster"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let decision_path = format!("/admin/campaigns/spring/moderation/{}", creation["id"]);

    let viewer = log_in_as(&app, "vi@example.com", PASSWORD).await;
    let report = get(&app, "/admin/campaigns/spring", Some(&viewer)).await;
    assert_eq!(report.status(), StatusCode::OK);
    let report = report.text().await.unwrap();
    assert!(
        !report.contains("grace@example.org"),
        "no fan's e-mail for a viewer"
    );
    assert!(
        !report.contains("My spring poster"),
        "no pending text for a viewer"
    );
    let viewer_csrf = csrf_of(&report);
    for path in [
        "/admin/campaigns/spring/moderation",
        "/admin/campaigns/spring/fans.csv",
        "/admin/campaigns/spring/audit",
        "/admin/users",
        "/admin/audit",
    ] {
        let refused = get(&app, path, Some(&viewer)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "viewer: {path}");
        assert!(refused.text().await.unwrap().contains("viewer"), "{path}");
    }
    let refused = post_form(
        &app,
        &decision_path,
        Some(&viewer),
        &[("csrf", &viewer_csrf), ("decision", "approve")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let moderator = log_in_as(&app, "mo@example.com", PASSWORD).await;
    for path in [
        "/admin/campaigns/spring",
        "/admin/users",
        "/admin/campaigns/spring/fans.csv",
    ] {
        let refused = get(&app, path, Some(&moderator)).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "moderator: {path}");
    }
    let queue = get(&app, "/admin/campaigns/spring/moderation", Some(&moderator)).await;
    assert_eq!(queue.status(), StatusCode::OK);
    let queue = queue.text().await.unwrap();
    assert!(queue.contains("My spring poster"));
    let moderator_csrf = csrf_of(&queue);
    let refused = post_form(
        &app,
        "/admin/users",
        Some(&moderator),
        &[
            ("csrf", &moderator_csrf),
            ("email", "eve@example.com"),
            ("role", "admin"),
        ],
    )
    .await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "a moderator cannot add users"
    );
    let approved = post_form(
        &app,
        &decision_path,
        Some(&moderator),
        &[("csrf", &moderator_csrf), ("decision", "approve")],
    )
    .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        approved.headers()["location"],
        "/admin/campaigns/spring/moderation"
    );

    // An administrator demotes the moderator: it holds at their next request.
    let admin = log_in(&app).await;
    let users = get(&app, "/admin/users", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&users);
    let mo = app
        .store
        .find_user_by_email("mo@example.com")
        .await
        .unwrap()
        .unwrap();
    let demoted = post_form(
        &app,
        &format!("/admin/users/{}/role", mo.id),
        Some(&admin),
        &[("csrf", &csrf), ("role", "viewer")],
    )
    .await;
    assert_eq!(demoted.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, "/admin/campaigns/spring/moderation", Some(&moderator))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // Removed: their session ends with them.
    let removed = post_form(
        &app,
        &format!("/admin/users/{}/remove", mo.id),
        Some(&admin),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let gone = get(&app, "/admin", Some(&moderator)).await;
    assert_eq!(gone.headers()["location"], "/admin/login");

    // Fanfare keeps an administrator: the last one can neither step down nor be removed.
    let ada = app.store.find_user_by_email(EMAIL).await.unwrap().unwrap();
    let step_down = post_form(
        &app,
        &format!("/admin/users/{}/role", ada.id),
        Some(&admin),
        &[("csrf", &csrf), ("role", "viewer")],
    )
    .await;
    assert_eq!(step_down.status(), StatusCode::CONFLICT);
    assert!(
        step_down
            .text()
            .await
            .unwrap()
            .contains("last_administrator")
    );
    let itself = post_form(
        &app,
        &format!("/admin/users/{}/remove", ada.id),
        Some(&admin),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(itself.status(), StatusCode::CONFLICT);
    let unknown_role = post_form(
        &app,
        &format!("/admin/users/{}/role", ada.id),
        Some(&admin),
        &[("csrf", &csrf), ("role", "root")],
    )
    .await;
    assert_eq!(unknown_role.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let forged = post_form(
        &app,
        &format!("/admin/users/{}/role", mo.id + 1000),
        Some(&admin),
        &[("csrf", "forged"), ("role", "admin")],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    app.cleanup().await;
}

/// An administrator invites someone with a one-time link; they choose a password there and are
/// logged in with the role they were given; the link then opens nothing.
#[tokio::test]
async fn an_invitation_link_works_once_and_bad_fields_say_what_to_fix() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    add_user(&app, EMAIL, Role::Admin, PASSWORD).await;
    let admin = log_in(&app).await;
    let users = get(&app, "/admin/users", Some(&admin))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&users);
    let invite = |email: &'static str, role: &'static str| {
        let (csrf, admin) = (csrf.clone(), admin.clone());
        let app = &app;
        async move {
            post_form(
                app,
                "/admin/users",
                Some(&admin),
                &[("csrf", &csrf), ("email", email), ("role", role)],
            )
            .await
        }
    };
    for (email, role, status, code) in [
        ("not an address", "viewer", 422, "invalid_email"),
        ("bob@example.com", "superuser", 422, "invalid_role"),
        ("ADA@example.com", "viewer", 409, "email_taken"),
    ] {
        let refused = invite(email, role).await;
        assert_eq!(refused.status().as_u16(), status, "{email} {role}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(code), "{code}");
        assert!(
            page.contains("aria-invalid=\"true\""),
            "the field is marked"
        );
    }
    let created = invite("bob@example.com", "viewer").await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let page = created.text().await.unwrap();
    let link = page
        .split("id=\"one-time-link\"")
        .next()
        .and_then(|before| before.rsplit("value=\"").next())
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let path = link
        .strip_prefix(&app.url(""))
        .map(|p| format!("/{}", p.trim_start_matches('/')))
        .unwrap_or_else(|| panic!("{link} is on this server"));
    assert!(path.starts_with("/admin/welcome/ffi_"), "{path}");
    let welcome = get(&app, &path, None).await;
    assert_eq!(welcome.status(), StatusCode::OK);
    assert_eq!(welcome.headers()["referrer-policy"], "same-origin");

    let choose = |password: &'static str, repeat: &'static str| {
        let path = path.clone();
        let app = &app;
        async move {
            post_form(
                app,
                &path,
                None,
                &[("password", password), ("repeat", repeat)],
            )
            .await
        }
    };
    let weak = choose("short", "short").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.text().await.unwrap().contains("weak_password"));
    let mismatch = choose("a long new password", "another long password").await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.text().await.unwrap().contains("password_mismatch"));
    let cross_site = browser()
        .post(app.url(&path))
        .header("origin", "https://evil.example")
        .form(&[
            ("password", "a long new password"),
            ("repeat", "a long new password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let accepted = choose("a long new password", "a long new password").await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let bob = accepted.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let home = get(&app, "/admin", Some(&bob)).await.text().await.unwrap();
    assert!(home.contains("bob@example.com"));
    assert_eq!(
        get(&app, "/admin/users", Some(&bob)).await.status(),
        StatusCode::FORBIDDEN,
        "bob is a viewer"
    );
    assert_eq!(
        get(&app, &path, None).await.status(),
        StatusCode::NOT_FOUND,
        "used once"
    );
    assert_eq!(
        get(&app, "/admin/welcome/ffi_forged", None).await.status(),
        StatusCode::NOT_FOUND
    );
    log_in_as(&app, "bob@example.com", "a long new password").await;
    app.cleanup().await;
}

/// Each user changes their own password; their other sessions end, the old password stops working.
#[tokio::test]
async fn a_user_changes_their_own_password() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    add_user(&app, "vi@example.com", Role::Viewer, PASSWORD).await;
    let here = log_in_as(&app, "vi@example.com", PASSWORD).await;
    let elsewhere = log_in_as(&app, "vi@example.com", PASSWORD).await;
    let page = get(&app, "/admin/account", Some(&here))
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let change = |current: &'static str, password: &'static str, repeat: &'static str| {
        let (csrf, here) = (csrf.clone(), here.clone());
        let app = &app;
        async move {
            post_form(
                app,
                "/admin/account",
                Some(&here),
                &[
                    ("csrf", &csrf),
                    ("current", current),
                    ("password", password),
                    ("repeat", repeat),
                ],
            )
            .await
        }
    };
    let wrong = change(
        "not my password",
        "a brand new password",
        "a brand new password",
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("wrong_password"));
    let weak = change(PASSWORD, "tiny", "tiny").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = change(PASSWORD, "a brand new password", "a brand new password").await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("was changed"));
    assert_eq!(
        get(&app, "/admin", Some(&here)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&app, "/admin", Some(&elsewhere)).await.headers()["location"],
        "/admin/login"
    );
    let old = post_form(
        &app,
        "/admin/login",
        None,
        &[("email", "vi@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    log_in_as(&app, "vi@example.com", "a brand new password").await;
    app.cleanup().await;
}

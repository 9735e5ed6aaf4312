//! What the console's tests share: a browser-like client that reads redirects, users, logins,
//! pages and forms.

use fanfare_core::account::Role;
use fanfare_store::{NewUser, User};
use reqwest::StatusCode;

use crate::helpers::TestApp;

pub const PASSWORD: &str = "correct horse battery staple";
pub const EMAIL: &str = "ada@example.com";

/// Adds a console user with this address, role and password.
pub async fn add_user(app: &TestApp, email: &str, role: Role, password: &str) -> User {
    let hash = fanfare_server::console::hash_password(password).unwrap();
    app.store
        .create_user(&NewUser {
            email: email.into(),
            role,
            password_hash: Some(hash),
            invite: None,
        })
        .await
        .unwrap()
}

/// Reads the dashboard's redirects (to the login page, after a login) instead of following them.
pub fn browser() -> reqwest::Client {
    crate::helpers::no_redirects()
}

/// Logs in as the administrator and returns the session cookie (`name=value`).
pub async fn log_in(app: &TestApp) -> String {
    log_in_as(app, EMAIL, PASSWORD).await
}

/// Logs in and returns the session cookie (`name=value`).
pub async fn log_in_as(app: &TestApp, email: &str, password: &str) -> String {
    let response = browser()
        .post(app.url("/admin/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/admin"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

pub async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = browser().get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

/// Posts a console form with this session's cookie.
pub async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = browser().post(app.url(path)).form(fields);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

//! Each user's own account: change one's password; and the one-time link (an invitation or a
//! lost password) where a user chooses a password and is logged in.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fanfare_core::ValidationError;
use fanfare_core::error_code::ErrorCode;
use fanfare_core::fan::hash_secret;
use fanfare_store::{AdminSession, User};
use maud::{Markup, html};
use serde::Deserialize;

use super::extract::PageForm;
use super::layout::{described_by, field_error, form_status, invalid, layout, page, refusal};
use super::login::{password_matches, start_session};
use super::session::{anyone, csrf_refused, form_is_genuine, hash_password, signed_in};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

/// The two "new password" fields, with their errors.
fn new_password_fields(errors: &[ValidationError]) -> Markup {
    html! {
        label for="password" { "New password (12 characters at least)" }
        input type="password" id="password" name="password" autocomplete="new-password" required
            aria-invalid=[invalid("password", errors)] aria-describedby=[described_by("password", errors)];
        (field_error("password", errors))
        label for="repeat" { "The new password again" }
        input type="password" id="repeat" name="repeat" autocomplete="new-password" required
            aria-invalid=[invalid("repeat", errors)] aria-describedby=[described_by("repeat", errors)];
        (field_error("repeat", errors))
    }
}

/// The new password's hash, or why it is refused.
async fn new_password_hash(form: &PasswordForm) -> ApiResult<Result<String, ValidationError>> {
    if form.password != form.repeat {
        return Ok(Err(ValidationError::new(
            "repeat",
            ErrorCode::PasswordMismatch,
            "the two new passwords differ: type the same one twice",
        )));
    }
    let password = form.password.clone();
    // Hashing is slow on purpose: off the async runtime.
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(format!("password hash: {e}")))
        .map(|hash| {
            hash.map_err(|why| ValidationError::new("password", ErrorCode::WeakPassword, why))
        })
}

fn account_page(current: &AdminSession, errors: &[ValidationError], done: bool) -> Response {
    let body = html! {
        h1 { "Your account" }
        p { (current.user.email) ", " b { (current.user.role) } " (" (current.user.role.describe()) ")" }
        @if done {
            p.done role="status" { "Your password was changed. Your other sessions were ended." }
        }
        h2 { "Change your password" }
        form method="post" action="/admin/account" novalidate {
            input type="hidden" name="csrf" value=(current.csrf_token);
            label for="current" { "Current password" }
            input type="password" id="current" name="current" autocomplete="current-password" required
                aria-invalid=[invalid("current", errors)] aria-describedby=[described_by("current", errors)];
            (field_error("current", errors))
            (new_password_fields(errors))
            p { button type="submit" { "Change my password" } }
        }
    };
    page(
        form_status(errors),
        layout("Your account", Some(current), html! {}, body),
    )
}

pub async fn account(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    match signed_in(&state, &headers, anyone).await? {
        Ok(current) => Ok(account_page(&current, &[], false)),
        Err(response) => Ok(response),
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<PasswordForm>,
) -> ApiResult<Response> {
    let current = match signed_in(&state, &headers, anyone).await? {
        Ok(current) => current,
        Err(response) => return Ok(response),
    };
    if !form_is_genuine(&state, &headers, &current, &form.csrf) {
        return Ok(csrf_refused());
    }
    // Guessing the current password here is as limited as at the login.
    if state
        .login_limiter
        .check(("password change", current.user.id))
        .is_err()
    {
        return Ok(refusal(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            Some(&current),
            "Too many attempts: wait a minute before trying again.",
        ));
    }
    let current_hash = current.user.password_hash.clone();
    if !password_matches(current_hash, form.current.clone()).await? {
        let wrong = ValidationError::new(
            "current",
            ErrorCode::WrongPassword,
            "this is not your current password",
        );
        return Ok(account_page(&current, &[wrong], false));
    }
    let hash = match new_password_hash(&form).await? {
        Ok(hash) => hash,
        Err(error) => return Ok(account_page(&current, &[error], false)),
    };
    state
        .store
        .set_user_password(current.user.id, &hash, Some(&current.token_hash))
        .await?;
    tracing::info!(
        user = current.user.id,
        "console user changed their password"
    );
    Ok(account_page(&current, &[], true))
}

/// The user a one-time link opens, or the page that says it opens nothing.
async fn invited(state: &AppState, token: &str) -> ApiResult<Result<User, Response>> {
    match state.store.find_user_by_invite(&hash_secret(token)).await? {
        Some(user) => Ok(Ok(user)),
        None => Ok(Err(refusal(
            StatusCode::NOT_FOUND,
            "Link not valid",
            None,
            "This link is not valid any more (used, replaced or expired): ask an administrator for a new one.",
        ))),
    }
}

fn welcome_page(user: &User, token: &str, errors: &[ValidationError]) -> Response {
    let body = html! {
        h1 { "Welcome to Fanfare" }
        p { "Choose a password for " b { (user.email) } " (" (user.role) ": " (user.role.describe()) ")." }
        form method="post" action={ "/admin/welcome/" (token) } novalidate {
            (new_password_fields(errors))
            p { button type="submit" { "Set my password and log in" } }
        }
    };
    page(form_status(errors), layout("Welcome", None, html! {}, body))
}

pub async fn welcome(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Response> {
    match invited(&state, &token).await? {
        Ok(user) => Ok(welcome_page(&user, &token, &[])),
        Err(response) => Ok(response),
    }
}

pub async fn accept(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(token): ApiPath<String>,
    PageForm(form): PageForm<PasswordForm>,
) -> ApiResult<Response> {
    // No session yet, so no CSRF token: the link's own secret and the Origin check stand in.
    if !super::session::same_origin(&state, &headers) {
        return Ok(csrf_refused());
    }
    let user = match invited(&state, &token).await? {
        Ok(user) => user,
        Err(response) => return Ok(response),
    };
    let hash = match new_password_hash(&form).await? {
        Ok(hash) => hash,
        Err(error) => return Ok(welcome_page(&user, &token, &[error])),
    };
    state.store.set_user_password(user.id, &hash, None).await?;
    tracing::info!(
        user = user.id,
        "console user set their password from a one-time link"
    );
    start_session(&state, user.id).await
}

//! Logging in and out of the console.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fanfare_core::fan::Secret;
use fanfare_store::NewAdminSession;
use maud::html;
use serde::Deserialize;

use super::extract::PageForm;
use super::layout::{layout, page, problem, refusal};
use super::session::{
    COOKIE, CsrfForm, SESSION_HOURS, csrf_refused, hash_password, same_origin, session, to_login,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::visitor::Client;

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if session(&state, &headers).await?.is_some() {
        return Ok(Redirect::to("/admin").into_response());
    }
    login_form(StatusCode::OK, None, "", &state).await
}

async fn login_form(
    status: StatusCode,
    trouble: Option<&str>,
    email: &str,
    state: &AppState,
) -> ApiResult<Response> {
    let no_user_yet = state.store.list_users().await?.is_empty();
    let body = html! {
        h1 { "Log in" }
        @if no_user_yet {
            p.problem {
                "No account exists yet: run "
                code { "fanfare admin create-user --email you@example.com --role admin" }
                " on the server."
            }
        }
        @if let Some(trouble) = trouble { (problem(trouble)) }
        form method="post" action="/admin/login" {
            label for="email" { "E-mail" }
            input type="email" id="email" name="email" autocomplete="username" value=(email) required;
            label for="password" { "Password" }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            p { button type="submit" { "Log in" } }
        }
    };
    Ok(page(status, layout("Log in", None, html! {}, body)))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    password: String,
}

/// Compared against when the address has no account, so that a wrong address takes as long to
/// refuse as a wrong password and the timing does not tell which addresses have accounts.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("a decoy password no one has").unwrap_or_default());

/// Whether `password` matches the PHC string `hash` (off the async runtime: hashing is slow on
/// purpose).
pub async fn password_matches(hash: Option<String>, password: String) -> ApiResult<bool> {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| DECOY_HASH.clone());
    let valid = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password check: {e}")))?;
    Ok(known && valid)
}

pub async fn login(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> ApiResult<Response> {
    let email = form.email.trim().to_lowercase();
    if let Err(wait) = state.login_limiter.check(client.ip) {
        let mut response = login_form(
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many attempts: wait a minute before trying again."),
            &email,
            &state,
        )
        .await?;
        if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Ok(response);
    }
    if !same_origin(&state, &headers) {
        return Ok(refusal(
            StatusCode::FORBIDDEN,
            "Refused",
            None,
            "A login from another site was refused.",
        ));
    }
    let user = state.store.find_user_by_email(&email).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let user = match user {
        Some(user) if password_matches(hash, form.password).await? => user,
        _ => {
            tracing::warn!("console login refused: wrong e-mail or password");
            return login_form(
                StatusCode::UNAUTHORIZED,
                Some("Wrong e-mail or password."),
                &email,
                &state,
            )
            .await;
        }
    };
    start_session(&state, user.id).await
}

/// Opens a session for the user and sends them to the console's first page.
pub async fn start_session(state: &AppState, user_id: i64) -> ApiResult<Response> {
    // The same kind of secret as a fan's member token: 256 random bits, kept by its SHA-256.
    let token = Secret::generate("ffs_");
    state
        .store
        .create_admin_session(&NewAdminSession {
            token_hash: token.hash,
            user_id,
            csrf_token: Secret::generate("").value,
            expires_at: fanfare_store::now() + chrono::Duration::hours(SESSION_HOURS),
        })
        .await?;
    // Secure when served over https (browsers drop Secure cookies on plain http but localhost).
    let secure = if state.config.base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        token.value,
        SESSION_HOURS * 3600
    );
    let mut response = Redirect::to("/admin").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(format!("cookie: {e}")))?,
    );
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<CsrfForm>,
) -> ApiResult<Response> {
    let Some(current) = session(&state, &headers).await? else {
        return Ok(to_login());
    };
    if form.csrf != current.csrf_token {
        return Ok(csrf_refused());
    }
    state
        .store
        .delete_admin_session(&current.token_hash)
        .await?;
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "fanfare_admin=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(response)
}

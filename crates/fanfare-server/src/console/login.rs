//! Logging in and out of the console.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fanfare_core::fan::Secret;
use fanfare_store::AdminSession;
use maud::html;
use serde::Deserialize;

use super::extract::PageForm;
use super::layout::{layout, page, problem, refusal};
use super::session::{
    COOKIE, CsrfForm, SESSION_HOURS, csrf_refused, same_origin, session, to_login,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::visitor::Client;

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if session(&state, &headers).await?.is_some() {
        return Ok(Redirect::to("/admin").into_response());
    }
    login_form(StatusCode::OK, None, &state).await
}

async fn login_form(
    status: StatusCode,
    trouble: Option<&str>,
    state: &AppState,
) -> ApiResult<Response> {
    let configured = state.store.admin_password_hash().await?.is_some();
    let body = html! {
        h1 { "Log in" }
        @if !configured {
            p.problem {
                "No password is set yet: run " code { "fanfare admin set-password" } " on the server."
            }
        }
        @if let Some(trouble) = trouble { (problem(trouble)) }
        form method="post" action="/admin/login" {
            label for="password" { "Password" }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            p { button type="submit" { "Log in" } }
        }
    };
    Ok(page(status, layout("Log in", None, html! {}, body)))
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> ApiResult<Response> {
    if let Err(wait) = state.login_limiter.check(client.ip) {
        let mut response = login_form(
            StatusCode::TOO_MANY_REQUESTS,
            Some("Too many attempts: wait a minute before trying again."),
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
    let Some(hash) = state.store.admin_password_hash().await? else {
        return login_form(
            StatusCode::UNAUTHORIZED,
            Some("No password is set yet."),
            &state,
        )
        .await;
    };
    // Hashing is deliberately slow: off the async runtime.
    let password = form.password;
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
    if !valid {
        tracing::warn!("dashboard login refused: wrong password");
        return login_form(StatusCode::UNAUTHORIZED, Some("Wrong password."), &state).await;
    }
    // The same kind of secret as a fan's member token: 256 random bits, kept by its SHA-256.
    let token = Secret::generate("ffs_");
    state
        .store
        .create_admin_session(&AdminSession {
            token_hash: token.hash,
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

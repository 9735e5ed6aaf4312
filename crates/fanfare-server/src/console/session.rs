//! Who is logged in and what they may do: passwords (argon2id), the session cookie (HttpOnly,
//! SameSite=Strict, kept server-side by its SHA-256), the role each page asks for, and the CSRF
//! and origin checks every form passes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fanfare_core::account::{Role, check_password};
use fanfare_core::fan::hash_secret;
use fanfare_store::AdminSession;
use rand::RngCore;
use serde::Deserialize;
use url::Url;

use super::layout::refusal;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::widget::is_own_origin;

pub const COOKIE: &str = "fanfare_admin";
pub const SESSION_HOURS: i64 = 12;

/// An argon2id hash (PHC string) of a new console password.
pub fn hash_password(password: &str) -> Result<String, String> {
    check_password(password)?;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| format!("cannot make a salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

pub async fn session(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<AdminSession>> {
    match cookie_token(headers) {
        Some(token) => Ok(state.store.find_admin_session(&hash_secret(&token)).await?),
        None => Ok(None),
    }
}

/// The session of a user whose role passes `allowed`; otherwise the page to answer instead (the
/// login, or a refusal that names the role). Checked on the server for every page and form, so
/// that a link hidden from a role is not merely hidden.
pub async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    allowed: fn(Role) -> bool,
) -> ApiResult<Result<AdminSession, Response>> {
    let Some(current) = session(state, headers).await? else {
        return Ok(Err(to_login()));
    };
    if !allowed(current.user.role) {
        let message = format!(
            "Your role ({}: {}) does not allow this page. Ask an administrator if you need it.",
            current.user.role,
            current.user.role.describe()
        );
        return Ok(Err(refusal(
            StatusCode::FORBIDDEN,
            "Not allowed",
            Some(&current),
            &message,
        )));
    }
    Ok(Ok(current))
}

/// Any signed-in user.
pub fn anyone(_: Role) -> bool {
    true
}

/// Whether a form was posted by this session's page on this site.
pub fn form_is_genuine(
    state: &AppState,
    headers: &HeaderMap,
    current: &AdminSession,
    csrf: &str,
) -> bool {
    csrf == current.csrf_token && same_origin(state, headers)
}

pub fn to_login() -> Response {
    Redirect::to("/admin/login").into_response()
}

/// A form post from another site (a login CSRF, say) carries a foreign Origin: refused.
pub fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin with every form POST; a client without one is not a browser.
        return true;
    };
    Url::parse(origin).is_ok_and(|origin| is_own_origin(state, headers, &origin))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub fn csrf_refused() -> Response {
    refusal(
        StatusCode::FORBIDDEN,
        "Refused",
        None,
        "This form is out of date or came from another site. Go back, reload the page and try again.",
    )
}

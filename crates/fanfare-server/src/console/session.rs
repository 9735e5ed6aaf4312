//! Who is logged in: the password (argon2id), the session cookie (HttpOnly, SameSite=Strict,
//! kept server-side by its SHA-256), and the CSRF and origin checks every form passes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
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

/// An argon2id hash (PHC string) of a new dashboard password.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < 12 {
        return Err("the password must have at least 12 characters".into());
    }
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

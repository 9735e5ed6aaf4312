//! `Authorization: Bearer <key>` for the admin API. Keys are looked up by their SHA-256, so the
//! key itself is never stored nor compared byte by byte.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use fanfare_core::api_key::{ApiKeyRecord, hash_api_key};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn require_api_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let secret = bearer_token(&request).ok_or(ApiError::MissingApiKey)?;
    let key = state
        .store
        .find_api_key(&hash_api_key(secret))
        .await?
        .ok_or(ApiError::InvalidApiKey)?;
    if key.revoked_at.is_some() {
        return Err(ApiError::RevokedApiKey);
    }
    tracing::Span::current().record("api_key", key.id);
    request.extensions_mut().insert::<ApiKeyRecord>(key);
    Ok(next.run(request).await)
}

fn bearer_token(request: &Request) -> Option<&str> {
    bearer_from_headers(request.headers())
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
pub fn bearer_from_headers(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

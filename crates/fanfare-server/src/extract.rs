//! axum's extractors, with their rejections turned into [`ApiError`] so that a malformed body,
//! query or path gets the same JSON error shape as everything else.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// A raw body (the page-view beacon's, whatever its content type).
#[derive(Debug)]
pub struct ApiBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Ok(Self(axum::body::Bytes::from_request(request, state).await?))
    }
}

/// A JSON body too large to decode on the async runtime's workers (the audit's pasted HTML, up
/// to 10 MB): read, then decoded on a blocking thread, with the errors `ApiJson` gives.
#[derive(Debug)]
pub struct ApiLargeJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send + 'static> FromRequest<S> for ApiLargeJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let essence = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let is_json = essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let ApiBytes(body) = ApiBytes::from_request(request, state).await?;
        let decoded = tokio::task::spawn_blocking(move || serde_json::from_slice::<T>(&body))
            .await
            .map_err(|e| ApiError::Internal(format!("JSON decoding stopped: {e}")))?;
        decoded.map(Self).map_err(|e| {
            if e.is_data() {
                ApiError::InvalidBody(format!(
                    "Failed to deserialize the JSON body into the target type: {e}"
                ))
            } else {
                ApiError::InvalidJson(format!("Failed to parse the request body as JSON: {e}"))
            }
        })
    }
}

impl<T: Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

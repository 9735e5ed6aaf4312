//! One error type for every handler. Each variant has a stable `code`, an HTTP status and a
//! message that tells the caller how to fix the request. Internal failures are logged with their
//! details and answered with a generic message: SQL, host names and stack traces never leak.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fanfare_core::ValidationError;
use fanfare_core::error_code::ErrorCode;
use fanfare_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The largest request body accepted, in bytes. Campaign settings are a few kilobytes at most.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// The JSON body of every error: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code to match on; the table of codes, with their statuses, is `ErrorCode`.
    pub code: ErrorCode,
    /// What went wrong and how to fix it.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub enum ApiError {
    /// A field failed validation (422).
    Invalid(ValidationError),
    /// The body is not valid JSON (400).
    InvalidJson(String),
    /// Valid JSON of the wrong shape: wrong types, unknown or missing fields (422).
    InvalidBody(String),
    /// A query parameter is malformed (400).
    InvalidQuery(String),
    /// A path parameter is malformed (400), e.g. a slug with capitals.
    InvalidPath {
        code: ErrorCode,
        message: String,
    },
    UnsupportedMediaType,
    PayloadTooLarge,
    /// No `Authorization: Bearer` header (401).
    MissingApiKey,
    /// A bearer key that matches no key (401).
    InvalidApiKey,
    /// A key that was revoked (401).
    RevokedApiKey,
    /// No `Authorization: Bearer <member token>` (401).
    MissingMemberToken,
    /// A member token that is unknown, erased, or of another campaign (401).
    InvalidMemberToken,
    /// A request that is well formed but cannot be carried out as asked (422).
    Unprocessable {
        code: ErrorCode,
        field: Option<&'static str>,
        message: String,
    },
    /// A browser call from a site outside the campaign's allowed domains (403).
    OriginNotAllowed(String),
    /// Too many requests from one visitor (429), with the seconds to wait.
    RateLimited {
        retry_after_secs: u64,
    },
    NotFound {
        code: ErrorCode,
        message: String,
    },
    MethodNotAllowed,
    Conflict {
        code: ErrorCode,
        message: String,
    },
    /// The database cannot be reached right now (503).
    Unavailable,
    /// Too busy to record a click durably right now (503).
    Busy,
    /// A bug: logged in full, answered with a generic message (500).
    Internal(String),
}

impl ApiError {
    pub fn campaign_not_found(slug: &str) -> Self {
        Self::NotFound {
            code: ErrorCode::CampaignNotFound,
            message: format!("there is no campaign with slug \"{slug}\""),
        }
    }

    /// The status of the code's table entry, except for a path parameter that failed
    /// validation: 400, whatever its code (the URL is at fault, not a body).
    pub fn status(&self) -> StatusCode {
        if let Self::InvalidPath { .. } = self {
            return StatusCode::BAD_REQUEST;
        }
        StatusCode::from_u16(self.code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(e) => e.code,
            Self::InvalidJson(_) => ErrorCode::InvalidJson,
            Self::InvalidBody(_) => ErrorCode::InvalidBody,
            Self::InvalidQuery(_) => ErrorCode::InvalidQuery,
            Self::InvalidPath { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. } => *code,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::MissingApiKey => ErrorCode::MissingApiKey,
            Self::InvalidApiKey => ErrorCode::InvalidApiKey,
            Self::RevokedApiKey => ErrorCode::RevokedApiKey,
            Self::MissingMemberToken => ErrorCode::MissingMemberToken,
            Self::InvalidMemberToken => ErrorCode::InvalidMemberToken,
            Self::OriginNotAllowed(_) => ErrorCode::OriginNotAllowed,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::Unavailable => ErrorCode::DatabaseUnavailable,
            Self::Busy => ErrorCode::Overloaded,
            Self::Internal(_) => ErrorCode::InternalError,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Invalid(e) => e.message.clone(),
            Self::InvalidJson(detail)
            | Self::InvalidBody(detail)
            | Self::InvalidQuery(detail)
            | Self::OriginNotAllowed(detail) => detail.clone(),
            Self::InvalidPath { message, .. }
            | Self::Unprocessable { message, .. }
            | Self::NotFound { message, .. }
            | Self::Conflict { message, .. } => message.clone(),
            Self::PayloadTooLarge => format!(
                "the request body is larger than {} KiB; send less",
                BODY_LIMIT_BYTES / 1024
            ),
            Self::RateLimited { retry_after_secs } => {
                format!("too many requests from this visitor; retry in {retry_after_secs} s")
            }
            // Nothing more to say than what the code means: the table's message.
            Self::UnsupportedMediaType
            | Self::MissingApiKey
            | Self::InvalidApiKey
            | Self::RevokedApiKey
            | Self::MissingMemberToken
            | Self::InvalidMemberToken
            | Self::MethodNotAllowed
            | Self::Unavailable
            | Self::Busy
            | Self::Internal(_) => self.code().default_message().to_owned(),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::Invalid(error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            // A campaign (or fan, or link) deleted between the handler's read and its write.
            StoreError::Gone => Self::NotFound {
                code: ErrorCode::NoLongerExists,
                message: "what this request refers to was deleted meanwhile (a campaign, a fan \
                          or a link); it no longer exists"
                    .into(),
            },
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                Self::Unavailable
            }
            // Handlers that can hit a conflict map it themselves with a precise message; one
            // that reaches here is a conflict no handler expected.
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => Self::InvalidBody(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => Self::InvalidJson(e.body_text()),
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            other => Self::InvalidBody(other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::PayloadTooLarge
        } else {
            Self::InvalidBody(rejection.body_text())
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::InvalidQuery(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::InvalidPath {
            code: ErrorCode::InvalidPath,
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let field = match &self {
            Self::Invalid(e) => Some(e.field.clone()),
            Self::Unprocessable { field, .. } => field.map(str::to_owned),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.message(),
                field,
            },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            Self::MissingApiKey
            | Self::InvalidApiKey
            | Self::RevokedApiKey
            | Self::MissingMemberToken
            | Self::InvalidMemberToken => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"fanfare\""),
                );
            }
            Self::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            Self::Unavailable => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            Self::Busy => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A panic in a handler answers a JSON 500 rather than dropping the connection.
pub fn panicked(_: Box<dyn std::any::Any + Send>) -> Response {
    ApiError::Internal("a handler panicked".into()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_about_something_deleted_meanwhile_is_a_404() {
        let error = ApiError::from(StoreError::Gone);
        assert_eq!(error.status(), StatusCode::NOT_FOUND);
        assert_eq!(error.code(), ErrorCode::NoLongerExists);
        // A database failure stays a 500 (and is logged), never a 404.
        let error = ApiError::from(StoreError::Database("boom".into()));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}

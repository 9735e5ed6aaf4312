//! The console's own extractors: a form or a query the server cannot read is answered with a
//! page that says so (the console is HTML), not with axum's plain-text rejection.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::html::notice_page;

/// `axum::Form`, refused as a page.
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        axum::Form::<T>::from_request(request, state)
            .await
            .map(|axum::Form(value)| Self(value))
            .map_err(|rejection: FormRejection| refused(rejection.status(), &rejection.body_text()))
    }
}

/// `axum::extract::Query`, refused as a page.
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| {
                refused(rejection.status(), &rejection.body_text())
            })
    }
}

fn refused(status: axum::http::StatusCode, why: &str) -> Response {
    (
        status,
        Html(
            notice_page(
                "Not accepted",
                "This request could not be read",
                &format!("{why}. Go back to the page and send it again from there."),
            )
            .into_string(),
        ),
    )
        .into_response()
}

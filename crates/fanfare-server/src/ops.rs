//! What operators and their tools call: liveness, readiness, metrics, the OpenAPI document.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// How long `/readyz` waits for the database before it says "not ready".
const READY_TIMEOUT: Duration = Duration::from_secs(2);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// `/api/openapi.json` is served outside of the document it serves.
pub fn openapi_route(openapi: utoipa::openapi::OpenApi) -> Router<AppState> {
    // Rendered once: the document cannot change while the process runs.
    let body = Bytes::from(openapi.to_pretty_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render the OpenAPI document");
        String::from("{}")
    }));
    Router::new().route(
        "/api/openapi.json",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    )
}

pub struct BearerSecurity;

impl utoipa::Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A key from `fanfare admin create-key --name NAME`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "member_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token a fan received when joining"))
                    .build(),
            ),
        );
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
}

/// The process is up (it does not look at the database).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The database answers: this server can take traffic.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, body = Readiness),
        (status = 503, description = "The database does not answer", body = ErrorBody),
    ))]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(Readiness {
            status: "ready",
            database: state.store.backend(),
        })),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: database ping failed");
            Err(ApiError::Unavailable)
        }
        Err(_) => {
            tracing::warn!("not ready: database ping timed out");
            Err(ApiError::Unavailable)
        }
    }
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "application/openmetrics-text", body = String)))]
async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let body = state
        .metrics
        .render()
        .map_err(|e| ApiError::Internal(format!("cannot encode metrics: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    ))
}

/// Declares, on every operation of the document, the rejections the extractors make before a
/// handler runs, which the handlers' own annotations do not repeat: `400` for a path or query
/// parameter that is not valid (or a body that is not JSON), and for a body `413` (too large) and
/// `415` (not `application/json`). All in the JSON error shape.
pub fn document_rejections(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let rejection = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        declare_slug_pattern(item.parameters.iter_mut().flatten());
        let shared_parameters = item.parameters.as_ref().is_some_and(|p| !p.is_empty());
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            declare_slug_pattern(operation.parameters.iter_mut().flatten());
            let has_parameters =
                shared_parameters || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let has_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| rejection(description).into());
            };
            if has_parameters || has_body {
                add(
                    "400",
                    "A parameter or the body is not valid; the error says which",
                );
            }
            if has_body {
                add("413", "The body is larger than the server accepts");
                add("415", "The body is not sent as application/json");
            }
        }
    }
}

/// A campaign's slug in a path: the rule `Slug::parse` enforces.
fn declare_slug_pattern<'a>(
    parameters: impl Iterator<Item = &'a mut utoipa::openapi::path::Parameter>,
) {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    for parameter in parameters.filter(|p| p.name == "slug") {
        parameter.schema = Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[a-z0-9-]{1,64}$"))
                .into(),
        );
    }
}

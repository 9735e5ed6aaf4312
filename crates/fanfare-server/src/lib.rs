//! Fanfare's HTTP side. [`router`] assembles every endpoint with the layers they share (request
//! spans and metrics named by the matched route, a body size limit, JSON errors for panics,
//! unknown paths and wrong methods); [`serve`] runs it until a shutdown signal, then lets
//! in-flight requests finish and closes the database.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use fanfare_store::DynStore;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

mod auth;
mod campaigns;
pub mod error;
mod extract;
mod metrics;
mod ops;

use error::ApiError;
pub use metrics::Metrics;
use ops::BearerSecurity;

/// The largest request body accepted, in bytes. Campaign settings are a few kilobytes at most.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(store: DynStore) -> Self {
        Self {
            store,
            metrics: Arc::new(Metrics::new()),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fanfare",
        description = "Self-hosted social media marketing and optimization: adhesion, appropriation, transmission."
    ),
    modifiers(&BearerSecurity),
    tags(
        (name = "campaigns", description = "Admin API: needs Authorization: Bearer <api key>"),
        (name = "public", description = "Public API, for widgets and campaign pages"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
struct ApiDoc;

/// Every route, documented as it is registered, and the OpenAPI document built from them.
fn routes(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let admin = campaigns::admin_routes().route_layer(middleware::from_fn_with_state(
        state.clone(),
        auth::require_api_key,
    ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(admin)
        .merge(campaigns::public_routes())
        .merge(ops::routes())
        .split_for_parts()
}

pub fn router(state: AppState) -> Router {
    let (routes, openapi) = routes(&state);
    routes
        .merge(ops::openapi_route(openapi))
        .fallback(|| async {
            ApiError::NotFound {
                code: "not_found",
                message: "there is no endpoint at this path; see /api/openapi.json".into(),
            }
        })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::Internal("a handler panicked".into()).into_response()
        }))
        .with_state(state)
}

/// One span and one log line per request, named by the matched route (`/api/v1/campaigns/{slug}`,
/// never the raw path, so that logs and metrics group by endpoint and carry no visitor data).
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        %method,
        %route,
        status = tracing::field::Empty,
        api_key = tracing::field::Empty,
    );
    let started = Instant::now();
    state.metrics.in_flight.inc();
    let response = next.run(request).instrument(span.clone()).await;
    state.metrics.in_flight.dec();
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.record("status", status);
    state
        .metrics
        .observe_request(method.as_str(), &route, status, elapsed);
    let _entered = span.enter();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    if route.starts_with("/healthz") || route.starts_with("/readyz") || route == "/metrics" {
        // Probes hit these every few seconds; keep them out of the default log.
        tracing::debug!(latency_ms, "request finished");
    } else {
        tracing::info!(latency_ms, "request finished");
    }
    response
}

/// Serves until `shutdown` resolves, then stops accepting, waits for in-flight requests and
/// closes the database pool (which flushes SQLite's WAL state cleanly).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    store.close().await;
    Ok(())
}

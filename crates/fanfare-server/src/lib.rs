//! Fanfare's HTTP side. [`router`] assembles every endpoint with the layers they share (request
//! spans and metrics named by the matched route, a body size limit, JSON errors for panics,
//! unknown paths and wrong methods; the short-link redirect, the hot path, counts and logs
//! itself and skips the span); [`serve`] runs it until a shutdown signal, then lets in-flight
//! requests finish and closes the database.

use std::future::Future;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

mod audit;
mod auth;
mod campaigns;
mod card;
pub mod console;
mod context;
mod engagement;
pub mod error;
mod extract;
mod fans;
mod forest;
mod html;
mod links;
mod metrics;
mod ops;
mod pagination;
mod public_page;
mod rate_limit;
mod redirect;
mod state;
mod stats;
mod urls;
mod validators;
mod visitor;
mod webhook_delivery;
mod webhooks;
mod widget;

pub use axum::http::header as http_header;
use error::ApiError;
pub use error::BODY_LIMIT_BYTES;
use fanfare_core::error_code::ErrorCode;
pub use metrics::Metrics;
use ops::BearerSecurity;
pub use state::{AppState, LOGINS_PER_MINUTE, ServerConfig, Shared};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fanfare",
        description = "Self-hosted social media marketing and optimization: adhesion, appropriation, transmission."
    ),
    modifiers(&BearerSecurity),
    tags(
        (name = "campaigns", description = "Admin API: needs Authorization: Bearer <api key>"),
        (name = "fans", description = "Admin API for a campaign's fans: needs an API key"),
        (name = "engagement", description = "Admin API for appropriation: rules, moderation, milestones"),
        (name = "links", description = "Short links, share redirects, QR codes; and their admin API"),
        (name = "public", description = "Public API, for widgets and campaign pages"),
        (name = "stats", description = "What the loop did: funnel, rates, pillars, time series, breakdowns, cascades (admin API: needs an API key)"),
        (name = "webhooks", description = "Signed posts of a campaign's events to your URLs: needs an API key"),
        (name = "audit", description = "SMO audit of a page's social tags: needs an API key"),
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
        .merge(
            fans::admin_routes().route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_api_key,
            )),
        )
        .merge(fans::public_routes())
        .merge(links::public_routes())
        .merge(engagement::public_routes())
        .merge(
            engagement::admin_routes().route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_api_key,
            )),
        )
        .merge(
            links::admin_routes().route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_api_key,
            )),
        )
        .merge(
            stats::admin_routes().route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_api_key,
            )),
        )
        .merge(
            webhooks::admin_routes().route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_api_key,
            )),
        )
        .merge(
            audit::admin_routes().route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_api_key,
            )),
        )
        .merge(widget::public_routes())
        .merge(public_page::routes())
        .merge(ops::routes())
        .split_for_parts()
}

pub fn router(state: AppState) -> Router {
    let (routes, mut openapi) = routes(&state);
    let (redirects, redirect_doc) = redirect::redirect_routes().split_for_parts();
    openapi.merge(redirect_doc);
    ops::document_rejections(&mut openapi);
    let shared = routes
        .merge(ops::openapi_route(openapi))
        .merge(console::routes())
        .fallback(|| async {
            ApiError::NotFound {
                code: ErrorCode::NotFound,
                message: ErrorCode::NotFound.default_message().into(),
            }
        })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            widget::public_cors,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(CatchPanicLayer::custom(error::panicked));
    // The redirect keeps the cheap layers (no body is read, but a panic still answers 500);
    // it counts and logs itself instead of going through `observe`.
    redirects
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(CatchPanicLayer::custom(error::panicked))
        .merge(shared)
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
    if route.starts_with("/healthz")
        || route.starts_with("/readyz")
        || route == "/metrics"
        || route.starts_with("/s/")
    {
        // Probes hit these every few seconds, and redirects thousands of times a second (they
        // are counted in /metrics and stored as clicks); keep them out of the default log.
        tracing::debug!(latency_ms, "request finished");
    } else {
        tracing::info!(latency_ms, "request finished");
    }
    response
}

/// Serves until `shutdown` resolves, then stops accepting, waits for in-flight requests, the
/// click writer's last batch and the webhook posts in progress, and closes the store (which
/// writes the click counters still in memory and leaves SQLite's WAL state clean).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let clicks = state.clicks.finisher().await;
    let webhooks = state.webhooks.stopper();
    let app = redirect::RedirectFirst {
        router: router(state.clone()),
        state,
    };
    // The peer address feeds the visitor hash (and nothing else: it is never stored).
    let app = axum::ServiceExt::<Request>::into_make_service_with_connect_info::<
        std::net::SocketAddr,
    >(app);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    // The router and every sender of the click queue are gone: the writer commits what is
    // left and stops.
    if tokio::time::timeout(std::time::Duration::from_secs(10), clicks.finish())
        .await
        .is_err()
    {
        tracing::error!("the click writer did not finish within 10 s");
    }
    webhooks.stop().await;
    store.close().await;
    Ok(())
}

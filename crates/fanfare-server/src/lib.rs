//! Fanfare's HTTP side. [`router`] assembles every endpoint with the layers they share (request
//! spans and metrics named by the matched route, a body size limit, JSON errors for panics,
//! unknown paths and wrong methods; the short-link redirect, the hot path, counts and logs
//! itself and skips the span); [`serve`] runs it until a shutdown signal, then lets in-flight
//! requests finish and closes the database.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use fanfare_store::DynStore;
use futures_util::FutureExt as _;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

mod audit;
mod auth;
mod campaign_page;
mod campaigns;
mod clicks;
pub mod dashboard;
mod engagement;
pub mod error;
mod extract;
mod fans;
mod links;
mod metrics;
mod ops;
mod pagination;
mod rate_limit;
mod stats;
mod visitor;
mod webhooks;
mod widget;

pub use axum::http::header as http_header;
use error::ApiError;
pub use metrics::Metrics;
use ops::BearerSecurity;

/// The largest request body accepted, in bytes. Campaign settings are a few kilobytes at most.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// The server's own settings (the binary fills them from its layered configuration).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The header a trusted reverse proxy sets to the client's IP; `None`: the TCP peer is the
    /// client (and any such header is ignored, since a client can send it).
    pub trusted_proxy_header: Option<axum::http::HeaderName>,
    /// Joins from one visitor within an hour after which further joins are flagged `join_burst`.
    pub join_burst_limit: u32,
    /// Requests per minute that one visitor may make to one campaign's public API.
    pub public_rate_limit: u32,
    /// Interactions one fan may post per minute.
    pub interactions_per_minute: u32,
    /// The public URL of this server, in every link it hands out.
    pub base_url: url::Url,
    /// Short codes kept in memory for redirects, each with its link and its redirect
    /// `Location` (a few hundred bytes).
    pub link_cache_size: usize,
    /// Clicks that may wait for the writer; beyond, clicks wait briefly, then get 503.
    pub click_queue: usize,
    /// Share-intent templates that replace the built-in ones (DESIGN §4).
    pub share_templates: std::collections::BTreeMap<fanfare_core::link::Channel, String>,
    /// Let audits fetch from loopback, private and link-local addresses (an intranet's pages).
    pub audit_allow_private: bool,
    /// The wait after a webhook delivery's first failure (then ×3 each time, up to six hours).
    pub webhook_retry_base: std::time::Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            trusted_proxy_header: None,
            join_burst_limit: 5,
            public_rate_limit: 60,
            interactions_per_minute: 20,
            base_url: url::Url::parse("http://127.0.0.1:8080/").unwrap_or_else(|_| unreachable!()),
            link_cache_size: 100_000,
            click_queue: 10_000,
            share_templates: std::collections::BTreeMap::new(),
            audit_allow_private: false,
            webhook_retry_base: std::time::Duration::from_secs(10),
        }
    }
}

/// What every handler shares: one `Arc`, so that the clones each request and middleware take
/// cost one atomic increment.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: DynStore,
    config: ServerConfig,
    metrics: Arc<Metrics>,
    visitors: visitor::VisitorHasher,
    public_limiter: rate_limit::RateLimiter,
    /// Interactions per fan and minute (a second limit, beside the per-visitor one).
    fan_limiter: rate_limit::RateLimiter,
    /// Dashboard login attempts per client IP and minute (against password guessing).
    login_limiter: rate_limit::RateLimiter,
    links: links::LinkCache,
    agents: links::AgentClassifier,
    clicks: clicks::ClickPipeline,
    /// Each campaign's anonymous link key, once read.
    anonymous_links: std::sync::Mutex<std::collections::HashMap<i64, fanfare_core::link::LinkKey>>,
    /// Each campaign's referral forest, for cascades and the viral cycle time.
    forests: stats::Forests,
    webhooks: webhooks::WebhookWorker,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
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
        Self::with_config(store, ServerConfig::default())
    }

    /// Needs a Tokio runtime: it starts the click writer.
    pub fn with_config(store: DynStore, config: ServerConfig) -> Self {
        let metrics = Arc::new(Metrics::new());
        let webhooks = webhooks::WebhookWorker::start(store.clone(), config.webhook_retry_base);
        Self(Arc::new(Shared {
            clicks: clicks::ClickPipeline::start(
                store.clone(),
                config.click_queue,
                metrics.clone(),
            ),
            store,
            public_limiter: rate_limit::RateLimiter::new(config.public_rate_limit),
            fan_limiter: rate_limit::RateLimiter::new(config.interactions_per_minute),
            login_limiter: rate_limit::RateLimiter::new(dashboard::LOGINS_PER_MINUTE),
            links: links::LinkCache::new(config.link_cache_size),
            agents: links::AgentClassifier::default(),
            config,
            metrics,
            visitors: visitor::VisitorHasher::default(),
            anonymous_links: std::sync::Mutex::default(),
            forests: stats::Forests::default(),
            webhooks,
        }))
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
        .merge(ops::routes())
        .split_for_parts()
}

pub fn router(state: AppState) -> Router {
    let (routes, mut openapi) = routes(&state);
    let (redirects, redirect_doc) = links::redirect_routes().split_for_parts();
    openapi.merge(redirect_doc);
    let shared = routes
        .merge(ops::openapi_route(openapi))
        .merge(dashboard::routes())
        .fallback(|| async {
            ApiError::NotFound {
                code: "not_found",
                message: "there is no endpoint at this path; see /api/openapi.json".into(),
            }
        })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            widget::public_cors,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(CatchPanicLayer::custom(panicked));
    // The redirect keeps the cheap layers (no body is read, but a panic still answers 500);
    // it counts and logs itself instead of going through `observe`.
    redirects
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(CatchPanicLayer::custom(panicked))
        .merge(shared)
        .with_state(state)
}

/// Serves the short links' redirects ahead of the router and everything else through it. The
/// redirect is the request a server answers thousands of times a second; matching its route,
/// storing its path parameters and boxing its handler's futures cost about 1 µs of the 13 µs of
/// CPU a redirect took under `bench/redirect`. The route stays in the router (and in the
/// OpenAPI document) for the requests the fast lane leaves to it (see
/// `links::is_plain_redirect`).
#[derive(Clone)]
struct RedirectFirst {
    state: AppState,
    router: Router,
}

impl tower::Service<Request> for RedirectFirst {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The router is always ready, and so is the redirect.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if links::is_plain_redirect(request.method(), request.uri().path()) {
            let redirect = links::redirect_unrouted(self.state.clone(), request);
            // As `CatchPanicLayer` does for the routed requests.
            return Box::pin(async move {
                Ok(AssertUnwindSafe(redirect)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(panicked))
            });
        }
        Box::pin(self.router.call(request))
    }
}

/// A panic in a handler answers a JSON 500 rather than dropping the connection.
fn panicked(_: Box<dyn std::any::Any + Send>) -> Response {
    ApiError::Internal("a handler panicked".into()).into_response()
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
    let app = RedirectFirst {
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

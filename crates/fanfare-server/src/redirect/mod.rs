//! The hot path: `GET /s/{code}`, from the socket to the `302`.
//!
//! In reading order: [`RedirectFirst`] takes a plain short-link request ahead of the router;
//! [`follow`] checks the code's shape (no database for junk), reads the link from the bounded
//! [`cache`], classifies the user agent ([`agents`]), hashes the visitor, and hands the click to
//! the [`clicks`] pipeline, which answers once the click's batch is committed. Only then does
//! the client get its `302`. The target always comes from the database, never from the
//! request, so `/s/…` cannot be made an open redirect.

pub mod agents;
mod bot_patterns;
pub mod cache;
pub mod clicks;
mod preview;

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use fanfare_core::link::{Agent, Channel, LinkKey, parse_short_code};
use fanfare_store::NewClick;
use futures_util::FutureExt as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{self, ApiError, ApiResult, ErrorBody};
use crate::extract::ApiPath;
use crate::html::{X_ROBOTS_TAG, notice_page};
use crate::state::AppState;
use crate::urls::{REDIRECT_ROUTE, SHORT_LINK_PREFIX, url_host};
use crate::visitor::Client;
use cache::CachedLink;
use clicks::ClickRefused;

/// Serves the short links' redirects ahead of the router and everything else through it. The
/// redirect is the request a server answers thousands of times a second; matching its route,
/// storing its path parameters and boxing its handler's futures cost about 1 µs of the 13 µs of
/// CPU a redirect took under `bench/redirect`. The route stays in the router (and in the
/// OpenAPI document) for the requests the fast lane leaves to it (see
/// `is_plain_redirect`).
#[derive(Clone)]
pub struct RedirectFirst {
    pub state: AppState,
    pub router: Router,
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
        if is_plain_redirect(request.method(), request.uri().path()) {
            let redirect = redirect_unrouted(self.state.clone(), request);
            // As `CatchPanicLayer` does for the routed requests.
            return Box::pin(async move {
                Ok(AssertUnwindSafe(redirect)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(error::panicked))
            });
        }
        Box::pin(self.router.call(request))
    }
}

/// Whether a request is a short link's redirect whose code can be read from the path as it is:
/// a `GET` or `HEAD` of `/s/{code}` with one segment and nothing percent-encoded. Those are
/// served ahead of the router ([`redirect_unrouted`]); the rest (`/s/{code}/qr.svg`, other
/// methods, encoded characters) goes through it.
pub(crate) fn is_plain_redirect(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && path
            .strip_prefix(SHORT_LINK_PREFIX)
            .is_some_and(|code| !code.is_empty() && !code.contains(['/', '%']))
}

/// A request [`is_plain_redirect`] accepted, answered as `redirect` answers it through the
/// router, without the route matching and the boxed futures routing costs on every click.
pub(crate) async fn redirect_unrouted(state: AppState, request: Request) -> Response {
    let started = Instant::now();
    let (parts, _) = request.into_parts();
    let code = parts
        .uri
        .path()
        .strip_prefix(SHORT_LINK_PREFIX)
        .unwrap_or_default();
    observed_redirect(&state, &parts, Ok(code), started).await
}

/// The short-link redirect, served outside the layers the other routes share (see `router`):
/// it is the one path hit thousands of times a second, and each middleware built with
/// `from_fn` clones and boxes the inner service for every request.
pub fn redirect_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(redirect))
}

/// Follow a short link.
#[utoipa::path(get, path = "/s/{code}", tag = "links",
    params(("code" = String, Path, description = "A link key and a channel letter")),
    responses(
        (status = 200, description = "To a network's link-preview fetcher: a page of Open Graph and X card tags (for a fan's link, an invitation in their name)", content_type = "text/html"),
        (status = 302, description = "To the landing URL with the tracking tags"),
        (status = 404, description = "Unknown or disabled link (an HTML page)"),
        (status = 503, description = "Overloaded or database unavailable; see Retry-After", body = ErrorBody),
    ))]
async fn redirect(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let (mut parts, _) = request.into_parts();
    match ApiPath::<String>::from_request_parts(&mut parts, &state).await {
        Ok(ApiPath(code)) => observed_redirect(&state, &parts, Ok(&code), started).await,
        Err(rejected) => observed_redirect(&state, &parts, Err(rejected), started).await,
    }
}

/// What the shared `observe` layer does for the other routes, minus the span: the request is
/// counted, timed and logged at debug level under its route's name.
async fn observed_redirect(
    state: &AppState,
    parts: &Parts,
    code: Result<&str, ApiError>,
    started: Instant,
) -> Response {
    let in_flight = InFlight::enter(state);
    let response = match code {
        Ok(code) => follow(state, parts, code).await.into_response(),
        Err(rejected) => rejected.into_response(),
    };
    drop(in_flight);
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if status == 302 && parts.method == Method::GET {
        state.metrics.observe_redirect_found(elapsed);
    } else {
        state
            .metrics
            .observe_request(parts.method.as_str(), REDIRECT_ROUTE, status, elapsed);
    }
    tracing::debug!(
        route = REDIRECT_ROUTE,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request finished"
    );
    response
}

/// Counts a request in flight until dropped, so that a client hanging up mid-request (which
/// drops the handler's future) does not leave it counted.
struct InFlight<'a>(&'a AppState);

impl<'a> InFlight<'a> {
    fn enter(state: &'a AppState) -> Self {
        state.metrics.in_flight.inc();
        Self(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.metrics.in_flight.dec();
    }
}

async fn follow(state: &AppState, parts: &Parts, code: &str) -> ApiResult<Response> {
    let client = Client::of(parts, state.config.trusted_proxy_header.as_ref());
    let method = &parts.method;
    let Some((_, channel, link)) = resolve(state, code).await? else {
        return Ok(not_found_page());
    };
    let Some(location) = &link.location else {
        tracing::error!(
            link = link.target.link_id,
            "a stored link target is not a URL"
        );
        return Ok(not_found_page());
    };
    let target = &link.target;
    let (agent, device) = state.agents.classify(method, &client.user_agent);
    let click = NewClick {
        link_id: target.link_id,
        campaign_id: target.campaign_id,
        channel,
        at: fanfare_store::now(),
        visitor_hash: state
            .visitors
            .hash(&state.store, &client, target.campaign_id)
            .await?,
        agent,
        qr: channel == Channel::Qr,
        referrer_host: referrer_host(&parts.headers),
        device,
    };
    state.clicks.record(click).await.map_err(|refused| {
        if refused == ClickRefused::Overloaded {
            state.metrics.clicks_refused.inc();
        }
        ApiError::Busy
    })?;
    if agent == Agent::Preview {
        return Ok(
            preview::preview_page(state, &parts.headers, code, &link, location)
                .await?
                .unwrap_or_else(not_found_page),
        );
    }
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location.clone()),
            // A cached redirect is a click nobody counts.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (X_ROBOTS_TAG, HeaderValue::from_static("noindex")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ),
        ],
    )
        .into_response())
}

/// The link of a code, if the code is well formed and its link exists and is enabled.
pub(crate) async fn resolve(
    state: &AppState,
    code: &str,
) -> ApiResult<Option<(LinkKey, Channel, Arc<CachedLink>)>> {
    let Some((key, channel)) = parse_short_code(code) else {
        return Ok(None);
    };
    Ok(state
        .links
        .get(&state.store, code, &key, channel)
        .await?
        .filter(|link| !link.target.disabled)
        .map(|link| (key, channel, link)))
}

/// The host of the page the click came from (its `Referer`), if it is an http(s) URL.
fn referrer_host(headers: &HeaderMap) -> Option<String> {
    url_host(headers.get(header::REFERER)?.to_str().ok()?)
}

pub(crate) fn not_found_page() -> Response {
    let body = notice_page(
        "Link not found",
        "This link does not exist",
        "It may have been mistyped, or disabled by the campaign's owner.",
    );
    (
        StatusCode::NOT_FOUND,
        [
            (header::CACHE_CONTROL, "no-store"),
            (X_ROBOTS_TAG, "noindex"),
        ],
        Html(body.into_string()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_link_redirects_skip_the_router() {
        for path in ["/s/ABCDEFGHx", "/s/x", "/s/anything-else_"] {
            assert!(is_plain_redirect(&Method::GET, path), "{path}");
            assert!(is_plain_redirect(&Method::HEAD, path), "{path}");
        }
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::OPTIONS] {
            assert!(!is_plain_redirect(&method, "/s/ABCDEFGHx"), "{method}");
        }
        // Other routes under /s/, empty codes, and codes that need decoding go through the
        // router, which answers them as it always has.
        for path in [
            "/s/",
            "/s",
            "/s/ABCDEFGHx/qr.svg",
            "/s/ABCDEFGHx/",
            "/s/ABCDEFGH%78",
            "/s/%2F%2Fevil.example",
            "/share/ABCDEFGHx",
            "/S/ABCDEFGHx",
            "//s/ABCDEFGHx",
        ] {
            assert!(!is_plain_redirect(&Method::GET, path), "{path}");
        }
    }
}

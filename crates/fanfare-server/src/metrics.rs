//! Prometheus metrics, in a registry owned by the app (not a global), so that several servers in
//! one test process do not mix their counts.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use fanfare_core::link::Agent;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use crate::urls::REDIRECT_ROUTE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClickLabels {
    agent: String,
    outcome: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily,
    pub(crate) in_flight: Gauge,
    clicks: Family<ClickLabels, Counter>,
    click_batch_sizes: Histogram,
    click_commit_seconds: Histogram,
    pub(crate) clicks_refused: Counter,
    /// The request counter and duration histogram of `GET /s/{code}` answered `302`, the most
    /// frequent request by far: fetched once, where every other request looks its labels up
    /// (four strings and two map lookups, which showed in the redirect's profile).
    redirects_found: OnceLock<(Counter, Histogram)>,
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("fanfare");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route and status",
            requests.clone(),
        );
        // 0.5 ms to about 16 s: a redirect should sit in the first buckets, an export in the last.
        let durations: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and matched route",
            durations.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered right now",
            in_flight.clone(),
        );
        registry.register(
            "build",
            "The running Fanfare version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        let clicks = Family::<ClickLabels, Counter>::default();
        registry.register(
            "clicks",
            "Clicks on short links, by agent (human, bot, preview) and outcome (stored, failed)",
            clicks.clone(),
        );
        let click_batch_sizes = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        registry.register(
            "click_batch_size",
            "Clicks committed per transaction by the click writer",
            click_batch_sizes.clone(),
        );
        let click_commit_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 14));
        registry.register(
            "click_commit_seconds",
            "Time to commit one batch of clicks",
            click_commit_seconds.clone(),
        );
        let clicks_refused = Counter::default();
        registry.register(
            "clicks_refused_overload",
            "Clicks answered 503 because the click queue stayed full",
            clicks_refused.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            in_flight,
            clicks,
            click_batch_sizes,
            click_commit_seconds,
            clicks_refused,
            redirects_found: OnceLock::new(),
        }
    }

    pub(crate) fn observe_request(
        &self,
        method: &str,
        route: &str,
        status: u16,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// [`Self::observe_request`] for a short link followed: `GET /s/{code}` answered `302`.
    pub(crate) fn observe_redirect_found(&self, elapsed: Duration) {
        let (found, durations) = self.redirects_found.get_or_init(|| {
            let found = self.requests.get_or_create(&RequestLabels {
                method: "GET".to_owned(),
                route: REDIRECT_ROUTE.to_owned(),
                status: 302,
            });
            let durations = self.durations.get_or_create(&RouteLabels {
                method: "GET".to_owned(),
                route: REDIRECT_ROUTE.to_owned(),
            });
            (found.clone(), durations.clone())
        });
        found.inc();
        durations.observe(elapsed.as_secs_f64());
    }

    pub(crate) fn observe_click_batch(
        &self,
        clicks: &[fanfare_store::NewClick],
        committed: bool,
        took: Duration,
    ) {
        self.click_batch_sizes.observe(clicks.len() as f64);
        self.click_commit_seconds.observe(took.as_secs_f64());
        let outcome = if committed { "stored" } else { "failed" };
        // Tallied first: one labelled lookup per kind of agent, not one per click.
        let mut tally = [(Agent::Human, 0), (Agent::Bot, 0), (Agent::Preview, 0)];
        for click in clicks {
            if let Some((_, count)) = tally.iter_mut().find(|(agent, _)| *agent == click.agent) {
                *count += 1;
            }
        }
        for (agent, count) in tally.into_iter().filter(|(_, count)| *count > 0) {
            self.clicks
                .get_or_create(&ClickLabels {
                    agent: agent.as_str().to_owned(),
                    outcome: outcome.to_owned(),
                })
                .inc_by(count);
        }
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> Result<String, fmt::Error> {
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

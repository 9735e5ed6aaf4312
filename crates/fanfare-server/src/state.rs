//! What every handler shares: the store, the configuration, and the in-memory parts of the
//! server (caches, limiters, the click writer, the webhook worker).

use std::sync::Arc;

use fanfare_store::DynStore;

use crate::forest::Forests;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::redirect::agents::AgentClassifier;
use crate::redirect::cache::LinkCache;
use crate::redirect::clicks::ClickPipeline;
use crate::visitor::VisitorHasher;
use crate::webhook_delivery::WebhookWorker;

/// Dashboard login attempts per client IP in a burst (against password guessing); then one a
/// minute.
pub const LOGINS_PER_MINUTE: u32 = 10;

/// One network (an office, a household behind one address) may make this many times the
/// requests of one visitor.
pub const NETWORK_RATE_FACTOR: u32 = 10;

/// The server's own settings (the binary fills them from its layered configuration).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The header a trusted reverse proxy sets to the client's IP; `None`: the TCP peer is the
    /// client (and any such header is ignored, since a client can send it).
    pub trusted_proxy_header: Option<axum::http::HeaderName>,
    /// Joins from one visitor within an hour after which further joins are flagged `join_burst`.
    pub join_burst_limit: u32,
    /// Joins from one network (an IPv4 address, an IPv6 /64) to one campaign in a day after
    /// which further joins are flagged `network_burst`.
    pub network_join_limit: u32,
    /// Joins from one network referred by one fan in a day after which further ones are flagged
    /// `network_burst`: a household may bring a few, a script rotating browsers many.
    pub network_referral_limit: u32,
    /// Requests per minute that one visitor may make to one campaign's public API; one network
    /// may make ten times as many (`NETWORK_RATE_FACTOR`).
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
    /// Share-intent templates that replace the built-in ones (`docs/reports.md`).
    pub share_templates: std::collections::BTreeMap<fanfare_core::link::Channel, String>,
    /// Let audits fetch from, and webhooks post to, loopback, private and link-local addresses
    /// (an intranet's pages and receivers).
    pub allow_private_addresses: bool,
    /// The wait after a webhook delivery's first failure (then ×3 each time, up to six hours).
    pub webhook_retry_base: std::time::Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            trusted_proxy_header: None,
            join_burst_limit: 5,
            network_join_limit: 20,
            network_referral_limit: 3,
            public_rate_limit: 60,
            interactions_per_minute: 20,
            base_url: url::Url::parse("http://127.0.0.1:8080/").unwrap_or_else(|_| unreachable!()),
            link_cache_size: 100_000,
            click_queue: 10_000,
            share_templates: std::collections::BTreeMap::new(),
            allow_private_addresses: false,
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
    pub(crate) config: ServerConfig,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) visitors: VisitorHasher,
    pub(crate) public_limiter: RateLimiter,
    /// Public requests per network and campaign: rotating user agents makes new visitors, not
    /// a new network.
    pub(crate) network_limiter: RateLimiter,
    /// Interactions per fan and minute (a second limit, beside the per-visitor one).
    pub(crate) fan_limiter: RateLimiter,
    /// Dashboard login attempts per client IP and minute (against password guessing).
    pub(crate) login_limiter: RateLimiter,
    pub(crate) links: LinkCache,
    pub(crate) agents: AgentClassifier,
    pub(crate) clicks: ClickPipeline,
    /// Each campaign's anonymous link key, once read.
    pub(crate) anonymous_links:
        std::sync::Mutex<std::collections::HashMap<i64, fanfare_core::link::LinkKey>>,
    /// Each campaign's referral forest, for cascades and the viral cycle time.
    pub(crate) forests: Forests,
    /// Each campaign's last generated share card.
    pub(crate) cards: crate::card::Cards,
    pub(crate) webhooks: WebhookWorker,
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
        let webhooks = WebhookWorker::start(
            store.clone(),
            config.webhook_retry_base,
            config.allow_private_addresses,
        );
        Self(Arc::new(Shared {
            clicks: ClickPipeline::start(store.clone(), config.click_queue, metrics.clone()),
            store,
            public_limiter: RateLimiter::new(config.public_rate_limit),
            network_limiter: RateLimiter::new(
                config.public_rate_limit.saturating_mul(NETWORK_RATE_FACTOR),
            ),
            fan_limiter: RateLimiter::new(config.interactions_per_minute),
            login_limiter: RateLimiter::burst_then_one_a_minute(LOGINS_PER_MINUTE),
            links: LinkCache::new(config.link_cache_size),
            agents: AgentClassifier::default(),
            config,
            metrics,
            visitors: VisitorHasher::default(),
            anonymous_links: std::sync::Mutex::default(),
            forests: Forests::default(),
            cards: crate::card::Cards::default(),
            webhooks,
        }))
    }
}

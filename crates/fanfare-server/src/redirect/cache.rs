//! The bounded in-memory cache of short codes the redirect reads before the database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use fanfare_core::link::{Channel, LinkKey, tracked_url};
use fanfare_store::{DynStore, LinkTarget};

use crate::error::ApiResult;

/// How long a cached link target is trusted: other nodes' changes (a disabled link, a new
/// landing URL) reach this node within this time.
const CACHE_TTL: Duration = Duration::from_secs(60);

/// A bounded cache of short codes (a link on one channel), unknown ones included (so random
/// codes do not each cost a query).
#[derive(Debug)]
pub struct LinkCache {
    entries: quick_cache::sync::Cache<String, (Instant, Option<Arc<CachedLink>>)>,
}

/// A code as the redirect needs it: its link's target, and the redirect's `Location` built once
/// (parsing the target and encoding the tracking tags on every click cost more than the rest
/// of the handler's own work).
#[derive(Debug)]
pub struct CachedLink {
    pub target: LinkTarget,
    /// `None` if the stored target is not a URL.
    pub(crate) location: Option<HeaderValue>,
}

impl CachedLink {
    fn new(target: LinkTarget, channel: Channel) -> Self {
        let location = url::Url::parse(&target.target_url).ok().and_then(|url| {
            let tracked = tracked_url(
                &url,
                channel,
                &target.campaign_slug,
                target.ref_code.as_deref(),
            );
            HeaderValue::from_str(tracked.as_str()).ok()
        });
        Self { target, location }
    }
}

impl LinkCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(capacity.max(1)),
        }
    }

    /// `code` is `key` and `channel` as
    /// [`parse_short_code`](fanfare_core::link::parse_short_code) read them.
    pub(crate) async fn get(
        &self,
        store: &DynStore,
        code: &str,
        key: &LinkKey,
        channel: Channel,
    ) -> ApiResult<Option<Arc<CachedLink>>> {
        if let Some((loaded, link)) = self.entries.get(code)
            && loaded.elapsed() < CACHE_TTL
        {
            return Ok(link);
        }
        let link = store
            .find_link(key)
            .await?
            .map(|target| Arc::new(CachedLink::new(target, channel)));
        self.entries
            .insert(code.to_owned(), (Instant::now(), link.clone()));
        Ok(link)
    }

    /// Forgets what this node knows of a link (on every channel) or a campaign's links, after a
    /// change here.
    pub fn forget(&self, key: &LinkKey) {
        for channel in Channel::ALL {
            self.entries.remove(key.code(channel).as_str());
        }
    }

    pub fn forget_campaign(&self, campaign_id: i64) {
        self.entries.retain(|_, (_, link)| {
            link.as_ref()
                .is_none_or(|l| l.target.campaign_id != campaign_id)
        });
    }
}

//! Per-key request limits (a visitor on the public API, a fan's interactions, an address's
//! logins): `per_minute` requests in a burst, then one more every `60 / per_minute` seconds
//! (GCRA, the `governor` crate). Kept in memory: each node limits on its own, which bounds abuse
//! per node and needs no shared state.
//!
//! Work per request is constant whatever the number of keys: a sharded map holds one 8-byte
//! state per key, keyed by a 64-bit hash of the key. Memory is bounded by what a minute can
//! bring: every `SWEEP_EVERY` checks, the keys whose budget is whole again (nothing to remember)
//! are dropped, so at most the keys seen in the last minute, plus one sweep period, stay.

use std::hash::{BuildHasher, Hash};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// How often (in checks) keys with nothing left to remember are dropped. A sweep walks the
/// map once; spread over this many checks it is a few nanoseconds each.
const SWEEP_EVERY: u64 = 1 << 16;

/// What a limit of zero answers: come back in a minute (it never lets a request through).
const ZERO_LIMIT_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct RateLimiter {
    /// `None` when the limit is zero.
    limiter: Option<DefaultKeyedRateLimiter<u64>>,
    /// Keys are hashed with a per-process random seed: a client cannot pick two keys that
    /// share a budget.
    hasher: std::collections::hash_map::RandomState,
    checks: AtomicU64,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::with_quota(NonZeroU32::new(per_minute).map(Quota::per_minute))
    }

    /// `burst` requests, then one a minute: for password guesses, where a full budget back
    /// every minute would be too generous.
    pub fn burst_then_one_a_minute(burst: u32) -> Self {
        Self::with_quota(NonZeroU32::new(burst).and_then(|burst| {
            Quota::with_period(Duration::from_secs(60)).map(|q| q.allow_burst(burst))
        }))
    }

    fn with_quota(quota: Option<Quota>) -> Self {
        Self {
            limiter: quota.map(governor::RateLimiter::keyed),
            hasher: std::collections::hash_map::RandomState::new(),
            checks: AtomicU64::new(0),
        }
    }

    /// `Ok` if `key` may make one more request now, else how long until it may. Any hashable
    /// key: only its 64-bit hash is kept.
    pub fn check(&self, key: impl Hash) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Err(ZERO_LIMIT_WAIT);
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter
            .check_key(&self.hasher.hash_one(key))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Keys held now (for tests and the bound above).
    #[cfg(test)]
    fn keys(&self) -> usize {
        self.limiter.as_ref().map_or(0, |limiter| limiter.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_gets_its_own_budget() {
        let limiter = RateLimiter::new(3);
        for _ in 0..3 {
            assert!(limiter.check("a").is_ok());
        }
        // The next request of `a` may come when one request's share of the minute is back.
        let wait = limiter.check("a").unwrap_err();
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limiter.check("b").is_ok());
    }

    #[test]
    fn password_guesses_get_one_more_a_minute() {
        let limiter = RateLimiter::burst_then_one_a_minute(2);
        assert!(limiter.check("ip").is_ok());
        assert!(limiter.check("ip").is_ok());
        let wait = limiter.check("ip").unwrap_err();
        assert!(wait > Duration::from_secs(55), "{wait:?}");
    }

    #[test]
    fn a_zero_limit_lets_nothing_through() {
        let limiter = RateLimiter::new(0);
        assert_eq!(limiter.check("a"), Err(ZERO_LIMIT_WAIT));
    }

    #[test]
    fn keys_with_a_whole_budget_are_forgotten() {
        // 1,000 a minute: a key that made one request has its budget back within 60 ms.
        let limiter = RateLimiter::new(60_000);
        for visitor in 0..10_000 {
            limiter.check(format!("visitor {visitor}")).unwrap();
        }
        assert!(limiter.keys() >= 10_000);
        std::thread::sleep(Duration::from_millis(50));
        for _ in 0..SWEEP_EVERY {
            limiter.check("one more").unwrap_or_default();
        }
        assert!(limiter.keys() < 10, "{} keys left", limiter.keys());
    }
}

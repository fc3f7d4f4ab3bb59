//! A limit on failed authentications: at most `max_failures` per key in a
//! fixed window; a key over its limit is refused without its token being
//! checked until the window ends. The service keeps two (see
//! [`crate::auth`]): per (key id, source) and per source.
//!
//! A small fixed-window counter rather than a token-bucket crate: it has
//! to count failures only (a success costs nothing) and to answer "is this
//! key limited?" without spending anything, which the bucket crates'
//! check-and-consume calls do not offer.
//!
//! Memory is bounded and a full table never refuses anyone it does not
//! track: at most `max_tracked` keys are counted; windows are kept in the
//! order they started, so ended ones are dropped from the front as time
//! passes (amortised constant work per call, never a scan of the table);
//! when the table is still full, the window that started first makes room
//! for the new one. An untracked key is never limited. Evicting the oldest
//! rather than refusing to count means a flood of new keys can only buy
//! back an old key's budget by spending `max_tracked` failures of its own.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Failures allowed per key in one window.
    pub max_failures: u32,
    /// The window.
    pub window: Duration,
    /// Most keys counted at once (memory bound).
    pub max_tracked: usize,
}

impl Default for LimiterConfig {
    /// 10 failures a minute, 100 000 keys counted.
    fn default() -> Self {
        LimiterConfig {
            max_failures: 10,
            window: Duration::from_secs(60),
            max_tracked: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// The counted keys: the windows by key, and the keys in the order their
/// windows started (the same set: every window in the map is live, and
/// each has exactly one entry in `order`).
#[derive(Debug)]
struct Table<K> {
    windows: HashMap<K, Window>,
    order: VecDeque<K>,
}

/// Fixed-window failure counts for keys of type `K`.
#[derive(Debug)]
pub struct FailureLimiter<K> {
    config: LimiterConfig,
    table: Mutex<Table<K>>,
}

impl<K: Eq + Hash + Clone> Table<K> {
    /// Drops the windows that ended by `now`, oldest first.
    fn expire(&mut self, now: Instant, window: Duration) {
        while let Some(key) = self.order.front() {
            let ended = self
                .windows
                .get(key)
                .is_none_or(|w| now.saturating_duration_since(w.started) >= window);
            if !ended {
                break;
            }
            if let Some(key) = self.order.pop_front() {
                self.windows.remove(&key);
            }
        }
    }
}

impl<K: Eq + Hash + Clone> FailureLimiter<K> {
    /// A limiter with `config`.
    pub fn new(config: LimiterConfig) -> Self {
        FailureLimiter {
            config,
            table: Mutex::new(Table {
                windows: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    fn table(&self, now: Instant) -> std::sync::MutexGuard<'_, Table<K>> {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        table.expire(now, self.config.window);
        table
    }

    /// Whether `key` has used up its failures in the current window; a key
    /// not counted is never limited.
    pub fn is_limited(&self, key: &K, now: Instant) -> bool {
        self.retry_after(key, now).is_some()
    }

    /// How long until `key`'s window ends, when it is limited.
    pub fn retry_after(&self, key: &K, now: Instant) -> Option<Duration> {
        let table = self.table(now);
        let window = table.windows.get(key)?;
        (window.failures >= self.config.max_failures).then(|| {
            self.config
                .window
                .saturating_sub(now.saturating_duration_since(window.started))
        })
    }

    /// Counts a failure of `key`; returns whether this failure used up the
    /// window (the first refusal to record).
    pub fn fail(&self, key: &K, now: Instant) -> bool {
        let mut table = self.table(now);
        let Table { windows, order } = &mut *table;
        let window = match windows.entry(key.clone()) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                order.push_back(key.clone());
                entry.insert(Window {
                    started: now,
                    failures: 0,
                })
            }
        };
        window.failures = window.failures.saturating_add(1);
        let used_up = window.failures == self.config.max_failures;
        while windows.len() > self.config.max_tracked {
            match order.pop_front() {
                Some(oldest) => windows.remove(&oldest),
                None => break,
            };
        }
        used_up
    }

    /// Keys counted now (after dropping ended windows).
    pub fn tracked(&self, now: Instant) -> usize {
        self.table(now).windows.len()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv6Addr};

    use super::*;

    fn limiter(max_tracked: usize) -> FailureLimiter<u32> {
        FailureLimiter::new(LimiterConfig {
            max_failures: 3,
            window: Duration::from_secs(60),
            max_tracked,
        })
    }

    #[test]
    fn a_key_is_limited_after_its_failures_until_the_window_ends() {
        let limiter = limiter(10);
        let start = Instant::now();
        assert!(!limiter.fail(&1, start));
        assert!(!limiter.fail(&1, start));
        assert!(!limiter.is_limited(&1, start));
        assert!(limiter.fail(&1, start), "the third failure uses up the window");
        assert!(limiter.is_limited(&1, start));
        assert_eq!(
            limiter.retry_after(&1, start + Duration::from_secs(20)),
            Some(Duration::from_secs(40))
        );
        assert!(!limiter.is_limited(&2, start), "other keys are not affected");
        assert!(!limiter.is_limited(&1, start + Duration::from_secs(61)));
        assert!(!limiter.fail(&1, start + Duration::from_secs(61)), "a new window");
    }

    #[test]
    fn a_full_table_never_limits_a_key_it_does_not_count() {
        let limiter = limiter(2);
        let start = Instant::now();
        for _ in 0..3 {
            limiter.fail(&1, start);
            limiter.fail(&2, start);
        }
        assert!(limiter.is_limited(&1, start));
        assert!(!limiter.is_limited(&3, start), "untracked keys pass");
        // A new key is counted by making room: the oldest window goes.
        limiter.fail(&3, start);
        assert_eq!(limiter.tracked(start), 2);
        assert!(!limiter.is_limited(&1, start), "evicted");
        assert!(limiter.is_limited(&2, start));
    }

    #[test]
    fn ended_windows_are_dropped_as_time_passes() {
        let limiter = limiter(1000);
        let start = Instant::now();
        for key in 0..500 {
            limiter.fail(&key, start + Duration::from_millis(u64::from(key)));
        }
        assert_eq!(limiter.tracked(start + Duration::from_secs(1)), 500);
        // Windows started at 0..500 ms; at 60.25 s the first 250 ended.
        assert_eq!(limiter.tracked(start + Duration::from_millis(60_250)), 249);
        assert_eq!(limiter.tracked(start + Duration::from_secs(61)), 0);
    }

    #[test]
    fn two_hundred_thousand_sources_neither_grow_the_table_nor_lock_anyone_out() {
        let limiter: FailureLimiter<IpAddr> = FailureLimiter::new(LimiterConfig {
            max_failures: 10,
            window: Duration::from_secs(60),
            max_tracked: 100_000,
        });
        let now = Instant::now();
        // One failure from each of 200,000 addresses, each of its own /64.
        for n in 0..200_000u32 {
            let [a, b, c, d] = n.to_be_bytes();
            let address = Ipv6Addr::new(
                0x2001,
                0xdb8,
                u16::from_be_bytes([a, b]),
                u16::from_be_bytes([c, d]),
                0,
                0,
                0,
                1,
            );
            limiter.fail(&IpAddr::V6(address), now);
        }
        assert_eq!(limiter.tracked(now), 100_000, "the table stays at its bound");
        let stranger = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0xffff, 0, 0, 0, 1));
        assert!(!limiter.is_limited(&stranger, now), "an untracked source passes");
        // A source failing in earnest is still counted, and limited.
        for _ in 0..10 {
            limiter.fail(&stranger, now);
        }
        assert!(limiter.is_limited(&stranger, now));
    }
}

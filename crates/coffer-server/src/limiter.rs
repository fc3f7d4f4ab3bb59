//! A limit on failed authentications: per key id and per source address,
//! at most `max_failures` in a fixed window; a key id or source over its
//! limit is refused without its token being checked until the window
//! ends.
//!
//! A small fixed-window counter rather than a token-bucket crate: it has
//! to count failures only (a success costs nothing) and to answer "is this
//! key limited?" without spending anything, which the bucket crates'
//! check-and-consume calls do not offer. Memory is bounded: at most
//! `max_tracked` keys are counted; when the table is full, windows that
//! ended are dropped, and if it is still full a new key is treated as
//! limited (under a flood from more sources than that, failing closed is
//! the safe side).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Failures allowed per key id or source in one window.
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

/// Fixed-window failure counts for keys of type `K`.
#[derive(Debug)]
pub struct FailureLimiter<K> {
    config: LimiterConfig,
    windows: Mutex<HashMap<K, Window>>,
}

impl<K: Eq + Hash + Clone> FailureLimiter<K> {
    /// A limiter with `config`.
    pub fn new(config: LimiterConfig) -> Self {
        FailureLimiter {
            config,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn live(&self, window: &Window, now: Instant) -> bool {
        now.duration_since(window.started) < self.config.window
    }

    /// Whether `key` has used up its failures in the current window.
    pub fn is_limited(&self, key: &K, now: Instant) -> bool {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        match windows.get(key) {
            Some(window) => self.live(window, now) && window.failures >= self.config.max_failures,
            None => windows.len() >= self.config.max_tracked,
        }
    }

    /// Counts a failure of `key`; returns whether this failure used up the
    /// window (the first refusal to record).
    pub fn fail(&self, key: &K, now: Instant) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if !windows.contains_key(key) && windows.len() >= self.config.max_tracked {
            windows.retain(|_, window| now.duration_since(window.started) < self.config.window);
            if windows.len() >= self.config.max_tracked {
                return false;
            }
        }
        let window = windows.entry(key.clone()).or_insert(Window {
            started: now,
            failures: 0,
        });
        if !self.live(window, now) {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
        window.failures == self.config.max_failures
    }
}

#[cfg(test)]
mod tests {
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
        assert!(!limiter.is_limited(&2, start), "other keys are not affected");
        assert!(!limiter.is_limited(&1, start + Duration::from_secs(61)));
        assert!(!limiter.fail(&1, start + Duration::from_secs(61)), "a new window");
    }

    #[test]
    fn a_full_table_drops_ended_windows_and_else_fails_closed() {
        let limiter = limiter(2);
        let start = Instant::now();
        limiter.fail(&1, start);
        limiter.fail(&2, start);
        assert!(limiter.is_limited(&3, start), "no room to count a new key");
        let later = start + Duration::from_secs(61);
        limiter.fail(&3, later);
        assert!(!limiter.is_limited(&4, later), "ended windows made room");
    }
}

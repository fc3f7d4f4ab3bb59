//! Time, injectable so expiry can be tested without sleeping.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

/// A source of wall-clock time (offers carry absolute expiry times that a
/// browser can compare with its own clock).
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to, for tests and simulations.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use coffer_session::{Clock, ManualClock};
///
/// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
/// clock.advance(Duration::from_secs(301));
/// assert_eq!(clock.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(301));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `by`.
    ///
    /// # Panics
    /// If the result is not representable as a `SystemTime`.
    pub fn advance(&self, by: Duration) {
        *self.lock() += by;
    }

    /// Sets the clock to `to` (backwards too).
    pub fn set(&self, to: SystemTime) {
        *self.lock() = to;
    }

    fn lock(&self) -> MutexGuard<'_, SystemTime> {
        // A SystemTime cannot be left half-written by a panic.
        self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.lock()
    }
}

/// `time` rounded down to a whole second since the Unix epoch, as that
/// time and as the second; `None` before the epoch.
pub(crate) fn floor_to_second(time: SystemTime) -> Option<(SystemTime, u64)> {
    let seconds = time.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    let floored = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))?;
    Some((floored, seconds))
}

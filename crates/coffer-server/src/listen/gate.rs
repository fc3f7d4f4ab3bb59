//! The connection caps: at most so many connections at once overall and
//! per source, where a source is an IPv4 address or an IPv6 /64
//! ([`ClientSource`], the same count the failure limits use).
//!
//! The table holds an entry only while its source has a connection open,
//! so it never has more entries than the overall cap.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::source::ClientSource;

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The overall cap is reached.
    Full,
    /// The source's cap is reached.
    SourceFull,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_source: HashMap<ClientSource, usize>,
}

/// The caps and the connections open now.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    max_total: usize,
    /// 0: no cap per source.
    max_per_source: usize,
    counts: Arc<Mutex<Counts>>,
}

/// One admitted connection; its slot is given back when dropped.
#[derive(Debug)]
pub(crate) struct Admission {
    source: ClientSource,
    counts: Arc<Mutex<Counts>>,
}

impl Gate {
    /// Caps of `max_total` connections, `max_per_source` per source (0: no
    /// cap per source).
    pub(crate) fn new(max_total: usize, max_per_source: usize) -> Self {
        Gate {
            max_total,
            max_per_source,
            counts: Arc::default(),
        }
    }

    /// Admits a connection from `address`, or says which cap it hit.
    pub(crate) fn admit(&self, address: IpAddr) -> Result<Admission, Refusal> {
        let source = ClientSource::of(address);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.max_total {
            return Err(Refusal::Full);
        }
        let open = counts.by_source.get(&source).copied().unwrap_or(0);
        if self.max_per_source > 0 && open >= self.max_per_source {
            return Err(Refusal::SourceFull);
        }
        counts.total += 1;
        counts.by_source.insert(source, open + 1);
        Ok(Admission {
            source,
            counts: Arc::clone(&self.counts),
        })
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(open) = counts.by_source.get_mut(&self.source) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.by_source.remove(&self.source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn caps_hold_per_source_and_overall_and_slots_come_back() {
        let gate = Gate::new(3, 2);
        let a1 = gate.admit(ip("2001:db8::1")).unwrap();
        let _a2 = gate.admit(ip("2001:db8::2")).unwrap();
        assert_eq!(gate.admit(ip("2001:db8::3")).unwrap_err(), Refusal::SourceFull);
        let _b1 = gate.admit(ip("192.0.2.1")).unwrap();
        assert_eq!(gate.admit(ip("192.0.2.2")).unwrap_err(), Refusal::Full);
        drop(a1);
        assert_eq!(gate.open(), 2);
        let _a3 = gate.admit(ip("2001:db8::3")).unwrap();
        assert_eq!(gate.counts.lock().unwrap().by_source.len(), 2);
    }

    #[test]
    fn the_table_forgets_a_source_with_no_connection() {
        let gate = Gate::new(10, 0);
        let admitted: Vec<_> = (0..5)
            .map(|i| gate.admit(ip(&format!("192.0.2.{i}"))).unwrap())
            .collect();
        assert_eq!(gate.counts.lock().unwrap().by_source.len(), 5);
        drop(admitted);
        assert!(gate.counts.lock().unwrap().by_source.is_empty());
        assert_eq!(gate.open(), 0);
    }
}

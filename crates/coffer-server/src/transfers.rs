//! The cap on concurrent transfers (uploads and downloads), overall and
//! per principal. A transfer holds a blocking thread for as long as its
//! client sends or reads, so without a cap a few clients could take the
//! whole blocking pool; over a cap the answer is immediate (429 for the
//! principal's own cap, 503 for the overall one), never a wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use coffer_store::policy::Principal;

use crate::error::ApiError;

/// The caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferLimits {
    /// Transfers running at once, all principals together.
    pub overall: usize,
    /// Transfers running at once for one principal.
    pub per_principal: usize,
}

impl Default for TransferLimits {
    /// 64 overall, 8 per principal: an eighth of tokio's blocking pool.
    fn default() -> Self {
        TransferLimits {
            overall: 64,
            per_principal: 8,
        }
    }
}

/// The running transfers, by principal (only principals with one running
/// are kept, so the table holds at most `overall` entries).
#[derive(Debug)]
pub(crate) struct Transfers {
    limits: TransferLimits,
    running: Arc<Mutex<Running>>,
}

#[derive(Debug, Default)]
struct Running {
    total: usize,
    by_principal: HashMap<Principal, usize>,
}

/// One running transfer; dropping it ends the transfer's claim.
#[derive(Debug)]
pub(crate) struct TransferPermit {
    running: Arc<Mutex<Running>>,
    principal: Principal,
}

/// How long a refused transfer is told to wait.
const RETRY: Duration = Duration::from_secs(1);

impl Transfers {
    pub(crate) fn new(limits: TransferLimits) -> Self {
        Transfers {
            limits,
            running: Arc::new(Mutex::new(Running::default())),
        }
    }

    fn lock(running: &Mutex<Running>) -> std::sync::MutexGuard<'_, Running> {
        running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Transfers running now.
    pub(crate) fn running(&self) -> usize {
        Self::lock(&self.running).total
    }

    /// Starts a transfer for `principal`.
    ///
    /// # Errors
    ///
    /// 429 `too_many_transfers` when the principal is at its cap, 503
    /// `busy` when the service is; both with `Retry-After`.
    pub(crate) fn start(&self, principal: &Principal) -> Result<TransferPermit, ApiError> {
        let mut running = Self::lock(&self.running);
        let mine = running.by_principal.get(principal).copied().unwrap_or(0);
        if mine >= self.limits.per_principal {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_transfers",
                format!(
                    "at most {} uploads and downloads may run at once per principal; retry when one ends",
                    self.limits.per_principal
                ),
            )
            .retry_after(RETRY));
        }
        if running.total >= self.limits.overall {
            return Err(crate::state::busy());
        }
        running.total += 1;
        *running.by_principal.entry(principal.clone()).or_insert(0) += 1;
        Ok(TransferPermit {
            running: Arc::clone(&self.running),
            principal: principal.clone(),
        })
    }
}

impl Drop for TransferPermit {
    fn drop(&mut self) {
        let mut running = Transfers::lock(&self.running);
        running.total = running.total.saturating_sub(1);
        if let Some(count) = running.by_principal.get_mut(&self.principal) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.by_principal.remove(&self.principal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(text: &str) -> Principal {
        text.parse().unwrap_or_else(|_| unreachable!("a test principal"))
    }

    #[test]
    fn transfers_are_capped_per_principal_and_overall() {
        let transfers = Transfers::new(TransferLimits {
            overall: 3,
            per_principal: 2,
        });
        let (alice, bob, carol) = (
            principal("acme/alice"),
            principal("acme/bob"),
            principal("acme/carol"),
        );
        let a1 = transfers.start(&alice).ok();
        let _a2 = transfers.start(&alice).ok();
        let refused = transfers.start(&alice).err();
        assert_eq!(
            refused.map(|e| (e.status, e.code, e.retry_after)),
            Some((StatusCode::TOO_MANY_REQUESTS, "too_many_transfers", Some(1)))
        );
        let _b1 = transfers.start(&bob).ok();
        let busy = transfers.start(&carol).err();
        assert_eq!(
            busy.map(|e| (e.status, e.code)),
            Some((StatusCode::SERVICE_UNAVAILABLE, "busy"))
        );
        assert_eq!(transfers.running(), 3);
        drop(a1);
        assert!(transfers.start(&carol).is_ok(), "a permit dropped makes room");
        assert_eq!(transfers.running(), 2, "carol's ended with its permit");
    }
}

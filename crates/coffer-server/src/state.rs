//! What every handler shares: the front door, the API keys, the
//! failed-authentication limits and the request limits, and the one way
//! to run a blocking front-door call.

use std::net::IpAddr;
use std::sync::Arc;

use coffer_store::door::FrontDoor;
use coffer_store::session::Suite;

use crate::api_keys::ApiKeys;
use crate::backend::Backend;
use crate::error::ApiError;
use crate::limiter::{FailureLimiter, LimiterConfig};

/// Request limits and the session suite of password offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted for upload, in bytes.
    pub max_upload: u64,
    /// Failed authentications allowed per key id and per source.
    pub failures: LimiterConfig,
    /// The suite of the offers a browser encrypts a project password to
    /// (set it to the front door's download suite).
    pub session_suite: Suite,
}

impl Default for Limits {
    /// 1 GiB uploads, [`LimiterConfig::default`], RSA-OAEP-256-2048.
    fn default() -> Self {
        Limits {
            max_upload: 1 << 30,
            failures: LimiterConfig::default(),
            session_suite: Suite::RsaOaep2048,
        }
    }
}

/// The service's state, cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) door: Arc<FrontDoor<Backend>>,
    pub(crate) keys: ApiKeys,
    pub(crate) limits: Limits,
    pub(crate) by_key: FailureLimiter<String>,
    pub(crate) by_source: FailureLimiter<IpAddr>,
}

impl AppState {
    /// The state of a service on `door`, authenticating with `keys`.
    pub fn new(door: Arc<FrontDoor<Backend>>, keys: ApiKeys, limits: Limits) -> Self {
        AppState {
            inner: Arc::new(Inner {
                door,
                keys,
                by_key: FailureLimiter::new(limits.failures),
                by_source: FailureLimiter::new(limits.failures),
                limits,
            }),
        }
    }

    /// The front door.
    pub fn door(&self) -> &Arc<FrontDoor<Backend>> {
        &self.inner.door
    }

    /// The API keys.
    pub fn keys(&self) -> &ApiKeys {
        &self.inner.keys
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Runs `work` on tokio's blocking pool and waits for it without
    /// blocking the executor: the pattern every front-door call takes here
    /// (PBKDF2, RSA and fsync would otherwise stall every other request on
    /// the worker thread).
    ///
    /// # Errors
    ///
    /// `work`'s error, or an internal error when the task panicked or was
    /// cancelled.
    pub(crate) async fn blocking<T, E>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let state = self.clone();
        // The request's span follows the work, so its log lines name the
        // request.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| work(&state.inner).map_err(Into::into)))
            .await
            .map_err(|e| ApiError::internal(&e))?
    }
}

//! What every handler shares: the front door, the API keys, the
//! failed-authentication limits, the request limits, and the two ways to
//! run blocking front-door work: a small call (authentication, offers,
//! listings, project changes) or a transfer (an upload or a download).
//!
//! The two never share a budget. Transfers are capped overall and per
//! principal ([`TransferLimits`]), small calls have their own cap
//! ([`Limits::max_blocking_calls`]), and both caps together stay well
//! below tokio's blocking pool (512 threads by default): however many
//! transfers run or stall, authentication and small calls find a thread.

use crate::source::ClientSource;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use coffer_store::door::FrontDoor;
use coffer_store::session::Suite;
use coffer_store::AnyStore;
use tokio::sync::Semaphore;

use crate::api_keys::ApiKeys;
use crate::error::ApiError;
use crate::limiter::{FailureLimiter, LimiterConfig};
use crate::source::ClientAddress;
use crate::transfers::{TransferLimits, TransferPermit, Transfers};

/// Request limits, timeouts and the session suite of password offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted for upload, in bytes.
    pub max_upload: u64,
    /// Failed authentications allowed per (key id, source) and per source.
    pub failures: LimiterConfig,
    /// Where a request's client address is read from.
    pub client_address: ClientAddress,
    /// The suite of the offers a browser encrypts a project password to
    /// (set it to the front door's download suite).
    pub session_suite: Suite,
    /// Longest wait for the next piece of a request body, and for an
    /// upload's whole session line; a body that stops for longer ends its
    /// call with 408.
    pub body_idle: Duration,
    /// Longest a download waits for its client to take the next piece; a
    /// download not read for longer is ended and its response aborted.
    pub response_stall: Duration,
    /// Concurrent uploads and downloads.
    pub transfers: TransferLimits,
    /// Concurrent small blocking calls (authentication, offers, listings,
    /// project changes); more wait up to `call_wait`.
    pub max_blocking_calls: usize,
    /// Longest a small call waits for its turn before 503 `busy`.
    pub call_wait: Duration,
}

impl Default for Limits {
    /// 1 GiB uploads, [`LimiterConfig::default`], no trusted proxy,
    /// RSA-OAEP-256-2048, 30 s body idle and response stall timeouts,
    /// [`TransferLimits::default`], 256 small calls waiting up to 10 s.
    fn default() -> Self {
        Limits {
            max_upload: 1 << 30,
            failures: LimiterConfig::default(),
            client_address: ClientAddress::default(),
            session_suite: Suite::RsaOaep2048,
            body_idle: Duration::from_secs(30),
            response_stall: Duration::from_secs(30),
            transfers: TransferLimits::default(),
            max_blocking_calls: 256,
            call_wait: Duration::from_secs(10),
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
    pub(crate) door: Arc<FrontDoor<AnyStore>>,
    pub(crate) keys: ApiKeys,
    pub(crate) limits: Limits,
    /// Failures per (key id, source): what stands between a key's secret
    /// and guessing from one place.
    pub(crate) by_key: FailureLimiter<(String, ClientSource)>,
    /// Failures per source, whatever the token: bounds what a source
    /// without a key id may try, and how many refusals of a source are
    /// recorded one by one.
    pub(crate) by_source: FailureLimiter<ClientSource>,
    pub(crate) transfers: Transfers,
    calls: Semaphore,
}

impl AppState {
    /// The state of a service on `door`, authenticating with `keys`.
    pub fn new(door: Arc<FrontDoor<AnyStore>>, keys: ApiKeys, limits: Limits) -> Self {
        AppState {
            inner: Arc::new(Inner {
                door,
                keys,
                by_key: FailureLimiter::new(limits.failures),
                by_source: FailureLimiter::new(limits.failures),
                transfers: Transfers::new(limits.transfers),
                calls: Semaphore::new(limits.max_blocking_calls),
                limits,
            }),
        }
    }

    /// The front door.
    pub fn door(&self) -> &Arc<FrontDoor<AnyStore>> {
        &self.inner.door
    }

    /// The API keys.
    pub fn keys(&self) -> &ApiKeys {
        &self.inner.keys
    }

    /// The limits the service runs with.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// Uploads and downloads running now.
    pub fn transfers_running(&self) -> usize {
        self.inner.transfers.running()
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Runs a small call, `work`, on tokio's blocking pool and waits for it
    /// without blocking the executor: the pattern every front-door call
    /// but transfers takes here (PBKDF2, RSA and fsync would otherwise
    /// stall every other request on the worker thread). At most
    /// [`Limits::max_blocking_calls`] run at once; a call waits for its
    /// turn up to [`Limits::call_wait`].
    ///
    /// # Errors
    ///
    /// `work`'s error; 503 `busy` when no turn came in time; an internal
    /// error when the task panicked or was cancelled.
    pub(crate) async fn blocking<T, E>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let wait = self.inner.limits.call_wait;
        let turn = tokio::time::timeout(wait, self.inner.calls.acquire()).await;
        let _turn = match turn {
            Ok(Ok(permit)) => permit,
            // The semaphore is never closed; a timeout is the busy case.
            Ok(Err(_)) | Err(_) => return Err(busy()),
        };
        self.spawn(work).await
    }

    /// Runs a transfer's blocking `work` holding `permit`, which is
    /// released when the work ends.
    ///
    /// # Errors
    ///
    /// As [`AppState::blocking`], without the wait for a turn.
    pub(crate) async fn transfer<T, E>(
        &self,
        permit: TransferPermit,
        work: impl FnOnce(&Inner) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        self.spawn(move |inner| {
            let _permit = permit;
            work(inner)
        })
        .await
    }

    async fn spawn<T, E>(
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

/// 503 `busy`: the service is at a concurrency cap; try again shortly.
pub(crate) fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the service is at its limit of concurrent calls; retry shortly",
    )
    .retry_after(Duration::from_secs(1))
}

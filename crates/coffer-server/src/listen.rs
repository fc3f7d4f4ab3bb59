//! The accept loop: connection caps, the header-read and idle timeouts,
//! TLS (optional), HTTP/1.1 and HTTP/2, and the graceful stop.
//!
//! Its own loop over hyper-util's `auto` connection builder rather than
//! `axum::serve`, which has no cap, no per-connection timer and no TLS:
//!
//! - a connection over a cap ([`ConnectionLimits::max_connections`],
//!   [`ConnectionLimits::max_connections_per_source`]) is accepted and
//!   closed at once, so the client learns at once instead of waiting in
//!   the kernel's backlog;
//! - every connection's timers are in `listen/watch.rs`; the TLS handshake must
//!   finish within the header-read timeout;
//! - on the stop signal the listener closes, every connection is asked to
//!   end after its requests in flight (HTTP/1.1: `Connection: close` on
//!   the response and no further request; HTTP/2: `GOAWAY`), and whatever
//!   still runs at [`ConnectionLimits::shutdown_grace`] is cut off. A cut
//!   upload's body then ends in an error, so the store never links its
//!   envelope (it stages and links in one transaction).

mod gate;
mod watch;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request};
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use gate::{Admission, Gate, Refusal};
use watch::{Verdict, Watch, Watched};

/// The HSTS header sent on every response over TLS (and never over plain
/// HTTP, where browsers ignore it, RFC 6797 section 8.1).
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The connection-level limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From the first byte of a request head (or the start of the TLS
    /// handshake) until it is complete.
    pub header_read_timeout: Duration,
    /// How long a connection may carry no request.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Connections open at once from one IPv4 address or IPv6 /64 (0: no
    /// cap, for a service that sees only its proxies).
    pub max_connections_per_source: usize,
    /// How long a stop waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    /// 10 s to send a request head, 60 s idle, 4096 connections, 64 per
    /// source, 30 s to finish at a stop.
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_connections_per_source: 64,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// How a stop went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still busy at the deadline and cut off.
    pub cut_off: usize,
}

/// Serves `router` on `listener` (over TLS with `tls`) until `stop`
/// resolves, then stops gracefully within `limits.shutdown_grace`.
/// Each request carries the peer's address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) -> Stopped {
    let gate = Gate::new(limits.max_connections, limits.max_connections_per_source);
    let graceful = CancellationToken::new();
    let hard = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The timers are ours (`watch`); hyper's would also be the idle timer.
    builder.http1().header_read_timeout(None);
    builder.http2().max_concurrent_streams(100);
    let builder = Arc::new(builder);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
        };
        let admission = match gate.admit(peer.ip()) {
            Ok(admission) => admission,
            Err(refusal) => {
                // Dropping the stream closes it: the client sees the
                // connection end before any answer.
                tracing::debug!(?refusal, open = gate.open(), "connection refused");
                if refusal == Refusal::Full {
                    tracing::warn!(open = gate.open(), "connection cap reached");
                }
                continue;
            }
        };
        let connection = Connection {
            peer,
            router: router.clone(),
            tls: tls.clone(),
            limits,
            builder: Arc::clone(&builder),
            graceful: graceful.clone(),
            hard: hard.clone(),
            _admission: admission,
        };
        tracker.spawn(connection.run(stream));
    }
    drop(listener);
    tracing::info!(open = gate.open(), "stopping: no new connections");
    graceful.cancel();
    tracker.close();
    let cut_off = match tokio::time::timeout(limits.shutdown_grace, tracker.wait()).await {
        Ok(()) => 0,
        Err(_) => {
            let cut_off = gate.open();
            tracing::warn!(cut_off, "stop deadline reached: cutting off connections");
            hard.cancel();
            tracker.wait().await;
            cut_off
        }
    };
    Stopped { cut_off }
}

/// An accept error: a connection the client gave up already, or the
/// process out of descriptors, which only closing connections cures, so
/// the loop waits a moment rather than spinning.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(%error, "accept failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// One accepted connection.
struct Connection {
    peer: SocketAddr,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    builder: Arc<auto::Builder<TokioExecutor>>,
    graceful: CancellationToken,
    hard: CancellationToken,
    _admission: Admission,
}

impl Connection {
    async fn run(self, stream: TcpStream) {
        let Some(acceptor) = self.tls.clone() else {
            return self.http(stream, false).await;
        };
        let handshake = tokio::time::timeout(self.limits.header_read_timeout, acceptor.accept(stream));
        let stream = tokio::select! {
            () = self.hard.cancelled() => return,
            done = handshake => match done {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    tracing::debug!(peer = %self.peer, %error, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(peer = %self.peer, "TLS handshake timed out");
                    return;
                }
            },
        };
        let http2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        self.http(stream, http2).await;
    }

    /// Serves HTTP on `io` until the client leaves, a timer runs out or
    /// the stop's deadline.
    async fn http<T>(self, io: T, http2: bool)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let watch = Watch::new(self.limits.header_read_timeout, self.limits.idle_timeout, http2);
        let io = TokioIo::new(Watched::new(io, watch.clone()));
        let service = RequestService {
            peer: self.peer,
            router: self.router.clone(),
            hsts: self.tls.is_some(),
            watch: watch.clone(),
        };
        let connection = self
            .builder
            .serve_connection(io, hyper::service::service_fn(move |r| service.call(r)));
        tokio::pin!(connection);
        let mut stopping = false;
        let mut next_look = Instant::now();
        loop {
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(error) = ended {
                        tracing::debug!(peer = %self.peer, %error, "connection ended");
                    }
                    return;
                }
                () = tokio::time::sleep_until(next_look.into()) => match watch.verdict(Instant::now()) {
                    Verdict::WaitUntil(at) => next_look = at,
                    verdict => {
                        tracing::debug!(peer = %self.peer, ?verdict, "connection closed");
                        return;
                    }
                },
                () = self.graceful.cancelled(), if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
                () = self.hard.cancelled() => return,
            }
        }
    }
}

/// Hands each request to the router with the peer's address, marking it
/// in flight until its response body has ended.
#[derive(Clone)]
struct RequestService {
    peer: SocketAddr,
    router: Router,
    hsts: bool,
    watch: Watch,
}

impl RequestService {
    fn call(
        &self,
        mut request: Request<Incoming>,
    ) -> impl Future<Output = Result<axum::response::Response, Infallible>> {
        let in_flight = self.watch.begin();
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let router = self.router.clone();
        let hsts = self.hsts;
        async move {
            let Ok(mut response) = router.oneshot(request.map(Body::new)).await;
            if hsts {
                response
                    .headers_mut()
                    .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
            }
            // The marker lives as long as the body: hyper drops the body
            // when it has sent its end or the connection is gone.
            Ok(response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _in_flight = &in_flight;
                    frame
                }))
            }))
        }
    }
}

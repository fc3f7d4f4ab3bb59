//! The two connection timers, kept outside hyper so each means one thing:
//!
//! - the **header-read timeout** runs from the first byte of a request
//!   head (of HTTP/1.1; HTTP/2 frames its heads whole) until the head is
//!   complete: a client trickling a request line is cut off;
//! - the **idle timeout** runs while the connection carries no request:
//!   from the moment it opens or its last response ended until the next
//!   request head starts.
//!
//! hyper's own `header_read_timeout` starts when hyper begins to wait for
//! a head, so on a keep-alive connection it is also the idle timeout and
//! the two could not be set apart. Here the connection's reads go
//! through [`Watched`], which notes when a head starts; the service
//! notes when a request is handed to it and when its response body ends
//! ([`Watch::begin`]); the connection's task asks [`Watch::verdict`] when
//! to look again and closes the connection when a timer has run out. A
//! request in flight (a long rotation, a download) is never cut by these
//! timers: body timeouts are the body's business.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The first bytes of every HTTP/2 connection (RFC 9113, section 3.4);
/// no HTTP/1.1 request starts with them (`PRI` is reserved for this).
const H2_PREFACE_START: &[u8] = b"PRI";

#[derive(Debug)]
struct State {
    /// Requests handed to the service whose response has not ended.
    in_flight: usize,
    /// When the connection last became idle (opened, or a response ended).
    idle_since: Instant,
    /// When the first byte of the next request head arrived (HTTP/1.1).
    head_since: Option<Instant>,
    /// Whether the first read said which protocol this is.
    protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Unknown,
    Http1,
    Http2,
}

/// One connection's timers.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    header_read: Duration,
    idle: Duration,
    state: Arc<Mutex<State>>,
}

/// What the connection's task should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Look again at this instant.
    WaitUntil(Instant),
    /// A request head took longer than the header-read timeout.
    HeaderTimeout,
    /// No request for longer than the idle timeout.
    IdleTimeout,
}

/// Marks one request in flight until dropped (with its response body).
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Mutex<State>>);

impl Watch {
    /// Timers for a connection opening now; `http2` when ALPN already
    /// said so.
    pub(crate) fn new(header_read: Duration, idle: Duration, http2: bool) -> Self {
        Watch {
            header_read,
            idle,
            state: Arc::new(Mutex::new(State {
                in_flight: 0,
                idle_since: Instant::now(),
                head_since: None,
                protocol: if http2 { Protocol::Http2 } else { Protocol::Unknown },
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request was handed to the service: its head is complete.
    pub(crate) fn begin(&self) -> InFlight {
        let mut state = self.lock();
        state.in_flight += 1;
        state.head_since = None;
        InFlight(Arc::clone(&self.state))
    }

    /// Whether the connection must close now, or when to look again.
    pub(crate) fn verdict(&self, now: Instant) -> Verdict {
        let state = self.lock();
        if state.in_flight > 0 {
            // Nothing can run out before the request ends; look again a
            // full idle period later (ending it does not wake the task).
            return Verdict::WaitUntil(now + self.idle.min(self.header_read));
        }
        if let Some(since) = state.head_since {
            let deadline = since + self.header_read;
            return if now >= deadline {
                Verdict::HeaderTimeout
            } else {
                Verdict::WaitUntil(deadline)
            };
        }
        let deadline = state.idle_since + self.idle;
        if now >= deadline {
            Verdict::IdleTimeout
        } else {
            Verdict::WaitUntil(deadline)
        }
    }

    /// `bytes` were read from the client.
    fn read(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut state = self.lock();
        if state.protocol == Protocol::Unknown {
            let n = bytes.len().min(H2_PREFACE_START.len());
            state.protocol = if bytes[..n] == H2_PREFACE_START[..n] {
                Protocol::Http2
            } else {
                Protocol::Http1
            };
        }
        if state.protocol == Protocol::Http1 && state.in_flight == 0 && state.head_since.is_none() {
            state.head_since = Some(Instant::now());
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
        }
    }
}

/// A connection's byte stream, telling its [`Watch`] what it reads.
#[derive(Debug)]
pub(crate) struct Watched<T> {
    inner: T,
    watch: Watch,
}

impl<T> Watched<T> {
    pub(crate) fn new(inner: T, watch: Watch) -> Self {
        Watched { inner, watch }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.watch.read(&buf.filled()[before..]);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: Duration = Duration::from_secs(5);
    const IDLE: Duration = Duration::from_secs(60);

    #[test]
    fn a_new_connection_waits_for_the_idle_timeout() {
        let watch = Watch::new(HEAD, IDLE, false);
        let now = Instant::now();
        assert!(matches!(watch.verdict(now), Verdict::WaitUntil(t) if t > now + HEAD));
        assert_eq!(watch.verdict(now + IDLE + HEAD), Verdict::IdleTimeout);
    }

    #[test]
    fn a_started_head_has_the_header_timeout_and_a_request_stops_both() {
        let watch = Watch::new(HEAD, IDLE, false);
        watch.read(b"GET / HT");
        let now = Instant::now();
        assert_eq!(
            watch.verdict(now + HEAD + Duration::from_millis(1)),
            Verdict::HeaderTimeout
        );
        let request = watch.begin();
        assert!(matches!(watch.verdict(now + IDLE * 10), Verdict::WaitUntil(_)));
        let before = Instant::now();
        drop(request);
        let after = Instant::now();
        assert!(matches!(watch.verdict(after), Verdict::WaitUntil(t) if t >= before + IDLE));
        assert_eq!(watch.verdict(after + IDLE), Verdict::IdleTimeout);
    }

    #[test]
    fn http2_frames_between_requests_are_not_a_head() {
        let watch = Watch::new(HEAD, IDLE, false);
        watch.read(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        watch.read(b"\0\0\0\x04\0\0\0\0\0");
        let now = Instant::now();
        assert!(matches!(watch.verdict(now + HEAD * 2), Verdict::WaitUntil(_)));
        assert_eq!(watch.verdict(now + IDLE), Verdict::IdleTimeout);
    }
}

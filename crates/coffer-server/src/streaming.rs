//! Bridging HTTP bodies to the front door's blocking `Read` and `Write`,
//! in constant memory and bounded time.
//!
//! - Every request body is read under an idle timeout (`idle_bodies`, a layer of [`app`](crate::app)):
//!   a body whose next piece does not come within
//!   [`Limits::body_idle`](crate::Limits::body_idle) ends in an error, so
//!   neither a stalled JSON body nor a `Content-Length` longer than what is
//!   sent holds a call open; what the failure was ([`BodyFailure`]) is
//!   kept for the handler to answer with (408, or a client gone).
//! - A download's writer waits at most
//!   [`Limits::response_stall`](crate::Limits::response_stall) for its
//!   client to take the next piece; a download never read is then ended
//!   (its thread and transfer slot freed) and its response aborted, never
//!   completed.
//!
//! - Upload: the request body stream becomes an `AsyncRead`
//!   ([`StreamReader`]), then a blocking [`Read`] ([`SyncIoBridge`]) that
//!   the sealer pulls from on the blocking pool. Each `read` waits for the
//!   next body frame, so at most one frame is held and the client is held
//!   back by TCP flow control, however large the document.
//! - Download: the opener writes plaintext on the blocking pool into a
//!   [`ChannelWriter`], which sends [`CHUNK`]-sized pieces through a
//!   channel of [`DEPTH`] pieces to the response body; a slow client
//!   fills the channel and the opener waits. At most
//!   `(DEPTH + 2) × CHUNK` bytes are in flight per download.
//!
//! A download that fails after its first byte was sent (a tampered chunk
//! deep in a document) cannot turn into an error status any more: the
//! body stream ends with an error, and the server aborts the response,
//! closing the connection without the chunked encoding's final empty
//! chunk. Every HTTP client then reports an incomplete body (`fetch`
//! rejects while reading, `curl` exits with code 18), never a complete
//! success. A failure before the first byte (a wrong password, a refused
//! session, a tampered first chunk) is an ordinary JSON error response,
//! because the response is not started until the first plaintext piece,
//! or the end, is ready.

use std::error::Error as StdError;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use bytes::Bytes;
use futures_util::{stream, Stream, StreamExt};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};
use tower_http::timeout::{TimeoutBody, TimeoutError};

use crate::error::ApiError;
use crate::state::{AppState, Inner};
use crate::transfers::TransferPermit;

/// Bytes per piece sent to a download's response body.
pub const CHUNK: usize = 64 * 1024;
/// Pieces a download's channel holds.
pub const DEPTH: usize = 4;

/// `request` with its body under an idle timeout of `idle`: each piece
/// must come within `idle` of the body being asked for it.
pub(crate) fn idle_bodies(request: Request, idle: Duration) -> Request {
    request.map(|body| Body::new(TimeoutBody::new(idle, body)))
}

/// Why a request body did not arrive whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFailure {
    /// It stopped for longer than the idle timeout.
    Idle,
    /// The connection broke or closed before its end: the client went
    /// away.
    Broken,
}

impl BodyFailure {
    /// What `error`, a body's error, says happened.
    pub fn of(error: &(dyn StdError + 'static)) -> Self {
        let mut cause = Some(error);
        while let Some(error) = cause {
            if error.is::<TimeoutError>() {
                return BodyFailure::Idle;
            }
            cause = error.source();
        }
        BodyFailure::Broken
    }

    /// The answer to a call whose body failed so. A client that went away
    /// is no server error: it is logged at INFO, and the answer (which
    /// nobody reads) is 400.
    pub(crate) fn answer(self) -> ApiError {
        match self {
            BodyFailure::Idle => {
                tracing::info!("the request body stopped; the call ends");
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    "the request body stopped arriving; nothing was changed",
                )
            }
            BodyFailure::Broken => {
                tracing::info!("the client went away before the request body ended");
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "body_incomplete",
                    "the request body broke off; nothing was changed",
                )
            }
        }
    }
}

/// Where a body stream leaves its failure for the handler, which sees the
/// reader's side only as an I/O error deep in the front door's.
#[derive(Debug, Clone, Default)]
pub(crate) struct BodyWatch(Arc<Mutex<Option<BodyFailure>>>);

impl BodyWatch {
    fn note(&self, error: &axum::Error) -> io::Error {
        let failure = BodyFailure::of(error);
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(failure);
        io::Error::new(
            match failure {
                BodyFailure::Idle => io::ErrorKind::TimedOut,
                BodyFailure::Broken => io::ErrorKind::ConnectionAborted,
            },
            "the request body failed",
        )
    }

    /// The failure noted, if the body failed.
    pub(crate) fn failure(&self) -> Option<BodyFailure> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `head` (bytes already taken from the body), then the rest of the body
/// `frames`, as a blocking reader for the blocking pool; a failure of the
/// body is noted in `watch`. Create it on the async side (it captures the
/// runtime's handle).
pub(crate) fn body_reader(
    head: Bytes,
    frames: impl Stream<Item = Result<Bytes, axum::Error>> + Send + Unpin + 'static,
    watch: BodyWatch,
) -> impl Read + Send + 'static {
    let frames = frames.map(move |frame| frame.map_err(|error| watch.note(&error)));
    let all = stream::once(async move { Ok(head) }).chain(frames);
    SyncIoBridge::new(StreamReader::new(Box::pin(all)))
}

type Piece = Result<Bytes, io::Error>;

/// A blocking writer that sends what it is given, in pieces of up to
/// [`CHUNK`] bytes, to a download's response body, waiting at most the
/// stall timeout for room.
#[derive(Debug)]
pub struct ChannelWriter {
    sender: mpsc::Sender<Piece>,
    buffer: Vec<u8>,
    sent_any: bool,
    /// Why a send failed (the client stopped reading, or went away).
    gone: Option<io::ErrorKind>,
    runtime: Handle,
    stall: Duration,
}

impl ChannelWriter {
    /// Sends `piece`, waiting up to the stall timeout for the client to
    /// make room.
    fn put(&mut self, piece: Piece) -> io::Result<()> {
        let sent = self
            .runtime
            .block_on(tokio::time::timeout(self.stall, self.sender.send(piece)));
        let error = match sent {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(_)) => io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"),
            Err(_) => io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading"),
        };
        self.gone = Some(error.kind());
        Err(error)
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.put(Ok(piece))?;
        self.sent_any = true;
        Ok(())
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buffer.len();
        let taken = buf.len().min(room);
        self.buffer.extend_from_slice(&buf[..taken]);
        if self.buffer.len() == CHUNK {
            self.send()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Runs `work` on the blocking pool with a writer to the response body,
/// holding the transfer `permit` until the work ends, and returns the
/// streamed body once the first piece (or the end) is there: the body when
/// `work` succeeds or fails after its first byte (then the body is
/// aborted), the error when it fails before.
///
/// # Errors
///
/// `work`'s error when nothing was sent yet.
pub(crate) async fn stream_download<T, E>(
    state: &AppState,
    permit: TransferPermit,
    work: impl FnOnce(&Inner, &mut ChannelWriter) -> Result<T, E> + Send + 'static,
) -> Result<Body, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + std::fmt::Display + Send + 'static,
{
    let (sender, mut receiver) = mpsc::channel::<Piece>(DEPTH);
    let state = state.clone();
    let span = tracing::Span::current();
    let runtime = Handle::current();
    // Set once the whole document was handed over: a channel that closes
    // without it is a download cut short (a stalled client, a failure),
    // whose body must end in an error, never look complete.
    let finished = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&finished);
    let task = tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
        let _entered = span.enter();
        let _permit = permit;
        let stall = state.limits().response_stall;
        let mut writer = ChannelWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK),
            sent_any: false,
            gone: None,
            runtime,
            stall,
        };
        let worked = work(state.inner(), &mut writer);
        let flushed = match &worked {
            Ok(_) => writer.flush(),
            Err(_) => Ok(()),
        };
        if let Some(why) = writer.gone {
            // The client stopped reading or went away: no server error.
            // The body ends in an error (`finished` is not set).
            tracing::info!(reason = %why, "download ended before its client took it all");
            return Ok(());
        }
        match worked {
            Ok(_) => {
                flushed.map_err(|e| ApiError::internal(&e))?;
                done.store(true, Ordering::Release);
                Ok(())
            }
            Err(error) if writer.sent_any => {
                // Too late for a status: abort the body.
                tracing::warn!(%error, "download failed after its first byte; aborting the response");
                // A client already gone is aborted anyway.
                let _ = writer.put(Err(io::Error::other("download failed")));
                Ok(())
            }
            Err(error) => Err(error.into()),
        }
    });
    // The first piece, or else the work's outcome: the channel closes
    // when the work ends, so an empty channel means it ended (well, or
    // before its first byte) and its result decides the answer.
    let head = match receiver.recv().await {
        Some(Ok(piece)) => piece,
        Some(Err(error)) => return Err(ApiError::internal(&error)),
        None => {
            task.await.map_err(|e| ApiError::internal(&e))??;
            Bytes::new()
        }
    };
    let rest = stream::unfold(Some(receiver), move |receiver| {
        let finished = Arc::clone(&finished);
        async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Some(piece) => Some((piece, Some(receiver))),
                None if finished.load(Ordering::Acquire) => None,
                None => Some((Err(io::Error::other("download cut short")), None)),
            }
        }
    });
    let body = Body::from_stream(stream::once(async move { Ok::<_, io::Error>(head) }).chain(rest));
    // The work goes on by itself (the task is detached); its outcome
    // reaches the client through the body: its end, or its abort.
    Ok(body)
}

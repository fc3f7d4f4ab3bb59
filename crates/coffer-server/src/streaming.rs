//! Bridging HTTP bodies to the front door's blocking `Read` and `Write`,
//! in constant memory.
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

use std::io::{self, Read, Write};

use axum::body::Body;
use bytes::Bytes;
use futures_util::{stream, StreamExt, TryStreamExt};
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::error::ApiError;
use crate::state::AppState;
use crate::state::Inner;

/// Bytes per piece sent to a download's response body.
pub const CHUNK: usize = 64 * 1024;
/// Pieces a download's channel holds.
pub const DEPTH: usize = 4;

/// The request body as a blocking reader, for the blocking pool. Create it
/// on the async side (it captures the runtime's handle).
pub fn body_reader(body: Body) -> impl Read + Send + 'static {
    let frames = body.into_data_stream().map_err(io::Error::other);
    SyncIoBridge::new(StreamReader::new(frames))
}

type Piece = Result<Bytes, io::Error>;

/// A blocking writer that sends what it is given, in pieces of up to
/// [`CHUNK`] bytes, to a download's response body.
#[derive(Debug)]
pub struct ChannelWriter {
    sender: mpsc::Sender<Piece>,
    buffer: Vec<u8>,
    sent_any: bool,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.sender
            .blocking_send(Ok(piece))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
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
/// and returns the streamed body once the first piece (or the end) is
/// there: the body when `work` succeeds or fails after its first byte
/// (then the body is aborted), the error when it fails before.
///
/// # Errors
///
/// `work`'s error when nothing was sent yet.
pub(crate) async fn stream_download<T, E>(
    state: &AppState,
    work: impl FnOnce(&Inner, &mut ChannelWriter) -> Result<T, E> + Send + 'static,
) -> Result<Body, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + std::fmt::Display + Send + 'static,
{
    let (sender, mut receiver) = mpsc::channel::<Piece>(DEPTH);
    let state = state.clone();
    let span = tracing::Span::current();
    let task = tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
        let _entered = span.enter();
        let mut writer = ChannelWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK),
            sent_any: false,
        };
        match work(state.inner(), &mut writer) {
            Ok(_) => writer.flush().map_err(|e| ApiError::internal(&e)),
            Err(error) if writer.sent_any => {
                // Too late for a status: abort the body.
                tracing::warn!(%error, "download failed after its first byte; aborting the response");
                // A client already gone is aborted anyway.
                let _ = writer
                    .sender
                    .blocking_send(Err(io::Error::other("download failed")));
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
    let rest = stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|piece| (piece, receiver))
    });
    let body = Body::from_stream(stream::once(async move { Ok::<_, io::Error>(head) }).chain(rest));
    // The work goes on by itself (the task is detached); its outcome
    // reaches the client through the body: its end, or its abort.
    Ok(body)
}

//! Documents: upload (streamed into the sealer and the store), list,
//! download offers, and downloads (streamed out of the opener).

use std::io::BufReader;
use std::time::Duration;

use axum::body::Body as RawBody;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use coffer_store::door::store::DocumentRecord;
use coffer_store::door::{Plaintext, Source};
use coffer_store::policy::{Context, DocumentId, DocumentRef, ProjectId, ProjectRef};
use coffer_store::session::{ClientMessage, Offer, MAX_MESSAGE_JSON_LEN};
use futures_util::{Stream, StreamExt};

use super::extract::{Body, Path};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::streaming::{body_reader, stream_download, BodyFailure, BodyWatch, CHUNK};

/// A project's documents with their metadata (Owners, Editors, Viewers).
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<ProjectId>,
) -> Result<Json<Vec<DocumentRecord>>, ApiError> {
    state
        .blocking(move |inner| {
            let target = ProjectRef::new(caller.principal.tenant.clone(), project);
            inner.door.list_documents(&caller.principal, &target).map(Json)
        })
        .await
}

fn document_target(caller: &Caller, project: ProjectId, document: DocumentId) -> DocumentRef {
    DocumentRef::new(caller.principal.tenant.clone(), project, document)
}

/// The longest first line of an upload: a session message and its newline.
const MAX_LINE: u64 = MAX_MESSAGE_JSON_LEN as u64 + 1;

fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("documents of up to {max} bytes are accepted"),
    )
}

/// Reads the upload's first line from `frames` on the async side: the
/// session message carrying the project password, at most [`MAX_LINE`]
/// bytes, whole within `idle`. Returns the message, the line's length with
/// its newline, and the bytes after it that came in the same frame.
///
/// # Errors
///
/// 408 `body_timeout` when the line does not come in time, 400 when it is
/// too long or the body ends or breaks first, `session_rejected` when it
/// is no session message.
async fn session_line(
    frames: &mut (impl Stream<Item = Result<Bytes, axum::Error>> + Unpin),
    idle: Duration,
) -> Result<(ClientMessage, u64, Bytes), ApiError> {
    let read = async {
        let mut line = Vec::new();
        while let Some(frame) = frames.next().await {
            let frame = frame.map_err(|error| BodyFailure::of(&error).answer())?;
            if let Some(end) = frame.iter().position(|b| *b == b'\n') {
                line.extend_from_slice(&frame[..end]);
                return Ok((line, frame.slice(end + 1..)));
            }
            line.extend_from_slice(&frame);
            if line.len() as u64 >= MAX_LINE {
                break;
            }
        }
        Err(ApiError::bad_request(
            "an upload starts with a password session message on one line",
        ))
    };
    let (line, rest) = tokio::time::timeout(idle, read)
        .await
        .map_err(|_| BodyFailure::Idle.answer())??;
    if line.len() as u64 >= MAX_LINE {
        return Err(ApiError::bad_request(
            "an upload starts with a password session message on one line",
        ));
    }
    let message = ClientMessage::from_json(&line).map_err(|_| ApiError::session_rejected())?;
    Ok((message, line.len() as u64 + 1, rest))
}

/// `PUT /api/v1/projects/{project}/documents/{document}`: the body is a
/// password offer's session message as one line of JSON, a newline, then
/// the document's bytes; `Content-Length` is required (411 without it),
/// the document's size is what follows the line, and documents above the
/// configured maximum are refused (413) before anything is read. Stores
/// the document sealed under the project's current key (Owners, Editors)
/// and answers `201` with its metadata.
///
/// The call takes a transfer slot, then reads the session line here, on
/// the async side, under the body idle timeout; only then does blocking
/// work start, with the front door's decision, before any document byte
/// is read. The rest of the body is read under the idle timeout too: a
/// body that stops ends the call with nothing stored.
pub(crate) async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, document)): Path<(ProjectId, DocumentId)>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<(StatusCode, Json<DocumentRecord>), ApiError> {
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::LENGTH_REQUIRED,
                "length_required",
                "an upload needs a Content-Length",
            )
        })?;
    let limits = state.limits();
    let max = limits.max_upload;
    if length > max.saturating_add(MAX_LINE) {
        return Err(too_large(max));
    }
    let permit = state.inner().transfers.start(&caller.principal)?;
    let mut frames = body.into_data_stream();
    let (message, line, rest) = session_line(&mut frames, limits.body_idle).await?;
    let size = length
        .checked_sub(line)
        .ok_or_else(|| ApiError::bad_request("Content-Length is shorter than the body"))?;
    if size > max {
        return Err(too_large(max));
    }
    let watch = BodyWatch::default();
    let reader = body_reader(rest, frames, watch.clone());
    let stored = state
        .transfer(permit, move |inner| {
            let actor = &caller.principal;
            let target = document_target(&caller, project, document);
            let plaintext = Plaintext::new(BufReader::with_capacity(CHUNK, reader), size);
            inner
                .door
                .store_document(actor, &target, plaintext, &Context::new(), &message)
                // A body that failed is the answer, whatever the front
                // door made of the broken read.
                .map_err(|error| watch.failure().map_or_else(|| error.into(), BodyFailure::answer))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// `POST …/documents/{document}/offer`: a one-time download offer for the
/// document, signed, to encrypt the project password to (Owners, Editors,
/// Viewers; decided before the user types a password).
pub(crate) async fn offer(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, document)): Path<(ProjectId, DocumentId)>,
) -> Result<Json<Offer>, ApiError> {
    state
        .blocking(move |inner| {
            let target = document_target(&caller, project, document);
            inner
                .door
                .issue_download(&caller.principal, &target, Source::stored())
                .map(Json)
        })
        .await
}

/// `POST …/documents/{document}/download`: the offer's session message;
/// answers with the document's plaintext, streamed (see
/// [`crate::streaming`] for how a failure found mid-document reaches the
/// client).
pub(crate) async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, document)): Path<(ProjectId, DocumentId)>,
    Body(message): Body<ClientMessage>,
) -> Result<Response, ApiError> {
    let disposition = format!("attachment; filename=\"{document}\"");
    let permit = state.inner().transfers.start(&caller.principal)?;
    let body = stream_download(&state, permit, move |inner, out| {
        let target = document_target(&caller, project, document);
        inner
            .door
            .open_document(&caller.principal, &target, Source::stored(), &message, out)
    })
    .await?;
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, body).into_response())
}

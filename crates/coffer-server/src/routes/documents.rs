//! Documents: upload (streamed into the sealer and the store), list,
//! download offers, and downloads (streamed out of the opener).

use std::io::{BufRead, BufReader, Read};

use axum::body::Body as RawBody;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coffer_store::door::store::DocumentRecord;
use coffer_store::door::{Plaintext, Source};
use coffer_store::policy::{Context, DocumentId, DocumentRef, ProjectId, ProjectRef};
use coffer_store::session::{ClientMessage, Offer, MAX_MESSAGE_JSON_LEN};

use super::extract::{Body, Path};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::streaming::{body_reader, stream_download, CHUNK};

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

/// Reads the upload's first line (at most [`MAX_LINE`] bytes): the session
/// message carrying the project password. Returns it and the bytes read.
fn session_line(reader: &mut impl BufRead) -> Result<(ClientMessage, u64), ApiError> {
    let mut line = Vec::new();
    let read = reader
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|e| ApiError::bad_request(format!("the upload broke off: {e}")))?;
    if line.pop() != Some(b'\n') {
        return Err(ApiError::bad_request(
            "an upload starts with a password session message on one line",
        ));
    }
    let message = ClientMessage::from_json(&line).map_err(|_| ApiError::session_rejected())?;
    Ok((message, read as u64))
}

/// `PUT /api/v1/projects/{project}/documents/{document}`: the body is a
/// password offer's session message as one line of JSON, a newline, then
/// the document's bytes; `Content-Length` is required (411 without it),
/// the document's size is what follows the line, and documents above the
/// configured maximum are refused (413) before anything is read. Stores
/// the document sealed under the project's current key (Owners, Editors)
/// and answers `201` with its metadata.
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
    let max = state.inner().limits.max_upload;
    if length > max.saturating_add(MAX_LINE) {
        return Err(too_large(max));
    }
    let reader = body_reader(body);
    let record = state
        .blocking(move |inner| {
            let mut reader = BufReader::with_capacity(CHUNK, reader);
            let (message, line) = session_line(&mut reader)?;
            let size = length
                .checked_sub(line)
                .ok_or_else(|| ApiError::bad_request("Content-Length is shorter than the body"))?;
            if size > max {
                return Err(too_large(max));
            }
            let actor = &caller.principal;
            let target = document_target(&caller, project, document);
            let plaintext = Plaintext::new(reader, size);
            Ok(inner
                .door
                .store_document(actor, &target, plaintext, &Context::new(), &message)?)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
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
    let body = stream_download(&state, move |inner, out| {
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

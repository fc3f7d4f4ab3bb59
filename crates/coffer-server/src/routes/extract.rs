//! Extractors whose refusals are API errors (JSON), not axum's plain text.

use axum::extract::rejection::{BytesRejection, FailedToBufferBody, JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::streaming::BodyFailure;

/// The API error of a JSON body that was refused: 413 `too_large` over
/// the size limit, 415 `unsupported_media_type` without a JSON content
/// type, 408 or 400 when the body stopped or broke off, and `bad_request`
/// for a body that is not the JSON asked for: 400 when it is no JSON, 422
/// when it is JSON of the wrong shape.
fn refused_body(rejection: JsonRejection) -> ApiError {
    let (status, message) = (rejection.status(), rejection.body_text());
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be JSON, sent with `Content-Type: application/json`",
        ),
        JsonRejection::BytesRejection(BytesRejection::FailedToBufferBody(
            FailedToBufferBody::LengthLimitError(_),
        )) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("JSON bodies of up to {} bytes are accepted", crate::MAX_JSON_BODY),
        ),
        JsonRejection::BytesRejection(BytesRejection::FailedToBufferBody(
            FailedToBufferBody::UnknownBodyError(error),
        )) => BodyFailure::of(&error).answer(),
        _ => ApiError::new(status, "bad_request", message),
    }
}

/// A JSON body (at most [`MAX_JSON_BODY`](crate::MAX_JSON_BODY) bytes).
#[derive(Debug)]
pub(crate) struct Body<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| Body(value))
            .map_err(refused_body)
    }
}

/// Path parameters.
#[derive(Debug)]
pub(crate) struct Path<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection: PathRejection| ApiError::bad_request(rejection.body_text()))
    }
}

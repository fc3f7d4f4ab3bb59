//! The legitimate clients: each its own principal and project, from its
//! own loopback address, uploading and downloading 1 KiB and 1 MiB
//! documents through ECDH sessions, one call after the other.

use std::time::{Duration, Instant};

use bytes::Bytes;
use coffer_store::session::{client, ClientMessage, Offer};
use hyper::{Method, StatusCode};
use serde_json::json;

use super::http::{Answer, Client};

/// The project password every client uses.
pub const PASSWORD: &str = "correct horse battery staple";

/// The two document sizes the clients mix.
pub const SIZES: [usize; 2] = [1024, 1024 * 1024];

/// One finished operation (an offer and the transfer it carries).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Index into [`SIZES`].
    pub size: usize,
    pub upload: bool,
    pub latency: Duration,
}

/// What one client did in a run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub samples: Vec<Sample>,
    /// Requests refused or failed, with what was answered.
    pub refused: Vec<String>,
}

fn refused(what: &str, answer: &Answer) -> String {
    format!("{what}: {} {}", answer.status, answer.json()["error"])
}

/// A session message for `offer_path`'s offer (a password offer when
/// `body` names a project, a download offer otherwise).
async fn message(
    c: &mut Client,
    offer_path: &str,
    body: Option<&serde_json::Value>,
) -> Result<ClientMessage, String> {
    let answer = match body {
        Some(body) => c.post_json(offer_path, body).await?,
        None => c.call(Method::POST, offer_path, Bytes::new(), false).await?,
    };
    if answer.status != StatusCode::OK {
        return Err(refused("offer", &answer));
    }
    let offer: Offer = serde_json::from_slice(&answer.body).map_err(|e| format!("offer: {e}"))?;
    client::encrypt(&offer, PASSWORD.as_bytes()).map_err(|e| format!("encrypt: {e}"))
}

async fn password(c: &mut Client, project: &str) -> Result<ClientMessage, String> {
    message(c, "/api/v1/password-offers", Some(&json!({ "project": project }))).await
}

/// Creates `project` with [`PASSWORD`].
///
/// # Errors
///
/// Whatever was refused.
pub async fn create_project(c: &mut Client, project: &str) -> Result<(), String> {
    let message = password(c, project).await?;
    let answer = c
        .post_json(
            "/api/v1/projects",
            &json!({ "project": project, "password": message }),
        )
        .await?;
    if answer.status != StatusCode::CREATED {
        return Err(refused("create project", &answer));
    }
    Ok(())
}

/// Uploads `content` as `document` of `project`.
///
/// # Errors
///
/// Whatever was refused.
pub async fn upload(c: &mut Client, project: &str, document: &str, content: &[u8]) -> Result<(), String> {
    let message = password(c, project).await?;
    let mut body = serde_json::to_vec(&message).map_err(|e| e.to_string())?;
    body.push(b'\n');
    body.extend_from_slice(content);
    let path = format!("/api/v1/projects/{project}/documents/{document}");
    let answer = c.call(Method::PUT, &path, Bytes::from(body), false).await?;
    if answer.status != StatusCode::CREATED {
        return Err(refused("upload", &answer));
    }
    Ok(())
}

/// Downloads `document` of `project`; the body must be `expected`.
///
/// # Errors
///
/// Whatever was refused, or a body that differs.
pub async fn download(c: &mut Client, project: &str, document: &str, expected: &[u8]) -> Result<(), String> {
    let base = format!("/api/v1/projects/{project}/documents/{document}");
    let message = message(c, &format!("{base}/offer"), None).await?;
    let value = serde_json::to_value(&message).map_err(|e| e.to_string())?;
    let answer = c.post_json(&format!("{base}/download"), &value).await?;
    if answer.status != StatusCode::OK {
        return Err(refused("download", &answer));
    }
    if answer.body != expected {
        return Err(format!("download: {} bytes, not the document", answer.body.len()));
    }
    Ok(())
}

/// The bytes of a document of `size`.
pub fn content(size: usize, seed: usize) -> Vec<u8> {
    (0..size)
        .map(|i| (i.wrapping_mul(31) ^ seed).to_le_bytes()[0])
        .collect()
}

/// Runs one client on `project` until `until`: upload a document, download
/// it, switching between the two sizes; at most `max_operations`.
pub async fn run(
    mut c: Client,
    project: String,
    seed: usize,
    until: Instant,
    max_operations: usize,
) -> Outcome {
    let documents = SIZES.map(|size| content(size, seed));
    let mut outcome = Outcome::default();
    let mut operation = 0usize;
    while Instant::now() < until && operation < max_operations {
        let size = (operation / 2 + seed) % SIZES.len();
        let upload_now = operation.is_multiple_of(2);
        let document = format!("doc-{size}");
        let started = Instant::now();
        let done = if upload_now {
            upload(&mut c, &project, &document, &documents[size]).await
        } else {
            download(&mut c, &project, &document, &documents[size]).await
        };
        match done {
            Ok(()) => outcome.samples.push(Sample {
                size,
                upload: upload_now,
                latency: started.elapsed(),
            }),
            Err(why) => {
                outcome.refused.push(why);
                // A refused upload leaves no document to download.
                if upload_now {
                    operation += 1;
                }
            }
        }
        operation += 1;
    }
    outcome
}

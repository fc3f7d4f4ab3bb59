#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]
//! A service on a fresh SQLite data directory, driven in-process with
//! `tower::ServiceExt::oneshot`: alice is a tenant Owner of `acme`, bob a
//! principal of `acme` with no role; both have API keys.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use coffer_server::{app, AppState, Limits, StoreArgs};
use coffer_store::door::FrontDoorConfig;
use coffer_store::policy::{OperatorId, Principal, Role};
use coffer_store::session::{client, ClientMessage, Offer};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) struct Harness {
    pub(crate) app: Router,
    pub(crate) state: AppState,
    pub(crate) dir: TempDir,
    pub(crate) alice: String,
    pub(crate) bob: String,
}

pub(crate) fn principal(text: &str) -> Principal {
    text.parse().unwrap()
}

pub(crate) fn harness_with(limits: Limits) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreArgs::sqlite(dir.path());
    let config = FrontDoorConfig {
        unlock_cache: Some(Duration::from_secs(60)),
        ..FrontDoorConfig::default()
    };
    let opened = store.open(config).unwrap();
    opened
        .door
        .grant_tenant_role(
            &OperatorId::new("ops").unwrap(),
            &principal("acme/alice"),
            Role::Owner,
        )
        .unwrap();
    let (_, alice) = opened
        .keys
        .create(&principal("acme/alice"), "test", None)
        .unwrap();
    let (_, bob) = opened.keys.create(&principal("acme/bob"), "test", None).unwrap();
    let state = AppState::new(opened.door, opened.keys, limits);
    Harness {
        app: app(state.clone()),
        state,
        dir,
        alice: alice.expose().to_owned(),
        bob: bob.expose().to_owned(),
    }
}

pub(crate) fn harness() -> Harness {
    harness_with(Limits::default())
}

/// A response: status, headers, body bytes.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts the status and the API error code.
    pub(crate) fn expect(&self, status: StatusCode, code: &str) {
        assert_eq!(
            (self.status, self.code().as_str()),
            (status, code),
            "{}",
            self.json()
        );
    }

    /// The API error code.
    pub(crate) fn code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

pub(crate) fn request(method: Method, uri: &str, token: Option<&str>, body: Body) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(uri)
        .extension(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(body).unwrap()
}

impl Harness {
    /// Serves the router on a fresh localhost port, as the binary does
    /// (with the peer address as connection info), until the test ends.
    pub(crate) async fn serve(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let service = self
            .app
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await });
        address
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let body = match body {
            Some(value) => {
                let mut request = request(method, uri, token, Body::from(value.to_string()));
                request
                    .headers_mut()
                    .insert("content-type", "application/json".parse().unwrap());
                return self.send(request).await;
            }
            None => Body::empty(),
        };
        self.send(request(method, uri, token, body)).await
    }

    /// A password offer for `project`, encrypted with `password` as a
    /// browser would.
    pub(crate) async fn password(&self, token: &str, project: &str, password: &str) -> ClientMessage {
        let answer = self
            .call(
                Method::POST,
                "/api/v1/password-offers",
                Some(token),
                Some(json!({ "project": project })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
        let offer: Offer = serde_json::from_slice(&answer.body).unwrap();
        client::encrypt(&offer, password.as_bytes()).unwrap()
    }

    /// `token` creates `project` with the password in `message`.
    pub(crate) async fn create_as(&self, token: &str, project: &str, message: &ClientMessage) -> Answer {
        let body = json!({ "project": project, "password": message });
        self.call(Method::POST, "/api/v1/projects", Some(token), Some(body))
            .await
    }

    /// alice creates `project` with [`PASSWORD`].
    pub(crate) async fn create_project(&self, project: &str) {
        let password = self.password(&self.alice, project, PASSWORD).await;
        let answer = self.create_as(&self.alice, project, &password).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json());
    }

    /// `token` changes `project`'s password from `old` to `new`.
    pub(crate) async fn change_password(&self, token: &str, project: &str, old: &str, new: &str) -> Answer {
        let old = self.password(token, project, old).await;
        let new = self.password(token, project, new).await;
        let path = format!("/api/v1/projects/{project}/password");
        self.call(
            Method::POST,
            &path,
            Some(token),
            Some(json!({ "old": old, "new": new })),
        )
        .await
    }

    /// `token` lists `project`'s documents.
    pub(crate) async fn list(&self, token: &str, project: &str) -> Answer {
        let path = format!("/api/v1/projects/{project}/documents");
        self.call(Method::GET, &path, Some(token), None).await
    }

    /// `token` rotates `project`'s key with `password`.
    pub(crate) async fn rotate(&self, token: &str, project: &str, password: &str) -> Answer {
        let password = self.password(token, project, password).await;
        let path = format!("/api/v1/projects/{project}/rotation");
        self.call(
            Method::POST,
            &path,
            Some(token),
            Some(json!({ "password": password })),
        )
        .await
    }

    /// alice makes bob a member of `project` with `role`.
    pub(crate) async fn add_bob(&self, project: &str, role: &str) {
        let answer = self
            .call(
                Method::PUT,
                &format!("/api/v1/projects/{project}/members/bob"),
                Some(&self.alice),
                Some(json!({ "role": role })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
    }

    /// The reasons of every failed-authentication record, oldest first.
    pub(crate) fn authentication_failures(&self) -> Vec<(String, String)> {
        self.state
            .door()
            .audit_records()
            .unwrap()
            .into_iter()
            .filter(|r| r.event.operation.to_string() == "authenticate")
            .map(|r| {
                let reason = match &r.event.outcome {
                    coffer_store::audit::Outcome::Failed { reason } => reason.as_str().to_owned(),
                    other => format!("{other:?}"),
                };
                (r.event.principal.to_string(), reason)
            })
            .collect()
    }
}

/// Builds an upload body: the session message line, then `content`.
pub(crate) fn upload_body(message: &ClientMessage, content: &[u8]) -> Vec<u8> {
    let mut body = serde_json::to_vec(message).unwrap();
    body.push(b'\n');
    body.extend_from_slice(content);
    body
}

impl Harness {
    /// `token` uploads `content` as `document` of `project` with `password`.
    pub(crate) async fn upload(
        &self,
        token: &str,
        project: &str,
        document: &str,
        password: &str,
        content: &[u8],
    ) -> Answer {
        let message = self.password(token, project, password).await;
        let body = upload_body(&message, content);
        let mut request = request(
            Method::PUT,
            &format!("/api/v1/projects/{project}/documents/{document}"),
            Some(token),
            Body::from(body.clone()),
        );
        request
            .headers_mut()
            .insert("content-length", body.len().to_string().parse().unwrap());
        self.send(request).await
    }

    /// `token` asks for a download offer of `document` and answers it
    /// with `password`: the session message to post.
    pub(crate) async fn download_message(
        &self,
        token: &str,
        project: &str,
        document: &str,
        password: &str,
    ) -> ClientMessage {
        let answer = self
            .call(
                Method::POST,
                &format!("/api/v1/projects/{project}/documents/{document}/offer"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
        let offer: Offer = serde_json::from_slice(&answer.body).unwrap();
        client::encrypt(&offer, password.as_bytes()).unwrap()
    }

    /// Posts a download's session message.
    pub(crate) async fn download(
        &self,
        token: &str,
        project: &str,
        document: &str,
        message: &ClientMessage,
    ) -> Answer {
        self.call(
            Method::POST,
            &format!("/api/v1/projects/{project}/documents/{document}/download"),
            Some(token),
            Some(serde_json::to_value(message).unwrap()),
        )
        .await
    }
}

/// The document part of the story, with refusals: alice uploads, bob (a
/// viewer of `payroll`) is refused an upload, tries `wrong`, downloads,
/// replays; alice changes the password to `new` and bob downloads with it.
pub(crate) async fn story_with_documents(h: &Harness, new: &str, wrong: &str) {
    let content = b"April payroll: 43 people".repeat(1000);
    let stored = h.upload(&h.alice, "payroll", "april", PASSWORD, &content).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.json());
    let refused = h.upload(&h.bob, "payroll", "forged", PASSWORD, b"forged").await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "denied".to_owned())
    );
    let message = h.download_message(&h.bob, "payroll", "april", wrong).await;
    let answer = h.download(&h.bob, "payroll", "april", &message).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unlock_failed".to_owned())
    );
    let message = h.download_message(&h.bob, "payroll", "april", PASSWORD).await;
    let answer = h.download(&h.bob, "payroll", "april", &message).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, content);
    let replay = h.download(&h.bob, "payroll", "april", &message).await;
    assert_eq!(
        (replay.status, replay.code()),
        (StatusCode::BAD_REQUEST, "session_rejected".to_owned())
    );
    let changed = h.change_password(&h.alice, "payroll", PASSWORD, new).await;
    assert_eq!(changed.status, StatusCode::OK);
    let message = h.download_message(&h.bob, "payroll", "april", new).await;
    assert_eq!(
        h.download(&h.bob, "payroll", "april", &message).await.body,
        content
    );
}

/// A log writer appending to a shared buffer, for tests that read what
/// the service logged.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Sends every log line of every thread, up to `level`, here (once
    /// per test binary).
    pub(crate) fn install(level: tracing::Level) -> Self {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        captured
    }
}

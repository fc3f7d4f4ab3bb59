#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset
//! A service on a fresh SQLite data directory, driven in-process with
//! `tower::ServiceExt::oneshot`: alice is a tenant Owner of `acme`, bob a
//! principal of `acme` with no role; both have API keys.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use coffer_server::{app, AppState, Limits, StoreArgs};
use coffer_store::policy::session::{client, ClientMessage, Offer};
use coffer_store::policy::{FrontDoorConfig, Principal, Role};
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
    let store = StoreArgs {
        data_dir: dir.path().to_owned(),
        postgres: None,
        key_dir: None,
    };
    let config = FrontDoorConfig {
        unlock_cache: Some(Duration::from_secs(60)),
        ..FrontDoorConfig::default()
    };
    let opened = store.open(config).unwrap();
    opened
        .door
        .grant_tenant_role(&principal("acme/alice"), Role::Owner)
        .unwrap();
    let (_, alice) = opened.keys.create(&principal("acme/alice"), "test", None).unwrap();
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
            panic!("not JSON ({}): {}", self.status, String::from_utf8_lossy(&self.body))
        })
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
    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes().to_vec();
        Answer { status, headers, body }
    }

    pub(crate) async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> Answer {
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

    /// alice creates `project` with [`PASSWORD`].
    pub(crate) async fn create_project(&self, project: &str) {
        let password = self.password(&self.alice, project, PASSWORD).await;
        let answer = self
            .call(
                Method::POST,
                "/api/v1/projects",
                Some(&self.alice),
                Some(json!({ "project": project, "password": password })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json());
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
                    coffer_store::policy::audit::Outcome::Failed { reason } => reason.as_str().to_owned(),
                    other => format!("{other:?}"),
                };
                (r.event.principal.to_string(), reason)
            })
            .collect()
    }
}

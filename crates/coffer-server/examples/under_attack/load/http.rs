//! A minimal HTTP/1.1 client on hyper for the load tool: one keep-alive
//! connection from a chosen loopback address, every call under a deadline.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpSocket, TcpStream};

/// Longest any one call of the tool may take.
pub const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// A TCP connection from `source` (any port) to `to`, within
/// [`CALL_DEADLINE`].
///
/// # Errors
///
/// The socket's or the connect's error, or a timeout.
pub async fn connect_from(
    source: IpAddr,
    to: SocketAddr,
    recv_buffer: Option<u32>,
) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size)?;
    }
    socket.bind(SocketAddr::new(source, 0))?;
    let stream = tokio::time::timeout(CALL_DEADLINE, socket.connect(to))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    // As browsers do: a request's head and body go out at once, not
    // behind Nagle's wait for an acknowledgement.
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// An answer: the status and the whole body.
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// One client: a keep-alive connection from `source`, made again when the
/// service closed it.
pub struct Client {
    source: IpAddr,
    to: SocketAddr,
    token: String,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Extra headers on every request (the forwarding header).
    pub extra: Vec<(&'static str, String)>,
}

impl Client {
    /// A client of `to` from `source`, authenticating with `token`.
    pub fn new(source: IpAddr, to: SocketAddr, token: &str) -> Self {
        Client {
            source,
            to,
            token: token.to_owned(),
            sender: None,
            extra: Vec::new(),
        }
    }

    /// Replaces the API key sent.
    pub fn set_token(&mut self, token: String) {
        self.token = token;
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = connect_from(self.source, self.to, None)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| "no connection".to_owned())
    }

    /// Sends one request and reads the whole answer, within
    /// [`CALL_DEADLINE`].
    ///
    /// # Errors
    ///
    /// A transport failure or the deadline, described.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
        json: bool,
    ) -> Result<Answer, String> {
        let call = async {
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .header("host", self.to.to_string())
                .header("authorization", format!("Bearer {}", self.token))
                .header("content-length", body.len().to_string());
            if json {
                request = request.header("content-type", "application/json");
            }
            for (name, value) in &self.extra {
                request = request.header(*name, value);
            }
            let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
            let sender = self.sender().await?;
            sender.ready().await.map_err(|e| format!("connection: {e}"))?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("request: {e}"))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok(Answer { status, body })
        };
        let result = tokio::time::timeout(CALL_DEADLINE, call)
            .await
            .unwrap_or_else(|_| Err("call timed out".to_owned()));
        if result.is_err() {
            // The connection's state is unknown: the next call makes a new one.
            self.sender = None;
        }
        result
    }

    /// POSTs `value` as JSON.
    ///
    /// # Errors
    ///
    /// As [`Client::call`].
    pub async fn post_json(&mut self, path: &str, value: &Value) -> Result<Answer, String> {
        self.call(Method::POST, path, Bytes::from(value.to_string()), true)
            .await
    }
}

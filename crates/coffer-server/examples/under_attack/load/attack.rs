//! The attack of run 2, every piece bounded in count and in time:
//! idle connections that never send a byte, uploads that stall after
//! their head, downloads never read, and failed authentications from
//! distinct IPv6 /64s carried through the trusted-proxy header.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::join_all;
use hyper::{Method, StatusCode};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::http::{connect_from, Client};
use super::legit;

/// Pause before an attacker whose call was answered tries again.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// Answers the attackers got, by kind and status.
#[derive(Debug, Default)]
pub struct Tally(Mutex<BTreeMap<String, usize>>);

impl Tally {
    fn add(&self, what: String) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(what)
            .or_default() += 1;
    }

    /// Every count.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The `index`-th attacker address of `block` (127.`block`.x.y), with at
/// most `per_source` connections on each.
pub fn source(block: u8, index: usize, per_source: usize) -> IpAddr {
    let n = index / per_source.max(1);
    IpAddr::V4(Ipv4Addr::new(
        127,
        block,
        u8::try_from(n / 250 % 250).unwrap_or(0),
        u8::try_from(n % 250 + 1).unwrap_or(1),
    ))
}

/// Opens `count` connections that never send anything, from 127.1.x.y,
/// at most `per_source` per address, 200 at a time. Returns the open ones
/// (held until dropped) and how many could not be opened.
pub async fn idle(to: SocketAddr, count: usize, per_source: usize) -> (Vec<TcpStream>, usize) {
    let mut held = Vec::with_capacity(count);
    let mut failed = 0;
    let indices: Vec<usize> = (0..count).collect();
    for chunk in indices.chunks(200) {
        let opened = join_all(
            chunk
                .iter()
                .map(|&i| connect_from(source(1, i, per_source), to, Some(4096))),
        )
        .await;
        for stream in opened {
            match stream {
                Ok(stream) => held.push(stream),
                Err(_) => failed += 1,
            }
        }
    }
    (held, failed)
}

/// The status of the answer waiting on `stream`, read without consuming
/// it; `None` when nothing came within `wait` (or the peer closed).
async fn peek_status(stream: &TcpStream, wait: Duration) -> Option<u16> {
    let mut head = [0u8; 12];
    let peeked = tokio::time::timeout(wait, stream.peek(&mut head))
        .await
        .ok()?
        .ok()?;
    std::str::from_utf8(head.get(9..12.min(peeked))?)
        .ok()?
        .parse()
        .ok()
}

/// Sleeps until `until` or `pause`, whichever comes first.
async fn pause(until: Instant, pause: Duration) {
    let left = until.saturating_duration_since(Instant::now());
    tokio::time::sleep(left.min(pause)).await;
}

/// One stalled upload after the other on slot `slot` until `until`: the
/// head of a 1 MiB upload with a valid API key, then nothing. An answer
/// (429 over the principal's transfer cap, 408 when the body timeout
/// ends it) is counted and the slot starts again.
pub async fn stalled_upload(
    to: SocketAddr,
    slot: usize,
    token: String,
    project: String,
    until: Instant,
    tally: Arc<Tally>,
) {
    let from = source(2, slot, 50);
    let mut attempt = 0usize;
    while Instant::now() < until {
        attempt += 1;
        let Ok(mut stream) = connect_from(from, to, None).await else {
            tally.add("stalled upload: connect failed".to_owned());
            pause(until, RETRY_PAUSE).await;
            continue;
        };
        let head = format!(
            "PUT /api/v1/projects/{project}/documents/stall-{slot}-{attempt} HTTP/1.1\r\nhost: {to}\r\n\
             authorization: Bearer {token}\r\ncontent-length: 1048576\r\n\r\n"
        );
        if stream.write_all(head.as_bytes()).await.is_err() {
            tally.add("stalled upload: write failed".to_owned());
            continue;
        }
        let left = until.saturating_duration_since(Instant::now());
        match peek_status(&stream, left).await {
            Some(status) => {
                tally.add(format!("stalled upload: answered {status}"));
                pause(until, RETRY_PAUSE).await;
            }
            None if Instant::now() >= until => tally.add("stalled upload: no answer by the end".to_owned()),
            None => tally.add("stalled upload: closed".to_owned()),
        }
    }
}

/// One unread download after the other on slot `slot` until `until`: a
/// download offer answered, the download asked for on a connection with a
/// small receive buffer, and nothing read. A refusal is counted (its
/// offer cancelled) and the slot starts again.
pub async fn unread_download(
    to: SocketAddr,
    slot: usize,
    token: String,
    project: String,
    until: Instant,
    tally: Arc<Tally>,
) {
    let from = source(3, slot, 50);
    let mut c = Client::new(from, to, &token);
    let base = format!("/api/v1/projects/{project}/documents/big");
    while Instant::now() < until {
        let offer = match c
            .call(Method::POST, &format!("{base}/offer"), Bytes::new(), false)
            .await
        {
            Ok(answer) if answer.status == StatusCode::OK => answer,
            Ok(answer) => {
                tally.add(format!("unread download: offer {}", answer.status.as_u16()));
                pause(until, RETRY_PAUSE).await;
                continue;
            }
            Err(_) => {
                tally.add("unread download: offer failed".to_owned());
                pause(until, RETRY_PAUSE).await;
                continue;
            }
        };
        let Ok(offer) = serde_json::from_slice(&offer.body) else {
            tally.add("unread download: bad offer".to_owned());
            continue;
        };
        let Ok(message) = coffer_store::session::client::encrypt(&offer, legit::PASSWORD.as_bytes()) else {
            tally.add("unread download: encrypt failed".to_owned());
            continue;
        };
        let body = serde_json::to_string(&message).unwrap_or_default();
        let request = format!(
            "POST {base}/download HTTP/1.1\r\nhost: {to}\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let Ok(mut stream) = connect_from(from, to, Some(4096)).await else {
            tally.add("unread download: connect failed".to_owned());
            pause(until, RETRY_PAUSE).await;
            continue;
        };
        if stream.write_all(request.as_bytes()).await.is_err() {
            tally.add("unread download: write failed".to_owned());
            continue;
        }
        let left = until.saturating_duration_since(Instant::now());
        match peek_status(&stream, left.min(Duration::from_secs(10))).await {
            Some(200) => {
                // Started: never read it. Hold it to the end of the run.
                tokio::time::sleep_until(until.into()).await;
                tally.add("unread download: held to the end".to_owned());
                drop(stream);
            }
            Some(status) => {
                tally.add(format!("unread download: answered {status}"));
                let cancel = format!("/api/v1/offers/{}", message.key_id);
                let _ = c.call(Method::DELETE, &cancel, Bytes::new(), false).await;
                pause(until, RETRY_PAUSE).await;
            }
            None => tally.add("unread download: no answer".to_owned()),
        }
    }
}

/// The IPv6 client of failure `n`: a distinct /64 each
/// (2001:db8:<n high>:<n low>::1), so each is a source of its own.
pub fn failing_client(n: usize) -> String {
    format!("2001:db8:{:x}:{:x}::1", (n >> 16) & 0xffff, n & 0xffff)
}

/// Sends failed authentications (an unknown key id) through the trusted
/// proxy `proxy`, each naming the next address from `next` in its
/// `X-Forwarded-For`, until `total` were sent or `until`.
pub async fn failures(
    to: SocketAddr,
    proxy: IpAddr,
    next: Arc<AtomicUsize>,
    total: usize,
    until: Instant,
    tally: Arc<Tally>,
) {
    let mut c = Client::new(proxy, to, "");
    while Instant::now() < until {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= total {
            break;
        }
        c.set_token(format!(
            "coffer_{:016x}_{}",
            n as u64 ^ 0x5eed_0000_0000_0000,
            "0".repeat(64)
        ));
        c.extra = vec![("x-forwarded-for", failing_client(n))];
        match c.call(Method::GET, "/api/v1/me", Bytes::new(), false).await {
            Ok(answer) => tally.add(format!("failure: answered {}", answer.status.as_u16())),
            Err(_) => tally.add("failure: transport error".to_owned()),
        }
    }
}

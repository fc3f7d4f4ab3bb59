//! The failed-authentication limits through the router: counted per (key
//! id, source) and per source, IPv6 by /64, never refusing a client the
//! full table does not track, the client address taken from a trusted
//! proxy's header only, and the audit chain growing by a bounded number
//! of records per source.

use crate::harness;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, StatusCode};
use coffer_server::{ClientAddress, ForwardedHeader, LimiterConfig, Limits};
use harness::{harness_with, request, Answer, Harness};

fn limits(max_tracked: usize) -> Limits {
    Limits {
        failures: LimiterConfig {
            max_failures: 3,
            window: Duration::from_secs(600),
            max_tracked,
        },
        ..Limits::default()
    }
}

/// `GET /api/v1/me` with `token` from `peer`, with extra headers.
async fn me_from(h: &Harness, token: &str, peer: IpAddr, headers: &[(&str, &str)]) -> Answer {
    let mut request = request(Method::GET, "/api/v1/me", Some(token), Body::empty());
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(peer, 50000)));
    for (name, value) in headers {
        let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().append(name, value.parse().unwrap());
    }
    h.send(request).await
}

async fn me(h: &Harness, token: &str, peer: &str) -> StatusCode {
    me_from(h, token, peer.parse().unwrap(), &[]).await.status
}

/// An `X-Forwarded-For` naming `client`.
fn via(client: &'static str) -> [(&'static str, &'static str); 1] {
    [("x-forwarded-for", client)]
}

/// alice's key id with a wrong secret.
fn wrong_secret(token: &str) -> String {
    format!("{}_{}", &token[..token.rfind('_').unwrap()], "0".repeat(64))
}

#[tokio::test]
async fn failures_count_per_key_id_and_source() {
    let h = harness_with(limits(1000));
    let wrong_alice = wrong_secret(&h.alice);
    // Wrong secrets for alice's key from three places: her right key still
    // works from a fourth (a key id is not locked out everywhere).
    for ip in ["10.1.0.1", "10.1.0.2", "10.1.0.3"] {
        assert_eq!(me(&h, &wrong_alice, ip).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(me(&h, &h.alice, "10.1.0.4").await, StatusCode::OK);
    // Three from one place: that key from there waits, with Retry-After,
    // while it works from elsewhere and other keys work from there.
    for _ in 0..3 {
        assert_eq!(me(&h, &wrong_alice, "10.2.0.1").await, StatusCode::UNAUTHORIZED);
    }
    let limited = me_from(&h, &h.alice, "10.2.0.1".parse().unwrap(), &[]).await;
    limited.expect(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let wait: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    assert_eq!(me(&h, &h.alice, "10.2.0.2").await, StatusCode::OK);
    assert_eq!(me(&h, &h.bob, "10.2.0.1").await, StatusCode::OK);
    // A source that failed without a key id is limited for tokens without
    // one; a valid key from there still passes (one bad client behind a
    // NAT does not lock out its neighbours).
    for _ in 0..3 {
        assert_eq!(me(&h, "garbage", "10.3.0.1").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(me(&h, "garbage", "10.3.0.1").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(me(&h, &h.bob, "10.3.0.1").await, StatusCode::OK);
}

#[tokio::test]
async fn ipv6_sources_are_counted_per_64() {
    let h = harness_with(limits(1000));
    for ip in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"] {
        assert_eq!(me(&h, "garbage", ip).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        me(&h, "garbage", "2001:db8:1:2::99").await,
        StatusCode::TOO_MANY_REQUESTS,
        "another address of the same /64"
    );
    assert_eq!(
        me(&h, "garbage", "2001:db8:1:3::1").await,
        StatusCode::UNAUTHORIZED,
        "the next /64 is another source"
    );
    let wrong_alice = wrong_secret(&h.alice);
    for n in 1..=3 {
        let ip = format!("2001:db8:9:9::{n}");
        assert_eq!(me(&h, &wrong_alice, &ip).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        me(&h, &h.alice, "2001:db8:9:9::77").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(me(&h, &h.alice, "2001:db8:9:a::1").await, StatusCode::OK);
}

#[tokio::test]
async fn a_full_table_refuses_no_one_it_does_not_track() {
    let h = harness_with(limits(64));
    // Failures from more /64s than the table holds, each used up.
    for n in 0..80u16 {
        let peer = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xbad, n, 0, 0, 0, 1));
        for _ in 0..3 {
            me_from(&h, "garbage", peer, &[]).await;
        }
    }
    let fresh = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0x600d, 0, 0, 0, 0, 1));
    assert_eq!(me_from(&h, &h.bob, fresh, &[]).await.status, StatusCode::OK);
    assert_eq!(
        me_from(&h, "garbage", fresh, &[]).await.status,
        StatusCode::UNAUTHORIZED,
        "an untracked source is not limited"
    );
    // The most recent sources are still counted.
    let recent = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xbad, 79, 0, 0, 0, 1));
    assert_eq!(
        me_from(&h, "garbage", recent, &[]).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_source_is_recorded_a_bounded_number_of_times() {
    let h = harness_with(limits(1000));
    // Unknown key ids, each new, from one source: every one is answered
    // 401, but only the first window's worth is recorded one by one.
    for n in 0..20 {
        let token = format!("coffer_{:016x}_{}", n + 1, "2".repeat(64));
        assert_eq!(me(&h, &token, "10.9.0.1").await, StatusCode::UNAUTHORIZED);
    }
    let reasons: Vec<String> = h.authentication_failures().into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        reasons,
        [
            "api-key.unknown",
            "api-key.unknown",
            "api-key.unknown",
            "api-key.rate-limited"
        ]
    );
}

#[tokio::test]
async fn the_client_address_comes_from_trusted_proxies_only() {
    let h = harness_with(Limits {
        client_address: ClientAddress {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            header: ForwardedHeader::XForwardedFor,
        },
        ..limits(1000)
    });
    let proxy: IpAddr = "10.0.0.1".parse().unwrap();
    // Behind the proxy, one client's failures limit that client only.
    for _ in 0..3 {
        let answer = me_from(&h, "garbage", proxy, &via("198.51.100.7")).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let same = me_from(&h, "garbage", proxy, &via("198.51.100.7")).await;
    assert_eq!(same.status, StatusCode::TOO_MANY_REQUESTS);
    let other = me_from(&h, "garbage", proxy, &via("198.51.100.8")).await;
    assert_eq!(
        other.status,
        StatusCode::UNAUTHORIZED,
        "another client of the proxy"
    );
    // A forged entry left of the proxy's own is not believed.
    let forged = me_from(
        &h,
        "garbage",
        proxy,
        &[("x-forwarded-for", "203.0.113.50, 198.51.100.7")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);
    // From a peer that is no trusted proxy the header is ignored: its
    // failures are its own, whatever it claims.
    let direct: IpAddr = "203.0.113.5".parse().unwrap();
    assert_eq!(
        me_from(&h, "garbage", direct, &via("198.51.100.7")).await.status,
        StatusCode::UNAUTHORIZED,
        "not limited as the client it names"
    );
    for client in ["192.0.2.1", "192.0.2.2"] {
        me_from(&h, "garbage", direct, &via(client)).await;
    }
    assert_eq!(
        me_from(&h, "garbage", direct, &via("192.0.2.3")).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "counted as the peer, not as the clients it names"
    );
}

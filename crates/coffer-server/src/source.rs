//! Who a request comes from, for the failure limits and the logs: the
//! peer's address, or, when the peer is one of the operator's trusted
//! proxies (`--trusted-proxy CIDR`), the client address that proxy
//! reports in `X-Forwarded-For` or `Forwarded` (RFC 7239). From any other
//! peer those headers are ignored: anybody can write them.
//!
//! The hop list is read from the right (nearest hop first) and every
//! trusted proxy is skipped: the first address that is not a trusted
//! proxy is the client. A client's own forged entries sit to the left of
//! the one its proxy appended, so they are never reached. An entry that
//! does not parse (`unknown`, an obfuscated identifier) stops the walk at
//! the last trusted hop.
//!
//! The service reads one header, the one its proxy writes
//! (`--forwarded-header`): a proxy that appends to `X-Forwarded-For` lets a
//! client's forged `Forwarded` through untouched, and the reverse.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use axum::http::{header, HeaderMap, HeaderName};

/// A network: an address and a prefix length (`10.0.0.0/8`,
/// `2001:db8::/32`; a bare address is a single host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A network that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a network (`ADDRESS/PREFIX`, such as `10.0.0.0/8` or `2001:db8::/32`)")]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || CidrError(text.chars().take(64).collect());
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| refuse())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(refuse)?,
        };
        Ok(Cidr {
            network: mask(network, prefix),
            prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl Cidr {
    /// Whether `address` is in this network (an IPv4-mapped IPv6 address
    /// counts as its IPv4 address).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        address.is_ipv4() == self.network.is_ipv4() && mask(address, self.prefix) == self.network
    }
}

/// `address` with all but its first `prefix` bits cleared.
fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = u32::MAX.checked_shl(32 - u32::from(prefix.min(32))).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & kept))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & kept))
        }
    }
}

/// Who a request or a connection is counted against, by the failure
/// limits and the connection caps alike: an IPv4 address as it is, an IPv6
/// address by its /64 (one subscriber or host commonly holds a whole /64,
/// so counting single IPv6 addresses would count nothing and let one host
/// take every slot). An IPv4-mapped IPv6 address counts as its IPv4
/// address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientSource(IpAddr);

impl ClientSource {
    /// The source `address` is counted as.
    pub fn of(address: IpAddr) -> Self {
        match address.to_canonical() {
            v4 @ IpAddr::V4(_) => ClientSource(v4),
            v6 @ IpAddr::V6(_) => ClientSource(mask(v6, 64)),
        }
    }

    /// The address standing for this source (an IPv6 /64 as its first
    /// address).
    pub fn address(self) -> IpAddr {
        self.0
    }
}

impl fmt::Display for ClientSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// Which header a trusted proxy reports the client in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, …`.
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1, …` (RFC 7239).
    Forwarded,
}

/// How the client address of a request is found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAddress {
    /// The proxies whose forwarding headers are believed (none: the peer
    /// is the client).
    pub trusted_proxies: Vec<Cidr>,
    /// The header those proxies write.
    pub header: ForwardedHeader,
}

impl ClientAddress {
    fn trusted(&self, address: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(address))
    }

    /// The client of a request that came from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let name: HeaderName = match self.header {
            ForwardedHeader::XForwardedFor => HeaderName::from_static("x-forwarded-for"),
            ForwardedHeader::Forwarded => header::FORWARDED,
        };
        // Every occurrence of the header, in order, as one list.
        let hops: Vec<&str> = headers
            .get_all(name)
            .iter()
            .flat_map(|value| value.to_str().unwrap_or("unknown").split(','))
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let parsed = match self.header {
                ForwardedHeader::XForwardedFor => parse_address(hop),
                ForwardedHeader::Forwarded => forwarded_for(hop).and_then(parse_address),
            };
            match parsed {
                Some(address) if self.trusted(address) => client = address,
                Some(address) => return address,
                None => return client,
            }
        }
        client
    }
}

/// The `for=` parameter of one `Forwarded` element.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value)
    })
}

/// An address as a forwarding header writes it: `192.0.2.1`,
/// `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(address);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    // `a.b.c.d:port` (an IPv6 address without brackets parsed above).
    text.rsplit_once(':')?.0.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| unreachable!("a test address"))
    }

    fn net(text: &str) -> Cidr {
        text.parse().unwrap_or_else(|_| unreachable!("a test network"))
    }

    fn headers(name: &'static str, values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn networks_parse_and_contain() {
        assert!(net("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!net("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(
            net("10.1.2.3/8").contains(ip("10.9.9.9")),
            "host bits are cleared"
        );
        assert!(net("192.0.2.7").contains(ip("192.0.2.7")));
        assert!(!net("192.0.2.7").contains(ip("192.0.2.8")));
        assert!(net("2001:db8::/32").contains(ip("2001:db8:1::5")));
        assert!(net("10.0.0.0/8").contains(ip("::ffff:10.0.0.1")), "IPv4-mapped");
        assert!(net("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!net("0.0.0.0/0").contains(ip("2001:db8::1")));
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "", "/8", "10.0.0.0/x"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
        assert_eq!(net("10.1.2.3/8").to_string(), "10.0.0.0/8");
    }

    #[test]
    fn ipv6_is_counted_per_64_and_ipv4_per_address() {
        let counted = |text: &str| ClientSource::of(ip(text)).address();
        assert_eq!(counted("2001:db8:1:2:3:4:5:6"), ip("2001:db8:1:2::"));
        assert_eq!(counted("2001:db8:1:2:ffff::1"), ip("2001:db8:1:2::"));
        assert_ne!(counted("2001:db8:1:3::1"), ip("2001:db8:1:2::"));
        assert_eq!(counted("192.0.2.1"), ip("192.0.2.1"));
        assert_eq!(counted("::ffff:192.0.2.1"), ip("192.0.2.1"));
        assert_eq!(
            ClientSource::of(ip("2001:db8:1:2::9")).to_string(),
            "2001:db8:1:2::/64"
        );
        assert_eq!(ClientSource::of(ip("::ffff:192.0.2.1")).to_string(), "192.0.2.1");
    }

    #[test]
    fn ipv6_sources_are_their_64_and_mapped_ipv4_is_ipv4() {
        assert_eq!(
            ClientSource::of(ip("2001:db8:1:2:aaaa::1")),
            ClientSource::of(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_ne!(
            ClientSource::of(ip("2001:db8:1:2::1")),
            ClientSource::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            ClientSource::of(ip("::ffff:192.0.2.7")),
            ClientSource::of(ip("192.0.2.7"))
        );
        assert_ne!(
            ClientSource::of(ip("192.0.2.7")),
            ClientSource::of(ip("192.0.2.8"))
        );
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxies = ClientAddress {
            trusted_proxies: vec![net("10.0.0.0/8")],
            header: ForwardedHeader::XForwardedFor,
        };
        let forged = headers("x-forwarded-for", &["198.51.100.7"]);
        // From an untrusted peer the header is ignored.
        assert_eq!(proxies.client(ip("203.0.113.1"), &forged), ip("203.0.113.1"));
        assert_eq!(
            ClientAddress::default().client(ip("10.0.0.1"), &forged),
            ip("10.0.0.1")
        );
        // From a trusted proxy: the nearest untrusted hop.
        assert_eq!(proxies.client(ip("10.0.0.1"), &forged), ip("198.51.100.7"));
        let chain = headers("x-forwarded-for", &["1.2.3.4, 198.51.100.7", "10.0.0.2"]);
        assert_eq!(
            proxies.client(ip("10.0.0.1"), &chain),
            ip("198.51.100.7"),
            "a forged leftmost entry is not reached"
        );
        let unknown = headers("x-forwarded-for", &["unknown, 10.0.0.2"]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &unknown), ip("10.0.0.2"));
        assert_eq!(proxies.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
        // The other header is not read.
        let other = headers("forwarded", &["for=198.51.100.9"]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &other), ip("10.0.0.1"));
    }

    #[test]
    fn forwarded_elements_name_their_client() {
        let proxies = ClientAddress {
            trusted_proxies: vec![net("10.0.0.0/8"), net("fd00::/8")],
            header: ForwardedHeader::Forwarded,
        };
        let cases = [
            ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            ("For=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("for=192.0.2.43, for=198.51.100.17", "198.51.100.17"),
            ("for=198.51.100.17:8080, for=\"[fd00::2]\"", "198.51.100.17"),
        ];
        for (value, client) in cases {
            let headers = headers("forwarded", &[value]);
            assert_eq!(proxies.client(ip("10.0.0.1"), &headers), ip(client), "{value}");
        }
    }
}

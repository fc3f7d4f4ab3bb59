//! How a PostgreSQL connection string is turned into a connection: the
//! client's own settings, plus libpq's `sslmode` and `sslrootcert`, which
//! the `postgres` crate does not read itself.
//!
//! - `sslmode=verify-full` with `sslrootcert=FILE`: TLS is required, and
//!   the server's certificate must chain to a CA in `FILE` (PEM) and name
//!   the host the string connects to (the `host`, also when `hostaddr`
//!   gives the address), as libpq's `verify-full`. A server that does not
//!   offer TLS is refused.
//! - `sslmode=disable`, `allow`, `prefer` or none: no TLS. The modes that
//!   would encrypt without checking who answers (`require`, `verify-ca`)
//!   are refused rather than weakened or strengthened silently.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use postgres::config::SslMode;
use postgres::tls::MakeTlsConnect;
use postgres::Config;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::OpenError;

/// The largest CA file read: a bundle of a few hundred certificates.
const MAX_CA_FILE: u64 = 1 << 20;

/// A parsed connection string: the client's settings and the TLS
/// connector they go with (one type whether TLS is used or not, so a pool
/// has a single connection manager type).
#[derive(Clone)]
pub struct PostgresConnect {
    /// The client's settings, `sslmode` set to what the string asked.
    pub config: Config,
    /// The connector: verifying against the `sslrootcert` CAs, or never
    /// used (`sslmode` disabled).
    pub tls: PostgresTls,
}

/// The TLS connector of a [`PostgresConnect`] (rustls, on ring).
#[derive(Clone)]
pub struct PostgresTls(MakeRustlsConnect);

impl std::fmt::Debug for PostgresTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresTls")
    }
}

impl<S> MakeTlsConnect<S> for PostgresTls
where
    MakeRustlsConnect: MakeTlsConnect<S>,
{
    type Stream = <MakeRustlsConnect as MakeTlsConnect<S>>::Stream;
    type TlsConnect = <MakeRustlsConnect as MakeTlsConnect<S>>::TlsConnect;
    type Error = <MakeRustlsConnect as MakeTlsConnect<S>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        self.0.make_tls_connect(domain)
    }
}

impl std::fmt::Debug for PostgresConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config's Debug redacts the password.
        f.debug_struct("PostgresConnect")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PostgresConnect {
    /// Parses `url` (a URL or key=value pairs) with its `sslmode` and
    /// `sslrootcert` parameters, reading the CA file.
    ///
    /// # Errors
    ///
    /// [`OpenError::Url`] for a string that does not parse,
    /// [`OpenError::SslMode`] for a mode that is not offered,
    /// [`OpenError::RootCertMissing`], [`OpenError::RootCert`] and
    /// [`OpenError::RootCertEmpty`] for the CA file of `verify-full`.
    pub fn parse(url: &str) -> Result<Self, OpenError> {
        let (rest, mode, root) = split_tls_parameters(url);
        let mut config: Config = rest.parse().map_err(|source| OpenError::Url { source })?;
        let roots = match mode.as_deref() {
            None | Some("disable" | "allow" | "prefer") => {
                config.ssl_mode(SslMode::Disable);
                RootCertStore::empty()
            }
            Some("verify-full") => {
                let path = root.ok_or(OpenError::RootCertMissing)?;
                config.ssl_mode(SslMode::Require);
                read_roots(PathBuf::from(path))?
            }
            Some(other) => return Err(OpenError::SslMode(other.chars().take(32).collect())),
        };
        #[allow(
            deprecated,
            reason = "rustls deprecates its ring provider for want of a post-quantum key exchange; \
                      the only provider with one is aws-lc-rs, which the workspace does not use"
        )]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(OpenError::TlsSetup)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(PostgresConnect {
            config,
            tls: PostgresTls(MakeRustlsConnect::new(client)),
        })
    }

    /// One connection, outside any pool.
    ///
    /// # Errors
    ///
    /// [`OpenError::ServerCertificate`] when the server's certificate is
    /// refused, [`OpenError::Postgres`] for any other failure.
    pub fn connect(&self) -> Result<postgres::Client, OpenError> {
        self.config
            .connect(self.tls.clone())
            .map_err(OpenError::postgres_connect)
    }
}

/// The certificate error under a failed connection, if that is why it
/// failed: tokio-rustls hands it over inside an `io::Error`, whose
/// `source` skips the error it wraps, so each link is looked into.
pub(crate) fn certificate_error(error: &postgres::Error) -> Option<rustls::CertificateError> {
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = link {
        let inner = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        for candidate in [Some(current), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(reason)) = candidate.downcast_ref() {
                return Some(reason.clone());
            }
        }
        link = inner
            .and_then(std::error::Error::source)
            .or_else(|| current.source());
    }
    None
}

/// The CA certificates in the PEM file at `path`.
fn read_roots(path: PathBuf) -> Result<RootCertStore, OpenError> {
    let mut text = Vec::new();
    let read = std::fs::File::open(&path).and_then(|file| file.take(MAX_CA_FILE + 1).read_to_end(&mut text));
    if let Err(source) = read {
        return Err(OpenError::RootCert { path, source });
    }
    if text.len() as u64 > MAX_CA_FILE {
        return Err(OpenError::RootCertEmpty { path });
    }
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&text) {
        let Ok(cert) = cert else {
            return Err(OpenError::RootCertEmpty { path });
        };
        if roots.add(cert).is_err() {
            return Err(OpenError::RootCertEmpty { path });
        }
    }
    if roots.is_empty() {
        return Err(OpenError::RootCertEmpty { path });
    }
    Ok(roots)
}

/// `url` without its `sslmode` and `sslrootcert` parameters, and their
/// values (the last of each, as libpq).
fn split_tls_parameters(url: &str) -> (String, Option<String>, Option<String>) {
    let mut mode = None;
    let mut root = None;
    let mut take = |key: &str, value: String| match key {
        "sslmode" => mode = Some(value),
        "sslrootcert" => root = Some(value),
        _ => {}
    };
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let rest = if is_url {
        match url.split_once('?') {
            None => url.to_owned(),
            Some((base, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&') {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    if matches!(key, "sslmode" | "sslrootcert") {
                        take(key, percent_decode(value));
                    } else {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
        }
    } else {
        match key_value_pairs(url) {
            // The client's parser reports what is wrong with it.
            None => url.to_owned(),
            Some(pairs) => {
                let mut kept = Vec::new();
                for (key, value) in pairs {
                    if matches!(key.as_str(), "sslmode" | "sslrootcert") {
                        take(&key, value);
                    } else {
                        let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
                        kept.push(format!("{key}='{quoted}'"));
                    }
                }
                kept.join(" ")
            }
        }
    };
    (rest, mode, root)
}

/// `%XX` escapes decoded; a malformed escape is kept as it is (the path
/// then names no file, which is reported).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `key=value` pairs of a libpq key/value string (values optionally
/// single-quoted, `\` escaping the next character), or `None` when it
/// does not parse.
fn key_value_pairs(text: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Some(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        chars.next_if_eq(&'=')?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next()? {
                    '\'' => break,
                    '\\' => value.push(chars.next()?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                value.push(if c == '\\' { chars.next()? } else { c });
            }
        }
        pairs.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;

    fn split(url: &str) -> (String, Option<String>, Option<String>) {
        split_tls_parameters(url)
    }

    #[test]
    fn url_parameters_are_taken_out_and_decoded() {
        let (rest, mode, root) = split(
            "postgresql://u@db.example:5433/coffer?connect_timeout=5&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        );
        assert_eq!(rest, "postgresql://u@db.example:5433/coffer?connect_timeout=5");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
        let (rest, mode, root) = split("postgres://u@h/d?sslmode=disable");
        assert_eq!(
            (rest.as_str(), mode.as_deref(), root),
            ("postgres://u@h/d", Some("disable"), None)
        );
        assert_eq!(split("postgres://u@h/d").0, "postgres://u@h/d");
        assert_eq!(percent_decode("a%2x%41%"), "a%2xA%");
    }

    #[test]
    fn key_value_parameters_are_taken_out_and_the_rest_requoted() {
        let (rest, mode, root) =
            split(r"host=db.example sslmode = verify-full sslrootcert='/etc/my ca.pem' password='it\'s'");
        assert_eq!(rest, r"host='db.example' password='it\'s'");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root.as_deref(), Some("/etc/my ca.pem"));
        let config: Config = rest.parse().unwrap();
        assert_eq!(config.get_password(), Some(&b"it's"[..]));
        assert!(key_value_pairs("host='unterminated").is_none());
        assert!(key_value_pairs("novalue").is_none());
    }

    #[test]
    fn modes_that_would_not_verify_the_server_are_refused() {
        for mode in ["require", "verify-ca", "bogus"] {
            let error = PostgresConnect::parse(&format!("postgresql://u@h/d?sslmode={mode}")).unwrap_err();
            assert!(matches!(&error, OpenError::SslMode(m) if m == mode), "{error}");
        }
        let error = PostgresConnect::parse("postgresql://u@h/d?sslmode=verify-full").unwrap_err();
        assert!(matches!(error, OpenError::RootCertMissing), "{error}");
        let plain = PostgresConnect::parse("postgresql://u@h/d?sslmode=prefer").unwrap();
        assert_eq!(plain.config.get_ssl_mode(), SslMode::Disable);
        assert_eq!(
            PostgresConnect::parse("host=h").unwrap().config.get_ssl_mode(),
            SslMode::Disable
        );
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let url =
            |path: &std::path::Path| format!("host=h sslmode=verify-full sslrootcert='{}'", path.display());
        let error = PostgresConnect::parse(&url(&missing)).unwrap_err();
        assert!(matches!(error, OpenError::RootCert { .. }), "{error}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = PostgresConnect::parse(&url(&empty)).unwrap_err();
        assert!(matches!(error, OpenError::RootCertEmpty { .. }), "{error}");
    }
}

#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different subset"
)]
//! Certificates made in the test: a CA and leaves for `localhost` and
//! `127.0.0.1`, written as PEM files the way a certificate tool replaces
//! them (a new file renamed over the old one).

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    PublicKeyData,
};
use rustls::pki_types::CertificateDer;

/// A test certificate authority.
pub(crate) struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A leaf certificate and its key.
pub(crate) struct Leaf {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    pub(crate) der: CertificateDer<'static>,
    /// The key's SubjectPublicKeyInfo, DER.
    pub(crate) spki: Vec<u8>,
}

impl Ca {
    pub(crate) fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Ca {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    pub(crate) fn pem(&self) -> String {
        self.issuer.pem()
    }

    pub(crate) fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A server certificate for `localhost` and `127.0.0.1`.
    pub(crate) fn leaf(&self, name: &str) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            spki: key.subject_public_key_info(),
        }
    }
}

impl Leaf {
    /// Writes the certificate and key to `cert` and `key`, each by a
    /// rename over the old file.
    pub(crate) fn install(&self, cert: &Path, key: &Path) {
        replace(cert, &self.cert_pem);
        replace(key, &self.key_pem);
    }
}

/// Replaces `path` by a rename, as certificate tools do.
pub(crate) fn replace(path: &Path, text: &str) {
    let staged = path.with_extension("new");
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

/// rustls's ring provider (the service's).
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[allow(
        deprecated,
        reason = "see src/tls.rs: ring has no post-quantum key exchange yet"
    )]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

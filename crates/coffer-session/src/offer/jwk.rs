//! The JSON Web Key form of an offer's public key (RFC 7517, RFC 7518).

use serde::{Deserialize, Serialize};

/// A public JWK as Web Crypto imports it: `kty: "RSA"` with
/// `alg: "RSA-OAEP-256"`, `n`, `e`; or `kty: "EC"`, `crv: "P-256"`, `x`, `y`.
/// Big integers and coordinates are base64url without padding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jwk {
    /// Key type: `RSA` or `EC`.
    pub kty: String,
    /// Algorithm: `RSA-OAEP-256` for RSA keys, absent for EC keys (Web
    /// Crypto's ECDH import takes no `alg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Curve: `P-256` for EC keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// RSA modulus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC x coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Public key use: always `enc`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// Extractable, as Web Crypto writes it.
    pub ext: bool,
}

impl Jwk {
    /// A JWK of type `kty` with no key members yet.
    fn empty(kty: &str) -> Self {
        Self {
            kty: kty.into(),
            alg: None,
            crv: None,
            n: None,
            e: None,
            x: None,
            y: None,
            key_use: "enc".into(),
            ext: true,
        }
    }

    pub(crate) fn rsa_oaep_256(n: String, e: String) -> Self {
        Self {
            alg: Some("RSA-OAEP-256".into()),
            n: Some(n),
            e: Some(e),
            ..Self::empty("RSA")
        }
    }

    pub(crate) fn ec_p256(x: String, y: String) -> Self {
        Self {
            crv: Some("P-256".into()),
            x: Some(x),
            y: Some(y),
            ..Self::empty("EC")
        }
    }

    /// The members present, in a fixed order, for signing.
    pub(crate) fn members(&self) -> Vec<(&'static str, &str)> {
        let optional = [
            ("alg", &self.alg),
            ("crv", &self.crv),
            ("n", &self.n),
            ("e", &self.e),
            ("x", &self.x),
            ("y", &self.y),
        ];
        let mut members = vec![("kty", self.kty.as_str())];
        members.extend(
            optional
                .iter()
                .filter_map(|(name, value)| value.as_deref().map(|v| (*name, v))),
        );
        members.push(("use", &self.key_use));
        members.push(("ext", if self.ext { "true" } else { "false" }));
        members
    }
}

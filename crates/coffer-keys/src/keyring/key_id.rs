//! Key identifiers: a name and a version, written into a wrapped key's kid.

use std::fmt;

use crate::Error;

/// The longest key name; with `:` and a ten-digit version the kid stays within
/// the format's 64 bytes.
pub const MAX_KEY_NAME_LEN: usize = 53;

/// A key-encryption key's identity: a name and a version (`>= 1`).
///
/// Names are 1 to 53 bytes of ASCII letters, digits, `.`, `_` and `-`. The
/// kid written into a wrapped key is `name:version` in ASCII, with the
/// version in decimal without leading zeros, so each identity has exactly one
/// kid.
///
/// ```
/// use coffer_keys::KeyId;
/// let id = KeyId::new("project.alpha", 3)?;
/// assert_eq!(id.kid(), b"project.alpha:3");
/// assert_eq!(KeyId::from_kid(b"project.alpha:3")?, id);
/// # Ok::<(), coffer_keys::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId {
    name: String,
    version: u32,
    kid: Vec<u8>,
}

impl KeyId {
    /// Checks the name and version.
    pub fn new(name: &str, version: u32) -> Result<Self, Error> {
        if !valid_name(name) || version == 0 {
            return Err(Error::InvalidKeyId(format!("{name}:{version}")));
        }
        Ok(Self {
            name: name.to_owned(),
            version,
            kid: format!("{name}:{version}").into_bytes(),
        })
    }

    /// Parses a kid written by [`KeyId::kid`]; any other spelling is refused.
    pub fn from_kid(kid: &[u8]) -> Result<Self, Error> {
        let invalid = || Error::InvalidKeyId(String::from_utf8_lossy(kid).into_owned());
        let text = std::str::from_utf8(kid).map_err(|_| invalid())?;
        let (name, version) = text.rsplit_once(':').ok_or_else(invalid)?;
        let canonical_digits =
            !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) && !version.starts_with('0');
        if !canonical_digits {
            return Err(invalid());
        }
        let version = version.parse::<u32>().map_err(|_| invalid())?;
        Self::new(name, version)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The kid bytes written into wrapped keys.
    pub fn kid(&self) -> &[u8] {
        &self.kid
    }

    /// The same name at another version.
    pub(crate) fn with_version(&self, version: u32) -> Result<Self, Error> {
        Self::new(&self.name, version)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.version)
    }
}

fn valid_name(name: &str) -> bool {
    (1..=MAX_KEY_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_round_trips() {
        let id = KeyId::new(&"n".repeat(MAX_KEY_NAME_LEN), u32::MAX).unwrap();
        assert_eq!(id.kid().len(), 64);
        assert_eq!(KeyId::from_kid(id.kid()).unwrap(), id);
        assert_eq!(id.to_string().as_bytes(), id.kid());
    }

    #[test]
    fn non_canonical_kids_are_refused() {
        for kid in [
            &b"a:01"[..],
            b"a:+1",
            b"a:0",
            b"a:",
            b":1",
            b"a",
            b"a b:1",
            b"a:4294967296",
            b"\xff:1",
            b"a:1 ",
        ] {
            assert!(KeyId::from_kid(kid).is_err(), "{kid:?}");
        }
    }

    #[test]
    fn names_are_checked() {
        assert!(KeyId::new("", 1).is_err());
        assert!(KeyId::new(&"n".repeat(MAX_KEY_NAME_LEN + 1), 1).is_err());
        assert!(KeyId::new("a:b", 1).is_err());
        assert!(KeyId::new("ok", 0).is_err());
        assert!(KeyId::new("Ok.name_1-x", 1).is_ok());
    }
}

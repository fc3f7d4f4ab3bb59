//! Wrapped-key records: the key section's entries, opaque at this layer.

use crate::cursor::Cursor;
use crate::error::{Error, Field, Result};

/// Longest key id, in bytes.
pub const MAX_KID_LEN: usize = 64;
/// Body length of a [`KeyType::LOCAL`] record.
pub const LOCAL_BODY_LEN: usize = 96;
/// Body length of a [`KeyType::PASSWORD`] record.
pub const PASSWORD_BODY_LEN: usize = 116;
/// Longest body of a [`KeyType::EXTERNAL`] record.
pub const MAX_EXTERNAL_BODY_LEN: usize = 4096;
/// Body length of a [`KeyType::HPKE_X25519`] record: the encapsulated key
/// (32) and the sealed DEK (32 + 16).
pub const HPKE_X25519_BODY_LEN: usize = 32 + 48;
/// Body length of a [`KeyType::HPKE_XWING`] record: the X-Wing ciphertext
/// (1120) and the sealed DEK (32 + 16).
pub const HPKE_XWING_BODY_LEN: usize = 1120 + 48;

/// The type byte of a wrapped-key record.
///
/// Types the format defines have enforced body lengths; other types are kept
/// and skipped, so a newer writer's recipients survive a rewrap by an older
/// reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyType(pub u8);

impl KeyType {
    /// `01`: wrapped under a 32-byte key from a keyring.
    pub const LOCAL: KeyType = KeyType(0x01);
    /// `02`: wrapped under a PBKDF2-HMAC-SHA256 password key.
    pub const PASSWORD: KeyType = KeyType(0x02);
    /// `03`: wrapped by an external key service.
    pub const EXTERNAL: KeyType = KeyType(0x03);
    /// `04`: wrapped for a public key with HPKE (RFC 9180) base mode,
    /// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305.
    pub const HPKE_X25519: KeyType = KeyType(0x04);
    /// `05`: wrapped for a public key with HPKE base mode, X-Wing
    /// (ML-KEM-768 + X25519, KEM id 0x647a), HKDF-SHA256, ChaCha20-Poly1305.
    pub const HPKE_XWING: KeyType = KeyType(0x05);

    fn check_body_len(self, len: usize) -> Result<()> {
        let (ok, expected) = match self {
            KeyType::LOCAL => (len == LOCAL_BODY_LEN, "96"),
            KeyType::PASSWORD => (len == PASSWORD_BODY_LEN, "116"),
            KeyType::EXTERNAL => ((1..=MAX_EXTERNAL_BODY_LEN).contains(&len), "1..=4096"),
            KeyType::HPKE_X25519 => (len == HPKE_X25519_BODY_LEN, "80"),
            KeyType::HPKE_XWING => (len == HPKE_XWING_BODY_LEN, "1168"),
            _ => (len <= usize::from(u16::MAX), "0..=65535"),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::WrappedKeyBodyLength {
                key_type: self.0,
                len,
                expected,
            })
        }
    }
}

/// One wrapped-key record, owned: `type ‖ kid_len ‖ kid ‖ body_len ‖ body`.
///
/// ```
/// use coffer_envelope::{KeyType, WrappedKey};
/// let wk = WrappedKey::new(KeyType::EXTERNAL, b"kms/1".to_vec(), vec![7; 40])?;
/// assert_eq!(wk.encoded_len(), 1 + 1 + 5 + 2 + 40);
/// assert!(WrappedKey::new(KeyType::LOCAL, vec![], vec![0; 95]).is_err());
/// # Ok::<(), coffer_envelope::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WrappedKey {
    key_type: KeyType,
    kid: Vec<u8>,
    body: Vec<u8>,
}

impl WrappedKey {
    /// A record, checked against the format: kid at most 64 bytes
    /// ([`Error::KidLength`]) and the body length its type requires
    /// ([`Error::WrappedKeyBodyLength`]).
    pub fn new(key_type: KeyType, kid: Vec<u8>, body: Vec<u8>) -> Result<Self> {
        check(key_type, &kid, &body)?;
        Ok(WrappedKey { key_type, kid, body })
    }

    /// The record's type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The key id: which key, and which version, wrapped this record.
    pub fn kid(&self) -> &[u8] {
        &self.kid
    }

    /// The type-specific body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Length of the record's encoding.
    pub fn encoded_len(&self) -> usize {
        4 + self.kid.len() + self.body.len()
    }

    #[allow(clippy::cast_possible_truncation, reason = "lengths were checked by `new`")]
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(self.key_type.0);
        out.push(self.kid.len() as u8);
        out.extend_from_slice(&self.kid);
        out.extend_from_slice(&(self.body.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.body);
    }
}

impl From<WrappedKeyRef<'_>> for WrappedKey {
    fn from(r: WrappedKeyRef<'_>) -> Self {
        WrappedKey {
            key_type: r.key_type,
            kid: r.kid.to_vec(),
            body: r.body.to_vec(),
        }
    }
}

fn check(key_type: KeyType, kid: &[u8], body: &[u8]) -> Result<()> {
    if kid.len() > MAX_KID_LEN {
        return Err(Error::KidLength(kid.len()));
    }
    key_type.check_body_len(body.len())
}

/// A wrapped-key record borrowed from parsed header bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrappedKeyRef<'a> {
    /// The record's type.
    pub key_type: KeyType,
    /// The key id.
    pub kid: &'a [u8],
    /// The type-specific body.
    pub body: &'a [u8],
}

/// Iterates the records of a validated key section.
#[derive(Debug, Clone)]
pub struct WrappedKeys<'a> {
    records: &'a [u8],
    left: u8,
}

impl<'a> WrappedKeys<'a> {
    pub(crate) fn empty() -> Self {
        WrappedKeys {
            records: &[],
            left: 0,
        }
    }

    /// Validates a key section (`key_count ‖ records`, exactly filled).
    pub(crate) fn parse(section: &'a [u8], max_count: u8) -> Result<Self> {
        let mut c = Cursor::section(section);
        let count = c.u8(Field::KeyCount)?;
        if count == 0 {
            return Err(Error::NoWrappedKeys);
        }
        if count > max_count {
            return Err(Error::LimitExceeded {
                field: Field::KeyCount,
                value: count.into(),
                limit: max_count.into(),
            });
        }
        let start = c.pos();
        for _ in 0..count {
            read_record(&mut c)?;
        }
        if c.remaining() != 0 {
            return Err(Error::LengthMismatch {
                field: Field::KeySection,
            });
        }
        Ok(WrappedKeys {
            records: &section[start..],
            left: count,
        })
    }
}

fn read_record<'a>(c: &mut Cursor<'a>) -> Result<WrappedKeyRef<'a>> {
    let key_type = KeyType(c.u8(Field::WrappedKey)?);
    let kid_len = usize::from(c.u8(Field::WrappedKey)?);
    if kid_len > MAX_KID_LEN {
        return Err(Error::KidLength(kid_len));
    }
    let kid = c.take(kid_len, Field::WrappedKey)?;
    let body_len = usize::from(c.u16(Field::WrappedKey)?);
    key_type.check_body_len(body_len)?;
    let body = c.take(body_len, Field::WrappedKey)?;
    Ok(WrappedKeyRef { key_type, kid, body })
}

impl<'a> Iterator for WrappedKeys<'a> {
    type Item = WrappedKeyRef<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let mut c = Cursor::section(self.records);
        // The section was validated by `parse`, so this cannot fail; if it
        // did, ending the iteration is the safe outcome.
        let record = read_record(&mut c).ok()?;
        self.records = &self.records[c.pos()..];
        self.left -= 1;
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::from(self.left), Some(usize::from(self.left)))
    }
}

impl ExactSizeIterator for WrappedKeys<'_> {}

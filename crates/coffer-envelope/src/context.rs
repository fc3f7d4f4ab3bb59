//! Context entries: public key/value pairs committed into the key schedule.

use std::collections::BTreeMap;

use crate::cursor::Cursor;
use crate::error::{Error, Field, Result};

/// Longest context key, in bytes.
pub const MAX_CONTEXT_KEY_LEN: usize = 64;
/// Longest context value, in bytes.
pub const MAX_CONTEXT_VALUE_LEN: usize = 4096;
/// Keys with this prefix are reserved for coffer's own layers (project,
/// document, tenant ids). The envelope stores them like any other entry; the
/// key layer refuses them from users.
pub const RESERVED_PREFIX: &str = "coffer.";

/// The context: public entries every key in the message is bound to, kept
/// in the one canonical order (keys strictly ascending bytewise).
///
/// Context is authenticated, not encrypted: never put a secret in it.
///
/// ```
/// use coffer_envelope::Context;
/// let mut ctx = Context::new();
/// ctx.insert("tenant", b"acme")?;
/// ctx.insert("purpose", b"invoice")?;
/// let keys: Vec<_> = ctx.iter().map(|(k, _)| k).collect();
/// assert_eq!(keys, ["purpose", "tenant"]);
/// # Ok::<(), coffer_envelope::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Context {
    entries: BTreeMap<String, Vec<u8>>,
    encoded_len: usize,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// Inserts or replaces an entry, returning the previous value.
    ///
    /// Fails with [`Error::ContextKeyLength`] for an empty key or one over 64
    /// bytes, [`Error::ContextValueLength`] for a value over 4096 bytes and
    /// [`Error::ContextTooLarge`] when the encoded context would exceed
    /// 65535 bytes. On error the context is unchanged.
    pub fn insert(&mut self, key: &str, value: &[u8]) -> Result<Option<Vec<u8>>> {
        check_entry(key, value)?;
        let old_len = self.entries.get(key).map_or(0, |v| entry_len(key, v));
        let new_len = self.encoded_len - old_len + entry_len(key, value);
        if new_len > usize::from(u16::MAX) {
            return Err(Error::ContextTooLarge(new_len));
        }
        self.encoded_len = new_len;
        Ok(self.entries.insert(key.to_owned(), value.to_vec()))
    }

    /// Removes an entry, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Vec<u8>> {
        let value = self.entries.remove(key)?;
        self.encoded_len -= entry_len(key, &value);
        Some(value)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.entries.get(key).map(Vec::as_slice)
    }

    /// Entries in canonical (ascending key) order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Length of the canonical encoding, the header's `context_len`.
    pub fn encoded_len(&self) -> usize {
        self.encoded_len
    }

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        for (key, value) in &self.entries {
            write_entry(out, key, value);
        }
    }
}

fn entry_len(key: &str, value: &[u8]) -> usize {
    1 + key.len() + 2 + value.len()
}

fn check_entry(key: &str, value: &[u8]) -> Result<()> {
    if key.is_empty() || key.len() > MAX_CONTEXT_KEY_LEN {
        return Err(Error::ContextKeyLength(key.len()));
    }
    if value.len() > MAX_CONTEXT_VALUE_LEN {
        return Err(Error::ContextValueLength {
            key: key.to_owned(),
            len: value.len(),
        });
    }
    Ok(())
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "lengths were checked by `check_entry`"
)]
fn write_entry(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    out.push(key.len() as u8);
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
}

/// Iterates the entries of an encoded context section, validating each:
/// lengths, UTF-8 keys and strict ascending order.
pub struct ContextEntries<'a> {
    cursor: Cursor<'a>,
    prev: Option<&'a [u8]>,
}

impl<'a> ContextEntries<'a> {
    pub(crate) fn new(section: &'a [u8]) -> Self {
        ContextEntries {
            cursor: Cursor::section(section),
            prev: None,
        }
    }

    /// Validates a whole section without allocating.
    pub(crate) fn validate(section: &'a [u8]) -> Result<()> {
        ContextEntries::new(section).try_for_each(|entry| entry.map(drop))
    }

    fn next_entry(&mut self) -> Result<(&'a str, &'a [u8])> {
        let klen = usize::from(self.cursor.u8(Field::Context)?);
        if klen == 0 || klen > MAX_CONTEXT_KEY_LEN {
            return Err(Error::ContextKeyLength(klen));
        }
        let key = self.cursor.take(klen, Field::Context)?;
        let key = core::str::from_utf8(key).map_err(|_| Error::ContextKeyNotUtf8)?;
        let vlen = usize::from(self.cursor.u16(Field::Context)?);
        if vlen > MAX_CONTEXT_VALUE_LEN {
            return Err(Error::ContextValueLength {
                key: key.to_owned(),
                len: vlen,
            });
        }
        let value = self.cursor.take(vlen, Field::Context)?;
        if self.prev.is_some_and(|prev| prev >= key.as_bytes()) {
            return Err(Error::ContextOrder(key.to_owned()));
        }
        self.prev = Some(key.as_bytes());
        Ok((key, value))
    }
}

impl<'a> Iterator for ContextEntries<'a> {
    type Item = Result<(&'a str, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.cursor.remaining() == 0 {
            return None;
        }
        let entry = self.next_entry();
        if entry.is_err() {
            // Stop after the first error: the rest of the section is unframed.
            self.cursor = Cursor::section(&[]);
        }
        Some(entry)
    }
}

impl core::fmt::Debug for ContextEntries<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ContextEntries")
            .field("offset", &self.cursor.pos())
            .finish()
    }
}

impl<'a> TryFrom<ContextEntries<'a>> for Context {
    type Error = Error;

    fn try_from(entries: ContextEntries<'a>) -> Result<Context> {
        let mut ctx = Context::new();
        for entry in entries {
            let (key, value) = entry?;
            ctx.insert(key, value)?;
        }
        Ok(ctx)
    }
}

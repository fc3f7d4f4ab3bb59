//! Request context: the key/value entries an envelope commits to, as the
//! policy sees them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Longest context key, in bytes (as in the envelope format).
pub const MAX_CONTEXT_KEY_LEN: usize = 64;
/// Longest context value, in bytes (as in the envelope format).
pub const MAX_CONTEXT_VALUE_LEN: usize = 4096;
/// Most entries in one request context.
pub const MAX_CONTEXT_ENTRIES: usize = 256;

/// A context entry that breaks the envelope format's limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// A key that is empty or longer than 64 bytes.
    #[error("context key of {len} bytes is outside 1..={max}")]
    KeyLength {
        /// The key's length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A value longer than 4096 bytes.
    #[error("context value for `{key}` is {len} bytes, the maximum is {max}")]
    ValueLength {
        /// The key.
        key: String,
        /// The value's length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// More than [`MAX_CONTEXT_ENTRIES`] entries.
    #[error("context has more than {max} entries")]
    TooManyEntries {
        /// The maximum.
        max: usize,
    },
    /// The same key twice.
    #[error("context key `{0}` appears twice")]
    DuplicateKey(String),
}

/// Checks one key/value pair against the envelope's limits.
pub(crate) fn check_entry(key: &str, value: &str) -> Result<(), ContextError> {
    if key.is_empty() || key.len() > MAX_CONTEXT_KEY_LEN {
        return Err(ContextError::KeyLength {
            len: key.len(),
            max: MAX_CONTEXT_KEY_LEN,
        });
    }
    if value.len() > MAX_CONTEXT_VALUE_LEN {
        return Err(ContextError::ValueLength {
            key: key.to_owned(),
            len: value.len(),
            max: MAX_CONTEXT_VALUE_LEN,
        });
    }
    Ok(())
}

/// A request's context entries, unique keys in ascending byte order.
///
/// ```
/// use coffer_policy::Context;
/// let ctx = Context::from_pairs([("classification", "secret")])?;
/// assert_eq!(ctx.get("classification"), Some("secret"));
/// # Ok::<(), coffer_policy::ContextError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<String, String>", into = "BTreeMap<String, String>")]
pub struct Context(BTreeMap<String, String>);

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// A context from pairs; a repeated key is an error.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self, ContextError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut ctx = Self::new();
        for (k, v) in pairs {
            let k = k.into();
            if ctx.0.contains_key(&k) {
                return Err(ContextError::DuplicateKey(k));
            }
            ctx.insert(k, v)?;
        }
        Ok(ctx)
    }

    /// Sets an entry, replacing any previous value for the key.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Result<(), ContextError> {
        let (key, value) = (key.into(), value.into());
        check_entry(&key, &value)?;
        if self.0.len() >= MAX_CONTEXT_ENTRIES && !self.0.contains_key(&key) {
            return Err(ContextError::TooManyEntries {
                max: MAX_CONTEXT_ENTRIES,
            });
        }
        self.0.insert(key, value);
        Ok(())
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The entries in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<BTreeMap<String, String>> for Context {
    type Error = ContextError;
    fn try_from(map: BTreeMap<String, String>) -> Result<Self, ContextError> {
        if map.len() > MAX_CONTEXT_ENTRIES {
            return Err(ContextError::TooManyEntries {
                max: MAX_CONTEXT_ENTRIES,
            });
        }
        for (k, v) in &map {
            check_entry(k, v)?;
        }
        Ok(Self(map))
    }
}

impl From<Context> for BTreeMap<String, String> {
    fn from(ctx: Context) -> Self {
        ctx.0
    }
}

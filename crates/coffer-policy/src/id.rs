//! Validated identifiers: tenants, projects, principals, documents, keys and rules.
//!
//! Every id is a short, printable, public string. The character set is
//! restricted so that an id can be logged, put in an audit event and used as a
//! committed context value without escaping, and so that two ids that look the
//! same are the same bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest id accepted, in bytes (the envelope's context keys and kids are at
/// most 64 bytes too).
pub const MAX_ID_LEN: usize = 64;

/// An id that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id was the empty string.
    #[error("{kind} id is empty")]
    Empty {
        /// Which kind of id (`tenant`, `project`, …).
        kind: &'static str,
    },
    /// The id is longer than [`MAX_ID_LEN`] bytes.
    #[error("{kind} id is {len} bytes long, the maximum is {max}")]
    TooLong {
        /// Which kind of id.
        kind: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The maximum length.
        max: usize,
    },
    /// The id holds a character outside `A-Z a-z 0-9 . _ - : @`.
    #[error("{kind} id `{id}` contains a character other than letters, digits, `.`, `_`, `-`, `:` or `@`")]
    BadCharacter {
        /// Which kind of id.
        kind: &'static str,
        /// The offending id (already known to be at most 64 bytes).
        id: String,
    },
    /// The id is `.` or `..`: URLs resolve those path segments away, so no
    /// browser could address a project or document so named.
    #[error("{kind} id `{id}` is not allowed: a URL resolves it away")]
    DotSegment {
        /// Which kind of id.
        kind: &'static str,
        /// The offending id.
        id: String,
    },
    /// Principal text that is not `tenant/principal` (it has no `/`).
    #[error("principal `{text}` is not of the form `tenant/principal`")]
    NotAPrincipal {
        /// The offending text, cut to 129 bytes (two ids and the `/`).
        text: String,
    },
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

fn validate(kind: &'static str, id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if id.len() > MAX_ID_LEN {
        return Err(IdError::TooLong {
            kind,
            len: id.len(),
            max: MAX_ID_LEN,
        });
    }
    let ok = id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'@'));
    if id == "." || id == ".." {
        return Err(IdError::DotSegment {
            kind,
            id: id.to_owned(),
        });
    }
    if ok {
        Ok(())
    } else {
        Err(IdError::BadCharacter {
            kind,
            id: id.to_owned(),
        })
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps an id: 1 to 64 bytes of letters, digits,
            /// `.`, `_`, `-`, `:` or `@`, other than `.` and `..`.
            pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
                let id = id.into();
                validate($kind, &id)?;
                Ok(Self(id))
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(id: String) -> Result<Self, IdError> {
                Self::new(id)
            }
        }

        /// Parses the same text as [`Self::new`] (an id's text form is the id
        /// itself, as [`Display`](fmt::Display) writes it).
        impl FromStr for $name {
            type Err = IdError;
            fn from_str(id: &str) -> Result<Self, IdError> {
                Self::new(id)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(id: &str) -> Result<Self, IdError> {
                Self::new(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// A tenant: the outermost isolation boundary.
    ///
    /// ```
    /// use coffer_policy::TenantId;
    /// assert!(TenantId::new("acme").is_ok());
    /// assert!(TenantId::new("").is_err());
    /// assert!(TenantId::new("a b").is_err());
    /// ```
    TenantId,
    "tenant"
);
id_type!(
    /// A project inside a tenant (project ids are unique per tenant only).
    ProjectId,
    "project"
);
id_type!(
    /// A principal (user or service) inside a tenant.
    PrincipalId,
    "principal"
);
id_type!(
    /// An operator of the service: who makes the operator's calls (tenant
    /// roles, the policy). Operators are not principals and belong to no
    /// tenant; the id names one in the audit trail.
    OperatorId,
    "operator"
);
id_type!(
    /// A document inside a project.
    DocumentId,
    "document"
);
id_type!(
    /// A key's name, without a version, as it appears in a wrapped key's
    /// kid (public, never key material). With a version it is an audit
    /// record's `KeyRef`, and a keyring's `coffer_keys::KeyId`.
    KeyName,
    "key"
);
id_type!(
    /// The id of a rule in a policy document.
    RuleId,
    "rule"
);

/// A principal: who acts, always inside exactly one tenant.
///
/// The same [`PrincipalId`] in two tenants names two unrelated principals.
///
/// Its text form ([`Display`](fmt::Display), [`FromStr`]) is
/// `tenant/principal`: ids never contain `/`, so the text is unambiguous
/// and each principal has exactly one. Its serde form is the object
/// `{"tenant": …, "id": …}` (as in audit events), validated on
/// deserialize.
///
/// ```
/// use coffer_policy::{IdError, Principal, PrincipalId, TenantId};
/// let ann: Principal = "acme/ann".parse()?;
/// assert_eq!(ann, Principal::new(TenantId::new("acme")?, PrincipalId::new("ann")?));
/// assert_eq!(ann.to_string(), "acme/ann");
/// assert!(matches!("acme".parse::<Principal>(), Err(IdError::NotAPrincipal { .. })));
/// assert!(matches!("acme/a/b".parse::<Principal>(), Err(IdError::BadCharacter { kind: "principal", .. })));
/// # Ok::<(), IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// The tenant the principal belongs to.
    pub tenant: TenantId,
    /// The principal's id inside that tenant.
    pub id: PrincipalId,
}

impl Principal {
    /// A principal of `tenant` named `id`.
    pub fn new(tenant: TenantId, id: PrincipalId) -> Self {
        Self { tenant, id }
    }
}

impl fmt::Display for Principal {
    /// Writes `tenant/principal`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.tenant, self.id)
    }
}

impl FromStr for Principal {
    type Err = IdError;

    /// Parses `tenant/principal`, splitting at the first `/`: text without
    /// one is [`IdError::NotAPrincipal`], and each part must be a valid id
    /// (so a second `/` is a bad character of the principal id).
    fn from_str(text: &str) -> Result<Self, IdError> {
        let (tenant, id) = text.split_once('/').ok_or_else(|| IdError::NotAPrincipal {
            text: cut(text, 2 * MAX_ID_LEN + 1),
        })?;
        Ok(Self::new(TenantId::new(tenant)?, PrincipalId::new(id)?))
    }
}

id_type!(
    /// A public, machine-readable reason an operation failed after it was
    /// allowed (for example `open.authentication`), for the audit trail.
    ReasonCode,
    "reason"
);

impl ReasonCode {
    /// A reason code made from free text: characters outside the id
    /// alphabet become `-` and the code is cut to 64 bytes; empty text gives
    /// `failed`. Never fails, so a failure can always be audited.
    pub fn sanitized(text: &str) -> Self {
        let code: String = text
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_:@".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .take(MAX_ID_LEN)
            .collect();
        // Kept valid: a code that is only `.` or `..` would not read back.
        match code.as_str() {
            "" | "." | ".." => Self("failed".to_owned()),
            _ => Self(code),
        }
    }
}

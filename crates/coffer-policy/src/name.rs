//! Enums that appear by name in policy documents and audit events.
//!
//! Each such enum has exactly one spelling per variant; an unknown spelling is
//! an [`UnknownName`] error that names the offending text in backticks.

/// A name in a policy document or event that matches no known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{name}`")]
pub struct UnknownName {
    /// What was being named (`role`, `operation`, `envelope suite`, …).
    pub kind: &'static str,
    /// The text that matched nothing (cut to 64 bytes).
    pub name: String,
}

impl UnknownName {
    /// An unknown `name` for a `kind` of enum, cut to 64 bytes.
    pub fn new(kind: &'static str, name: &str) -> Self {
        let mut end = name.len().min(64);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            kind,
            name: name[..end].to_owned(),
        }
    }
}

/// Declares a fieldless enum with one canonical name per variant, parsing,
/// `Display` and serde through that name.
///
/// Exported for the layers above that name enums in their own records
/// (the audit chain's rule status); not a general-purpose macro.
#[doc(hidden)]
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$doc:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vdoc:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name {
            $( $(#[$vdoc])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical name used in documents and events.
            pub const fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses a canonical name.
            pub fn from_name(text: &str) -> Result<Self, $crate::UnknownName> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::UnknownName::new($kind, text)),
                }
            }

            /// Position in [`Self::ALL`], used to index per-variant tables.
            #[allow(dead_code, reason = "only some enums index tables; the rest share the macro")]
            pub(crate) const fn index(self) -> usize {
                self as usize
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::UnknownName;
            fn try_from(text: String) -> Result<Self, $crate::UnknownName> {
                Self::from_name(&text)
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str {
                value.name()
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownName;
            fn from_str(text: &str) -> Result<Self, $crate::UnknownName> {
                Self::from_name(text)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

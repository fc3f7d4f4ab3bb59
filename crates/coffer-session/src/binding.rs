//! The binding string: what ties a ciphertext to one key, purpose and document.
//!
//! `coffer-session/v1|{key_id}|{purpose}|{binding}` in ASCII. It is the RSA-OAEP
//! label and the ECDH HKDF info. Purpose and binding are printable ASCII
//! without `|`, so the string splits back into its parts one way only and two
//! different (key, purpose, binding) triples never share a binding string.

use crate::key_id::SessionKeyId;

/// The version prefix of every binding string.
pub const BINDING_PREFIX: &str = "coffer-session/v1";
/// Longest accepted purpose, in bytes.
pub const MAX_PURPOSE_LEN: usize = 64;
/// Longest accepted binding (for example a document id), in bytes.
pub const MAX_BINDING_LEN: usize = 256;

/// The binding string for a key, purpose and binding.
pub fn binding_string(key_id: &SessionKeyId, purpose: &str, binding: &str) -> String {
    format!("{BINDING_PREFIX}|{key_id}|{purpose}|{binding}")
}

/// A purpose or binding that cannot go into a binding string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The purpose is empty.
    #[error("the purpose is empty")]
    EmptyPurpose,
    /// The field is longer than its limit.
    #[error("the {field} is {len} bytes, more than the {max} allowed")]
    TooLong {
        /// `purpose` or `binding`.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The field holds a byte outside printable ASCII, or `|`.
    #[error("the {field} `{value}` holds a character other than printable ASCII without `|`")]
    BadCharacter {
        /// `purpose` or `binding`.
        field: &'static str,
        /// The offending value, truncated to 64 characters.
        value: String,
    },
}

/// Checks that `purpose` and `binding` can be put in a binding string.
///
/// # Errors
/// [`FieldError`] naming the first problem.
pub fn check_fields(purpose: &str, binding: &str) -> Result<(), FieldError> {
    if purpose.is_empty() {
        return Err(FieldError::EmptyPurpose);
    }
    check_field("purpose", purpose, MAX_PURPOSE_LEN)?;
    check_field("binding", binding, MAX_BINDING_LEN)
}

fn check_field(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.len() > max {
        return Err(FieldError::TooLong {
            field,
            len: value.len(),
            max,
        });
    }
    if value
        .bytes()
        .any(|byte| !(0x20..=0x7e).contains(&byte) || byte == b'|')
    {
        let value = value.chars().take(64).collect();
        return Err(FieldError::BadCharacter { field, value });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_string_layout() {
        let id = SessionKeyId::from_bytes([0; 16]);
        assert_eq!(
            binding_string(&id, "unlock", "doc-1"),
            "coffer-session/v1|AAAAAAAAAAAAAAAAAAAAAA|unlock|doc-1"
        );
    }

    #[test]
    fn fields_are_checked() {
        assert_eq!(check_fields("", "x"), Err(FieldError::EmptyPurpose));
        assert!(check_fields("unlock", "").is_ok());
        assert!(matches!(
            check_fields("a|b", "x"),
            Err(FieldError::BadCharacter { field: "purpose", .. })
        ));
        assert!(matches!(
            check_fields("p", "d\n"),
            Err(FieldError::BadCharacter { field: "binding", .. })
        ));
        assert!(matches!(
            check_fields("p", "é"),
            Err(FieldError::BadCharacter { .. })
        ));
        assert!(matches!(
            check_fields(&"p".repeat(65), "x"),
            Err(FieldError::TooLong {
                field: "purpose",
                len: 65,
                max: 64
            })
        ));
        assert!(check_fields("p", &"d".repeat(256)).is_ok());
        assert!(check_fields("p", &"d".repeat(257)).is_err());
    }
}

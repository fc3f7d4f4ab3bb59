//! What `coffer inspect` shows: a header's public fields, as text for a
//! person and as JSON for scripts.

use std::fmt::Write as _;

use coffer_keys::envelope::{BodyLayout, HeaderView, KeyType, WrappedKeyRef};
use serde::Serialize;

use crate::options::chunk_size_text;

/// A header's public fields and the body's size. Nothing here is verified:
/// inspecting needs no key.
#[derive(Debug, Serialize)]
pub(crate) struct HeaderReport {
    format_version: u8,
    suite: SuiteReport,
    chunk_log2: u8,
    chunk_size: u64,
    external_aad: bool,
    message_id: String,
    context: Vec<ContextReport>,
    recipients: Vec<RecipientReport>,
    header_len: usize,
    body_len: u64,
    /// `None` when the body length is not a valid chunking.
    chunk_count: Option<u64>,
    plaintext_len: Option<u64>,
}

#[derive(Debug, Serialize)]
struct SuiteReport {
    id: u16,
    name: &'static str,
}

#[derive(Debug, Serialize)]
struct ContextReport {
    key: String,
    /// The value as text when it is printable UTF-8.
    value: Option<String>,
    value_hex: String,
}

#[derive(Debug, Serialize)]
struct RecipientReport {
    #[serde(rename = "type")]
    key_type: u8,
    type_name: &'static str,
    /// The kid as text when it is printable UTF-8.
    kid: Option<String>,
    kid_hex: String,
    /// PBKDF2 iterations of a password recipient.
    #[serde(skip_serializing_if = "Option::is_none")]
    iterations: Option<u32>,
}

impl HeaderReport {
    /// The report for a parsed header followed by `body_len` bytes.
    pub(crate) fn new(view: &HeaderView<'_>, body_len: u64) -> Self {
        let layout = BodyLayout::from_body_len(view.chunk_log2(), body_len).ok();
        Self {
            format_version: view.as_bytes().get(4).copied().unwrap_or_default(),
            suite: SuiteReport {
                id: view.suite().id(),
                name: view.suite().name(),
            },
            chunk_log2: view.chunk_log2(),
            chunk_size: 1u64 << view.chunk_log2(),
            external_aad: view.flags().external_aad(),
            message_id: hex::encode(view.message_id().as_bytes()),
            context: view
                .context()
                .map(|(key, value)| ContextReport {
                    key: key.to_owned(),
                    value: printable(value),
                    value_hex: hex::encode(value),
                })
                .collect(),
            recipients: view.wrapped_keys().map(recipient).collect(),
            header_len: view.len(),
            body_len,
            chunk_count: layout.as_ref().map(BodyLayout::chunk_count),
            plaintext_len: layout.as_ref().map(BodyLayout::plaintext_len),
        }
    }

    /// Pretty JSON, ending in a newline.
    pub(crate) fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The report as a person reads it.
    pub(crate) fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "coffer envelope, format version {}", self.format_version);
        let _ = writeln!(out, "  suite        {} ({:#06x})", self.suite.name, self.suite.id);
        let _ = writeln!(
            out,
            "  chunk size   {} (2^{})",
            chunk_size_text(self.chunk_log2),
            self.chunk_log2
        );
        if self.external_aad {
            let _ = writeln!(out, "  external aad required");
        }
        let _ = writeln!(out, "  message id   {}", self.message_id);
        if self.context.is_empty() {
            let _ = writeln!(out, "  context      (none)");
        } else {
            let plural = if self.context.len() == 1 {
                "entry"
            } else {
                "entries"
            };
            let _ = writeln!(out, "  context      {} {plural}", self.context.len());
            for entry in &self.context {
                let shown = match &entry.value {
                    Some(text) => format!("{text:?}"),
                    None => format!("0x{}", entry.value_hex),
                };
                let key = printable(entry.key.as_bytes())
                    .unwrap_or_else(|| format!("0x{}", hex::encode(&entry.key)));
                let _ = writeln!(out, "    {key} = {shown}");
            }
        }
        let _ = writeln!(out, "  recipients   {}", self.recipients.len());
        for r in &self.recipients {
            let kid = match (&r.kid, r.kid_hex.is_empty()) {
                (_, true) => "(no kid)".to_owned(),
                (Some(text), false) => text.clone(),
                (None, false) => format!("0x{}", r.kid_hex),
            };
            let extra = r
                .iterations
                .map(|n| format!("  (pbkdf2, {n} iterations)"))
                .unwrap_or_default();
            let _ = writeln!(out, "    {:<9} {kid}{extra}", r.type_name);
        }
        let _ = writeln!(out, "  header       {} bytes", self.header_len);
        match (self.chunk_count, self.plaintext_len) {
            (Some(chunks), Some(plaintext)) => {
                let plural = if chunks == 1 { "" } else { "s" };
                let _ = writeln!(
                    out,
                    "  body         {} bytes in {chunks} chunk{plural} ({plaintext} bytes of plaintext)",
                    self.body_len
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  body         {} bytes, not a whole number of chunks (truncated or altered)",
                    self.body_len
                );
            }
        }
        out.push_str("nothing above is verified: opening checks it\n");
        out
    }
}

fn recipient(key: WrappedKeyRef<'_>) -> RecipientReport {
    let type_name = match key.key_type {
        KeyType::LOCAL => "local",
        KeyType::PASSWORD => "password",
        KeyType::EXTERNAL => "external",
        KeyType::HPKE_X25519 => "x25519",
        KeyType::HPKE_XWING => "xwing",
        _ => "unknown",
    };
    let iterations = (key.key_type == KeyType::PASSWORD)
        .then(|| key.body.first_chunk::<4>().map(|b| u32::from_be_bytes(*b)))
        .flatten();
    RecipientReport {
        key_type: key.key_type.0,
        type_name,
        // A public key's kid is its binary fingerprint: always hex, even
        // when its bytes happen to read as text.
        kid: (!matches!(key.key_type, KeyType::HPKE_X25519 | KeyType::HPKE_XWING))
            .then(|| printable(key.kid))
            .flatten(),
        kid_hex: hex::encode(key.kid),
        iterations,
    }
}

/// The bytes as text if they are UTF-8 without control characters (which
/// could drive a terminal).
fn printable(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    (!text.chars().any(char::is_control)).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_not_printed() {
        assert_eq!(printable(b"legal"), Some("legal".to_owned()));
        assert_eq!(printable(b"\x1b[2J"), None);
        assert_eq!(printable(b"\xff"), None);
    }
}

//! Option values shared by commands: context entries, suites, chunk sizes.

use clap::ValueEnum;
use coffer_keys::envelope::{Suite, MAX_CONTEXT_KEY_LEN, MIN_CHUNK_LOG2};

/// The largest chunk size the tool writes: what a default reader accepts
/// (2^20 bytes).
pub(crate) const MAX_CHUNK_LOG2: u8 = 20;

/// An algorithm suite, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SuiteArg {
    /// AES-256-GCM chunks, HKDF-SHA256 key schedule.
    #[value(name = "aes-256-gcm")]
    Aes256Gcm,
    /// ChaCha20-Poly1305 chunks, HKDF-SHA256 key schedule.
    #[value(name = "chacha20-poly1305")]
    ChaCha20Poly1305,
}

impl SuiteArg {
    /// The library's suite.
    pub(crate) fn suite(self) -> Suite {
        match self {
            Self::Aes256Gcm => Suite::Aes256GcmHkdfSha256,
            Self::ChaCha20Poly1305 => Suite::ChaCha20Poly1305HkdfSha256,
        }
    }
}

/// A `key=value` context entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContextEntry {
    /// The key (1 to 64 bytes).
    pub(crate) key: String,
    /// The value (UTF-8 on the command line).
    pub(crate) value: String,
}

/// Parses `key=value` (the key may not contain `=`; the value may).
pub(crate) fn parse_context(text: &str) -> Result<ContextEntry, String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected `key=value`, got `{text}`"))?;
    if key.is_empty() || key.len() > MAX_CONTEXT_KEY_LEN {
        return Err(format!("context keys are 1 to {MAX_CONTEXT_KEY_LEN} bytes"));
    }
    Ok(ContextEntry {
        key: key.to_owned(),
        value: value.to_owned(),
    })
}

/// Parses a chunk size (`65536`, `64K`, `64KiB`, `1M`, `1MiB`) into its
/// exponent; it must be a power of two from 1 KiB to 1 MiB.
pub(crate) fn parse_chunk_size(text: &str) -> Result<u8, String> {
    let lower = text.trim().to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => lower.split_at(at),
        None => (lower.as_str(), ""),
    };
    let scale: u64 = match unit {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        _ => return Err(format!("unknown unit in `{text}` (use KiB or MiB)")),
    };
    let size = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("`{text}` is not a size"))?;
    let log2 = size.trailing_zeros();
    let in_range = (u32::from(MIN_CHUNK_LOG2)..=u32::from(MAX_CHUNK_LOG2)).contains(&log2);
    if !size.is_power_of_two() || !in_range {
        return Err(format!("`{text}` must be a power of two from 1KiB to 1MiB"));
    }
    u8::try_from(log2).map_err(|_| format!("`{text}` is too large"))
}

/// A chunk size exponent as a person reads it (`64 KiB`).
pub(crate) fn chunk_size_text(chunk_log2: u8) -> String {
    match chunk_log2 {
        0..=9 => format!("{} B", 1u64 << chunk_log2),
        10..=19 => format!("{} KiB", 1u64 << (chunk_log2 - 10)),
        20..=29 => format!("{} MiB", 1u64 << (chunk_log2 - 20)),
        _ => format!("2^{chunk_log2} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_parse_with_units() {
        assert_eq!(parse_chunk_size("64KiB"), Ok(16));
        assert_eq!(parse_chunk_size("64k"), Ok(16));
        assert_eq!(parse_chunk_size("1024"), Ok(10));
        assert_eq!(parse_chunk_size("1MiB"), Ok(20));
        for bad in ["512", "2MiB", "3KiB", "64GiB", "", "KiB", "99999999999999999999"] {
            assert!(parse_chunk_size(bad).is_err(), "{bad}");
        }
        assert_eq!(chunk_size_text(16), "64 KiB");
        assert_eq!(chunk_size_text(20), "1 MiB");
    }

    #[test]
    fn context_entries_split_at_the_first_equals() {
        assert_eq!(
            parse_context("a=b=c"),
            Ok(ContextEntry {
                key: "a".into(),
                value: "b=c".into()
            })
        );
        assert!(parse_context("=x").is_err());
        assert!(parse_context("novalue").is_err());
        assert!(parse_context("k=").is_ok());
    }
}

//! Base64 flavours used on the wire.
//!
//! Offers use base64url without padding for identifiers and JWK members (as
//! JOSE does) and standard base64 for SPKI DER (as PEM bodies and `btoa` do).
//! Ciphertexts from browsers are accepted in either alphabet, padded or not,
//! because existing clients differ.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD};
use base64::engine::DecodePaddingMode;
use base64::Engine;

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// base64url without padding.
pub(crate) fn encode_url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Standard base64 with padding.
pub(crate) fn encode_std(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Strict base64url without padding (identifiers have one spelling).
pub(crate) fn decode_url_strict(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// The longest text [`decode_lenient`] looks at for a `max_len`-byte result:
/// twice the base64 length, so line breaks of any width (even one per
/// character, `\r\n` included) fit and anything longer is refused before it
/// is scanned.
fn raw_len_limit(max_len: usize) -> usize {
    max_len
        .saturating_add(3)
        .div_ceil(3)
        .saturating_mul(4)
        .saturating_mul(2)
}

/// Decodes base64 in either alphabet, padding optional, ignoring ASCII
/// whitespace anywhere (space, tab, line feed, form feed, carriage return:
/// `u8::is_ascii_whitespace`, as in line-wrapped `openssl base64` output),
/// refusing anything that would decode to more than `max_len`
/// bytes before allocating.
///
/// Bounded in two steps: text longer than twice the base64 length of
/// `max_len` is refused unread; then the length that counts is that of the
/// text without whitespace, counted without allocating.
pub(crate) fn decode_lenient(text: &str, max_len: usize) -> Result<Vec<u8>, LenientError> {
    if text.len() > raw_len_limit(max_len) {
        return Err(LenientError::TooLong);
    }
    let significant = text.bytes().filter(|byte| !byte.is_ascii_whitespace()).count();
    if base64::decoded_len_estimate(significant) > max_len.saturating_add(3) {
        return Err(LenientError::TooLong);
    }
    let stripped: String;
    let text = if significant == text.len() {
        text
    } else {
        stripped = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        stripped.as_str()
    };
    let engine = if text.contains(['-', '_']) {
        &URL_SAFE_LENIENT
    } else {
        &STANDARD_LENIENT
    };
    let bytes = engine.decode(text).map_err(|_| LenientError::Malformed)?;
    if bytes.len() > max_len {
        return Err(LenientError::TooLong);
    }
    Ok(bytes)
}

/// Why [`decode_lenient`] refused its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LenientError {
    /// Not base64.
    Malformed,
    /// Longer than allowed.
    TooLong,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_accepts_both_alphabets_with_or_without_padding() {
        let bytes = [0xfb_u8, 0xff, 0x01, 0x02];
        for text in ["+/8BAg==", "+/8BAg", "-_8BAg==", "-_8BAg"] {
            assert_eq!(decode_lenient(text, 16).unwrap(), bytes, "{text}");
        }
    }

    #[test]
    fn lenient_bounds_before_decoding() {
        assert_eq!(decode_lenient(&"A".repeat(400), 16), Err(LenientError::TooLong));
        assert_eq!(decode_lenient("AAAAAA==", 3), Err(LenientError::TooLong));
        assert_eq!(decode_lenient("A*AA", 16), Err(LenientError::Malformed));
        assert_eq!(decode_lenient("+-AA", 16), Err(LenientError::Malformed));
    }

    #[test]
    fn lenient_ignores_ascii_whitespace_and_line_breaks() {
        let bytes: Vec<u8> = (0..=255).collect();
        let plain = encode_std(&bytes);
        let wrap = |separator: &str| {
            let lines: Vec<&str> = plain
                .as_bytes()
                .chunks(64)
                .map(|line| std::str::from_utf8(line).unwrap())
                .collect();
            lines.join(separator) + separator
        };
        for text in [
            wrap("\n"),
            wrap("\r\n"),
            format!(" \t{plain}\x0c \n"),
            plain.replace('A', "A\n"),
        ] {
            assert_eq!(decode_lenient(&text, 256).unwrap(), bytes, "{text:?}");
        }
        // Whitespace does not count towards the limit, text does.
        assert_eq!(decode_lenient(&wrap("\r\n"), 255), Err(LenientError::TooLong));
        // Vertical tab and non-ASCII spaces are not ignored.
        assert_eq!(decode_lenient("AQ\x0bID", 16), Err(LenientError::Malformed));
        assert_eq!(decode_lenient("AQ\u{a0}ID", 16), Err(LenientError::Malformed));
    }

    #[test]
    fn lenient_refuses_absurd_whitespace_unread() {
        let padded = format!("AQID{}", " ".repeat(raw_len_limit(16)));
        assert_eq!(decode_lenient(&padded, 16), Err(LenientError::TooLong));
        let just_fits = format!("AQID{}", " ".repeat(raw_len_limit(16) - 4));
        assert_eq!(decode_lenient(&just_fits, 16).unwrap(), [1, 2, 3]);
    }

    #[test]
    fn strict_url_refuses_padding_and_standard_alphabet() {
        assert_eq!(decode_url_strict("AQI").unwrap(), [1, 2]);
        assert!(decode_url_strict("AQI=").is_none());
        assert!(decode_url_strict("+/8").is_none());
    }
}

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

/// Decodes base64 in either alphabet, padding optional, refusing anything
/// that would decode to more than `max_len` bytes before allocating.
pub(crate) fn decode_lenient(text: &str, max_len: usize) -> Result<Vec<u8>, LenientError> {
    if base64::decoded_len_estimate(text.len()) > max_len.saturating_add(3) {
        return Err(LenientError::TooLong);
    }
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
    fn strict_url_refuses_padding_and_standard_alphabet() {
        assert_eq!(decode_url_strict("AQI").unwrap(), [1, 2]);
        assert!(decode_url_strict("AQI=").is_none());
        assert!(decode_url_strict("+/8").is_none());
    }
}

//! Key texts: keys as one line of Bech32m (BIP 350) text, with a
//! recognisable prefix and a checksum.
//!
//! | what | prefix | data |
//! |---|---|---|
//! | X25519 public key | `coffer-x25519-1` | the 32-byte public key |
//! | X-Wing public key | `coffer-xwing-1` | the 1216-byte public key `pk_M ‖ pk_X` |
//! | X25519 identity | `COFFER-X25519-IDENTITY-1` | the 32-byte private key, clamped |
//! | X-Wing identity | `COFFER-XWING-IDENTITY-1` | the 32-byte seed |
//!
//! Public keys are written in lower case and identities (secrets) in upper
//! case, as age does; either case is read, mixed case is refused. The part
//! before the last `1` is the Bech32 human-readable part, which the
//! checksum covers, so a key cannot be relabelled as another type. Each key
//! has exactly one text: padding bits must be zero, lengths exact, and an
//! X25519 private key clamped.
//!
//! The checksum catches any single mistyped character, and any error in up
//! to four characters of a text up to 1023 characters long. An X-Wing public
//! key is longer (1966 characters): there the same Bech32m checksum still
//! catches every single-character error (one changed character adds
//! `e·x^k`, never a multiple of the generator), but not every burst.
//!
//! [`decode`], [`encode_lower`] and [`encode_upper`] are the shared codec,
//! also used for the key files of other layers (such as the command-line
//! tool's local keys). Errors never quote the text, which may be secret.

use bech32::primitives::checksum::Checksum;
use bech32::primitives::decode::{CheckedHrpstring, CheckedHrpstringError};
use bech32::{Bech32m, Hrp};
use zeroize::Zeroizing;

use crate::public_key::{Identity, KemAlgorithm, PublicKey};

/// What is wrong with a key text. Never quotes the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyTextError {
    /// The text does not start with the prefix of the expected kind of key.
    #[error("not a coffer key: expected a line starting with `{0}`")]
    NotAKey(&'static str),
    /// A character is outside the Bech32 alphabet, or the case is mixed.
    #[error("key text has a character that cannot occur in a key (a typo, or mixed case)")]
    Character,
    /// The checksum does not match: a character was changed.
    #[error("key text checksum does not match: a character is mistyped or missing")]
    Checksum,
    /// The data has the wrong length or non-zero padding.
    #[error("key text has the wrong length")]
    Length,
    /// The data names a layout this version does not read.
    #[error("key text format `{0}` is not supported")]
    UnsupportedFormat(u8),
    /// The name or version is not a valid key id.
    #[error("key text names an invalid key id")]
    KeyId,
    /// The data is not a valid key of its type (an X-Wing public key that
    /// fails the ML-KEM modulus check, an unclamped X25519 private key).
    #[error("key text does not hold a valid key")]
    InvalidKey,
    /// A key file holds no key line.
    #[error("key file holds no key")]
    Empty,
    /// A key file holds more than one key line.
    #[error("key file holds more than one key")]
    SeveralKeys,
}

/// Bech32m with its 1023-character cap lifted, for X-Wing public keys:
/// the same generator and target residue, so texts within the cap are
/// exactly Bech32m.
enum Bech32mLong {}

impl Checksum for Bech32mLong {
    type MidstateRepr = u32;
    const CODE_LENGTH: usize = 4096;
    const CHECKSUM_LENGTH: usize = <Bech32m as Checksum>::CHECKSUM_LENGTH;
    const GENERATOR_SH: [u32; 5] = <Bech32m as Checksum>::GENERATOR_SH;
    const TARGET_RESIDUE: u32 = <Bech32m as Checksum>::TARGET_RESIDUE;
}

/// Encodes `data` under `hrp` in lower case (for public texts).
pub fn encode_lower(hrp: Hrp, data: &[u8]) -> String {
    let mut text = String::with_capacity(encoded_len(hrp, data.len()));
    // Writing to a String cannot fail, and every key is far below the
    // 4096-character code length.
    let _ = bech32::encode_lower_to_fmt::<Bech32mLong, String>(&mut text, hrp, data);
    text
}

/// Encodes `data` under `hrp` in upper case, into a zeroizing string (for
/// secrets).
pub fn encode_upper(hrp: Hrp, data: &[u8]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(encoded_len(hrp, data.len())));
    let _ = bech32::encode_upper_to_fmt::<Bech32mLong, String>(&mut text, hrp, data);
    text
}

/// Characters of the text for `data_len` bytes under `hrp`.
fn encoded_len(hrp: Hrp, data_len: usize) -> usize {
    hrp.len() + 1 + (data_len * 8).div_ceil(5) + 6
}

/// Decodes one key text whose human-readable part must be `hrp`
/// (surrounding whitespace ignored), checking the prefix, the alphabet and
/// case, the checksum and zero padding, in that order; `prefix` (the hrp
/// and `1`) names what was expected in [`KeyTextError::NotAKey`].
pub fn decode(text: &str, hrp: Hrp, prefix: &'static str) -> Result<Zeroizing<Vec<u8>>, KeyTextError> {
    let text = text.trim();
    if !has_prefix(text, hrp) {
        return Err(KeyTextError::NotAKey(prefix));
    }
    let checked = CheckedHrpstring::new::<Bech32mLong>(text).map_err(|err| match err {
        CheckedHrpstringError::Checksum(_) => KeyTextError::Checksum,
        _ => KeyTextError::Character,
    })?;
    if checked.hrp() != hrp {
        return Err(KeyTextError::NotAKey(prefix));
    }
    checked
        .validate_segwit_padding()
        .map_err(|_| KeyTextError::Length)?;
    Ok(Zeroizing::new(checked.byte_iter().collect()))
}

/// Whether `text` starts with `hrp` and the separator `1`, in either case.
fn has_prefix(text: &str, hrp: Hrp) -> bool {
    let len = hrp.len();
    text.get(..len)
        .is_some_and(|head| head.eq_ignore_ascii_case(hrp.as_str()))
        && text.get(len..=len) == Some("1")
}

/// The one key line of a key file: `#` comments and blank lines are
/// skipped, and exactly one line must remain ([`KeyTextError::Empty`],
/// [`KeyTextError::SeveralKeys`]). The comments are not trusted.
pub fn single_line(text: &str) -> Result<&str, KeyTextError> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    let first = lines.next().ok_or(KeyTextError::Empty)?;
    if lines.next().is_some() {
        return Err(KeyTextError::SeveralKeys);
    }
    Ok(first)
}

const X25519_PUBLIC: Hrp = Hrp::parse_unchecked("coffer-x25519-");
const XWING_PUBLIC: Hrp = Hrp::parse_unchecked("coffer-xwing-");
const X25519_IDENTITY: Hrp = Hrp::parse_unchecked("coffer-x25519-identity-");
const XWING_IDENTITY: Hrp = Hrp::parse_unchecked("coffer-xwing-identity-");

/// How an X25519 public key text starts.
pub const X25519_PUBLIC_PREFIX: &str = "coffer-x25519-1";
/// How an X-Wing public key text starts.
pub const XWING_PUBLIC_PREFIX: &str = "coffer-xwing-1";
/// How an X25519 identity text starts.
pub const X25519_IDENTITY_PREFIX: &str = "COFFER-X25519-IDENTITY-1";
/// How an X-Wing identity text starts.
pub const XWING_IDENTITY_PREFIX: &str = "COFFER-XWING-IDENTITY-1";

const PUBLIC_PREFIXES: &str = "coffer-x25519-1` or `coffer-xwing-1";
const IDENTITY_PREFIXES: &str = "COFFER-X25519-IDENTITY-1` or `COFFER-XWING-IDENTITY-1";

fn public_hrp(algorithm: KemAlgorithm) -> Hrp {
    match algorithm {
        KemAlgorithm::X25519 => X25519_PUBLIC,
        KemAlgorithm::XWing => XWING_PUBLIC,
    }
}

fn identity_hrp(algorithm: KemAlgorithm) -> Hrp {
    match algorithm {
        KemAlgorithm::X25519 => X25519_IDENTITY,
        KemAlgorithm::XWing => XWING_IDENTITY,
    }
}

/// The algorithm whose hrp `text` starts with (longest hrp first, so an
/// identity is never read as a public key's prefix).
fn algorithm_of(text: &str, hrp: fn(KemAlgorithm) -> Hrp) -> Option<KemAlgorithm> {
    KemAlgorithm::ALL
        .into_iter()
        .find(|a| has_prefix(text.trim(), hrp(*a)))
}

impl PublicKey {
    /// The key's text, `coffer-x25519-1…` or `coffer-xwing-1…`.
    pub fn to_text(&self) -> String {
        encode_lower(public_hrp(self.algorithm()), &self.to_bytes())
    }

    /// Parses a public key text of either algorithm.
    pub fn from_text(text: &str) -> Result<Self, KeyTextError> {
        let algorithm = algorithm_of(text, public_hrp).ok_or(KeyTextError::NotAKey(PUBLIC_PREFIXES))?;
        let data = decode(text, public_hrp(algorithm), PUBLIC_PREFIXES)?;
        if data.len() != algorithm.public_key_len() {
            return Err(KeyTextError::Length);
        }
        PublicKey::from_bytes(algorithm, &data).map_err(|_| KeyTextError::InvalidKey)
    }
}

impl Identity {
    /// The identity's text, `COFFER-X25519-IDENTITY-1…` or
    /// `COFFER-XWING-IDENTITY-1…`, in a zeroizing string; keep it secret.
    pub fn to_text(&self) -> Zeroizing<String> {
        encode_upper(identity_hrp(self.algorithm()), self.expose_secret().as_slice())
    }

    /// Parses an identity text of either algorithm.
    pub fn from_text(text: &str) -> Result<Self, KeyTextError> {
        let algorithm = algorithm_of(text, identity_hrp).ok_or(KeyTextError::NotAKey(IDENTITY_PREFIXES))?;
        let data = decode(text, identity_hrp(algorithm), IDENTITY_PREFIXES)?;
        let secret: &[u8; 32] = data.as_slice().try_into().map_err(|_| KeyTextError::Length)?;
        let identity =
            Identity::from_secret_bytes(algorithm, secret).map_err(|_| KeyTextError::InvalidKey)?;
        // One text per identity: an unclamped X25519 key would name the
        // same identity as its clamped form.
        if *identity.expose_secret() != *secret {
            return Err(KeyTextError::InvalidKey);
        }
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip_with_their_prefixes() {
        for algorithm in KemAlgorithm::ALL {
            let identity = Identity::generate(algorithm).unwrap();
            let text = identity.to_text();
            assert!(text.starts_with(&format!("COFFER-{}-IDENTITY-1", algorithm.name().to_uppercase())));
            assert_eq!(Identity::from_text(&text).unwrap(), identity);
            assert_eq!(Identity::from_text(&text.to_lowercase()).unwrap(), identity);
            let public = identity.public_key().to_text();
            assert!(public.starts_with(&format!("coffer-{}-1", algorithm.name())));
            assert_eq!(&PublicKey::from_text(&public).unwrap(), identity.public_key());
            assert_eq!(
                &PublicKey::from_text(&format!(" {}\n", public.to_uppercase())).unwrap(),
                identity.public_key()
            );
            // A public key is not an identity and the other way round.
            assert!(matches!(
                Identity::from_text(&public),
                Err(KeyTextError::NotAKey(_))
            ));
            assert!(matches!(
                PublicKey::from_text(&text),
                Err(KeyTextError::NotAKey(_))
            ));
        }
    }

    #[test]
    fn a_mistyped_character_anywhere_is_caught() {
        let alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        for algorithm in KemAlgorithm::ALL {
            let public = Identity::from_secret_bytes(algorithm, &[3; 32])
                .unwrap()
                .public_key()
                .to_text();
            let start = public.rfind('1').unwrap() + 1;
            // Every position of the short key; a spread of positions of the
            // long one.
            let step = if public.len() > 200 { 37 } else { 1 };
            for i in (start..public.len()).step_by(step) {
                let original = public.as_bytes()[i] as char;
                let replacement = alphabet.chars().find(|c| *c != original).unwrap();
                let mut typo = public.clone();
                typo.replace_range(i..=i, &replacement.to_string());
                assert_eq!(
                    PublicKey::from_text(&typo),
                    Err(KeyTextError::Checksum),
                    "{algorithm} at {i}"
                );
            }
        }
    }

    #[test]
    fn relabelled_or_malformed_texts_are_refused() {
        let x = Identity::from_secret_bytes(KemAlgorithm::X25519, &[5; 32]).unwrap();
        // The X25519 bytes under the X-Wing label: wrong length.
        let relabelled = encode_lower(XWING_PUBLIC, &x.public_key().to_bytes());
        assert_eq!(PublicKey::from_text(&relabelled), Err(KeyTextError::Length));
        // An X-Wing key that fails the ML-KEM modulus check.
        let bad = encode_lower(XWING_PUBLIC, &[0xff; 1216]);
        assert_eq!(PublicKey::from_text(&bad), Err(KeyTextError::InvalidKey));
        // An unclamped X25519 private key is not the canonical text.
        let unclamped = encode_upper(X25519_IDENTITY, &[0xff; 32]);
        assert_eq!(
            Identity::from_text(&unclamped).err(),
            Some(KeyTextError::InvalidKey)
        );
        let short = encode_upper(XWING_IDENTITY, &[1; 31]);
        assert_eq!(Identity::from_text(&short).err(), Some(KeyTextError::Length));
        assert!(matches!(
            PublicKey::from_text("age1qqqq"),
            Err(KeyTextError::NotAKey(_))
        ));
        assert!(matches!(PublicKey::from_text(""), Err(KeyTextError::NotAKey(_))));
        let mut mixed = x.public_key().to_text();
        mixed.replace_range(20..21, &mixed[20..21].to_uppercase());
        assert_eq!(PublicKey::from_text(&mixed), Err(KeyTextError::Character));
    }

    #[test]
    fn errors_and_debug_never_show_a_secret() {
        let identity = Identity::generate(KemAlgorithm::XWing).unwrap();
        let text = identity.to_text();
        let secret_part = &text[XWING_IDENTITY_PREFIX.len()..XWING_IDENTITY_PREFIX.len() + 12];
        assert!(!format!("{identity:?}").contains(secret_part));
        let mut typo = text.to_string();
        let at = XWING_IDENTITY_PREFIX.len() + 4;
        let swap = if &typo[at..=at] == "Q" { "P" } else { "Q" };
        typo.replace_range(at..=at, swap);
        let err = Identity::from_text(&typo).err().unwrap();
        assert!(!err.to_string().contains(secret_part));
    }

    #[test]
    fn single_line_skips_comments() {
        assert_eq!(single_line("# c\n\n  key \n"), Ok("key"));
        assert_eq!(single_line("# only\n"), Err(KeyTextError::Empty));
        assert_eq!(single_line("a\nb\n"), Err(KeyTextError::SeveralKeys));
    }
}

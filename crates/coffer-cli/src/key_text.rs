//! The key text format: one local key-encryption key as a line of text.
//!
//! ```text
//! COFFER-KEY-1Q...  (Bech32m, BIP 350)
//! ```
//!
//! The line is Bech32m with the human-readable part `coffer-key-`, written
//! upper case so that it starts `COFFER-KEY-1`. Its data is
//!
//! ```text
//! format (u8 = 1) ‖ version (u32, big-endian) ‖ name_len (u8) ‖ name ‖ key (32 bytes)
//! ```
//!
//! where name and version follow the key layer's `KeyId` rules. The Bech32m checksum catches any
//! single mistyped character (and any error in up to four characters of a
//! short string); a character outside the Bech32 alphabet or a change of case
//! is refused before the checksum is checked. Each key has exactly one text:
//! the data's padding bits must be zero and its length exact.
//!
//! A key file holds one such line; lines starting with `#` and blank lines
//! are comments (see [`parse_key_file`]). Parse errors never quote the text, which
//! is secret.
//!
//! The Bech32m codec and the error type are the key layer's
//! ([`coffer_keys::key_text`]), shared with its public-key
//! and identity texts; identity files ([`render_identity_file`],
//! [`parse_identity_file`]) hold one identity line the same way.

use std::fmt;

use bech32::Hrp;
use coffer_keys::key_text::{decode, encode_upper, single_line};
use coffer_keys::{Identity, KeyEncryptionKey, KeyId, MAX_KEY_NAME_LEN};
use zeroize::Zeroizing;

pub use coffer_keys::key_text::KeyTextError;

/// The human-readable part, lower case; key text starts with it, upper cased,
/// and the separator `1`.
const HRP: Hrp = Hrp::parse_unchecked("coffer-key-");

/// How every key text starts.
pub const KEY_PREFIX: &str = "COFFER-KEY-1";

/// The version of the data layout, its first byte.
const FORMAT: u8 = 1;

/// Bytes of key material.
const KEY_LEN: usize = 32;

/// A local key-encryption key with its identity: what a key file holds.
pub struct LocalKey {
    id: KeyId,
    kek: KeyEncryptionKey,
}

impl LocalKey {
    /// Pairs an identity with key material.
    pub fn new(id: KeyId, kek: KeyEncryptionKey) -> Self {
        Self { id, kek }
    }

    /// A fresh random key for `id`.
    pub fn generate(id: KeyId) -> Result<Self, coffer_keys::Error> {
        Ok(Self::new(id, KeyEncryptionKey::generate()?))
    }

    /// The key's name and version.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The key material.
    pub fn kek(&self) -> &KeyEncryptionKey {
        &self.kek
    }

    /// A copy of the key material (the type has no `Clone`, on purpose).
    pub fn kek_copy(&self) -> KeyEncryptionKey {
        KeyEncryptionKey::from_bytes(*self.kek.expose_secret())
    }

    /// The key text, `COFFER-KEY-1...`, in a zeroizing string.
    pub fn to_text(&self) -> Zeroizing<String> {
        let name = self.id.name().as_bytes();
        let mut data = Zeroizing::new(Vec::with_capacity(6 + name.len() + KEY_LEN));
        data.push(FORMAT);
        data.extend_from_slice(&self.id.version().to_be_bytes());
        // A KeyId name is at most MAX_KEY_NAME_LEN (53) bytes.
        data.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
        data.extend_from_slice(name);
        data.extend_from_slice(self.kek.expose_secret());
        encode_upper(HRP, &data)
    }

    /// Parses one key text (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Self, KeyTextError> {
        decode_data(&decode(text, HRP, KEY_PREFIX)?)
    }
}

impl fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey")
            .field("id", &self.id)
            .field("kek", &self.kek)
            .finish()
    }
}

/// Characters of the text for `data_len` bytes of data.
#[cfg(test)]
fn encoded_capacity(data_len: usize) -> usize {
    KEY_PREFIX.len() + (data_len * 8).div_ceil(5) + 6
}

fn decode_data(data: &[u8]) -> Result<LocalKey, KeyTextError> {
    let (&format, rest) = data.split_first().ok_or(KeyTextError::Length)?;
    if format != FORMAT {
        return Err(KeyTextError::UnsupportedFormat(format));
    }
    let (version, rest) = rest.split_first_chunk::<4>().ok_or(KeyTextError::Length)?;
    let (&name_len, rest) = rest.split_first().ok_or(KeyTextError::Length)?;
    let name_len = usize::from(name_len);
    if name_len > MAX_KEY_NAME_LEN || rest.len() != name_len + KEY_LEN {
        return Err(KeyTextError::Length);
    }
    let (name, key) = rest.split_at(name_len);
    let name = std::str::from_utf8(name).map_err(|_| KeyTextError::KeyId)?;
    let id = KeyId::new(name, u32::from_be_bytes(*version)).map_err(|_| KeyTextError::KeyId)?;
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    bytes.copy_from_slice(key);
    Ok(LocalKey::new(id, KeyEncryptionKey::from_bytes(*bytes)))
}

/// A key file's text for `key`: comments naming it, then the key line.
///
/// ```text
/// # coffer key-encryption key: keep this file secret
/// # key: docs:1
/// COFFER-KEY-1...
/// ```
pub fn render_key_file(key: &LocalKey) -> Zeroizing<String> {
    let text = key.to_text();
    let mut out = Zeroizing::new(String::with_capacity(text.len() + 120));
    out.push_str("# coffer key-encryption key: keep this file secret\n");
    out.push_str("# key: ");
    out.push_str(&key.id().to_string());
    out.push('\n');
    out.push_str(&text);
    out.push('\n');
    out
}

/// Parses a key file: `#` comments and blank lines are skipped, and exactly
/// one key line must remain. The comments are not trusted: the name and
/// version come from the checksummed key line.
pub fn parse_key_file(text: &str) -> Result<LocalKey, KeyTextError> {
    LocalKey::parse(single_line(text)?)
}

/// An identity file's text: comments naming the algorithm and the public
/// key (so the file tells whom to give it to), then the identity line.
///
/// ```text
/// # coffer identity (xwing): keep this file secret
/// # public key: coffer-xwing-1...
/// COFFER-XWING-IDENTITY-1...
/// ```
pub fn render_identity_file(identity: &Identity) -> Zeroizing<String> {
    let text = identity.to_text();
    let public = identity.public_key().to_text();
    let mut out = Zeroizing::new(String::with_capacity(text.len() + public.len() + 100));
    out.push_str("# coffer identity (");
    out.push_str(identity.algorithm().name());
    out.push_str("): keep this file secret\n# public key: ");
    out.push_str(&public);
    out.push('\n');
    out.push_str(&text);
    out.push('\n');
    out
}

/// Parses an identity file: exactly one identity line among `#` comments
/// and blank lines. The comments (and the public key in them) are not
/// trusted: the public key is derived from the identity.
pub fn parse_identity_file(text: &str) -> Result<Identity, KeyTextError> {
    Identity::from_text(single_line(text)?)
}

#[cfg(test)]
mod tests {
    use bech32::Bech32m;
    use coffer_keys::KemAlgorithm;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn identity_files_name_the_public_key_and_hold_one_identity() {
        for algorithm in KemAlgorithm::ALL {
            let identity = Identity::generate(algorithm).unwrap();
            let file = render_identity_file(&identity);
            assert!(file.starts_with(&format!(
                "# coffer identity ({}): keep this file secret\n",
                algorithm.name()
            )));
            assert!(file.contains(&format!("# public key: {}\n", identity.public_key().to_text())));
            assert_eq!(parse_identity_file(&file).unwrap(), identity);
            let twice = format!("{}{}", file.as_str(), identity.to_text().as_str());
            assert_eq!(parse_identity_file(&twice).err(), Some(KeyTextError::SeveralKeys));
            // A local key file is not an identity file.
            let local = render_key_file(&key("docs", 1, 9));
            assert!(matches!(
                parse_identity_file(&local),
                Err(KeyTextError::NotAKey(_))
            ));
        }
    }

    proptest! {
        #[test]
        fn any_key_round_trips_through_its_text(
            name in "[A-Za-z0-9._-]{1,53}",
            version in 1u32..,
            material in any::<[u8; 32]>(),
            lower in any::<bool>(),
        ) {
            let key = LocalKey::new(KeyId::new(&name, version).unwrap(), KeyEncryptionKey::from_bytes(material));
            let text = key.to_text();
            prop_assert!(text.starts_with(KEY_PREFIX));
            let input = if lower { text.to_ascii_lowercase() } else { text.to_string() };
            let parsed = LocalKey::parse(&input).unwrap();
            prop_assert_eq!(parsed.id(), key.id());
            prop_assert_eq!(parsed.kek().expose_secret(), &material);
            // One text per key.
            let again = parsed.to_text();
            prop_assert_eq!(again.as_str(), text.as_str());
            let file = parse_key_file(&render_key_file(&key)).unwrap();
            prop_assert_eq!(file.id(), key.id());
        }

        #[test]
        fn parsing_any_text_never_panics(text in "\\PC{0,200}") {
            let _ = LocalKey::parse(&text);
            let _ = parse_key_file(&text);
        }
    }

    fn key(name: &str, version: u32, byte: u8) -> LocalKey {
        LocalKey::new(
            KeyId::new(name, version).unwrap(),
            KeyEncryptionKey::from_bytes([byte; 32]),
        )
    }

    #[test]
    fn round_trips_and_starts_with_the_prefix() {
        let original = key("tenant.docs", 7, 0x5A);
        let text = original.to_text();
        assert!(text.starts_with(KEY_PREFIX), "{}", &text[..12]);
        assert_eq!(text.len(), encoded_capacity(6 + 11 + 32));
        let parsed = LocalKey::parse(&text).unwrap();
        assert_eq!(parsed.id(), original.id());
        assert_eq!(parsed.kek(), original.kek());
        // Lower case is the same key.
        let lower = LocalKey::parse(&text.to_ascii_lowercase()).unwrap();
        assert_eq!(lower.kek(), original.kek());
    }

    #[test]
    fn every_single_mistyped_character_is_caught() {
        let text = key("docs", 1, 0x11).to_text();
        let alphabet = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
        for (i, original) in text.char_indices().skip(KEY_PREFIX.len()) {
            for replacement in alphabet.chars().filter(|c| *c != original) {
                let mut typo = text.to_string();
                typo.replace_range(i..=i, &replacement.to_string());
                assert_eq!(
                    LocalKey::parse(&typo).err(),
                    Some(KeyTextError::Checksum),
                    "position {i}"
                );
            }
        }
    }

    #[test]
    fn a_character_outside_the_alphabet_or_a_case_change_is_refused() {
        let text = key("docs", 1, 0x22).to_text();
        let at = KEY_PREFIX.len() + 3;
        for replacement in ["B", "I", "O", "1", "!"] {
            let mut typo = text.to_string();
            typo.replace_range(at..=at, replacement);
            assert!(LocalKey::parse(&typo).is_err(), "{replacement}");
        }
        let mut mixed = text.to_string();
        let lower = mixed[at..=at].to_ascii_lowercase();
        if lower != mixed[at..=at] {
            mixed.replace_range(at..=at, &lower);
            assert_eq!(LocalKey::parse(&mixed).err(), Some(KeyTextError::Character));
        }
    }

    #[test]
    fn a_dropped_or_swapped_character_is_caught() {
        let text = key("docs", 1, 0x33).to_text();
        let mut dropped = text.to_string();
        dropped.remove(KEY_PREFIX.len() + 5);
        assert!(LocalKey::parse(&dropped).is_err());
        let mut chars: Vec<char> = text.chars().collect();
        let at = KEY_PREFIX.len() + 8;
        if chars[at] != chars[at + 1] {
            chars.swap(at, at + 1);
            let swapped: String = chars.into_iter().collect();
            assert!(LocalKey::parse(&swapped).is_err());
        }
    }

    #[test]
    fn other_bech32_strings_are_not_keys() {
        let other =
            bech32::encode_upper::<Bech32m>(Hrp::parse_unchecked("coffer-ring-"), &[1, 2, 3]).unwrap();
        assert_eq!(
            LocalKey::parse(&other).err(),
            Some(KeyTextError::NotAKey(KEY_PREFIX))
        );
        assert_eq!(LocalKey::parse("").err(), Some(KeyTextError::NotAKey(KEY_PREFIX)));
        assert_eq!(
            LocalKey::parse("AGE-SECRET-KEY-1QQ").err(),
            Some(KeyTextError::NotAKey(KEY_PREFIX))
        );
    }

    #[test]
    fn wrong_layouts_are_refused() {
        let encode = |data: &[u8]| bech32::encode_upper::<Bech32m>(HRP, data).unwrap();
        let mut good = vec![FORMAT, 0, 0, 0, 1, 4];
        good.extend_from_slice(b"docs");
        good.extend_from_slice(&[9; 32]);
        assert!(LocalKey::parse(&encode(&good)).is_ok());
        let mut bad_format = good.clone();
        bad_format[0] = 2;
        assert_eq!(
            LocalKey::parse(&encode(&bad_format)).err(),
            Some(KeyTextError::UnsupportedFormat(2))
        );
        assert_eq!(
            LocalKey::parse(&encode(&good[..good.len() - 1])).err(),
            Some(KeyTextError::Length)
        );
        let mut version_zero = good.clone();
        version_zero[4] = 0;
        assert_eq!(
            LocalKey::parse(&encode(&version_zero)).err(),
            Some(KeyTextError::KeyId)
        );
        let mut bad_name = good.clone();
        bad_name[6] = b':';
        assert_eq!(
            LocalKey::parse(&encode(&bad_name)).err(),
            Some(KeyTextError::KeyId)
        );
        assert_eq!(LocalKey::parse(&encode(&[])).err(), Some(KeyTextError::Length));
    }

    #[test]
    fn errors_and_debug_never_show_the_text() {
        let original = key("docs", 1, 0x44);
        let text = original.to_text();
        let debug = format!("{original:?}");
        assert!(!debug.contains(&text[KEY_PREFIX.len()..KEY_PREFIX.len() + 10]));
        assert!(debug.contains("KeyEncryptionKey(..)"));
        let mut typo = text.to_string();
        typo.replace_range(20..21, if &text[20..21] == "Q" { "P" } else { "Q" });
        let message = LocalKey::parse(&typo).err().unwrap().to_string();
        assert!(!message.contains(&text[KEY_PREFIX.len()..KEY_PREFIX.len() + 6]));
    }

    #[test]
    fn key_files_skip_comments_and_hold_one_key() {
        let original = key("docs", 3, 0x55);
        let file = render_key_file(&original);
        assert!(file.starts_with("# coffer key-encryption key"));
        assert!(file.contains("# key: docs:3\n"));
        let parsed = parse_key_file(&file).unwrap();
        assert_eq!(parsed.id(), original.id());
        assert_eq!(parse_key_file("# nothing\n\n").err(), Some(KeyTextError::Empty));
        let twice = format!("{}{}", file.as_str(), original.to_text().as_str());
        assert_eq!(parse_key_file(&twice).err(), Some(KeyTextError::SeveralKeys));
    }
}

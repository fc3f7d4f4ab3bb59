//! Keyring files: several versions of named keys with their states and
//! minimum decryption versions, as text.
//!
//! ```text
//! coffer-keyring v1
//! # keep this file secret
//! min-version docs 2
//! key docs:1 destroyed
//! key docs:2 decrypt-only COFFER-KEY-1...
//! key docs:3 active COFFER-KEY-1...
//! ```
//!
//! The first line names the format. Each `key` line holds a version's
//! identity, its state and, unless destroyed, its key text (see
//! [`key_text`](crate::key_text)), whose checksummed identity must match.
//! `min-version` lines set a name's minimum decryption version. Lines
//! starting with `#` and blank lines are comments.
//!
//! The rules (one Active version per name, no way back from Destroyed, no
//! minimum above the Active version) are the key layer's: every change goes
//! through the key layer's `Keyring` and the file takes back the states it reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use coffer_keys::{Error as KeysError, KeyEncryptionKey, KeyId, KeyState, Keyring};
use zeroize::Zeroizing;

use crate::key_text::{KeyTextError, LocalKey};

/// The first line of every keyring file.
pub const KEYRING_HEADER: &str = "coffer-keyring v1";

/// What is wrong with a keyring file or a change to it. Never quotes key
/// text.
#[derive(Debug, thiserror::Error)]
pub enum KeyringFileError {
    /// The first line is not [`KEYRING_HEADER`].
    #[error("not a coffer keyring: the first line must be `{KEYRING_HEADER}`")]
    NotAKeyring,
    /// A line is neither a key line nor a minimum version line.
    #[error("line {line}: expected `key NAME:VERSION STATE [KEY]` or `min-version NAME VERSION`")]
    Syntax {
        /// The 1-based line number.
        line: usize,
    },
    /// A state word is not one of the four states.
    #[error("line {line}: unknown state `{state}` (active, decrypt-only, suspended or destroyed)")]
    State {
        /// The 1-based line number.
        line: usize,
        /// The word found.
        state: String,
    },
    /// A key text does not parse.
    #[error("line {line}: {source}")]
    Key {
        /// The 1-based line number.
        line: usize,
        /// Why.
        source: KeyTextError,
    },
    /// The key text belongs to another key id than the line names.
    #[error("line {line}: the key text is for `{found}`, not `{named}`")]
    Mismatch {
        /// The 1-based line number.
        line: usize,
        /// The id the line names.
        named: String,
        /// The id inside the key text.
        found: String,
    },
    /// A version that is not destroyed has no key text, or a destroyed one
    /// still has one.
    #[error("line {line}: a {state} key {}", if *state == KeyState::Destroyed { "keeps no key text" } else { "needs its key text" })]
    Material {
        /// The 1-based line number.
        line: usize,
        /// The line's state.
        state: KeyState,
    },
    /// The key layer refused the keyring or the change (a second Active
    /// version, a duplicate, an unknown name, ...).
    #[error(transparent)]
    Rule(#[from] KeysError),
}

struct Entry {
    state: KeyState,
    /// `None` once destroyed.
    kek: Option<KeyEncryptionKey>,
}

/// A keyring as stored in a file: every version's state and key material,
/// and each name's minimum decryption version.
#[derive(Default)]
pub struct KeyringFile {
    entries: BTreeMap<KeyId, Entry>,
    min_versions: BTreeMap<String, u32>,
}

impl std::fmt::Debug for KeyringFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let states: Vec<String> = self
            .entries
            .iter()
            .map(|(id, entry)| format!("{id} {}", entry.state))
            .collect();
        f.debug_struct("KeyringFile")
            .field("entries", &states)
            .field("min_versions", &self.min_versions)
            .finish()
    }
}

impl KeyringFile {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a keyring file and checks it against the key layer's rules.
    pub fn parse(text: &str) -> Result<Self, KeyringFileError> {
        let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line.trim()));
        if lines.next().map(|(_, line)| line) != Some(KEYRING_HEADER) {
            return Err(KeyringFileError::NotAKeyring);
        }
        let mut file = Self::new();
        for (line, content) in lines {
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = content.split_whitespace().collect();
            match words.as_slice() {
                ["min-version", name, version] => {
                    let version = parse_version(version).ok_or(KeyringFileError::Syntax { line })?;
                    file.min_versions.insert((*name).to_owned(), version);
                }
                ["key", id, state, rest @ ..] if rest.len() <= 1 => {
                    let id = parse_id(id).ok_or(KeyringFileError::Syntax { line })?;
                    let state = parse_state(state).ok_or_else(|| KeyringFileError::State {
                        line,
                        state: (*state).to_owned(),
                    })?;
                    let kek = match (state, rest.first()) {
                        (KeyState::Destroyed, None) => None,
                        (KeyState::Destroyed, Some(_)) | (_, None) => {
                            return Err(KeyringFileError::Material { line, state })
                        }
                        (_, Some(text)) => {
                            let key = LocalKey::parse(text)
                                .map_err(|source| KeyringFileError::Key { line, source })?;
                            if key.id() != &id {
                                return Err(KeyringFileError::Mismatch {
                                    line,
                                    named: id.to_string(),
                                    found: key.id().to_string(),
                                });
                            }
                            Some(key.kek_copy())
                        }
                    };
                    if file.entries.insert(id.clone(), Entry { state, kek }).is_some() {
                        return Err(KeysError::KeyringRule(format!("`{id}` already exists")).into());
                    }
                }
                _ => return Err(KeyringFileError::Syntax { line }),
            }
        }
        file.to_keyring()?;
        Ok(file)
    }

    /// The file's text, in a zeroizing string.
    pub fn render(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        out.push_str(KEYRING_HEADER);
        out.push_str("\n# coffer keyring: keep this file secret\n");
        for (name, version) in &self.min_versions {
            // Writing to a String cannot fail.
            let _ = writeln!(out, "min-version {name} {version}");
        }
        for (id, entry) in &self.entries {
            let _ = write!(out, "key {id} {}", entry.state);
            if let Some(kek) = &entry.kek {
                let text =
                    LocalKey::new(id.clone(), KeyEncryptionKey::from_bytes(*kek.expose_secret())).to_text();
                out.push(' ');
                out.push_str(&text);
            }
            out.push('\n');
        }
        out
    }

    /// The library keyring for sealing and opening.
    pub fn to_keyring(&self) -> Result<Keyring, KeysError> {
        let mut keyring = Keyring::new();
        for (id, entry) in &self.entries {
            let kek = entry.kek.as_ref().map_or_else(
                || KeyEncryptionKey::from_bytes([0; 32]),
                |kek| KeyEncryptionKey::from_bytes(*kek.expose_secret()),
            );
            keyring.insert(id.clone(), kek, entry.state)?;
        }
        for (name, minimum) in &self.min_versions {
            keyring.set_min_decrypt_version(name, *minimum)?;
        }
        Ok(keyring)
    }

    /// The names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.entries.keys().map(KeyId::name).collect();
        names.dedup();
        names
    }

    /// Every version with its state, sorted by name and version.
    pub fn versions(&self) -> impl Iterator<Item = (&KeyId, KeyState)> {
        self.entries.iter().map(|(id, entry)| (id, entry.state))
    }

    /// The minimum decryption version of `name` (0 when unset).
    pub fn min_version(&self, name: &str) -> u32 {
        self.min_versions.get(name).copied().unwrap_or(0)
    }

    /// The version after the highest one of `name` (1 for a new name).
    pub fn next_version(&self, name: &str) -> Option<u32> {
        self.entries
            .keys()
            .filter(|id| id.name() == name)
            .map(KeyId::version)
            .max()
            .map_or(Some(1), |v| v.checked_add(1))
    }

    /// The key of one version, if it still has material.
    pub fn local_key(&self, id: &KeyId) -> Option<LocalKey> {
        let kek = self.entries.get(id)?.kek.as_ref()?;
        Some(LocalKey::new(
            id.clone(),
            KeyEncryptionKey::from_bytes(*kek.expose_secret()),
        ))
    }

    /// Adds a version in `state` (a name's first version, an imported key, or
    /// a key prepared ahead of a rotation).
    pub fn add(&mut self, key: LocalKey, state: KeyState) -> Result<(), KeyringFileError> {
        let mut keyring = self.to_keyring()?;
        keyring.insert(key.id().clone(), key.kek_copy(), state)?;
        self.entries.insert(
            key.id().clone(),
            Entry {
                state,
                kek: (state != KeyState::Destroyed).then(|| key.kek_copy()),
            },
        );
        self.sync(&keyring);
        Ok(())
    }

    /// Adds a fresh Active version of `name` after the highest one and
    /// demotes the previous Active version to DecryptOnly.
    pub fn rotate(&mut self, name: &str) -> Result<KeyId, KeyringFileError> {
        let mut keyring = self.to_keyring()?;
        let kek = KeyEncryptionKey::generate()?;
        let copy = KeyEncryptionKey::from_bytes(*kek.expose_secret());
        let id = keyring.rotate_with(name, kek)?;
        self.entries.insert(
            id.clone(),
            Entry {
                state: KeyState::Active,
                kek: Some(copy),
            },
        );
        self.sync(&keyring);
        Ok(id)
    }

    /// Changes a version's state (destroying erases its material).
    pub fn set_state(&mut self, id: &KeyId, state: KeyState) -> Result<(), KeyringFileError> {
        let mut keyring = self.to_keyring()?;
        keyring.set_state(id, state)?;
        self.sync(&keyring);
        Ok(())
    }

    /// Sets the minimum decryption version of `name`.
    pub fn set_min_version(&mut self, name: &str, minimum: u32) -> Result<(), KeyringFileError> {
        let mut keyring = self.to_keyring()?;
        keyring.set_min_decrypt_version(name, minimum)?;
        self.sync(&keyring);
        Ok(())
    }

    /// Takes back the states and minimum versions the key layer reports.
    fn sync(&mut self, keyring: &Keyring) {
        for (id, entry) in &mut self.entries {
            if let Some(state) = keyring.state(id) {
                entry.state = state;
            }
            if entry.state == KeyState::Destroyed {
                entry.kek = None;
            }
        }
        self.min_versions = keyring
            .names()
            .filter_map(|name| {
                let minimum = keyring.min_decrypt_version(name)?;
                (minimum > 0).then(|| (name.to_owned(), minimum))
            })
            .collect();
    }
}

/// Parses a state word as the key layer's `KeyState` writes it.
pub fn parse_state(word: &str) -> Option<KeyState> {
    match word {
        "active" => Some(KeyState::Active),
        "decrypt-only" => Some(KeyState::DecryptOnly),
        "suspended" => Some(KeyState::Suspended),
        "destroyed" => Some(KeyState::Destroyed),
        _ => None,
    }
}

fn parse_version(text: &str) -> Option<u32> {
    if text.starts_with('+') || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

fn parse_id(text: &str) -> Option<KeyId> {
    KeyId::from_kid(text.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> KeyringFile {
        let mut file = KeyringFile::new();
        let v1 = LocalKey::generate(KeyId::new("docs", 1).unwrap()).unwrap();
        file.add(v1, KeyState::Active).unwrap();
        file.rotate("docs").unwrap();
        file.rotate("docs").unwrap();
        file
    }

    #[test]
    fn render_and_parse_round_trip_states_and_minimums() {
        let mut file = sample();
        let v1 = KeyId::new("docs", 1).unwrap();
        file.set_state(&v1, KeyState::Destroyed).unwrap();
        file.set_min_version("docs", 2).unwrap();
        let text = file.render();
        assert!(text.starts_with("coffer-keyring v1\n"));
        assert!(text.contains("min-version docs 2\n"));
        assert!(text.contains("key docs:1 destroyed\n"));
        assert!(text.contains("key docs:2 decrypt-only COFFER-KEY-1"));
        assert!(text.contains("key docs:3 active COFFER-KEY-1"));
        let parsed = KeyringFile::parse(&text).unwrap();
        assert_eq!(parsed.render().as_str(), text.as_str());
        assert_eq!(parsed.min_version("docs"), 2);
        assert!(parsed.local_key(&v1).is_none());
        let keyring = parsed.to_keyring().unwrap();
        assert_eq!(keyring.active_id("docs"), KeyId::new("docs", 3).ok());
    }

    #[test]
    fn rules_come_from_the_key_layer() {
        let mut file = sample();
        let active = KeyId::new("docs", 3).unwrap();
        assert!(matches!(
            file.set_state(&active, KeyState::Suspended),
            Err(KeyringFileError::Rule(_))
        ));
        let second = LocalKey::generate(KeyId::new("docs", 9).unwrap()).unwrap();
        assert!(file.add(second, KeyState::Active).is_err());
        assert!(file.set_min_version("docs", 4).is_err());
        let v1 = KeyId::new("docs", 1).unwrap();
        file.set_state(&v1, KeyState::Destroyed).unwrap();
        assert!(file.set_state(&v1, KeyState::DecryptOnly).is_err());
        assert_eq!(file.next_version("docs"), Some(4));
        assert_eq!(file.next_version("other"), Some(1));
    }

    #[test]
    fn bad_files_name_the_line() {
        let good = sample().render();
        assert!(matches!(
            KeyringFile::parse("hello\n"),
            Err(KeyringFileError::NotAKeyring)
        ));
        let two_active = good.replace("docs:2 decrypt-only", "docs:2 active");
        assert!(matches!(
            KeyringFile::parse(&two_active),
            Err(KeyringFileError::Rule(_))
        ));
        let unknown = good.replace("docs:2 decrypt-only", "docs:2 retired");
        assert!(matches!(
            KeyringFile::parse(&unknown),
            Err(KeyringFileError::State { line: 4, .. })
        ));
        let renamed = good.replace("key docs:2", "key docs:5");
        assert!(matches!(
            KeyringFile::parse(&renamed),
            Err(KeyringFileError::Mismatch { line: 4, .. })
        ));
        let stripped: String = good
            .lines()
            .map(|l| l.split(" COFFER").next().unwrap_or(l).to_owned() + "\n")
            .collect();
        assert!(matches!(
            KeyringFile::parse(&stripped),
            Err(KeyringFileError::Material { line: 3, .. })
        ));
        let junk = format!("{}oops\n", good.as_str());
        assert!(matches!(
            KeyringFile::parse(&junk),
            Err(KeyringFileError::Syntax { line: 6 })
        ));
        let typo = good.replacen("COFFER-KEY-1Q", "COFFER-KEY-1P", 1);
        if typo != *good {
            assert!(matches!(
                KeyringFile::parse(&typo),
                Err(KeyringFileError::Key { .. })
            ));
        }
    }

    #[test]
    fn debug_lists_states_only() {
        let file = sample();
        let debug = format!("{file:?}");
        assert!(debug.contains("docs:3 active"));
        assert!(!debug.contains("COFFER-KEY"));
    }
}

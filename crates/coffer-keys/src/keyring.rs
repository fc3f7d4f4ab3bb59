//! Keyrings: named, versioned key-encryption keys with lifecycle states.

mod key_id;

use std::collections::BTreeMap;
use std::fmt;

pub use key_id::{KeyId, MAX_KEY_NAME_LEN};

use crate::secret::KeyEncryptionKey;
use crate::Error;

/// The lifecycle state of one key version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Encrypts new messages and decrypts old ones; exactly one version per
    /// name.
    Active,
    /// Decrypts existing messages only (a rotated-out version).
    DecryptOnly,
    /// Temporarily unusable for anything; can be made DecryptOnly or Active
    /// again.
    Suspended,
    /// Key material erased; terminal.
    Destroyed,
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Active => "active",
            Self::DecryptOnly => "decrypt-only",
            Self::Suspended => "suspended",
            Self::Destroyed => "destroyed",
        })
    }
}

struct Version {
    state: KeyState,
    /// `None` once destroyed: dropping the key zeroizes it.
    kek: Option<KeyEncryptionKey>,
}

#[derive(Default)]
struct Family {
    versions: BTreeMap<u32, Version>,
    min_decrypt_version: u32,
}

impl Family {
    fn version(&self, id: &KeyId) -> Result<&Version, Error> {
        self.versions
            .get(&id.version())
            .ok_or_else(|| Error::UnknownKey(id.to_string()))
    }

    /// Moves the Active version, if any, to DecryptOnly.
    fn demote_active(&mut self) {
        let active = self.active_version();
        if let Some(version) = active.and_then(|v| self.versions.get_mut(&v)) {
            version.state = KeyState::DecryptOnly;
        }
    }

    /// Refuses to make `version` the Active one when it is below the
    /// minimum decryption version: it would seal messages it cannot open.
    fn check_activation(&self, id: &KeyId) -> Result<(), Error> {
        if id.version() < self.min_decrypt_version {
            return Err(Error::BelowMinimumVersion {
                id: id.to_string(),
                minimum: self.min_decrypt_version,
            });
        }
        Ok(())
    }

    fn active_version(&self) -> Option<u32> {
        self.versions
            .iter()
            .find(|(_, v)| v.state == KeyState::Active)
            .map(|(n, _)| *n)
    }
}

/// Named, versioned key-encryption keys.
///
/// Each name has at most one [`KeyState::Active`] version, which encrypts;
/// rotation adds a version and demotes the previous Active one to
/// [`KeyState::DecryptOnly`]. Decryption uses Active or DecryptOnly versions
/// at or above the name's minimum decryption version. A name keeps an Active
/// version once it has one: to retire it, rotate or activate another version
/// first. The Active version is never below the minimum decryption version:
/// activating, inserting as Active or rotating into a lower version is
/// refused with [`Error::BelowMinimumVersion`], so a keyring never seals a
/// message it cannot open.
///
/// ```
/// use coffer_keys::{KeyState, Keyring};
/// let mut ring = Keyring::new();
/// let v1 = ring.create("tenant.docs")?;
/// let v2 = ring.rotate("tenant.docs")?;
/// assert_eq!(ring.state(&v1), Some(KeyState::DecryptOnly));
/// assert_eq!(ring.active_id("tenant.docs"), Some(v2));
/// # Ok::<(), coffer_keys::Error>(())
/// ```
#[derive(Default)]
pub struct Keyring {
    families: BTreeMap<String, Family>,
}

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    fn family(&self, name: &str) -> Result<&Family, Error> {
        self.families
            .get(name)
            .ok_or_else(|| Error::UnknownKey(name.to_owned()))
    }

    fn family_mut(&mut self, name: &str) -> Result<&mut Family, Error> {
        self.families
            .get_mut(name)
            .ok_or_else(|| Error::UnknownKey(name.to_owned()))
    }

    /// Creates `name` with a fresh random version 1 in state Active.
    pub fn create(&mut self, name: &str) -> Result<KeyId, Error> {
        let id = KeyId::new(name, 1)?;
        if self.families.contains_key(name) {
            return Err(Error::KeyringRule(format!("name `{name}` already exists")));
        }
        self.insert(id.clone(), KeyEncryptionKey::generate()?, KeyState::Active)?;
        Ok(id)
    }

    /// Adds an existing key version (for example when loading a stored
    /// keyring). Refuses a duplicate version, a second Active version and an
    /// Active version below the name's minimum decryption version
    /// ([`Error::BelowMinimumVersion`]); a Destroyed version keeps no
    /// material.
    pub fn insert(&mut self, id: KeyId, kek: KeyEncryptionKey, state: KeyState) -> Result<(), Error> {
        let family = self.families.entry(id.name().to_owned()).or_default();
        if family.versions.contains_key(&id.version()) {
            return Err(Error::KeyringRule(format!("`{id}` already exists")));
        }
        if state == KeyState::Active {
            family.check_activation(&id)?;
            if let Some(active) = family.active_version() {
                return Err(Error::KeyringRule(format!(
                    "`{}` is already active",
                    id.with_version(active)?
                )));
            }
        }
        let kek = (state != KeyState::Destroyed).then_some(kek);
        family.versions.insert(id.version(), Version { state, kek });
        Ok(())
    }

    /// Adds a fresh random version after the highest one, makes it Active and
    /// demotes the previous Active version to DecryptOnly. Refused with
    /// [`Error::BelowMinimumVersion`] if that version would be below the
    /// name's minimum decryption version (possible only when no version was
    /// Active when the minimum was raised).
    pub fn rotate(&mut self, name: &str) -> Result<KeyId, Error> {
        self.rotate_with(name, KeyEncryptionKey::generate()?)
    }

    /// Like [`Keyring::rotate`], with key material supplied by the caller.
    pub fn rotate_with(&mut self, name: &str, kek: KeyEncryptionKey) -> Result<KeyId, Error> {
        let family = self.family_mut(name)?;
        let next = family
            .versions
            .keys()
            .next_back()
            .map_or(Some(1), |v| v.checked_add(1))
            .ok_or_else(|| Error::KeyringRule(format!("`{name}` has no versions left")))?;
        let id = KeyId::new(name, next)?;
        family.check_activation(&id)?;
        family.demote_active();
        family.versions.insert(
            next,
            Version {
                state: KeyState::Active,
                kek: Some(kek),
            },
        );
        Ok(id)
    }

    /// Changes a version's state.
    ///
    /// Making a version Active demotes the current Active one to
    /// DecryptOnly. Refused: leaving a name without its Active version, any
    /// change away from Destroyed, and making Active a version below the
    /// name's minimum decryption version ([`Error::BelowMinimumVersion`]).
    /// Destroying erases the key material.
    pub fn set_state(&mut self, id: &KeyId, state: KeyState) -> Result<(), Error> {
        let family = self.family_mut(id.name())?;
        let current = family.version(id)?.state;
        if current == state {
            return Ok(());
        }
        if current == KeyState::Destroyed {
            return Err(Error::KeyringRule(format!("`{id}` is destroyed")));
        }
        if current == KeyState::Active {
            return Err(Error::KeyringRule(format!(
                "`{id}` is the active key; rotate or activate another version first"
            )));
        }
        if state == KeyState::Active {
            family.check_activation(id)?;
            family.demote_active();
        }
        if let Some(version) = family.versions.get_mut(&id.version()) {
            version.state = state;
            if state == KeyState::Destroyed {
                version.kek = None;
            }
        }
        Ok(())
    }

    /// Versions of `name` below `minimum` no longer decrypt.
    pub fn set_min_decrypt_version(&mut self, name: &str, minimum: u32) -> Result<(), Error> {
        let family = self.family_mut(name)?;
        if family.active_version().is_some_and(|active| active < minimum) {
            return Err(Error::KeyringRule(format!(
                "minimum {minimum} would exclude the active version of `{name}`"
            )));
        }
        family.min_decrypt_version = minimum;
        Ok(())
    }

    /// The minimum decryption version of `name` (0 when never set).
    pub fn min_decrypt_version(&self, name: &str) -> Option<u32> {
        self.families.get(name).map(|f| f.min_decrypt_version)
    }

    /// The Active version of `name`.
    pub fn active_id(&self, name: &str) -> Option<KeyId> {
        let family = self.families.get(name)?;
        KeyId::new(name, family.active_version()?).ok()
    }

    /// The state of a version, if present.
    pub fn state(&self, id: &KeyId) -> Option<KeyState> {
        self.families
            .get(id.name())?
            .versions
            .get(&id.version())
            .map(|v| v.state)
    }

    /// All versions of `name` with their states, oldest first.
    pub fn versions(&self, name: &str) -> Vec<(u32, KeyState)> {
        self.families.get(name).map_or_else(Vec::new, |f| {
            f.versions.iter().map(|(n, v)| (*n, v.state)).collect()
        })
    }

    /// The names in the keyring, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.families.keys().map(String::as_str)
    }

    /// The Active key of `name`, for encrypting. (The keyring's rules keep
    /// it at or above the minimum decryption version; checked again here so
    /// no path can seal under a key that cannot open the message.)
    pub(crate) fn encryption_key(&self, name: &str) -> Result<(KeyId, &KeyEncryptionKey), Error> {
        let family = self.family(name)?;
        let version = family
            .active_version()
            .ok_or_else(|| Error::KeyringRule(format!("`{name}` has no active version")))?;
        let id = KeyId::new(name, version)?;
        family.check_activation(&id)?;
        let kek = family
            .versions
            .get(&version)
            .and_then(|v| v.kek.as_ref())
            .ok_or_else(|| Error::UnknownKey(id.to_string()))?;
        Ok((id, kek))
    }

    /// The key for `id` if it may decrypt: Active or DecryptOnly, and at or
    /// above the minimum decryption version.
    pub(crate) fn decryption_key(&self, id: &KeyId) -> Result<&KeyEncryptionKey, Error> {
        let family = self.family(id.name())?;
        let version = family.version(id)?;
        if !matches!(version.state, KeyState::Active | KeyState::DecryptOnly) {
            return Err(Error::KeyNotUsable {
                id: id.to_string(),
                state: version.state,
                operation: "decrypt",
            });
        }
        if id.version() < family.min_decrypt_version {
            return Err(Error::BelowMinimumVersion {
                id: id.to_string(),
                minimum: family.min_decrypt_version,
            });
        }
        version
            .kek
            .as_ref()
            .ok_or_else(|| Error::UnknownKey(id.to_string()))
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, family) in &self.families {
            let states: Vec<_> = family
                .versions
                .iter()
                .map(|(n, v)| format!("v{n} {}", v.state))
                .collect();
            map.entry(name, &states);
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> KeyEncryptionKey {
        KeyEncryptionKey::from_bytes([byte; 32])
    }

    #[test]
    fn rotation_demotes_and_adds_a_version() {
        let mut ring = Keyring::new();
        let v1 = ring.create("docs").unwrap();
        let v2 = ring.rotate("docs").unwrap();
        assert_eq!(v2.version(), 2);
        assert_eq!(ring.state(&v1), Some(KeyState::DecryptOnly));
        assert_eq!(ring.state(&v2), Some(KeyState::Active));
        assert_eq!(ring.encryption_key("docs").unwrap().0, v2);
        assert!(ring.decryption_key(&v1).is_ok());
    }

    #[test]
    fn only_one_active_version() {
        let mut ring = Keyring::new();
        ring.insert(KeyId::new("a", 1).unwrap(), kek(1), KeyState::Active)
            .unwrap();
        let err = ring.insert(KeyId::new("a", 2).unwrap(), kek(2), KeyState::Active);
        assert!(matches!(err, Err(Error::KeyringRule(_))));
        let dup = ring.insert(KeyId::new("a", 1).unwrap(), kek(3), KeyState::DecryptOnly);
        assert!(matches!(dup, Err(Error::KeyringRule(_))));
        assert!(ring.create("a").is_err());
    }

    #[test]
    fn active_key_cannot_be_left_without_replacement() {
        let mut ring = Keyring::new();
        let v1 = ring.create("a").unwrap();
        assert!(ring.set_state(&v1, KeyState::Suspended).is_err());
        let v2 = ring.rotate("a").unwrap();
        ring.set_state(&v1, KeyState::Active).unwrap();
        assert_eq!(ring.state(&v2), Some(KeyState::DecryptOnly));
        assert_eq!(ring.active_id("a"), Some(v1));
    }

    #[test]
    fn states_gate_decryption() {
        let mut ring = Keyring::new();
        let v1 = ring.create("a").unwrap();
        let v2 = ring.rotate("a").unwrap();
        ring.set_state(&v1, KeyState::Suspended).unwrap();
        assert!(matches!(
            ring.decryption_key(&v1),
            Err(Error::KeyNotUsable {
                state: KeyState::Suspended,
                ..
            })
        ));
        ring.set_state(&v1, KeyState::DecryptOnly).unwrap();
        assert!(ring.decryption_key(&v1).is_ok());
        ring.set_min_decrypt_version("a", 2).unwrap();
        assert!(matches!(
            ring.decryption_key(&v1),
            Err(Error::BelowMinimumVersion { minimum: 2, .. })
        ));
        assert!(ring.set_min_decrypt_version("a", 3).is_err());
        ring.set_state(&v1, KeyState::Destroyed).unwrap();
        assert!(ring.set_state(&v1, KeyState::DecryptOnly).is_err());
        assert!(ring.decryption_key(&v2).is_ok());
        assert!(matches!(
            ring.decryption_key(&KeyId::new("a", 9).unwrap()),
            Err(Error::UnknownKey(_))
        ));
    }

    #[test]
    fn no_version_below_the_minimum_becomes_active() {
        // Through set_state: v1 is DecryptOnly, the minimum is 2.
        let mut ring = Keyring::new();
        let v1 = ring.create("a").unwrap();
        let v2 = ring.rotate("a").unwrap();
        ring.set_min_decrypt_version("a", 2).unwrap();
        assert!(matches!(
            ring.set_state(&v1, KeyState::Active),
            Err(Error::BelowMinimumVersion { minimum: 2, ref id }) if id == "a:1"
        ));
        assert_eq!(ring.active_id("a"), Some(v2.clone()));
        assert_eq!(ring.state(&v1), Some(KeyState::DecryptOnly));
        assert_eq!(ring.encryption_key("a").unwrap().0, v2);

        // Through insert: a loaded name with no Active version and a
        // raised minimum.
        let mut ring = Keyring::new();
        let b1 = KeyId::new("b", 1).unwrap();
        ring.insert(b1.clone(), kek(1), KeyState::DecryptOnly).unwrap();
        ring.set_min_decrypt_version("b", 5).unwrap();
        assert!(matches!(
            ring.insert(KeyId::new("b", 2).unwrap(), kek(2), KeyState::Active),
            Err(Error::BelowMinimumVersion { minimum: 5, .. })
        ));
        assert!(matches!(
            ring.set_state(&b1, KeyState::Active),
            Err(Error::BelowMinimumVersion { minimum: 5, .. })
        ));
        // Through rotation: the next version, 2, is below 5.
        assert!(matches!(
            ring.rotate_with("b", kek(3)),
            Err(Error::BelowMinimumVersion { minimum: 5, .. })
        ));
        assert_eq!(ring.versions("b"), vec![(1, KeyState::DecryptOnly)]);
        assert!(ring.active_id("b").is_none());
        // At the minimum it is allowed.
        ring.insert(KeyId::new("b", 5).unwrap(), kek(5), KeyState::Active)
            .unwrap();
        assert_eq!(ring.encryption_key("b").unwrap().0.version(), 5);
    }

    #[test]
    fn debug_lists_states_not_keys() {
        let mut ring = Keyring::new();
        ring.insert(KeyId::new("a", 1).unwrap(), kek(0xEE), KeyState::Active)
            .unwrap();
        let text = format!("{ring:?}");
        assert_eq!(text, r#"{"a": ["v1 active"]}"#);
    }
}

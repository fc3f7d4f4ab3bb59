//! Project keys: a project's KEK, itself sealed in an envelope whose
//! recipients are a password and/or recovery keys, so a password change is a
//! rewrap.

use std::fmt;

use crate::keyring::{KeyId, KeyState, Keyring};
use crate::open::{open, OpenOptions};
use crate::recipient::Recipient;
use crate::rewrap::{rewrap, Rewrap};
use crate::seal::{seal_with_context, SealOptions};
use crate::secret::{KeyEncryptionKey, Password};
use crate::Error;

/// Context entry marking an envelope as a sealed project key.
const KIND_KEY: &str = "coffer.kind";
const KIND_VALUE: &[u8] = b"project-key";
/// Context entry naming the sealed project key (`name:version`).
const KEY_ID_KEY: &str = "coffer.key-id";

/// A project's key-encryption key with its identity (`name:version`). It
/// wraps document DEKs like any KEK ([`Recipient::project_key`],
/// [`OpenOptions::project_key`]) and is stored sealed with
/// [`seal_project_key`].
///
/// ```
/// use coffer_keys::{seal_project_key, unlock_project_key, Password, ProjectKey, Recipient, SealOptions};
/// let key = ProjectKey::generate("project.alpha")?;
/// let password = Password::new("correct horse battery staple");
/// let sealed = seal_project_key(&key, &[Recipient::password(&password)], &SealOptions::new())?;
/// let unlocked = unlock_project_key(&sealed, &password)?;
/// assert_eq!(unlocked, key);
/// # Ok::<(), coffer_keys::Error>(())
/// ```
pub struct ProjectKey {
    id: KeyId,
    kek: KeyEncryptionKey,
}

impl ProjectKey {
    /// A fresh random key, version 1 of `name`.
    pub fn generate(name: &str) -> Result<Self, Error> {
        Ok(Self {
            id: KeyId::new(name, 1)?,
            kek: KeyEncryptionKey::generate()?,
        })
    }

    /// A project key from existing parts.
    pub fn from_parts(id: KeyId, kek: KeyEncryptionKey) -> Self {
        Self { id, kek }
    }

    /// A fresh random key for the next version of the same name (rotation;
    /// keep the old one DecryptOnly in a keyring to open older documents).
    pub fn rotate(&self) -> Result<Self, Error> {
        let next = self
            .id
            .version()
            .checked_add(1)
            .ok_or_else(|| Error::KeyringRule(format!("`{}` has no versions left", self.id)))?;
        Ok(Self {
            id: self.id.with_version(next)?,
            kek: KeyEncryptionKey::generate()?,
        })
    }

    /// The key's identity.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The KEK.
    pub fn kek(&self) -> &KeyEncryptionKey {
        &self.kek
    }

    /// Moves the key into `keyring` with `state`.
    pub fn into_keyring(self, keyring: &mut Keyring, state: KeyState) -> Result<(), Error> {
        keyring.insert(self.id, self.kek, state)
    }
}

impl fmt::Debug for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProjectKey({}, ..)", self.id)
    }
}

impl PartialEq for ProjectKey {
    /// Same identity and, in constant time, same key.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.kek == other.kek
    }
}

impl Eq for ProjectKey {}

/// Seals `key` for `recipients` (typically a password and a recovery KEK).
/// `options` sets suite and password cost; the project-key context entries
/// are added here.
pub fn seal_project_key(
    key: &ProjectKey,
    recipients: &[Recipient<'_>],
    options: &SealOptions,
) -> Result<Vec<u8>, Error> {
    seal_with_context(
        key.kek.expose_secret(),
        recipients,
        options,
        &[(KIND_KEY, KIND_VALUE), (KEY_ID_KEY, key.id.kid())],
    )
}

/// How to unlock a sealed project key.
#[derive(Debug)]
pub enum ProjectKeyUnlock<'a> {
    /// Its password.
    Password(&'a Password),
    /// A keyring holding a recovery KEK.
    Keyring(&'a Keyring),
    /// Any keys and limits (for example a lower PBKDF2 cap).
    Options(&'a OpenOptions<'a>),
}

impl<'a> From<&'a Password> for ProjectKeyUnlock<'a> {
    fn from(password: &'a Password) -> Self {
        Self::Password(password)
    }
}

impl<'a> From<&'a Keyring> for ProjectKeyUnlock<'a> {
    fn from(keyring: &'a Keyring) -> Self {
        Self::Keyring(keyring)
    }
}

impl<'a> From<&'a OpenOptions<'a>> for ProjectKeyUnlock<'a> {
    fn from(options: &'a OpenOptions<'a>) -> Self {
        Self::Options(options)
    }
}

impl ProjectKeyUnlock<'_> {
    fn options(&self) -> OpenOptions<'_> {
        let options = match self {
            Self::Password(password) => OpenOptions::new().password(password),
            Self::Keyring(keyring) => OpenOptions::new().keyring(keyring),
            Self::Options(options) => (*options).clone(),
        };
        options.require_context(KIND_KEY, KIND_VALUE)
    }
}

/// Unlocks a sealed project key with a password (as redeemed from a browser
/// session), a recovery keyring or explicit [`OpenOptions`].
pub fn unlock_project_key<'a>(
    sealed: &[u8],
    with: impl Into<ProjectKeyUnlock<'a>>,
) -> Result<ProjectKey, Error> {
    let opened = open(sealed, &with.into().options()).map_err(not_a_project_key)?;
    let id = opened
        .info()
        .context
        .get(KEY_ID_KEY)
        .ok_or(Error::NotAProjectKey)
        .and_then(KeyId::from_kid)?;
    let kek: [u8; 32] = opened.plaintext().try_into().map_err(|_| Error::NotAProjectKey)?;
    Ok(ProjectKey::from_parts(id, KeyEncryptionKey::from_bytes(kek)))
}

fn not_a_project_key(err: Error) -> Error {
    match err {
        Error::MissingContext(key) | Error::ContextMismatch(key) if key == KIND_KEY => Error::NotAProjectKey,
        other => other,
    }
}

/// Replaces the password of a sealed project key: unlocks with `old`, then
/// rewraps to `new` (600 000 PBKDF2 iterations). Recovery recipients are
/// kept; the project key itself does not change.
pub fn change_password(sealed: &[u8], old: &Password, new: &Password) -> Result<Vec<u8>, Error> {
    change_password_with(sealed, &OpenOptions::new().password(old), new, Rewrap::new())
}

/// [`change_password`] with explicit unlock options and rewrap settings
/// (for example a higher iteration count).
pub fn change_password_with<'a>(
    sealed: &[u8],
    options: &OpenOptions<'_>,
    new: &'a Password,
    settings: Rewrap<'a>,
) -> Result<Vec<u8>, Error> {
    let options = options.clone().require_context(KIND_KEY, KIND_VALUE);
    let change = settings
        .remove_passwords()
        .add_recipient(Recipient::password(new));
    rewrap(sealed, &options, &change).map_err(not_a_project_key)
}

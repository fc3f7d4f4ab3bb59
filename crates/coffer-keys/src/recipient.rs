//! Recipients: who can open a message, and how a DEK is wrapped for each.

use std::fmt;
use std::num::NonZeroU32;

use coffer_envelope::{KeyType, Suite, WrappedKey, MAX_KID_LEN};

use crate::keyring::{KeyId, Keyring};
use crate::project::ProjectKey;
use crate::public_key::PublicKey;
use crate::rng::Randomness;
use crate::secret::{DataKey, KeyEncryptionKey, Password};
use crate::wrap::hpke::{randomness_len, wrap_hpke};
use crate::wrap::{wrap_local, wrap_password, IterationBounds, KeyWrapper, KeyWrapperError, WrapBinding};
use crate::Error;

/// One recipient of a message: a keyring key, a project key, a password, an
/// external key wrapper or a public key. A message has 1 to 8 recipients,
/// all wrapping the same DEK.
pub struct Recipient<'a> {
    kind: Kind<'a>,
}

enum Kind<'a> {
    Kek { id: KeyId, kek: &'a KeyEncryptionKey },
    Password { password: &'a Password, label: Vec<u8> },
    External(&'a dyn KeyWrapper),
    Public(&'a PublicKey),
}

impl<'a> Recipient<'a> {
    /// The Active version of `name` in `keyring` (wrapped key type `01`,
    /// kid `name:version`).
    pub fn keyring(keyring: &'a Keyring, name: &str) -> Result<Self, Error> {
        let (id, kek) = keyring.encryption_key(name)?;
        Ok(Self::kek(id, kek))
    }

    /// A project key acting as KEK (type `01`, kid of its [`KeyId`]).
    pub fn project_key(key: &'a ProjectKey) -> Self {
        Self::kek(key.id().clone(), key.kek())
    }

    /// A KEK held outside a keyring, under the identity `id` (type `01`).
    pub fn kek(id: KeyId, kek: &'a KeyEncryptionKey) -> Self {
        Self {
            kind: Kind::Kek { id, kek },
        }
    }

    /// A password (type `02`, empty kid).
    pub fn password(password: &'a Password) -> Self {
        Self {
            kind: Kind::Password {
                password,
                label: Vec::new(),
            },
        }
    }

    /// A password with a public label as kid (at most 64 bytes), to tell
    /// several password recipients apart.
    pub fn labeled_password(password: &'a Password, label: &[u8]) -> Result<Self, Error> {
        if label.len() > MAX_KID_LEN {
            return Err(coffer_envelope::Error::KidLength(label.len()).into());
        }
        Ok(Self {
            kind: Kind::Password {
                password,
                label: label.to_vec(),
            },
        })
    }

    /// An external key wrapper such as a KMS (type `03`, the wrapper's kid).
    pub fn external(wrapper: &'a dyn KeyWrapper) -> Self {
        Self {
            kind: Kind::External(wrapper),
        }
    }

    /// A public key (type `04` for X25519, `05` for X-Wing; kid its
    /// fingerprint): whoever holds the matching
    /// [`Identity`](crate::Identity) opens the message, and sealing needs
    /// no secret.
    pub fn public_key(key: &'a PublicKey) -> Self {
        Self {
            kind: Kind::Public(key),
        }
    }

    /// The wrapped key type and kid this recipient writes.
    pub(crate) fn slot(&self) -> (KeyType, &[u8]) {
        match &self.kind {
            Kind::Kek { id, .. } => (KeyType::LOCAL, id.kid()),
            Kind::Password { label, .. } => (KeyType::PASSWORD, label),
            Kind::External(wrapper) => (KeyType::EXTERNAL, wrapper.kid()),
            Kind::Public(key) => (key.algorithm().key_type(), key.fingerprint()),
        }
    }

    /// Random bytes [`Recipient::wrap`] draws.
    fn salt_len(&self) -> usize {
        match self.kind {
            Kind::Kek { .. } => 16,
            Kind::Password { .. } => 32,
            Kind::External(_) => 0,
            Kind::Public(key) => randomness_len(key.algorithm()),
        }
    }

    /// Wraps `dek` for this recipient, bound to the message, drawing salts
    /// from `rng`.
    fn wrap(
        &self,
        dek: &DataKey,
        message: &MessageBinding<'_>,
        rng: &Randomness,
        iterations: NonZeroU32,
    ) -> Result<WrappedKey, Error> {
        let (key_type, kid) = self.slot();
        if kid.len() > MAX_KID_LEN {
            return Err(coffer_envelope::Error::KidLength(kid.len()).into());
        }
        let binding = WrapBinding::new(key_type, message.suite.id(), kid, message.message_id, message.th);
        let body = match &self.kind {
            Kind::Kek { kek, .. } => {
                let mut wrap_salt = [0u8; 16];
                rng.fill(&mut wrap_salt)?;
                wrap_local(kek, wrap_salt, &binding, dek)?.to_vec()
            }
            Kind::Password { password, .. } => {
                let mut pw_salt = [0u8; 16];
                let mut wrap_salt = [0u8; 16];
                rng.fill(&mut pw_salt)?;
                rng.fill(&mut wrap_salt)?;
                wrap_password(password, iterations, pw_salt, wrap_salt, &binding, dek)?.to_vec()
            }
            Kind::External(wrapper) => wrapper
                .wrap(dek, &binding)
                .map_err(|err| external_error(wrapper.kid(), err))?,
            Kind::Public(key) => wrap_hpke(key, &binding, dek, rng)?,
        };
        Ok(WrappedKey::new(key_type, kid.to_vec(), body)?)
    }
}

impl fmt::Debug for Recipient<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (key_type, kid) = self.slot();
        write!(
            f,
            "Recipient(type {:#04x}, kid {:?})",
            key_type.0,
            String::from_utf8_lossy(kid)
        )
    }
}

/// Turns an external wrapper's failure into the caller-facing error: a
/// rejection is cryptographic and opaque, an outage is specific.
pub(crate) fn external_error(kid: &[u8], err: KeyWrapperError) -> Error {
    match err {
        KeyWrapperError::Rejected => Error::crypto(crate::CryptoReason::ExternalRejected),
        KeyWrapperError::Unavailable(reason) => Error::KeyWrapper {
            kid: String::from_utf8_lossy(kid).into_owned(),
            reason,
        },
    }
}

/// The message fields every wrapped key is bound to.
pub(crate) struct MessageBinding<'a> {
    pub(crate) suite: Suite,
    pub(crate) message_id: &'a [u8; 32],
    pub(crate) th: &'a [u8; 32],
}

/// How new wrapped keys are made: the random source and the PBKDF2
/// iteration count for password recipients.
#[derive(Debug)]
pub(crate) struct WrapSettings {
    pub(crate) rng: Randomness,
    pub(crate) iterations: NonZeroU32,
}

impl Default for WrapSettings {
    fn default() -> Self {
        Self {
            rng: Randomness::system(),
            iterations: NonZeroU32::MIN.saturating_add(crate::MIN_PBKDF2_ITERATIONS - 1),
        }
    }
}

impl WrapSettings {
    /// Sets the iteration count, refusing counts below the 600 000 floor.
    pub(crate) fn set_iterations(&mut self, iterations: u32) -> Result<(), Error> {
        let bounds = IterationBounds {
            max: u32::MAX,
            ..IterationBounds::default()
        };
        self.iterations = bounds.check(iterations)?;
        Ok(())
    }

    /// Sets any nonzero iteration count; for fast tests only.
    #[cfg(feature = "test-hooks")]
    pub(crate) fn set_insecure_iterations(&mut self, iterations: u32) {
        self.iterations = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    }

    /// Random bytes [`WrapSettings::wrap_all`] draws for `recipients`.
    pub(crate) fn salt_len(recipients: &[Recipient<'_>]) -> usize {
        recipients.iter().map(Recipient::salt_len).sum()
    }

    /// Wraps `dek` for every recipient with salts from `pool` (see
    /// [`Randomness::prefetch`]); the count is the caller's to check.
    pub(crate) fn wrap_all(
        &self,
        recipients: &[Recipient<'_>],
        dek: &DataKey,
        message: &MessageBinding<'_>,
        pool: &Randomness,
    ) -> Result<Vec<WrappedKey>, Error> {
        recipients
            .iter()
            .map(|r| r.wrap(dek, message, pool, self.iterations))
            .collect()
    }
}

/// The most recipients a message may have: what a default reader accepts.
pub const MAX_RECIPIENTS: usize = 8;

pub(crate) fn check_recipient_count(count: usize) -> Result<(), Error> {
    if (1..=MAX_RECIPIENTS).contains(&count) {
        Ok(())
    } else {
        Err(Error::RecipientCount(count))
    }
}

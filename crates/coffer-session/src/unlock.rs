//! Redeem a session and unlock a password-sealed project key in one call.

use crate::keys::{unlock_project_key, Password, ProjectKey};
use crate::pending::SessionMeta;
use crate::redeem::{ClientMessage, Expected};
use crate::reject::Rejection;
use crate::secret::SessionSecret;
use crate::service::SessionService;

/// Why [`SessionService::redeem_and_unlock`] failed.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    /// The session was refused; displays the uniform rejection message and
    /// carries the reason for the audit trail.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The redeemed password did not unlock the sealed project key (a wrong
    /// password is coffer-keys' one opaque failure), or the bytes are not a
    /// sealed project key.
    #[error(transparent)]
    Keys(#[from] crate::keys::Error),
}

/// A project key unlocked with a password redeemed from a session.
#[derive(Debug)]
pub struct Unlocked {
    /// The project key.
    pub project_key: ProjectKey,
    /// The session the password came from (for the audit trail).
    pub session: SessionMeta,
}

impl From<SessionSecret> for Password {
    /// Moves the zeroizing buffer over without copying the password.
    fn from(secret: SessionSecret) -> Self {
        Password::from(secret.into_zeroizing())
    }
}

impl SessionService {
    /// Redeems `message` (see [`SessionService::redeem`]) and unlocks
    /// `sealed_project_key` with the redeemed password. The password never
    /// leaves zeroizing memory.
    ///
    /// # Errors
    /// [`UnlockError::Rejected`] if the session is refused (its key is
    /// destroyed all the same), [`UnlockError::Keys`] if the password does
    /// not unlock the project key.
    pub fn redeem_and_unlock(
        &self,
        message: &ClientMessage,
        expected: &Expected<'_>,
        sealed_project_key: &[u8],
    ) -> Result<Unlocked, UnlockError> {
        let (secret, session) = self.redeem(message, expected)?.into_parts();
        let project_key = unlock_project_key(sealed_project_key, &Password::from(secret))?;
        Ok(Unlocked { project_key, session })
    }
}

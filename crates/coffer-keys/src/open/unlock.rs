//! Unlocking a header: expectations, wrapped-key selection, key commitment
//! and header tag, in that order, before any body byte is decrypted.

use coffer_envelope::{HeaderView, KeyType, WrappedKeyRef};

use super::{MessageInfo, OpenOptions};
use crate::keyring::KeyId;
use crate::public_key::KemAlgorithm;
use crate::recipient::external_error;
use crate::schedule::{transcript_hash, MessageKeys};
use crate::secret::{DataKey, KeyEncryptionKey};
use crate::wrap::hpke::unwrap_hpke;
use crate::wrap::{unwrap_local, unwrap_password, KeyWrapperError, UnwrapFailure, WrapBinding};
use crate::{CryptoReason, Error};

/// Unwrap attempts per open; a header cannot make us try more keys (or run
/// more PBKDF2 derivations) than this.
pub const MAX_UNWRAP_ATTEMPTS: usize = 3;

/// A header whose DEK was recovered, commitment and tag verified.
pub(crate) struct Unlocked {
    pub(crate) dek: DataKey,
    pub(crate) keys: MessageKeys,
    pub(crate) th: [u8; 32],
    pub(crate) info: MessageInfo,
}

/// Runs every check on a parsed header and recovers its DEK.
pub(crate) fn unlock(view: &HeaderView<'_>, options: &OpenOptions<'_>) -> Result<Unlocked, Error> {
    for (key, expected) in &options.required_context {
        match view.context_value(key) {
            None => return Err(Error::MissingContext(key.clone())),
            Some(value) if value != expected.as_slice() => return Err(Error::ContextMismatch(key.clone())),
            Some(_) => {}
        }
    }
    let external_aad = match (view.flags().external_aad(), options.external_aad) {
        (true, None) => return Err(Error::ExternalAadRequired),
        (false, Some(_)) => return Err(Error::ExternalAadUnexpected),
        (_, aad) => aad,
    };
    let th = transcript_hash(view.core_bytes(), external_aad);
    let mut search = Search {
        view,
        options,
        th: &th,
        attempts: 0,
        unusable: None,
    };
    let (dek, keys, used) = search.run()?;
    keys.check_header_tag(view.signed_bytes(), view.tag().as_bytes())?;
    let info = MessageInfo {
        suite: view.suite(),
        chunk_log2: view.chunk_log2(),
        message_id: view.message_id(),
        context: view.to_core()?.context,
        header_len: view.len(),
        key_type: used.0,
        kid: used.1,
    };
    Ok(Unlocked { dek, keys, th, info })
}

type Found = (DataKey, MessageKeys, (KeyType, Vec<u8>));

struct Search<'v, 'o> {
    view: &'v HeaderView<'v>,
    options: &'v OpenOptions<'o>,
    th: &'v [u8; 32],
    attempts: usize,
    /// A matching key that could not be used (state, version, iteration cap,
    /// unreachable wrapper): reported when nothing else unlocks.
    unusable: Option<Error>,
}

impl<'v> Search<'v, '_> {
    fn run(&mut self) -> Result<Found, Error> {
        for wrapped in self.view.wrapped_keys() {
            if let Some(found) = self.try_wrapped(wrapped)? {
                return Ok(found);
            }
            if self.attempts >= MAX_UNWRAP_ATTEMPTS {
                break;
            }
        }
        Err(match (self.attempts, self.unusable.take()) {
            (0, None) => Error::NoMatchingKey,
            (0, Some(err)) => err,
            (_, Some(err @ Error::KeyWrapper { .. })) => err,
            _ => Error::crypto(CryptoReason::WrapCommitment),
        })
    }

    fn try_wrapped(&mut self, wrapped: WrappedKeyRef<'_>) -> Result<Option<Found>, Error> {
        let message_id = self.view.message_id();
        let binding = WrapBinding::new(
            wrapped.key_type,
            self.view.suite().id(),
            wrapped.kid,
            message_id.as_bytes(),
            self.th,
        );
        match wrapped.key_type {
            KeyType::LOCAL => {
                let Some(kek) = self.local_key(wrapped.kid) else {
                    return Ok(None);
                };
                self.attempt(wrapped, |_| Some(unwrap_local(kek, &binding, wrapped.body)))
            }
            KeyType::PASSWORD => {
                let options = self.options;
                for password in &options.passwords {
                    let found = self.attempt(wrapped, |search| {
                        match unwrap_password(password, options.iterations, &binding, wrapped.body) {
                            Ok(result) => Some(result),
                            Err(err) => {
                                search.note_unusable(err);
                                None
                            }
                        }
                    })?;
                    if found.is_some() {
                        return Ok(found);
                    }
                }
                Ok(None)
            }
            KeyType::EXTERNAL => {
                let options = self.options;
                let Some(wrapper) = options.wrappers.iter().find(|w| w.kid() == wrapped.kid) else {
                    return Ok(None);
                };
                self.attempt(wrapped, |search| match wrapper.unwrap(wrapped.body, &binding) {
                    Ok(dek) => Some(Ok(dek)),
                    Err(KeyWrapperError::Rejected) => Some(Err(UnwrapFailure::NotThisKey)),
                    Err(err) => {
                        search.note_unusable(external_error(wrapped.kid, err));
                        None
                    }
                })
            }
            KeyType::HPKE_X25519 | KeyType::HPKE_XWING => {
                let algorithm = KemAlgorithm::from_key_type(wrapped.key_type);
                let options = self.options;
                let Some(identity) = options.identities.iter().find(|id| {
                    Some(id.algorithm()) == algorithm && id.public_key().fingerprint()[..] == *wrapped.kid
                }) else {
                    return Ok(None);
                };
                self.attempt(wrapped, |_| Some(unwrap_hpke(identity, &binding, wrapped.body)))
            }
            // Unknown types are kept in the header but never tried.
            _ => Ok(None),
        }
    }

    /// Remembers why a matching key could not be used. An unreachable
    /// external wrapper is kept over any later reason: it is the one a
    /// caller can fix by retrying, and it is always reported.
    fn note_unusable(&mut self, err: Error) {
        if !matches!(self.unusable, Some(Error::KeyWrapper { .. })) {
            self.unusable = Some(err);
        }
    }

    /// The KEK for a local kid, if the caller holds a usable one. Kids that
    /// name no key the caller holds are skipped without any decryption.
    fn local_key(&mut self, kid: &[u8]) -> Option<&'v KeyEncryptionKey> {
        let options = self.options;
        let id = KeyId::from_kid(kid).ok()?;
        if let Some(project) = options.project_keys.iter().find(|p| *p.id() == id) {
            return Some(project.kek());
        }
        match options.keyring?.decryption_key(&id) {
            Ok(kek) => Some(kek),
            Err(Error::UnknownKey(_)) => None,
            Err(err) => {
                self.note_unusable(err);
                None
            }
        }
    }

    /// Makes one unwrap attempt if the budget allows; `unwrap` returns
    /// `None` when it could not try at all (which does not count). A wrapped
    /// key that passes its wrap commitment must then decrypt and satisfy the
    /// message commitment, or the open fails hard.
    fn attempt(
        &mut self,
        wrapped: WrappedKeyRef<'_>,
        unwrap: impl FnOnce(&mut Self) -> Option<Result<DataKey, UnwrapFailure>>,
    ) -> Result<Option<Found>, Error> {
        if self.attempts >= MAX_UNWRAP_ATTEMPTS {
            return Ok(None);
        }
        let Some(result) = unwrap(self) else {
            return Ok(None);
        };
        self.attempts += 1;
        match result {
            Ok(dek) => {
                let message_id = self.view.message_id();
                let keys = MessageKeys::derive(&dek, self.view.suite().id(), message_id.as_bytes(), self.th)?;
                keys.check_commitment(self.view.commitment().as_bytes())?;
                Ok(Some((dek, keys, (wrapped.key_type, wrapped.kid.to_vec()))))
            }
            Err(UnwrapFailure::NotThisKey) => Ok(None),
            Err(failure @ UnwrapFailure::Corrupt) => Err(Error::crypto(failure.into())),
        }
    }
}

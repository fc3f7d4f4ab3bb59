//! Issuing offers.

use crate::binding::{binding_string, check_fields, FieldError};
use crate::clock::floor_to_second;
use crate::key_id::SessionKeyId;
use crate::offer::{Offer, SignatureError, OFFER_VERSION};
use crate::pending::{EphemeralKey, PendingSession, SessionMeta};
use crate::pool::PoolError;
use crate::service::SessionService;
use crate::store::SessionStoreError;
use crate::suite::Suite;
use crate::{codec, ecdh, oaep};

/// Longest accepted issuer name, in bytes.
pub const MAX_ISSUER_LEN: usize = 256;
/// Longest accepted tenant name, in bytes.
pub const MAX_TENANT_LEN: usize = 256;

/// Whether a session binds its ciphertext with the binding string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelMode {
    /// RSA label / ECDH info = the binding string (the default).
    #[default]
    Bound,
    /// RSA-OAEP with the empty label, for existing clients that send none.
    /// Refused unless [`crate::SessionConfig::allow_unlabeled_rsa`] is set;
    /// never possible with ECDH.
    Unlabeled,
}

/// A request for an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    /// The suite the client will use.
    pub suite: Suite,
    /// What the secret is for (printable ASCII without `|`, 1 to 64 bytes).
    pub purpose: String,
    /// What it is bound to, for example a project or document id (printable
    /// ASCII without `|`, up to 256 bytes).
    pub binding: String,
    /// Who asks (a principal or client id), counted against the per-issuer
    /// quota; 1 to 256 bytes.
    pub issuer: String,
    /// Label mode (default [`LabelMode::Bound`]).
    pub label: LabelMode,
    /// The issuer's tenant, counted against [`crate::StoreLimits::per_tenant`]
    /// (1 to 256 bytes); `None` (the default) counts only against the
    /// store's capacity and the per-issuer quota.
    pub tenant: Option<String>,
}

impl IssueRequest {
    /// A bound request.
    pub fn new(
        suite: Suite,
        purpose: impl Into<String>,
        binding: impl Into<String>,
        issuer: impl Into<String>,
    ) -> Self {
        Self {
            suite,
            purpose: purpose.into(),
            binding: binding.into(),
            issuer: issuer.into(),
            label: LabelMode::Bound,
            tenant: None,
        }
    }

    /// The same request on behalf of `tenant`: the session counts against
    /// that tenant's share of the store ([`crate::StoreLimits::per_tenant`]).
    #[must_use]
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// The same request in unlabeled RSA compatibility mode.
    pub fn unlabeled(mut self) -> Self {
        self.label = LabelMode::Unlabeled;
        self
    }
}

/// Why no offer was issued. Unlike redeem rejections these are specific:
/// they concern the server's own request, not a client's ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The purpose or binding cannot go into a binding string.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The issuer is empty or longer than [`MAX_ISSUER_LEN`].
    #[error("the issuer must be 1 to {MAX_ISSUER_LEN} bytes, not {0}")]
    Issuer(usize),
    /// The tenant is empty or longer than [`MAX_TENANT_LEN`].
    #[error("the tenant must be 1 to {MAX_TENANT_LEN} bytes, not {0}")]
    Tenant(usize),
    /// Unlabeled mode was asked for but is disabled, or the suite is ECDH.
    #[error("unlabeled sessions are not allowed for suite `{0}`")]
    UnlabeledNotAllowed(Suite),
    /// The store or the tenant's share of it is full, or the issuer is over
    /// quota.
    #[error(transparent)]
    Store(#[from] SessionStoreError),
    /// No RSA key could be had.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The offer could not be signed.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The clock reads a time before the Unix epoch or so late that the
    /// expiry cannot be represented.
    #[error("the clock is out of range")]
    Clock,
    /// The system RNG, key generation or key encoding failed.
    #[error("the ephemeral key could not be made")]
    Key,
}

impl SessionService {
    /// Issues a one-time key and returns the offer to send to the client.
    ///
    /// RSA keys come from the pool; ECDH keys are made on the spot. The
    /// session is stored before the offer is returned.
    ///
    /// # Errors
    /// [`IssueError`] saying what was wrong with the request or which limit
    /// was hit.
    pub fn issue(&self, request: &IssueRequest) -> Result<Offer, IssueError> {
        let IssueRequest {
            suite,
            purpose,
            binding,
            issuer,
            label,
            tenant,
        } = request;
        check_fields(purpose, binding)?;
        if issuer.is_empty() || issuer.len() > MAX_ISSUER_LEN {
            return Err(IssueError::Issuer(issuer.len()));
        }
        if let Some(tenant) = tenant {
            if tenant.is_empty() || tenant.len() > MAX_TENANT_LEN {
                return Err(IssueError::Tenant(tenant.len()));
            }
        }
        let bound = match (label, suite.rsa_bits()) {
            (LabelMode::Bound, _) => true,
            (LabelMode::Unlabeled, Some(_)) if self.config.allow_unlabeled_rsa => false,
            (LabelMode::Unlabeled, _) => return Err(IssueError::UnlabeledNotAllowed(*suite)),
        };
        let now = self.clock.now();
        // Checked before a pooled key is spent on a request that cannot be stored.
        self.store.admit(issuer, tenant.as_deref(), now)?;
        let key_id = SessionKeyId::generate(self.config.instance, &self.rng).map_err(|_| IssueError::Key)?;
        let (key, spki, jwk) = match suite.rsa_bits() {
            Some(bits) => {
                let key = self.pool.take(bits)?;
                let (spki, jwk) = oaep::public_forms(&key).map_err(|_| IssueError::Key)?;
                (EphemeralKey::Rsa(Box::new(key)), spki, jwk)
            }
            None => {
                let (private, point) = ecdh::generate(&self.rng).map_err(|_| IssueError::Key)?;
                let (spki, jwk) = ecdh::public_forms(&point).map_err(|_| IssueError::Key)?;
                (EphemeralKey::Ecdh(private), spki, jwk)
            }
        };
        let label = bound.then(|| binding_string(&key_id, purpose, binding));
        // The offer states whole seconds; the session expires exactly at the
        // stated second (the TTL is rounded down by less than a second), so a
        // client comparing its clock with `expires_at` and the server agree.
        let (expires_at, expires_at_secs) = now
            .checked_add(self.config.ttl)
            .and_then(floor_to_second)
            .ok_or(IssueError::Clock)?;
        let max_secret_len = self.config.max_secret_len.min(suite.capacity());
        let mut offer = Offer {
            version: OFFER_VERSION,
            key_id,
            suite: *suite,
            spki: codec::encode_std(&spki),
            jwk,
            expires_at: expires_at_secs,
            purpose: purpose.clone(),
            binding: binding.clone(),
            label: label.clone(),
            max_secret_len,
            signature: None,
        };
        if let Some(signer) = &self.signer {
            signer.sign(&mut offer)?;
        }
        let meta = SessionMeta {
            key_id,
            suite: *suite,
            purpose: purpose.clone(),
            binding: binding.clone(),
            issuer: issuer.clone(),
            tenant: tenant.clone(),
            issued_at: now,
            expires_at,
            label,
            max_secret_len,
        };
        self.store.insert(PendingSession::new(key, meta), now)?;
        Ok(offer)
    }
}

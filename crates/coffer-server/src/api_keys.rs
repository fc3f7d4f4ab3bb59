//! API keys: random bearer tokens, shown once, stored only as a keyed hash
//! (HMAC-SHA256 under the service's API-key hashing key), each mapping to
//! one principal, listed, expiring and revocable.
//!
//! A token reads `coffer_<key id>_<secret>`: the prefix makes a leaked key
//! easy to recognise (secret scanners, logs), the key id (8 random bytes,
//! hex) names the row and is what listings, logs and rate limits use, and
//! the secret (32 random bytes, hex) is what proves possession. The table
//! holds the key id, the principal, the HMAC of the secret, a label and
//! times: a stolen table does not authenticate (the hashing key lives in a
//! key file, not in the database) and cannot be brute-forced (the secret
//! is 256 random bits). Verifiers are compared in constant time.
//!
//! The keys live in the database the front door uses (the SQLite data
//! directory's database, or the PostgreSQL database), in the store's
//! API-key table ([`ApiKeyTable`]): one thing to back up, and every
//! instance on a PostgreSQL database sees a key revoked on another at once.

use std::fmt;

use coffer_store::policy::Principal;
use coffer_store::{ApiKeyRow, ApiKeyTable, StoreError};
use ring::hmac;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// The prefix of every token.
pub const TOKEN_PREFIX: &str = "coffer_";
/// Bytes of a key id (16 hex digits).
pub const KEY_ID_BYTES: usize = 8;
/// Bytes of a key's secret (64 hex digits).
pub const SECRET_BYTES: usize = 32;
/// Longest label accepted, in bytes.
pub const MAX_LABEL_LEN: usize = 200;

/// Why an API-key operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// The key table failed.
    #[error("api key table: {0}")]
    Table(#[from] StoreError),
    /// The system RNG failed.
    #[error("the system random number generator failed")]
    Random,
    /// A stored row does not read back (a principal that does not parse).
    #[error("api key table holds a malformed row for key `{0}`")]
    Corrupt(String),
    /// The label is longer than [`MAX_LABEL_LEN`] bytes.
    #[error("the label is {0} bytes long, the maximum is {MAX_LABEL_LEN}")]
    LabelTooLong(usize),
}

/// A key's token: shown once at creation, never stored. Its Debug prints
/// only the key id.
pub struct ApiKeySecret(Zeroizing<String>);

impl ApiKeySecret {
    /// The token to hand to the key's holder (`coffer_<key id>_<secret>`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key_id = parse_token(&self.0).map(|(id, _)| id).unwrap_or("?");
        write!(f, "ApiKeySecret({TOKEN_PREFIX}{key_id}_…)")
    }
}

/// What is known about a key (never its secret or verifier).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiKeyInfo {
    /// The key id (16 hex digits).
    pub key_id: String,
    /// The principal the key authenticates as.
    pub principal: Principal,
    /// What the operator called it.
    pub label: String,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it stops working, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// When it was revoked, if it was.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// Why a presented token did not authenticate; [`Failure::code`] is the
/// audit reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not a token of this service's form.
    Malformed,
    /// No key has this id.
    UnknownKey,
    /// The key exists; the secret is not its secret.
    WrongSecret,
    /// The key expired.
    Expired,
    /// The key was revoked.
    Revoked,
}

impl Failure {
    /// The audit reason code, `api-key.<why>`.
    pub const fn code(self) -> &'static str {
        match self {
            Failure::Missing => "api-key.missing",
            Failure::Malformed => "api-key.malformed",
            Failure::UnknownKey => "api-key.unknown",
            Failure::WrongSecret => "api-key.wrong-secret",
            Failure::Expired => "api-key.expired",
            Failure::Revoked => "api-key.revoked",
        }
    }
}

/// A refused token: why, and the principal its key id names when it names
/// a key (so the refusal is recorded in that principal's tenant).
#[derive(Debug, Clone)]
pub struct Refused {
    /// Why.
    pub failure: Failure,
    /// The key's principal, when the key id is known.
    pub claimed: Option<Principal>,
}

/// What is known about a stored key.
fn info(row: &ApiKeyRow) -> Result<ApiKeyInfo, ApiKeyError> {
    let corrupt = || ApiKeyError::Corrupt(row.key_id.clone());
    let time = |at: i64| OffsetDateTime::from_unix_timestamp(at).map_err(|_| corrupt());
    Ok(ApiKeyInfo {
        key_id: row.key_id.clone(),
        principal: row.principal.parse::<Principal>().map_err(|_| corrupt())?,
        label: row.label.clone(),
        created_at: time(row.created_at)?,
        expires_at: row.expires_at.map(time).transpose()?,
        revoked_at: row.revoked_at.map(time).transpose()?,
    })
}

/// The API keys of a service: a table and the hashing key.
pub struct ApiKeys {
    table: ApiKeyTable,
    hashing: hmac::Key,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

/// Splits `coffer_<16 hex>_<64 hex>` into key id and secret text.
fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (key_id, secret) = rest.split_once('_')?;
    let hex_of = |text: &str, bytes: usize| {
        text.len() == 2 * bytes && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    (hex_of(key_id, KEY_ID_BYTES) && hex_of(secret, SECRET_BYTES)).then_some((key_id, secret))
}

impl ApiKeys {
    /// The keys in `table`, hashed under `hashing_key` (32 bytes from the
    /// service's key file).
    pub fn new(table: ApiKeyTable, hashing_key: &[u8]) -> Self {
        ApiKeys {
            table,
            hashing: hmac::Key::new(hmac::HMAC_SHA256, hashing_key),
        }
    }

    /// The verifier stored for a key: HMAC-SHA256 over the key id and the
    /// secret, so a verifier copied to another row does not verify there.
    fn verifier(&self, key_id: &str, secret: &str) -> Vec<u8> {
        let mut context = hmac::Context::with_key(&self.hashing);
        context.update(b"coffer-server api key v1\0");
        context.update(key_id.as_bytes());
        context.update(b"\0");
        context.update(secret.as_bytes());
        context.sign().as_ref().to_vec()
    }

    /// Makes a key for `principal`, valid until `expires_at` (or until
    /// revoked), and returns what is known about it and its token, which
    /// is not stored and cannot be shown again.
    ///
    /// # Errors
    ///
    /// [`ApiKeyError::LabelTooLong`], [`ApiKeyError::Random`], or the
    /// table failing.
    pub fn create(
        &self,
        principal: &Principal,
        label: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(ApiKeyInfo, ApiKeySecret), ApiKeyError> {
        if label.len() > MAX_LABEL_LEN {
            return Err(ApiKeyError::LabelTooLong(label.len()));
        }
        let random = |n| -> Result<Zeroizing<Vec<u8>>, ApiKeyError> {
            use ring::rand::SecureRandom;
            let mut bytes = Zeroizing::new(vec![0u8; n]);
            ring::rand::SystemRandom::new()
                .fill(&mut bytes[..])
                .map_err(|_| ApiKeyError::Random)?;
            Ok(bytes)
        };
        let key_id = hex::encode(&random(KEY_ID_BYTES)?[..]);
        let secret = Zeroizing::new(hex::encode(&random(SECRET_BYTES)?[..]));
        let now = OffsetDateTime::now_utc();
        let row = ApiKeyRow {
            key_id: key_id.clone(),
            principal: principal.to_string(),
            verifier: self.verifier(&key_id, &secret),
            label: label.to_owned(),
            created_at: now.unix_timestamp(),
            expires_at: expires_at.map(OffsetDateTime::unix_timestamp),
            revoked_at: None,
        };
        self.table.insert(&row)?;
        let token = ApiKeySecret(Zeroizing::new(format!("{TOKEN_PREFIX}{key_id}_{}", &*secret)));
        Ok((info(&row)?, token))
    }

    /// Every key, oldest first.
    ///
    /// # Errors
    ///
    /// The table failing, or [`ApiKeyError::Corrupt`].
    pub fn list(&self) -> Result<Vec<ApiKeyInfo>, ApiKeyError> {
        self.table.list()?.iter().map(info).collect()
    }

    /// Revokes the key `key_id` now; returns whether a live key was
    /// revoked (false: no such key, or revoked already).
    ///
    /// # Errors
    ///
    /// The table failing.
    pub fn revoke(&self, key_id: &str) -> Result<bool, ApiKeyError> {
        Ok(self
            .table
            .revoke(key_id, OffsetDateTime::now_utc().unix_timestamp())?)
    }

    /// Checks a presented token (`None`: no token was presented) at time
    /// `now`: `Ok` with the key's info, or `Err` with why it was refused.
    ///
    /// # Errors
    ///
    /// The table failing (the outer error).
    pub fn authenticate(
        &self,
        token: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Result<ApiKeyInfo, Refused>, ApiKeyError> {
        let refused = |failure, claimed| Ok(Err(Refused { failure, claimed }));
        let Some(token) = token else {
            return refused(Failure::Missing, None);
        };
        let Some((key_id, secret)) = parse_token(token) else {
            return refused(Failure::Malformed, None);
        };
        let Some(row) = self.table.get(key_id)? else {
            return refused(Failure::UnknownKey, None);
        };
        let info = info(&row)?;
        let claimed = Some(info.principal.clone());
        let presented = self.verifier(key_id, secret);
        if !bool::from(presented.ct_eq(&row.verifier)) {
            return refused(Failure::WrongSecret, claimed);
        }
        if info.revoked_at.is_some() {
            return refused(Failure::Revoked, claimed);
        }
        if info.expires_at.is_some_and(|at| at <= now) {
            return refused(Failure::Expired, claimed);
        }
        Ok(Ok(info))
    }

    /// The key id a token names, if it is of this service's form (for
    /// rate limits before the table is read).
    pub fn key_id_of(token: &str) -> Option<&str> {
        parse_token(token).map(|(key_id, _)| key_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_only_in_their_exact_form() {
        let id = "0123456789abcdef";
        let secret = "ab".repeat(32);
        let token = format!("coffer_{id}_{secret}");
        assert_eq!(parse_token(&token), Some((id, secret.as_str())));
        for bad in [
            format!("cofer_{id}_{secret}"),
            format!("coffer_{id}{secret}"),
            format!("coffer_{}_{secret}", &id[1..]),
            format!("coffer_{id}_{secret}0"),
            format!("coffer_{}_{secret}", id.to_uppercase()),
            String::new(),
        ] {
            assert_eq!(parse_token(&bad), None, "{bad}");
        }
    }

    #[test]
    fn a_token_debug_shows_its_key_id_only() {
        let token = ApiKeySecret(Zeroizing::new(format!(
            "coffer_0123456789abcdef_{}",
            "ab".repeat(32)
        )));
        let shown = format!("{token:?}");
        assert!(shown.contains("0123456789abcdef"));
        assert!(!shown.contains("abab"), "{shown}");
    }
}

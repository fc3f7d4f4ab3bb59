//! Key files: secrets in files readable by their owner only, and the audit
//! key, from such a file or from an environment variable.
//!
//! A key file holds its secret as hex digits (a trailing newline is
//! allowed), has mode `0600`, is created only where there is none (an
//! existing key file is the key of existing data) and is refused when its
//! mode lets anyone but its owner read or write it. The audit key is 32
//! bytes (64 hex digits). Whatever holds it, keep it away from the
//! database: anyone with both can rewrite the audit chain undetectably.

use std::fs;
use std::io::Write;
use std::path::Path;

use coffer_door::audit::AuditKey;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::error::KeyError;

/// What the audit key must be.
const AUDIT_KEY: &str = "64 hex digits";

fn io(path: &Path) -> impl Fn(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

fn decode(text: &str, source_name: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    hex::decode(text.trim_end_matches(['\n', '\r']))
        .map(Zeroizing::new)
        .map_err(|_| KeyError::Malformed {
            source_name: source_name.to_owned(),
            expected: "hex digits",
        })
}

/// The audit key in a secret of 32 bytes.
fn audit_key(secret: &[u8], source_name: &str) -> Result<AuditKey, KeyError> {
    let bytes: [u8; 32] = secret.try_into().map_err(|_| KeyError::Malformed {
        source_name: source_name.to_owned(),
        expected: AUDIT_KEY,
    })?;
    Ok(AuditKey::from_bytes(bytes))
}

/// Refuses a file others may read or write (on Unix: any group or other
/// permission bit).
#[cfg(unix)]
fn check_private(path: &Path, metadata: &fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &fs::Metadata) -> Result<(), KeyError> {
    Ok(())
}

/// Creates the key file `path` (mode `0600`; an existing file fails with
/// [`std::io::ErrorKind::AlreadyExists`]) holding the secret `make`
/// returns. A file that could not be filled is removed, so it is not
/// mistaken for a key on the next start.
fn create(
    path: &Path,
    make: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, KeyError>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io(path))?;
    let filled = make().and_then(|secret| {
        let text = Zeroizing::new(format!("{}\n", hex::encode(&secret[..])));
        file.write_all(text.as_bytes()).map_err(io(path))?;
        file.sync_all().map_err(io(path))?;
        Ok(secret)
    });
    if filled.is_err() {
        let _ = fs::remove_file(path);
    }
    filled
}

/// 32 random bytes from the operating system: a new audit key, or any
/// other secret of that size.
///
/// # Errors
///
/// [`KeyError::Random`].
pub fn random_secret() -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let mut bytes = Zeroizing::new(vec![0u8; 32]);
    SystemRandom::new()
        .fill(&mut bytes[..])
        .map_err(|_| KeyError::Random)?;
    Ok(bytes)
}

/// Loads the secret in the key file at `path`, refusing a file whose mode
/// lets anyone but its owner read or write it (it must be `0600` or
/// stricter).
///
/// # Errors
///
/// [`KeyError::Io`], [`KeyError::Permissions`] or [`KeyError::Malformed`].
pub fn load_secret_file(path: impl AsRef<Path>) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let path = path.as_ref();
    let metadata = fs::metadata(path).map_err(io(path))?;
    check_private(path, &metadata)?;
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io(path))?);
    decode(&text, &path.display().to_string())
}

/// Loads the secret in the key file at `path`, or, when there is none (a
/// first start), creates the file with mode `0600` holding the secret
/// `make` returns.
///
/// # Errors
///
/// As [`load_secret_file`], and `make`'s error.
pub fn load_or_create_secret_file(
    path: impl AsRef<Path>,
    make: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, KeyError>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let path = path.as_ref();
    match create(path, make) {
        Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
            load_secret_file(path)
        }
        other => other,
    }
}

/// Loads the audit key from a key file of 64 hex digits (see
/// [`load_secret_file`]).
///
/// # Errors
///
/// [`KeyError::Io`], [`KeyError::Permissions`] or [`KeyError::Malformed`].
pub fn load_key_file(path: impl AsRef<Path>) -> Result<AuditKey, KeyError> {
    let path = path.as_ref();
    audit_key(&load_secret_file(path)?, &path.display().to_string())
}

/// Creates a key file holding a new random audit key, with mode `0600`,
/// and returns the key. Never overwrites a file: an existing key file is
/// the key of an existing chain.
///
/// # Errors
///
/// [`KeyError::Io`] (also when the file exists) or [`KeyError::Random`].
pub fn create_key_file(path: impl AsRef<Path>) -> Result<AuditKey, KeyError> {
    let path = path.as_ref();
    audit_key(&create(path, random_secret)?, &path.display().to_string())
}

/// Loads the key file at `path`, creating it with a new key when it does
/// not exist (a first start).
///
/// # Errors
///
/// As [`load_key_file`] and [`create_key_file`].
pub fn load_or_create_key_file(path: impl AsRef<Path>) -> Result<AuditKey, KeyError> {
    let path = path.as_ref();
    audit_key(
        &load_or_create_secret_file(path, random_secret)?,
        &path.display().to_string(),
    )
}

/// Loads the audit key from the environment variable `name` (64 hex
/// digits), for deployments whose secret manager injects variables.
///
/// # Errors
///
/// [`KeyError::NotSet`] or [`KeyError::Malformed`].
pub fn load_key_env(name: &str) -> Result<AuditKey, KeyError> {
    let text = Zeroizing::new(std::env::var(name).map_err(|_| KeyError::NotSet(name.to_owned()))?);
    let malformed = || KeyError::Malformed {
        source_name: name.to_owned(),
        expected: AUDIT_KEY,
    };
    audit_key(&decode(&text, name).map_err(|_| malformed())?, name)
}

//! How the audit key reaches the process: a key file readable by its owner
//! only, or an environment variable.
//!
//! The key is 32 bytes written as 64 hex digits (a trailing newline is
//! allowed). Whatever holds it, keep it away from the database: anyone
//! with both can rewrite the audit chain undetectably.

use std::fs;
use std::io::Write;
use std::path::Path;

use coffer_door::audit::AuditKey;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::error::KeyError;

fn parse(text: &str, source_name: &str) -> Result<AuditKey, KeyError> {
    let malformed = || KeyError::Malformed {
        source_name: source_name.to_owned(),
    };
    let text = text.trim_end_matches(['\n', '\r']);
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text, bytes.as_mut()).map_err(|_| malformed())?;
    Ok(AuditKey::from_bytes(*bytes))
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

/// Loads the audit key from a key file of 64 hex digits, refusing a file
/// whose mode lets anyone but its owner read or write it (it must be
/// `0600` or stricter).
///
/// # Errors
///
/// [`KeyError::Io`], [`KeyError::Permissions`] or [`KeyError::Malformed`].
pub fn load_key_file(path: impl AsRef<Path>) -> Result<AuditKey, KeyError> {
    let path = path.as_ref();
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let metadata = fs::metadata(path).map_err(io)?;
    check_private(path, &metadata)?;
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io)?);
    parse(&text, &path.display().to_string())
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
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Zeroizing::new([0u8; 32]);
    SystemRandom::new()
        .fill(bytes.as_mut())
        .map_err(|_| KeyError::Random)?;
    let text = Zeroizing::new(format!("{}\n", hex::encode(bytes.as_ref())));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(AuditKey::from_bytes(*bytes))
}

/// Loads the key file at `path`, creating it with a new key when it does
/// not exist (a first start).
///
/// # Errors
///
/// As [`load_key_file`] and [`create_key_file`].
pub fn load_or_create_key_file(path: impl AsRef<Path>) -> Result<AuditKey, KeyError> {
    let path = path.as_ref();
    match create_key_file(path) {
        Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
            load_key_file(path)
        }
        other => other,
    }
}

/// Loads the audit key from the environment variable `name` (64 hex
/// digits), for deployments whose secret manager injects variables.
///
/// # Errors
///
/// [`KeyError::NotSet`] or [`KeyError::Malformed`].
pub fn load_key_env(name: &str) -> Result<AuditKey, KeyError> {
    let text = Zeroizing::new(std::env::var(name).map_err(|_| KeyError::NotSet(name.to_owned()))?);
    parse(&text, name)
}

//! The service's own secrets beside the audit key: the API-key hashing key
//! and the offer signing key, each in a key file of hex text with mode
//! `0600` (the format and rules of the audit key file, see
//! `coffer_store::load_key_file`), created on first start.

use std::fs;
use std::io::Write;
use std::path::Path;

use coffer_store::KeyError;
use zeroize::Zeroizing;

/// Loads the secret in the key file at `path`, or creates the file with
/// the bytes `make` returns when it does not exist (a first start). A file
/// whose mode lets anyone but its owner read or write it is refused.
///
/// # Errors
///
/// [`KeyError::Io`], [`KeyError::Permissions`], [`KeyError::Malformed`], or
/// `make`'s error.
pub fn load_or_create(
    path: &Path,
    make: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, KeyError>,
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            let secret = make()?;
            let text = Zeroizing::new(format!("{}\n", hex::encode(&secret[..])));
            file.write_all(text.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load(path),
        Err(e) => Err(io(e)),
    }
}

/// Loads the secret in the key file at `path`.
///
/// # Errors
///
/// As [`load_or_create`].
pub fn load(path: &Path) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let metadata = fs::metadata(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = metadata;
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io)?);
    let bytes = hex::decode(text.trim_end_matches(['\n', '\r'])).map_err(|_| KeyError::Malformed {
        source_name: path.display().to_string(),
    })?;
    Ok(Zeroizing::new(bytes))
}

/// 32 random bytes from the operating system.
///
/// # Errors
///
/// [`KeyError::Random`] when the system RNG fails.
pub fn random_32() -> Result<Zeroizing<Vec<u8>>, KeyError> {
    use ring::rand::SecureRandom;
    let mut bytes = Zeroizing::new(vec![0u8; 32]);
    ring::rand::SystemRandom::new()
        .fill(&mut bytes[..])
        .map_err(|_| KeyError::Random)?;
    Ok(bytes)
}

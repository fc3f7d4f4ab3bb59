//! The key options commands share (`--key`, `--keyring`, `--passphrase`,
//! `--password-file`, `--recipient`, `--identity`), loaded into recipients
//! for sealing and into keys for opening.

use std::path::{Path, PathBuf};

use clap::Args;
use coffer_keys::{Identity, KeyState, Keyring, OpenOptions, Password, PublicKey, Recipient};

use crate::error::CliError;
use crate::files::read_secret_text;
use crate::key_text::{parse_identity_file, parse_key_file, LocalKey};
use crate::keyring_file::KeyringFile;
use crate::password::{PasswordSource, PASSWORD_ENV};

/// Keys and passwords given on the command line (a password itself never
/// is: it comes from a file, `COFFER_PASSWORD` or the terminal).
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// A key file written by `coffer keygen` (repeatable)
    #[arg(short = 'k', long = "key", value_name = "FILE")]
    pub(crate) keys: Vec<PathBuf>,

    /// A keyring file (see `coffer keyring`)
    #[arg(long, value_name = "FILE")]
    pub(crate) keyring: Option<PathBuf>,

    /// Use a password: read from --password-file, else from COFFER_PASSWORD,
    /// else asked on the terminal with echo off
    #[arg(short = 'p', long)]
    pub(crate) passphrase: bool,

    /// Read the password from the first line of FILE (implies --passphrase)
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,

    /// Seal for this public key, `coffer-x25519-1...` or `coffer-xwing-1...`
    /// (repeatable; sealing only)
    #[arg(short = 'R', long = "recipient", value_name = "PUBLIC KEY")]
    pub(crate) recipients: Vec<String>,

    /// An identity file written by `coffer keygen --type x25519|xwing`
    /// (repeatable): opens what was sealed to its public key, and seals for
    /// that public key
    #[arg(short = 'i', long = "identity", value_name = "FILE")]
    pub(crate) identities: Vec<PathBuf>,
}

impl KeyArgs {
    /// Whether any key or password was asked for.
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
            && self.keyring.is_none()
            && !self.wants_password()
            && self.recipients.is_empty()
            && self.identities.is_empty()
    }

    /// Whether a password was asked for.
    pub(crate) fn wants_password(&self) -> bool {
        self.passphrase || self.password_file.is_some()
    }

    /// Loads the key files and keyring, and reads the password if one was
    /// asked for (`confirm`: ask twice on the terminal, for sealing).
    pub(crate) fn load(&self, confirm: bool) -> Result<LoadedKeys, CliError> {
        let locals = self
            .keys
            .iter()
            .map(|path| load_key_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        let public_keys = self
            .recipients
            .iter()
            .map(|text| {
                PublicKey::from_text(text).map_err(|source| CliError::PublicKey {
                    shown: shorten(text),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let identities = self
            .identities
            .iter()
            .map(|path| load_identity_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        let keyring = match &self.keyring {
            Some(path) => Some(LoadedKeyring {
                file: load_keyring_file(path)?,
                path: path.clone(),
            }),
            None => None,
        };
        let password = if self.wants_password() {
            Some(
                PasswordSource {
                    file: self.password_file.as_deref(),
                    env: PASSWORD_ENV,
                    what: "password",
                    confirm,
                }
                .read()?,
            )
        } else {
            None
        };
        Ok(LoadedKeys {
            locals,
            keyring,
            password,
            public_keys,
            identities,
        })
    }
}

/// Reads and parses a key file.
pub(crate) fn load_key_file(path: &Path) -> Result<LocalKey, CliError> {
    let text = read_secret_text(path)?;
    parse_key_file(&text).map_err(|source| CliError::KeyFile {
        path: path.display().to_string(),
        source,
    })
}

/// Reads and parses an identity file.
pub(crate) fn load_identity_file(path: &Path) -> Result<Identity, CliError> {
    let text = read_secret_text(path)?;
    parse_identity_file(&text).map_err(|source| CliError::KeyFile {
        path: path.display().to_string(),
        source,
    })
}

/// A public key text as shown in messages: its prefix and first characters
/// (the whole text of an X-Wing key is about 2000 characters).
fn shorten(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(24) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

/// Reads and parses a keyring file.
pub(crate) fn load_keyring_file(path: &Path) -> Result<KeyringFile, CliError> {
    let text = read_secret_text(path)?;
    KeyringFile::parse(&text).map_err(|source| CliError::KeyringFile {
        path: path.display().to_string(),
        source,
    })
}

/// A keyring file and where it came from.
#[derive(Debug)]
pub(crate) struct LoadedKeyring {
    pub(crate) file: KeyringFile,
    pub(crate) path: PathBuf,
}

/// Keys loaded from the command line's options.
#[derive(Debug)]
pub(crate) struct LoadedKeys {
    pub(crate) locals: Vec<LocalKey>,
    pub(crate) keyring: Option<LoadedKeyring>,
    pub(crate) password: Option<Password>,
    pub(crate) public_keys: Vec<PublicKey>,
    pub(crate) identities: Vec<Identity>,
}

/// The keyring for opening: the keyring file's versions plus every key file
/// (as DecryptOnly, so several versions of one name can be given).
#[derive(Debug)]
pub(crate) struct OpeningKeys {
    keyring: Keyring,
    password: Option<Password>,
    identities: Vec<Identity>,
}

impl OpeningKeys {
    /// The merged keyring.
    pub(crate) fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The library's open options offering these keys.
    pub(crate) fn options(&self) -> OpenOptions<'_> {
        let options = self
            .identities
            .iter()
            .fold(OpenOptions::new().keyring(&self.keyring), |options, id| {
                options.identity(id)
            });
        match &self.password {
            Some(password) => options.password(password),
            None => options,
        }
    }
}

impl LoadedKeys {
    /// The recipients to seal for: each key file, the Active version of each
    /// chosen keyring name (of the only name when none is chosen), and the
    /// password.
    pub(crate) fn recipients<'a>(
        &'a self,
        keyring: Option<&'a Keyring>,
        names: &[String],
    ) -> Result<Vec<Recipient<'a>>, CliError> {
        let mut recipients: Vec<Recipient<'a>> = self
            .locals
            .iter()
            .map(|key| Recipient::kek(key.id().clone(), key.kek()))
            .collect();
        if let (Some(loaded), Some(keyring)) = (&self.keyring, keyring) {
            let chosen: Vec<String> = if names.is_empty() {
                match loaded.file.names().as_slice() {
                    [only] => vec![(*only).to_owned()],
                    _ => return Err(CliError::KeyringName(loaded.path.display().to_string())),
                }
            } else {
                names.to_vec()
            };
            for name in &chosen {
                recipients.push(Recipient::keyring(keyring, name)?);
            }
        } else if !names.is_empty() {
            return Err(CliError::Usage("--name needs --keyring FILE".to_owned()));
        }
        if let Some(password) = &self.password {
            recipients.push(Recipient::password(password));
        }
        recipients.extend(self.public_keys.iter().map(Recipient::public_key));
        recipients.extend(
            self.identities
                .iter()
                .map(|id| Recipient::public_key(id.public_key())),
        );
        if recipients.is_empty() {
            return Err(CliError::NoRecipients);
        }
        Ok(recipients)
    }

    /// The library keyring of the keyring file, if one was given.
    pub(crate) fn keyring(&self) -> Result<Option<Keyring>, CliError> {
        self.keyring
            .as_ref()
            .map(|loaded| {
                loaded.file.to_keyring().map_err(|source| CliError::KeyringFile {
                    path: loaded.path.display().to_string(),
                    source: source.into(),
                })
            })
            .transpose()
    }

    /// Everything for opening, merged into one keyring.
    pub(crate) fn into_opening(self) -> Result<OpeningKeys, CliError> {
        if !self.public_keys.is_empty() {
            return Err(CliError::Usage(
                "--recipient names a public key to seal for; open with --identity FILE".to_owned(),
            ));
        }
        let mut keyring = self.keyring()?.unwrap_or_default();
        for key in &self.locals {
            if keyring.state(key.id()).is_some() {
                return Err(CliError::Usage(format!(
                    "key `{}` is given twice (a key file and the keyring)",
                    key.id()
                )));
            }
            keyring.insert(key.id().clone(), key.kek_copy(), KeyState::DecryptOnly)?;
        }
        Ok(OpeningKeys {
            keyring,
            password: self.password,
            identities: self.identities,
        })
    }
}

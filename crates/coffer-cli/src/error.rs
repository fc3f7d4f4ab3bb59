//! The tool's errors, their one-line hints and exit codes.

use std::io;

use coffer_keys::{envelope, Error as KeysError};

use crate::key_text::KeyTextError;
use crate::keyring_file::KeyringFileError;

/// Exit codes, as documented in the crate README and `coffer --help`.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Bad arguments, or a request the tool refuses (an existing output
    /// without `--force`, binary output to a terminal, no recipients, a
    /// keyring rule).
    pub const USAGE: u8 = 1;
    /// A cryptographic failure (wrong key or password, altered file), or
    /// the file does not meet what was required of it (context, suite, key
    /// states).
    pub const CRYPTO: u8 = 2;
    /// Reading or writing a file or stream failed.
    pub const IO: u8 = 3;
    /// The input is not what it should be: not an envelope, a malformed key
    /// or keyring file.
    pub const DATA: u8 = 4;
}

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An error of the key layer (sealing, opening, rewrapping, keyrings).
    #[error("{}", keys_message(.0))]
    Keys(#[from] KeysError),
    /// A format error found while inspecting a header.
    #[error("{}", format_message(.0))]
    Envelope(envelope::Error),
    /// A file could not be read or written.
    #[error("cannot {action} `{path}`: {}", io_message(.source))]
    File {
        /// What was being done: `read`, `write`, `create`, ...
        action: &'static str,
        /// The path, as given.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// Standard input or output failed.
    #[error("cannot {action} standard {stream}: {}", io_message(.source))]
    Stream {
        /// `read` or `write`.
        action: &'static str,
        /// `input` or `output`.
        stream: &'static str,
        /// The cause.
        source: io::Error,
    },
    /// A key file is malformed.
    #[error("key file `{path}`: {source}")]
    KeyFile {
        /// The path, as given.
        path: String,
        /// Why.
        source: KeyTextError,
    },
    /// A `--recipient` public key text is malformed.
    #[error("public key `{shown}`: {source}")]
    PublicKey {
        /// The start of the text, as given.
        shown: String,
        /// Why.
        source: KeyTextError,
    },
    /// A keyring file is malformed, or a change to it is refused.
    #[error("keyring `{path}`: {source}")]
    KeyringFile {
        /// The path, as given.
        path: String,
        /// Why.
        source: KeyringFileError,
    },
    /// The output exists and `--force` was not given.
    #[error("`{0}` already exists")]
    OutputExists(String),
    /// Binary output would go to a terminal.
    #[error("refusing to write binary output to a terminal")]
    TerminalOutput,
    /// Sealing or rewrapping without any recipient.
    #[error("no recipients given")]
    NoRecipients,
    /// Opening without any key or password.
    #[error("no key or password given")]
    NoKeys,
    /// A keyring holds several names and none was chosen.
    #[error("keyring `{0}` holds several key names")]
    KeyringName(String),
    /// A password was needed and there is no terminal to ask on.
    #[error("no terminal to ask for the {0}")]
    NoTerminal(&'static str),
    /// The two entries of a new password differ.
    #[error("the passwords do not match")]
    PasswordMismatch,
    /// An empty password.
    #[error("the password is empty")]
    EmptyPassword,
    /// An option value the tool refuses.
    #[error("{0}")]
    Usage(String),
    /// A cryptographic failure found after part of the plaintext was
    /// already written to standard output.
    #[error("cryptographic failure after {0} bytes were written")]
    CryptoAfterOutput(u64),
}

impl CliError {
    /// A file error with its path.
    pub(crate) fn file(action: &'static str, path: &std::path::Path, source: io::Error) -> Self {
        Self::File {
            action,
            path: path.display().to_string(),
            source,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Keys(err) => keys_exit_code(err),
            Self::Envelope(_) | Self::KeyFile { .. } | Self::PublicKey { .. } => exit::DATA,
            Self::KeyringFile { source, .. } => match source {
                KeyringFileError::Rule(err) => keys_exit_code(err),
                _ => exit::DATA,
            },
            Self::File { .. } | Self::Stream { .. } => exit::IO,
            Self::CryptoAfterOutput(_) => exit::CRYPTO,
            Self::OutputExists(_)
            | Self::TerminalOutput
            | Self::NoRecipients
            | Self::NoKeys
            | Self::KeyringName(_)
            | Self::NoTerminal(_)
            | Self::PasswordMismatch
            | Self::EmptyPassword
            | Self::Usage(_) => exit::USAGE,
        }
    }

    /// What to do about it, in a few words.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Keys(err) => keys_hint(err),
            Self::Envelope(_) => "check that this is the sealed file, not the plaintext",
            Self::File { source, .. } | Self::Stream { source, .. } => io_hint(source),
            Self::KeyFile { source, .. } => match source {
                KeyTextError::Checksum | KeyTextError::Character => {
                    "the key was changed or mistyped: copy it again from the original"
                }
                _ => "pass a key or identity file written by `coffer keygen`",
            },
            Self::PublicKey { source, .. } => match source {
                KeyTextError::Checksum | KeyTextError::Character => {
                    "the public key was changed or mistyped: copy it again from its owner"
                }
                _ => "pass a public key printed by `coffer keygen --type x25519|xwing`",
            },
            Self::KeyringFile { source, .. } => match source {
                KeyringFileError::Rule(err) => keys_hint(err),
                _ => "fix the named line, or restore the keyring from a copy",
            },
            Self::OutputExists(_) => "choose another output, or pass --force to replace it",
            Self::TerminalOutput => "redirect the output, or pass -o FILE",
            Self::NoRecipients => "add --key FILE, --keyring FILE, --recipient PUBLIC-KEY or --passphrase",
            Self::NoKeys => "pass --key FILE, --keyring FILE, --identity FILE or --passphrase",
            Self::KeyringName(_) => "choose one with --name NAME (see `coffer keyring list`)",
            Self::NoTerminal(_) => "use --password-file FILE or set COFFER_PASSWORD",
            Self::PasswordMismatch => "type the same password twice",
            Self::EmptyPassword => "choose a non-empty password",
            Self::Usage(_) => "see --help",
            Self::CryptoAfterOutput(_) => "discard what was written: the file is altered or truncated",
        }
    }
}

/// The one-line message for a key-layer error. Cryptographic failures stay
/// one opaque message.
fn keys_message(err: &KeysError) -> String {
    match err {
        KeysError::Crypto(_) => "cryptographic failure".to_owned(),
        KeysError::Io(io) => format!("i/o error: {}", io_message(io)),
        KeysError::Format(format) => format_message(format),
        other => other.to_string(),
    }
}

/// The message for a format error, saying it is about the envelope.
fn format_message(err: &envelope::Error) -> String {
    match err {
        envelope::Error::BadMagic => err.to_string(),
        other => format!("not a valid coffer envelope: {other}"),
    }
}

fn keys_exit_code(err: &KeysError) -> u8 {
    match err {
        KeysError::Crypto(_)
        | KeysError::NoMatchingKey
        | KeysError::KeyNotUsable { .. }
        | KeysError::BelowMinimumVersion { .. }
        | KeysError::MissingContext(_)
        | KeysError::ContextMismatch(_)
        | KeysError::ExternalAadRequired
        | KeysError::ExternalAadUnexpected
        | KeysError::Iterations { .. } => exit::CRYPTO,
        KeysError::Format(envelope::Error::SuiteNotAllowed(_)) => exit::CRYPTO,
        KeysError::Format(_) => exit::DATA,
        KeysError::Io(_) | KeysError::Random => exit::IO,
        _ => exit::USAGE,
    }
}

fn keys_hint(err: &KeysError) -> &'static str {
    match err {
        KeysError::Crypto(_) => "wrong key or password, or the file was altered",
        KeysError::NoMatchingKey => "see who can open it with `coffer inspect FILE`",
        KeysError::KeyNotUsable { .. } | KeysError::BelowMinimumVersion { .. } => {
            "see the key's state with `coffer keyring list FILE`"
        }
        KeysError::MissingContext(_) | KeysError::ContextMismatch(_) => {
            "this file was sealed for another context: see `coffer inspect FILE`"
        }
        KeysError::ExternalAadRequired | KeysError::ExternalAadUnexpected => {
            "open it with the library, which can supply external associated data"
        }
        KeysError::Iterations { .. } => "the password cost is outside what this reader accepts",
        KeysError::Format(envelope::Error::SuiteNotAllowed(_)) => {
            "the file uses a suite outside the --suite list"
        }
        KeysError::Format(_) => "check that this is the sealed file, not the plaintext",
        KeysError::Io(io) => io_hint(io),
        KeysError::Random => "the system random generator failed; try again",
        KeysError::EmptyPassword => "choose a non-empty password",
        KeysError::RecipientCount(_) => "a file has 1 to 8 recipients",
        KeysError::RecipientNotFound(_) => "see the recipients with `coffer inspect FILE`",
        KeysError::UnknownKey(_) | KeysError::KeyringRule(_) => {
            "see the keyring with `coffer keyring list FILE`"
        }
        KeysError::InvalidKeyId(_) => {
            "names are 1 to 53 of letters, digits, `.`, `_` and `-`; versions start at 1"
        }
        KeysError::ReservedContextKey(_) => "context keys starting `coffer.` are reserved",
        _ => "see --help",
    }
}

/// An I/O error's description without the OS error number.
fn io_message(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::AlreadyExists => "it already exists".to_owned(),
        io::ErrorKind::UnexpectedEof => "it ended early".to_owned(),
        io::ErrorKind::BrokenPipe => "the reader went away".to_owned(),
        _ => {
            let text = err.to_string();
            match text.split_once(" (os error") {
                Some((head, _)) => head.to_lowercase(),
                None => text.to_lowercase(),
            }
        }
    }
}

fn io_hint(err: &io::Error) -> &'static str {
    match err.kind() {
        io::ErrorKind::NotFound => "check the path",
        io::ErrorKind::PermissionDenied => "check the file's permissions",
        io::ErrorKind::AlreadyExists => "choose another output, or pass --force to replace it",
        io::ErrorKind::UnexpectedEof => "the file is incomplete: copy it again",
        _ => "check the disk and the paths, then try again",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_lower_case_without_a_final_period() {
        let errors = [
            CliError::TerminalOutput,
            CliError::NoRecipients,
            CliError::OutputExists("out.cfr".into()),
            CliError::file(
                "read",
                std::path::Path::new("missing"),
                io::Error::from(io::ErrorKind::NotFound),
            ),
            CliError::CryptoAfterOutput(65536),
        ];
        for err in errors {
            for text in [err.to_string(), err.hint().to_owned()] {
                assert!(!text.contains('\n'), "{text}");
                assert!(!text.ends_with('.'), "{text}");
                assert!(text.chars().next().is_some_and(|c| !c.is_uppercase()), "{text}");
            }
        }
    }

    #[test]
    fn exit_codes_follow_the_table() {
        assert_eq!(CliError::TerminalOutput.exit_code(), exit::USAGE);
        assert_eq!(CliError::CryptoAfterOutput(1).exit_code(), exit::CRYPTO);
        assert_eq!(CliError::Keys(KeysError::NoMatchingKey).exit_code(), exit::CRYPTO);
        assert_eq!(
            CliError::Keys(KeysError::Format(envelope::Error::BadMagic)).exit_code(),
            exit::DATA
        );
        assert_eq!(
            CliError::Keys(KeysError::Io(io::Error::from(io::ErrorKind::NotFound))).exit_code(),
            exit::IO
        );
    }
}

//! Passwords: from a file, an environment variable or the terminal (echo
//! off), never from the command line.

use std::fs;
use std::io;
use std::path::Path;

use coffer_keys::Password;
use zeroize::Zeroizing;

use crate::error::CliError;

/// The environment variable holding the password, for scripts.
pub const PASSWORD_ENV: &str = "COFFER_PASSWORD";

/// The environment variable holding a new password for `rewrap`.
pub const NEW_PASSWORD_ENV: &str = "COFFER_NEW_PASSWORD";

/// The longest password file read.
const MAX_PASSWORD_FILE: u64 = 64 * 1024;

/// Where a password comes from, in order: a file, the environment variable,
/// the terminal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PasswordSource<'a> {
    /// A file whose first line is the password.
    pub(crate) file: Option<&'a Path>,
    /// The environment variable to read.
    pub(crate) env: &'static str,
    /// What to call it in prompts and errors (`password`, `new password`).
    pub(crate) what: &'static str,
    /// Ask twice on the terminal (for a password being set).
    pub(crate) confirm: bool,
}

impl PasswordSource<'_> {
    /// Reads the password; refuses an empty one.
    pub(crate) fn read(&self) -> Result<Password, CliError> {
        let password = if let Some(path) = self.file {
            from_file(path)?
        } else if let Some(value) = std::env::var_os(self.env) {
            Password::from(Zeroizing::new(value.into_encoded_bytes()))
        } else {
            self.prompt()?
        };
        if password.is_empty() {
            return Err(CliError::EmptyPassword);
        }
        Ok(password)
    }

    fn prompt(&self) -> Result<Password, CliError> {
        let ask = |prompt: String| {
            rpassword::prompt_password(prompt)
                .map(|s| Password::from(Zeroizing::new(s.into_bytes())))
                .map_err(|_| CliError::NoTerminal(self.what))
        };
        let first = ask(format!("{}: ", capitalized(self.what)))?;
        if self.confirm {
            let again = ask(format!("Repeat the {}: ", self.what))?;
            if again != first {
                return Err(CliError::PasswordMismatch);
            }
        }
        Ok(first)
    }
}

fn capitalized(what: &str) -> String {
    let mut chars = what.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The first line of `path`, without its line ending.
fn from_file(path: &Path) -> Result<Password, CliError> {
    let len = fs::metadata(path)
        .map_err(|e| CliError::file("read", path, e))?
        .len();
    if len > MAX_PASSWORD_FILE {
        return Err(CliError::file(
            "read",
            path,
            io::Error::new(io::ErrorKind::InvalidData, "too large for a password file"),
        ));
    }
    let mut bytes = Zeroizing::new(fs::read(path).map_err(|e| CliError::file("read", path, e))?);
    let end = bytes.iter().position(|b| *b == b'\n').unwrap_or(bytes.len());
    let end = if end > 0 && bytes.get(end - 1) == Some(&b'\r') {
        end - 1
    } else {
        end
    };
    bytes.truncate(end);
    Ok(Password::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_gives_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        for (content, expected) in [
            (&b"secret\n"[..], &b"secret"[..]),
            (b"secret\r\nignored\n", b"secret"),
            (b"no newline", b"no newline"),
        ] {
            fs::write(&path, content).unwrap();
            assert_eq!(from_file(&path).unwrap().expose_secret(), expected);
        }
    }

    #[test]
    fn an_empty_password_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        fs::write(&path, "\n").unwrap();
        let source = PasswordSource {
            file: Some(&path),
            env: PASSWORD_ENV,
            what: "password",
            confirm: false,
        };
        assert!(matches!(source.read(), Err(CliError::EmptyPassword)));
    }

    #[test]
    fn prompts_are_capitalized() {
        assert_eq!(capitalized("new password"), "New password");
    }
}

//! `coffer keyring`: keyring files with versions, states and minimum
//! decryption versions.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use coffer_keys::{KeyId, KeyState};

use crate::cli::Globals;
use crate::error::CliError;
use crate::files::write_secret_file;
use crate::key_args::{load_key_file, load_keyring_file};
use crate::key_text::{render_key_file, LocalKey};
use crate::keyring_file::{KeyringFile, KeyringFileError};

/// Manage a keyring file: several versions of named keys, each Active,
/// DecryptOnly, Suspended or Destroyed, and a minimum decryption version per
/// name.
///
/// Each name has one Active version, which seals; rotation adds a version
/// and makes the previous one decrypt-only. Keyring files are secret and
/// written at mode 0600.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  coffer keyring create ring.txt --name docs
  coffer keyring rotate ring.txt --name docs
  coffer keyring set-state ring.txt docs:1 suspended
  coffer keyring list ring.txt")]
pub(crate) struct KeyringArgs {
    #[command(subcommand)]
    command: KeyringCommand,
}

#[derive(Debug, Subcommand)]
enum KeyringCommand {
    /// Create a keyring file with a name's first, Active version
    #[command(after_help = "Example:\n  coffer keyring create ring.txt --name docs")]
    Create {
        /// The keyring file to create
        file: PathBuf,
        /// The key name
        #[arg(short, long)]
        name: String,
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
    /// List names, versions, states and minimum versions (no key material)
    #[command(after_help = "Example:\n  coffer keyring list ring.txt")]
    List {
        /// The keyring file
        file: PathBuf,
    },
    /// Add a version: a fresh key, or one from a key file
    #[command(after_help = "\
Examples:
  coffer keyring add ring.txt --name backup --state active
  coffer keyring add ring.txt --from old-docs.key --state decrypt-only")]
    Add {
        /// The keyring file
        file: PathBuf,
        /// The name for a fresh key (its next version)
        #[arg(short, long, required_unless_present = "from", conflicts_with = "from")]
        name: Option<String>,
        /// Import this key file instead of generating a key
        #[arg(long, value_name = "KEY_FILE")]
        from: Option<PathBuf>,
        /// The new version's state
        #[arg(long, value_enum, default_value_t = StateArg::DecryptOnly)]
        state: StateArg,
    },
    /// Add a fresh Active version; the previous one becomes decrypt-only
    #[command(after_help = "Example:\n  coffer keyring rotate ring.txt --name docs")]
    Rotate {
        /// The keyring file
        file: PathBuf,
        /// The key name
        #[arg(short, long)]
        name: String,
    },
    /// Change a version's state (destroyed is final and erases the key)
    #[command(after_help = "\
Examples:
  coffer keyring set-state ring.txt docs:1 suspended
  coffer keyring set-state ring.txt docs:1 destroyed")]
    SetState {
        /// The keyring file
        file: PathBuf,
        /// The version, as NAME:VERSION
        #[arg(value_parser = parse_key_id)]
        key: KeyId,
        /// The new state
        #[arg(value_enum)]
        state: StateArg,
    },
    /// Set a name's minimum decryption version: older versions stop opening
    #[command(after_help = "Example:\n  coffer keyring min-version ring.txt docs 2")]
    MinVersion {
        /// The keyring file
        file: PathBuf,
        /// The key name
        name: String,
        /// The lowest version that still decrypts
        version: u32,
    },
    /// Write one version as a key file (mode 0600)
    #[command(after_help = "Example:\n  coffer keyring export ring.txt docs:2 -o docs-2.key")]
    Export {
        /// The keyring file
        file: PathBuf,
        /// The version, as NAME:VERSION
        #[arg(value_parser = parse_key_id)]
        key: KeyId,
        /// The key file to write; `-` prints the key
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
}

/// A key state, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StateArg {
    /// Seals and opens; one per name
    Active,
    /// Opens existing files only
    DecryptOnly,
    /// Unusable until made active or decrypt-only again
    Suspended,
    /// Key material erased; final
    Destroyed,
}

impl From<StateArg> for KeyState {
    fn from(state: StateArg) -> Self {
        match state {
            StateArg::Active => KeyState::Active,
            StateArg::DecryptOnly => KeyState::DecryptOnly,
            StateArg::Suspended => KeyState::Suspended,
            StateArg::Destroyed => KeyState::Destroyed,
        }
    }
}

fn parse_key_id(text: &str) -> Result<KeyId, String> {
    KeyId::from_kid(text.as_bytes()).map_err(|_| format!("expected NAME:VERSION, got `{text}`"))
}

/// Runs a keyring command.
pub(crate) fn run(args: KeyringArgs, globals: Globals) -> Result<(), CliError> {
    match args.command {
        KeyringCommand::Create { file, name, force } => {
            let mut keyring = KeyringFile::new();
            let key = LocalKey::generate(KeyId::new(&name, 1)?)?;
            change(&file, &mut keyring, |k| k.add(key, KeyState::Active))?;
            write_secret_file(&file, &keyring.render(), force)?;
            note(
                globals,
                format!("created `{}` with key `{name}:1` (active)", file.display()),
            );
            Ok(())
        }
        KeyringCommand::List { file } => list(&load_keyring_file(&file)?),
        KeyringCommand::Add {
            file,
            name,
            from,
            state,
        } => {
            let mut keyring = load_keyring_file(&file)?;
            let key = match (from, name) {
                (Some(path), _) => load_key_file(&path)?,
                (None, Some(name)) => {
                    let version = keyring
                        .next_version(&name)
                        .ok_or_else(|| CliError::Usage(format!("`{name}` has no versions left")))?;
                    LocalKey::generate(KeyId::new(&name, version)?)?
                }
                (None, None) => return Err(CliError::Usage("give --name or --from".to_owned())),
            };
            let id = key.id().clone();
            let state = KeyState::from(state);
            change(&file, &mut keyring, |k| k.add(key, state))?;
            write_secret_file(&file, &keyring.render(), true)?;
            note(globals, format!("added `{id}` ({state})"));
            Ok(())
        }
        KeyringCommand::Rotate { file, name } => {
            let mut keyring = load_keyring_file(&file)?;
            let id = change(&file, &mut keyring, |k| k.rotate(&name))?;
            write_secret_file(&file, &keyring.render(), true)?;
            note(globals, format!("`{id}` is now active"));
            Ok(())
        }
        KeyringCommand::SetState { file, key, state } => {
            let mut keyring = load_keyring_file(&file)?;
            change(&file, &mut keyring, |k| k.set_state(&key, state.into()))?;
            write_secret_file(&file, &keyring.render(), true)?;
            note(globals, format!("`{key}` is now {}", KeyState::from(state)));
            Ok(())
        }
        KeyringCommand::MinVersion { file, name, version } => {
            let mut keyring = load_keyring_file(&file)?;
            change(&file, &mut keyring, |k| k.set_min_version(&name, version))?;
            write_secret_file(&file, &keyring.render(), true)?;
            note(globals, format!("`{name}` decrypts from version {version} on"));
            Ok(())
        }
        KeyringCommand::Export {
            file,
            key,
            output,
            force,
        } => {
            let keyring = load_keyring_file(&file)?;
            let local = keyring
                .local_key(&key)
                .ok_or_else(|| CliError::Usage(format!("`{key}` is not in the keyring or is destroyed")))?;
            write_secret_file(&output, &render_key_file(&local), force)
        }
    }
}

/// Applies a change, naming the keyring file in its error.
fn change<T>(
    file: &std::path::Path,
    keyring: &mut KeyringFile,
    apply: impl FnOnce(&mut KeyringFile) -> Result<T, KeyringFileError>,
) -> Result<T, CliError> {
    apply(keyring).map_err(|source| CliError::KeyringFile {
        path: file.display().to_string(),
        source,
    })
}

fn note(globals: Globals, text: String) {
    if !globals.quiet {
        eprintln!("coffer: {text}");
    }
}

/// Writes the keyring's names, versions and states to standard output.
fn list(keyring: &KeyringFile) -> Result<(), CliError> {
    let mut text = String::new();
    for name in keyring.names() {
        let minimum = keyring.min_version(name);
        text.push_str(name);
        if minimum > 0 {
            text.push_str(&format!("  (decrypts from version {minimum})"));
        }
        text.push('\n');
        for (id, state) in keyring.versions().filter(|(id, _)| id.name() == name) {
            text.push_str(&format!("  {:<6} {state}\n", format!("v{}", id.version())));
        }
    }
    crate::files::print(text.as_bytes())
}

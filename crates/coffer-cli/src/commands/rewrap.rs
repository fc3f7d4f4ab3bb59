//! `coffer rewrap`: change who can open a file without touching its body.

use std::fs::{self, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use coffer_keys::{rewrap_header, KeyId, Recipient, Rewrap, MIN_PBKDF2_ITERATIONS};

use crate::cli::Globals;
use crate::error::CliError;
use crate::files::{copy_secret, persist, temp_next_to, Contents, CopyError, Input, Output};
use crate::key_args::{load_key_file, KeyArgs};
use crate::key_text::LocalKey;
use crate::password::{PasswordSource, NEW_PASSWORD_ENV};
use crate::sealed_input::{default_to_password, read_header};

/// Add or remove recipients, rotate to a keyring's Active version, or change
/// a password, rewriting only the header.
///
/// The key options (--key, --keyring, --passphrase) unlock the file; the
/// body is never decrypted. With --in-place, a header whose length does not
/// change is rewritten where it lies, so the time does not depend on the
/// file's size; otherwise the new header and the unchanged body go to a new
/// file that replaces the old one.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  coffer rewrap -k docs.key --add-key alice.key --in-place report.cfr
  coffer rewrap --keyring ring.txt --rotate docs --in-place report.cfr
  coffer rewrap --change-password --in-place notes.cfr
  coffer rewrap -k docs.key --remove-key old:1 report.cfr -o report-new.cfr")]
pub(crate) struct RewrapArgs {
    /// The sealed file; standard input when absent or `-`
    input: Option<PathBuf>,

    /// Where to write the rewrapped file; standard output when absent or `-`
    #[arg(short, long, value_name = "FILE", conflicts_with = "in_place")]
    output: Option<PathBuf>,

    /// Rewrite the input file itself
    #[arg(long)]
    in_place: bool,

    #[command(flatten)]
    keys: KeyArgs,

    /// Add a recipient from a key file (repeatable)
    #[arg(long = "add-key", value_name = "FILE")]
    add_keys: Vec<PathBuf>,

    /// Add the Active version of a --keyring name (repeatable)
    #[arg(long = "add-name", value_name = "NAME", requires = "keyring")]
    add_names: Vec<String>,

    /// Replace every version of a --keyring name by its Active version
    /// (after `coffer keyring rotate`; repeatable)
    #[arg(long = "rotate", value_name = "NAME", requires = "keyring")]
    rotate: Vec<String>,

    /// Add a password recipient: read from --new-password-file, else from
    /// COFFER_NEW_PASSWORD, else asked twice on the terminal
    #[arg(long)]
    add_passphrase: bool,

    /// Read the new password from the first line of FILE
    #[arg(long, value_name = "FILE")]
    new_password_file: Option<PathBuf>,

    /// Remove a local key's recipient, as NAME:VERSION (repeatable)
    #[arg(long = "remove-key", value_name = "NAME:VERSION")]
    remove_keys: Vec<String>,

    /// Remove every password recipient
    #[arg(long)]
    remove_passwords: bool,

    /// Replace every password recipient by one with a new password
    #[arg(long, conflicts_with_all = ["remove_passwords", "add_passphrase"])]
    change_password: bool,

    /// PBKDF2 iterations for a new password (at least 600000)
    #[arg(long, value_name = "N", default_value_t = MIN_PBKDF2_ITERATIONS)]
    password_iterations: u32,

    /// Replace an existing output file
    #[arg(long)]
    force: bool,
}

impl RewrapArgs {
    fn has_change(&self) -> bool {
        !self.add_keys.is_empty()
            || !self.add_names.is_empty()
            || !self.rotate.is_empty()
            || self.add_passphrase
            || self.new_password_file.is_some()
            || !self.remove_keys.is_empty()
            || self.remove_passwords
            || self.change_password
    }
}

/// Rewraps the input.
pub(crate) fn run(mut args: RewrapArgs, _globals: Globals) -> Result<(), CliError> {
    if !args.has_change() {
        return Err(CliError::Usage(
            "nothing to change: add or remove a recipient, --rotate or --change-password".to_owned(),
        ));
    }
    let in_place = match (&args.input, args.in_place) {
        (Some(path), true) if path.as_os_str() != "-" => Some(path.clone()),
        (_, true) => {
            return Err(CliError::Usage(
                "--in-place needs a file, not standard input".to_owned(),
            ))
        }
        _ => None,
    };
    let mut output = match in_place {
        Some(_) => None,
        None => Some(Output::create(
            args.output.as_deref(),
            Contents::Public,
            args.force,
            true,
        )?),
    };
    let mut input = Input::open(args.input.as_deref())?;
    let header = read_header(&mut input)?;
    default_to_password(&mut args.keys, &header)?;
    let removals = args
        .remove_keys
        .iter()
        .map(|text| {
            KeyId::from_kid(text.as_bytes())
                .map_err(|_| CliError::Usage(format!("--remove-key expects NAME:VERSION, got `{text}`")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let added: Vec<LocalKey> = args
        .add_keys
        .iter()
        .map(|path| load_key_file(path))
        .collect::<Result<_, _>>()?;
    let keys = args.keys.load(false)?.into_opening()?;
    let new_password = if args.add_passphrase || args.change_password || args.new_password_file.is_some() {
        Some(
            PasswordSource {
                file: args.new_password_file.as_deref(),
                env: NEW_PASSWORD_ENV,
                what: "new password",
                confirm: true,
            }
            .read()?,
        )
    } else {
        None
    };

    let mut change = Rewrap::new().password_iterations(args.password_iterations)?;
    for id in &removals {
        change = change.remove_key(id);
    }
    if args.remove_passwords || args.change_password {
        change = change.remove_passwords();
    }
    for name in &args.rotate {
        change = change.rotate_to_active(keys.keyring(), name)?;
    }
    for name in &args.add_names {
        change = change.add_recipient(Recipient::keyring(keys.keyring(), name)?);
    }
    for key in &added {
        change = change.add_recipient(Recipient::kek(key.id().clone(), key.kek()));
    }
    if let Some(password) = &new_password {
        change = change.add_recipient(Recipient::password(password));
    }
    let new_header = rewrap_header(&header, &keys.options(), &change)?;

    match (in_place, output.take()) {
        (Some(path), _) => {
            drop(input);
            replace_header(&path, header.len(), &new_header)
        }
        (None, Some(mut output)) => {
            output.write_all(&new_header).map_err(|e| output.write_error(e))?;
            match copy_secret(input.reader(), &mut output, |_| {}) {
                Ok(_) => output.commit(),
                Err(CopyError::Read(source, _)) => Err(input.read_error(source)),
                Err(CopyError::Write(source)) => Err(output.write_error(source)),
            }
        }
        (None, None) => Ok(()),
    }
}

/// Puts `new_header` in place of the first `old_len` bytes of `path`: where
/// it lies when the length is unchanged (the body is not read), else through
/// a new file next to it that replaces the old one.
fn replace_header(path: &Path, old_len: usize, new_header: &[u8]) -> Result<(), CliError> {
    if new_header.len() == old_len {
        let mut file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| CliError::file("write", path, e))?;
        file.write_all(new_header)
            .and_then(|()| file.sync_data())
            .map_err(|e| CliError::file("write", path, e))?;
        return Ok(());
    }
    let mut source = fs::File::open(path).map_err(|e| CliError::file("read", path, e))?;
    let permissions = source
        .metadata()
        .map_err(|e| CliError::file("read", path, e))?
        .permissions();
    source
        .seek(SeekFrom::Start(old_len as u64))
        .map_err(|e| CliError::file("read", path, e))?;
    let mut temp = temp_next_to(path, Contents::Public)?;
    temp.write_all(new_header)
        .and_then(|()| io::copy(&mut source, temp.as_file_mut()).map(drop))
        .and_then(|()| temp.as_file().set_permissions(permissions))
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| CliError::file("write", path, e))?;
    persist(temp, path, true)
}

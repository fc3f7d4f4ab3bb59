//! `coffer keygen`: a new key file.

use std::path::PathBuf;

use clap::Args;
use coffer_policy::session::keys::KeyId;

use crate::cli::Globals;
use crate::error::CliError;
use crate::files::{is_stdio, write_secret_file};
use crate::key_text::{render_key_file, LocalKey};

/// Generate a local key-encryption key and write it as a key file.
///
/// The file is created at mode 0600 and holds one line,
/// `COFFER-KEY-1...`, with the key's name, version and material under a
/// checksum that catches a mistyped character. The key is never printed
/// unless `-o -` asks for it.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  coffer keygen --name docs -o docs.key
  coffer keygen --name docs --version 2 -o docs-v2.key
  coffer keygen --name docs -o -        # print the key (secret!)")]
pub(crate) struct KeygenArgs {
    /// The key's name: 1 to 53 letters, digits, `.`, `_` or `-`
    #[arg(short, long)]
    name: String,

    /// The key's version
    #[arg(long, default_value_t = 1)]
    version: u32,

    /// The key file to write (mode 0600); `-` prints the key
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// Replace an existing file
    #[arg(long)]
    force: bool,
}

/// Generates the key and writes the file.
pub(crate) fn run(args: KeygenArgs, globals: Globals) -> Result<(), CliError> {
    let id = KeyId::new(&args.name, args.version)?;
    let key = LocalKey::generate(id)?;
    write_secret_file(&args.output, &render_key_file(&key), args.force)?;
    if !globals.quiet && !is_stdio(Some(&args.output)) {
        eprintln!("coffer: wrote key `{}` to `{}`", key.id(), args.output.display());
    }
    Ok(())
}

//! `coffer keygen`: a new key file or identity file.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use coffer_keys::{Identity, KemAlgorithm, KeyId};

use crate::cli::Globals;
use crate::error::CliError;
use crate::files::{is_stdio, write_secret_file};
use crate::key_text::{render_identity_file, render_key_file, LocalKey};

/// Generate a local key-encryption key, or a public-key identity, and write
/// it to a file.
///
/// `--type local` (the default) writes a key file, one line
/// `COFFER-KEY-1...` with the key's name, version and material. `--type
/// x25519` or `--type xwing` writes an identity file
/// (`COFFER-X25519-IDENTITY-1...` or `COFFER-XWING-IDENTITY-1...`) and
/// prints its public key (`coffer-x25519-1...`, `coffer-xwing-1...`),
/// which others pass to `coffer seal --recipient`; X-Wing (ML-KEM-768 +
/// X25519) also protects against a future quantum computer. Files are
/// created at mode 0600, under a checksum that catches a mistyped
/// character. Secrets are never printed unless `-o -` asks for them.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  coffer keygen --name docs -o docs.key
  coffer keygen --name docs --version 2 -o docs-v2.key
  coffer keygen --type xwing -o me.identity    # prints the public key
  coffer keygen --name docs -o -        # print the key (secret!)")]
pub(crate) struct KeygenArgs {
    /// What to generate
    #[arg(long = "type", value_enum, default_value_t = KeyKind::Local)]
    kind: KeyKind,

    /// The key's name: 1 to 53 letters, digits, `.`, `_` or `-` (local keys)
    #[arg(short, long, required_if_eq("kind", "local"))]
    name: Option<String>,

    /// The key's version (local keys)
    #[arg(long, default_value_t = 1)]
    version: u32,

    /// The file to write (mode 0600); `-` prints it
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// Replace an existing file
    #[arg(long)]
    force: bool,
}

/// The kinds of key `coffer keygen` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KeyKind {
    /// A named, versioned 32-byte key-encryption key
    Local,
    /// An X25519 identity (HPKE, classical)
    X25519,
    /// An X-Wing identity (HPKE with ML-KEM-768 + X25519, post-quantum hybrid)
    Xwing,
}

/// Generates the key and writes the file.
pub(crate) fn run(args: KeygenArgs, globals: Globals) -> Result<(), CliError> {
    let algorithm = match args.kind {
        KeyKind::Local => return local(&args, globals),
        KeyKind::X25519 => KemAlgorithm::X25519,
        KeyKind::Xwing => KemAlgorithm::XWing,
    };
    if args.name.is_some() {
        return Err(CliError::Usage(
            "--name is for local keys; an identity is named by its public key".to_owned(),
        ));
    }
    let identity = Identity::generate(algorithm)?;
    write_secret_file(&args.output, &render_identity_file(&identity), args.force)?;
    if !is_stdio(Some(&args.output)) {
        #[allow(
            clippy::print_stdout,
            reason = "the public key is what the owner hands out: standard output (for scripts) whatever --quiet says"
        )]
        {
            println!("{}", identity.public_key().to_text());
        }
        if !globals.quiet {
            eprintln!(
                "coffer: wrote {} identity `{}` to `{}`",
                algorithm,
                identity.public_key().fingerprint_hex(),
                args.output.display()
            );
        }
    }
    Ok(())
}

fn local(args: &KeygenArgs, globals: Globals) -> Result<(), CliError> {
    let name = args.name.as_deref().unwrap_or_default();
    let key = LocalKey::generate(KeyId::new(name, args.version)?)?;
    write_secret_file(&args.output, &render_key_file(&key), args.force)?;
    if !globals.quiet && !is_stdio(Some(&args.output)) {
        eprintln!("coffer: wrote key `{}` to `{}`", key.id(), args.output.display());
    }
    Ok(())
}

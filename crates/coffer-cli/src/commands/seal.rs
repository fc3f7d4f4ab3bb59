//! `coffer seal`: a file or standard input into an envelope, streaming.

use std::path::PathBuf;

use clap::Args;
use coffer_keys::{envelope, Error as KeysError, SealOptions, Sealer, MIN_PBKDF2_ITERATIONS};

use crate::cli::Globals;
use crate::error::CliError;
use crate::files::{copy_secret, Contents, CopyError, Input, Output};
use crate::key_args::KeyArgs;
use crate::options::{parse_chunk_size, parse_context, ContextEntry, SuiteArg};
use crate::progress;

/// Seal a file for key files, keyring keys and passwords.
///
/// Reads the input in chunks and writes each sealed chunk as it goes, in
/// constant memory. The output appears only once complete. Every recipient
/// can open the file on its own. Context entries are public but committed:
/// opening can require them with --require.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  coffer seal -k docs.key report.pdf -o report.pdf.cfr
  coffer seal --keyring ring.txt --name docs --context project=alpha report.pdf -o report.cfr
  coffer seal --passphrase --suite chacha20-poly1305 notes.txt -o notes.cfr
  tar c dir | coffer seal -k docs.key > dir.tar.cfr")]
pub(crate) struct SealArgs {
    /// The file to seal; standard input when absent or `-`
    input: Option<PathBuf>,

    /// The sealed file to write; standard output when absent or `-`
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    #[command(flatten)]
    keys: KeyArgs,

    /// A keyring name to seal for, with its Active version (repeatable;
    /// default: the keyring's only name)
    #[arg(long = "name", value_name = "NAME")]
    names: Vec<String>,

    /// A public context entry, committed into the file (repeatable)
    #[arg(short = 'c', long = "context", value_name = "KEY=VALUE", value_parser = parse_context)]
    context: Vec<ContextEntry>,

    /// The algorithm suite
    #[arg(long, value_enum, default_value_t = SuiteArg::Aes256Gcm)]
    suite: SuiteArg,

    /// Plaintext bytes per chunk: a power of two from 1KiB to 1MiB
    #[arg(long, value_name = "SIZE", default_value = "64KiB", value_parser = parse_chunk_size)]
    chunk_size: u8,

    /// PBKDF2 iterations for the password (at least 600000)
    #[arg(long, value_name = "N", default_value_t = MIN_PBKDF2_ITERATIONS)]
    password_iterations: u32,

    /// Replace an existing output file
    #[arg(long)]
    force: bool,
}

/// Seals the input to the output.
pub(crate) fn run(args: SealArgs, globals: Globals) -> Result<(), CliError> {
    let mut output = Output::create(args.output.as_deref(), Contents::Public, args.force, true)?;
    let mut input = Input::open(args.input.as_deref())?;
    let loaded = args.keys.load(true)?;
    let keyring = loaded.keyring()?;
    let recipients = loaded.recipients(keyring.as_ref(), &args.names)?;
    let mut options = SealOptions::new()
        .suite(args.suite.suite())
        .chunk_log2(args.chunk_size)
        .password_iterations(args.password_iterations)?;
    for entry in &args.context {
        options = options.context(&entry.key, entry.value.as_bytes())?;
    }
    let bar = progress::bar(input.len, globals.quiet, "sealing");
    let mut sealer = Sealer::new(&mut output, &recipients, &options)?;
    let copied = copy_secret(input.reader(), &mut sealer, |n| bar.inc(n));
    bar.finish_and_clear();
    match copied {
        Ok(_) => {}
        Err(CopyError::Read(source, _)) => return Err(input.read_error(source)),
        Err(CopyError::Write(source)) => {
            drop(sealer);
            return Err(match envelope::Error::from_io(source) {
                envelope::Error::Io(source) => output.write_error(source),
                other => KeysError::from(other).into(),
            });
        }
    }
    match sealer.finish() {
        Ok(_) => {}
        Err(KeysError::Io(source)) => return Err(output.write_error(source)),
        Err(other) => return Err(other.into()),
    }
    output.commit()
}

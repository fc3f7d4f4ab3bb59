//! `coffer open`: an envelope back to plaintext, released only as it
//! verifies.

use std::io::{Cursor, Read};
use std::path::PathBuf;

use clap::Args;
use coffer_keys::{envelope, Error as KeysError, Opener};
use zeroize::Zeroizing;

use crate::cli::Globals;
use crate::error::CliError;
use crate::files::{copy_secret, Contents, CopyError, Input, Output};
use crate::key_args::KeyArgs;
use crate::options::{parse_context, ContextEntry, SuiteArg};
use crate::progress;
use crate::sealed_input::{default_to_password, read_header};

/// Bytes looked at to tell text from binary before writing to a terminal.
const SNIFF_LEN: usize = 8 * 1024;

/// Open a sealed file with key files, a keyring or a password.
///
/// To a file: the plaintext goes to a temporary file next to it, which is
/// renamed into place only after the final chunk verifies, so a failed open
/// leaves nothing behind. To standard output: each chunk is written once it
/// verifies, and a failure found later exits non-zero (discard the output).
/// Without key options, a file with a password recipient asks for the
/// password.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  coffer open -k docs.key report.pdf.cfr -o report.pdf
  coffer open --keyring ring.txt --require project=alpha report.cfr -o report.pdf
  COFFER_PASSWORD=... coffer open --passphrase notes.cfr > notes.txt
  coffer open -k docs.key < dir.tar.cfr | tar x")]
pub(crate) struct OpenArgs {
    /// The sealed file; standard input when absent or `-`
    input: Option<PathBuf>,

    /// The plaintext file to write; standard output when absent or `-`
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    #[command(flatten)]
    keys: KeyArgs,

    /// Require the context entry KEY with exactly VALUE (repeatable)
    #[arg(short = 'r', long = "require", value_name = "KEY=VALUE", value_parser = parse_context)]
    require: Vec<ContextEntry>,

    /// Accept only this suite (repeatable; default: both)
    #[arg(long = "suite", value_enum, value_name = "SUITE")]
    suites: Vec<SuiteArg>,

    /// Replace an existing output file
    #[arg(long)]
    force: bool,
}

/// Opens the input to the output.
pub(crate) fn run(mut args: OpenArgs, globals: Globals) -> Result<(), CliError> {
    let mut output = Output::create(args.output.as_deref(), Contents::Secret, args.force, false)?;
    let mut input = Input::open(args.input.as_deref())?;
    let header = read_header(&mut input)?;
    default_to_password(&mut args.keys, &header)?;
    let keys = args.keys.load(false)?.into_opening()?;
    let mut options = keys.options();
    for entry in &args.require {
        options = options.require_context(&entry.key, entry.value.as_bytes());
    }
    if !args.suites.is_empty() {
        let suites: Vec<_> = args.suites.iter().map(|s| s.suite()).collect();
        options = options.allow_suites(&suites);
    }
    let bar = progress::bar(input.len, globals.quiet, "opening");
    bar.inc(header.len() as u64);
    let body = bar.wrap_read(input.into_reader());
    let mut opener = Opener::new(Cursor::new(header).chain(body), &options)?;
    if output.is_stdout() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        refuse_binary(&mut opener, &mut output)?;
    }
    let copied = copy_secret(&mut opener, &mut output, |_| {});
    bar.finish_and_clear();
    match copied {
        Ok(_) => output.commit(),
        Err(CopyError::Write(source)) => Err(output.write_error(source)),
        Err(CopyError::Read(source, written)) => {
            let err = KeysError::from(envelope::Error::from_io(source));
            if matches!(err, KeysError::Crypto(_)) && output.is_stdout() && written > 0 {
                Err(CliError::CryptoAfterOutput(written))
            } else {
                Err(err.into())
            }
        }
    }
}

/// For a terminal: reads the first verified bytes and refuses if they look
/// binary, else writes them.
fn refuse_binary<R: Read>(opener: &mut Opener<R>, output: &mut Output) -> Result<(), CliError> {
    let mut head = Zeroizing::new(Vec::with_capacity(SNIFF_LEN));
    opener
        .by_ref()
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|source| KeysError::from(envelope::Error::from_io(source)))?;
    if looks_binary(&head) {
        return Err(CliError::TerminalOutput);
    }
    std::io::Write::write_all(output, &head).map_err(|source| output.write_error(source))
}

/// Whether bytes look like something other than text: a NUL, a control
/// character other than tab, newline, carriage return, form feed and escape,
/// or invalid UTF-8 (other than a character cut at the end).
fn looks_binary(bytes: &[u8]) -> bool {
    let text_prefix = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) if err.error_len().is_none() => {
            std::str::from_utf8(&bytes[..err.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return true,
    };
    text_prefix
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_told_from_binary() {
        assert!(!looks_binary(b"hello\nworld\t\r\n"));
        assert!(!looks_binary("h\u{e9}llo".as_bytes()));
        assert!(!looks_binary(&"\u{e9}".as_bytes()[..1]));
        assert!(looks_binary(b"\x89PNG\r\n\x1a\n"));
        assert!(looks_binary(b"a\0b"));
        assert!(looks_binary(b"\xff\xfe"));
    }
}

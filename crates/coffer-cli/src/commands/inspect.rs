//! `coffer inspect`: a sealed file's header, without any key.

use std::io;
use std::path::PathBuf;

use clap::Args;
use coffer_keys::envelope::{self, HeaderView, ReaderLimits, Suite, MAX_CHUNK_LOG2};

use crate::error::CliError;
use crate::files::Input;
use crate::header_report::HeaderReport;

/// Show a sealed file's header: suite, chunk size, context entries,
/// recipients (type and kid), header and body sizes and chunk count.
///
/// Needs no key and verifies nothing: the header is only parsed, under the
/// format's widest limits, so inspect also shows files a default reader
/// would refuse.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  coffer inspect report.pdf.cfr
  coffer inspect --json report.pdf.cfr | jq .recipients
  coffer inspect < report.pdf.cfr")]
pub(crate) struct InspectArgs {
    /// The sealed file; standard input when absent or `-`
    input: Option<PathBuf>,

    /// Print JSON for scripts
    #[arg(long)]
    json: bool,
}

/// The widest limits the format allows.
fn widest_limits() -> ReaderLimits {
    ReaderLimits {
        max_chunk_log2: MAX_CHUNK_LOG2,
        max_context_len: u16::MAX,
        max_keys_len: u16::MAX,
        max_key_count: u8::MAX,
        allowed_suites: Suite::ALL.to_vec(),
    }
}

/// Parses the header and prints the report.
pub(crate) fn run(args: InspectArgs) -> Result<(), CliError> {
    let mut input = Input::open(args.input.as_deref())?;
    let limits = widest_limits();
    let header = envelope::read_header(input.reader(), &limits).map_err(|err| match err {
        envelope::Error::Io(source) => input.read_error(source),
        other => CliError::Envelope(other),
    })?;
    let view = HeaderView::parse(&header, &limits).map_err(CliError::Envelope)?;
    let body_len = match input.len {
        Some(len) => len.saturating_sub(header.len() as u64),
        None => io::copy(input.reader(), &mut io::sink()).map_err(|e| input.read_error(e))?,
    };
    let report = HeaderReport::new(&view, body_len);
    let text = if args.json {
        report.to_json()
    } else {
        report.to_text()
    };
    crate::files::print(text.as_bytes())
}

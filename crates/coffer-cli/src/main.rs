//! The `coffer` binary.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    coffer_cli::run()
}

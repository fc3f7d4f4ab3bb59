//! The `coffer` command-line tool, on the public API of the coffer libraries.
//!
//! The binary (`src/main.rs`) calls [`run`]. The library also exposes what is
//! worth testing or fuzzing on its own: the key text format
//! ([`key_text`]), keyring files ([`keyring_file`]) and the errors with their
//! exit codes ([`error`]). See the crate README for the commands.
#![forbid(unsafe_code)]

mod cli;
mod commands;
pub mod error;
mod files;
mod header_report;
mod key_args;
pub mod key_text;
pub mod keyring_file;
mod options;
mod password;
mod progress;
mod sealed_input;

use std::process::ExitCode;

use clap::Parser;

pub use password::{NEW_PASSWORD_ENV, PASSWORD_ENV};

/// Parses the process's arguments, runs the command and reports an error in
/// one line (`coffer: error: ...; hint`) on standard error. Returns the exit
/// code documented in [`error::exit`].
pub fn run() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                error::exit::USAGE
            } else {
                error::exit::OK
            };
            // Printing fails only if the streams are gone.
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match cli.run() {
        Ok(()) => ExitCode::from(error::exit::OK),
        Err(err) => {
            eprintln!("coffer: error: {err}; {}", err.hint());
            ExitCode::from(err.exit_code())
        }
    }
}

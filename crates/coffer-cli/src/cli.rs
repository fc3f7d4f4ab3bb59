//! The command line: top-level options and the list of commands.

use clap::{Parser, Subcommand};

use crate::commands::{completions, inspect, keygen, keyring, open, rewrap, seal};
use crate::error::CliError;

const AFTER_HELP: &str = "\
Examples:
  coffer keygen --name docs -o docs.key
  coffer seal -k docs.key report.pdf -o report.pdf.cfr
  coffer inspect report.pdf.cfr
  coffer open -k docs.key report.pdf.cfr -o report.pdf

Passwords are never taken as arguments: --passphrase reads --password-file,
else COFFER_PASSWORD, else asks on the terminal with echo off.

Exit codes:
  0  success
  1  usage: bad arguments, or a request refused (existing output without
     --force, binary output to a terminal, no recipients, a keyring rule)
  2  cryptographic failure (wrong key or password, altered file), or the file
     does not meet a requirement (--require, --suite, key state)
  3  i/o error reading or writing a file or stream
  4  malformed input: not an envelope, a bad key or keyring file";

/// coffer: seal and open files with per-file keys, key files, keyrings and
/// passwords.
#[derive(Debug, Parser)]
#[command(name = "coffer", version, about, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// No progress bar or notes on standard error
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate a key file holding a new local key-encryption key
    Keygen(keygen::KeygenArgs),
    /// Manage keyring files: versions, rotation, states
    Keyring(keyring::KeyringArgs),
    /// Seal a file or standard input for key files, keyrings and passwords
    Seal(seal::SealArgs),
    /// Open a sealed file, releasing plaintext only once it verifies
    Open(open::OpenArgs),
    /// Show a sealed file's header without any key
    Inspect(inspect::InspectArgs),
    /// Add or remove recipients, or change a password, without touching the
    /// body
    Rewrap(rewrap::RewrapArgs),
    /// Print a shell completion script
    Completions(completions::CompletionsArgs),
}

/// Settings every command sees.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Globals {
    /// No progress bar or notes.
    pub(crate) quiet: bool,
}

impl Cli {
    /// Runs the chosen command.
    pub(crate) fn run(self) -> Result<(), CliError> {
        let globals = Globals { quiet: self.quiet };
        match self.command {
            Command::Keygen(args) => keygen::run(args, globals),
            Command::Keyring(args) => keyring::run(args, globals),
            Command::Seal(args) => seal::run(args, globals),
            Command::Open(args) => open::run(args, globals),
            Command::Inspect(args) => inspect::run(args),
            Command::Rewrap(args) => rewrap::run(args, globals),
            Command::Completions(args) => completions::run(args),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_an_example() {
        let cli = Cli::command();
        let mut missing = Vec::new();
        for command in cli.get_subcommands() {
            let mut stack = vec![(command.get_name().to_owned(), command)];
            while let Some((path, command)) = stack.pop() {
                let has_example = command
                    .get_after_help()
                    .is_some_and(|help| help.to_string().contains("coffer "));
                if !has_example {
                    missing.push(path.clone());
                }
                for sub in command.get_subcommands() {
                    stack.push((format!("{path} {}", sub.get_name()), sub));
                }
            }
        }
        assert!(missing.is_empty(), "no example in: {missing:?}");
    }
}

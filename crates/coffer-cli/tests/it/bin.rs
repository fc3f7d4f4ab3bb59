//! Running the `coffer` binary from a test, and test inputs.

use std::path::Path;

use assert_cmd::Command;

/// The binary, with no password in its environment, run in `dir`.
pub(crate) fn coffer(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
    cmd.current_dir(dir)
        .env_remove("COFFER_PASSWORD")
        .env_remove("COFFER_NEW_PASSWORD");
    cmd
}

/// Deterministic, not very compressible bytes.
pub(crate) fn sample(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect()
}

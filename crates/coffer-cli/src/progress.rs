//! A progress bar on standard error for long operations, shown only when
//! standard error is a terminal.

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Inputs smaller than this finish too fast for a bar to help.
const MIN_LEN: u64 = 16 * 1024 * 1024;

/// A bar for `len` bytes (a spinner when unknown), hidden when `quiet`,
/// when standard error is not a terminal, or when the input is small.
pub(crate) fn bar(len: Option<u64>, quiet: bool, verb: &'static str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() || len.is_some_and(|len| len < MIN_LEN) {
        return ProgressBar::hidden();
    }
    let template = match len {
        Some(_) => "{msg} {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        None => "{spinner} {msg} {bytes} {bytes_per_sec}",
    };
    let style = ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr())
        .with_style(style)
        .with_message(verb);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

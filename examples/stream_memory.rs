//! Streams a body of N bytes through `BodySealer` into a temporary file and
//! back through `BodyOpener`, and reports the process's peak resident memory
//! (`VmHWM`), which must not grow with N.
//!
//! ```text
//! cargo run --release --example stream_memory -- 67108864
//! cargo run --release --example stream_memory -- 1073741824
//! ```
//!
//! Run one size per process: the peak is per process. Linux only (it reads
//! `/proc/self/status`).
#![allow(clippy::print_stdout, reason = "this example's output is its report")]

use std::fs::File;
use std::io::{Read, Write};
use std::time::Instant;

use coffer::envelope::{BodyOpener, BodySealer, ChunkCipher, ContentKey, Suite, DEFAULT_CHUNK_LOG2};

/// Size of the buffers the example itself writes from and reads into.
const PIECE: usize = 1 << 20;

/// The plaintext byte at `offset`: a pattern the opener can check without
/// holding the plaintext.
#[allow(clippy::cast_possible_truncation, reason = "offset % 251 fits a byte")]
fn pattern(offset: u64) -> u8 {
    (offset % 251) as u8
}

fn fill(buf: &mut [u8], offset: u64) {
    for (i, b) in (offset..).zip(buf.iter_mut()) {
        *b = pattern(i);
    }
}

/// Peak resident set size in KiB, from `/proc/self/status`.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn cipher() -> Result<ChunkCipher, coffer::envelope::Error> {
    ChunkCipher::new(
        Suite::Aes256GcmHkdfSha256,
        &ContentKey::new(&[0x33; 32], &[0x44; 12]),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: u64 = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 64 << 20,
    };
    let path = std::env::temp_dir().join(format!("coffer-stream-memory-{}.body", std::process::id()));
    let baseline = peak_rss_kib();

    let start = Instant::now();
    let mut sealer = BodySealer::new(File::create(&path)?, cipher()?, DEFAULT_CHUNK_LOG2)?;
    let mut piece = vec![0u8; PIECE];
    let mut written = 0u64;
    while written < total {
        let n = usize::try_from((total - written).min(PIECE as u64))?;
        fill(&mut piece[..n], written);
        sealer.write_all(&piece[..n])?;
        written += n as u64;
    }
    sealer.finish()?.sync_all()?;
    let sealed_in = start.elapsed();
    let after_seal = peak_rss_kib();
    let body_len = std::fs::metadata(&path)?.len();

    let start = Instant::now();
    let mut opener = BodyOpener::new(File::open(&path)?, cipher()?, DEFAULT_CHUNK_LOG2)?;
    let mut read = 0u64;
    loop {
        let n = opener.read(&mut piece)?;
        if n == 0 {
            break;
        }
        if (read..).zip(&piece[..n]).any(|(offset, &b)| b != pattern(offset)) {
            return Err(format!("plaintext differs near offset {read}").into());
        }
        read += n as u64;
    }
    let opened_in = start.elapsed();
    let after_open = peak_rss_kib();
    std::fs::remove_file(&path)?;
    if read != total || !opener.is_done() {
        return Err(format!("opened {read} of {total} bytes").into());
    }

    let mib = total as f64 / f64::from(1 << 20);
    println!("plaintext {total} bytes, body {body_len} bytes, 64 KiB chunks, AES-256-GCM");
    println!(
        "seal {:.2?} ({:.0} MiB/s), open {:.2?} ({:.0} MiB/s)",
        sealed_in,
        mib / sealed_in.as_secs_f64(),
        opened_in,
        mib / opened_in.as_secs_f64()
    );
    println!("peak RSS (VmHWM): start {baseline} KiB, after sealing {after_seal} KiB, after opening {after_open} KiB");
    Ok(())
}

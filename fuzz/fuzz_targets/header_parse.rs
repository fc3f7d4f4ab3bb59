//! Parsing untrusted header bytes never panics, and memory stays within the
//! reader limits, whether the header comes as a slice or through a `Read`.
#![no_main]

use std::io::Read;

use coffer_envelope::{header_len, read_header, HeaderLength, HeaderView, ReaderLimits, Suite};
use libfuzzer_sys::fuzz_target;

/// A reader that hands out at most `step` bytes per call, so `read_header`
/// is exercised on short reads too.
struct Dribble<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn check(data: &[u8], limits: &ReaderLimits) {
    let prefix = HeaderView::parse_prefix(data, limits);
    let whole = HeaderView::parse(data, limits);
    if let Ok(view) = &whole {
        assert_eq!(view.len(), data.len());
    }
    if let Ok(view) = &prefix {
        assert!(view.len() <= limits.max_header_len());
        assert_eq!(
            header_len(data, limits).ok(),
            Some(HeaderLength::Exact(view.len()))
        );
        // Walking every accessor of a validated view must not panic.
        let _ = view.to_header();
        let _ = view.context().count();
        let _ = view.wrapped_keys().count();
        let _ = (
            view.core_bytes(),
            view.signed_bytes(),
            view.commitment(),
            view.tag(),
        );
    }
    let step = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut reader = Dribble { data, step };
    match read_header(&mut reader, limits) {
        Ok(bytes) => {
            assert!(bytes.len() <= limits.max_header_len());
            assert_eq!(&data[..bytes.len()], &bytes[..]);
            // Reading stops exactly at the end of the header.
            assert_eq!(reader.data.len(), data.len() - bytes.len());
            if let Ok(view) = &prefix {
                assert_eq!(bytes.len(), view.len());
            }
        }
        Err(_) => assert!(prefix.is_err(), "read_header failed on a parseable header"),
    }
}

fuzz_target!(|data: &[u8]| {
    check(data, &ReaderLimits::default());
    check(
        data,
        &ReaderLimits {
            max_chunk_log2: 24,
            max_context_len: 600,
            max_keys_len: 400,
            max_key_count: 2,
            allowed_suites: vec![Suite::ChaCha20Poly1305HkdfSha256],
        },
    );
});

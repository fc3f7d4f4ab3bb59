//! A header that parses re-serializes to exactly the bytes it came from:
//! the encoding is canonical.
#![no_main]

use coffer_envelope::{Header, HeaderView, ReaderLimits, Suite};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The widest limits the format allows, so every valid encoding parses.
    let limits = ReaderLimits {
        max_chunk_log2: 24,
        max_context_len: u16::MAX,
        max_keys_len: u16::MAX,
        max_key_count: u8::MAX,
        allowed_suites: Suite::ALL.to_vec(),
    };
    let Ok(view) = HeaderView::parse(data, &limits) else {
        return;
    };
    assert_eq!(view.as_bytes(), data);
    let header = view
        .to_header()
        .expect("a parsed header converts to the owned model");
    assert_eq!(header.to_bytes().expect("a parsed header serializes"), data);
    assert_eq!(header.signed_bytes().expect("signed bytes"), view.signed_bytes());
    assert_eq!(header.core.to_bytes().expect("core bytes"), view.core_bytes());
    assert_eq!(Header::parse(data, &limits).expect("owned parse agrees"), header);
    let context: Vec<_> = view.context().collect();
    let owned: Vec<_> = header.core.context.iter().collect();
    assert_eq!(context, owned);
    assert_eq!(view.wrapped_keys().len(), header.keys.len());
});

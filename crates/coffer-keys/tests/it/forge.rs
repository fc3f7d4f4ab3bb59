//! Taking sealed messages apart and putting forgeries together, for the
//! attack tests: split a message into its header and body, join them back,
//! re-tag a header under a known DEK with the design's formulas, and read
//! the reason of a cryptographic failure.
// Each test file uses a different subset.
#![allow(dead_code, reason = "each test module uses part of the shared fixtures")]

use coffer_keys::envelope::{Header, HeaderTag, HeaderView, ReaderLimits};
use coffer_keys::{CryptoReason, Error, Opened};

use crate::design::{hmac_sha256, schedule, transcript};

/// The audit reason of a cryptographic failure; panics on anything else.
pub(crate) fn reason(result: Result<Opened, Error>) -> CryptoReason {
    match result {
        Err(Error::Crypto(failure)) => failure.reason(),
        Err(other) => panic!("expected a cryptographic failure, got {other:?}"),
        Ok(_) => panic!("expected a cryptographic failure, message opened"),
    }
}

/// A sealed message's parsed header and its body bytes.
pub(crate) fn split(sealed: &[u8]) -> (Header, Vec<u8>) {
    let view = HeaderView::parse_prefix(sealed, &ReaderLimits::default()).unwrap();
    (view.to_header().unwrap(), sealed[view.len()..].to_vec())
}

/// A header's bytes followed by a body.
pub(crate) fn join(header: &Header, body: &[u8]) -> Vec<u8> {
    let mut out = header.to_bytes().unwrap();
    out.extend_from_slice(body);
    out
}

/// Sets the header tag to the one `dek` gives this header (sealed without
/// external AAD): HMAC-SHA256 under K_hdr of the schedule.
pub(crate) fn retag(header: &mut Header, dek: &[u8; 32]) {
    let th = transcript(&header.core.to_bytes().unwrap(), None);
    let keys = schedule(dek, header.core.suite.id(), &header.core.message_id.0, &th);
    header.tag = HeaderTag([0; 32]);
    header.tag = HeaderTag(hmac_sha256(&keys[76..108], &header.signed_bytes().unwrap()));
}

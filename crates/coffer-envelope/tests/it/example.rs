//! The worked example of the format specification: one complete header with
//! a context and two wrapped keys, built through the public API.

use coffer_envelope::{
    Commitment, Context, Core, Flags, Header, HeaderTag, KeyType, MessageId, Suite, WrappedKey,
};

/// `00 01 02 … 1f`: easy to spot in a hex dump.
#[allow(
    clippy::cast_possible_truncation,
    reason = "the count wraps at 256 on purpose"
)]
pub(crate) fn counting<const N: usize>(start: u8) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = start.wrapping_add(i as u8);
    }
    out
}

/// The example header: AES-256-GCM suite, 64 KiB chunks, two context
/// entries, a local (`01`) and an external (`03`) wrapped key.
pub(crate) fn example_header() -> Header {
    let mut context = Context::new();
    context.insert("purpose", b"invoice").expect("valid entry");
    context.insert("coffer.project", b"p-42").expect("valid entry");
    Header {
        core: Core {
            suite: Suite::Aes256GcmHkdfSha256,
            flags: Flags::NONE,
            chunk_log2: 16,
            message_id: MessageId(counting(0x00)),
            context,
        },
        commitment: Commitment(counting(0x20)),
        keys: vec![
            WrappedKey::new(
                KeyType::LOCAL,
                b"project:1".to_vec(),
                counting::<96>(0x40).to_vec(),
            )
            .expect("valid local record"),
            WrappedKey::new(KeyType::EXTERNAL, b"kms".to_vec(), b"kms-blob".to_vec())
                .expect("valid external record"),
        ],
        tag: HeaderTag(counting(0xe0)),
    }
}

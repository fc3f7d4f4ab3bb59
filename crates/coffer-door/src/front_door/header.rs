//! What the front door decides on from a document's header, read before
//! the decision (pure parsing; the open that follows an allowed decision
//! authenticates it all).

use std::io::Read;

use crate::session::keys::envelope::{read_header, HeaderView, KeyType, ReaderLimits, Suite};
use crate::session::keys::{self, KeyId as KeyLayerId};

use super::unlock::PROJECT_KEY_NAME;
use crate::policy::Attributes;
use crate::policy::Context;
use crate::policy::RequestDenial;
use crate::policy::{EnvelopeSuite, SessionSpec};

/// Context key of a document's plaintext size (decimal), committed so that
/// size rules can be decided on decrypt before the body is read.
pub(super) const SIZE_CONTEXT: &str = "coffer.size";

/// A document's header bytes and the facts read from them.
#[derive(Debug)]
pub(super) struct HeaderFacts {
    pub(super) bytes: Vec<u8>,
    pub(super) suite: Suite,
    /// The project key version wrapping the document.
    pub(super) version: Option<u32>,
    /// The user context entries, or why they cannot be policy context.
    pub(super) context: Result<Context, RequestDenial>,
    /// The committed plaintext size.
    pub(super) size: Option<u64>,
}

impl HeaderFacts {
    /// Reads the header from `envelope` (at most the reader limits allow)
    /// and the facts in it.
    pub(super) fn read(envelope: &mut impl Read, limits: &ReaderLimits) -> Result<Self, keys::Error> {
        let bytes = read_header(envelope, limits)?;
        let view = HeaderView::parse(&bytes, limits)?;
        let (suite, version, context, size) = (
            view.suite(),
            project_key_version(&view),
            policy_context(&view),
            committed_size(&view),
        );
        Ok(HeaderFacts {
            bytes,
            suite,
            version,
            context,
            size,
        })
    }

    /// The attributes a request on this document is decided with: the
    /// suite, context and size found in the envelope (read before the
    /// header is authenticated; all three are committed, so a forged value
    /// fails the open that follows an allowed decision).
    pub(super) fn attributes(facts: Option<&Self>, session: Option<SessionSpec>) -> Attributes {
        Attributes {
            context: facts
                .and_then(|f| f.context.as_ref().ok().cloned())
                .unwrap_or_default(),
            envelope_suite: facts.and_then(|f| EnvelopeSuite::try_from(f.suite).ok()),
            session,
            message_size: facts.and_then(|f| f.size),
            recipient: None,
        }
    }

    /// Why a request on this document cannot be evaluated, if it cannot.
    pub(super) fn refusal(facts: Option<&Self>) -> Option<RequestDenial> {
        facts.and_then(|f| f.context.as_ref().err().copied())
    }
}

/// User context entries of an envelope (the reserved `coffer.` entries
/// left out), as policy context. An envelope whose entries cannot all be
/// policy context (too many, or not UTF-8) cannot be evaluated: leaving
/// entries out would let context-scoped rules silently not apply.
fn policy_context(view: &HeaderView<'_>) -> Result<Context, RequestDenial> {
    let mut pairs = Vec::new();
    for (key, value) in view.context() {
        if key.starts_with(keys::envelope::RESERVED_PREFIX) {
            continue;
        }
        let value = core::str::from_utf8(value).map_err(|_| RequestDenial::UnreadableContext)?;
        pairs.push((key, value));
    }
    Context::from_pairs(pairs).map_err(|_| RequestDenial::UnreadableContext)
}

/// The committed plaintext size of a document the front door sealed.
fn committed_size(view: &HeaderView<'_>) -> Option<u64> {
    core::str::from_utf8(view.context_value(SIZE_CONTEXT)?)
        .ok()?
        .parse()
        .ok()
}

/// The project key version wrapping a document, from its header.
pub(super) fn project_key_version(view: &HeaderView<'_>) -> Option<u32> {
    view.wrapped_keys()
        .filter(|k| k.key_type == KeyType::LOCAL)
        .filter_map(|k| KeyLayerId::from_kid(k.kid).ok())
        .find(|id| id.name() == PROJECT_KEY_NAME)
        .map(|id| id.version())
}

//! What a decision is asked about.

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::role::{Operation, Role};
use crate::suite::{EnvelopeSuite, RecipientKem, SessionSpec};
use crate::target::Target;

/// The facts about an operation that algorithm rules look at.
///
/// Fields a rule needs but the request lacks are rule errors, not passes:
/// a blocking rule that cannot be evaluated denies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attributes {
    /// The request's context entries (what the envelope commits to).
    #[serde(default)]
    pub context: Context,
    /// The envelope suite: the one chosen for encrypt, the one actually in
    /// the envelope header for decrypt.
    #[serde(default)]
    pub envelope_suite: Option<EnvelopeSuite>,
    /// The session suite and key size, for operations that issue a session.
    #[serde(default)]
    pub session: Option<SessionSpec>,
    /// The plaintext size in bytes.
    #[serde(default)]
    pub message_size: Option<u64>,
    /// The algorithm of a new public-key recipient (a key registered, or a
    /// grant sealed to one), as `"x25519"` or `"xwing"`; left out of the
    /// serde form when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientKem>,
}

impl Attributes {
    /// Attributes of an envelope operation.
    pub fn envelope(suite: EnvelopeSuite, message_size: u64) -> Self {
        Self {
            envelope_suite: Some(suite),
            message_size: Some(message_size),
            ..Self::default()
        }
    }

    /// Attributes of a session issue.
    pub fn session(session: SessionSpec) -> Self {
        Self {
            session: Some(session),
            ..Self::default()
        }
    }

    /// Attributes of a new public-key recipient.
    pub fn recipient(kem: RecipientKem) -> Self {
        Self {
            recipient: Some(kem),
            ..Self::default()
        }
    }

    /// The same attributes with `context`.
    #[must_use]
    pub fn with_context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }
}

/// A complete policy request: operation, target, the principal's role on
/// the target (if any) and attributes. Used for dry runs and simulation;
/// [`crate::Authorizer::authorize`] builds the same thing from a principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// What is asked.
    pub operation: Operation,
    /// On what.
    pub target: Target,
    /// The asking principal's role on the target.
    #[serde(default)]
    pub role: Option<Role>,
    /// Algorithm and context facts.
    #[serde(default)]
    pub attributes: Attributes,
}

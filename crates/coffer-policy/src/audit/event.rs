//! Audit events: what happened, to what, decided how.
//!
//! Every field is an id, an enum, a number or a validated public token;
//! there is no field of a secret type and no free-text field, so no key,
//! password or plaintext can be put into an event.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::actor::Actor;
use crate::decision::{Decision, Effect, RequestDenial, Verdict};
use crate::id::{DocumentId, KeyId, OperatorId, Principal, ProjectId, ReasonCode, RuleId, TenantId};
use crate::membership::{Access, AccessDenial};
use crate::name::named_enum;
use crate::request::Attributes;
use crate::role::{Operation, Role};
use crate::rule::{Enforcement, RuleStatus, Severity};
use crate::suite::{EnvelopeSuite, SessionSpec};
use crate::target::Target;

/// A point in time: milliseconds since the Unix epoch (UTC).
///
/// Its text form (serde, [`Display`](fmt::Display), [`FromStr`]) is
/// RFC 3339 in UTC with exactly three fractional digits, for example
/// `2026-12-02T14:18:21.123Z`, from `1970-01-01T00:00:00.000Z` to
/// `9999-12-31T23:59:59.999Z`. Parsing is strict: only that form (a `Z`,
/// never an offset such as `+00:00`, exactly three digits, upper-case `T`
/// and `Z`), so each timestamp has one text. The audit chain hashes
/// [`Timestamp::unix_millis`] as a `u64`, never the text.
///
/// ```
/// use coffer_policy::audit::Timestamp;
/// let t: Timestamp = "2026-12-02T14:18:21.123Z".parse()?;
/// assert_eq!(t.unix_millis(), 1_796_221_101_123);
/// assert_eq!(t.to_string(), "2026-12-02T14:18:21.123Z");
/// assert!("2026-12-02T15:18:21.123+01:00".parse::<Timestamp>().is_err());
/// # Ok::<(), coffer_policy::audit::TimestampError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// The one text form of a [`Timestamp`].
const TEXT_FORM: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Text that is not a [`Timestamp`], or a timestamp that has no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text is not an RFC 3339 time of the form
    /// `2026-12-02T14:18:21.123Z`.
    #[error(
        "timestamp `{text}` is not of the form `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339, UTC, milliseconds)"
    )]
    Malformed {
        /// The offending text, cut to 64 characters.
        text: String,
    },
    /// The time is before the Unix epoch or after the year 9999.
    #[error("timestamp `{0}` ms is outside 1970-01-01 to 9999-12-31")]
    OutOfRange(i128),
}

impl Timestamp {
    /// The RFC 3339 text of this timestamp (see [`Timestamp`]); fails only
    /// after the year 9999.
    pub fn to_rfc3339(self) -> Result<String, TimestampError> {
        let out_of_range = || TimestampError::OutOfRange(i128::from(self.0));
        let nanos = i128::from(self.0) * 1_000_000;
        let time = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| out_of_range())?;
        time.format(TEXT_FORM).map_err(|_| out_of_range())
    }

    /// Parses the RFC 3339 text [`Timestamp::to_rfc3339`] writes, and only
    /// that text.
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampError> {
        let malformed = || TimestampError::Malformed {
            text: text.chars().take(64).collect(),
        };
        let time = PrimitiveDateTime::parse(text, TEXT_FORM)
            .map_err(|_| malformed())?
            .assume_utc();
        let ms = time.unix_timestamp_nanos() / 1_000_000;
        let stamp = u64::try_from(ms)
            .map(Self)
            .map_err(|_| TimestampError::OutOfRange(ms))?;
        // One text per timestamp: whatever the parser tolerated (a sign on
        // the year, say) is refused unless it is exactly the canonical form.
        if stamp.to_rfc3339().as_deref() != Ok(text) {
            return Err(malformed());
        }
        Ok(stamp)
    }
}

impl fmt::Display for Timestamp {
    /// The RFC 3339 text, or `<ms> ms since the epoch` after the year 9999.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_rfc3339() {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{} ms since the epoch", self.0),
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(text: &str) -> Result<Self, TimestampError> {
        Self::parse_rfc3339(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.to_rfc3339().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

impl Timestamp {
    /// The current time (the epoch if the clock is before it).
    pub fn now() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self(ms)
    }

    /// A timestamp of `ms` milliseconds since the epoch.
    pub const fn from_unix_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn unix_millis(self) -> u64 {
        self.0
    }
}

/// A key and version an operation used (names only, never key bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRef {
    /// The key's name.
    pub id: KeyId,
    /// The key's version.
    pub version: u32,
}

named_enum!(
    /// A rule's outcome as recorded.
    StatusCode, "rule status" {
        /// Satisfied.
        Satisfied = "satisfied",
        /// Violated.
        Violated = "violated",
        /// Could not be evaluated.
        Error = "error",
    }
);

/// One rule of a recorded decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleRecord {
    /// The rule.
    pub rule: RuleId,
    /// Severity applied.
    pub severity: Severity,
    /// Enforcement applied.
    pub enforcement: Enforcement,
    /// What the condition found.
    pub status: StatusCode,
    /// What that did.
    pub effect: Effect,
}

/// A decision as recorded: verdict, membership denial if any, every
/// applicable rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRecord {
    /// Digest of the policy that decided ([`crate::CompiledPolicy::digest`]).
    #[serde(with = "super::hex32")]
    pub policy: [u8; 32],
    /// The verdict.
    pub verdict: Verdict,
    /// Why membership refused, if it did.
    pub access: Option<AccessDenial>,
    /// Why the request itself was refused before the rules, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestDenial>,
    /// Every applicable rule.
    pub rules: Vec<RuleRecord>,
}

impl From<&Decision> for DecisionRecord {
    fn from(d: &Decision) -> Self {
        Self {
            policy: d.policy().policy_digest(),
            verdict: d.verdict(),
            access: match d.access() {
                Access::Granted(_) => None,
                Access::Denied { denial, .. } => Some(denial),
            },
            request: d.request_denial(),
            rules: d
                .policy()
                .results()
                .map(|(rule, r)| RuleRecord {
                    rule: rule.id.clone(),
                    severity: r.severity,
                    enforcement: r.enforcement,
                    status: match r.status {
                        RuleStatus::Satisfied => StatusCode::Satisfied,
                        RuleStatus::Violated(_) => StatusCode::Violated,
                        RuleStatus::Error(_) => StatusCode::Error,
                    },
                    effect: r.effect,
                })
                .collect(),
        }
    }
}

/// How the operation ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// Allowed and done.
    Succeeded,
    /// Allowed, and about to release plaintext: written before the first
    /// plaintext byte leaves, so no read goes unrecorded. A later record of
    /// the same call gives its final outcome; a `started` record with no
    /// such record after it is a read that was cut short (a crash, or the
    /// final record could not be written).
    Started,
    /// Refused by the decision; nothing was done.
    Denied,
    /// Allowed but failed while acting.
    Failed {
        /// A public reason code.
        reason: ReasonCode,
    },
}

/// Sizes involved, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sizes {
    /// Plaintext size.
    pub plaintext: Option<u64>,
    /// Envelope (ciphertext) size.
    pub ciphertext: Option<u64>,
}

/// One audited operation, allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// When.
    pub time: Timestamp,
    /// The target's tenant; none for an operator's call that spans
    /// tenants (installing the policy).
    pub tenant: Option<TenantId>,
    /// Who: a principal (with its own tenant, which differs from
    /// [`AuditEvent::tenant`] only in refused cross-tenant attempts) or an
    /// operator.
    pub principal: Actor,
    /// The principal's role on the target, if any; for an operator's call
    /// on a tenant role, the role granted or removed.
    pub role: Option<Role>,
    /// What.
    pub operation: Operation,
    /// The target project.
    pub project: Option<ProjectId>,
    /// The target document.
    pub document: Option<DocumentId>,
    /// The envelope suite used or found.
    pub envelope_suite: Option<EnvelopeSuite>,
    /// The session suite and key size.
    pub session: Option<SessionSpec>,
    /// The key and version used.
    pub key: Option<KeyRef>,
    /// The decision.
    pub decision: DecisionRecord,
    /// How it ended.
    pub outcome: Outcome,
    /// Sizes.
    pub sizes: Sizes,
    /// The principal an operator's call changed (a tenant role granted or
    /// removed); absent from the JSON form when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Principal>,
}

impl AuditEvent {
    /// The event for an authorization decision: target, attributes and the
    /// decision filled in; `outcome` is [`Outcome::Denied`] when the decision
    /// denies, whatever is passed. Set [`AuditEvent::key`] and
    /// [`AuditEvent::sizes`] after acting.
    pub fn for_decision(
        time: Timestamp,
        principal: &Principal,
        operation: Operation,
        target: &Target,
        attributes: &Attributes,
        decision: &Decision,
        outcome: Outcome,
    ) -> Self {
        Self {
            time,
            tenant: Some(target.tenant().clone()),
            principal: Actor::Principal(principal.clone()),
            role: decision.access().role(),
            operation,
            project: target.project().cloned(),
            document: target.document().cloned(),
            envelope_suite: attributes.envelope_suite,
            session: attributes.session,
            key: None,
            decision: DecisionRecord::from(decision),
            outcome: if decision.is_allowed() {
                outcome
            } else {
                Outcome::Denied
            },
            sizes: Sizes {
                plaintext: attributes.message_size,
                ciphertext: None,
            },
            subject: None,
        }
    }

    /// The event for an operator's call, which no membership or rule
    /// decides: `operator` acted, on `tenant` (none for a call that spans
    /// tenants), under the policy of digest `policy` (for an installation,
    /// the policy installed); the decision is recorded as an allow with no
    /// rules, the outcome as a success. Set [`AuditEvent::subject`] and
    /// [`AuditEvent::role`] for a call on a principal's role.
    pub fn for_operator(
        time: Timestamp,
        operator: &OperatorId,
        operation: Operation,
        tenant: Option<&TenantId>,
        policy: [u8; 32],
    ) -> Self {
        Self {
            time,
            tenant: tenant.cloned(),
            principal: Actor::Operator(operator.clone()),
            role: None,
            operation,
            project: None,
            document: None,
            envelope_suite: None,
            session: None,
            key: None,
            decision: DecisionRecord {
                policy,
                verdict: Verdict::Allow,
                access: None,
                request: None,
                rules: Vec::new(),
            },
            outcome: Outcome::Succeeded,
            sizes: Sizes::default(),
            subject: None,
        }
    }
}

//! Evaluating one condition against a request's attributes.

use std::fmt;

use super::Condition;
use crate::request::Attributes;
use crate::suite::{EnvelopeSuite, RecipientKem, SessionSpec, SessionSuite};

/// A request field a rule needed and did not get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingField {
    /// No envelope suite.
    EnvelopeSuite,
    /// No session suite and key size.
    Session,
    /// No message size.
    MessageSize,
    /// Neither an envelope suite nor a session (nor a recipient).
    Suite,
    /// No recipient algorithm.
    RecipientAlgorithm,
}

impl MissingField {
    const fn words(self) -> &'static str {
        match self {
            MissingField::EnvelopeSuite => "envelope suite",
            MissingField::Session => "session suite",
            MissingField::MessageSize => "message size",
            MissingField::Suite => "envelope or session suite",
            MissingField::RecipientAlgorithm => "recipient algorithm",
        }
    }
}

/// How a request breaks a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Violation {
    /// The envelope suite is not in the allow-list.
    EnvelopeSuiteNotAllowed(EnvelopeSuite),
    /// The envelope suite is in the deny-list.
    EnvelopeSuiteDenied(EnvelopeSuite),
    /// The session suite is not in the allow-list.
    SessionSuiteNotAllowed(SessionSuite),
    /// The session suite is in the deny-list.
    SessionSuiteDenied(SessionSuite),
    /// The session key is too small.
    KeyTooSmall {
        /// The session's key size.
        bits: u32,
        /// The rule's minimum.
        min: u32,
    },
    /// The envelope suite is not FIPS-approved.
    EnvelopeSuiteNotFips(EnvelopeSuite),
    /// The session is not FIPS-approved (suite or key size).
    SessionNotFips(SessionSpec),
    /// The recipient algorithm is not in the allow-list.
    RecipientNotAllowed(RecipientKem),
    /// The recipient algorithm is not FIPS-approved.
    RecipientNotFips(RecipientKem),
    /// The message is too large.
    MessageTooLarge {
        /// The message size.
        size: u64,
        /// The rule's maximum.
        max: u64,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::EnvelopeSuiteNotAllowed(s) => {
                write!(f, "envelope suite `{s}` is not allowed")
            }
            Violation::EnvelopeSuiteDenied(s) => write!(f, "envelope suite `{s}` is denied"),
            Violation::SessionSuiteNotAllowed(s) => write!(f, "session suite `{s}` is not allowed"),
            Violation::SessionSuiteDenied(s) => write!(f, "session suite `{s}` is denied"),
            Violation::KeyTooSmall { bits, min } => write!(f, "key of {bits} bits is below {min}"),
            Violation::EnvelopeSuiteNotFips(s) => {
                write!(f, "envelope suite `{s}` is not FIPS-approved")
            }
            Violation::SessionNotFips(s) => write!(f, "session `{s}` is not FIPS-approved"),
            Violation::RecipientNotAllowed(k) => write!(f, "recipient algorithm `{k}` is not allowed"),
            Violation::RecipientNotFips(k) => write!(f, "recipient algorithm `{k}` is not FIPS-approved"),
            Violation::MessageTooLarge { size, max } => {
                write!(f, "message of {size} bytes exceeds {max}")
            }
        }
    }
}

/// The outcome of evaluating one rule's condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleStatus {
    /// The request meets the condition.
    Satisfied,
    /// The request breaks the condition.
    Violated(Violation),
    /// The condition could not be evaluated: the request lacks a field.
    /// Treated as a violation (fail closed).
    Error(MissingField),
}

impl RuleStatus {
    /// Whether this counts against the request (violation or error).
    pub const fn is_failure(&self) -> bool {
        !matches!(self, RuleStatus::Satisfied)
    }
}

impl fmt::Display for RuleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleStatus::Satisfied => f.write_str("satisfied"),
            RuleStatus::Violated(v) => write!(f, "violated: {v}"),
            RuleStatus::Error(m) => write!(f, "error: the request carries no {}", m.words()),
        }
    }
}

fn session_fips_ok(s: SessionSpec) -> bool {
    // SP 800-131A: RSA key transport needs at least 2048-bit moduli.
    s.suite.is_fips_approved() && (s.suite != SessionSuite::RsaOaep256 || s.key_bits >= 2048)
}

impl Condition {
    /// Evaluates the condition on `attrs`.
    pub fn check(&self, attrs: &Attributes) -> RuleStatus {
        use RuleStatus::{Error, Satisfied, Violated};
        let env = attrs.envelope_suite.ok_or(MissingField::EnvelopeSuite);
        let ses = attrs.session.ok_or(MissingField::Session);
        let result: Result<RuleStatus, MissingField> = (|| {
            Ok(match self {
                Condition::AllowEnvelopeSuites(list) => {
                    let s = env?;
                    if list.contains(&s) {
                        Satisfied
                    } else {
                        Violated(Violation::EnvelopeSuiteNotAllowed(s))
                    }
                }
                Condition::DenyEnvelopeSuites(list) => {
                    let s = env?;
                    if list.contains(&s) {
                        Violated(Violation::EnvelopeSuiteDenied(s))
                    } else {
                        Satisfied
                    }
                }
                Condition::AllowSessionSuites(list) => {
                    let s = ses?.suite;
                    if list.contains(&s) {
                        Satisfied
                    } else {
                        Violated(Violation::SessionSuiteNotAllowed(s))
                    }
                }
                Condition::DenySessionSuites(list) => {
                    let s = ses?.suite;
                    if list.contains(&s) {
                        Violated(Violation::SessionSuiteDenied(s))
                    } else {
                        Satisfied
                    }
                }
                Condition::MinKeyBits { suite, bits } => {
                    let s = ses?;
                    if s.suite == *suite && s.key_bits < *bits {
                        Violated(Violation::KeyTooSmall {
                            bits: s.key_bits,
                            min: *bits,
                        })
                    } else {
                        Satisfied
                    }
                }
                Condition::Fips(super::FipsProfile::Disabled) => Satisfied,
                Condition::Fips(_) => match (attrs.envelope_suite, attrs.session) {
                    _ if attrs.recipient.is_some_and(|k| !k.is_fips_approved()) => Violated(
                        Violation::RecipientNotFips(attrs.recipient.ok_or(MissingField::Suite)?),
                    ),
                    (None, None) if attrs.recipient.is_none() => return Err(MissingField::Suite),
                    (Some(e), _) if !e.is_fips_approved() => Violated(Violation::EnvelopeSuiteNotFips(e)),
                    (_, Some(s)) if !session_fips_ok(s) => Violated(Violation::SessionNotFips(s)),
                    _ => Satisfied,
                },
                Condition::AllowRecipientAlgorithms(list) => {
                    let k = attrs.recipient.ok_or(MissingField::RecipientAlgorithm)?;
                    if list.contains(&k) {
                        Satisfied
                    } else {
                        Violated(Violation::RecipientNotAllowed(k))
                    }
                }
                Condition::MaxMessageSize(max) => {
                    let size = attrs.message_size.ok_or(MissingField::MessageSize)?;
                    if size > *max {
                        Violated(Violation::MessageTooLarge { size, max: *max })
                    } else {
                        Satisfied
                    }
                }
            })
        })();
        result.unwrap_or_else(Error)
    }
}

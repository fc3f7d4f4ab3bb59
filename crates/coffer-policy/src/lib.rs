//! coffer layer 4: who may do what, with which algorithms, explained.
//!
//! Its central type is the [`Authorizer`]: membership and a compiled policy
//! in, one [`Decision`] out. This crate only decides; the layers above
//! record (`coffer-audit`) and serve (`coffer-door`, with the front door).
//!
//! - [`Membership`]: tenants, projects, principals and their [`Role`]s,
//!   with tenant isolation and default deny.
//! - [`Policy`] / [`CompiledPolicy`]: algorithm rules (suite allow/deny
//!   lists, minimum key sizes, FIPS profile, session suites, message size)
//!   scoped global → tenant → project → context, with severities and
//!   enforcement modes, loaded from JSON or TOML and compiled into an index.
//! - [`Authorizer::authorize`]: one call returning a [`Decision`] that lists
//!   every applicable rule with its outcome and reason; deny overrides.
//! - [`simulate`]: what a candidate policy would change over sample requests.
//! - [`Timestamp`]: the one clock of the layers above (RFC 3339 text,
//!   milliseconds since the epoch).
//!
//! ```
//! use coffer_policy::*;
//! let acme = TenantId::new("acme")?;
//! let docs = ProjectId::new("docs")?;
//! let ann = Principal::new(acme.clone(), PrincipalId::new("ann")?);
//! let mut members = Membership::new();
//! members.create_project(&acme, &docs)?;
//! members.assign(&acme, &docs, &ann, Role::Owner)?;
//! let authz = Authorizer::new(members, Policy::default().compile());
//! let target = Target::for_project(acme, docs);
//! let attrs = Attributes::envelope(EnvelopeSuite::Aes256GcmHkdfSha256, 1024);
//! assert!(authz.authorize(&ann, Operation::Encrypt, &target, &attrs).is_allowed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

#[doc(inline)]
pub use coffer_session as session;
#[doc(inline)]
pub use coffer_session::envelope;
#[doc(inline)]
pub use coffer_session::keys;

mod authorizer;
mod context;
mod decision;
mod id;
mod membership;
mod name;
mod policy;
mod request;
mod role;
mod rule;
mod simulate;
mod suite;
mod target;
mod timestamp;

pub use authorizer::Authorizer;
pub use context::{Context, ContextError, MAX_CONTEXT_ENTRIES, MAX_CONTEXT_KEY_LEN, MAX_CONTEXT_VALUE_LEN};
pub use decision::{Decision, Effect, Explanation, PolicyDecision, RequestDenial, RuleResult, Verdict};
pub use id::{
    DocumentId, IdError, KeyName, OperatorId, Principal, PrincipalId, ProjectId, ReasonCode, RuleId,
    TenantId, MAX_ID_LEN,
};
pub use membership::{Access, AccessDenial, Membership, MembershipError, ProjectMembers};
pub use name::UnknownName;
pub use policy::{
    CompiledPolicy, Policy, PolicyDocumentError, PolicyError, RuleError, MAX_POLICY_DOCUMENT_BYTES,
    MAX_RULES, POLICY_DOCUMENT_VERSION,
};
pub use request::{Attributes, Request};
pub use role::{Operation, Role, TargetLevel};
pub use rule::{
    Condition, ContextMatch, Enforcement, FipsProfile, MissingField, Rule, RuleStatus, Scope, ScopeLevel,
    Severity, Violation,
};
pub use simulate::{simulate, Counts, DecisionChange, Simulation};
pub use suite::{envelope_suite_name, EnvelopeSuite, RecipientKem, SessionSpec, SessionSuite};
pub use target::{DocumentRef, DocumentWithoutProject, ProjectRef, Target};
pub use timestamp::{Timestamp, TimestampError};

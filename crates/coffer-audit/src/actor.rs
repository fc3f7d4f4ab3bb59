//! Who made an audited call: a principal, or an operator of the service.

use serde::{Deserialize, Serialize};

use coffer_policy::{OperatorId, Principal};

/// Who made an audited call.
///
/// Serde (the `principal` field of an [`AuditEvent`](super::AuditEvent)):
/// a principal is `{"tenant": "acme", "id": "ann"}`, as it always was, and
/// an operator is `{"operator": "ops"}`; unknown fields are refused.
///
/// ```
/// use coffer_audit::Actor;
/// use coffer_audit::policy::OperatorId;
/// let ops = Actor::Operator(OperatorId::new("ops")?);
/// assert_eq!(serde_json::to_string(&ops)?, r#"{"operator":"ops"}"#);
/// let ann: Actor = serde_json::from_str(r#"{"tenant":"acme","id":"ann"}"#)?;
/// assert_eq!(ann.principal().map(ToString::to_string).as_deref(), Some("acme/ann"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Form", into = "Form")]
pub enum Actor {
    /// A principal, deciding on its own calls through the front door.
    Principal(Principal),
    /// An operator of the service (tenant roles, the policy): not decided
    /// by membership or rules.
    Operator(OperatorId),
}

/// The serde form: a principal's object, or `{"operator": …}`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Form {
    Principal(Principal),
    Operator(OperatorForm),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorForm {
    operator: OperatorId,
}

impl From<Form> for Actor {
    fn from(form: Form) -> Self {
        match form {
            Form::Principal(principal) => Actor::Principal(principal),
            Form::Operator(OperatorForm { operator }) => Actor::Operator(operator),
        }
    }
}

impl From<Actor> for Form {
    fn from(actor: Actor) -> Self {
        match actor {
            Actor::Principal(principal) => Form::Principal(principal),
            Actor::Operator(operator) => Form::Operator(OperatorForm { operator }),
        }
    }
}

impl Actor {
    /// The principal, when a principal acted.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Actor::Principal(principal) => Some(principal),
            Actor::Operator(_) => None,
        }
    }

    /// The operator, when an operator acted.
    pub fn operator(&self) -> Option<&OperatorId> {
        match self {
            Actor::Operator(operator) => Some(operator),
            Actor::Principal(_) => None,
        }
    }
}

impl From<Principal> for Actor {
    fn from(principal: Principal) -> Self {
        Actor::Principal(principal)
    }
}

impl PartialEq<Principal> for Actor {
    fn eq(&self, other: &Principal) -> bool {
        self.principal() == Some(other)
    }
}

impl std::fmt::Display for Actor {
    /// `tenant/principal` for a principal, `operator:<id>` for an operator.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Principal(principal) => principal.fmt(f),
            Actor::Operator(operator) => write!(f, "operator:{operator}"),
        }
    }
}

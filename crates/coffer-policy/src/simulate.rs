//! Simulation: what a candidate policy would do to a set of sample requests,
//! compared with the current policy.

use serde::Serialize;

use crate::decision::Verdict;
use crate::policy::CompiledPolicy;
use crate::request::Request;

/// How many requests a policy allows, warns on and denies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Allowed without warnings.
    pub allowed: usize,
    /// Allowed with warnings.
    pub warned: usize,
    /// Denied.
    pub denied: usize,
}

impl Counts {
    fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Allow => self.allowed += 1,
            Verdict::AllowWithWarnings => self.warned += 1,
            Verdict::Deny => self.denied += 1,
        }
    }
}

/// A sample whose verdict differs between the two policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DecisionChange {
    /// Position of the request in the samples.
    pub index: usize,
    /// Verdict under the current policy.
    pub current: Verdict,
    /// Verdict under the candidate.
    pub candidate: Verdict,
}

/// The result of [`simulate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Simulation {
    /// Verdicts under the current policy.
    pub current: Counts,
    /// Verdicts under the candidate policy.
    pub candidate: Counts,
    /// Every request whose verdict changes, in sample order.
    pub changes: Vec<DecisionChange>,
}

/// Evaluates every sample under both policies (a dry run: nothing acts) and
/// reports the counts and the requests whose verdict changes.
///
/// ```
/// use coffer_policy::*;
/// let current = Policy::default().compile();
/// let candidate = Policy::from_toml(r#"
///     version = 1
///     [[rules]]
///     id = "aes-only"
///     condition = { allow_envelope_suites = ["AES-256-GCM/HKDF-SHA256"] }
/// "#)?.compile();
/// let target = Target::for_project(TenantId::new("acme")?, ProjectId::new("p")?);
/// let sample = |suite| Request {
///     operation: Operation::Encrypt,
///     target: target.clone(),
///     role: Some(Role::Editor),
///     attributes: Attributes::envelope(suite, 10),
/// };
/// let samples = [
///     sample(EnvelopeSuite::Aes256GcmHkdfSha256),
///     sample(EnvelopeSuite::ChaCha20Poly1305HkdfSha256),
/// ];
/// let report = simulate(&current, &candidate, &samples);
/// assert_eq!(report.candidate.denied, 1);
/// assert_eq!(report.changes.len(), 1);
/// assert_eq!(report.changes[0].index, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn simulate(current: &CompiledPolicy, candidate: &CompiledPolicy, samples: &[Request]) -> Simulation {
    let mut report = Simulation::default();
    for (index, request) in samples.iter().enumerate() {
        let before = current.evaluate(request).verdict();
        let after = candidate.evaluate(request).verdict();
        report.current.add(before);
        report.candidate.add(after);
        if before != after {
            report.changes.push(DecisionChange {
                index,
                current: before,
                candidate: after,
            });
        }
    }
    report
}

//! The policy digest: SHA-256 over a canonical encoding of the rules.

use ring::digest;

use crate::rule::{Condition, Enforcement, Rule};
use coffer_session::canonical::Encoder;

const DOMAIN: &[u8] = b"coffer-policy/v1 policy\x00";

fn names<T: Copy + Into<&'static str>>(w: &mut Encoder, items: &[T]) {
    w.list(items, |w, i| w.str((*i).into()));
}

fn rule(w: &mut Encoder, r: &Rule) {
    w.str(r.id.as_str());
    w.opt(r.description.as_deref(), Encoder::str);
    w.opt(r.scope.tenant.as_ref(), |w, t| w.str(t.as_str()));
    w.opt(r.scope.project.as_ref(), |w, p| w.str(p.as_str()));
    w.opt(r.scope.context.as_ref(), |w, c| {
        w.str(&c.key);
        w.str(&c.value);
    });
    w.opt(r.operations.as_deref(), names);
    w.opt(r.roles.as_deref(), names);
    w.str(r.severity.name());
    w.opt(r.enforcement, |w, e| w.str(e.name()));
    w.str(r.condition.name());
    match &r.condition {
        Condition::AllowEnvelopeSuites(s) | Condition::DenyEnvelopeSuites(s) => names(w, s),
        Condition::AllowSessionSuites(s) | Condition::DenySessionSuites(s) => names(w, s),
        Condition::MinKeyBits { suite, bits } => {
            w.str(suite.name());
            w.u32(*bits);
        }
        Condition::Fips(p) => w.str(p.name()),
        Condition::MaxMessageSize(max) => w.u64(*max),
        Condition::AllowRecipientAlgorithms(k) => names(w, k),
    }
}

pub(super) fn digest(enforcement: Enforcement, rules: &[Rule]) -> [u8; 32] {
    let mut w = Encoder::default();
    w.fixed(DOMAIN);
    w.str(enforcement.name());
    w.list(rules, rule);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, &w.finish()).as_ref());
    out
}

//! The canonical byte encoding of audit events that the chain hashes.
//!
//! One event has exactly one encoding, independent of how it was stored
//! (JSON field order, whitespace, escapes). Enums are written by their
//! canonical names. The layout is specified in `docs/AUDIT.md`.

use super::actor::Actor;
use super::event::{AuditEvent, Outcome};
use crate::session::canonical::Encoder;
use coffer_policy::TenantId;

pub(super) fn encode_event(e: &AuditEvent) -> Vec<u8> {
    let mut w = Encoder::default();
    w.u64(e.time.unix_millis());
    // Ids are never empty, so the empty string marks what is not an id
    // here (no tenant; an operator in a principal's place) without a tag
    // that would change the encoding, and the hash, of every other event.
    w.str(e.tenant.as_ref().map_or("", TenantId::as_str));
    match &e.principal {
        Actor::Principal(p) => {
            w.str(p.tenant.as_str());
            w.str(p.id.as_str());
        }
        Actor::Operator(operator) => {
            w.str("");
            w.str(operator.as_str());
        }
    }
    w.opt(e.role, |w, r| w.str(r.name()));
    w.str(e.operation.name());
    w.opt(e.project.as_ref(), |w, p| w.str(p.as_str()));
    w.opt(e.document.as_ref(), |w, d| w.str(d.as_str()));
    w.opt(e.envelope_suite, |w, s| w.str(s.name()));
    w.opt(e.session, |w, s| {
        w.str(s.suite.name());
        w.u32(s.key_bits);
    });
    w.opt(e.key.as_ref(), |w, k| {
        w.str(k.id.as_str());
        w.u32(k.version);
    });
    let d = &e.decision;
    w.fixed(&d.policy);
    w.str(d.verdict.name());
    w.opt(d.access, |w, a| w.str(a.name()));
    w.opt(d.request, |w, r| w.str(r.name()));
    w.list(&d.rules, |w, r| {
        w.str(r.rule.as_str());
        w.str(r.severity.name());
        w.str(r.enforcement.name());
        w.str(r.status.name());
        w.str(r.effect.name());
    });
    match &e.outcome {
        Outcome::Succeeded => w.str("succeeded"),
        Outcome::Started => w.str("started"),
        Outcome::Denied => w.str("denied"),
        Outcome::Failed { reason } => {
            w.str("failed");
            w.str(reason.as_str());
        }
    }
    w.opt(e.sizes.plaintext, Encoder::u64);
    w.opt(e.sizes.ciphertext, Encoder::u64);
    // Only events with a subject carry more bytes: every event without one
    // encodes as before.
    if let Some(subject) = &e.subject {
        w.str("subject");
        w.str(subject.tenant.as_str());
        w.str(subject.id.as_str());
    }
    w.finish()
}

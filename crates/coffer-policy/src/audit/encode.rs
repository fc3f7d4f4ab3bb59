//! The canonical byte encoding of audit events that the chain hashes.
//!
//! One event has exactly one encoding, independent of how it was stored
//! (JSON field order, whitespace, escapes): strings are length-prefixed,
//! optional fields carry a presence byte, enums are written by their
//! canonical names.

use super::event::{AuditEvent, Outcome};

#[derive(Default)]
pub(super) struct Encoder(Vec<u8>);

impl Encoder {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    fn str(&mut self, s: &str) {
        // Strings in events are ids and names of at most a few hundred bytes;
        // saturate rather than truncate-cast so a bug cannot alias encodings.
        self.u32(u32::try_from(s.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(s.as_bytes());
    }

    fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }

    pub(super) fn event(mut self, e: &AuditEvent) -> Vec<u8> {
        self.u64(e.time.unix_millis());
        self.str(e.tenant.as_str());
        self.str(e.principal.tenant.as_str());
        self.str(e.principal.id.as_str());
        self.opt(e.role, |w, r| w.str(r.name()));
        self.str(e.operation.name());
        self.opt(e.project.as_ref(), |w, p| w.str(p.as_str()));
        self.opt(e.document.as_ref(), |w, d| w.str(d.as_str()));
        self.opt(e.envelope_suite, |w, s| w.str(s.name()));
        self.opt(e.session, |w, s| {
            w.str(s.suite.name());
            w.u32(s.key_bits);
        });
        self.opt(e.key.as_ref(), |w, k| {
            w.str(k.id.as_str());
            w.u32(k.version);
        });
        let d = &e.decision;
        self.str(d.verdict.name());
        self.opt(d.access, |w, a| w.str(a.name()));
        self.u32(u32::try_from(d.rules.len()).unwrap_or(u32::MAX));
        for r in &d.rules {
            self.str(r.rule.as_str());
            self.str(r.severity.name());
            self.str(r.enforcement.name());
            self.str(r.status.name());
            self.str(r.effect.name());
        }
        match &e.outcome {
            Outcome::Succeeded => self.str("succeeded"),
            Outcome::Denied => self.str("denied"),
            Outcome::Failed { reason } => {
                self.str("failed");
                self.str(reason.as_str());
            }
        }
        self.opt(e.sizes.plaintext, Self::u64);
        self.opt(e.sizes.ciphertext, Self::u64);
        self.0
    }
}

//! coffer: layered document protection.
#![forbid(unsafe_code)]

pub use coffer_policy as policy;
pub use coffer_policy::session;
pub use coffer_policy::session::keys;
pub use coffer_policy::session::keys::envelope;

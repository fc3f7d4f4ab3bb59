//! coffer layer 6: the front door, where an application's calls come in.
//!
//! Its central type is the [`FrontDoor`]: every operation (create a
//! project, encrypt, decrypt, download through a browser session, change
//! a password, rotate, add a member, read the audit trail) is authorized
//! by the policy layer, performed with the key and session layers, and
//! audited, and its state change and audit record commit together in one
//! transaction on a [`Store`]. The [`store`] module holds that port, the
//! changes a call makes ([`store::Change`]), their reference semantics
//! ([`store::Snapshot`]) and an in-memory store ([`MemoryStore`]);
//! `coffer-store` implements it on SQLite and PostgreSQL.
//!
//! ```
//! use coffer_door::policy::{Context, DocumentId, DocumentRef, Principal, PrincipalId, ProjectId, Role, TenantId};
//! use coffer_door::session::{SessionConfig, SessionService};
//! use coffer_door::keys::Password;
//! use coffer_door::audit::AuditKey;
//! use coffer_door::{FrontDoor, FrontDoorConfig, MemoryStore, Source};
//!
//! let acme = TenantId::new("acme")?;
//! let alice = Principal::new(acme.clone(), PrincipalId::new("alice")?);
//! let door = FrontDoor::setup(
//!     FrontDoorConfig::default(),
//!     MemoryStore::new(AuditKey::from_bytes([7; 32]))?,
//!     SessionService::new(SessionConfig::default())?,
//! )
//! .tenant_role(&alice, Role::Owner) // seeds an empty store only
//! .open()?;
//!
//! let payroll = ProjectId::new("payroll")?;
//! let password = Password::new("correct horse battery staple");
//! door.create_project(&alice, &payroll, &password)?;
//! let march = DocumentRef::new(acme, payroll, DocumentId::new("march.csv")?);
//! let envelope = door.encrypt(&alice, &march, b"alice,100", &Context::new(), &password)?;
//! let mut plaintext = Vec::new();
//! // One call opens every document: a stored or a given envelope, with the
//! // password, a browser's session message or a member's identity.
//! door.open_document(&alice, &march, Source::Envelope(&envelope[..]), &password, &mut plaintext)?;
//! assert_eq!(plaintext, b"alice,100");
//! assert_eq!(door.verify_chain(None)?.count, 4); // project, encrypt, decrypt started, decrypt outcome
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `docs/ARCHITECTURE.md` for the walk of one call through the layers
//! and `docs/STORE.md` for the store's contract.
#![forbid(unsafe_code)]

#[doc(inline)]
pub use coffer_audit as audit;
#[doc(inline)]
pub use coffer_audit::{envelope, keys, policy, session};

mod front_door;
pub mod store;

pub use front_door::{
    Credential, FrontDoor, FrontDoorConfig, FrontDoorError, LengthSeen, PasswordCredential, Plaintext,
    PolicyReport, Receipt, RewrapFailure, RewrapProgress, RewrapSummary, Sealed, Setup, Source, TrailReport,
    UnknownScope, DOCUMENT_CONTEXT, DOWNLOAD_PURPOSE, MEMBER_CONTEXT, PASSWORD_PURPOSE, PROJECT_CONTEXT,
    TENANT_CONTEXT,
};
pub use store::{MemoryStore, Store, StoreError, Transaction};

//! A front door on any backend, and the calls the front-door tests share.

use std::time::Duration;

use coffer_door::keys::Password;
use coffer_door::policy::*;
use coffer_door::session::{client, OnEmpty, PoolConfig, SessionConfig, SessionService};
use coffer_door::store::Store;
use coffer_door::*;

use super::backends::Backend;

pub(crate) const FIRST: &str = "correct horse battery staple";
pub(crate) const SECOND: &str = "a much better passphrase";

pub(crate) fn id<T>(make: impl FnOnce(&'static str) -> Result<T, IdError>, text: &'static str) -> T {
    make(text).unwrap()
}

pub(crate) fn principal(name: &'static str) -> Principal {
    Principal::new(id(TenantId::new, "acme"), id(PrincipalId::new, name))
}

pub(crate) fn sessions() -> SessionService {
    SessionService::new(SessionConfig {
        pool: PoolConfig {
            workers: 0,
            on_empty: OnEmpty::GenerateInline,
            ..PoolConfig::default()
        },
        ..SessionConfig::default()
    })
    .unwrap()
}

pub(crate) fn config() -> FrontDoorConfig {
    FrontDoorConfig {
        download_suite: session::Suite::EcdhP256,
        unlock_cache: Some(Duration::from_secs(60)),
        ..FrontDoorConfig::default()
    }
}

/// A front door on the backend's store, seeding an empty store.
pub(crate) fn door<B: Backend>(backend: &B) -> FrontDoor<B::S> {
    let policy = Policy::from_json(
        r#"{"version": 1, "rules": [{"id": "fips", "scope": {"tenant": "acme"}, "condition": {"fips": "enabled"}}]}"#,
    )
    .unwrap();
    FrontDoor::setup(config(), backend.open(), sessions())
        .tenant_role(&principal("olga"), Role::Owner)
        .policy(&policy, "ops")
        .open()
        .unwrap()
}

pub(crate) fn project() -> ProjectRef {
    ProjectRef::new(id(TenantId::new, "acme"), id(ProjectId::new, "payroll"))
}

pub(crate) fn doc(name: &'static str) -> DocumentRef {
    DocumentRef::new(
        id(TenantId::new, "acme"),
        id(ProjectId::new, "payroll"),
        id(DocumentId::new, name),
    )
}

pub(crate) fn read<S: Store>(
    door: &FrontDoor<S>,
    who: &Principal,
    name: &'static str,
    envelope: &[u8],
    password: &str,
) -> Result<(Vec<u8>, u32), FrontDoorError> {
    let mut out = Vec::new();
    let receipt = door.open_document(
        who,
        &doc(name),
        Source::Envelope(envelope),
        &Password::new(password),
        &mut out,
    )?;
    Ok((out, receipt.key_version))
}

pub(crate) fn download<S: Store>(
    door: &FrontDoor<S>,
    who: &Principal,
    name: &'static str,
    envelope: &[u8],
    password: &str,
) -> Result<Vec<u8>, FrontDoorError> {
    let offer = door.issue_download(who, &doc(name), Source::Envelope(envelope))?;
    let message = client::encrypt(&offer, password.as_bytes()).unwrap();
    let mut out = Vec::new();
    door.open_document(who, &doc(name), Source::Envelope(envelope), &message, &mut out)?;
    Ok(out)
}

pub(crate) fn denied<T: std::fmt::Debug>(result: Result<T, FrontDoorError>) -> bool {
    matches!(result, Err(FrontDoorError::Denied { .. }))
}

pub(crate) fn crypto<T: std::fmt::Debug>(result: Result<T, FrontDoorError>) -> bool {
    matches!(result, Err(FrontDoorError::Keys(keys::Error::Crypto(_))))
}

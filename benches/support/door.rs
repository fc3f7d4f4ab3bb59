//! A front door for benches: tenant `acme`, its Owner `olga`, project
//! `payroll` created, downloads over ECDH, the unlock cache on, no
//! background RSA generation competing with the measurement.

use std::time::Duration;

use coffer::keys::Password;
use coffer::policy::store::Store;
use coffer::policy::*;
use coffer::session::{PoolConfig, SessionConfig, SessionService};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// The door, its Owner, the target document `payroll/payslip` and the
/// project password.
pub(crate) struct BenchDoor<S: Store> {
    pub(crate) door: FrontDoor<S>,
    pub(crate) owner: Principal,
    pub(crate) target: DocumentRef,
    pub(crate) password: Password,
}

pub(crate) fn bench_door<S: Store>(store: S) -> BenchDoor<S> {
    let acme = TenantId::new("acme").unwrap();
    let owner = Principal::new(acme.clone(), PrincipalId::new("olga").unwrap());
    let sessions = SessionService::new(SessionConfig {
        pool: PoolConfig {
            workers: 0,
            ..PoolConfig::default()
        },
        ..SessionConfig::default()
    })
    .unwrap();
    let config = FrontDoorConfig {
        unlock_cache: Some(Duration::from_secs(3600)),
        download_suite: session::Suite::EcdhP256,
        ..FrontDoorConfig::default()
    };
    let door = FrontDoor::setup(config, store, sessions)
        .tenant_role(&owner, Role::Owner)
        .open()
        .unwrap();
    let payroll = ProjectId::new("payroll").unwrap();
    let password = Password::new(PASSWORD);
    door.create_project(&owner, &payroll, &password).unwrap();
    BenchDoor {
        door,
        owner,
        target: DocumentRef::new(acme, payroll, DocumentId::new("payslip").unwrap()),
        password,
    }
}

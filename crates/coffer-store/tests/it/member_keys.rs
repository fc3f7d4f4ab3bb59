//! Public-key members on SQLite and PostgreSQL: registered keys and grants
//! survive a restart, identities still open stored documents after it, and
//! a removal deletes the member's grant rows for good.

use crate::backends;
use crate::door;

use backends::{Backend, Postgres, Sqlite};
use coffer_door::keys::{Identity, KemAlgorithm, Password};
use coffer_door::policy::*;
use coffer_door::store::{Store, Transaction};
use coffer_door::*;
use door::*;

const SECRET: &[u8] = b"the quarterly numbers";

fn reopen<B: Backend>(backend: &B) -> FrontDoor<B::S> {
    FrontDoor::open(config(), backend.open(), sessions()).unwrap()
}

fn open_with<S: Store>(
    door: &FrontDoor<S>,
    who: &Principal,
    identity: &Identity,
) -> Result<Vec<u8>, FrontDoorError> {
    let mut out = Vec::new();
    door.open_document(who, &doc("memo"), Source::stored(), identity, &mut out)?;
    Ok(out)
}

fn grant_rows<S: Store>(door: &FrontDoor<S>, who: &Principal) -> usize {
    let snapshot = door
        .store()
        .transaction(&mut |tx: &mut dyn Transaction| tx.snapshot())
        .unwrap();
    snapshot.grants.keys().filter(|(_, _, m, _)| *m == who.id).count()
}

#[test]
fn member_keys_and_grants_survive_a_restart_on_sqlite() {
    member_keys_survive_a_restart(&Sqlite::new());
}

#[test]
fn on_postgres_member_keys_and_grants_survive_a_restart() {
    let Some(backend) = Postgres::new() else { return };
    member_keys_survive_a_restart(&backend);
}

fn member_keys_survive_a_restart<B: Backend>(backend: &B) {
    let (olga, ed, vera) = (principal("olga"), principal("ed"), principal("vera"));
    let ed_identity = Identity::generate(KemAlgorithm::X25519).unwrap();
    let vera_identity = Identity::generate(KemAlgorithm::XWing).unwrap();
    {
        let door = FrontDoor::setup(config(), backend.open(), sessions())
            .tenant_role(&olga, Role::Owner)
            .open()
            .unwrap();
        let password = Password::new(FIRST);
        door.create_project(&olga, &id(ProjectId::new, "payroll"), &password)
            .unwrap();
        door.add_member(&olga, &project(), &ed, Role::Editor).unwrap();
        door.add_member(&olga, &project(), &vera, Role::Viewer).unwrap();
        door.register_public_key(&ed, &project().into(), ed_identity.public_key())
            .unwrap();
        door.register_public_key(&vera, &project().into(), vera_identity.public_key())
            .unwrap();
        door.grant_member_key(&olga, &project(), &ed, &password).unwrap();
        door.grant_member_key(&olga, &project(), &vera, &password)
            .unwrap();
        let source = Plaintext::new(SECRET, SECRET.len() as u64);
        door.store_document(&olga, &doc("memo"), source, &Context::new(), &password)
            .unwrap();
    }
    {
        let door = reopen(backend);
        assert_eq!(open_with(&door, &ed, &ed_identity).unwrap(), SECRET);
        assert_eq!(open_with(&door, &vera, &vera_identity).unwrap(), SECRET);
        assert_eq!(grant_rows(&door, &vera), 1);
        door.remove_member(&olga, &project(), &vera).unwrap();
    }
    let door = reopen(backend);
    assert_eq!(grant_rows(&door, &vera), 0);
    assert!(denied(open_with(&door, &vera, &vera_identity)));
    assert_eq!(open_with(&door, &ed, &ed_identity).unwrap(), SECRET);
    door.verify_chain(None).unwrap();
}

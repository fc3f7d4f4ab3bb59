//! Group commit: transactions of many threads on one `SqliteStore` share
//! commits, yet each stays atomic and isolated: a failed or panicking
//! caller's changes and records roll back alone, every caller that was
//! answered `Ok` is durable, and the chain stays one linear chain. The
//! same holds with group commit off.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use coffer_door::audit::{AuditEvent, AuditKey, Timestamp};
use coffer_door::policy::*;
use coffer_door::store::{Change, Store, StoreError, Transaction};
use coffer_store::{SqliteOptions, SqliteStore};

const KEY: [u8; 32] = [0x66; 32];
const THREADS: u64 = 8;
const CALLS: u64 = 40;

fn principal(id: &str) -> Principal {
    Principal::new(TenantId::new("acme").unwrap(), PrincipalId::new(id).unwrap())
}

/// The event of call `n` of thread `t` (its time tells calls apart).
fn event(t: u64, n: u64) -> AuditEvent {
    let acme = TenantId::new("acme").unwrap();
    let time = Timestamp::from_unix_millis(1_700_000_000_000 + t * 1000 + n);
    let operator = OperatorId::new("ops").unwrap();
    let mut event = AuditEvent::for_operator(time, &operator, Operation::AddMember, Some(&acme), [1; 32]);
    event.principal = principal(&format!("t{t}")).into();
    event.role = Some(Role::Owner);
    event
}

#[derive(Debug)]
enum Abort {
    Store(#[allow(dead_code, reason = "read only through Debug, in a failed assertion")] StoreError),
    Requested,
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Store(e)
    }
}

/// Call `n` of thread `t`: a change and its record; every fifth fails
/// after both, every thirteenth panics after both.
fn call(store: &SqliteStore, t: u64, n: u64) -> Result<(), Abort> {
    store.transaction(&mut |tx: &mut dyn Transaction| -> Result<(), Abort> {
        let before = tx.version()?;
        tx.apply(&Change::SetTenantRole {
            principal: principal(&format!("t{t}-{n}")),
            role: Role::Viewer,
        })?;
        // Isolated: nobody else's change lands inside this call.
        assert_eq!(tx.version()?, before + 1);
        tx.append(event(t, n))?;
        match n % 13 {
            7 => panic!("call {t}/{n} panics"),
            _ if n.is_multiple_of(5) => Err(Abort::Requested),
            _ => Ok(()),
        }
    })
}

fn concurrent_calls_are_atomic_and_isolated(options: SqliteOptions) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open_with(dir.path(), AuditKey::from_bytes(KEY), options).unwrap());
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut answered = Vec::new();
                for n in 0..CALLS {
                    let store = &store;
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(store, t, n))) {
                        Ok(Ok(())) => answered.push(n),
                        Ok(Err(Abort::Requested)) => assert!(n.is_multiple_of(5)),
                        Ok(Err(e)) => panic!("call {t}/{n}: {e:?}"),
                        Err(_) => assert_eq!(n % 13, 7),
                    }
                }
                (t, answered)
            })
        })
        .collect();
    // Readers meanwhile (read-only members may be answered before their
    // group commits): never a change of a call that fails.
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, done) = (Arc::clone(&store), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut reads = 0;
                while !done.load(Ordering::SeqCst) {
                    let snapshot = store
                        .transaction(&mut |tx: &mut dyn Transaction| tx.snapshot())
                        .unwrap();
                    for (who, _) in snapshot.membership.tenant_roles() {
                        let n: u64 = who.id.as_str().rsplit('-').next().unwrap().parse().unwrap();
                        assert!(
                            !n.is_multiple_of(5) && n % 13 != 7,
                            "read a failed call's change: {who:?}"
                        );
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let answered: Vec<(u64, Vec<u64>)> = threads.into_iter().map(|h| h.join().unwrap()).collect();
    done.store(true, Ordering::SeqCst);
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
    // Reopened: what was answered `Ok` is durable, and nothing else.
    drop(store);
    let store = SqliteStore::open(dir.path(), AuditKey::from_bytes(KEY)).unwrap();
    let (snapshot, records, head) = store
        .transaction(&mut |tx: &mut dyn Transaction| {
            Ok::<_, StoreError>((tx.snapshot()?, tx.audit_records()?, tx.verify_audit(None)?))
        })
        .unwrap();
    let total: usize = answered.iter().map(|(_, a)| a.len()).sum();
    assert_eq!(records.len(), total);
    assert_eq!(head.count, total as u64);
    assert_eq!(snapshot.version, total as u64);
    let roles = snapshot.membership.tenant_roles();
    assert_eq!(roles.len(), total);
    for (t, calls) in &answered {
        for n in calls {
            let who = principal(&format!("t{t}-{n}"));
            assert!(roles.contains(&(who, Role::Viewer)), "{t}/{n}");
            assert_eq!(records.iter().filter(|r| r.event == event(*t, *n)).count(), 1);
        }
    }
    for (n, record) in (0..).zip(&records) {
        assert_eq!(record.seq, n);
    }
}

#[test]
fn grouped_calls_are_atomic_and_isolated_and_only_answered_calls_survive() {
    concurrent_calls_are_atomic_and_isolated(SqliteOptions::default());
}

#[test]
fn ungrouped_calls_are_atomic_and_isolated_and_only_answered_calls_survive() {
    concurrent_calls_are_atomic_and_isolated(SqliteOptions::default().group_commit(false));
}

#[test]
fn options_turn_grouping_off_and_bound_it() {
    assert_eq!(
        SqliteOptions::default().max_group_size(),
        coffer_store::DEFAULT_MAX_GROUP
    );
    assert_eq!(SqliteOptions::default().group_commit(false).max_group_size(), 1);
    assert_eq!(SqliteOptions::default().max_group(0).max_group_size(), 1);
    assert_eq!(SqliteOptions::default().max_group(8).max_group_size(), 8);
}

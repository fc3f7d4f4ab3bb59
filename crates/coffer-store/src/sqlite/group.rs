//! Group commit: callers queued at the same time share one SQLite
//! transaction, and so one fsync, each in a savepoint of its own.
//!
//! The connection sits behind a mutex. A caller takes it, joins the open
//! shared transaction (or begins one with `BEGIN IMMEDIATE`), runs its work
//! under `SAVEPOINT member` and releases it (success) or rolls back to it
//! (failure: only this caller's changes go). Then, if other callers are
//! queued for the mutex and the group is not full, it leaves the
//! transaction open for them and parks until the group's commit; otherwise
//! it is the last member and commits for everyone, then wakes the parked
//! members. A member's success is returned only after the shared `COMMIT`
//! returned; if that commit fails, every member that succeeded gets the
//! failure and nothing of the group exists.
//!
//! Members run one after the other, each on the state the ones before it
//! left, exactly as if each had its own transaction in that order, so the
//! state checks a member makes inside its work hold for its changes, and
//! audit appends extend one linear chain. A lone caller (nobody queued)
//! commits at once, paying no latency for the grouping.
//!
//! A member may read a state version that includes an earlier member's
//! uncommitted change; a front door caches state by version. So when a
//! shared commit fails, the store remembers the highest version any member
//! read, and the next transaction that begins first raises the stored
//! version above it: a version read from state that never committed is
//! never reused for different state.

use std::any::Any;
use std::collections::HashMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use coffer_door::audit::AuditChain;
use coffer_door::store::{EnvelopeId, StoreError};
use rusqlite::Connection;

use super::envelope_files::EnvelopeFiles;
use super::executor::{SqliteConn, SqliteSide, SqliteTransaction};
use crate::sql::transaction::SqlTransaction;

/// Why a caller's success was taken back: the group's shared commit failed.
#[derive(Debug, thiserror::Error)]
#[error("the shared commit of a group of transactions failed: {0}")]
pub(crate) struct GroupCommitFailed(String);

/// The connection and what the group commit keeps about it.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) conn: Connection,
    pub(crate) chain: AuditChain,
    files: EnvelopeFiles,
    /// The shared transaction, while one is open.
    open: Option<Batch>,
    next_id: u64,
    /// Every group with an id up to this one has committed or failed.
    finished: u64,
    /// Failed groups with members still to collect the failure.
    failures: HashMap<u64, Failure>,
    /// The stored version must be raised to this before anyone reads it
    /// (0: nothing to do).
    floor: u64,
}

#[derive(Debug)]
struct Batch {
    id: u64,
    members: usize,
    parked: usize,
    /// The highest state version a member read.
    seen: u64,
    /// A savepoint could not be released or rolled back: the transaction
    /// is in an unknown state and must not commit.
    poisoned: Option<String>,
    /// The connection's change counter when the group began: a member that
    /// starts and ends with it unchanged read committed state only.
    baseline: u64,
    /// Envelopes the members unlinked: their files go once the group
    /// committed.
    unlinked: Vec<EnvelopeId>,
}

#[derive(Debug)]
struct Failure {
    message: String,
    readers: usize,
}

/// Serializes the callers of one connection, grouping their commits.
#[derive(Debug)]
pub(crate) struct Group {
    inner: Mutex<Inner>,
    /// Callers waiting for `inner`.
    queued: AtomicUsize,
    finished: Condvar,
    /// Members per shared transaction at most (1: no grouping).
    max_members: usize,
}

/// Runs a statement of every transaction's path, prepared once.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::backend(e)
}

/// A member's work, on the SQLite view of the transaction (the store's
/// own calls use more of it than the
/// [`Transaction`](coffer_door::store::Transaction) trait).
pub(crate) type Work<'w, T, E> = dyn FnMut(&mut SqliteTransaction<'_>) -> Result<T, E> + 'w;

/// How a member's work ended.
enum Ended<T, E> {
    Done(Result<T, E>),
    Panicked(Box<dyn Any + Send>),
}

impl Group {
    pub(crate) fn new(conn: Connection, chain: AuditChain, files: EnvelopeFiles, max_members: usize) -> Self {
        Group {
            inner: Mutex::new(Inner {
                conn,
                chain,
                files,
                open: None,
                next_id: 1,
                finished: 0,
                failures: HashMap::new(),
                floor: 0,
            }),
            queued: AtomicUsize::new(0),
            finished: Condvar::new(),
            max_members: max_members.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        self.queued.fetch_sub(1, Ordering::SeqCst);
        inner
    }

    /// Runs `work` as a member of the open shared transaction (or of a new
    /// one), returning its result once the transaction committed.
    pub(crate) fn run<T, E: From<StoreError>>(&self, work: &mut Work<'_, T, E>) -> Result<T, E> {
        let mut inner = self.lock();
        if inner.open.is_none() {
            inner.begin()?;
        }
        let (ended, read_committed) = inner.member(work);
        let (id, last) = match inner.open.as_mut() {
            Some(batch) => {
                batch.members += 1;
                let last = batch.members >= self.max_members
                    || batch.poisoned.is_some()
                    || self.queued.load(Ordering::SeqCst) == 0;
                if !last && !read_committed && matches!(ended, Ended::Done(Ok(_))) {
                    batch.parked += 1;
                }
                (batch.id, last)
            }
            None => (0, true),
        };
        let committed = if last {
            let committed = inner.commit();
            drop(inner);
            self.finished.notify_all();
            committed
        } else {
            let ended = match ended {
                // A failed member rolled back its own changes: nothing of
                // it waits for the commit.
                Ended::Done(Err(error)) => return Err(error),
                Ended::Panicked(panic) => {
                    drop(inner);
                    resume_unwind(panic)
                }
                // Wrote nothing and read only committed state (nobody in
                // the group had written before it): nothing to wait for.
                Ended::Done(Ok(value)) if read_committed => return Ok(value),
                ok @ Ended::Done(Ok(_)) => ok,
            };
            let mut inner = self
                .finished
                .wait_while(inner, |i| i.finished < id)
                .unwrap_or_else(PoisonError::into_inner);
            let committed = inner.collect(id);
            drop(inner);
            return match ended {
                Ended::Done(Ok(value)) => committed.map(|()| value).map_err(E::from),
                Ended::Done(Err(error)) => Err(error),
                Ended::Panicked(panic) => resume_unwind(panic),
            };
        };
        match ended {
            Ended::Panicked(panic) => resume_unwind(panic),
            Ended::Done(Err(error)) => Err(error),
            Ended::Done(Ok(value)) => committed.map(|()| value).map_err(E::from),
        }
    }
}

impl Inner {
    /// Opens a shared transaction, first raising the stored version above
    /// any read from a group that failed.
    fn begin(&mut self) -> Result<(), StoreError> {
        run(&self.conn, "BEGIN IMMEDIATE").map_err(backend)?;
        if self.floor > 0 {
            let floor = i64::try_from(self.floor).map_err(backend)?;
            if let Err(e) = self.conn.execute(
                "UPDATE state SET version = ?1 WHERE id = 1 AND version < ?1",
                [floor],
            ) {
                // Nothing was written; release the lock.
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(backend(e));
            }
        }
        self.open = Some(Batch {
            id: self.next_id,
            members: 0,
            parked: 0,
            seen: 0,
            poisoned: None,
            baseline: self.conn.total_changes(),
            unlinked: Vec::new(),
        });
        self.next_id += 1;
        Ok(())
    }

    /// Runs one caller's work under its own savepoint: kept when it
    /// succeeds, rolled back when it fails or panics. Also says whether the
    /// work only read committed state (no change before it in the group,
    /// none by it).
    fn member<T, E: From<StoreError>>(&mut self, work: &mut Work<'_, T, E>) -> (Ended<T, E>, bool) {
        let Inner {
            conn,
            chain,
            files,
            open,
            ..
        } = self;
        let before = conn.total_changes();
        let ended = Self::savepoint(conn, chain, files, open, work);
        let read_committed = open
            .as_ref()
            .is_some_and(|b| b.baseline == before && b.poisoned.is_none())
            && conn.total_changes() == before;
        (ended, read_committed)
    }

    fn savepoint<T, E: From<StoreError>>(
        conn: &Connection,
        chain: &mut AuditChain,
        files: &EnvelopeFiles,
        open: &mut Option<Batch>,
        work: &mut Work<'_, T, E>,
    ) -> Ended<T, E> {
        let Some(batch) = open.as_mut() else {
            return Ended::Done(Err(backend(GroupCommitFailed(
                "no shared transaction is open".into(),
            ))
            .into()));
        };
        if let Err(e) = run(conn, "SAVEPOINT member") {
            return Ended::Done(Err(backend(e).into()));
        }
        let unlinked_before = batch.unlinked.len();
        let ended = {
            let mut view: SqliteTransaction<'_> = SqlTransaction {
                exec: SqliteConn(conn),
                side: SqliteSide {
                    chain,
                    seen: &mut batch.seen,
                    files,
                    unlinked: &mut batch.unlinked,
                },
            };
            match catch_unwind(AssertUnwindSafe(|| work(&mut view))) {
                Ok(result) => Ended::Done(result),
                Err(panic) => Ended::Panicked(panic),
            }
        };
        let keep = matches!(ended, Ended::Done(Ok(_)));
        if !keep {
            // Its changes roll back: what it unlinked stays linked.
            batch.unlinked.truncate(unlinked_before);
        }
        let end = if keep {
            run(conn, "RELEASE member")
        } else {
            conn.execute_batch("ROLLBACK TO member; RELEASE member")
        };
        match end {
            Ok(()) => ended,
            Err(e) => {
                batch.poisoned = Some(e.to_string());
                match ended {
                    Ended::Done(Ok(_)) => Ended::Done(Err(backend(e).into())),
                    other => other,
                }
            }
        }
    }

    /// Ends the open shared transaction: commits it (or rolls it back if
    /// poisoned) and records the outcome for its parked members.
    fn commit(&mut self) -> Result<(), StoreError> {
        let Some(batch) = self.open.take() else {
            return Ok(());
        };
        let outcome = match &batch.poisoned {
            Some(cause) => Err(cause.clone()),
            None => run(&self.conn, "COMMIT").map_err(|e| e.to_string()),
        };
        if outcome.is_err() && !self.conn.is_autocommit() {
            // SQLite may have rolled back already; if not, do.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.finished = batch.id;
        match outcome {
            Ok(()) => {
                self.floor = 0;
                for id in &batch.unlinked {
                    // A file that cannot be removed now is a leftover for
                    // the next sweep; the commit stands.
                    let _ = self.files.remove(id);
                }
                Ok(())
            }
            Err(message) => {
                self.floor = self.floor.max(batch.seen + 1);
                if batch.parked > 0 {
                    self.failures.insert(
                        batch.id,
                        Failure {
                            message: message.clone(),
                            readers: batch.parked,
                        },
                    );
                }
                Err(backend(GroupCommitFailed(message)))
            }
        }
    }

    /// A parked member's outcome of group `id`.
    fn collect(&mut self, id: u64) -> Result<(), StoreError> {
        let Some(failure) = self.failures.get_mut(&id) else {
            return Ok(());
        };
        let message = failure.message.clone();
        failure.readers -= 1;
        if failure.readers == 0 {
            self.failures.remove(&id);
        }
        Err(backend(GroupCommitFailed(message)))
    }
}

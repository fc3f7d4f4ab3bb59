//! One live instance per instance tag on one store.
//!
//! The tag is the first three bytes of every session key id an instance
//! issues; a redeem must reach the instance that holds the key, so two
//! live instances with one tag on one store would misroute each other's
//! sessions. `serve` therefore claims its tag before it opens the store and
//! holds the claim while it runs:
//!
//! - on SQLite, an exclusive `flock` on `state/instance-<tag>.lock` in the
//!   data directory;
//! - on PostgreSQL, a session-level advisory lock on a dedicated
//!   connection, keyed by the store's schema and the tag (so stores in
//!   other schemas of the database do not collide).
//!
//! Both are released by the operating system or the database server when
//! the process ends, however it ends (a SIGKILL included): no lease to
//! expire, no heartbeat, no stale claim blocking a restart, and nothing in
//! the store's schema. The PostgreSQL claim lasts as long as its
//! connection; a connection lost while serving gives the claim up
//! silently, so the check is one made at start-up, not a fence.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use coffer_store::session::InstanceTag;
use coffer_store::{OpenError, PostgresSessionLock};

/// Why the tag could not be claimed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstanceError {
    /// Another live instance holds the tag on this store.
    #[error("instance tag {tag} (key ids `{prefix}…`) is already live on this store; give each instance its own --instance-tag")]
    Taken {
        /// The tag, as a number.
        tag: u32,
        /// Its key-id prefix.
        prefix: String,
    },
    /// The tag is not below 2^24.
    #[error("instance tag `{0}` does not fit in 24 bits")]
    TooLarge(u32),
    /// The lock file could not be opened or locked.
    #[error("instance lock `{path}`: {source}")]
    File {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database failed.
    #[error("instance lock: {0}")]
    Postgres(#[from] OpenError),
}

/// A claimed tag, held until dropped.
#[derive(Debug)]
pub struct InstanceClaim {
    tag: InstanceTag,
    _held: Held,
}

/// What holds the claim: dropping it releases the lock.
enum Held {
    File { _locked: File },
    Postgres { _session: PostgresSessionLock },
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Held::File { .. } => "Held::File",
            Held::Postgres { .. } => "Held::Postgres",
        })
    }
}

/// The tag numbered `number` (below 2^24).
///
/// # Errors
///
/// [`InstanceError::TooLarge`].
pub fn tag(number: u32) -> Result<InstanceTag, InstanceError> {
    InstanceTag::from_number(number).ok_or(InstanceError::TooLarge(number))
}

fn number(tag: InstanceTag) -> u32 {
    let [a, b, c] = *tag.as_bytes();
    u32::from_be_bytes([0, a, b, c])
}

fn taken(tag: InstanceTag) -> InstanceError {
    InstanceError::Taken {
        tag: number(tag),
        prefix: tag.prefix(),
    }
}

impl InstanceClaim {
    /// Claims `tag` on the SQLite store whose database directory is
    /// `state_dir`.
    ///
    /// # Errors
    ///
    /// [`InstanceError::Taken`] when a live process holds it.
    pub fn sqlite(state_dir: PathBuf, tag: InstanceTag) -> Result<Self, InstanceError> {
        let path = state_dir.join(format!("instance-{}.lock", number(tag)));
        let file_error = |source| InstanceError::File {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&state_dir).map_err(file_error)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(file_error)?;
        match file.try_lock() {
            Ok(()) => Ok(InstanceClaim {
                tag,
                _held: Held::File { _locked: file },
            }),
            Err(TryLockError::WouldBlock) => Err(taken(tag)),
            Err(TryLockError::Error(source)) => Err(file_error(source)),
        }
    }

    /// Claims `tag` on the PostgreSQL store at `url`. Blocks (it drives the
    /// client's own runtime: call it outside tokio).
    ///
    /// # Errors
    ///
    /// [`InstanceError::Taken`] when a live session holds it, or the
    /// database failing.
    pub fn postgres(url: &str, tag: InstanceTag) -> Result<Self, InstanceError> {
        let name = format!("coffer-server instance {}", number(tag));
        let locked = PostgresSessionLock::try_lock(url, &name)?.ok_or_else(|| taken(tag))?;
        Ok(InstanceClaim {
            tag,
            _held: Held::Postgres { _session: locked },
        })
    }

    /// The claimed tag.
    pub fn tag(&self) -> InstanceTag {
        self.tag
    }
}

//! Stored envelopes of a SQLite store: one file each in the data
//! directory's `envelopes/`, named by the envelope's id.
//!
//! A file is written by a [`FileStaged`] writer that holds an exclusive
//! lock on it (`flock`) from creation until it is dropped, and made durable
//! (file and directory fsynced) before anything links it. A document names
//! it in the database (`documents.envelope`), so a file no row names and no
//! writer locks is a leftover: a crash between staging and linking, or
//! between a commit and the removal of the file it unlinked. Sweeping
//! removes exactly those, under the database's write lock (so no link can
//! commit meanwhile); a writer that is still alive keeps its lock, in this
//! process or another.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use coffer_door::store::{EnvelopeId, StagedEnvelope, StoreError};

/// The directory of envelope files in a SQLite data directory.
pub const ENVELOPE_DIR: &str = "envelopes";

/// The envelope files of one data directory.
#[derive(Debug, Clone)]
pub(crate) struct EnvelopeFiles {
    dir: PathBuf,
}

fn backend(e: io::Error) -> StoreError {
    StoreError::backend(e)
}

/// Fsyncs a directory, so that a file created or removed in it stays so.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl EnvelopeFiles {
    /// `envelopes/` in `data_dir`, created (durably) if missing.
    pub(crate) fn open(data_dir: &Path) -> io::Result<Self> {
        let dir = data_dir.join(ENVELOPE_DIR);
        if !dir.is_dir() {
            std::fs::create_dir_all(&dir)?;
            sync_dir(data_dir)?;
        }
        Ok(EnvelopeFiles { dir })
    }

    fn path(&self, id: &EnvelopeId) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// A new file under a fresh id, locked by its writer.
    pub(crate) fn stage(&self) -> Result<FileStaged, StoreError> {
        let id = EnvelopeId::generate()?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.path(&id))
            .map_err(backend)?;
        // Nobody else knows the id yet; only a sweep could hold the lock,
        // for an instant, and the link then finds no file and refuses.
        file.try_lock().map_err(|e| StoreError::backend(e.to_string()))?;
        Ok(FileStaged {
            file,
            id,
            dir: self.dir.clone(),
            finished: false,
        })
    }

    /// The envelope's file, opened for reading.
    pub(crate) fn read(&self, id: &EnvelopeId) -> Result<File, StoreError> {
        File::open(self.path(id)).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::UnknownEnvelope {
                envelope: id.to_string(),
                size: 0,
            },
            _ => backend(e),
        })
    }

    /// The envelope file's size, if there is one.
    pub(crate) fn size(&self, id: &EnvelopeId) -> Result<Option<u64>, StoreError> {
        match std::fs::metadata(self.path(id)) {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }

    /// Removes an envelope's file; whether there was one.
    pub(crate) fn remove(&self, id: &EnvelopeId) -> Result<bool, StoreError> {
        match std::fs::remove_file(self.path(id)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(backend(e)),
        }
    }

    /// Removes every envelope file that `linked` says no document names
    /// and whose writer is gone (its lock can be taken); how many.
    pub(crate) fn sweep(
        &self,
        linked: &mut dyn FnMut(&EnvelopeId) -> Result<bool, StoreError>,
    ) -> Result<u64, StoreError> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.dir).map_err(backend)? {
            let entry = entry.map_err(backend)?;
            // Only files named as envelopes are ours.
            let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<EnvelopeId>().ok())
            else {
                continue;
            };
            if linked(&id)? {
                continue;
            }
            let file = match File::open(entry.path()) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(backend(e)),
            };
            match file.try_lock() {
                Ok(()) => {}
                // A live writer: not a leftover.
                Err(TryLockError::WouldBlock) => continue,
                Err(TryLockError::Error(e)) => return Err(backend(e)),
            }
            if self.remove(&id)? {
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// An envelope file being written, locked until dropped.
#[derive(Debug)]
pub(crate) struct FileStaged {
    file: File,
    id: EnvelopeId,
    dir: PathBuf,
    finished: bool,
}

impl Write for FileStaged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.finished {
            return Err(io::Error::other("the envelope is finished"));
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl StagedEnvelope for FileStaged {
    fn id(&self) -> EnvelopeId {
        self.id
    }

    fn finish(&mut self) -> Result<u64, StoreError> {
        self.file.sync_all().map_err(backend)?;
        // The file's directory entry must be durable too before a
        // committed row names it.
        sync_dir(&self.dir).map_err(backend)?;
        self.finished = true;
        Ok(self.file.metadata().map_err(backend)?.len())
    }
}

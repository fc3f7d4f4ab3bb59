//! Stored envelopes of a PostgreSQL store: chunk rows of at most
//! [`ENVELOPE_CHUNK`] bytes, written and read one chunk at a time, so every
//! instance on the database sees them and none holds one whole.
//!
//! A staged envelope is an `envelopes` row without a size, its chunks
//! committed one by one (autocommit, outside any state transaction); the
//! writer sets the size when it finished, and only then can a document
//! link it (`documents.envelope`, a foreign key). An envelope a change
//! unlinks is deleted in that change's transaction (its chunks with it).
//! A writer refreshes `touched_at` with every chunk; an envelope no
//! document names and untouched for [`STAGING_GRACE`] is a leftover of a
//! crash (or of a writer that stalled that long), which a sweep deletes.

use std::io::{self, Read, Write};
use std::time::Duration;

use coffer_door::store::{EnvelopeId, StagedEnvelope, StoreError};
use postgres::Client;
use r2d2_postgres::r2d2::{Pool, PooledConnection};

use super::Manager;

/// Bytes per chunk row of a stored envelope (64 KiB).
pub const ENVELOPE_CHUNK: usize = 64 * 1024;

/// How long an envelope no document names is left to its writer: a sweep
/// ([`Store::sweep_envelopes`](coffer_door::store::Store::sweep_envelopes),
/// and every open) deletes it once it was untouched this long.
pub const STAGING_GRACE: Duration = Duration::from_secs(15 * 60);

fn backend(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::backend(e)
}

fn connection(pool: &Pool<Manager>) -> Result<PooledConnection<Manager>, StoreError> {
    pool.get().map_err(backend)
}

fn unknown(id: &EnvelopeId) -> StoreError {
    StoreError::UnknownEnvelope {
        envelope: id.to_string(),
        size: 0,
    }
}

/// Deletes every envelope no document names that was untouched for
/// `grace`; how many. Run in the store's locked transaction, so no link
/// commits meanwhile.
pub(crate) fn sweep(tx: &mut postgres::Transaction<'_>, grace: Duration) -> Result<u64, postgres::Error> {
    tx.execute(
        "DELETE FROM envelopes e
         WHERE e.touched_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.envelope = e.id)",
        &[&grace.as_secs_f64()],
    )
}

/// An envelope being written as chunk rows.
#[derive(Debug)]
pub(crate) struct ChunkWriter {
    pool: Pool<Manager>,
    id: EnvelopeId,
    key: String,
    chunk: Vec<u8>,
    seq: i32,
    size: u64,
    finished: bool,
}

impl ChunkWriter {
    /// Registers a new envelope, no document naming it yet.
    pub(crate) fn stage(pool: &Pool<Manager>) -> Result<Self, StoreError> {
        let id = EnvelopeId::generate()?;
        let key = id.to_string();
        connection(pool)?
            .execute("INSERT INTO envelopes (id) VALUES ($1)", &[&key])
            .map_err(backend)?;
        Ok(ChunkWriter {
            pool: pool.clone(),
            id,
            key,
            chunk: Vec::with_capacity(ENVELOPE_CHUNK),
            seq: 0,
            size: 0,
            finished: false,
        })
    }

    /// Commits the buffered chunk (and shows the writer is alive).
    fn flush_chunk(&mut self) -> Result<(), StoreError> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        connection(&self.pool)?
            .execute(
                "WITH alive AS (UPDATE envelopes SET touched_at = now() WHERE id = $1)
                 INSERT INTO envelope_chunks (envelope, seq, data) VALUES ($1, $2, $3)",
                &[&self.key, &self.seq, &self.chunk],
            )
            .map_err(backend)?;
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or_else(|| backend("too many chunks"))?;
        self.chunk.clear();
        Ok(())
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.finished {
            return Err(io::Error::other("the envelope is finished"));
        }
        let room = ENVELOPE_CHUNK - self.chunk.len();
        let taken = &buf[..buf.len().min(room)];
        self.chunk.extend_from_slice(taken);
        self.size += taken.len() as u64;
        if self.chunk.len() == ENVELOPE_CHUNK {
            self.flush_chunk().map_err(io::Error::other)?;
        }
        Ok(taken.len())
    }

    /// Chunks are committed when full or at [`StagedEnvelope::finish`]:
    /// flushing leaves a partial chunk buffered.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl StagedEnvelope for ChunkWriter {
    fn id(&self) -> EnvelopeId {
        self.id
    }

    fn finish(&mut self) -> Result<u64, StoreError> {
        self.flush_chunk()?;
        let size = i64::try_from(self.size).map_err(backend)?;
        let updated = connection(&self.pool)?
            .execute(
                "UPDATE envelopes SET size = $2, touched_at = now() WHERE id = $1",
                &[&self.key, &size],
            )
            .map_err(backend)?;
        if updated != 1 {
            // Swept while the writer stalled: nothing left to link.
            return Err(unknown(&self.id));
        }
        self.finished = true;
        Ok(self.size)
    }
}

/// A stored envelope read back one chunk row at a time.
#[derive(Debug)]
pub(crate) struct ChunkReader {
    pool: Pool<Manager>,
    key: String,
    size: u64,
    read: u64,
    seq: i32,
    chunk: Vec<u8>,
    at: usize,
}

impl ChunkReader {
    /// A finished envelope's reader.
    pub(crate) fn open(pool: &Pool<Manager>, id: &EnvelopeId) -> Result<Self, StoreError> {
        let key = id.to_string();
        let size: Option<i64> = connection(pool)?
            .query_opt("SELECT size FROM envelopes WHERE id = $1", &[&key])
            .map_err(backend)?
            .map(|row| row.try_get(0))
            .transpose()
            .map_err(backend)?
            .flatten();
        let size = size.ok_or_else(|| unknown(id))?;
        Ok(ChunkReader {
            pool: pool.clone(),
            key,
            size: u64::try_from(size).map_err(backend)?,
            read: 0,
            seq: 0,
            chunk: Vec::new(),
            at: 0,
        })
    }

    /// The next chunk row.
    fn next_chunk(&mut self, client: &mut Client) -> io::Result<()> {
        let row = client
            .query_opt(
                "SELECT data FROM envelope_chunks WHERE envelope = $1 AND seq = $2",
                &[&self.key, &self.seq],
            )
            .map_err(io::Error::other)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "stored envelope ends early"))?;
        let data: Vec<u8> = row.try_get(0).map_err(io::Error::other)?;
        if data.is_empty() || data.len() > ENVELOPE_CHUNK {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "stored envelope chunk of a bad size",
            ));
        }
        self.chunk = data;
        self.at = 0;
        self.seq += 1;
        Ok(())
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.chunk.len() {
            if self.read == self.size || buf.is_empty() {
                return Ok(0);
            }
            let mut client = self.pool.get().map_err(io::Error::other)?;
            self.next_chunk(&mut client)?;
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        self.read += n as u64;
        if self.read > self.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "stored envelope is longer than recorded",
            ));
        }
        Ok(n)
    }
}

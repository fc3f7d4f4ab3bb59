//! An append-only JSON-lines audit file that survives restarts and crashes.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::chain::{AuditChain, AuditRecord, ChainHead, ChainVerifier};
use super::event::AuditEvent;
use super::key::AuditKey;
use super::sink::AuditSink;
use super::AuditError;

/// Longest line (one JSON record plus newline) read or written.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// An incomplete final line found when opening, and cut away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Byte offset where the torn line started (the file's new length).
    pub offset: u64,
    /// Bytes removed.
    pub len: u64,
}

/// What [`FileSink::open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// Verified records in the file.
    pub records: u64,
    /// The head the chain continues from.
    pub head: ChainHead,
    /// A torn final line (a write interrupted by a crash, never
    /// acknowledged) that was truncated away: a warning to report.
    pub torn_tail: Option<TornTail>,
}

/// A durable, append-only JSON-lines file of audit records.
///
/// Each append writes whole lines and syncs the file before returning, so
/// an acknowledged record survives a crash. Opening reads and verifies the
/// whole chain, cuts away a torn final line (reporting it in [`Recovery`])
/// and continues the chain where it ended. A complete line that does not
/// verify is an error, never repaired: only the unacknowledged tail is.
///
/// One process must own the file at a time.
#[derive(Debug)]
pub struct FileSink {
    file: File,
    path: PathBuf,
    chain: AuditChain,
    len: u64,
    poisoned: bool,
}

enum Line {
    Complete(Vec<u8>),
    Torn(u64),
    End,
}

/// Reads one line of at most [`MAX_RECORD_BYTES`].
fn next_line(reader: &mut impl BufRead, line_no: u64) -> Result<Line, AuditError> {
    let mut buf = Vec::new();
    let limit = u64::try_from(MAX_RECORD_BYTES).unwrap_or(u64::MAX);
    let n = reader.take(limit).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(Line::End);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        return Ok(Line::Complete(buf));
    }
    if n >= MAX_RECORD_BYTES {
        return Err(AuditError::LineTooLong {
            line: line_no,
            max: MAX_RECORD_BYTES,
        });
    }
    Ok(Line::Torn(u64::try_from(n).unwrap_or(u64::MAX)))
}

fn parse(line: &[u8], line_no: u64) -> Result<AuditRecord, AuditError> {
    serde_json::from_slice(line).map_err(|e| AuditError::Corrupt {
        line: line_no,
        reason: e.to_string(),
    })
}

fn sync_parent(path: &Path) -> Result<(), AuditError> {
    // A new file's directory entry is durable only once its directory is.
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()?;
    Ok(())
}

impl FileSink {
    /// Opens (creating if absent) the audit file at `path`, verifies it
    /// under `key`, repairs a torn final line and continues its chain.
    pub fn open(path: impl AsRef<Path>, key: AuditKey) -> Result<(Self, Recovery), AuditError> {
        let path = path.as_ref().to_path_buf();
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        if !existed {
            sync_parent(&path)?;
        }
        let (head, len, torn_tail) = {
            let mut verifier = ChainVerifier::new(&key, None);
            let mut reader = BufReader::new(&file);
            let (mut offset, mut line_no, mut torn) = (0u64, 0u64, None);
            loop {
                line_no += 1;
                match next_line(&mut reader, line_no)? {
                    Line::End => break,
                    Line::Torn(len) => {
                        torn = Some(TornTail { offset, len });
                        break;
                    }
                    Line::Complete(line) => {
                        verifier.push(&parse(&line, line_no)?)?;
                        let consumed = u64::try_from(line.len()).unwrap_or(u64::MAX);
                        offset = offset.saturating_add(consumed).saturating_add(1);
                    }
                }
            }
            (verifier.finish()?, offset, torn)
        };
        if torn_tail.is_some() {
            file.set_len(len)?;
            file.sync_all()?;
        }
        let sink = Self {
            file,
            path,
            chain: AuditChain::resume(key, &head),
            len,
            poisoned: false,
        };
        let recovery = Recovery {
            records: head.count,
            head,
            torn_tail,
        };
        Ok((sink, recovery))
    }

    /// Reads every complete record of an audit file without verifying or
    /// repairing it (for [`super::verify`] against a head kept elsewhere).
    /// A torn final line is ignored.
    pub fn read_records(path: impl AsRef<Path>) -> Result<Vec<AuditRecord>, AuditError> {
        let mut reader = BufReader::new(File::open(path)?);
        let mut records = Vec::new();
        let mut line_no = 0u64;
        loop {
            line_no += 1;
            match next_line(&mut reader, line_no)? {
                Line::End | Line::Torn(_) => return Ok(records),
                Line::Complete(line) => records.push(parse(&line, line_no)?),
            }
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_records(&mut self, records: &[AuditRecord]) -> Result<(), AuditError> {
        if self.poisoned {
            return Err(AuditError::Poisoned);
        }
        let mut buf = Vec::new();
        for record in records {
            let start = buf.len();
            serde_json::to_writer(&mut buf, record).map_err(|e| AuditError::Encode(e.to_string()))?;
            buf.push(b'\n');
            if buf.len() - start > MAX_RECORD_BYTES {
                return Err(AuditError::Encode(format!(
                    "record is longer than {MAX_RECORD_BYTES} bytes"
                )));
            }
        }
        let written = self.file.write_all(&buf).and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Whatever part reached the file is cut back off if possible;
            // either way the sink stops until reopened, so a partial line is
            // never followed by more records.
            self.poisoned = true;
            let _ = self.file.set_len(self.len);
            return Err(e.into());
        }
        self.len = self
            .len
            .saturating_add(u64::try_from(buf.len()).unwrap_or(u64::MAX));
        Ok(())
    }
}

impl AuditSink for FileSink {
    fn append(&mut self, event: AuditEvent) -> Result<ChainHead, AuditError> {
        let record = self.chain.seal(event);
        self.write_records(std::slice::from_ref(&record))?;
        self.chain.commit(&record);
        Ok(self.chain.head())
    }

    fn append_batch(&mut self, events: Vec<AuditEvent>) -> Result<ChainHead, AuditError> {
        let records = self.chain.seal_all(events);
        self.write_records(&records)?;
        if let Some(last) = records.last() {
            self.chain.commit(last);
        }
        Ok(self.chain.head())
    }

    fn head(&self) -> ChainHead {
        self.chain.head()
    }

    fn records(&self) -> Result<Vec<AuditRecord>, AuditError> {
        Self::read_records(&self.path)
    }

    fn verify(&self, checkpoint: Option<ChainHead>) -> Result<ChainHead, AuditError> {
        super::sink::verify_records(&self.chain, &Self::read_records(&self.path)?, checkpoint)
    }
}

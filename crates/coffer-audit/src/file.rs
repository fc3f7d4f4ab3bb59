//! An append-only JSON-lines audit file that survives restarts and crashes.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use ring::rand::SystemRandom;
use serde::{Deserialize, Serialize};

use super::chain::{AuditChain, AuditRecord, ChainHead, ChainId};
use super::event::AuditEvent;
use super::hex32;
use super::key::AuditKey;
use super::sink::AuditSink;
use super::verify::{ChainVerifier, VerifyError, VerifyFailure};
use super::AuditError;

/// Longest line (one JSON record plus newline) read or written.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// The `format` of a file's header line.
const FORMAT: &str = "coffer-audit/v1";
const HEADER_DOMAIN: &[u8] = b"coffer-audit/v1 chain\x00";

/// The first line of an audit file: which chain the file holds, MACed so
/// that a file of another key is recognised even before its first record.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    chain: ChainId,
    #[serde(with = "hex32")]
    mac: [u8; 32],
}

impl Header {
    fn new(key: &AuditKey, chain: ChainId) -> Self {
        Self {
            format: FORMAT.to_owned(),
            chain,
            mac: key.mac(&[HEADER_DOMAIN, chain.as_bytes()]),
        }
    }

    fn parse(line: &[u8]) -> Result<Self, AuditError> {
        let header: Self = serde_json::from_slice(line).map_err(|e| AuditError::Corrupt {
            line: 1,
            reason: format!("not an audit file header: {e}"),
        })?;
        if header.format != FORMAT {
            return Err(AuditError::Corrupt {
                line: 1,
                reason: format!("unknown audit file format `{}`", header.format),
            });
        }
        Ok(header)
    }

    /// The chain id, once the MAC verifies under `key`.
    fn chain(&self, key: &AuditKey, path: &Path) -> Result<ChainId, AuditError> {
        if key.verify(&[HEADER_DOMAIN, self.chain.as_bytes()], &self.mac) {
            Ok(self.chain)
        } else {
            Err(AuditError::ForeignHeader {
                path: path.to_path_buf(),
            })
        }
    }
}

/// An incomplete final line found when opening: moved to a side file and
/// cut away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Byte offset where the torn line started (the file's new length).
    pub offset: u64,
    /// Bytes removed.
    pub len: u64,
    /// The file next to the log that now holds exactly the removed bytes
    /// (`<log file name>.torn-<n>`, a new file, never an existing one).
    pub side_file: PathBuf,
}

/// What [`FileSink::open`] found and repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Verified records in the file.
    pub records: u64,
    /// The head the chain continues from.
    pub head: ChainHead,
    /// The last line (a record that verifies as the chain's next, or the
    /// header of an empty log) had lost its final newline, which was
    /// written back; the record is kept.
    pub restored_newline: bool,
    /// A final line without its newline that does not verify as the next
    /// record (a write interrupted by a crash, never acknowledged): moved
    /// to a side file and cut away. A warning to report.
    pub torn_tail: Option<TornTail>,
}

/// A durable, append-only JSON-lines file of audit records.
///
/// The file starts with a header line naming its chain (see
/// `docs/AUDIT.md`). [`FileSink::create`] starts a new chain in a new file;
/// [`FileSink::open`] continues the chain of an existing file, and neither
/// does the other's job, so a deleted or missing log is an error rather
/// than a silent new start.
///
/// Each append writes whole lines and syncs the file before returning, so
/// an acknowledged record survives a crash. Opening reads and verifies the
/// whole chain, repairs its final line (see [`Recovery`]) and continues
/// the chain where it ended. A complete line that does not verify is an
/// error, never repaired, and no byte is ever discarded.
///
/// A sink holds an exclusive lock on its file ([`File::try_lock`]) until
/// dropped: a second sink on the same file, in this process or another,
/// fails with [`AuditError::Locked`] instead of forking the chain.
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
    /// A final line without its newline.
    Torn(Vec<u8>),
    End,
}

/// Reads a log line by line, keeping the line number and byte offset.
struct LogReader<R> {
    reader: BufReader<R>,
    /// 1-based number of the line read last.
    line_no: u64,
    /// Bytes of complete lines read so far.
    offset: u64,
}

impl<R: Read> LogReader<R> {
    fn new(inner: R) -> Self {
        Self {
            reader: BufReader::new(inner),
            line_no: 0,
            offset: 0,
        }
    }

    /// Reads one line of at most [`MAX_RECORD_BYTES`].
    fn next_line(&mut self) -> Result<Line, AuditError> {
        self.line_no += 1;
        let mut buf = Vec::new();
        let limit = u64::try_from(MAX_RECORD_BYTES).unwrap_or(u64::MAX);
        let n = (&mut self.reader).take(limit).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(Line::End);
        }
        if buf.last() == Some(&b'\n') {
            self.offset = self.offset.saturating_add(len64(&buf));
            buf.pop();
            return Ok(Line::Complete(buf));
        }
        if n >= MAX_RECORD_BYTES {
            return Err(AuditError::LineTooLong {
                line: self.line_no,
                max: MAX_RECORD_BYTES,
            });
        }
        Ok(Line::Torn(buf))
    }

    /// The header line, and its length when it lacks its newline.
    fn header(&mut self) -> Result<(Header, Option<u64>), AuditError> {
        match self.next_line()? {
            Line::Complete(line) => Ok((Header::parse(&line)?, None)),
            Line::Torn(line) => Ok((Header::parse(&line)?, Some(len64(&line)))),
            Line::End => Err(AuditError::Corrupt {
                line: 1,
                reason: "empty file, no header".to_owned(),
            }),
        }
    }
}

fn len64(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

fn parse(line: &[u8], line_no: u64) -> Result<AuditRecord, AuditError> {
    serde_json::from_slice(line).map_err(|e| AuditError::Corrupt {
        line: line_no,
        reason: e.to_string(),
    })
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn sync_parent(path: &Path) -> Result<(), AuditError> {
    // A new file's directory entry is durable only once its directory is.
    File::open(parent(path))?.sync_all()?;
    Ok(())
}

/// Opens an existing file; a missing one is [`AuditError::NotFound`].
fn open_existing(path: &Path, options: &OpenOptions) -> Result<File, AuditError> {
    options.open(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => AuditError::NotFound {
            path: path.to_path_buf(),
        },
        _ => AuditError::Io(e),
    })
}

fn lock(file: &File, path: &Path) -> Result<(), AuditError> {
    file.try_lock().map_err(|e| match e {
        TryLockError::WouldBlock => AuditError::Locked {
            path: path.to_path_buf(),
        },
        TryLockError::Error(e) => AuditError::Io(e),
    })
}

/// Writes `bytes` to a new side file `<log file name>.torn-<n>` next to
/// the log (the first `n` from 1 not taken) and makes it durable.
fn save_side_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, AuditError> {
    let name = path.file_name().unwrap_or(path.as_os_str()).to_os_string();
    for n in 1u64.. {
        let mut side_name = name.clone();
        side_name.push(format!(".torn-{n}"));
        let side = parent(path).join(side_name);
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&side) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        };
        file.write_all(bytes)?;
        file.sync_all()?;
        sync_parent(&side)?;
        return Ok(side);
    }
    Err(AuditError::Io(io::Error::other("no free side file name")))
}

impl FileSink {
    /// Starts a new chain, with a fresh random [`ChainId`], in a new file
    /// at `path`, and locks it. The file and its directory are synced
    /// before this returns.
    ///
    /// # Errors
    ///
    /// [`AuditError::AlreadyExists`] when anything is at `path` (continue
    /// an existing log with [`FileSink::open`]); [`AuditError::Locked`]
    /// when another sink locked the new file first;
    /// [`AuditError::Random`] when the system's randomness fails;
    /// [`AuditError::Io`] when the file cannot be written.
    pub fn create(path: impl AsRef<Path>, key: AuditKey) -> Result<Self, AuditError> {
        let path = path.as_ref().to_path_buf();
        let chain = ChainId::generate(&SystemRandom::new())?;
        let mut line =
            serde_json::to_vec(&Header::new(&key, chain)).map_err(|e| AuditError::Encode(e.to_string()))?;
        line.push(b'\n');
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists => AuditError::AlreadyExists { path: path.clone() },
                _ => AuditError::Io(e),
            })?;
        lock(&file, &path)?;
        let written = file
            .write_all(&line)
            .and_then(|()| file.sync_all())
            .map_err(AuditError::from)
            .and_then(|()| sync_parent(&path));
        if let Err(e) = written {
            // No chain was started: leave no headerless file behind.
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok(Self {
            file,
            path,
            chain: AuditChain::new(key, chain),
            len: len64(&line),
            poisoned: false,
        })
    }

    /// Opens the existing audit file at `path`, locks it, verifies it under
    /// `key`, repairs its final line and continues its chain.
    ///
    /// A final line without its newline is kept (and the newline written
    /// back) when it verifies as the chain's next record; otherwise its
    /// bytes are moved to a new side file and cut away. Both are reported
    /// in [`Recovery`].
    ///
    /// # Errors
    ///
    /// [`AuditError::NotFound`] when there is no file (start a new chain
    /// with [`FileSink::create`]); [`AuditError::Locked`] when another sink
    /// holds the file; [`AuditError::ForeignHeader`] when the file's
    /// header does not verify under `key`; [`AuditError::Corrupt`],
    /// [`AuditError::LineTooLong`] or [`AuditError::Verify`] for a complete
    /// line that is not the next valid record (the file is left as it is);
    /// [`AuditError::Io`] when reading or repairing fails.
    pub fn open(path: impl AsRef<Path>, key: AuditKey) -> Result<(Self, Recovery), AuditError> {
        let path = path.as_ref().to_path_buf();
        let mut file = open_existing(&path, OpenOptions::new().read(true).append(true))?;
        lock(&file, &path)?;
        let (head, len, missing_newline, torn) = {
            let mut reader = LogReader::new(&file);
            let (header, torn_header) = reader.header()?;
            let chain = header.chain(&key, &path)?;
            let mut verifier = ChainVerifier::for_chain(&key, chain, None);
            let mut missing_newline = torn_header.is_some();
            let mut len = torn_header.unwrap_or(reader.offset);
            let mut torn = None;
            if !missing_newline {
                loop {
                    match reader.next_line()? {
                        Line::End => break,
                        Line::Complete(line) => {
                            verifier.push(&parse(&line, reader.line_no)?)?;
                        }
                        Line::Torn(bytes) => {
                            let record = serde_json::from_slice::<AuditRecord>(&bytes).ok();
                            if record.is_some_and(|r| verifier.push(&r).is_ok()) {
                                missing_newline = true;
                                len = reader.offset.saturating_add(len64(&bytes));
                            } else {
                                torn = Some((reader.offset, bytes));
                            }
                            break;
                        }
                    }
                    len = reader.offset;
                }
            }
            (verifier.finish()?, len, missing_newline, torn)
        };
        let mut len = len;
        let torn_tail = match torn {
            Some((offset, bytes)) => {
                // The bytes are durable in the side file before they leave
                // the log.
                let side_file = save_side_file(&path, &bytes)?;
                file.set_len(offset)?;
                file.sync_all()?;
                len = offset;
                Some(TornTail {
                    offset,
                    len: len64(&bytes),
                    side_file,
                })
            }
            None => None,
        };
        if missing_newline {
            file.write_all(b"\n")?;
            file.sync_data()?;
            len = len.saturating_add(1);
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
            restored_newline: missing_newline,
            torn_tail,
        };
        Ok((sink, recovery))
    }

    /// Reads every complete record of an audit file without verifying or
    /// repairing it (for [`super::verify`] against a head kept elsewhere).
    /// A torn final line is ignored.
    ///
    /// # Errors
    ///
    /// [`AuditError::NotFound`] when there is no file; [`AuditError::Corrupt`]
    /// or [`AuditError::LineTooLong`] for a line that is not a record (or a
    /// first line that is not a header); [`AuditError::Io`] when reading
    /// fails.
    pub fn read_records(path: impl AsRef<Path>) -> Result<Vec<AuditRecord>, AuditError> {
        Ok(read_log(path.as_ref())?.1)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The identity of the chain this file holds.
    pub fn chain_id(&self) -> ChainId {
        self.chain.chain_id()
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
        self.len = self.len.saturating_add(len64(&buf));
        Ok(())
    }
}

/// The header and every complete record of the file at `path`.
fn read_log(path: &Path) -> Result<(Header, Vec<AuditRecord>), AuditError> {
    let mut reader = LogReader::new(open_existing(path, OpenOptions::new().read(true))?);
    let (header, torn_header) = reader.header()?;
    let mut records = Vec::new();
    if torn_header.is_none() {
        loop {
            match reader.next_line()? {
                Line::End | Line::Torn(_) => break,
                Line::Complete(line) => records.push(parse(&line, reader.line_no)?),
            }
        }
    }
    Ok((header, records))
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

    /// Reads the file at the sink's path again and verifies it: its header
    /// must name this sink's chain (else [`VerifyFailure::WrongChain`]: the
    /// file was replaced), and its records must end exactly at the sink's
    /// head (else [`VerifyFailure::Truncated`] or
    /// [`VerifyFailure::Extended`]), and reach `checkpoint` when given.
    fn verify(&self, checkpoint: Option<ChainHead>) -> Result<ChainHead, AuditError> {
        let (header, records) = read_log(&self.path)?;
        let found = header.chain(self.chain.key(), &self.path)?;
        let expected = self.chain.chain_id();
        if found != expected {
            return Err(VerifyError {
                position: 0,
                failure: VerifyFailure::WrongChain { expected, found },
            }
            .into());
        }
        super::sink::verify_records(&self.chain, &records, checkpoint)
    }
}

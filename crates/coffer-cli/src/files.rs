//! Inputs and outputs: files or standard streams, outputs that appear only
//! once complete, and secret files created at mode 0600.

use std::fs::{self, File, Permissions};
use std::io::{self, IsTerminal, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;
use zeroize::Zeroizing;

use crate::error::CliError;

/// Copy buffer size: one default chunk.
const COPY_BUF: usize = 64 * 1024;

/// Writes a report (text a person or script reads, never plaintext) to
/// standard output.
pub(crate) fn print(report: &[u8]) -> Result<(), CliError> {
    io::stdout()
        .lock()
        .write_all(report)
        .map_err(|source| CliError::Stream {
            action: "write",
            stream: "output",
            source,
        })
}

/// Whether a path argument means a standard stream.
pub(crate) fn is_stdio(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// An input: a file (with its length) or standard input.
pub(crate) struct Input {
    reader: Box<dyn Read>,
    /// The file's length, when known.
    pub(crate) len: Option<u64>,
    /// The file, or `None` for standard input.
    path: Option<PathBuf>,
}

impl Input {
    /// Opens `path`, or standard input for `None` or `-`.
    pub(crate) fn open(path: Option<&Path>) -> Result<Self, CliError> {
        match path {
            Some(path) if !is_stdio(Some(path)) => {
                let file = File::open(path).map_err(|e| CliError::file("read", path, e))?;
                let len = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
                Ok(Self {
                    reader: Box::new(file),
                    len,
                    path: Some(path.to_path_buf()),
                })
            }
            _ => Ok(Self {
                reader: Box::new(io::stdin().lock()),
                len: None,
                path: None,
            }),
        }
    }

    /// The reader.
    pub(crate) fn reader(&mut self) -> &mut Box<dyn Read> {
        &mut self.reader
    }

    /// A read error as a [`CliError`] naming this input.
    pub(crate) fn read_error(&self, source: io::Error) -> CliError {
        match &self.path {
            Some(path) => CliError::file("read", path, source),
            None => CliError::Stream {
                action: "read",
                stream: "input",
                source,
            },
        }
    }

    /// Takes the reader.
    pub(crate) fn into_reader(self) -> Box<dyn Read> {
        self.reader
    }
}

/// What an output holds, which decides the mode of a new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contents {
    /// Sealed bytes: created with the usual permissions (0666 less umask).
    Public,
    /// Plaintext or key material: created at mode 0600.
    Secret,
}

/// An output: standard output, or a temporary file next to the target that
/// becomes the target only on [`Output::commit`]. Dropped without commit, the
/// temporary file is removed, so a failed command leaves no partial file.
pub(crate) enum Output {
    /// Standard output.
    Stdout(io::BufWriter<io::Stdout>),
    /// A temporary file that becomes `target`.
    File {
        /// The temporary file, in the target's directory.
        temp: io::BufWriter<NamedTempFile>,
        /// Where it goes on commit.
        target: PathBuf,
        /// Whether an existing target may be replaced.
        force: bool,
    },
}

impl Output {
    /// Prepares the output for `path` (standard output for `None` or `-`).
    /// Refuses an existing target without `force`, and binary data for a
    /// terminal.
    pub(crate) fn create(
        path: Option<&Path>,
        contents: Contents,
        force: bool,
        binary: bool,
    ) -> Result<Self, CliError> {
        match path {
            Some(path) if !is_stdio(Some(path)) => {
                if !force && fs::symlink_metadata(path).is_ok() {
                    return Err(CliError::OutputExists(path.display().to_string()));
                }
                let temp = temp_next_to(path, contents)?;
                Ok(Self::File {
                    temp: io::BufWriter::with_capacity(COPY_BUF, temp),
                    target: path.to_path_buf(),
                    force,
                })
            }
            _ => {
                let stdout = io::stdout();
                if binary && stdout.is_terminal() {
                    return Err(CliError::TerminalOutput);
                }
                Ok(Self::Stdout(io::BufWriter::with_capacity(COPY_BUF, stdout)))
            }
        }
    }

    /// Whether this writes to standard output.
    pub(crate) fn is_stdout(&self) -> bool {
        matches!(self, Self::Stdout(_))
    }

    /// A write error as a [`CliError`] naming this output.
    pub(crate) fn write_error(&self, source: io::Error) -> CliError {
        match self {
            Self::Stdout(_) => CliError::Stream {
                action: "write",
                stream: "output",
                source,
            },
            Self::File { target, .. } => CliError::file("write", target, source),
        }
    }

    /// Flushes, syncs and moves the file into place (or flushes standard
    /// output).
    pub(crate) fn commit(self) -> Result<(), CliError> {
        match self {
            Self::Stdout(mut out) => out.flush().map_err(|source| CliError::Stream {
                action: "write",
                stream: "output",
                source,
            }),
            Self::File { temp, target, force } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| CliError::file("write", &target, e.into_error()))?;
                temp.as_file()
                    .sync_all()
                    .map_err(|e| CliError::file("write", &target, e))?;
                persist(temp, &target, force)
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Self::Stdout(out) => out.write(data),
            Self::File { temp, .. } => temp.write(data),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Self::Stdout(out) => out.write_all(data),
            Self::File { temp, .. } => temp.write_all(data),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout(out) => out.flush(),
            Self::File { temp, .. } => temp.flush(),
        }
    }
}

/// A temporary file in the directory of `target`.
pub(crate) fn temp_next_to(target: &Path, contents: Contents) -> Result<NamedTempFile, CliError> {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mode = match contents {
        Contents::Public => 0o666,
        Contents::Secret => 0o600,
    };
    tempfile::Builder::new()
        .prefix(".coffer-")
        .suffix(".tmp")
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(|e| CliError::file("create a file next to", target, e))
}

/// Moves a finished temporary file to `target`: atomically, and without
/// replacing an existing file unless `force`.
pub(crate) fn persist(temp: NamedTempFile, target: &Path, force: bool) -> Result<(), CliError> {
    let result = if force {
        temp.persist(target)
    } else {
        temp.persist_noclobber(target)
    };
    match result {
        Ok(_) => Ok(()),
        Err(err) if err.error.kind() == io::ErrorKind::AlreadyExists => {
            Err(CliError::OutputExists(target.display().to_string()))
        }
        Err(err) => Err(CliError::file("write", target, err.error)),
    }
}

/// Writes a secret text file at mode 0600, atomically; an existing file is
/// replaced only with `force`. `-` writes to standard output.
pub(crate) fn write_secret_file(path: &Path, text: &str, force: bool) -> Result<(), CliError> {
    let mut out = Output::create(Some(path), Contents::Secret, force, false)?;
    out.write_all(text.as_bytes()).map_err(|e| out.write_error(e))?;
    out.commit()
}

/// Reads a small secret text file into a zeroizing string.
pub(crate) fn read_secret_text(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let bytes = Zeroizing::new(fs::read(path).map_err(|e| CliError::file("read", path, e))?);
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(CliError::file(
            "read",
            path,
            io::Error::new(io::ErrorKind::InvalidData, "not utf-8 text"),
        )),
    }
}

/// Copies `reader` to `writer` through a zeroizing buffer (the bytes may be
/// plaintext), calling `progress` with each count; returns the bytes copied.
/// Read errors and write errors are told apart for the caller.
pub(crate) fn copy_secret<R: Read + ?Sized, W: Write + ?Sized>(
    reader: &mut R,
    writer: &mut W,
    mut progress: impl FnMut(u64),
) -> Result<u64, CopyError> {
    let mut buf = Zeroizing::new(vec![0u8; COPY_BUF]);
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e, total)),
        };
        writer.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
        progress(n as u64);
    }
}

/// Why [`copy_secret`] stopped, with the bytes written before.
#[derive(Debug)]
pub(crate) enum CopyError {
    /// The reader failed.
    Read(io::Error, u64),
    /// The writer failed.
    Write(io::Error),
}

//! I/O failures keep their cause: the `std::io::Error` is the error's
//! `source`, its message is in the error's text, and the code stays `io`.

use std::error::Error as _;
use std::io::{self, Read, Write};

use coffer_keys::{Error, Keyring, OpenOptions, Opener, Recipient, SealOptions, Sealer};

/// A writer and reader that always fail with "disk full".
#[derive(Debug)]
struct Broken;

impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Broken {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
    }
}

fn assert_keeps_cause(err: &Error) {
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    assert_eq!(err.code(), "io");
    assert_eq!(err.to_string(), "i/o error: disk full");
    let source = err.source().expect("an i/o error has a source");
    let io = source
        .downcast_ref::<io::Error>()
        .expect("the source is the io::Error");
    assert_eq!(io.kind(), io::ErrorKind::StorageFull);
    assert_eq!(io.to_string(), "disk full");
}

#[test]
fn a_failed_write_keeps_its_cause() {
    let mut keyring = Keyring::new();
    keyring.create("docs").unwrap();
    let recipients = [Recipient::keyring(&keyring, "docs").unwrap()];
    let err = Sealer::new(Broken, &recipients, &SealOptions::new()).unwrap_err();
    assert_keeps_cause(&err);
}

#[test]
fn a_failed_read_keeps_its_cause() {
    let err = Opener::new(Broken, &OpenOptions::new()).unwrap_err();
    assert_keeps_cause(&err);
}

#[test]
fn an_envelope_io_error_keeps_its_cause_through_the_key_layer() {
    let inner = io::Error::new(io::ErrorKind::StorageFull, "disk full");
    let err = Error::from(coffer_keys::envelope::Error::Io(inner));
    assert_keeps_cause(&err);
}

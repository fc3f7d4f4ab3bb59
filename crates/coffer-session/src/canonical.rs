//! The one canonical binary encoder of coffer, for bytes that are signed,
//! MACed or hashed: session offers here, policy digests and audit records
//! in the layers above.
//!
//! Integers are big-endian, strings and byte strings are `u32` length ‖
//! bytes, optional values carry a presence byte and lists a `u32` count, so
//! the encoding is injective: different values never give the same bytes.
//!
//! ```
//! use coffer_session::canonical::Encoder;
//! let mut w = Encoder::with_capacity(16);
//! w.str("ab");
//! w.opt(None::<u8>, Encoder::u8);
//! assert_eq!(w.finish(), [0, 0, 0, 2, b'a', b'b', 0]);
//! ```

/// Writes values in the canonical encoding; [`Encoder::finish`] returns
/// the bytes.
#[derive(Debug, Default)]
pub struct Encoder(Vec<u8>);

impl Encoder {
    /// An encoder whose buffer starts with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self(Vec::with_capacity(capacity))
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    /// A big-endian `u32`.
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    /// A big-endian `u64`.
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    /// Fixed-size bytes (a hash), written without a length.
    pub fn fixed(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// A length or count; saturates rather than truncating so that a bug
    /// cannot make two encodings alias (inputs are far below 4 GiB).
    pub fn len(&mut self, n: usize) {
        self.u32(u32::try_from(n).unwrap_or(u32::MAX));
    }

    /// A byte string: its length, then its bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    /// A string, as the byte string of its UTF-8.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// An optional value: `0`, or `1` and the value written by `f`.
    pub fn opt<T>(&mut self, v: Option<T>, f: impl FnOnce(&mut Self, T)) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                f(self, v);
            }
        }
    }

    /// A list: its count, then each item written by `f`.
    pub fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.len(items.len());
        for item in items {
            f(self, item);
        }
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.0
    }
}

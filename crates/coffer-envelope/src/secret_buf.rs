//! A fixed-capacity buffer for plaintext that is wiped as a slice.

use core::fmt;

use zeroize::Zeroize;

/// A byte buffer of fixed capacity that holds plaintext, wiped on drop.
///
/// `Zeroizing<Vec<u8>>` wipes through zeroize's generic `Vec<Z>` impl, one
/// volatile store per byte of its length (a 64 KiB chunk buffer took about
/// 15 µs to drop). This buffer is a `Vec<u8>` whose initialized part only
/// grows, up to the capacity fixed at creation, and is never reallocated:
/// every byte ever written lies in that initialized part, and the wipe
/// zeroes exactly it through zeroize's `[u8]` impl (a vectorized fill
/// followed by zeroize's optimization barrier, so the stores cannot be
/// removed as dead) at memset speed. A short message initializes, and
/// wipes, only what it used.
pub(crate) struct SecretBuf {
    /// Initialized bytes: the high-water mark of everything ever held.
    bytes: Vec<u8>,
    /// The logical length: `bytes[..len]` is the content.
    len: usize,
    /// The fixed capacity.
    capacity: usize,
}

impl SecretBuf {
    /// An empty buffer that can hold `capacity` bytes without reallocating.
    /// Nothing is initialized yet.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(capacity),
            len: 0,
            capacity,
        }
    }

    /// The content.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The content, mutably.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }

    /// The content's length.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The fixed capacity.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many bytes are initialized (the most ever held or made ready).
    pub(crate) fn initialized(&self) -> usize {
        self.bytes.len()
    }

    /// Zero-initializes the buffer up to `len` bytes (at most the capacity);
    /// never shrinks it.
    pub(crate) fn initialize(&mut self, len: usize) {
        let len = len.min(self.capacity);
        if len > self.bytes.len() {
            self.bytes.resize(len, 0);
        }
    }

    /// The whole initialized part, for reading into.
    pub(crate) fn initialized_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// Sets the content's length, at most [`SecretBuf::initialized`].
    pub(crate) fn set_len(&mut self, len: usize) {
        self.len = len.min(self.bytes.len());
    }

    /// Appends as much of `data` as the capacity allows (callers size their
    /// writes to it).
    pub(crate) fn extend_from_slice(&mut self, data: &[u8]) {
        let n = data.len().min(self.capacity - self.len);
        let end = self.len + n;
        if end > self.bytes.len() {
            // Bytes past the old high-water mark: append, no zeroing first.
            let old = self.bytes.len();
            self.bytes.extend_from_slice(&data[old - self.len..n]);
            self.bytes[self.len..old].copy_from_slice(&data[..old - self.len]);
        } else {
            self.bytes[self.len..end].copy_from_slice(&data[..n]);
        }
        self.len = end;
    }

    /// Empties the content; its bytes stay until overwritten or wiped.
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// Zeroes every byte the buffer ever held and empties it.
    fn wipe(&mut self) {
        self.bytes.as_mut_slice().zeroize();
        self.len = 0;
    }
}

impl Drop for SecretBuf {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl fmt::Debug for SecretBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBuf")
            .field("len", &self.len)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipe_zeroes_everything_ever_held_including_stale_bytes() {
        let mut buf = SecretBuf::with_capacity(64);
        buf.extend_from_slice(&[0xA5; 40]);
        buf.clear();
        buf.extend_from_slice(&[0x5A; 10]);
        assert_eq!(buf.as_slice(), &[0x5A; 10]);
        assert_eq!(buf.initialized(), 40);
        buf.wipe();
        assert_eq!(buf.len(), 0);
        // Every byte ever written, including the 30 stale ones past the
        // last length, is zero.
        assert_eq!(buf.initialized_mut(), &[0u8; 40]);
    }

    #[test]
    fn extend_across_the_high_water_mark() {
        let mut buf = SecretBuf::with_capacity(16);
        buf.extend_from_slice(b"abcdef");
        buf.clear();
        buf.extend_from_slice(b"0123");
        buf.extend_from_slice(b"456789");
        assert_eq!(buf.as_slice(), b"0123456789");
        assert_eq!(buf.initialized(), 10);
    }

    #[test]
    fn never_grows_past_its_capacity() {
        let mut buf = SecretBuf::with_capacity(8);
        buf.initialize(1000);
        assert_eq!(buf.initialized(), 8);
        buf.extend_from_slice(&[1; 1000]);
        assert_eq!((buf.len(), buf.capacity()), (8, 8));
        assert!(buf.bytes.capacity() >= 8);
    }

    #[test]
    fn debug_shows_no_bytes() {
        let mut buf = SecretBuf::with_capacity(16);
        buf.extend_from_slice(b"\xAB\xAB\xAB");
        let text = format!("{buf:?}");
        assert_eq!(text, "SecretBuf { len: 3, capacity: 16, .. }");
    }
}

//! Where random bytes come from: the system generator, or a fixed script for
//! known-answer vectors.

use std::fmt;
use std::sync::Mutex;

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::Error;

/// The source of the random bytes of a seal (DEK, message id, salts).
pub(crate) enum Randomness {
    System(SystemRandom),
    /// Bytes handed out in order; running out is an error, never a silent
    /// fallback, so a known-answer vector states every random byte it uses.
    Scripted(Mutex<ScriptedBytes>),
}

pub(crate) struct ScriptedBytes {
    bytes: Zeroizing<Vec<u8>>,
    used: usize,
}

impl Randomness {
    pub(crate) fn system() -> Self {
        Self::System(SystemRandom::new())
    }

    pub(crate) fn scripted(bytes: Vec<u8>) -> Self {
        Self::Scripted(Mutex::new(ScriptedBytes {
            bytes: Zeroizing::new(bytes),
            used: 0,
        }))
    }

    /// Draws `len` bytes at once into a scripted pool, so a seal costs one
    /// call to the system generator; the bytes come out in the same order.
    pub(crate) fn prefetch(&self, len: usize) -> Result<Self, Error> {
        let mut bytes = vec![0u8; len];
        self.fill(&mut bytes)?;
        Ok(Self::scripted(bytes))
    }

    pub(crate) fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        match self {
            Self::System(rng) => rng.fill(dest).map_err(|_| Error::Random),
            Self::Scripted(script) => {
                let mut script = script.lock().map_err(|_| Error::Random)?;
                let start = script.used;
                let end = start
                    .checked_add(dest.len())
                    .filter(|end| *end <= script.bytes.len())
                    .ok_or(Error::Random)?;
                dest.copy_from_slice(&script.bytes[start..end]);
                script.used = end;
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Randomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System(_) => f.write_str("Randomness::System"),
            Self::Scripted(_) => f.write_str("Randomness::Scripted(..)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_hands_out_bytes_in_order_then_fails() {
        let rng = Randomness::scripted(vec![1, 2, 3, 4, 5]);
        let mut a = [0u8; 2];
        let mut b = [0u8; 3];
        rng.fill(&mut a).unwrap();
        rng.fill(&mut b).unwrap();
        assert_eq!((a, b), ([1, 2], [3, 4, 5]));
        assert!(matches!(rng.fill(&mut [0u8; 1]), Err(Error::Random)));
    }

    #[test]
    fn system_fills() {
        let mut a = [0u8; 32];
        Randomness::system().fill(&mut a).unwrap();
        assert_ne!(a, [0u8; 32]);
    }
}

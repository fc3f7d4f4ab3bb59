//! Opening: one-shot, streaming and by byte range, under the caller's keys
//! and expectations.

mod unlock;

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

use coffer_envelope::{
    open_body, read_chunk, read_header, BodyLayout, BodyOpener, Context, HeaderView, KeyType, MessageId,
    ReaderLimits, Suite,
};
use zeroize::Zeroizing;

pub use unlock::MAX_UNWRAP_ATTEMPTS;
pub(crate) use unlock::{unlock, Unlocked};

use crate::keyring::Keyring;
use crate::project::ProjectKey;
use crate::public_key::Identity;
use crate::secret::{wipe, Password};
use crate::wrap::{IterationBounds, KeyWrapper};
use crate::Error;

/// The keys a caller offers for opening, and what it expects of the message.
///
/// Keys: a keyring, project keys, passwords, external wrappers and
/// identities (public-key recipients' private keys); wrapped keys are picked
/// by (type, kid), never by trial, at most
/// [`MAX_UNWRAP_ATTEMPTS`] times. Expectations: required context entries,
/// allowed suites, reader limits, the PBKDF2 iteration cap, and the external
/// AAD the message was sealed with. All are checked before any body byte is
/// decrypted.
///
/// ```
/// use coffer_keys::{envelope::Suite, Keyring, OpenOptions};
/// let keyring = Keyring::new();
/// let options = OpenOptions::new()
///     .keyring(&keyring)
///     .require_context("coffer.project", b"p-17")
///     .allow_suites(&[Suite::Aes256GcmHkdfSha256]);
/// ```
#[derive(Clone, Default)]
pub struct OpenOptions<'a> {
    keyring: Option<&'a Keyring>,
    project_keys: Vec<&'a ProjectKey>,
    passwords: Vec<&'a Password>,
    wrappers: Vec<&'a dyn KeyWrapper>,
    identities: Vec<&'a Identity>,
    required_context: Vec<(String, Vec<u8>)>,
    limits: ReaderLimits,
    iterations: IterationBounds,
    external_aad: Option<&'a [u8]>,
}

impl<'a> OpenOptions<'a> {
    /// No keys, no required context, default reader limits, both suites,
    /// PBKDF2 iterations up to [`DEFAULT_MAX_PBKDF2_ITERATIONS`](crate::DEFAULT_MAX_PBKDF2_ITERATIONS).
    pub fn new() -> Self {
        Self::default()
    }

    /// Offers the keyring's Active and DecryptOnly keys (at or above each
    /// name's minimum decryption version).
    pub fn keyring(mut self, keyring: &'a Keyring) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// Offers a project key as KEK.
    pub fn project_key(mut self, key: &'a ProjectKey) -> Self {
        self.project_keys.push(key);
        self
    }

    /// Offers a password for password-wrapped keys.
    pub fn password(mut self, password: &'a Password) -> Self {
        self.passwords.push(password);
        self
    }

    /// Offers an external key wrapper for wrapped keys with its kid.
    pub fn key_wrapper(mut self, wrapper: &'a dyn KeyWrapper) -> Self {
        self.wrappers.push(wrapper);
        self
    }

    /// Offers an identity for the records wrapped to its public key (kid =
    /// its fingerprint).
    pub fn identity(mut self, identity: &'a Identity) -> Self {
        self.identities.push(identity);
        self
    }

    /// Requires the context entry `key` with exactly `value`.
    pub fn require_context(mut self, key: &str, value: &[u8]) -> Self {
        self.required_context.push((key.to_owned(), value.to_vec()));
        self
    }

    /// Accepts only these suites.
    pub fn allow_suites(mut self, suites: &[Suite]) -> Self {
        self.limits.allowed_suites = suites.to_vec();
        self
    }

    /// Replaces the reader limits (which include the suite allow-list).
    pub fn limits(mut self, limits: ReaderLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Caps the PBKDF2 iterations a password-wrapped key may ask for.
    pub fn max_pbkdf2_iterations(mut self, max: u32) -> Self {
        self.iterations.max = max;
        self
    }

    /// Test hook: accepts iteration counts below the 600 000 floor. Only
    /// with the `test-hooks` feature, which is never for production.
    #[cfg(feature = "test-hooks")]
    pub fn insecure_min_pbkdf2_iterations(mut self, min: u32) -> Self {
        self.iterations.min = min;
        self
    }

    /// The external AAD the message was sealed with.
    pub fn external_aad(mut self, aad: &'a [u8]) -> Self {
        self.external_aad = Some(aad);
        self
    }

    pub(crate) fn reader_limits(&self) -> &ReaderLimits {
        &self.limits
    }
}

impl fmt::Debug for OpenOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenOptions")
            .field("keyring", &self.keyring)
            .field("project_keys", &self.project_keys)
            .field("passwords", &self.passwords.len())
            .field("wrappers", &self.wrappers.len())
            .field("identities", &self.identities)
            .field("required_context", &self.required_context)
            .field("limits", &self.limits)
            .field("iterations", &self.iterations)
            .field("external_aad", &self.external_aad.is_some())
            .finish()
    }
}

/// Public facts about an opened message, for the caller's policy and audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The suite the message was sealed with.
    pub suite: Suite,
    /// Its chunk size exponent.
    pub chunk_log2: u8,
    /// Its message id.
    pub message_id: MessageId,
    /// Its context entries (all committed).
    pub context: Context,
    /// Its header length in bytes.
    pub header_len: usize,
    /// The type of the wrapped key that opened it.
    pub key_type: KeyType,
    /// The kid of the wrapped key that opened it (for a local key,
    /// `name:version`).
    pub kid: Vec<u8>,
}

/// An opened message: zeroizing plaintext and the message's public facts.
#[derive(Debug)]
pub struct Opened {
    plaintext: Zeroizing<Vec<u8>>,
    info: MessageInfo,
}

impl Opened {
    /// The plaintext.
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// Takes the plaintext, still zeroizing.
    pub fn into_plaintext(mut self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(core::mem::take(&mut *self.plaintext))
    }

    /// The message's public facts.
    pub fn info(&self) -> &MessageInfo {
        &self.info
    }
}

impl Drop for Opened {
    /// Wipes the plaintext with whole-slice stores rather than through
    /// `Zeroizing<Vec<u8>>`, whose wipe writes one volatile byte at a time
    /// (about as slow as decrypting); see `wipe` in `secret.rs`.
    fn drop(&mut self) {
        wipe(core::mem::take(&mut *self.plaintext));
    }
}

/// Opens a whole envelope held in memory. The plaintext is returned only if
/// every check passes, through the final chunk.
pub fn open(sealed: &[u8], options: &OpenOptions<'_>) -> Result<Opened, Error> {
    let view = HeaderView::parse_prefix(sealed, options.reader_limits())?;
    let unlocked = unlock(&view, options)?;
    let cipher = unlocked.keys.chunk_cipher(view.suite())?;
    let plaintext = open_body(&cipher, view.chunk_log2(), &sealed[view.len()..])?;
    Ok(Opened {
        plaintext,
        info: unlocked.info,
    })
}

/// Reads and unlocks a header from the start of `reader`.
fn unlock_stream<R: Read>(reader: &mut R, options: &OpenOptions<'_>) -> Result<Unlocked, Error> {
    let header = read_header(reader, options.reader_limits())?;
    let view = HeaderView::parse(&header, options.reader_limits())?;
    unlock(&view, options)
}

/// Streaming open in constant memory. Each chunk is released only after its
/// tag verifies; a read error at any point means the rest is untrusted, and
/// only reaching end of stream (`Ok(0)`) proves the message complete.
#[derive(Debug)]
pub struct Opener<R: Read> {
    body: BodyOpener<R>,
    info: MessageInfo,
}

impl<R: Read> Opener<R> {
    /// Reads and checks the header (keys, expectations, commitment, tag).
    pub fn new(mut reader: R, options: &OpenOptions<'_>) -> Result<Self, Error> {
        let unlocked = unlock_stream(&mut reader, options)?;
        let cipher = unlocked.keys.chunk_cipher(unlocked.info.suite)?;
        Ok(Self {
            body: BodyOpener::new(reader, cipher, unlocked.info.chunk_log2)?,
            info: unlocked.info,
        })
    }

    /// The message's public facts.
    pub fn info(&self) -> &MessageInfo {
        &self.info
    }

    /// Whether the final chunk has been verified.
    pub fn is_done(&self) -> bool {
        self.body.is_done()
    }
}

impl<R: Read> Read for Opener<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.body.read(out)
    }
}

/// Opens only the plaintext bytes `range` of the envelope that starts at the
/// current position of `reader`, decrypting just the chunks that hold them.
///
/// The body length comes from the stream's end, so a truncated or extended
/// stream fails authentication of the last chunk read.
pub fn open_range<R: Read + Seek>(
    reader: &mut R,
    range: Range<u64>,
    options: &OpenOptions<'_>,
) -> Result<Opened, Error> {
    let start = reader.stream_position()?;
    let unlocked = unlock_stream(reader, options)?;
    let body_start = start + unlocked.info.header_len as u64;
    let end = reader.seek(SeekFrom::End(0))?;
    let body_len = end
        .checked_sub(body_start)
        .ok_or(Error::crypto(crate::CryptoReason::Body))?;
    let layout = BodyLayout::from_body_len(unlocked.info.chunk_log2, body_len)?;
    if range.start > range.end || range.end > layout.plaintext_len() {
        return Err(Error::Range {
            start: range.start,
            end: range.end,
            len: layout.plaintext_len(),
        });
    }
    let cipher = unlocked.keys.chunk_cipher(unlocked.info.suite)?;
    let wanted = usize::try_from(range.end - range.start).map_err(|_| Error::Range {
        start: range.start,
        end: range.end,
        len: layout.plaintext_len(),
    })?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(wanted));
    for index in layout.chunks_for(range.clone()) {
        let mut chunk = read_chunk(reader, body_start, &layout, &cipher, index)?;
        let chunk_range = layout.chunk_plaintext_range(index);
        let from = range.start.max(chunk_range.start) - chunk_range.start;
        let to = range.end.min(chunk_range.end) - chunk_range.start;
        let (from, to) = (usize::try_from(from), usize::try_from(to));
        if let (Ok(from), Ok(to)) = (from, to) {
            plaintext.extend_from_slice(chunk.get(from..to).unwrap_or_default());
        }
        // Wiped as a slice now rather than byte by byte by `Zeroizing`.
        wipe(core::mem::take(&mut *chunk));
    }
    Ok(Opened {
        plaintext,
        info: unlocked.info,
    })
}

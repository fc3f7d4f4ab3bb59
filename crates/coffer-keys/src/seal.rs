//! Sealing: one-shot and streaming.

use std::io::{self, Write};

use coffer_envelope::{
    seal_body_into, BodySealer, ChunkCipher, Commitment, Context, Core, Field, Flags, Header, HeaderTag,
    MessageId, ReaderLimits, Suite, WrappedKey, DEFAULT_CHUNK_LOG2, RESERVED_PREFIX,
};

use crate::recipient::{check_recipient_count, MessageBinding, Recipient, WrapSettings};
#[cfg(feature = "test-hooks")]
use crate::rng::Randomness;
use crate::schedule::{transcript_hash, MessageKeys};
use crate::secret::DataKey;
use crate::Error;

/// How to seal: suite, chunk size, context entries, external AAD, the
/// PBKDF2 cost of password recipients, and the reader limits the message is
/// meant for.
///
/// Sealing refuses to write a message that the intended reader would refuse
/// ([`Error::ExceedsReaderLimit`], [`Error::SuiteNotReadable`]): by default
/// that reader is [`ReaderLimits::default`], what [`open`](crate::open)
/// uses unless told otherwise, so a default seal always opens with a default
/// open. To write for a reader configured with higher limits, say so with
/// [`SealOptions::reader_limits`].
///
/// ```
/// use coffer_keys::{envelope::Suite, SealOptions};
/// let options = SealOptions::new()
///     .suite(Suite::ChaCha20Poly1305HkdfSha256)
///     .context("department", b"legal")?;
/// # Ok::<(), coffer_keys::Error>(())
/// ```
#[derive(Debug)]
pub struct SealOptions {
    suite: Suite,
    chunk_log2: u8,
    context: Context,
    external_aad: Option<Vec<u8>>,
    reader_limits: ReaderLimits,
    pub(crate) wrap: WrapSettings,
}

impl Default for SealOptions {
    fn default() -> Self {
        Self {
            suite: Suite::Aes256GcmHkdfSha256,
            chunk_log2: DEFAULT_CHUNK_LOG2,
            context: Context::new(),
            external_aad: None,
            reader_limits: ReaderLimits::default(),
            wrap: WrapSettings::default(),
        }
    }
}

impl SealOptions {
    /// AES-256-GCM, 64 KiB chunks, no context, no external AAD, 600 000
    /// PBKDF2 iterations, for a reader with the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// The algorithm suite.
    pub fn suite(mut self, suite: Suite) -> Self {
        self.suite = suite;
        self
    }

    /// The chunk size as a power of two (10..=24). Checked when sealing,
    /// also against the intended reader's limit (20 by default; see
    /// [`SealOptions::reader_limits`]).
    pub fn chunk_log2(mut self, chunk_log2: u8) -> Self {
        self.chunk_log2 = chunk_log2;
        self
    }

    /// Adds a public context entry, committed into the key schedule. Keys
    /// starting with `coffer.` are refused.
    pub fn context(self, key: &str, value: &[u8]) -> Result<Self, Error> {
        if key.starts_with(RESERVED_PREFIX) {
            return Err(Error::ReservedContextKey(key.to_owned()));
        }
        self.insert_context(key, value)
    }

    /// Adds a context entry under the reserved `coffer.` prefix. For coffer's
    /// own layers (project and document ids, key kinds), not for
    /// applications: a key without the prefix is refused.
    pub fn reserved_context(self, key: &str, value: &[u8]) -> Result<Self, Error> {
        if !key.starts_with(RESERVED_PREFIX) {
            return Err(Error::ReservedContextKey(key.to_owned()));
        }
        self.insert_context(key, value)
    }

    fn insert_context(mut self, key: &str, value: &[u8]) -> Result<Self, Error> {
        self.context.insert(key, value)?;
        Ok(self)
    }

    /// Binds associated data that is not stored in the envelope; the opener
    /// must supply the same bytes.
    pub fn external_aad(mut self, aad: &[u8]) -> Self {
        self.external_aad = Some(aad.to_vec());
        self
    }

    /// The limits of the reader the message is meant for (by default
    /// [`ReaderLimits::default`]). Sealing refuses a message these limits
    /// would refuse: a chunk size, context section, key section or
    /// recipient count above them, or a suite outside their allow-list.
    /// Raise them only when the message's readers are configured with the
    /// same or higher limits.
    ///
    /// ```
    /// use coffer_keys::{envelope::ReaderLimits, SealOptions};
    /// let limits = ReaderLimits {
    ///     max_chunk_log2: 24,
    ///     ..ReaderLimits::default()
    /// };
    /// let options = SealOptions::new().chunk_log2(24).reader_limits(limits);
    /// ```
    pub fn reader_limits(mut self, limits: ReaderLimits) -> Self {
        self.reader_limits = limits;
        self
    }

    /// PBKDF2 iterations for password recipients (at least 600 000).
    pub fn password_iterations(mut self, iterations: u32) -> Result<Self, Error> {
        self.wrap.set_iterations(iterations)?;
        Ok(self)
    }

    /// Test hook: any iteration count, below the floor readers enforce.
    /// Only with the `test-hooks` feature, which is never for production.
    #[cfg(feature = "test-hooks")]
    pub fn insecure_password_iterations(mut self, iterations: u32) -> Self {
        self.wrap.set_insecure_iterations(iterations);
        self
    }

    /// Test hook for known-answer vectors: random bytes are taken from
    /// `bytes` in order (DEK 32, message id 32, then per recipient: local
    /// wrap salt 16; password salt 16 and wrap salt 16; X25519 public key
    /// the HPKE ephemeral `ikmE` 32; X-Wing public key its `eseed` 64), and
    /// sealing fails
    /// when they run out. Only with the `test-hooks` feature, which is
    /// never for production.
    #[cfg(feature = "test-hooks")]
    pub fn scripted_randomness(mut self, bytes: Vec<u8>) -> Self {
        self.wrap.rng = Randomness::scripted(bytes);
        self
    }

    /// Builds and writes the header; returns its bytes and the body cipher.
    /// `reserved` adds `coffer.` context entries for this message only.
    fn header(
        &self,
        recipients: &[Recipient<'_>],
        reserved: &[(&str, &[u8])],
    ) -> Result<(Vec<u8>, ChunkCipher), Error> {
        let mut context = self.context.clone();
        for (key, value) in reserved {
            if !key.starts_with(RESERVED_PREFIX) {
                return Err(Error::ReservedContextKey((*key).to_owned()));
            }
            context.insert(key, value)?;
        }
        check_recipient_count(recipients.len())?;
        // Everything the reader checks that is known before wrapping is
        // checked before any key work (a PBKDF2 or a KMS call).
        check_readable_core(&self.reader_limits, self.suite, self.chunk_log2, &context)?;
        check_key_count(&self.reader_limits, recipients.len())?;
        let pool = self.wrap.rng.prefetch(64 + WrapSettings::salt_len(recipients))?;
        let mut fresh = zeroize::Zeroizing::new([0u8; 64]);
        pool.fill(fresh.as_mut_slice())?;
        let mut dek = [0u8; 32];
        dek.copy_from_slice(&fresh[..32]);
        let dek = DataKey::from_bytes(dek);
        let mut message_id = [0u8; 32];
        message_id.copy_from_slice(&fresh[32..]);
        let flags = if self.external_aad.is_some() {
            Flags::EXTERNAL_AAD
        } else {
            Flags::NONE
        };
        let core = Core {
            suite: self.suite,
            flags,
            chunk_log2: self.chunk_log2,
            message_id: MessageId(message_id),
            context,
        };
        let th = transcript_hash(&core.to_bytes()?, self.external_aad.as_deref());
        let keys = MessageKeys::derive(&dek, self.suite.id(), &message_id, &th)?;
        let message = MessageBinding {
            suite: self.suite,
            message_id: &message_id,
            th: &th,
        };
        let wrapped = self.wrap.wrap_all(recipients, &dek, &message, &pool)?;
        check_keys_len(&self.reader_limits, &wrapped)?;
        let bytes = finish_header(
            Header {
                core,
                commitment: Commitment(*keys.commitment()),
                keys: wrapped,
                tag: HeaderTag([0; 32]),
            },
            &keys,
        )?;
        Ok((bytes, keys.chunk_cipher(self.suite)?))
    }
}

/// Refuses a suite, chunk size or context the reader `limits` would refuse.
fn check_readable_core(
    limits: &ReaderLimits,
    suite: Suite,
    chunk_log2: u8,
    context: &Context,
) -> Result<(), Error> {
    if !limits.allows(suite) {
        return Err(Error::SuiteNotReadable(suite));
    }
    check_limit(Field::ChunkLog2, chunk_log2.into(), limits.max_chunk_log2.into())?;
    check_limit(
        Field::ContextLen,
        context.encoded_len() as u64,
        limits.max_context_len.into(),
    )
}

/// Refuses more wrapped keys than the reader `limits` accept.
pub(crate) fn check_key_count(limits: &ReaderLimits, count: usize) -> Result<(), Error> {
    check_limit(Field::KeyCount, count as u64, limits.max_key_count.into())
}

/// Refuses a key section longer than the reader `limits` accept.
pub(crate) fn check_keys_len(limits: &ReaderLimits, keys: &[WrappedKey]) -> Result<(), Error> {
    let len = 1 + keys.iter().map(WrappedKey::encoded_len).sum::<usize>();
    check_key_count(limits, keys.len())?;
    check_limit(Field::KeysLen, len as u64, limits.max_keys_len.into())
}

fn check_limit(field: Field, value: u64, limit: u64) -> Result<(), Error> {
    if value > limit {
        return Err(Error::ExceedsReaderLimit { field, value, limit });
    }
    Ok(())
}

/// Serializes `header` with its tag computed under `keys`.
pub(crate) fn finish_header(header: Header, keys: &MessageKeys) -> Result<Vec<u8>, Error> {
    let mut bytes = header.signed_bytes()?;
    let tag = keys.header_tag(&bytes);
    bytes.extend_from_slice(&tag);
    Ok(bytes)
}

/// Seals `plaintext` for `recipients` into one envelope (header and body).
///
/// ```
/// use coffer_keys::{open, seal, Keyring, OpenOptions, Recipient, SealOptions};
/// let mut keyring = Keyring::new();
/// keyring.create("docs")?;
/// let sealed = seal(b"hello", &[Recipient::keyring(&keyring, "docs")?], &SealOptions::new())?;
/// let opened = open(&sealed, &OpenOptions::new().keyring(&keyring))?;
/// assert_eq!(opened.plaintext(), b"hello");
/// # Ok::<(), coffer_keys::Error>(())
/// ```
pub fn seal(plaintext: &[u8], recipients: &[Recipient<'_>], options: &SealOptions) -> Result<Vec<u8>, Error> {
    seal_with_context(plaintext, recipients, options, &[])
}

/// [`seal`] with extra reserved context entries, for coffer's own envelopes.
pub(crate) fn seal_with_context(
    plaintext: &[u8],
    recipients: &[Recipient<'_>],
    options: &SealOptions,
    reserved: &[(&str, &[u8])],
) -> Result<Vec<u8>, Error> {
    let (mut out, cipher) = options.header(recipients, reserved)?;
    seal_body_into(&cipher, options.chunk_log2, plaintext, &mut out)?;
    Ok(out)
}

/// [`seal`] appending to `out`, so a caller that seals many messages can
/// reuse one buffer (no fresh allocation or page faults per message). On
/// error `out` is restored to its previous length.
///
/// ```
/// use coffer_keys::{seal_into, Keyring, Recipient, SealOptions};
/// let mut keyring = Keyring::new();
/// keyring.create("docs")?;
/// let recipients = [Recipient::keyring(&keyring, "docs")?];
/// let mut buffer = Vec::new();
/// for document in [&b"one"[..], b"two"] {
///     buffer.clear();
///     seal_into(document, &recipients, &SealOptions::new(), &mut buffer)?;
/// }
/// # Ok::<(), coffer_keys::Error>(())
/// ```
pub fn seal_into(
    plaintext: &[u8],
    recipients: &[Recipient<'_>],
    options: &SealOptions,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let start = out.len();
    let result = options.header(recipients, &[]).and_then(|(header, cipher)| {
        out.extend_from_slice(&header);
        Ok(seal_body_into(&cipher, options.chunk_log2, plaintext, out)?)
    });
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Streaming seal in constant memory: write plaintext, then call
/// [`Sealer::finish`] (dropping it without `finish` leaves the message
/// truncated, and it will not open).
#[derive(Debug)]
pub struct Sealer<W: Write> {
    body: BodySealer<W>,
}

impl<W: Write> Sealer<W> {
    /// Writes the header to `writer` and prepares the body.
    pub fn new(mut writer: W, recipients: &[Recipient<'_>], options: &SealOptions) -> Result<Self, Error> {
        let (header, cipher) = options.header(recipients, &[])?;
        writer.write_all(&header)?;
        Ok(Self {
            body: BodySealer::new(writer, cipher, options.chunk_log2)?,
        })
    }

    /// Seals the final chunk and returns the writer.
    pub fn finish(self) -> Result<W, Error> {
        Ok(self.body.finish()?)
    }
}

impl<W: Write> Write for Sealer<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.body.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.body.flush()
    }
}

//! Rewrap: change who can open a message without touching its body.
//!
//! The key section is outside the transcript hash, so adding or removing a
//! recipient, moving to a new KEK version or changing a password rewrites only
//! the key section and the header tag. The cost is independent of the body
//! size: [`rewrap_header`] takes and returns header bytes, and [`rewrap`]
//! copies the body unchanged.

use std::io::{self, Read, Write};

use coffer_envelope::{read_header, Header, HeaderView, KeyType, WrappedKey};

use crate::keyring::{KeyId, Keyring};
use crate::open::{unlock, OpenOptions};
use crate::recipient::{check_recipient_count, MessageBinding, Recipient, WrapSettings};
#[cfg(feature = "test-hooks")]
use crate::rng::Randomness;
use crate::seal::{check_key_count, check_keys_len, finish_header};
use crate::Error;

/// A change to a message's recipients.
///
/// Removals apply to the existing wrapped keys first (each must match at
/// least one), then additions are appended. Wrapped keys of unknown types are
/// kept.
///
/// ```
/// use coffer_keys::{rewrap, seal, Keyring, OpenOptions, Recipient, Rewrap, SealOptions};
/// let mut keyring = Keyring::new();
/// keyring.create("docs")?;
/// let sealed = seal(b"report", &[Recipient::keyring(&keyring, "docs")?], &SealOptions::new())?;
/// keyring.rotate("docs")?;
/// let change = Rewrap::new().rotate_to_active(&keyring, "docs")?;
/// let rewrapped = rewrap(&sealed, &OpenOptions::new().keyring(&keyring), &change)?;
/// assert_eq!(&rewrapped[rewrapped.len() - 21..], &sealed[sealed.len() - 21..]);
/// # Ok::<(), coffer_keys::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Rewrap<'a> {
    remove: Vec<Selector>,
    add: Vec<Recipient<'a>>,
    settings: WrapSettings,
}

#[derive(Debug)]
enum Selector {
    Exact(KeyType, Vec<u8>),
    LocalName(String),
    AllOfType(KeyType),
}

impl Selector {
    fn matches(&self, key: &WrappedKey) -> bool {
        match self {
            Self::Exact(key_type, kid) => key.key_type() == *key_type && key.kid() == kid.as_slice(),
            Self::LocalName(name) => {
                key.key_type() == KeyType::LOCAL
                    && KeyId::from_kid(key.kid()).is_ok_and(|id| id.name() == name)
            }
            Self::AllOfType(key_type) => key.key_type() == *key_type,
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Exact(key_type, kid) if crate::KemAlgorithm::from_key_type(*key_type).is_some() => {
                format!("{:#04x}/{}", key_type.0, hex::encode(kid))
            }
            Self::Exact(key_type, kid) => {
                format!("{:#04x}/{}", key_type.0, String::from_utf8_lossy(kid))
            }
            Self::LocalName(name) => format!("{name}:*"),
            Self::AllOfType(key_type) => format!("{:#04x}/*", key_type.0),
        }
    }
}

impl<'a> Rewrap<'a> {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a recipient.
    pub fn add_recipient(mut self, recipient: Recipient<'a>) -> Self {
        self.add.push(recipient);
        self
    }

    /// Removes the wrapped key of one local KEK version.
    pub fn remove_key(mut self, id: &KeyId) -> Self {
        self.remove
            .push(Selector::Exact(KeyType::LOCAL, id.kid().to_vec()));
        self
    }

    /// Removes the wrapped key with this exact type and kid.
    pub fn remove_kid(mut self, key_type: KeyType, kid: &[u8]) -> Self {
        self.remove.push(Selector::Exact(key_type, kid.to_vec()));
        self
    }

    /// Removes the wrapped key sealed to this public key (its type and
    /// fingerprint). Removal cannot take back what its identity could
    /// already open: rotate the data's keys for that.
    pub fn remove_public_key(self, key: &crate::PublicKey) -> Self {
        self.remove_kid(key.algorithm().key_type(), key.fingerprint())
    }

    /// Removes every password-wrapped key.
    pub fn remove_passwords(mut self) -> Self {
        self.remove.push(Selector::AllOfType(KeyType::PASSWORD));
        self
    }

    /// Replaces every version of the local key `name` with its current Active
    /// version in `keyring` (after a rotation).
    pub fn rotate_to_active(mut self, keyring: &'a Keyring, name: &str) -> Result<Self, Error> {
        self.remove.push(Selector::LocalName(name.to_owned()));
        self.add.push(Recipient::keyring(keyring, name)?);
        Ok(self)
    }

    /// PBKDF2 iterations for added password recipients (at least 600 000).
    pub fn password_iterations(mut self, iterations: u32) -> Result<Self, Error> {
        self.settings.set_iterations(iterations)?;
        Ok(self)
    }

    /// Test hook: any iteration count. Only with the `test-hooks`
    /// feature, which is never for production.
    #[cfg(feature = "test-hooks")]
    pub fn insecure_password_iterations(mut self, iterations: u32) -> Self {
        self.settings.set_insecure_iterations(iterations);
        self
    }

    /// Test hook: salts for added recipients come from `bytes`, in order.
    /// Only with the `test-hooks` feature, which is never for production.
    #[cfg(feature = "test-hooks")]
    pub fn scripted_randomness(mut self, bytes: Vec<u8>) -> Self {
        self.settings.rng = Randomness::scripted(bytes);
        self
    }
}

/// Rewraps a header (exactly its bytes) and returns the new header bytes.
///
/// The header is fully verified first (a key in `options` must unlock it,
/// its commitment and tag must check), then the key section and tag are
/// rewritten; core and commitment stay byte-for-byte, so the body that
/// followed the old header follows the new one unchanged. A new key section
/// that the reader limits of `options` would refuse (too many records or
/// bytes) is refused with [`Error::ExceedsReaderLimit`].
pub fn rewrap_header(
    header: &[u8],
    options: &OpenOptions<'_>,
    change: &Rewrap<'_>,
) -> Result<Vec<u8>, Error> {
    let view = HeaderView::parse(header, options.reader_limits())?;
    rewrap_view(&view, options, change)
}

/// [`rewrap_header`] on an already parsed header, so [`rewrap`] parses the
/// envelope's header once.
fn rewrap_view(
    view: &HeaderView<'_>,
    options: &OpenOptions<'_>,
    change: &Rewrap<'_>,
) -> Result<Vec<u8>, Error> {
    let unlocked = unlock(view, options)?;
    let old = view.to_header()?;
    let mut keys = Vec::with_capacity(old.keys.len() + change.add.len());
    let mut matched = vec![false; change.remove.len()];
    for key in old.keys {
        let mut removed = false;
        for (selector, hit) in change.remove.iter().zip(matched.iter_mut()) {
            if selector.matches(&key) {
                *hit = true;
                removed = true;
            }
        }
        if !removed {
            keys.push(key);
        }
    }
    if let Some((selector, _)) = change.remove.iter().zip(&matched).find(|(_, hit)| !**hit) {
        return Err(Error::RecipientNotFound(selector.describe()));
    }
    check_recipient_count(keys.len() + change.add.len())?;
    // The new header must still open under the limits it was read with.
    check_key_count(options.reader_limits(), keys.len() + change.add.len())?;
    let message_id = *view.message_id().as_bytes();
    let binding = MessageBinding {
        suite: view.suite(),
        message_id: &message_id,
        th: &unlocked.th,
    };
    let pool = change
        .settings
        .rng
        .prefetch(WrapSettings::salt_len(&change.add))?;
    keys.extend(
        change
            .settings
            .wrap_all(&change.add, &unlocked.dek, &binding, &pool)?,
    );
    check_keys_len(options.reader_limits(), &keys)?;
    let new_header = finish_header(
        Header {
            core: old.core,
            commitment: old.commitment,
            keys,
            tag: old.tag,
        },
        &unlocked.keys,
    )?;
    // Canonical encoding makes this hold; checking it keeps the body valid
    // even if the format layer ever changed how it re-encodes a core.
    if new_header.get(..view.core_bytes().len()) != Some(view.core_bytes()) {
        return Err(Error::crypto(crate::CryptoReason::HeaderTag));
    }
    Ok(new_header)
}

/// Rewraps a whole envelope in memory: new header, same body bytes.
pub fn rewrap(sealed: &[u8], options: &OpenOptions<'_>, change: &Rewrap<'_>) -> Result<Vec<u8>, Error> {
    let view = HeaderView::parse_prefix(sealed, options.reader_limits())?;
    let body = &sealed[view.len()..];
    let mut out = rewrap_view(&view, options, change)?;
    out.reserve_exact(body.len());
    out.extend_from_slice(body);
    Ok(out)
}

/// Rewraps an envelope from `reader` to `writer`, streaming the body through
/// unchanged in constant memory; returns the body bytes copied.
pub fn rewrap_stream<R: Read, W: Write>(
    mut reader: R,
    mut writer: W,
    options: &OpenOptions<'_>,
    change: &Rewrap<'_>,
) -> Result<u64, Error> {
    let header = read_header(&mut reader, options.reader_limits())?;
    let new_header = rewrap_header(&header, options, change)?;
    writer.write_all(&new_header)?;
    let copied = io::copy(&mut reader, &mut writer)?;
    writer.flush()?;
    Ok(copied)
}

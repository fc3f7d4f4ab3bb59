//! Reading a sealed input's header before deciding how to open it.

use coffer_keys::envelope::{self, HeaderView, KeyType, ReaderLimits};
use coffer_keys::Error as KeysError;

use crate::error::CliError;
use crate::files::Input;
use crate::key_args::KeyArgs;

/// Reads exactly the header from `input` under the default reader limits,
/// leaving the input at the body.
pub(crate) fn read_header(input: &mut Input) -> Result<Vec<u8>, CliError> {
    envelope::read_header(input.reader(), &ReaderLimits::default()).map_err(|err| match err {
        envelope::Error::Io(source) => input.read_error(source),
        other => KeysError::from(other).into(),
    })
}

/// When no key option was given, asks for a password if the header has a
/// password recipient (as a person would expect), else refuses.
pub(crate) fn default_to_password(keys: &mut KeyArgs, header: &[u8]) -> Result<(), CliError> {
    if !keys.is_empty() {
        return Ok(());
    }
    let view = HeaderView::parse(header, &ReaderLimits::default()).map_err(KeysError::from)?;
    if view.wrapped_keys().any(|key| key.key_type == KeyType::PASSWORD) {
        keys.passphrase = true;
        Ok(())
    } else {
        Err(CliError::NoKeys)
    }
}

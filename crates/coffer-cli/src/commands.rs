//! One module per command: its arguments and what it does.

pub(crate) mod completions;
pub(crate) mod inspect;
pub(crate) mod keygen;
pub(crate) mod keyring;
pub(crate) mod open;
pub(crate) mod rewrap;
pub(crate) mod seal;

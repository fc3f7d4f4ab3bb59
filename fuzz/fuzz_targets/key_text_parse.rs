//! Parsing untrusted key text, key files, keyring files, public keys and
//! identity files never panics, and whatever parses renders back to text
//! that parses to the same keys.
#![no_main]

use coffer_cli::key_text::{
    parse_identity_file, parse_key_file, render_identity_file, render_key_file, LocalKey,
};
use coffer_cli::keyring_file::KeyringFile;
use coffer_keys::{Identity, PublicKey};
use libfuzzer_sys::fuzz_target;

fn same_key(a: &LocalKey, b: &LocalKey) -> bool {
    a.id() == b.id() && a.kek() == b.kek()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = LocalKey::parse(&text) {
        let rendered = key.to_text();
        let again = LocalKey::parse(&rendered).expect("rendered key text parses");
        assert!(same_key(&key, &again));
        // One text per key: the input, trimmed, is the rendering in some case.
        assert!(text.trim().eq_ignore_ascii_case(&rendered));
    }
    if let Ok(key) = parse_key_file(&text) {
        let again = parse_key_file(&render_key_file(&key)).expect("rendered key file parses");
        assert!(same_key(&key, &again));
    }
    if let Ok(key) = PublicKey::from_text(&text) {
        let rendered = key.to_text();
        assert_eq!(
            PublicKey::from_text(&rendered).expect("rendered public key parses"),
            key
        );
        assert!(text.trim().eq_ignore_ascii_case(&rendered));
    }
    if let Ok(identity) = Identity::from_text(&text) {
        let rendered = identity.to_text();
        assert!(text.trim().eq_ignore_ascii_case(&rendered));
        let again = parse_identity_file(&render_identity_file(&identity)).expect("identity file parses");
        assert_eq!(again, identity);
    }
    if let Ok(identity) = parse_identity_file(&text) {
        let again = Identity::from_text(&identity.to_text()).expect("rendered identity parses");
        assert_eq!(again, identity);
    }
    if let Ok(keyring) = KeyringFile::parse(&text) {
        let rendered = keyring.render();
        let again = KeyringFile::parse(&rendered).expect("rendered keyring parses");
        assert_eq!(again.render().as_str(), rendered.as_str());
    }
});

//! Project keys: sealed under a password and a recovery key, unlocked, used
//! as KEK, and re-passworded by rewrap. These use the real 600 000-iteration
//! floor.

use coffer_keys::envelope::{HeaderView, ReaderLimits};
use coffer_keys::{
    change_password, open, seal, seal_project_key, unlock_project_key, Error, KeyState, Keyring, OpenOptions,
    Password, ProjectKey, Recipient, SealOptions, MIN_PBKDF2_ITERATIONS,
};
use zeroize::Zeroizing;

#[test]
fn project_key_lifecycle_at_full_cost() {
    let project = ProjectKey::generate("project.alpha").unwrap();
    let mut recovery = Keyring::new();
    recovery.create("recovery").unwrap();
    let password = Password::new("first password");
    let sealed = seal_project_key(
        &project,
        &[
            Recipient::password(&password),
            Recipient::keyring(&recovery, "recovery").unwrap(),
        ],
        &SealOptions::new(),
    )
    .unwrap();
    let view = HeaderView::parse_prefix(&sealed, &ReaderLimits::default()).unwrap();
    assert_eq!(view.context_value("coffer.kind"), Some(&b"project-key"[..]));
    let iterations = view.wrapped_keys().next().unwrap().body[..4].to_vec();
    assert_eq!(iterations, MIN_PBKDF2_ITERATIONS.to_be_bytes());

    // The session layer hands over a zeroizing secret.
    let redeemed = Password::from(Zeroizing::new(b"first password".to_vec()));
    assert_eq!(unlock_project_key(&sealed, &redeemed).unwrap(), project);
    assert_eq!(unlock_project_key(&sealed, &recovery).unwrap(), project);
    assert!(matches!(
        unlock_project_key(&sealed, &Password::new("wrong")),
        Err(Error::Crypto(_))
    ));

    // A document sealed under the project key.
    let document = seal(
        b"minutes",
        &[Recipient::project_key(&project)],
        &SealOptions::new(),
    )
    .unwrap();

    let new_password = Password::new("second password");
    let changed = change_password(&sealed, &password, &new_password).unwrap();
    let header_len = view.len();
    let new_len = HeaderView::parse_prefix(&changed, &ReaderLimits::default())
        .unwrap()
        .len();
    assert_eq!(
        &changed[new_len..],
        &sealed[header_len..],
        "the sealed key itself is unchanged"
    );
    assert!(matches!(
        unlock_project_key(&changed, &password),
        Err(Error::Crypto(_))
    ));
    let unlocked = unlock_project_key(&changed, &new_password).unwrap();
    assert_eq!(unlock_project_key(&changed, &recovery).unwrap(), unlocked);
    let opened = open(&document, &OpenOptions::new().project_key(&unlocked)).unwrap();
    assert_eq!(opened.plaintext(), b"minutes");
}

#[test]
fn documents_are_not_project_keys() {
    let mut ring = Keyring::new();
    ring.create("k").unwrap();
    let document = seal(
        &[0u8; 32],
        &[Recipient::keyring(&ring, "k").unwrap()],
        &SealOptions::new(),
    )
    .unwrap();
    assert!(matches!(
        unlock_project_key(&document, &ring),
        Err(Error::NotAProjectKey)
    ));
}

#[test]
fn rotated_project_keys_live_in_a_keyring() {
    let v1 = ProjectKey::generate("project.beta").unwrap();
    let document = seal(b"old doc", &[Recipient::project_key(&v1)], &SealOptions::new()).unwrap();
    let v2 = v1.rotate().unwrap();
    assert_eq!(v2.id().version(), 2);
    assert_ne!(v1, v2);
    let mut ring = Keyring::new();
    v1.into_keyring(&mut ring, KeyState::DecryptOnly).unwrap();
    v2.into_keyring(&mut ring, KeyState::Active).unwrap();
    assert_eq!(
        open(&document, &OpenOptions::new().keyring(&ring))
            .unwrap()
            .plaintext(),
        b"old doc"
    );
    assert_eq!(ring.active_id("project.beta").unwrap().version(), 2);
    assert_eq!(
        format!("{:?}", ProjectKey::generate("p").unwrap()),
        "ProjectKey(p:1, ..)"
    );
}

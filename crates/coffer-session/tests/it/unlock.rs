//! Redeem and unlock a password-sealed project key in one call.

use crate::fixtures;

use coffer_session::keys::{seal_project_key, Password, ProjectKey, Recipient, SealOptions};
use coffer_session::{client, RejectReason, SessionConfig, Suite, UnlockError};
use fixtures::{expected, manual_clock, request, service_with};

const PASSWORD: &str = "correct horse battery staple";

fn sealed_project_key() -> (ProjectKey, Vec<u8>) {
    let key = ProjectKey::generate("project.seven").unwrap();
    let password = Password::new(PASSWORD);
    let sealed = seal_project_key(&key, &[Recipient::password(&password)], &SealOptions::new()).unwrap();
    (key, sealed)
}

#[test]
fn a_redeemed_password_unlocks_the_project_key() {
    let (key, sealed) = sealed_project_key();
    let service = service_with(SessionConfig::default(), manual_clock());
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        let offer = service.issue(&request(suite)).unwrap();
        let message = client::encrypt(&offer, PASSWORD.as_bytes()).unwrap();
        let unlocked = service.redeem_and_unlock(&message, &expected(), &sealed).unwrap();
        assert_eq!(unlocked.project_key, key, "{suite}");
        assert_eq!(unlocked.session.key_id, offer.key_id);
        // Single use holds through the helper.
        match service.redeem_and_unlock(&message, &expected(), &sealed) {
            Err(UnlockError::Rejected(rejection)) => {
                assert_eq!(rejection.reason(), RejectReason::AlreadyUsed)
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
}

#[test]
fn a_wrong_password_is_a_key_error_not_a_rejection() {
    let (_, sealed) = sealed_project_key();
    let service = service_with(SessionConfig::default(), manual_clock());
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let message = client::encrypt(&offer, b"not the password").unwrap();
    assert!(matches!(
        service.redeem_and_unlock(&message, &expected(), &sealed),
        Err(UnlockError::Keys(_))
    ));
}

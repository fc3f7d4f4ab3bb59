//! Hostile input: arbitrary client messages are refused with a reason,
//! never a panic, and never touch sessions they do not name.

use crate::fixtures;

use coffer_session::{client, ClientMessage, RejectReason, SessionConfig, SessionKeyId, StoreLimits, Suite};
use fixtures::{expected, manual_clock, request, service_with, service_with_limits};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_messages_are_refused_without_panicking(key_id in ".{0,40}", ciphertext in ".{0,600}") {
        let service = service_with(SessionConfig::default(), manual_clock());
        let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
        let message = ClientMessage { key_id, encrypted_password: ciphertext };
        prop_assert!(service.redeem(&message, &expected()).is_err());
        // The real session is untouched unless the message named it.
        let honest = client::encrypt(&offer, b"pw").unwrap();
        let named_it = SessionKeyId::parse(&message.key_id).ok() == Some(offer.key_id);
        prop_assert_eq!(service.redeem(&honest, &expected()).is_ok(), !named_it);
    }

    #[test]
    fn arbitrary_ecdh_ciphertexts_fail_to_decrypt(bytes in proptest::collection::vec(any::<u8>(), 81..400)) {
        use base64::Engine;
        let service = service_with(SessionConfig::default(), manual_clock());
        let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
        let message = ClientMessage {
            key_id: offer.key_id.to_string(),
            encrypted_password: base64::engine::general_purpose::STANDARD.encode(&bytes),
        };
        let reason = service.redeem(&message, &expected()).unwrap_err().reason();
        prop_assert!(matches!(reason, RejectReason::DecryptFailed | RejectReason::TooLong), "{:?}", reason);
    }

    #[test]
    fn key_id_text_round_trips(bytes in any::<[u8; 16]>()) {
        let id = SessionKeyId::from_bytes(bytes);
        prop_assert_eq!(SessionKeyId::parse(&id.to_string()).unwrap(), id);
    }
}

#[test]
fn the_oldest_tombstones_are_forgotten_first() {
    let limits = StoreLimits {
        remembered: 2,
        ..StoreLimits::default()
    };
    let service = service_with_limits(limits, manual_clock());
    let expected = expected();
    let messages: Vec<_> = (0..3)
        .map(|_| {
            let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
            let message = client::encrypt(&offer, b"pw").unwrap();
            service.redeem(&message, &expected).unwrap();
            message
        })
        .collect();
    assert_eq!(service.stats().tombstones, 2);
    assert_eq!(
        service.redeem(&messages[0], &expected).unwrap_err().reason(),
        RejectReason::UnknownKey
    );
    assert_eq!(
        service.redeem(&messages[1], &expected).unwrap_err().reason(),
        RejectReason::AlreadyUsed
    );
    assert_eq!(
        service.redeem(&messages[2], &expected).unwrap_err().reason(),
        RejectReason::AlreadyUsed
    );
}

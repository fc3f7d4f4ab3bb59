//! Issue and redeem end to end with the Rust client: binding, single use,
//! limits, expiry and the uniform rejection.

use crate::fixtures;

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use coffer_session::{
    client, ClientMessage, Clock, Expected, InstanceTag, IssueError, IssueRequest, OfferSigner, RejectReason,
    SessionConfig, SessionKeyId, SessionService, SessionStoreError, SignatureError, StoreLimits, Suite,
};
use fixtures::{expected, manual_clock, request, service_with, service_with_limits, BINDING, PURPOSE};

fn service() -> SessionService {
    service_with(SessionConfig::default(), manual_clock())
}

fn reason(service: &SessionService, message: &ClientMessage) -> RejectReason {
    service
        .redeem(message, &expected())
        .expect_err("redeem must fail")
        .reason()
}

#[test]
fn every_suite_round_trips_once() {
    let service = service();
    for suite in Suite::ALL {
        let offer = service.issue(&request(suite)).unwrap();
        let message = client::encrypt(&offer, b"correct horse battery staple").unwrap();
        let redeemed = service.redeem(&message, &expected()).unwrap();
        assert!(
            redeemed.secret().ct_eq(b"correct horse battery staple"),
            "{suite}"
        );
        assert_eq!(redeemed.meta().suite, suite);
        assert_eq!(redeemed.meta().issuer, "alice");
        assert_eq!(redeemed.meta().key_id, offer.key_id);
        assert_eq!(reason(&service, &message), RejectReason::AlreadyUsed, "{suite}");
    }
    assert_eq!(service.stats().live, 0);
}

#[test]
fn rejections_display_one_message_whatever_the_reason() {
    let service = service();
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let message = client::encrypt(&offer, b"pw").unwrap();
    let malformed = ClientMessage {
        key_id: "nope".into(),
        encrypted_password: "x".into(),
    };
    let wrong = service
        .redeem(&message, &Expected::new(PURPOSE, "project-8"))
        .unwrap_err();
    let replay = service.redeem(&message, &expected()).unwrap_err();
    let bad_id = service.redeem(&malformed, &expected()).unwrap_err();
    assert_eq!(wrong.reason(), RejectReason::WrongBinding);
    assert_eq!(replay.reason(), RejectReason::AlreadyUsed);
    assert_eq!(bad_id.reason(), RejectReason::MalformedKeyId);
    assert_eq!(bad_id.key_id(), None);
    assert_eq!(wrong.key_id(), Some(offer.key_id));
    for rejection in [&wrong, &replay, &bad_id] {
        assert_eq!(rejection.to_string(), "the session could not be redeemed");
    }
}

#[test]
fn wrong_purpose_or_binding_is_refused_and_burns_the_key() {
    let service = service();
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        for (purpose, binding, why) in [
            ("download", BINDING, RejectReason::WrongPurpose),
            (PURPOSE, "project-8", RejectReason::WrongBinding),
        ] {
            let offer = service.issue(&request(suite)).unwrap();
            let message = client::encrypt(&offer, b"pw").unwrap();
            let rejection = service
                .redeem(&message, &Expected::new(purpose, binding))
                .unwrap_err();
            assert_eq!(rejection.reason(), why);
            assert!(why.consumed_key());
            assert_eq!(
                reason(&service, &message),
                RejectReason::AlreadyUsed,
                "the key must be gone"
            );
        }
    }
}

#[test]
fn a_ciphertext_for_another_key_id_fails_decryption() {
    let service = service();
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        let first = service.issue(&request(suite)).unwrap();
        let second = service.issue(&request(suite)).unwrap();
        let mut message = client::encrypt(&first, b"pw").unwrap();
        message.key_id = second.key_id.to_string();
        assert_eq!(reason(&service, &message), RejectReason::DecryptFailed, "{suite}");
    }
}

#[test]
fn a_client_that_used_another_binding_string_fails_decryption() {
    let service = service();
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        let offer = service.issue(&request(suite)).unwrap();
        let mut forged = offer.clone();
        forged.label = Some(coffer_session::binding_string(
            &offer.key_id,
            PURPOSE,
            "project-8",
        ));
        let message = client::encrypt(&forged, b"pw").unwrap();
        assert_eq!(reason(&service, &message), RejectReason::DecryptFailed, "{suite}");
    }
    // An old client ignoring the label of a bound RSA offer.
    let offer = service.issue(&request(Suite::RsaOaep2048)).unwrap();
    let mut unlabeled = offer.clone();
    unlabeled.label = None;
    let message = client::encrypt(&unlabeled, b"pw").unwrap();
    assert_eq!(reason(&service, &message), RejectReason::DecryptFailed);
}

#[test]
fn unlabeled_rsa_is_an_explicit_opt_in() {
    let service = service();
    let refused = service
        .issue(&request(Suite::RsaOaep2048).unlabeled())
        .unwrap_err();
    assert_eq!(refused, IssueError::UnlabeledNotAllowed(Suite::RsaOaep2048));

    let config = SessionConfig {
        allow_unlabeled_rsa: true,
        ..SessionConfig::default()
    };
    let service = service_with(config, manual_clock());
    let refused = service.issue(&request(Suite::EcdhP256).unlabeled()).unwrap_err();
    assert_eq!(refused, IssueError::UnlabeledNotAllowed(Suite::EcdhP256));

    let offer = service.issue(&request(Suite::RsaOaep2048).unlabeled()).unwrap();
    assert_eq!(offer.label, None);
    let message = client::encrypt(&offer, b"legacy").unwrap();
    // Still bound server-side to purpose and binding.
    assert_eq!(
        service
            .redeem(&message, &Expected::new(PURPOSE, "other"))
            .unwrap_err()
            .reason(),
        RejectReason::WrongBinding
    );
    let offer = service.issue(&request(Suite::RsaOaep2048).unlabeled()).unwrap();
    let message = client::encrypt(&offer, b"legacy").unwrap();
    assert!(service
        .redeem(&message, &expected())
        .unwrap()
        .secret()
        .ct_eq(b"legacy"));

    // A labeled ciphertext does not open under an unlabeled session.
    let offer = service.issue(&request(Suite::RsaOaep2048).unlabeled()).unwrap();
    let mut labeled = offer.clone();
    labeled.label = Some(coffer_session::binding_string(&offer.key_id, PURPOSE, BINDING));
    let message = client::encrypt(&labeled, b"pw").unwrap();
    assert_eq!(reason(&service, &message), RejectReason::DecryptFailed);
}

#[test]
fn expiry_is_exact_and_remembered_then_forgotten() {
    let clock = manual_clock();
    let service = service_with(SessionConfig::default(), clock.clone());
    let ttl = service.config().ttl;

    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let message = client::encrypt(&offer, b"pw").unwrap();
    clock.advance(ttl - Duration::from_millis(1));
    assert!(
        service.redeem(&message, &expected()).is_ok(),
        "one millisecond before expiry still redeems"
    );

    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let message = client::encrypt(&offer, b"pw").unwrap();
    clock.advance(ttl);
    assert_eq!(reason(&service, &message), RejectReason::Expired);
    assert_eq!(reason(&service, &message), RejectReason::AlreadyUsed);

    // Swept before anyone redeems: remembered as expired, then forgotten.
    let offer = service.issue(&request(Suite::RsaOaep2048)).unwrap();
    let message = client::encrypt(&offer, b"pw").unwrap();
    assert_eq!(service.sweep(), 0);
    clock.advance(ttl);
    assert_eq!(service.stats().live, 1);
    assert_eq!(service.sweep(), 1);
    assert_eq!(service.stats().live, 0);
    assert_eq!(reason(&service, &message), RejectReason::Expired);
    fixtures::assert_store_forgets_everything(&service, &clock);
    assert_eq!(reason(&service, &message), RejectReason::UnknownKey);
}

#[test]
fn the_advertised_expiry_is_the_enforced_one() {
    let clock = manual_clock();
    // Issue in the middle of a second: the offer states whole seconds.
    clock.advance(Duration::from_millis(700));
    let service = service_with(SessionConfig::default(), clock.clone());
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        clock.set(fixtures::start() + Duration::from_millis(700));
        let early = service.issue(&request(suite)).unwrap();
        let late = service.issue(&request(suite)).unwrap();
        assert_eq!(early.expires_at, late.expires_at);
        let advertised = std::time::UNIX_EPOCH + Duration::from_secs(early.expires_at);
        assert!(advertised <= fixtures::start() + Duration::from_millis(700) + service.config().ttl);

        clock.set(advertised - Duration::from_millis(1));
        let message = client::encrypt(&early, b"pw").unwrap();
        assert!(
            service.redeem(&message, &expected()).is_ok(),
            "{suite}: one millisecond before the advertised expiry redeems"
        );
        clock.set(advertised + Duration::from_millis(1));
        let message = client::encrypt(&late, b"pw").unwrap();
        assert_eq!(
            reason(&service, &message),
            RejectReason::Expired,
            "{suite}: one millisecond after the advertised expiry is refused"
        );
    }
    // At the advertised second itself the session has expired too.
    clock.set(fixtures::start() + Duration::from_millis(700));
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    clock.set(std::time::UNIX_EPOCH + Duration::from_secs(offer.expires_at));
    let message = client::encrypt(&offer, b"pw").unwrap();
    assert_eq!(reason(&service, &message), RejectReason::Expired);
}

#[test]
fn offers_state_their_expiry() {
    let clock = manual_clock();
    let service = service_with(SessionConfig::default(), clock.clone());
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let now = clock
        .now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(offer.expires_at, now + 300);
}

#[test]
fn capacity_is_enforced_and_freed_by_redeem_and_expiry() {
    let clock = manual_clock();
    let limits = StoreLimits {
        capacity: 3,
        per_issuer: 10,
        ..StoreLimits::default()
    };
    let service = service_with_limits(limits, clock.clone());
    let offers: Vec<_> = (0..3)
        .map(|_| service.issue(&request(Suite::EcdhP256)).unwrap())
        .collect();
    assert_eq!(
        service.issue(&request(Suite::EcdhP256)).unwrap_err(),
        IssueError::Store(SessionStoreError::Full { capacity: 3 })
    );

    let message = client::encrypt(&offers[0], b"pw").unwrap();
    service.redeem(&message, &expected()).unwrap();
    service.issue(&request(Suite::EcdhP256)).unwrap();
    assert!(service.issue(&request(Suite::EcdhP256)).is_err());

    // No explicit sweep: issuing destroys expired sessions first.
    clock.advance(service.config().ttl);
    for _ in 0..3 {
        service.issue(&request(Suite::EcdhP256)).unwrap();
    }
    assert_eq!(service.stats().live, 3);
}

#[test]
fn quota_is_per_issuer_and_checked_before_taking_a_pooled_key() {
    let clock = manual_clock();
    let limits = StoreLimits {
        per_issuer: 2,
        ..StoreLimits::default()
    };
    let generator = Arc::new(fixtures::CachedKeys::default());
    let config = SessionConfig {
        store: limits,
        ..SessionConfig::default()
    };
    let service = fixtures::builder(config, clock)
        .key_generator(generator.clone())
        .build()
        .unwrap();
    let alice = request(Suite::RsaOaep2048);
    service.issue(&alice).unwrap();
    service.issue(&alice).unwrap();
    let calls = generator.calls.load(std::sync::atomic::Ordering::Relaxed);
    let refused = service.issue(&alice).unwrap_err();
    assert_eq!(
        refused,
        IssueError::Store(SessionStoreError::QuotaExceeded {
            issuer: "alice".into(),
            quota: 2
        })
    );
    assert_eq!(
        generator.calls.load(std::sync::atomic::Ordering::Relaxed),
        calls,
        "no key spent on a refusal"
    );
    let bob = IssueRequest {
        issuer: "bob".into(),
        ..alice
    };
    service.issue(&bob).unwrap();
}

#[test]
fn a_session_redeems_only_for_its_issuer_and_survives_others() {
    let service = service();
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        let offer = service.issue(&request(suite)).unwrap();
        let message = client::encrypt(&offer, b"owner's password").unwrap();
        let bob = expected().issuer("bob");
        for _ in 0..3 {
            let rejection = service.redeem(&message, &bob).unwrap_err();
            assert_eq!(rejection.reason(), RejectReason::WrongIssuer, "{suite}");
            assert_eq!(rejection.reason().code(), "wrong_issuer");
            assert!(!rejection.reason().consumed_key());
            assert_eq!(rejection.to_string(), "the session could not be redeemed");
        }
        assert_eq!(service.stats().live, 1, "{suite}: the session is still live");
        let redeemed = service.redeem(&message, &expected().issuer("alice")).unwrap();
        assert!(redeemed.secret().ct_eq(b"owner's password"), "{suite}");
        assert_eq!(redeemed.meta().issuer, "alice");
        assert_eq!(
            service.redeem(&message, &bob).unwrap_err().reason(),
            RejectReason::AlreadyUsed,
            "{suite}"
        );
    }
    // Issuer names may repeat across tenants: the tenant can be expected too.
    let offer = service.issue(&request(Suite::EcdhP256).tenant("acme")).unwrap();
    let message = client::encrypt(&offer, b"pw").unwrap();
    for wrong in [
        expected().issuer("alice").tenant("globex"),
        expected().tenant("globex"),
    ] {
        assert_eq!(
            service.redeem(&message, &wrong).unwrap_err().reason(),
            RejectReason::WrongIssuer
        );
    }
    let redeemed = service
        .redeem(&message, &expected().issuer("alice").tenant("acme"))
        .unwrap();
    assert_eq!(redeemed.meta().tenant.as_deref(), Some("acme"));
    // A session issued without a tenant does not match an expected tenant.
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let message = client::encrypt(&offer, b"pw").unwrap();
    assert_eq!(
        service
            .redeem(&message, &expected().tenant("acme"))
            .unwrap_err()
            .reason(),
        RejectReason::WrongIssuer
    );
    assert!(service.redeem(&message, &expected().issuer("alice")).is_ok());
    // Without an expected issuer anyone holding the message may redeem, as before.
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let message = client::encrypt(&offer, b"pw").unwrap();
    assert_eq!(expected().issuer, None);
    assert!(service.redeem(&message, &expected()).is_ok());
}

#[test]
fn one_tenant_cannot_fill_the_store_for_the_others() {
    let limits = StoreLimits {
        capacity: 20,
        per_issuer: 2,
        per_tenant: 6,
        ..StoreLimits::default()
    };
    let generator = Arc::new(fixtures::CachedKeys::default());
    let config = SessionConfig {
        store: limits,
        ..SessionConfig::default()
    };
    let service = fixtures::builder(config, manual_clock())
        .key_generator(generator.clone())
        .build()
        .unwrap();
    let from =
        |tenant: &str, issuer: &str, suite| IssueRequest::new(suite, PURPOSE, BINDING, issuer).tenant(tenant);
    // Many issuers of one tenant, each within its own quota, fill the
    // tenant's share and no more.
    let mut acme = Vec::new();
    for principal in 0..3 {
        for _ in 0..2 {
            acme.push(
                service
                    .issue(&from("acme", &format!("acme-{principal}"), Suite::EcdhP256))
                    .unwrap(),
            );
        }
    }
    let calls = generator.calls.load(std::sync::atomic::Ordering::Relaxed);
    for principal in 3..10 {
        for suite in [Suite::EcdhP256, Suite::RsaOaep2048] {
            assert_eq!(
                service
                    .issue(&from("acme", &format!("acme-{principal}"), suite))
                    .unwrap_err(),
                IssueError::Store(SessionStoreError::TenantFull {
                    tenant: "acme".into(),
                    capacity: 6
                })
            );
        }
    }
    assert_eq!(
        generator.calls.load(std::sync::atomic::Ordering::Relaxed),
        calls,
        "no pooled key spent on a refusal"
    );
    // Another tenant, and requests without a tenant, still get sessions.
    let globex = service
        .issue(&from("globex", "acme-0", Suite::RsaOaep2048))
        .unwrap();
    service
        .issue(&IssueRequest::new(Suite::EcdhP256, PURPOSE, BINDING, "carol"))
        .unwrap();
    let message = client::encrypt(&globex, b"pw").unwrap();
    let redeemed = service.redeem(&message, &expected()).unwrap();
    assert_eq!(redeemed.meta().tenant.as_deref(), Some("globex"));
    // Redeeming frees the tenant's share.
    let message = client::encrypt(&acme[0], b"pw").unwrap();
    assert_eq!(
        service
            .redeem(&message, &expected())
            .unwrap()
            .meta()
            .tenant
            .as_deref(),
        Some("acme")
    );
    service.issue(&from("acme", "acme-9", Suite::EcdhP256)).unwrap();
    assert!(service.issue(&from("acme", "acme-9", Suite::EcdhP256)).is_err());
    // The per-issuer quota counts an issuer within its tenant.
    service.issue(&from("globex", "acme-0", Suite::EcdhP256)).unwrap();
    service.issue(&from("globex", "acme-0", Suite::EcdhP256)).unwrap();
    assert!(matches!(
        service.issue(&from("globex", "acme-0", Suite::EcdhP256)),
        Err(IssueError::Store(SessionStoreError::QuotaExceeded { .. }))
    ));
    assert_eq!(StoreLimits::default().per_tenant, 1_000);
}

#[test]
fn secrets_are_limited_to_the_suite_and_the_configuration() {
    let service = service();
    // RSA-2048 carries exactly 190 bytes.
    let offer = service.issue(&request(Suite::RsaOaep2048)).unwrap();
    assert_eq!(offer.max_secret_len, 190);
    let message = client::encrypt(&offer, &[b'a'; 190]).unwrap();
    assert_eq!(service.redeem(&message, &expected()).unwrap().secret().len(), 190);
    let offer = service.issue(&request(Suite::RsaOaep2048)).unwrap();
    assert_eq!(
        client::encrypt(&offer, &[b'a'; 191]).unwrap_err(),
        client::ClientError::SecretTooLong
    );

    // ECDH could carry more; the configured 190 holds.
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    assert_eq!(offer.max_secret_len, 190);
    let message = client::encrypt(&offer, &[b'a'; 190]).unwrap();
    assert!(service.redeem(&message, &expected()).is_ok());
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let message = client::encrypt(&offer, &[b'a'; 191]).unwrap();
    assert_eq!(reason(&service, &message), RejectReason::TooLong);
    assert_eq!(reason(&service, &message), RejectReason::AlreadyUsed);

    // A lower configured limit is enforced on the decrypted RSA secret.
    let service = service_with(
        SessionConfig {
            max_secret_len: 100,
            ..SessionConfig::default()
        },
        manual_clock(),
    );
    let offer = service.issue(&request(Suite::RsaOaep2048)).unwrap();
    assert_eq!(offer.max_secret_len, 100);
    let message = client::encrypt(&offer, &[b'a'; 101]).unwrap();
    assert_eq!(reason(&service, &message), RejectReason::TooLong);
    let offer = service.issue(&request(Suite::RsaOaep2048)).unwrap();
    let message = client::encrypt(&offer, &[b'a'; 100]).unwrap();
    assert!(service.redeem(&message, &expected()).is_ok());
}

#[test]
fn malformed_and_oversized_ciphertexts_are_refused() {
    let service = service();
    let cases: [(Suite, String, RejectReason); 6] = [
        (
            Suite::EcdhP256,
            "not base64!".into(),
            RejectReason::MalformedCiphertext,
        ),
        (Suite::EcdhP256, "A".repeat(1_000_000), RejectReason::TooLong),
        (
            Suite::EcdhP256,
            STANDARD.encode([4_u8; 80]),
            RejectReason::MalformedCiphertext,
        ),
        (
            Suite::EcdhP256,
            STANDARD.encode([4_u8; 97]),
            RejectReason::DecryptFailed,
        ),
        (
            Suite::RsaOaep2048,
            STANDARD.encode([1_u8; 255]),
            RejectReason::MalformedCiphertext,
        ),
        (
            Suite::RsaOaep2048,
            STANDARD.encode([1_u8; 257]),
            RejectReason::TooLong,
        ),
    ];
    for (suite, encrypted_password, why) in cases {
        let offer = service.issue(&request(suite)).unwrap();
        let message = ClientMessage {
            key_id: offer.key_id.to_string(),
            encrypted_password,
        };
        assert_eq!(reason(&service, &message), why, "{suite}");
        assert_eq!(
            reason(&service, &message),
            RejectReason::AlreadyUsed,
            "burned whatever the outcome"
        );
    }
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let message = client::encrypt(&offer, b"").unwrap();
    assert_eq!(reason(&service, &message), RejectReason::EmptySecret);
}

/// `text` broken into lines of `width` characters, each ended by `eol`, as
/// `openssl base64` writes it (64 columns, `\n`).
fn wrapped(text: &str, width: usize, eol: &str) -> String {
    text.as_bytes()
        .chunks(width)
        .map(|line| std::str::from_utf8(line).unwrap().to_owned() + eol)
        .collect()
}

#[test]
fn line_wrapped_base64_redeems_for_every_suite() {
    let service = service();
    for suite in Suite::ALL {
        for (width, eol) in [(64, "\n"), (64, "\r\n"), (76, "\r\n"), (1, " ")] {
            let offer = service.issue(&request(suite)).unwrap();
            let mut message = client::encrypt(&offer, b"correct horse battery staple").unwrap();
            message.encrypted_password = wrapped(&message.encrypted_password, width, eol);
            // Through the JSON a client posts, where the line breaks are escapes.
            let posted =
                ClientMessage::from_json(serde_json::to_string(&message).unwrap().as_bytes()).unwrap();
            let redeemed = service.redeem(&posted, &expected());
            assert!(
                redeemed.unwrap().secret().ct_eq(b"correct horse battery staple"),
                "{suite}, {width} columns, {eol:?}"
            );
        }
    }
}

#[test]
fn whitespace_does_not_lift_the_length_bounds() {
    let service = service();
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        // A long run of whitespace around a real ciphertext is refused unread.
        let offer = service.issue(&request(suite)).unwrap();
        let mut message = client::encrypt(&offer, b"pw").unwrap();
        message.encrypted_password = format!("{}{}", message.encrypted_password, " ".repeat(10_000));
        assert_eq!(reason(&service, &message), RejectReason::TooLong, "{suite}");
        // One byte too many is still too long once the line breaks are gone.
        let offer = service.issue(&request(suite)).unwrap();
        let too_many = match suite.rsa_bits() {
            Some(bits) => bits.modulus_len() + 1,
            None => 65 + 190 + 16 + 4,
        };
        let message = ClientMessage {
            key_id: offer.key_id.to_string(),
            encrypted_password: wrapped(&STANDARD.encode(vec![1_u8; too_many]), 64, "\r\n"),
        };
        assert_eq!(reason(&service, &message), RejectReason::TooLong, "{suite}");
    }
}

#[test]
fn key_ids_are_checked_before_the_store() {
    let config = SessionConfig {
        instance: InstanceTag::from_number(7).unwrap(),
        ..SessionConfig::default()
    };
    let service = service_with(config, manual_clock());
    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    assert!(offer
        .key_id
        .to_string()
        .starts_with(&InstanceTag::from_number(7).unwrap().prefix()));
    let message = client::encrypt(&offer, b"pw").unwrap();

    // The message under the offer's key id with byte `index` xored by `flip`.
    let renamed = |index: usize, flip: u8| {
        let mut key_id = *offer.key_id.as_bytes();
        key_id[index] ^= flip;
        ClientMessage {
            key_id: SessionKeyId::from_bytes(key_id).to_string(),
            ..message.clone()
        }
    };
    // Instance tag 7 becomes 8.
    assert_eq!(reason(&service, &renamed(2, 7 ^ 8)), RejectReason::WrongInstance);
    assert_eq!(reason(&service, &renamed(15, 1)), RejectReason::UnknownKey);

    let malformed = ClientMessage {
        key_id: format!("{}=", offer.key_id),
        ..message.clone()
    };
    assert_eq!(reason(&service, &malformed), RejectReason::MalformedKeyId);
    // None of that touched the real session.
    assert!(service.redeem(&message, &expected()).is_ok());
}

#[test]
fn client_messages_parse_strictly_and_boundedly() {
    let parsed = ClientMessage::from_json(br#"{"key_id":"a","encrypted_password":"b"}"#).unwrap();
    assert_eq!(parsed.key_id, "a");
    let extra = ClientMessage::from_json(br#"{"key_id":"a","encrypted_password":"b","x":1}"#).unwrap_err();
    assert_eq!(extra.reason(), RejectReason::MalformedMessage);
    let huge = vec![b' '; coffer_session::MAX_MESSAGE_JSON_LEN + 1];
    assert_eq!(
        ClientMessage::from_json(&huge).unwrap_err().reason(),
        RejectReason::TooLong
    );
}

#[test]
fn issue_requests_are_validated() {
    let service = service();
    let bad = IssueRequest::new(Suite::EcdhP256, "unlock|x", BINDING, "alice");
    assert!(matches!(service.issue(&bad), Err(IssueError::Field(_))));
    let bad = IssueRequest::new(Suite::EcdhP256, PURPOSE, BINDING, "");
    assert_eq!(service.issue(&bad).unwrap_err(), IssueError::Issuer(0));
    let bad = IssueRequest::new(Suite::EcdhP256, PURPOSE, BINDING, "a".repeat(257));
    assert_eq!(service.issue(&bad).unwrap_err(), IssueError::Issuer(257));
    let bad = request(Suite::EcdhP256).tenant("");
    assert_eq!(service.issue(&bad).unwrap_err(), IssueError::Tenant(0));
    let bad = request(Suite::EcdhP256).tenant("t".repeat(257));
    assert_eq!(service.issue(&bad).unwrap_err(), IssueError::Tenant(257));
    let zero_ttl = SessionConfig {
        ttl: Duration::ZERO,
        ..SessionConfig::default()
    };
    assert!(SessionService::new(zero_ttl).is_err());
}

#[test]
fn offers_carry_matching_spki_and_jwk() {
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    use spki::SubjectPublicKeyInfoRef;

    let service = service();
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let offer = service.issue(&request(Suite::RsaOaep2048)).unwrap();
    let public = rsa::PublicKey::from_public_key_der(&STANDARD.decode(&offer.spki).unwrap()).unwrap();
    assert_eq!(public.size(), 256);
    assert_eq!(offer.jwk.alg.as_deref(), Some("RSA-OAEP-256"));
    assert_eq!(offer.jwk.e.as_deref(), Some("AQAB"));
    assert_eq!(
        url.decode(offer.jwk.n.as_ref().unwrap()).unwrap(),
        &*public.n_bytes()
    );
    assert_eq!(
        offer.label.as_deref(),
        Some(format!("coffer-session/v1|{}|{PURPOSE}|{BINDING}", offer.key_id).as_str())
    );

    let offer = service.issue(&request(Suite::EcdhP256)).unwrap();
    let der = STANDARD.decode(&offer.spki).unwrap();
    let spki = SubjectPublicKeyInfoRef::try_from(der.as_slice()).unwrap();
    assert_eq!(spki.algorithm.oid.to_string(), "1.2.840.10045.2.1");
    let point = spki.subject_public_key.as_bytes().unwrap();
    assert_eq!(point.len(), 65);
    assert_eq!(url.decode(offer.jwk.x.as_ref().unwrap()).unwrap(), point[1..33]);
    assert_eq!(url.decode(offer.jwk.y.as_ref().unwrap()).unwrap(), point[33..]);
    assert_eq!(offer.jwk.crv.as_deref(), Some("P-256"));

    let json = serde_json::to_string(&offer).unwrap();
    assert!(!json.contains("signature"));
    assert_eq!(
        serde_json::from_str::<coffer_session::Offer>(&json).unwrap(),
        offer
    );
}

#[test]
fn signed_offers_verify_and_tampering_is_caught() {
    let pkcs8 = OfferSigner::generate_pkcs8().unwrap();
    let signer = OfferSigner::from_pkcs8(&pkcs8).unwrap();
    let public = signer.public_key();
    let service = fixtures::builder(SessionConfig::default(), manual_clock())
        .signer(signer)
        .build()
        .unwrap();
    assert_eq!(service.signer_public_key(), Some(public));
    for suite in [Suite::RsaOaep2048, Suite::EcdhP256] {
        let offer = service.issue(&request(suite)).unwrap();
        offer.verify(&public).unwrap();
        let reparsed: coffer_session::Offer =
            serde_json::from_str(&serde_json::to_string(&offer).unwrap()).unwrap();
        reparsed.verify(&public).unwrap();

        let mut tampered = offer.clone();
        tampered.binding = "project-8".into();
        assert_eq!(tampered.verify(&public), Err(SignatureError::Invalid));
        let mut tampered = offer.clone();
        tampered.jwk.x = Some("AAAA".into());
        tampered.jwk.n = tampered.jwk.n.map(|n| n.replacen('A', "B", 1));
        assert_eq!(tampered.verify(&public), Err(SignatureError::Invalid));
        let mut tampered = offer.clone();
        tampered.label = None;
        assert_eq!(tampered.verify(&public), Err(SignatureError::Invalid));
        let mut tampered = offer.clone();
        tampered.expires_at += 1;
        assert_eq!(tampered.verify(&public), Err(SignatureError::Invalid));
        let mut unsigned = offer.clone();
        unsigned.signature = None;
        assert_eq!(unsigned.verify(&public), Err(SignatureError::Unsigned));
        let other = OfferSigner::from_pkcs8(&OfferSigner::generate_pkcs8().unwrap()).unwrap();
        assert_eq!(offer.verify(&other.public_key()), Err(SignatureError::Invalid));
    }
}

#[test]
fn an_issuer_cancels_its_own_live_session_only() {
    let limits = StoreLimits {
        per_issuer: 1,
        ..StoreLimits::default()
    };
    let service = service_with_limits(limits, manual_clock());
    let alice = request(Suite::EcdhP256).tenant("acme");
    let offer = service.issue(&alice).unwrap();
    assert!(matches!(
        service.issue(&alice),
        Err(IssueError::Store(SessionStoreError::QuotaExceeded { .. }))
    ));
    let key_id = SessionKeyId::parse(&offer.key_id.to_string()).unwrap();
    // Not by another issuer, nor by the same issuer name of another tenant.
    assert!(!service.cancel(&key_id, "mallory", Some("acme")));
    assert!(!service.cancel(&key_id, "alice", Some("other")));
    assert_eq!(service.stats().live, 1, "left alone");
    // By its issuer: gone, its quota freed, a later redeem a replay.
    assert!(service.cancel(&key_id, "alice", Some("acme")));
    assert!(!service.cancel(&key_id, "alice", Some("acme")), "once");
    assert_eq!(service.stats().live, 0);
    let message = client::encrypt(&offer, b"secret").unwrap();
    assert_eq!(reason(&service, &message), RejectReason::AlreadyUsed);
    service.issue(&alice).unwrap();
}

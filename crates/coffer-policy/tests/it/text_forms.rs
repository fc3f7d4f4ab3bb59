//! Text and serde forms of ids and principals: one text per value, parsed
//! back to the same value, malformed text refused with a precise error.

use std::str::FromStr;

use coffer_policy::{
    DocumentId, IdError, KeyName, Principal, PrincipalId, ProjectId, ReasonCode, RuleId, TenantId,
};
use proptest::prelude::*;

const ID_TEXT: &str = "[A-Za-z0-9._:@-]{1,64}";

/// Valid id text: the alphabet, but not the dot segments `.` and `..`.
fn id() -> impl Strategy<Value = String> {
    ID_TEXT.prop_filter("a dot segment", |t| t != "." && t != "..")
}

fn principal() -> impl Strategy<Value = Principal> {
    (id(), id()).prop_map(|(t, p)| Principal::new(TenantId::new(t).unwrap(), PrincipalId::new(p).unwrap()))
}

/// `Display` then `FromStr` gives the value back, `FromStr` agrees with
/// `new`, and serde writes the same text as `Display`.
fn id_round_trip<T>(text: &str)
where
    T: FromStr<Err = IdError>
        + ToString
        + PartialEq
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    let id: T = text.parse().unwrap();
    assert_eq!(id.to_string(), text);
    assert_eq!(id.to_string().parse::<T>().unwrap(), id);
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{text}\""));
    assert_eq!(serde_json::from_str::<T>(&json).unwrap(), id);
}

proptest! {
    #[test]
    fn principal_text_round_trips(p in principal()) {
        let text = p.to_string();
        prop_assert_eq!(text.matches('/').count(), 1);
        prop_assert_eq!(text.parse::<Principal>().unwrap(), p);
    }

    #[test]
    fn principal_text_is_canonical(text in "[a-z/@ .]{0,12}") {
        // Whatever parses prints back as the very same text.
        if let Ok(p) = text.parse::<Principal>() {
            prop_assert_eq!(p.to_string(), text);
        }
    }

    #[test]
    fn id_text_round_trips(text in id()) {
        id_round_trip::<TenantId>(&text);
        id_round_trip::<ProjectId>(&text);
        id_round_trip::<PrincipalId>(&text);
        id_round_trip::<DocumentId>(&text);
        id_round_trip::<KeyName>(&text);
        id_round_trip::<RuleId>(&text);
        id_round_trip::<ReasonCode>(&text);
    }

    #[test]
    fn principal_serde_round_trips(p in principal()) {
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(serde_json::from_str::<Principal>(&json).unwrap(), p);
    }
}

#[test]
fn ids_refuse_malformed_text() {
    assert_eq!("".parse::<TenantId>(), Err(IdError::Empty { kind: "tenant" }));
    assert!(matches!(
        "a b".parse::<DocumentId>(),
        Err(IdError::BadCharacter { kind: "document", .. })
    ));
    assert!(matches!(
        "x".repeat(65).parse::<KeyName>(),
        Err(IdError::TooLong {
            kind: "key",
            len: 65,
            max: 64
        })
    ));
    assert!(matches!(
        "a/b".parse::<RuleId>(),
        Err(IdError::BadCharacter { .. })
    ));
    for dots in [".", ".."] {
        assert!(matches!(
            dots.parse::<DocumentId>(),
            Err(IdError::DotSegment { kind: "document", .. })
        ));
        assert!(dots.parse::<ProjectId>().is_err());
    }
    assert!("...".parse::<DocumentId>().is_ok(), "not a dot segment");
    assert!(".hidden".parse::<DocumentId>().is_ok());
    assert_eq!(ReasonCode::sanitized("..").as_str(), "failed");
}

#[test]
fn principals_refuse_malformed_text() {
    let err = "acme".parse::<Principal>().unwrap_err();
    assert_eq!(err, IdError::NotAPrincipal { text: "acme".into() });
    assert_eq!(
        err.to_string(),
        "principal `acme` is not of the form `tenant/principal`"
    );
    assert_eq!(
        "/ann".parse::<Principal>(),
        Err(IdError::Empty { kind: "tenant" })
    );
    assert_eq!(
        "acme/".parse::<Principal>(),
        Err(IdError::Empty { kind: "principal" })
    );
    assert!(matches!(
        "acme/ann/x".parse::<Principal>(),
        Err(IdError::BadCharacter {
            kind: "principal",
            ..
        })
    ));
    assert!(matches!(
        "ac me/ann".parse::<Principal>(),
        Err(IdError::BadCharacter { kind: "tenant", .. })
    ));
    // Long garbage is quoted cut short.
    let long = "x".repeat(1000);
    match long.parse::<Principal>() {
        Err(IdError::NotAPrincipal { text }) => assert_eq!(text.len(), 129),
        other => panic!("{other:?}"),
    }
}

#[test]
fn principal_serde_validates() {
    let p: Principal = serde_json::from_str(r#"{"tenant":"acme","id":"ann"}"#).unwrap();
    assert_eq!(p.to_string(), "acme/ann");
    assert!(serde_json::from_str::<Principal>(r#"{"tenant":"acme","id":"a b"}"#).is_err());
    assert!(serde_json::from_str::<Principal>(r#"{"tenant":"","id":"ann"}"#).is_err());
    assert!(serde_json::from_str::<Principal>(r#"{"tenant":"acme","id":"ann","x":1}"#).is_err());
}

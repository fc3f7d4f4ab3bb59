//! Audit timestamps: RFC 3339 text in UTC with milliseconds in the JSON
//! form, parsed back strictly; the chain still hashes the u64 milliseconds,
//! so a record's MAC verifies after a JSON round trip.

use crate::events;

use coffer_audit::*;
use events::{event, key, other_key};
use proptest::prelude::*;

/// The last millisecond of the year 9999.
const MAX_MS: u64 = 253_402_300_799_999;

#[test]
fn a_known_value_has_its_known_text() {
    let t = Timestamp::from_unix_millis(1_796_221_101_123);
    assert_eq!(t.to_string(), "2026-12-02T14:18:21.123Z");
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        r#""2026-12-02T14:18:21.123Z""#
    );
    assert_eq!("2026-12-02T14:18:21.123Z".parse::<Timestamp>(), Ok(t));
    // Whole seconds still have three digits.
    let epoch = Timestamp::from_unix_millis(0);
    assert_eq!(epoch.to_string(), "1970-01-01T00:00:00.000Z");
    assert_eq!(
        Timestamp::from_unix_millis(MAX_MS).to_string(),
        "9999-12-31T23:59:59.999Z"
    );
}

proptest! {
    #[test]
    fn timestamps_round_trip_through_json(ms in 0..=MAX_MS) {
        let t = Timestamp::from_unix_millis(ms);
        let json = serde_json::to_string(&t).unwrap();
        prop_assert_eq!(json.len(), 2 + 24);
        prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        prop_assert_eq!(t.to_string().parse::<Timestamp>(), Ok(t));
    }
}

#[test]
fn only_the_canonical_utc_text_parses() {
    for bad in [
        "2026-12-02T14:18:21.123+00:00",
        "2026-12-02T15:18:21.123+01:00",
        "2026-12-02T13:18:21.123-01:00",
        "2026-12-02T14:18:21Z",
        "2026-12-02T14:18:21.12Z",
        "2026-12-02T14:18:21.1234Z",
        "2026-12-02T14:18:21.123",
        "2026-12-02 14:18:21.123Z",
        "2026-12-02t14:18:21.123z",
        "+2026-12-02T14:18:21.123Z",
        " 2026-12-02T14:18:21.123Z",
        "2026-12-02T14:18:21.123Z ",
        "2026-02-30T00:00:00.000Z",
        "2026-12-02T24:00:00.000Z",
        "1796221101123",
        "",
        "yesterday",
    ] {
        assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        let json = serde_json::to_string(bad).unwrap();
        assert!(serde_json::from_str::<Timestamp>(&json).is_err(), "{bad}");
    }
    // The old JSON form, a bare number, is refused too.
    assert!(serde_json::from_str::<Timestamp>("1796221101123").is_err());
    assert!(matches!(
        "1969-12-31T23:59:59.999Z".parse::<Timestamp>(),
        Err(TimestampError::OutOfRange(-1))
    ));
    let err = "2026-12-02T15:18:21.123+01:00".parse::<Timestamp>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "timestamp `2026-12-02T15:18:21.123+01:00` is not of the form \
         `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339, UTC, milliseconds)"
    );
}

#[test]
fn a_timestamp_past_the_year_9999_does_not_serialize() {
    let t = Timestamp::from_unix_millis(MAX_MS + 1);
    assert!(matches!(t.to_rfc3339(), Err(TimestampError::OutOfRange(_))));
    assert!(serde_json::to_string(&t).is_err());
}

#[test]
fn events_carry_rfc3339_time_and_records_verify_after_a_json_round_trip() {
    let mut sink = MemorySink::new(key()).unwrap();
    for i in 0..4 {
        sink.append(event(i)).unwrap();
    }
    let head = sink.head();
    let records = sink.records().to_vec();
    let json: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    // The JSON holds the text form (event 0 is at 1_700_000_000_000 ms).
    assert!(
        json[0].contains(r#""time":"2023-11-14T22:13:20.000Z""#),
        "{}",
        json[0]
    );
    let back: Vec<AuditRecord> = json.iter().map(|j| serde_json::from_str(j).unwrap()).collect();
    assert_eq!(back, records);
    assert_eq!(verify(&key(), &back, Some(head)).unwrap(), head);
    assert!(verify(&other_key(), &back, None).is_err());
    // An edit of the text form is an edit of the event.
    let edited = json[2].replace("2023-11-14T22:13:20.002Z", "2023-11-14T22:13:20.003Z");
    assert_ne!(edited, json[2]);
    let mut tampered = back.clone();
    tampered[2] = serde_json::from_str(&edited).unwrap();
    assert_eq!(verify(&key(), &tampered, None).unwrap_err().position, 2);
}

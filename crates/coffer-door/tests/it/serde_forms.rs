//! Serde forms of what the front door hands out and an embedder stores or
//! sends: receipts, trail reports, policy reports and request attributes.
//! Each reads back to the same value, validates what it reads and refuses
//! unknown fields.

use coffer_door::envelope::Suite;
use coffer_door::policy::{Attributes, ProjectId, RecipientKem, RuleId, TenantId};
use coffer_door::{PolicyReport, Receipt, TrailReport, UnknownScope};
use serde_json::json;

#[test]
fn receipts_round_trip_with_the_suite_by_name() {
    for suite in Suite::ALL {
        let receipt = Receipt {
            plaintext_len: 5,
            suite,
            key_version: 2,
        };
        let value = serde_json::to_value(&receipt).unwrap();
        assert_eq!(
            value,
            json!({"plaintext_len": 5, "suite": suite.name(), "key_version": 2})
        );
        assert_eq!(serde_json::from_value::<Receipt>(value).unwrap(), receipt);
    }
    for bad in [
        json!({"plaintext_len": 5, "suite": "AES-256-GCM", "key_version": 2}),
        json!({"plaintext_len": 5, "suite": 1, "key_version": 2}),
        json!({"plaintext_len": 5, "suite": "AES-256-GCM/HKDF-SHA256", "key_version": 2, "x": 0}),
        json!({"plaintext_len": 5, "suite": "AES-256-GCM/HKDF-SHA256"}),
    ] {
        assert!(serde_json::from_value::<Receipt>(bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn trail_reports_round_trip() {
    let value = json!({"target": {"tenant": "acme", "project": "payroll"}, "records": 12});
    let report: TrailReport = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(report.records, 12);
    assert_eq!(report.target.project().map(ProjectId::as_str), Some("payroll"));
    assert_eq!(serde_json::to_value(&report).unwrap(), value);
    for bad in [
        json!({"target": {"tenant": "ac me"}, "records": 1}),
        json!({"target": {"tenant": "acme", "document": "d"}, "records": 1}),
        json!({"target": {"tenant": "acme"}, "records": -1}),
        json!({"target": {"tenant": "acme"}, "records": 1, "head": "x"}),
    ] {
        assert!(
            serde_json::from_value::<TrailReport>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn policy_reports_round_trip() {
    let report = PolicyReport {
        unknown_scopes: vec![
            UnknownScope {
                rule: RuleId::new("payroll-size").unwrap(),
                tenant: TenantId::new("acme").unwrap(),
                project: Some(ProjectId::new("payrol").unwrap()),
            },
            UnknownScope {
                rule: RuleId::new("globex-fips").unwrap(),
                tenant: TenantId::new("globex").unwrap(),
                project: None,
            },
        ],
    };
    let value = serde_json::to_value(&report).unwrap();
    assert_eq!(
        value,
        json!({"unknown_scopes": [
            {"rule": "payroll-size", "tenant": "acme", "project": "payrol"},
            {"rule": "globex-fips", "tenant": "globex"},
        ]})
    );
    assert_eq!(serde_json::from_value::<PolicyReport>(value).unwrap(), report);
    assert_eq!(
        serde_json::from_value::<PolicyReport>(json!({"unknown_scopes": []})).unwrap(),
        PolicyReport::default()
    );
    for bad in [
        json!({"unknown_scopes": [{"rule": "r", "tenant": "a b"}]}),
        json!({"unknown_scopes": [{"rule": "", "tenant": "acme"}]}),
        json!({"unknown_scopes": [{"rule": "r", "tenant": "acme", "why": "x"}]}),
        json!({"unknown_scopes": [], "clean": true}),
    ] {
        assert!(
            serde_json::from_value::<PolicyReport>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn attributes_name_a_recipient_algorithm_only_when_there_is_one() {
    let plain = serde_json::to_value(Attributes::default()).unwrap();
    assert!(plain.get("recipient").is_none());
    let hybrid = Attributes::recipient(RecipientKem::XWing);
    let json = serde_json::to_value(&hybrid).unwrap();
    assert_eq!(json["recipient"], "xwing");
    assert_eq!(serde_json::from_value::<Attributes>(json).unwrap(), hybrid);
    let unknown = serde_json::json!({"recipient": "rsa"});
    assert!(serde_json::from_value::<Attributes>(unknown).is_err());
}

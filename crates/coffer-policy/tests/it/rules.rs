//! Algorithm rules: scopes, severities, modes, decrypt-side enforcement,
//! failing closed, explanations, simulation and documents.

use coffer_policy::*;

const AES: EnvelopeSuite = EnvelopeSuite::Aes256GcmHkdfSha256;
const CHACHA: EnvelopeSuite = EnvelopeSuite::ChaCha20Poly1305HkdfSha256;

fn rid(s: &str) -> RuleId {
    RuleId::new(s).unwrap()
}
fn tenant(s: &str) -> TenantId {
    TenantId::new(s).unwrap()
}
fn project(s: &str) -> ProjectId {
    ProjectId::new(s).unwrap()
}
fn deny_chacha(id: &str) -> Rule {
    Rule::new(rid(id), Condition::DenyEnvelopeSuites(vec![CHACHA]))
}
fn request(op: Operation, t: &str, p: &str, attributes: Attributes) -> Request {
    Request {
        operation: op,
        target: Target::for_project(tenant(t), project(p)),
        role: Some(Role::Owner),
        attributes,
    }
}
/// A request on project `p` of tenant `t`.
fn in_tp(op: Operation, attributes: Attributes) -> Request {
    request(op, "t", "p", attributes)
}
fn enforce(rules: Vec<Rule>) -> CompiledPolicy {
    Policy::new(Enforcement::Enforce, rules).unwrap().compile()
}
fn fired(d: &PolicyDecision) -> Vec<String> {
    d.results().map(|(r, _)| r.id.to_string()).collect()
}

#[test]
fn each_scope_applies_only_where_it_should() {
    let policy = enforce(vec![
        deny_chacha("global"),
        deny_chacha("tenant").in_scope(Scope::tenant(tenant("acme"))),
        deny_chacha("project").in_scope(Scope::project(tenant("acme"), project("payroll"))),
        deny_chacha("context").in_scope(Scope::global().with_context("class", "secret")),
        deny_chacha("tenant-context").in_scope(Scope::tenant(tenant("acme")).with_context("class", "secret")),
        deny_chacha("project-context")
            .in_scope(Scope::project(tenant("acme"), project("payroll")).with_context("class", "secret")),
    ]);
    let secret = Context::from_pairs([("class", "secret")]).unwrap();
    let public = Context::from_pairs([("class", "public")]).unwrap();
    let case = |t: &str, p: &str, ctx: &Context| {
        let attrs = Attributes::envelope(CHACHA, 1).with_context(ctx.clone());
        fired(&policy.evaluate(&request(Operation::Encrypt, t, p, attrs)))
    };
    assert_eq!(
        case("acme", "payroll", &secret),
        [
            "global",
            "tenant",
            "project",
            "context",
            "tenant-context",
            "project-context"
        ]
    );
    assert_eq!(case("acme", "payroll", &public), ["global", "tenant", "project"]);
    assert_eq!(
        case("acme", "other", &secret),
        ["global", "tenant", "context", "tenant-context"]
    );
    assert_eq!(case("globex", "payroll", &secret), ["global", "context"]);
    assert_eq!(case("globex", "payroll", &Context::new()), ["global"]);
    // A tenant-scoped rule on a tenant-level target.
    let on_tenant = Request {
        operation: Operation::Encrypt,
        target: Target::for_tenant(tenant("acme")),
        role: Some(Role::Owner),
        attributes: Attributes::envelope(CHACHA, 1),
    };
    assert_eq!(fired(&policy.evaluate(&on_tenant)), ["global", "tenant"]);
}

#[test]
fn severity_and_enforcement_matrix() {
    use Effect::*;
    let expected = [
        (Enforcement::None, [Reported, Reported, Reported], Verdict::Allow),
        (Enforcement::Warn, [Info, Warn, Warn], Verdict::AllowWithWarnings),
        (Enforcement::Enforce, [Info, Warn, Deny], Verdict::Deny),
    ];
    for (mode, effects, worst) in expected {
        for (severity, effect) in Severity::ALL.iter().zip(effects) {
            let policy = Policy::new(mode, vec![deny_chacha("r").with_severity(*severity)])
                .unwrap()
                .compile();
            let violating = policy.evaluate(&in_tp(Operation::Encrypt, Attributes::envelope(CHACHA, 1)));
            let (_, result) = violating.results().next().unwrap();
            assert_eq!(result.effect, effect, "{mode} {severity}");
            assert_eq!(result.severity, *severity);
            assert_eq!(result.enforcement, mode);
            let satisfied = policy.evaluate(&in_tp(Operation::Encrypt, Attributes::envelope(AES, 1)));
            assert_eq!(satisfied.results().next().unwrap().1.effect, Satisfied);
            assert_eq!(satisfied.verdict(), Verdict::Allow);
        }
        let policy = Policy::new(mode, vec![deny_chacha("r")]).unwrap().compile();
        let d = policy.evaluate(&in_tp(Operation::Encrypt, Attributes::envelope(CHACHA, 1)));
        assert_eq!(d.verdict(), worst, "{mode}");
    }
}

#[test]
fn rule_enforcement_overrides_the_policy_mode() {
    let policy = enforce(vec![deny_chacha("trial").with_enforcement(Enforcement::Warn)]);
    let d = policy.evaluate(&in_tp(Operation::Encrypt, Attributes::envelope(CHACHA, 1)));
    assert_eq!(d.verdict(), Verdict::AllowWithWarnings);
    let policy = Policy::new(
        Enforcement::None,
        vec![deny_chacha("strict").with_enforcement(Enforcement::Enforce)],
    )
    .unwrap()
    .compile();
    let d = policy.evaluate(&in_tp(Operation::Encrypt, Attributes::envelope(CHACHA, 1)));
    assert_eq!(d.verdict(), Verdict::Deny);
}

#[test]
fn decrypt_is_checked_against_the_suite_in_the_envelope() {
    // A document sealed with ChaCha20 while that was allowed...
    let acme = tenant("acme");
    let docs = project("docs");
    let ed = Principal::new(acme.clone(), PrincipalId::new("ed").unwrap());
    let mut m = Membership::new();
    m.create_project(&acme, &docs).unwrap();
    m.assign(&acme, &docs, &ed, Role::Editor).unwrap();
    let mut authz = Authorizer::new(m, Policy::default().compile());
    let target = Target::for_project(acme, docs);
    let found_in_header = Attributes::envelope(CHACHA, 4096);
    assert!(authz
        .authorize(&ed, Operation::Encrypt, &target, &found_in_header)
        .is_allowed());
    // ...no longer opens once the policy blocks the suite.
    authz.set_policy(enforce(vec![Rule::new(
        rid("fips"),
        Condition::Fips(FipsProfile::Enabled),
    )]));
    let d = authz.authorize(&ed, Operation::Decrypt, &target, &found_in_header);
    assert!(!d.is_allowed());
    assert!(d.access().is_granted());
    let (_, r) = d.policy().results().next().unwrap();
    assert_eq!(
        r.status,
        RuleStatus::Violated(Violation::EnvelopeSuiteNotFips(CHACHA))
    );
    assert!(authz
        .authorize(&ed, Operation::Decrypt, &target, &Attributes::envelope(AES, 4096))
        .is_allowed());
}

#[test]
fn a_blocking_rule_that_cannot_be_evaluated_denies() {
    let policy = enforce(vec![Rule::new(rid("size"), Condition::MaxMessageSize(1024))]);
    let no_size = Attributes {
        envelope_suite: Some(AES),
        ..Attributes::default()
    };
    let d = policy.evaluate(&in_tp(Operation::Encrypt, no_size.clone()));
    assert_eq!(d.verdict(), Verdict::Deny);
    let (_, r) = d.results().next().unwrap();
    assert_eq!(r.status, RuleStatus::Error(MissingField::MessageSize));
    assert_eq!(
        d.explain()[0].reason,
        "messages must be at most 1024 bytes; error: the request carries no message size"
    );
    // The same missing field under a warn rule only warns.
    let policy = enforce(vec![
        Rule::new(rid("size"), Condition::MaxMessageSize(1024)).with_severity(Severity::Warn)
    ]);
    let d = policy.evaluate(&in_tp(Operation::Encrypt, no_size));
    assert_eq!(d.verdict(), Verdict::AllowWithWarnings);
    // Missing suites for suite rules, missing sessions for session rules.
    let policy = enforce(vec![
        Rule::new(rid("fips"), Condition::Fips(FipsProfile::Enabled)),
        Rule::new(
            rid("ecdh"),
            Condition::AllowSessionSuites(vec![SessionSuite::EcdhP256]),
        ),
    ]);
    let d = policy.evaluate(&in_tp(Operation::Download, Attributes::default()));
    let statuses: Vec<_> = d.results().map(|(_, r)| r.status).collect();
    assert_eq!(
        statuses,
        [
            RuleStatus::Error(MissingField::Suite),
            RuleStatus::Error(MissingField::Session)
        ]
    );
    assert_eq!(d.verdict(), Verdict::Deny);
}

#[test]
fn message_size_limit() {
    let policy = enforce(vec![Rule::new(rid("size"), Condition::MaxMessageSize(1024))]);
    let at = policy.evaluate(&in_tp(Operation::Encrypt, Attributes::envelope(AES, 1024)));
    assert_eq!(at.verdict(), Verdict::Allow);
    let over = policy.evaluate(&in_tp(Operation::Decrypt, Attributes::envelope(AES, 1025)));
    assert_eq!(over.verdict(), Verdict::Deny);
    assert_eq!(
        over.results().next().unwrap().1.status,
        RuleStatus::Violated(Violation::MessageTooLarge {
            size: 1025,
            max: 1024
        })
    );
}

#[test]
fn fips_profiles() {
    let eval = |profile, attrs| {
        enforce(vec![Rule::new(rid("fips"), Condition::Fips(profile))])
            .evaluate(&in_tp(Operation::Encrypt, attrs))
            .verdict()
    };
    let chacha = || Attributes::envelope(CHACHA, 1);
    let aes = || Attributes::envelope(AES, 1);
    assert_eq!(eval(FipsProfile::Enabled, chacha()), Verdict::Deny);
    assert_eq!(eval(FipsProfile::Preferred, chacha()), Verdict::AllowWithWarnings);
    assert_eq!(eval(FipsProfile::Disabled, chacha()), Verdict::Allow);
    assert_eq!(eval(FipsProfile::Enabled, aes()), Verdict::Allow);
    // Sessions: RSA below 2048 bits is not approved.
    let issue = |spec| {
        enforce(vec![Rule::new(
            rid("fips"),
            Condition::Fips(FipsProfile::Enabled),
        )])
        .evaluate(&in_tp(Operation::Download, Attributes::session(spec)))
        .verdict()
    };
    assert_eq!(issue(SessionSpec::rsa_oaep_256(1024)), Verdict::Deny);
    assert_eq!(issue(SessionSpec::rsa_oaep_256(2048)), Verdict::Allow);
    assert_eq!(issue(SessionSpec::ecdh_p256()), Verdict::Allow);
}

#[test]
fn session_rules_rsa_3072_or_ecdh_only() {
    let policy = enforce(vec![
        Rule::new(
            rid("suites"),
            Condition::AllowSessionSuites(vec![SessionSuite::RsaOaep256, SessionSuite::EcdhP256]),
        ),
        Rule::new(
            rid("rsa-bits"),
            Condition::MinKeyBits {
                suite: SessionSuite::RsaOaep256,
                bits: 3072,
            },
        ),
    ]);
    let issue = |spec| policy.evaluate(&in_tp(Operation::Download, Attributes::session(spec)));
    let d = issue(SessionSpec::rsa_oaep_256(2048));
    assert_eq!(d.verdict(), Verdict::Deny);
    assert_eq!(
        d.results().nth(1).unwrap().1.status,
        RuleStatus::Violated(Violation::KeyTooSmall {
            bits: 2048,
            min: 3072
        })
    );
    assert_eq!(issue(SessionSpec::rsa_oaep_256(3072)).verdict(), Verdict::Allow);
    assert_eq!(issue(SessionSpec::ecdh_p256()).verdict(), Verdict::Allow);
    let deny_rsa = enforce(vec![Rule::new(
        rid("no-rsa"),
        Condition::DenySessionSuites(vec![SessionSuite::RsaOaep256]),
    )]);
    let d = deny_rsa.evaluate(&in_tp(
        Operation::ChangePassword,
        Attributes::session(SessionSpec::rsa_oaep_256(3072)),
    ));
    assert_eq!(d.verdict(), Verdict::Deny);
    // Session rules do not apply to envelope operations.
    let d = deny_rsa.evaluate(&in_tp(Operation::Encrypt, Attributes::envelope(AES, 1)));
    assert_eq!(d.results().count(), 0);
}

#[test]
fn deny_overrides_and_explain_lists_every_rule() {
    let policy = enforce(vec![
        Rule::new(rid("warn-size"), Condition::MaxMessageSize(10)).with_severity(Severity::Warn),
        deny_chacha("no-chacha"),
        Rule::new(rid("aes-ok"), Condition::AllowEnvelopeSuites(vec![AES, CHACHA])),
        Rule::new(rid("info"), Condition::MaxMessageSize(5)).with_severity(Severity::Info),
    ]);
    let req = in_tp(Operation::Encrypt, Attributes::envelope(CHACHA, 100));
    let d = policy.evaluate(&req);
    assert_eq!(d.verdict(), Verdict::Deny);
    let lines = policy.explain(&req);
    let summary: Vec<_> = lines.iter().map(|l| (l.rule.as_str(), l.effect)).collect();
    assert_eq!(
        summary,
        [
            ("warn-size", Effect::Warn),
            ("no-chacha", Effect::Deny),
            ("aes-ok", Effect::Satisfied),
            ("info", Effect::Info)
        ]
    );
    assert_eq!(
        lines[1].reason,
        "envelope suite must not be one of `CHACHA20-POLY1305/HKDF-SHA256`; violated: envelope suite `CHACHA20-POLY1305/HKDF-SHA256` is denied"
    );
    assert_eq!(
        lines[0].reason,
        "messages must be at most 10 bytes; violated: message of 100 bytes exceeds 10"
    );
    assert!(lines[1]
        .to_string()
        .starts_with("rule `no-chacha` (global; block under enforce)"));
}

#[test]
fn role_filters_and_explicit_operations() {
    let policy = enforce(vec![Rule::new(
        rid("viewers-small"),
        Condition::MaxMessageSize(10),
    )
    .for_roles(vec![Role::Viewer])
    .on(vec![Operation::Decrypt])]);
    let mut req = in_tp(Operation::Decrypt, Attributes::envelope(AES, 100));
    req.role = Some(Role::Viewer);
    assert_eq!(policy.evaluate(&req).verdict(), Verdict::Deny);
    req.role = Some(Role::Editor);
    assert_eq!(policy.evaluate(&req).verdict(), Verdict::Allow);
    req.role = None;
    assert_eq!(policy.evaluate(&req).results().count(), 0);
    req.role = Some(Role::Viewer);
    req.operation = Operation::Encrypt;
    assert_eq!(policy.evaluate(&req).verdict(), Verdict::Allow);
}

#[test]
fn authorizer_decision_combines_access_and_rules() {
    let acme = tenant("acme");
    let p = project("p");
    let viewer = Principal::new(acme.clone(), PrincipalId::new("vic").unwrap());
    let mut m = Membership::new();
    m.create_project(&acme, &p).unwrap();
    m.assign(&acme, &p, &viewer, Role::Viewer).unwrap();
    let authz = Authorizer::new(m, enforce(vec![deny_chacha("no-chacha")]));
    let target = Target::for_project(acme, p);
    // Role refuses even though the rule passes.
    let d = authz.authorize(
        &viewer,
        Operation::Encrypt,
        &target,
        &Attributes::envelope(AES, 1),
    );
    assert_eq!(d.verdict(), Verdict::Deny);
    assert_eq!(d.policy().verdict(), Verdict::Allow);
    let lines = authz.explain(
        &viewer,
        Operation::Encrypt,
        &target,
        &Attributes::envelope(AES, 1),
    );
    assert_eq!(
        lines[0],
        "access: denied to role `viewer`: principal's role does not permit the operation"
    );
    assert_eq!(lines.last().unwrap(), "verdict: deny");
    // Rules refuse although the role allows.
    let d = authz.authorize(
        &viewer,
        Operation::Decrypt,
        &target,
        &Attributes::envelope(CHACHA, 1),
    );
    assert!(d.access().is_granted());
    assert!(!d.is_allowed());
}

#[test]
fn simulate_counts_and_reports_changes() {
    let current = enforce(vec![Rule::new(rid("size"), Condition::MaxMessageSize(1000))]);
    let candidate = enforce(vec![
        Rule::new(rid("size"), Condition::MaxMessageSize(1000)).with_severity(Severity::Warn),
        Rule::new(rid("fips"), Condition::Fips(FipsProfile::Enabled)),
    ]);
    let samples = [
        in_tp(Operation::Encrypt, Attributes::envelope(AES, 10)),
        in_tp(Operation::Encrypt, Attributes::envelope(AES, 5000)),
        in_tp(Operation::Decrypt, Attributes::envelope(CHACHA, 10)),
        in_tp(Operation::Decrypt, Attributes::envelope(CHACHA, 5000)),
        in_tp(Operation::ReadAudit, Attributes::default()),
    ];
    let report = simulate(&current, &candidate, &samples);
    assert_eq!(
        report.current,
        Counts {
            allowed: 3,
            warned: 0,
            denied: 2
        }
    );
    assert_eq!(
        report.candidate,
        Counts {
            allowed: 2,
            warned: 1,
            denied: 2
        }
    );
    assert_eq!(
        report.changes,
        [
            DecisionChange {
                index: 1,
                current: Verdict::Deny,
                candidate: Verdict::AllowWithWarnings
            },
            DecisionChange {
                index: 2,
                current: Verdict::Allow,
                candidate: Verdict::Deny
            },
        ]
    );
}

fn fenced_block(doc: &str, lang: &str) -> String {
    let start = doc.find(&format!("```{lang}\n")).expect("block") + lang.len() + 4;
    let end = doc[start..].find("```").expect("end") + start;
    doc[start..end].to_owned()
}

#[test]
fn documented_examples_load_and_agree() {
    let doc = include_str!("../../../../docs/POLICY.md");
    let json = Policy::from_json(&fenced_block(doc, "json")).unwrap();
    let toml = Policy::from_toml(&fenced_block(doc, "toml")).unwrap();
    assert_eq!(json, toml);
    assert_eq!(json.digest(), toml.digest());
    let mut changed = json.rules().to_vec();
    changed[3].severity = Severity::Block;
    let changed = Policy::new(json.enforcement(), changed).unwrap();
    assert_ne!(changed.digest(), json.digest());
    let relaxed = Policy::new(Enforcement::Warn, json.rules().to_vec()).unwrap();
    assert_ne!(relaxed.digest(), json.digest());
    assert_eq!(json.rules().len(), 6);
    assert_eq!(
        json.rules()[5].condition,
        Condition::AllowRecipientAlgorithms(vec![RecipientKem::XWing])
    );
    let secret = &json.rules()[4];
    assert_eq!(secret.scope.level(), ScopeLevel::Context);
    assert_eq!(secret.enforcement, Some(Enforcement::Warn));
    assert_eq!(secret.roles.as_deref(), Some(&[Role::Owner, Role::Editor][..]));
    // And it behaves as documented: acme is FIPS, so ChaCha20 is denied there.
    let compiled = json.compile();
    assert_eq!(compiled.digest(), json.digest());
    let d = compiled.evaluate(&request(
        Operation::Encrypt,
        "acme",
        "payroll",
        Attributes::envelope(CHACHA, 1),
    ));
    assert_eq!(d.verdict(), Verdict::Deny);
    let d = compiled.evaluate(&request(
        Operation::Encrypt,
        "globex",
        "x",
        Attributes::envelope(CHACHA, 1),
    ));
    assert_eq!(d.verdict(), Verdict::Allow);
}

#[test]
fn a_policy_round_trips_through_its_json_document() {
    // The documented policy, and one built in code with every condition,
    // scope level, role and operation filter and enforcement override.
    let doc = include_str!("../../../../docs/POLICY.md");
    let documented = Policy::from_json(&fenced_block(doc, "json")).unwrap();
    let acme = TenantId::new("acme").unwrap();
    let id = |s: &str| RuleId::new(s).unwrap();
    let built = Policy::new(
        Enforcement::Warn,
        vec![
            Rule::new(
                id("aes-only"),
                Condition::AllowEnvelopeSuites(vec![EnvelopeSuite::Aes256GcmHkdfSha256]),
            )
            .in_scope(Scope::tenant(acme.clone())),
            Rule::new(id("no-chacha"), Condition::DenyEnvelopeSuites(vec![CHACHA]))
                .in_scope(Scope::project(acme.clone(), ProjectId::new("payroll").unwrap()))
                .on(vec![Operation::Encrypt]),
            Rule::new(
                id("ecdh"),
                Condition::AllowSessionSuites(vec![SessionSuite::EcdhP256]),
            ),
            Rule::new(
                id("no-rsa"),
                Condition::DenySessionSuites(vec![SessionSuite::RsaOaep256]),
            ),
            Rule::new(
                id("rsa-3072"),
                Condition::MinKeyBits {
                    suite: SessionSuite::RsaOaep256,
                    bits: 3072,
                },
            ),
            Rule::new(id("fips"), Condition::Fips(FipsProfile::Preferred)),
            Rule {
                description: Some("small \"secrets\"".into()),
                roles: Some(vec![Role::Editor, Role::Owner]),
                severity: Severity::Warn,
                enforcement: Some(Enforcement::Enforce),
                scope: Scope {
                    context: Some(ContextMatch {
                        key: "class".into(),
                        value: "secret".into(),
                    }),
                    ..Scope::tenant(acme)
                },
                ..Rule::new(id("small"), Condition::MaxMessageSize(1 << 20))
            },
        ],
    )
    .unwrap();
    for policy in [documented, built, Policy::default()] {
        let text = policy.to_json();
        let back = Policy::from_json(&text).unwrap();
        assert_eq!(back, policy, "{text}");
        assert_eq!(back.digest(), policy.digest());
        assert_eq!(back.to_json(), text);
    }
}

fn load_err(json: &str) -> String {
    Policy::from_json(json).unwrap_err().to_string()
}

fn one_rule(rule: &str) -> String {
    format!(r#"{{"version": 1, "rules": [{rule}]}}"#)
}

#[test]
fn load_errors_name_the_offender() {
    let cases = [
        (
            one_rule(r#"{"id": "r", "condition": {"deny_envelope_suites": ["DES"]}}"#),
            "rule `r`: unknown envelope suite `DES`",
        ),
        (
            one_rule(r#"{"id": "r", "condition": {"allow_session_suites": ["RSA-OAEP-1"]}}"#),
            "rule `r`: unknown session suite `RSA-OAEP-1`",
        ),
        (
            one_rule(r#"{"id": "r", "roles": ["admin"], "condition": {"max_message_size": 1}}"#),
            "rule `r`: unknown role `admin`",
        ),
        (
            one_rule(r#"{"id": "r", "operations": ["delete"], "condition": {"max_message_size": 1}}"#),
            "rule `r`: unknown operation `delete`",
        ),
        (
            one_rule(r#"{"id": "r", "severity": "fatal", "condition": {"max_message_size": 1}}"#),
            "rule `r`: unknown severity `fatal`",
        ),
        (
            one_rule(r#"{"id": "r", "enforcement": "maybe", "condition": {"max_message_size": 1}}"#),
            "rule `r`: unknown enforcement mode `maybe`",
        ),
        (
            one_rule(r#"{"id": "r", "condition": {"fips": "strict"}}"#),
            "rule `r`: unknown fips profile `strict`",
        ),
        (
            one_rule(r#"{"id": "r", "scope": {"project": "p"}, "condition": {"max_message_size": 1}}"#),
            "rule `r`: scope names project `p` without a tenant",
        ),
        (
            one_rule(r#"{"id": "r", "scope": {"tenant": "a b"}, "condition": {"max_message_size": 1}}"#),
            "rule `r`: tenant id `a b` contains",
        ),
        (
            one_rule(r#"{"id": "r", "operations": ["read_audit"], "condition": {"max_message_size": 1}}"#),
            "rule `r`: condition `max_message_size` does not apply to operation `read_audit`",
        ),
        (
            one_rule(r#"{"id": "r", "severity": "warn", "condition": {"fips": "enabled"}}"#),
            "rule `r`: `severity` cannot be set on a `fips` rule",
        ),
        (
            one_rule(r#"{"id": "r", "condition": {"allow_envelope_suites": []}}"#),
            "rule `r`: condition `allow_envelope_suites` lists no suites",
        ),
        (
            one_rule(r#"{"id": "r", "condition": {"min_key_bits": {"suite": "ECDH-P256", "bits": 0}}}"#),
            "rule `r`: minimum key size must be positive",
        ),
        (
            one_rule(r#"{"id": "r", "scope": {"context": {"key": "", "value": "v"}}, "condition": {"max_message_size": 1}}"#),
            "rule `r`: scope context: context key of 0 bytes",
        ),
        (
            r#"{"version": 1, "rules": [{"id": "r", "condition": {"max_message_size": 1}}, {"id": "r", "condition": {"max_message_size": 2}}]}"#.to_owned(),
            "rule id `r` is used twice",
        ),
        (r#"{"version": 2}"#.to_owned(), "unsupported policy document version `2`"),
        (r#"{"version": 1, "enforcement": "lax"}"#.to_owned(), "unknown enforcement mode `lax`"),
        (r#"{"version": 1, "extra": true}"#.to_owned(), "unknown field `extra`"),
        (
            one_rule(r#"{"id": "r", "condition": {"max_message_size": 1}, "priority": 3}"#),
            "unknown field `priority`",
        ),
        (
            one_rule(r#"{"id": "r", "scope": {"tenant": "a", "org": "b"}, "condition": {"max_message_size": 1}}"#),
            "unknown field `org`",
        ),
        (
            one_rule(r#"{"id": "r", "condition": {"allow_everything": true}}"#),
            "unknown variant `allow_everything`",
        ),
    ];
    for (doc, expected) in cases {
        let err = load_err(&doc);
        assert!(err.contains(expected), "{doc}\n  gave: {err}\n  want: {expected}");
    }
    let toml_err = Policy::from_toml("version = 1\nbogus = 1\n")
        .unwrap_err()
        .to_string();
    assert!(toml_err.contains("unknown field `bogus`"), "{toml_err}");
    let toml_err = Policy::from_toml(
        "version = 1\n[[rules]]\nid = \"r\"\ncondition = { deny_session_suites = [\"DH\"] }\n",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(toml_err, "rule `r`: unknown session suite `DH`");
}

#[test]
fn oversized_documents_are_refused_before_parsing() {
    let big = " ".repeat(MAX_POLICY_DOCUMENT_BYTES + 1);
    assert!(matches!(
        Policy::from_json(&big),
        Err(PolicyError::Document(PolicyDocumentError::TooLarge { .. }))
    ));
}

#[test]
fn requests_round_trip_through_json() {
    let req = in_tp(
        Operation::Download,
        Attributes::session(SessionSpec::rsa_oaep_256(3072))
            .with_context(Context::from_pairs([("k", "v")]).unwrap()),
    );
    let text = serde_json::to_string(&req).unwrap();
    assert_eq!(serde_json::from_str::<Request>(&text).unwrap(), req);
    assert!(serde_json::from_str::<Request>(
        r#"{"operation":"encrypt","target":{"tenant":"t","document":"d"}}"#
    )
    .is_err());
}

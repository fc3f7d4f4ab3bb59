//! The compiled (indexed) evaluator agrees with a plain loop over all rules
//! on random policies and requests.

use coffer_policy::*;
use proptest::prelude::*;
use proptest::sample::select;

const TENANTS: [&str; 3] = ["t0", "t1", "t2"];
const PROJECTS: [&str; 2] = ["p0", "p1"];
const KEYS: [&str; 2] = ["k0", "k1"];
const VALUES: [&str; 2] = ["v0", "v1"];

fn any_scope() -> impl Strategy<Value = Scope> {
    (
        prop::option::of(select(&TENANTS[..])),
        prop::option::of(select(&PROJECTS[..])),
        prop::option::of((select(&KEYS[..]), select(&VALUES[..]))),
    )
        .prop_map(|(t, p, c)| {
            let tenant = t.map(|t| TenantId::new(t).unwrap());
            // A project scope needs a tenant.
            let project = tenant.as_ref().and(p).map(|p| ProjectId::new(p).unwrap());
            Scope {
                tenant,
                project,
                context: c.map(|(k, v)| ContextMatch {
                    key: k.to_owned(),
                    value: v.to_owned(),
                }),
            }
        })
}

fn any_condition() -> impl Strategy<Value = Condition> {
    let env = prop::sample::subsequence(EnvelopeSuite::ALL.to_vec(), 1..=2);
    let ses = prop::sample::subsequence(SessionSuite::ALL.to_vec(), 1..=2);
    prop_oneof![
        env.clone().prop_map(Condition::AllowEnvelopeSuites),
        env.prop_map(Condition::DenyEnvelopeSuites),
        ses.clone().prop_map(Condition::AllowSessionSuites),
        ses.prop_map(Condition::DenySessionSuites),
        (select(SessionSuite::ALL), select(&[256u32, 2048, 3072, 4096][..]))
            .prop_map(|(suite, bits)| Condition::MinKeyBits { suite, bits }),
        select(FipsProfile::ALL).prop_map(Condition::Fips),
        select(&[0u64, 100, 10_000][..]).prop_map(Condition::MaxMessageSize),
        prop::sample::subsequence(RecipientKem::ALL.to_vec(), 1..=2)
            .prop_map(Condition::AllowRecipientAlgorithms),
    ]
}

fn any_rule(i: usize) -> impl Strategy<Value = Rule> {
    (
        any_scope(),
        any_condition(),
        any::<u8>(),
        prop::option::of(prop::sample::subsequence(Role::ALL.to_vec(), 1..=4)),
        select(Severity::ALL),
        prop::option::of(select(Enforcement::ALL)),
    )
        .prop_map(move |(scope, condition, op_bits, roles, severity, enforcement)| {
            let ops: Vec<Operation> = condition
                .operations()
                .iter()
                .enumerate()
                .filter(|(b, _)| op_bits & (1 << b) != 0)
                .map(|(_, op)| *op)
                .collect();
            Rule {
                id: RuleId::new(format!("r{i}")).unwrap(),
                description: None,
                scope,
                // High bit off: keep the condition's defaults.
                operations: (op_bits & 0x80 != 0 && !ops.is_empty()).then_some(ops),
                roles,
                severity,
                enforcement,
                condition,
            }
        })
}

fn any_policy() -> impl Strategy<Value = Policy> {
    (select(Enforcement::ALL), 0usize..40).prop_flat_map(|(mode, n)| {
        (0..n)
            .map(any_rule)
            .collect::<Vec<_>>()
            .prop_map(move |rules| Policy::new(mode, rules).unwrap())
    })
}

fn any_request() -> impl Strategy<Value = Request> {
    (
        select(Operation::ALL),
        select(&TENANTS[..]),
        prop::option::of(select(&PROJECTS[..])),
        prop::option::of(select(Role::ALL)),
        prop::option::of(select(&VALUES[..])),
        prop::option::of(select(&VALUES[..])),
        prop::option::of(select(EnvelopeSuite::ALL)),
        prop::option::of((select(SessionSuite::ALL), select(&[256u32, 1024, 2048, 3072][..]))),
        prop::option::of(select(&[0u64, 100, 101, 50_000][..])),
        prop::option::of(select(RecipientKem::ALL)),
    )
        .prop_map(
            |(operation, t, p, role, v0, v1, envelope_suite, session, message_size, recipient)| {
                let tenant = TenantId::new(t).unwrap();
                let target = match p {
                    Some(p) => Target::for_project(tenant, ProjectId::new(p).unwrap()),
                    None => Target::for_tenant(tenant),
                };
                let mut context = Context::new();
                for (k, v) in KEYS.iter().zip([v0, v1]) {
                    if let Some(v) = v {
                        context.insert(*k, v).unwrap();
                    }
                }
                Request {
                    operation,
                    target,
                    role,
                    attributes: Attributes {
                        context,
                        envelope_suite,
                        session: session.map(|(suite, key_bits)| SessionSpec { suite, key_bits }),
                        message_size,
                        recipient,
                    },
                }
            },
        )
}

/// The reference: every rule, checked one by one, written independently of
/// the library's condition code.
fn reference(policy: &Policy, req: &Request) -> (Vec<(usize, Effect)>, Verdict) {
    let mut out = Vec::new();
    for (i, rule) in policy.rules().iter().enumerate() {
        let s = &rule.scope;
        if s.tenant.as_ref().is_some_and(|t| t != req.target.tenant()) {
            continue;
        }
        if s.project.is_some() && s.project.as_ref() != req.target.project() {
            continue;
        }
        if let Some(c) = &s.context {
            if req.attributes.context.get(&c.key) != Some(c.value.as_str()) {
                continue;
            }
        }
        let ops = rule
            .operations
            .clone()
            .unwrap_or_else(|| rule.condition.operations().to_vec());
        // A download is a decryption: rules on decrypt decide it too.
        let decrypt_side = req.operation == Operation::Download && ops.contains(&Operation::Decrypt);
        if !ops.contains(&req.operation) && !decrypt_side {
            continue;
        }
        if let Some(roles) = &rule.roles {
            if !req.role.is_some_and(|r| roles.contains(&r)) {
                continue;
            }
        }
        let a = &req.attributes;
        // Some(true) = fails, Some(false) = passes, None = missing field.
        let fails: Option<bool> = match &rule.condition {
            Condition::AllowEnvelopeSuites(l) => a.envelope_suite.map(|s| !l.contains(&s)),
            Condition::DenyEnvelopeSuites(l) => a.envelope_suite.map(|s| l.contains(&s)),
            Condition::AllowSessionSuites(l) => a.session.map(|s| !l.contains(&s.suite)),
            Condition::DenySessionSuites(l) => a.session.map(|s| l.contains(&s.suite)),
            Condition::MinKeyBits { suite, bits } => {
                a.session.map(|s| s.suite == *suite && s.key_bits < *bits)
            }
            Condition::Fips(FipsProfile::Disabled) => Some(false),
            // No recipient algorithm is FIPS-approved.
            Condition::Fips(_) if a.recipient.is_some() => Some(true),
            Condition::Fips(_) => {
                if a.envelope_suite.is_none() && a.session.is_none() {
                    None
                } else {
                    let bad_env = a.envelope_suite == Some(EnvelopeSuite::ChaCha20Poly1305HkdfSha256);
                    let bad_ses = a
                        .session
                        .is_some_and(|s| s.suite == SessionSuite::RsaOaep256 && s.key_bits < 2048);
                    Some(bad_env || bad_ses)
                }
            }
            Condition::MaxMessageSize(max) => a.message_size.map(|n| n > *max),
            Condition::AllowRecipientAlgorithms(l) => a.recipient.map(|k| !l.contains(&k)),
        };
        let severity = match rule.condition {
            Condition::Fips(FipsProfile::Enabled) => Severity::Block,
            Condition::Fips(FipsProfile::Preferred) => Severity::Warn,
            Condition::Fips(FipsProfile::Disabled) => Severity::Info,
            _ => rule.severity,
        };
        let mode = rule.enforcement.unwrap_or(policy.enforcement());
        let effect = if fails == Some(false) {
            Effect::Satisfied
        } else if mode == Enforcement::None {
            Effect::Reported
        } else {
            match severity {
                Severity::Info => Effect::Info,
                Severity::Warn => Effect::Warn,
                Severity::Block if mode == Enforcement::Warn => Effect::Warn,
                Severity::Block => Effect::Deny,
            }
        };
        out.push((i, effect));
    }
    let verdict = if out.iter().any(|(_, e)| *e == Effect::Deny) {
        Verdict::Deny
    } else if out.iter().any(|(_, e)| *e == Effect::Warn) {
        Verdict::AllowWithWarnings
    } else {
        Verdict::Allow
    };
    (out, verdict)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiled_agrees_with_reference(
        policy in any_policy(),
        requests in prop::collection::vec(any_request(), 1..16),
    ) {
        let compiled = policy.compile();
        for req in &requests {
            let d = compiled.evaluate(req);
            let mut got: Vec<(usize, Effect)> =
                d.results().map(|(_, r)| (r.rule_index(), r.effect)).collect();
            got.sort_unstable();
            let (want, verdict) = reference(&policy, req);
            prop_assert_eq!(&got, &want, "request {:?}", req);
            prop_assert_eq!(d.verdict(), verdict);
        }
    }
}

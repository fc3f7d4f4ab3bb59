//! Policy decision latency, explain, and audit append cost.
//!
//! Policies of 5, 50 and 500 rules hold the same five rules applicable to
//! the benched request; the rest target other tenants, projects and
//! contexts, as in a multi-tenant deployment. Flat figures across the three
//! sizes show the index doing its job. The target is under 250 ns per
//! decision at 500 rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a bench has no caller to report a setup failure to"
)]
// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs, reason = "bench functions are not an API")]

use std::hint::black_box;

use coffer::policy::audit::{AuditEvent, AuditKey, AuditSink, FileSink, MemorySink, Outcome, Timestamp};
use coffer::policy::store::{MemoryStore, Store, Transaction};
use coffer::policy::*;
use coffer::store::SqliteStore;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

fn id<T: TryFrom<String>>(s: String) -> T
where
    T::Error: std::fmt::Debug,
{
    T::try_from(s).unwrap()
}

/// Five rules that apply to tenant `acme`, project `payroll`, operation
/// encrypt with context `class = secret`, plus `total - 5` that do not.
fn policy(total: usize) -> Policy {
    let acme: TenantId = id("acme".into());
    let payroll: ProjectId = id("payroll".into());
    let mut rules = vec![
        Rule::new(id("g-fips".into()), Condition::Fips(FipsProfile::Preferred)),
        Rule::new(id("g-size".into()), Condition::MaxMessageSize(1 << 30)),
        Rule::new(
            id("t-aes".into()),
            Condition::AllowEnvelopeSuites(vec![EnvelopeSuite::Aes256GcmHkdfSha256]),
        )
        .in_scope(Scope::tenant(acme.clone())),
        Rule::new(id("p-size".into()), Condition::MaxMessageSize(1 << 26))
            .in_scope(Scope::project(acme.clone(), payroll.clone()))
            .with_severity(Severity::Warn),
        Rule::new(
            id("c-deny".into()),
            Condition::DenyEnvelopeSuites(vec![EnvelopeSuite::ChaCha20Poly1305HkdfSha256]),
        )
        .in_scope(Scope::project(acme, payroll).with_context("class", "secret")),
    ];
    for i in rules.len()..total {
        let tenant: TenantId = id(format!("tenant-{}", i % 97));
        let scope = match i % 3 {
            0 => Scope::tenant(tenant),
            1 => Scope::project(tenant, id(format!("project-{i}"))),
            _ => Scope::global().with_context("class", format!("label-{i}")),
        };
        rules.push(Rule::new(id(format!("r{i}")), Condition::MaxMessageSize(1 << 20)).in_scope(scope));
    }
    Policy::new(Enforcement::Enforce, rules).unwrap()
}

fn request() -> Request {
    Request {
        operation: Operation::Encrypt,
        target: Target::for_project(id("acme".into()), id("payroll".into())),
        role: Some(Role::Editor),
        attributes: Attributes::envelope(EnvelopeSuite::Aes256GcmHkdfSha256, 4096)
            .with_context(Context::from_pairs([("class", "secret")]).unwrap()),
    }
}

/// An authorizer over `policy(total)` and an editor of `acme/payroll`.
fn editor(total: usize) -> (Authorizer, Principal) {
    let acme: TenantId = id("acme".into());
    let payroll: ProjectId = id("payroll".into());
    let ed = Principal::new(acme.clone(), id("ed".into()));
    let mut members = Membership::new();
    members.create_project(&acme, &payroll).unwrap();
    members.assign(&acme, &payroll, &ed, Role::Editor).unwrap();
    (Authorizer::new(members, policy(total).compile()), ed)
}

fn decisions(c: &mut Criterion) {
    let req = request();
    let mut group = c.benchmark_group("decision");
    for total in [5, 50, 500] {
        let compiled = policy(total).compile();
        assert_eq!(compiled.evaluate(&req).results().count(), 5);
        group.bench_function(format!("rules/{total}"), |b| {
            b.iter(|| black_box(compiled.evaluate(black_box(&req))).verdict())
        });
    }
    group.finish();

    let (authz, ed) = editor(500);
    c.bench_function("authorize/rules/500", |b| {
        b.iter(|| {
            black_box(authz.authorize(&ed, Operation::Encrypt, &req.target, &req.attributes)).is_allowed()
        })
    });
    let compiled = policy(500).compile();
    c.bench_function("explain/rules/500", |b| {
        b.iter(|| black_box(compiled.explain(black_box(&req))))
    });
}

fn event(authz: &Authorizer, ed: &Principal, req: &Request) -> AuditEvent {
    let d = authz.authorize(ed, req.operation, &req.target, &req.attributes);
    AuditEvent::for_decision(
        Timestamp::now(),
        ed,
        req.operation,
        &req.target,
        &req.attributes,
        &d,
        Outcome::Succeeded,
    )
}

fn audit(c: &mut Criterion) {
    let req = request();
    let (authz, ed) = editor(50);
    let ev = event(&authz, &ed, &req);

    let mut memory = MemorySink::new(AuditKey::from_bytes([1; 32])).unwrap();
    c.bench_function("audit/append/memory", |b| {
        b.iter_batched(
            || ev.clone(),
            |e| memory.append(e).unwrap(),
            BatchSize::SmallInput,
        )
    });

    let dir = std::env::temp_dir().join(format!("coffer-policy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut file = FileSink::create(dir.join("audit.jsonl"), AuditKey::from_bytes([1; 32])).unwrap();
    let mut group = c.benchmark_group("audit/append/file");
    group.sample_size(20);
    group.bench_function("fsync-each", |b| {
        b.iter_batched(|| ev.clone(), |e| file.append(e).unwrap(), BatchSize::SmallInput)
    });
    group.bench_function("batch-of-100", |b| {
        b.iter_batched(
            || vec![ev.clone(); 100],
            |es| file.append_batch(es).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
    drop(file);

    // The front door's path: one store transaction per record (SQLite:
    // WAL, synchronous=FULL, so one fsync per commit).
    let mut group = c.benchmark_group("audit/append/store");
    group.sample_size(20);
    let memory = MemoryStore::new(AuditKey::from_bytes([1; 32])).unwrap();
    group.bench_function("memory", |b| {
        b.iter(|| {
            memory
                .transaction(&mut |tx: &mut dyn Transaction| tx.append(ev.clone()))
                .unwrap()
        })
    });
    let sqlite = SqliteStore::open(dir.join("store"), AuditKey::from_bytes([1; 32])).unwrap();
    group.bench_function("sqlite", |b| {
        b.iter(|| {
            sqlite
                .transaction(&mut |tx: &mut dyn Transaction| tx.append(ev.clone()))
                .unwrap()
        })
    });
    group.finish();
    drop(sqlite);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, decisions, audit);
criterion_main!(benches);

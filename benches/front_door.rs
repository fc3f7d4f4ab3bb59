//! The front door's cost over the key layer it drives: encrypt and
//! server-side decrypt of 1 KiB and 1 MiB through `FrontDoor` (authorize,
//! act, audit) next to `coffer_keys::seal` / `open` with a project key over
//! the same bytes, in the same run. The decrypt group also runs the
//! key layer's streaming `Opener`, which the front door drives (it takes any
//! `Read`), to tell streaming cost from the door's own.
//!
//! The unlock cache is on, so PBKDF2 is paid once, not per call (what a
//! deployment with a cache window sees). The store chains and MACs every
//! event like the real stores but keeps only the head, so memory does not
//! grow with the iteration count and storage is not what is measured.
//! After the criterion groups, the overhead ratio (front door / layer 2)
//! per size and direction is measured with interleaved batches and printed
//! to stderr.
// `criterion_group!` generates an undocumented public function.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "bench functions are not an API; a bench has no caller to report a setup failure to"
)]

#[path = "support/door.rs"]
mod support;
use support::{bench_door, BenchDoor};

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use coffer::keys::{open, seal, OpenOptions, Opened, Opener, Password, ProjectKey, Recipient, SealOptions};
use coffer::policy::audit::{AuditChain, AuditEvent, AuditKey, AuditRecord, ChainHead, ChainId};
use coffer::policy::store::{
    Change, DocumentRecord, EnvelopeId, PolicyVersion, Snapshot, StagedEnvelope, Store, StoreError,
    Transaction,
};
use coffer::policy::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const SIZES: [(usize, &str); 2] = [(1 << 10, "1KiB"), (1 << 20, "1MiB")];

/// A store in memory that seals and chains every event but keeps only the
/// head, so memory does not grow with the iteration count. State changes
/// (only project creation here) apply as in `MemoryStore`.
#[derive(Debug)]
struct HeadOnlyStore {
    chain_id: ChainId,
    state: Mutex<(Snapshot, AuditChain)>,
}

struct HeadOnlyTransaction<'s> {
    snapshot: &'s mut Snapshot,
    chain: &'s mut AuditChain,
}

impl Transaction for HeadOnlyTransaction<'_> {
    fn version(&mut self) -> Result<u64, StoreError> {
        Ok(self.snapshot.version)
    }
    fn snapshot(&mut self) -> Result<Snapshot, StoreError> {
        Ok(self.snapshot.clone())
    }
    fn apply(&mut self, change: &Change) -> Result<(), StoreError> {
        self.snapshot.apply(change)
    }
    fn documents(&mut self, _: &TenantId, _: &ProjectId) -> Result<Vec<DocumentRecord>, StoreError> {
        // Document metadata is checked (`Snapshot::apply`) but not kept,
        // like the records: it would grow with the iteration count.
        Ok(Vec::new())
    }
    fn document(
        &mut self,
        _: &TenantId,
        _: &ProjectId,
        _: &DocumentId,
    ) -> Result<Option<DocumentRecord>, StoreError> {
        Ok(None)
    }
    fn policy_history(&mut self) -> Result<Vec<PolicyVersion>, StoreError> {
        Ok(self.snapshot.policy.clone().into_iter().collect())
    }
    fn append(&mut self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        let record = self.chain.seal(event);
        self.chain.commit(&record);
        Ok(record)
    }
    fn audit_head(&mut self) -> Result<ChainHead, StoreError> {
        Ok(self.chain.head())
    }
    fn audit_records(&mut self) -> Result<Vec<AuditRecord>, StoreError> {
        Ok(Vec::new())
    }
    fn verify_audit(&mut self, _: Option<ChainHead>) -> Result<ChainHead, StoreError> {
        // Nothing is kept to verify; the head is the chain's own.
        Ok(self.chain.head())
    }
}

impl Store for HeadOnlyStore {
    fn transaction<T, E: From<StoreError>>(
        &self,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut guard = self.state.lock().unwrap();
        let (snapshot, chain) = &mut *guard;
        let (before, head) = (snapshot.clone(), chain.head());
        let result = work(&mut HeadOnlyTransaction { snapshot, chain });
        if result.is_err() {
            *snapshot = before;
            chain.follow(&head).unwrap();
        }
        result
    }

    fn chain_id(&self) -> ChainId {
        self.chain_id
    }

    // The benchmarks store no envelopes: staging is refused and nothing is
    // ever there to read, release or sweep.
    fn stage_envelope(&self) -> Result<Box<dyn StagedEnvelope + '_>, StoreError> {
        Err(StoreError::backend("the benchmark store keeps no envelopes"))
    }

    fn read_envelope(&self, id: &EnvelopeId) -> Result<Box<dyn std::io::Read + '_>, StoreError> {
        Err(StoreError::UnknownEnvelope {
            envelope: id.to_string(),
            size: 0,
        })
    }

    fn release_envelope(&self, _: &EnvelopeId) -> Result<bool, StoreError> {
        Ok(false)
    }

    fn sweep_envelopes(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
}

struct Setup {
    door: FrontDoor<HeadOnlyStore>,
    owner: Principal,
    target: DocumentRef,
    password: Password,
    key: ProjectKey,
}

fn setup() -> Setup {
    let chain_id = ChainId::generate(&ring::rand::SystemRandom::new()).unwrap();
    let store = HeadOnlyStore {
        chain_id,
        state: Mutex::new((
            Snapshot::default(),
            AuditChain::new(AuditKey::from_bytes([1; 32]), chain_id),
        )),
    };
    let BenchDoor {
        door,
        owner,
        target,
        password,
    } = bench_door(store);
    Setup {
        door,
        owner,
        target,
        password,
        key: ProjectKey::generate("project").unwrap(),
    }
}

/// A plaintext of one size, its envelope from each side, an output buffer.
struct Inputs {
    plaintext: Vec<u8>,
    envelope: Vec<u8>,
    sealed: Vec<u8>,
    out: Vec<u8>,
}

impl Setup {
    fn inputs(&self, size: usize) -> Inputs {
        let plaintext = vec![0x5a; size];
        Inputs {
            envelope: self.door_encrypt(&plaintext),
            sealed: self.seal(&plaintext),
            out: Vec::with_capacity(size),
            plaintext,
        }
    }

    fn door_encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        self.door
            .encrypt(
                &self.owner,
                &self.target,
                plaintext,
                &Context::new(),
                &self.password,
            )
            .unwrap()
    }

    fn door_decrypt(&self, envelope: &[u8], out: &mut Vec<u8>) {
        out.clear();
        self.door
            .open_document(
                &self.owner,
                &self.target,
                Source::Envelope(envelope),
                &self.password,
                &mut *out,
            )
            .unwrap();
    }

    fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        seal(
            plaintext,
            &[Recipient::project_key(&self.key)],
            &SealOptions::new(),
        )
        .unwrap()
    }

    fn open(&self, sealed: &[u8]) -> Opened {
        open(sealed, &OpenOptions::new().project_key(&self.key)).unwrap()
    }

    /// The streaming opener the front door drives, on its own.
    fn open_streaming(&self, sealed: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let options = OpenOptions::new().project_key(&self.key);
        let mut opener = Opener::new(sealed, &options).unwrap();
        std::io::copy(&mut opener, out).unwrap();
    }
}

fn encrypt_decrypt(c: &mut Criterion) {
    let s = setup();
    for (size, name) in SIZES {
        let mut inputs = s.inputs(size);

        let mut group = c.benchmark_group("front_door_encrypt");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("front_door", name), &inputs.plaintext, |b, p| {
            b.iter(|| s.door_encrypt(black_box(p)));
        });
        group.bench_with_input(
            BenchmarkId::new("layer2_seal", name),
            &inputs.plaintext,
            |b, p| {
                b.iter(|| s.seal(black_box(p)));
            },
        );
        group.finish();

        let mut group = c.benchmark_group("front_door_decrypt");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("front_door", name), &inputs.envelope, |b, e| {
            b.iter(|| s.door_decrypt(black_box(e), &mut inputs.out));
        });
        group.bench_with_input(BenchmarkId::new("layer2_open", name), &inputs.sealed, |b, e| {
            b.iter(|| s.open(black_box(e)));
        });
        group.bench_with_input(BenchmarkId::new("layer2_opener", name), &inputs.sealed, |b, e| {
            b.iter(|| s.open_streaming(black_box(e), &mut inputs.out));
        });
        group.finish();
    }
}

/// Mean time per call of `f` over a batch of `n`.
fn per_call(n: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed() / n
}

/// The overhead ratios in one run: batches of the two sides alternate, and
/// the best batch of each side counts (least disturbed by other load).
fn overhead_ratios(_: &mut Criterion) {
    let s = setup();
    for (size, name) in SIZES {
        let mut inputs = s.inputs(size);
        let n = if size > 1 << 16 { 20 } else { 2000 };
        let [mut enc, mut seal_t, mut dec, mut open_t, mut stream_t] = [Duration::MAX; 5];
        for _ in 0..7 {
            enc = enc.min(per_call(n, || drop(black_box(s.door_encrypt(&inputs.plaintext)))));
            seal_t = seal_t.min(per_call(n, || drop(black_box(s.seal(&inputs.plaintext)))));
            dec = dec.min(per_call(n, || {
                s.door_decrypt(black_box(&inputs.envelope), &mut inputs.out)
            }));
            open_t = open_t.min(per_call(n, || drop(black_box(s.open(&inputs.sealed)))));
            stream_t = stream_t.min(per_call(n, || {
                s.open_streaming(black_box(&inputs.sealed), &mut inputs.out)
            }));
        }
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        eprintln!(
            "front door / layer 2, {name}: encrypt {enc:?} / seal {seal_t:?} = {:.3}; \
             decrypt {dec:?} / open {open_t:?} = {:.3}; decrypt / streaming opener {stream_t:?} = {:.3}",
            ratio(enc, seal_t),
            ratio(dec, open_t),
            ratio(dec, stream_t),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = encrypt_decrypt, overhead_ratios
}
criterion_main!(benches);

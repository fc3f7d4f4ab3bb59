//! The whole coffer story, end to end, on a SQLite data directory that
//! survives restarts:
//!
//! 1. Alice (a tenant owner) creates a project protected by a password.
//! 2. She encrypts two documents into it.
//! 3. Bob, a Viewer, downloads one through a one-time RSA-OAEP session: this
//!    example plays the browser with the `rsa` crate's public-key side.
//! 4. Bob is refused when he tries to encrypt.
//! 5. Alice changes the project password; no document is re-encrypted.
//! 6. The audit trail verifies; a copy of the database with one record
//!    rewritten is refused at start-up.
//!
//! Run it again and it restarts on the same data directory: the front door
//! reopens the store, verifies the audit chain, and opens the first run's
//! documents with the password set then; members still hold their roles.
//!
//! `cargo run --example quickstart [-- --data-dir DIR]`; the directory
//! defaults to `coffer-quickstart` in the system's temporary directory, or
//! `COFFER_DATA_DIR`. Delete it to start over.
#![allow(clippy::print_stdout, reason = "the output is this program's report")]

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use coffer::policy::audit::Outcome;
use coffer::policy::store::Store;
use coffer::policy::{
    Context, DocumentId, DocumentRef, FrontDoor, FrontDoorConfig, FrontDoorError, Policy, Principal,
    PrincipalId, ProjectId, ProjectRef, Role, Source, TenantId,
};
use coffer::session::keys::Password;
use coffer::session::{ClientMessage, Offer, SessionConfig, SessionService};
use coffer::store::{load_or_create_key_file, SqliteStore, DATABASE_FILE};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::Sha256;
use rsa::{Oaep, PublicKey};

const FIRST_PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "tr0ub4dor&3 is not better";

/// What a browser does with an offer: import the SPKI public key, encrypt
/// the password with RSA-OAEP (SHA-256) under the offer's label, post the
/// key id and ciphertext.
fn browser_encrypts(offer: &Offer, password: &str) -> Result<ClientMessage, Box<dyn Error>> {
    let spki = base64::engine::general_purpose::STANDARD.decode(&offer.spki)?;
    let public = PublicKey::from_public_key_der(&spki)?;
    let label = offer.label.as_deref().ok_or("offer has no label")?;
    let padding = Oaep::<Sha256>::new_with_label(label.as_bytes());
    let ciphertext = public.encrypt(&mut getrandom::SysRng, padding, password.as_bytes())?;
    Ok(ClientMessage {
        key_id: offer.key_id.to_string(),
        encrypted_password: base64::engine::general_purpose::STANDARD.encode(ciphertext),
    })
}

/// `--data-dir DIR`, else `COFFER_DATA_DIR`, else a fixed directory in the
/// system's temporary directory (so a second run finds the first's).
fn data_dir() -> Result<PathBuf, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("--data-dir") => return Ok(args.next().ok_or("`--data-dir` needs a directory")?.into()),
        Some(other) => return Err(format!("unknown argument `{other}`; try `--data-dir DIR`").into()),
        None => {}
    }
    Ok(std::env::var_os("COFFER_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("coffer-quickstart")))
}

/// Who and what the story is about.
struct Cast {
    acme: TenantId,
    alice: Principal,
    bob: Principal,
    payroll: ProjectId,
    project: ProjectRef,
}

impl Cast {
    fn new() -> Result<Self, Box<dyn Error>> {
        let acme = TenantId::new("acme")?;
        let payroll = ProjectId::new("payroll")?;
        Ok(Cast {
            alice: Principal::new(acme.clone(), PrincipalId::new("alice")?),
            bob: Principal::new(acme.clone(), PrincipalId::new("bob")?),
            project: ProjectRef::new(acme.clone(), payroll.clone()),
            acme,
            payroll,
        })
    }

    fn doc(&self, id: &str) -> Result<DocumentRef, Box<dyn Error>> {
        Ok(DocumentRef::new(
            self.acme.clone(),
            self.payroll.clone(),
            DocumentId::new(id)?,
        ))
    }
}

fn open_door(data: &Path) -> Result<FrontDoor<SqliteStore>, Box<dyn Error>> {
    // The audit key lives in a 0600 key file; a deployment keeps it outside
    // the data directory (see the coffer-store docs), here it sits beside
    // the database to keep the example in one directory.
    let key = load_or_create_key_file(data.join("audit.key"))?;
    let store = SqliteStore::open(data.join("state"), key)?;
    let alice = Cast::new()?.alice;
    // acme runs in FIPS mode: ChaCha20-Poly1305 would be refused.
    let policy = Policy::from_json(
        r#"{ "version": 1, "enforcement": "enforce", "rules": [
              { "id": "acme-fips", "scope": { "tenant": "acme" }, "condition": { "fips": "enabled" } } ] }"#,
    )?;
    // The seed applies to an empty store only: the first run.
    Ok(FrontDoor::setup(
        FrontDoorConfig::default(),
        store,
        SessionService::new(SessionConfig::default())?,
    )
    .tenant_role(&alice, Role::Owner)
    .policy(&policy, "quickstart")
    .open()?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let data = data_dir()?;
    let documents = data.join("documents");
    fs::create_dir_all(&documents)?;
    println!("data directory: {}", data.display());
    let door = open_door(&data)?;
    let cast = Cast::new()?;
    let saved = documents.join("april.cfr");
    if saved.exists() {
        restarted(&door, &cast, &documents)?;
    } else if !door.audit_records()?.is_empty() {
        return Err(format!(
            "`{}` holds a first run that did not finish; delete it to start over",
            data.display()
        )
        .into());
    } else {
        first_run(&door, &cast, &documents)?;
        println!("   run the example again: it restarts on the same data directory");
    }
    door.sessions().shutdown();
    Ok(())
}

fn first_run(door: &FrontDoor<SqliteStore>, cast: &Cast, documents: &Path) -> Result<(), Box<dyn Error>> {
    let Cast {
        alice,
        bob,
        payroll,
        project,
        ..
    } = cast;
    println!("1. alice creates project `payroll` with a password (PBKDF2-HMAC-SHA256, 600 000 iterations)");
    let password = Password::new(FIRST_PASSWORD);
    door.create_project(alice, payroll, &password)?;
    door.add_member(alice, project, bob, Role::Viewer)?;
    println!("   bob joins as a viewer");

    println!("2. alice encrypts two documents and saves them beside the database");
    let march = door.encrypt(
        alice,
        &cast.doc("march")?,
        b"March payroll: 42 people, 1.3M",
        &Context::new(),
        &password,
    )?;
    let april = door.encrypt(
        alice,
        &cast.doc("april")?,
        b"April payroll: 43 people, 1.4M",
        &Context::new(),
        &password,
    )?;
    fs::write(documents.join("march.cfr"), &march)?;
    fs::write(documents.join("april.cfr"), &april)?;
    println!(
        "   `march`: {} bytes sealed, `april`: {} bytes sealed",
        march.len(),
        april.len()
    );

    println!("3. bob downloads `march` through a one-time RSA-OAEP-256 session");
    let offer = door.issue_download(bob, &cast.doc("march")?, Source::Envelope(&march[..]))?;
    println!(
        "   the server offers key `{}` ({}), bound to `{}`",
        offer.key_id,
        offer.suite.id(),
        offer.binding
    );
    let posted = browser_encrypts(&offer, FIRST_PASSWORD)?;
    let mut plaintext = Vec::new();
    let receipt = door.open_document(
        bob,
        &cast.doc("march")?,
        Source::Envelope(&march[..]),
        &posted,
        &mut plaintext,
    )?;
    println!(
        "   bob reads: {:?} ({} bytes, key version {})",
        String::from_utf8_lossy(&plaintext),
        receipt.plaintext_len,
        receipt.key_version
    );
    match door.open_document(
        bob,
        &cast.doc("march")?,
        Source::Envelope(&march[..]),
        &posted,
        &mut Vec::new(),
    ) {
        Err(e @ FrontDoorError::SessionRejected(_)) => {
            println!("   replaying the same session: refused ({e})")
        }
        other => return Err(format!("a replayed session must be refused, got {other:?}").into()),
    }

    println!("4. bob tries to encrypt a document");
    match door.encrypt(bob, &cast.doc("may")?, b"forged", &Context::new(), &password) {
        Err(e @ FrontDoorError::Denied { .. }) => println!("   refused: {e}"),
        other => return Err(format!("a viewer must not encrypt, got {other:?}").into()),
    }

    println!("5. alice changes the project password; documents are not re-encrypted");
    let new_password = Password::new(NEW_PASSWORD);
    door.change_password(alice, project, &password, &new_password)?;
    let mut april_plain = Vec::new();
    door.open_document(
        alice,
        &cast.doc("april")?,
        Source::Envelope(&april[..]),
        &new_password,
        &mut april_plain,
    )?;
    println!(
        "   the same `april` bytes open with the new password: {:?}",
        String::from_utf8_lossy(&april_plain)
    );
    let old = door.open_document(
        alice,
        &cast.doc("april")?,
        Source::Envelope(&april[..]),
        &password,
        &mut Vec::new(),
    );
    println!(
        "   the old password: {}",
        old.map_or_else(|e| format!("refused ({e})"), |_| "accepted?!".into())
    );

    println!("6. the audit trail");
    print_trail(door, cast)?;
    tampered_copy_is_refused(door)?;
    Ok(())
}

fn print_trail(door: &FrontDoor<SqliteStore>, cast: &Cast) -> Result<(), Box<dyn Error>> {
    let trail = door.audit_trail(&cast.alice, &cast.project.clone().into())?;
    for record in &trail {
        let e = &record.event;
        let outcome = match &e.outcome {
            Outcome::Succeeded => "succeeded".to_owned(),
            Outcome::Started => "started".to_owned(),
            Outcome::Denied => "denied".to_owned(),
            Outcome::Failed { reason } => format!("failed: {}", reason.as_str()),
        };
        println!(
            "   #{:<2} {:<6} {:<15} {outcome}",
            record.seq,
            // A project's trail holds principals' calls only (operators
            // act on tenants and the policy).
            e.principal
                .principal()
                .map_or_else(|| e.principal.to_string(), |p| p.id.to_string()),
            e.operation.to_string()
        );
    }
    let report = door.verify_audit(&cast.alice, &cast.project.clone().into())?;
    println!(
        "   verified: the chain is intact; {} records about the project",
        report.records
    );
    Ok(())
}

/// Copies the database, rewrites bob's refused encrypt as a success in the
/// copy, and opens a front door on it: refused at start-up.
fn tampered_copy_is_refused(door: &FrontDoor<SqliteStore>) -> Result<(), Box<dyn Error>> {
    let scratch = tempfile::tempdir()?;
    let copy = scratch.path().join(DATABASE_FILE);
    // `VACUUM INTO` writes a consistent copy of the live database.
    let live = rusqlite::Connection::open(door.store().path())?;
    live.execute("VACUUM INTO ?1", [copy.to_string_lossy().as_ref()])?;
    let edited = rusqlite::Connection::open(&copy)?;
    let changed = edited.execute(
        "UPDATE audit_records SET record = replace(record, '\"outcome\":\"denied\"', '\"outcome\":\"succeeded\"')
         WHERE seq = (SELECT min(seq) FROM audit_records WHERE record LIKE '%\"outcome\":\"denied\"%')",
        [],
    )?;
    drop(edited);
    if changed != 1 {
        return Err("the trail should hold bob's refused encrypt".into());
    }
    let key = load_or_create_key_file(data_dir()?.join("audit.key"))?;
    let store = SqliteStore::open(scratch.path(), key)?;
    match FrontDoor::open(
        FrontDoorConfig::default(),
        store,
        SessionService::new(SessionConfig::default())?,
    ) {
        Err(e @ FrontDoorError::BrokenChain(_)) => {
            println!("   a copy where bob's refused encrypt is rewritten as a success does not start: {e}")
        }
        other => return Err(format!("tampering must be detected, got {other:?}").into()),
    }
    Ok(())
}

fn restarted(door: &FrontDoor<SqliteStore>, cast: &Cast, documents: &Path) -> Result<(), Box<dyn Error>> {
    let head = door.verify_chain(None)?;
    println!(
        "restarted on the previous run's store: the audit chain verifies ({} records, chain {})",
        head.count,
        door.store().chain_id()
    );
    let password = Password::new(NEW_PASSWORD);
    for id in ["march", "april"] {
        let envelope = fs::read(documents.join(format!("{id}.cfr")))?;
        let mut plain = Vec::new();
        // Bob is still a viewer: the membership is in the store.
        let receipt = door.open_document(
            &cast.bob,
            &cast.doc(id)?,
            Source::Envelope(&envelope[..]),
            &password,
            &mut plain,
        )?;
        println!(
            "   bob opens `{id}` from the previous run with the password changed then: {:?} (key version {})",
            String::from_utf8_lossy(&plain),
            receipt.key_version
        );
    }
    let old = door.open_document(
        &cast.alice,
        &cast.doc("april")?,
        Source::Envelope(&fs::read(documents.join("april.cfr"))?[..]),
        &Password::new(FIRST_PASSWORD),
        &mut Vec::new(),
    );
    println!(
        "   the first password: {}",
        old.map_or_else(|e| format!("still refused ({e})"), |_| "accepted?!".into())
    );
    match door.encrypt(
        &cast.bob,
        &cast.doc("may")?,
        b"forged",
        &Context::new(),
        &password,
    ) {
        Err(FrontDoorError::Denied { .. }) => println!("   bob still cannot encrypt"),
        other => return Err(format!("a viewer must not encrypt, got {other:?}").into()),
    }
    let history = door.policy_history()?;
    if let Some(policy) = history.last() {
        println!(
            "   policy version {} installed by {} still applies",
            policy.version, policy.installed_by
        );
    }
    let report = door.verify_audit(&cast.alice, &cast.project.clone().into())?;
    println!(
        "   the chain goes on: {} records about the project now",
        report.records
    );
    Ok(())
}

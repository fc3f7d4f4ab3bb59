//! The whole coffer story, end to end:
//!
//! 1. Alice (a tenant owner) creates a project protected by a password.
//! 2. She encrypts two documents into it.
//! 3. Bob, a Viewer, downloads one through a one-time RSA-OAEP session: this
//!    example plays the browser with the `rsa` crate's public-key side.
//! 4. Bob is refused when he tries to encrypt.
//! 5. Alice changes the project password; no document is re-encrypted.
//! 6. The audit trail verifies; then a tampered record is caught.
//!
//! Run it with `cargo run --example quickstart`.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::fs;

use base64::Engine as _;
use coffer::policy::audit::{AuditKey, FileSink, Outcome};
use coffer::policy::{
    Authorizer, Context, FrontDoor, FrontDoorConfig, FrontDoorError, Membership, Policy, Principal,
    PrincipalId, ProjectId, Role, Target, TenantId,
};
use coffer::session::keys::Password;
use coffer::session::{ClientMessage, Offer, SessionConfig, SessionService};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::Sha256;
use rsa::{Oaep, PublicKey};

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

fn main() -> Result<(), Box<dyn Error>> {
    let acme = TenantId::new("acme")?;
    let alice = Principal::new(acme.clone(), PrincipalId::new("alice")?);
    let bob = Principal::new(acme.clone(), PrincipalId::new("bob")?);
    let payroll = ProjectId::new("payroll")?;
    let project = Target::for_project(acme.clone(), payroll.clone());
    let doc = |id: &str| -> Result<Target, Box<dyn Error>> {
        Ok(Target::for_document(
            acme.clone(),
            payroll.clone(),
            coffer::policy::DocumentId::new(id)?,
        ))
    };

    let mut membership = Membership::new();
    membership.grant_tenant(&alice, Role::Owner);
    // acme runs in FIPS mode: ChaCha20-Poly1305 would be refused.
    let policy = Policy::from_json(
        r#"{ "version": 1, "enforcement": "enforce", "rules": [
              { "id": "acme-fips", "scope": { "tenant": "acme" }, "condition": { "fips": "enabled" } } ] }"#,
    )?;

    let audit_dir = std::env::temp_dir().join(format!("coffer-quickstart-{}", std::process::id()));
    fs::create_dir_all(&audit_dir)?;
    let audit_path = audit_dir.join("audit.jsonl");
    let sink = FileSink::create(&audit_path, AuditKey::generate(&ring::rand::SystemRandom::new())?)?;

    let door = FrontDoor::new(
        FrontDoorConfig::default(),
        Authorizer::new(membership, policy.compile()),
        SessionService::new(SessionConfig::default())?,
        sink,
    )?;

    println!("1. alice creates project `payroll` with a password (PBKDF2-HMAC-SHA256, 600 000 iterations)");
    let password = Password::new("correct horse battery staple");
    door.create_project(&alice, &payroll, &password)?;
    door.add_member(&alice, &project, &bob, Role::Viewer)?;
    println!("   bob joins as a viewer");

    println!("2. alice encrypts two documents");
    let march = door.encrypt(
        &alice,
        &doc("march")?,
        b"March payroll: 42 people, 1.3M",
        &Context::new(),
        &password,
    )?;
    let april = door.encrypt(
        &alice,
        &doc("april")?,
        b"April payroll: 43 people, 1.4M",
        &Context::new(),
        &password,
    )?;
    println!(
        "   `march`: {} bytes sealed, `april`: {} bytes sealed",
        march.len(),
        april.len()
    );

    println!("3. bob downloads `march` through a one-time RSA-OAEP-256 session");
    let offer = door.issue_download(&bob, &doc("march")?, &march[..])?;
    println!(
        "   the server offers key `{}` ({}), bound to `{}`",
        offer.key_id,
        offer.suite.id(),
        offer.binding
    );
    let posted = browser_encrypts(&offer, "correct horse battery staple")?;
    let mut plaintext = Vec::new();
    let receipt = door.redeem_download(&bob, &doc("march")?, &posted, &march[..], &mut plaintext)?;
    println!(
        "   bob reads: {:?} ({} bytes, key version {})",
        String::from_utf8_lossy(&plaintext),
        receipt.plaintext_len,
        receipt.key_version
    );
    match door.redeem_download(&bob, &doc("march")?, &posted, &march[..], &mut Vec::new()) {
        Err(e @ FrontDoorError::SessionRejected(_)) => {
            println!("   replaying the same session: refused ({e})")
        }
        other => return Err(format!("a replayed session must be refused, got {other:?}").into()),
    }

    println!("4. bob tries to encrypt a document");
    match door.encrypt(&bob, &doc("may")?, b"forged", &Context::new(), &password) {
        Err(e @ FrontDoorError::Denied { .. }) => println!("   refused: {e}"),
        other => return Err(format!("a viewer must not encrypt, got {other:?}").into()),
    }

    println!("5. alice changes the project password; documents are not re-encrypted");
    let new_password = Password::new("tr0ub4dor&3 is not better");
    door.change_password(&alice, &project, &password, &new_password)?;
    let mut april_plain = Vec::new();
    door.decrypt(
        &alice,
        &doc("april")?,
        &april[..],
        &mut april_plain,
        &new_password,
    )?;
    println!(
        "   the same `april` bytes open with the new password: {:?}",
        String::from_utf8_lossy(&april_plain)
    );
    let old = door.decrypt(&alice, &doc("april")?, &april[..], &mut Vec::new(), &password);
    println!(
        "   the old password: {}",
        old.map_or_else(|e| format!("refused ({e})"), |_| "accepted?!".into())
    );

    println!("6. the audit trail");
    let trail = door.audit_trail(&alice, &project)?;
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
            e.principal.id.as_str(),
            e.operation.to_string()
        );
    }
    let report = door.verify_audit(&alice, &project)?;
    println!(
        "   verified: the chain is intact; {} records about the project",
        report.records
    );

    let text = fs::read_to_string(&audit_path)?;
    let tampered = text.replacen("\"denied\"", "\"succeeded\"", 1);
    fs::write(&audit_path, tampered)?;
    match door.verify_audit(&alice, &project) {
        Err(e) => println!("   after someone rewrites bob's refused encrypt as a success: {e}"),
        Ok(_) => return Err("tampering must be detected".into()),
    }
    match door.verify_chain(None) {
        Err(e) => println!("   the operator's view: {e}"),
        Ok(_) => return Err("tampering must be detected".into()),
    }
    fs::remove_dir_all(&audit_dir)?;
    door.sessions().shutdown();
    Ok(())
}

//! Every statement the shared transaction runs, written once for SQLite
//! and PostgreSQL. Parameters are `$n`, named in order of first appearance
//! (SQLite numbers them so); where the two engines differ, the statement
//! takes the form both accept (`ON CONFLICT … DO UPDATE` rather than
//! `INSERT OR REPLACE`, `CAST($n AS TEXT)` rather than `$n::TEXT`).

/// The state version (and, on PostgreSQL, the row every transaction locks).
pub(crate) const VERSION: &str = "SELECT version FROM state WHERE id = 1";
pub(crate) const BUMP_VERSION: &str = "UPDATE state SET version = version + 1 WHERE id = 1";

pub(crate) const HEAD: &str = "SELECT chain_id, head_count, head_hash, head_mac FROM state WHERE id = 1";
pub(crate) const SET_HEAD: &str =
    "UPDATE state SET head_count = $1, head_hash = $2, head_mac = $3 WHERE id = 1";
/// The state row of a new store: version 0 and the empty chain's head.
pub(crate) const INSERT_STATE: &str =
    "INSERT INTO state (id, version, chain_id, head_count, head_hash, head_mac)
     VALUES (1, 0, $1, 0, $2, $3)";
pub(crate) const CHECKPOINT: &str =
    "SELECT chain_id, checkpoint_count, checkpoint_hash, checkpoint_mac FROM state WHERE id = 1";
pub(crate) const SET_CHECKPOINT: &str =
    "UPDATE state SET checkpoint_count = $1, checkpoint_hash = $2, checkpoint_mac = $3 WHERE id = 1";
pub(crate) const APPEND_RECORD: &str = "INSERT INTO audit_records (seq, record) VALUES ($1, $2)";
pub(crate) const RECORDS_FROM: &str = "SELECT record FROM audit_records WHERE seq >= $1 ORDER BY seq";

pub(crate) const TENANT_ROLES: &str = "SELECT tenant, principal, role FROM tenant_roles";
pub(crate) const SET_TENANT_ROLE: &str =
    "INSERT INTO tenant_roles (tenant, principal, role) VALUES ($1, $2, $3)
     ON CONFLICT (tenant, principal) DO UPDATE SET role = excluded.role";
pub(crate) const DELETE_TENANT_ROLE: &str = "DELETE FROM tenant_roles WHERE tenant = $1 AND principal = $2";

pub(crate) const PROJECTS: &str = "SELECT tenant, project, generation FROM projects";
pub(crate) const GENERATION: &str = "SELECT generation FROM projects WHERE tenant = $1 AND project = $2";
pub(crate) const INSERT_PROJECT: &str =
    "INSERT INTO projects (tenant, project, generation) VALUES ($1, $2, 0)";
pub(crate) const BUMP_GENERATION: &str =
    "UPDATE projects SET generation = generation + 1 WHERE tenant = $1 AND project = $2";

pub(crate) const PROJECT_KEYS: &str =
    "SELECT tenant, project, version, sealed FROM project_keys ORDER BY tenant, project, version";
pub(crate) const INSERT_KEY: &str =
    "INSERT INTO project_keys (tenant, project, version, sealed) VALUES ($1, $2, $3, $4)";
pub(crate) const APPEND_KEY: &str = "INSERT INTO project_keys (tenant, project, version, sealed)
     SELECT $1, $2, count(*) + 1, $3 FROM project_keys WHERE tenant = $1 AND project = $2";
pub(crate) const DELETE_KEYS: &str = "DELETE FROM project_keys WHERE tenant = $1 AND project = $2";

pub(crate) const MEMBERS: &str = "SELECT tenant, project, principal, role FROM project_members";
pub(crate) const IS_MEMBER: &str =
    "SELECT 1 FROM project_members WHERE tenant = $1 AND project = $2 AND principal = $3";
pub(crate) const SET_MEMBER: &str =
    "INSERT INTO project_members (tenant, project, principal, role) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant, project, principal) DO UPDATE SET role = excluded.role";
pub(crate) const DELETE_MEMBER: &str =
    "DELETE FROM project_members WHERE tenant = $1 AND project = $2 AND principal = $3";

/// The columns of a document row, in [`DocumentRow`]'s order.
///
/// [`DocumentRow`]: super::decode::DocumentRow
macro_rules! document_columns {
    () => {
        "SELECT tenant, project, document, plaintext_size, envelope_size, suite,
         key_version, created_by, created_at, envelope FROM documents"
    };
}
/// The documents of a project, in no order (the engines order text
/// differently; the caller sorts them bytewise).
pub(crate) const DOCUMENTS: &str = concat!(document_columns!(), " WHERE tenant = $1 AND project = $2");
pub(crate) const DOCUMENT: &str = concat!(
    document_columns!(),
    " WHERE tenant = $1 AND project = $2 AND document = $3"
);
pub(crate) const PUT_DOCUMENT: &str =
    "INSERT INTO documents (tenant, project, document, plaintext_size, envelope_size,
         suite, key_version, created_by, created_at, envelope)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (tenant, project, document) DO UPDATE SET
         plaintext_size = excluded.plaintext_size, envelope_size = excluded.envelope_size,
         suite = excluded.suite, key_version = excluded.key_version,
         created_by = excluded.created_by, created_at = excluded.created_at,
         envelope = excluded.envelope";
pub(crate) const DOCUMENT_ENVELOPE: &str =
    "SELECT envelope FROM documents WHERE tenant = $1 AND project = $2 AND document = $3";
/// Whether a document names an envelope.
pub(crate) const LINKED: &str = "SELECT 1 FROM documents WHERE envelope = $1";

pub(crate) const LATEST_POLICY: &str = "SELECT version, document, digest, installed_by, installed_at
     FROM policies ORDER BY version DESC LIMIT 1";
pub(crate) const POLICIES: &str =
    "SELECT version, document, digest, installed_by, installed_at FROM policies ORDER BY version";
pub(crate) const INSERT_POLICY: &str =
    "INSERT INTO policies (version, document, digest, installed_by, installed_at)
     VALUES ((SELECT coalesce(max(version), 0) + 1 FROM policies), $1, $2, $3, $4)";

/// The columns of a public key row, in [`KeyColumns`]' order.
///
/// [`KeyColumns`]: super::public_keys::KeyColumns
pub(crate) const PUBLIC_KEYS: &str =
    "SELECT tenant, principal, algorithm, fingerprint, public_key, registered_at FROM public_keys";
pub(crate) const KEY_FINGERPRINT: &str =
    "SELECT fingerprint FROM public_keys WHERE tenant = $1 AND principal = $2";
pub(crate) const SET_PUBLIC_KEY: &str =
    "INSERT INTO public_keys (tenant, principal, algorithm, fingerprint, public_key, registered_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant, principal) DO UPDATE SET algorithm = excluded.algorithm,
     fingerprint = excluded.fingerprint, public_key = excluded.public_key,
     registered_at = excluded.registered_at";
pub(crate) const DELETE_PUBLIC_KEY: &str = "DELETE FROM public_keys WHERE tenant = $1 AND principal = $2";

/// The columns of a grant row, in [`GrantColumns`]' order.
///
/// [`GrantColumns`]: super::public_keys::GrantColumns
pub(crate) const GRANTS: &str =
    "SELECT tenant, project, principal, version, fingerprint, sealed FROM key_grants";
/// A principal's grants in one project, or everywhere when `$3` is NULL.
pub(crate) const DELETE_GRANTS: &str = "DELETE FROM key_grants
     WHERE tenant = $1 AND principal = $2 AND (CAST($3 AS TEXT) IS NULL OR project = $3)";
pub(crate) const PUT_GRANT: &str =
    "INSERT INTO key_grants (tenant, project, principal, version, fingerprint, sealed)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant, project, principal, version) DO UPDATE SET
     fingerprint = excluded.fingerprint, sealed = excluded.sealed";

/// Every statement above with parameters, for the test of their order.
#[cfg(test)]
const WITH_PARAMETERS: &[&str] = &[
    SET_HEAD,
    INSERT_STATE,
    SET_CHECKPOINT,
    APPEND_RECORD,
    RECORDS_FROM,
    SET_TENANT_ROLE,
    DELETE_TENANT_ROLE,
    GENERATION,
    INSERT_PROJECT,
    BUMP_GENERATION,
    INSERT_KEY,
    APPEND_KEY,
    DELETE_KEYS,
    IS_MEMBER,
    SET_MEMBER,
    DELETE_MEMBER,
    DOCUMENTS,
    DOCUMENT,
    PUT_DOCUMENT,
    DOCUMENT_ENVELOPE,
    LINKED,
    INSERT_POLICY,
    KEY_FINGERPRINT,
    SET_PUBLIC_KEY,
    DELETE_PUBLIC_KEY,
    DELETE_GRANTS,
    PUT_GRANT,
];

/// Panics unless the statement's `$n` parameters first appear in the
/// order 1, 2, 3, …: SQLite binds them by first appearance, PostgreSQL by
/// number, and the two agree only then.
#[cfg(test)]
pub(crate) fn assert_in_order(sql: &str) {
    let order = tests::first_appearances(sql);
    let expected: Vec<u32> = (1..).take(order.len()).collect();
    assert!(!order.is_empty(), "no parameters in {sql}");
    assert_eq!(order, expected, "{sql}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers of a statement's `$n` parameters in order of first
    /// appearance.
    pub(super) fn first_appearances(sql: &str) -> Vec<u32> {
        let mut seen = Vec::new();
        let mut rest = sql;
        while let Some(at) = rest.find('$') {
            rest = &rest[at + 1..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if let Ok(n) = rest[..digits].parse::<u32>() {
                if !seen.contains(&n) {
                    seen.push(n);
                }
            }
        }
        seen
    }

    #[test]
    fn parameters_first_appear_in_order() {
        for sql in WITH_PARAMETERS {
            assert_in_order(sql);
        }
    }

    #[test]
    fn the_order_check_sees_a_statement_out_of_order() {
        assert_eq!(first_appearances("SELECT $2, $1, $2"), [2, 1]);
        assert_eq!(first_appearances("UPDATE t SET a = $1 WHERE b = $10"), [1, 10]);
    }
}

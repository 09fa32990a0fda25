//! The vendor import on SQLite and PostgreSQL: the documented format (the committed JSON
//! Schema, the IMPORT.md example), invalid documents writing nothing and reporting every
//! problem, idempotent re-import, the engagement changes queued in the outbox (with
//! `deleteFlag` when the last record of an engagement goes), and `POST /admin/import`
//! over mTLS (401/400/200, 404 when not configured).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use npo_pki::{InitOptions, Party};
use npo_producer::config::{AdminConfig, DatabaseConfig, ProducerConfig, ServerConfig, TlsConfig};
use npo_producer::db::DbConn;
use npo_producer::import::{
    self, ImportDocument, ImportError, ImportOptions, ImportRecord, ProblemList, RecordKind,
};
use npo_producer::outbox::{self, OutboxRow};
use npo_producer::records::diagnosis::DiagnosisRecord;
use serde_json::{Value, json};
use support::*;

const OWNER: &str = "SE2120009994-EH7S";
const OTHER_CARE_GIVER: &str = "SE2321009991-0009";
const OTHER_PUPIL: &str = "201508079819";
const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef-xyz";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn import_md() -> String {
    std::fs::read_to_string(manifest_dir().join("IMPORT.md")).unwrap()
}

/// The complete example document of IMPORT.md.
fn example_json() -> Value {
    let md = import_md();
    let after = &md[md.find("### A complete example").expect("example section")..];
    let start = after.find("```json\n").expect("json block") + "```json\n".len();
    let end = start + after[start..].find("\n```").expect("end of block");
    serde_json::from_str(&after[start..end]).expect("the example is JSON")
}

fn document(value: &Value) -> ImportDocument {
    import::read(value.to_string().as_bytes(), &ImportOptions::default())
        .unwrap_or_else(|problems| panic!("{problems:#?}"))
}

fn example() -> ImportDocument {
    document(&example_json())
}

/// A diagnosis record from the example, with another id and author time.
fn diagnosis(id: &str, author_time: &str) -> DiagnosisRecord {
    let mut value = example_json()["records"][0].clone();
    value.as_object_mut().unwrap().remove("type");
    value["documentId"] = json!(id);
    value["authorTime"] = json!(author_time);
    value["signatureTime"] = json!(author_time);
    serde_json::from_value(value).unwrap()
}

fn records(list: Vec<DiagnosisRecord>) -> ImportDocument {
    ImportDocument {
        records: list.into_iter().map(ImportRecord::Diagnosis).collect(),
        deletions: vec![],
    }
}

fn deletion(id: &str) -> ImportDocument {
    document(
        &json!({ "deletions": [{ "type": "diagnosis", "sourceSystemHsaId": SOURCE_SYSTEM, "documentId": id }] }),
    )
}

fn outbox_rows(conn: &mut DbConn) -> Vec<OutboxRow> {
    outbox::all_rows(conn).unwrap()
}

/// Applies `doc` and returns the outbox rows it added.
fn apply_rows(conn: &mut DbConn, doc: &ImportDocument) -> Vec<OutboxRow> {
    let before = outbox_rows(conn).len();
    import::apply(conn, doc).unwrap();
    outbox_rows(conn).split_off(before)
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = manifest_dir().join("../schemas/producer-import.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == import::json_schema(),
        "{} is out of date; regenerate it with\n    npo producer import-schema > schemas/producer-import.schema.json\n(or: cargo run -- producer import-schema > schemas/producer-import.schema.json)",
        path.display()
    );
}

#[test]
fn import_md_has_a_valid_example_and_documents_every_field() {
    let doc = example();
    let kinds: BTreeSet<RecordKind> = doc.records.iter().map(ImportRecord::kind).collect();
    assert_eq!(
        kinds,
        RecordKind::ALL.into_iter().collect(),
        "one record of each type"
    );
    assert_eq!(doc.deletions.len(), 1);
    let md = import_md();
    let schema: Value = serde_json::from_str(&import::json_schema()).unwrap();
    for variant in schema["$defs"]["ImportRecord"]["oneOf"].as_array().unwrap() {
        for field in variant["properties"].as_object().unwrap().keys() {
            assert!(
                md.contains(&format!("| `{field}` |")),
                "IMPORT.md has no row for `{field}`; update its field tables from the schema"
            );
        }
    }
}

async fn invalid_documents_write_nothing(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let mut conn = db.connect();
    import::apply(&mut conn, &example()).unwrap();
    let counts = import::count_records(&mut conn).unwrap();
    let rows = outbox_rows(&mut conn);

    let mut bad = example_json();
    bad["records"][0]["patientId"] = json!("201403129801"); // wrong check digit
    bad["records"][0]["authorTime"] = json!("2025-01-10"); // and a second problem in it
    bad["records"][1]["careContactKod"] = json!("1"); // unknown field
    bad["records"][2]
        .as_object_mut()
        .unwrap()
        .remove("prescriptionStatus"); // missing
    bad["records"][3]["doseOrdinalNumber"] = json!("two"); // wrong JSON type
    bad["records"][4]["sourceSystemHsaId"] = json!(OTHER_SOURCE_SYSTEM); // not served
    let duplicate = bad["records"][5].clone();
    bad["records"].as_array_mut().unwrap().push(duplicate); // record 7 = record 6
    bad["records"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "type": "letter" })); // record 8
    bad["deletions"] = json!([
        { "type": "observation", "sourceSystemHsaId": SOURCE_SYSTEM, "documentId": "obs-2025-0001" },
        { "type": "diagnosis", "sourceSystemHsaId": "not an hsa id", "documentId": "" },
        { "type": "diagnosis", "sourceSystemHsaId": SOURCE_SYSTEM, "documentId": "x", "reason": "gone" },
    ]);
    bad["records"][0]["patientId"] = json!("201403129801");
    let options = ImportOptions {
        owner: None,
        source_systems: Some(vec![SOURCE_SYSTEM.into()]),
    };
    let problems = import::read(bad.to_string().as_bytes(), &options).expect_err("invalid");
    let found: BTreeSet<(ProblemList, usize, &str)> = problems
        .iter()
        .map(|p| (p.list, p.number, p.field.as_str()))
        .collect();
    let expected: BTreeSet<(ProblemList, usize, &str)> = [
        (ProblemList::Records, 1, "patientId"),
        (ProblemList::Records, 1, "authorTime"),
        (ProblemList::Records, 2, "careContactKod"),
        (ProblemList::Records, 3, "prescriptionStatus"),
        (ProblemList::Records, 4, "doseOrdinalNumber"),
        (ProblemList::Records, 5, "sourceSystemHsaId"),
        (ProblemList::Records, 7, "documentId"),
        (ProblemList::Records, 8, "type"),
        (ProblemList::Deletions, 1, "documentId"),
        (ProblemList::Deletions, 2, "sourceSystemHsaId"),
        (ProblemList::Deletions, 2, "documentId"),
        (ProblemList::Deletions, 3, "reason"),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, expected, "{problems:#?}");
    for p in &problems {
        assert!(
            !p.to_string().contains("201403129801"),
            "no personal data in {p}"
        );
    }
    assert!(
        problems[0]
            .to_string()
            .starts_with("record 1 (diagnosis dia-2025-0001): ")
    );

    // The library refuses documents with problems: nothing is written, even when
    // another document in the same call is good.
    let mut semantic = example();
    if let ImportRecord::Diagnosis(d) = &mut semantic.records[0] {
        d.type_of_diagnosis = "Tredjediagnos".into();
    }
    let mut good = records(vec![diagnosis("new-1", "20250301080000")]);
    good.deletions = deletion("dia-2025-0001").deletions;
    match import::apply_all(
        &mut conn,
        &[good, semantic],
        &ImportOptions::default(),
        &mut || {},
    ) {
        Err(ImportError::Invalid(problems)) => {
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].field, "typeOfDiagnosis");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(import::count_records(&mut conn).unwrap(), counts);
    assert_eq!(outbox_rows(&mut conn), rows);
}

async fn reimport_is_idempotent(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let mut conn = db.connect();
    let options = ImportOptions {
        owner: Some(OWNER.into()),
        source_systems: Some(vec![SOURCE_SYSTEM.into()]),
    };
    let first = import::apply_all(&mut conn, &[example()], &options, &mut || {}).unwrap();
    assert_eq!(
        (
            first.records,
            first.inserted,
            first.updated,
            first.unchanged,
            first.deletions,
            first.not_found
        ),
        (6, 6, 0, 0, 1, 1)
    );
    assert_eq!(first.engagement_updates, 6);
    let counts = import::count_records(&mut conn).unwrap();
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    let rows = outbox_rows(&mut conn);
    let categories: BTreeSet<&str> = rows.iter().map(|r| r.categorization.as_str()).collect();
    assert_eq!(
        categories,
        ["caa-gmh", "caa-gvh", "chb-o", "dia", "vko", "voo"]
            .into_iter()
            .collect()
    );
    for row in &rows {
        assert_eq!(row.registered_resident_identification, "201403129800");
        assert_eq!(
            (row.logical_address.as_str(), row.source_system.as_str()),
            (SOURCE_SYSTEM, SOURCE_SYSTEM)
        );
        assert_eq!(row.data_controller, VISIBLE_CARE_GIVER);
        assert_eq!(row.owner.as_deref(), Some(OWNER));
        assert_eq!(
            (
                row.business_object_instance_identifier.as_str(),
                row.clinical_process_interest_id.as_str()
            ),
            ("NA", "NA")
        );
        assert!(!row.delete_flag);
        assert_eq!((row.attempts, row.delivered_at), (0, None));
    }
    let dia = rows.iter().find(|r| r.categorization == "dia").unwrap();
    assert_eq!(
        dia.service_domain,
        "riv:clinicalprocess:healthcond:description"
    );
    assert_eq!(dia.most_recent_content.as_deref(), Some("20250110080000"));

    // The same document again, twice: nothing changes, nothing is queued.
    for _ in 0..2 {
        let again = import::apply_all(&mut conn, &[example()], &options, &mut || {}).unwrap();
        assert_eq!(
            (
                again.inserted,
                again.updated,
                again.unchanged,
                again.deleted
            ),
            (0, 0, 6, 0)
        );
        assert_eq!(again.engagement_updates, 0);
        assert_eq!(import::count_records(&mut conn).unwrap(), counts);
        assert_eq!(outbox_rows(&mut conn), rows);
    }
}

async fn engagement_changes(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let mut conn = db.connect();
    let d1 = diagnosis("d1", "20250110080000");
    let d2 = diagnosis("d2", "20250220080000");
    let mut d3 = diagnosis("d3", "20250301080000");
    d3.care_giver_hsa_id = OTHER_CARE_GIVER.into();

    // Two records of one engagement: one update with the newest author time.
    let rows = apply_rows(&mut conn, &records(vec![d1.clone(), d2.clone()]));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].delete_flag, rows[0].most_recent_content.as_deref()),
        (false, Some("20250220080000"))
    );
    assert_eq!(rows[0].owner, None);
    // Another care giver: its own engagement.
    let rows = apply_rows(&mut conn, &records(vec![d3.clone()]));
    assert_eq!(
        (rows.len(), rows[0].data_controller.as_str()),
        (1, OTHER_CARE_GIVER)
    );
    // A changed record: an update; the same record again: nothing.
    let mut d1_changed = d1.clone();
    d1_changed.diagnosis_code = Some("J45.0".into());
    let rows = apply_rows(&mut conn, &records(vec![d1_changed.clone()]));
    assert_eq!((rows.len(), rows[0].delete_flag), (1, false));
    assert!(apply_rows(&mut conn, &records(vec![d1_changed.clone()])).is_empty());
    // Deleting one of two: an update with the remaining newest time.
    let rows = apply_rows(&mut conn, &deletion("d2"));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].delete_flag, rows[0].most_recent_content.as_deref()),
        (false, Some("20250110080000"))
    );
    // Nullifying the last one removes the engagement.
    let mut d1_nullified = d1_changed.clone();
    d1_nullified.nullified = true;
    d1_nullified.nullified_reason = Some("Fel patient".into());
    let rows = apply_rows(&mut conn, &records(vec![d1_nullified]));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].delete_flag, rows[0].data_controller.as_str()),
        (true, VISIBLE_CARE_GIVER)
    );
    assert_eq!(rows[0].registered_resident_identification, "201403129800");
    // Deleting the nullified record changes no engagement; deleting what is not there neither.
    assert!(apply_rows(&mut conn, &deletion("d1")).is_empty());
    assert!(apply_rows(&mut conn, &deletion("d1")).is_empty());
    // Deleting the last record of the other engagement: deleteFlag.
    let rows = apply_rows(&mut conn, &deletion("d3"));
    assert_eq!(
        (
            rows.len(),
            rows[0].delete_flag,
            rows[0].data_controller.as_str()
        ),
        (1, true, OTHER_CARE_GIVER)
    );
    assert_eq!(
        import::count_records(&mut conn).unwrap()[&RecordKind::Diagnosis],
        0
    );

    // A record moved to another patient: the old engagement goes, the new one comes.
    apply_rows(&mut conn, &records(vec![d3.clone()]));
    let mut moved = d3.clone();
    moved.patient_id = OTHER_PUPIL.into();
    let rows = apply_rows(&mut conn, &records(vec![moved]));
    let changes: BTreeSet<(&str, bool)> = rows
        .iter()
        .map(|r| (r.registered_resident_identification.as_str(), r.delete_flag))
        .collect();
    assert_eq!(
        changes,
        [("201403129800", true), (OTHER_PUPIL, false)]
            .into_iter()
            .collect()
    );

    // Stored and deleted in one call (two documents, one transaction): no engagement change.
    let before = outbox_rows(&mut conn).len();
    let summary = import::apply_all(
        &mut conn,
        &[
            records(vec![diagnosis("d4", "20250401080000")]),
            deletion("d4"),
        ],
        &ImportOptions::default(),
        &mut || {},
    )
    .unwrap();
    assert_eq!(
        (
            summary.inserted,
            summary.deleted,
            summary.engagement_updates
        ),
        (1, 1, 0)
    );
    assert_eq!(outbox_rows(&mut conn).len(), before);
}

/// A producer on `db` with an `[admin]` section; returns its port and server handle.
fn start_with_admin(db: &TestDb, pki: &Path, admin: bool) -> (u16, actix_web::dev::ServerHandle) {
    let config = ProducerConfig {
        server: ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_body_bytes: 64 * 1024,
            workers: 1,
        },
        tls: TlsConfig {
            cert: pki.join(Party::ProducerSchool.cert_file()),
            key: pki.join(Party::ProducerSchool.key_file()),
            ca: pki.join(npo_pki::CA_CERT_FILE),
        },
        allowed_callers: vec![Party::Platform.hsa_id().to_owned()],
        source_systems: vec![SOURCE_SYSTEM.to_owned()],
        database: DatabaseConfig {
            url: db.url.clone(),
            pool_size: 2,
            migrate_on_start: true,
        },
        consumer_scopes: vec![],
        engagement_index: None,
        admin: admin.then(|| {
            toml::from_str::<AdminConfig>(&format!(
                "token = \"{ADMIN_TOKEN}\"\nmax_body_bytes = 200000"
            ))
            .unwrap()
        }),
    };
    config.validate().unwrap();
    let app = npo_producer::startup::Application::build(config).unwrap();
    let port = app.port();
    let server = app.into_server();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (port, handle)
}

fn client(pki: &Path, party: Party) -> awc::Client {
    let connector = npo_pki::mtls_connector(
        pki.join(party.cert_file()),
        pki.join(party.key_file()),
        pki.join(npo_pki::CA_CERT_FILE),
    )
    .unwrap();
    awc::Client::builder()
        .connector(awc::Connector::new().openssl(connector))
        .timeout(std::time::Duration::from_secs(20))
        .finish()
}

async fn post_import(
    pki: &Path,
    port: u16,
    authorization: Option<&str>,
    body: String,
) -> (u16, Option<String>, Value) {
    let mut request = client(pki, Party::Tester)
        .post(format!("https://localhost:{port}/admin/import"))
        .insert_header(("content-type", "application/json"));
    if let Some(value) = authorization {
        request = request.insert_header(("authorization", value));
    }
    let mut response = request.send_body(body).await.expect("request");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.body().limit(1 << 20).await.expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (response.status().as_u16(), challenge, json)
}

async fn admin_import(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki_dir = tempfile::tempdir().unwrap();
    npo_pki::init(pki_dir.path(), &InitOptions::default()).unwrap();
    let pki = pki_dir.path();
    let (port, server) = start_with_admin(&db, pki, true);
    let body = example_json().to_string();
    let bearer = format!("Bearer {ADMIN_TOKEN}");

    // 401 without the right token (any certificate of the CA gets this far).
    for authorization in [
        None,
        Some("Bearer wrong-token"),
        Some(format!("Basic {ADMIN_TOKEN}").as_str()),
        Some(ADMIN_TOKEN),
    ] {
        let (status, challenge, _) = post_import(pki, port, authorization, body.clone()).await;
        assert_eq!(status, 401, "{authorization:?}");
        assert!(challenge.unwrap_or_default().starts_with("Bearer"));
    }
    let mut conn = db.connect();
    assert!(
        import::count_records(&mut conn)
            .unwrap()
            .values()
            .all(|n| *n == 0)
    );

    // 400 with every problem; nothing written.
    let mut bad = example_json();
    bad["records"][0]["patientId"] = json!("201403129801");
    bad["records"][1]["careContactKod"] = json!("1");
    bad["records"][4]["sourceSystemHsaId"] = json!(OTHER_SOURCE_SYSTEM);
    let (status, _, problems) = post_import(pki, port, Some(&bearer), bad.to_string()).await;
    assert_eq!(status, 400, "{problems}");
    let problems = problems.as_array().expect("a JSON list");
    let fields: Vec<(&str, u64, &str)> = problems
        .iter()
        .map(|p| {
            (
                p["list"].as_str().unwrap(),
                p["number"].as_u64().unwrap(),
                p["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("records", 1, "patientId"),
            ("records", 2, "careContactKod"),
            ("records", 5, "sourceSystemHsaId")
        ]
    );
    assert_eq!(problems[0]["type"], "diagnosis");
    assert_eq!(problems[0]["documentId"], "dia-2025-0001");
    assert!(
        !problems[0]["reason"]
            .as_str()
            .unwrap()
            .contains("201403129801")
    );
    let (status, _, problems) =
        post_import(pki, port, Some(&bearer), "{\"records\": [".into()).await;
    assert_eq!(
        (status, problems[0]["list"].as_str()),
        (400, Some("document"))
    );
    let (status, _, _) = post_import(
        pki,
        port,
        Some(&bearer),
        format!("{{\"records\": [], \"x\": \"{}\"}}", "a".repeat(300_000)),
    )
    .await;
    assert_eq!(status, 413);
    assert!(
        import::count_records(&mut conn)
            .unwrap()
            .values()
            .all(|n| *n == 0)
    );
    assert!(outbox_rows(&mut conn).is_empty());

    // 200 with the summary; again: nothing changes.
    let (status, _, summary) = post_import(pki, port, Some(&bearer), body.clone()).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (
            summary["inserted"].as_u64(),
            summary["engagementUpdates"].as_u64(),
            summary["notFound"].as_u64()
        ),
        (Some(6), Some(6), Some(1))
    );
    let (status, _, summary) = post_import(pki, port, Some(&bearer), body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            summary["unchanged"].as_u64(),
            summary["engagementUpdates"].as_u64()
        ),
        (Some(6), Some(0))
    );
    assert_eq!(outbox_rows(&mut conn).len(), 6);
    assert!(
        import::count_records(&mut conn)
            .unwrap()
            .values()
            .all(|n| *n == 1)
    );

    // The SOAP routes still check the caller: the tester may not call them.
    let response = client(pki, Party::Tester)
        .post(format!("https://localhost:{port}/GetDiagnosis/2/rivtabp21"))
        .send_body("<x/>")
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    server.stop(false).await;
}

async fn admin_disabled_without_section(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki_dir = tempfile::tempdir().unwrap();
    npo_pki::init(pki_dir.path(), &InitOptions::default()).unwrap();
    let (port, server) = start_with_admin(&db, pki_dir.path(), false);
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let (status, _, _) = post_import(
        pki_dir.path(),
        port,
        Some(&bearer),
        example_json().to_string(),
    )
    .await;
    assert_eq!(status, 404);
    server.stop(false).await;
}

macro_rules! on_both_backends {
    ($($case:ident),*) => {
        mod sqlite {
            $( #[actix_rt::test] async fn $case() { super::$case(super::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[actix_rt::test] async fn $case() { super::$case(super::Backend::Postgres).await } )*
        }
    };
}

on_both_backends!(
    invalid_documents_write_nothing,
    reimport_is_idempotent,
    engagement_changes,
    admin_import,
    admin_disabled_without_section,
    admin_import_of_invalid_utf8_writes_nothing,
    admin_import_of_deeply_nested_json_writes_nothing,
    admin_import_of_an_oversized_file_writes_nothing,
    hostile_text_is_imported_verbatim_and_served_escaped
);

// ---------------------------------------------------------------------------------
// Bad-input catalogue (SECURITY.md): hostile uploads to POST /admin/import.

/// Nothing is stored: no record of any kind, no outbox row.
fn nothing_stored(db: &TestDb) {
    let mut conn = db.connect();
    assert!(
        import::count_records(&mut conn)
            .unwrap()
            .values()
            .all(|n| *n == 0)
    );
    assert!(outbox_rows(&mut conn).is_empty());
}

/// Uploads raw bytes with the admin token; returns the status and the problems.
async fn upload(pki: &Path, port: u16, body: Vec<u8>) -> (u16, Value) {
    let mut response = client(pki, Party::Tester)
        .post(format!("https://localhost:{port}/admin/import"))
        .insert_header(("content-type", "application/json"))
        .insert_header(("authorization", format!("Bearer {ADMIN_TOKEN}")))
        .send_body(body)
        .await
        .expect("request");
    let bytes = response.body().limit(1 << 20).await.expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (response.status().as_u16(), json)
}

/// Starts an admin-enabled producer, uploads `body`, expects 400 with one document
/// problem (starting with `reason`) and nothing stored.
async fn refused_document(backend: Backend, body: Vec<u8>, reason: &str) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki_dir = tempfile::tempdir().unwrap();
    npo_pki::init(pki_dir.path(), &InitOptions::default()).unwrap();
    let (port, server) = start_with_admin(&db, pki_dir.path(), true);
    let (status, problems) = upload(pki_dir.path(), port, body).await;
    assert_eq!(status, 400, "{problems}");
    assert_eq!(problems[0]["list"], "document", "{problems}");
    assert!(
        problems[0]["reason"].as_str().unwrap().starts_with(reason),
        "{problems}"
    );
    assert!(!problems.to_string().contains("201403129800"), "{problems}");
    nothing_stored(&db);
    server.stop(false).await;
}

async fn admin_import_of_invalid_utf8_writes_nothing(backend: Backend) {
    let mut body = example_json().to_string().into_bytes();
    let at = body.windows(5).position(|w| w == b"\"dia-").unwrap() + 1;
    body[at] = 0xff;
    refused_document(backend, body, "not an import document").await;
}

async fn admin_import_of_deeply_nested_json_writes_nothing(backend: Backend) {
    let depth = 50_000;
    let body = format!(
        "{{\"records\": [{}{}]}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    refused_document(backend, body.into_bytes(), "not an import document").await;
}

async fn admin_import_of_an_oversized_file_writes_nothing(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki_dir = tempfile::tempdir().unwrap();
    npo_pki::init(pki_dir.path(), &InitOptions::default()).unwrap();
    let (port, server) = start_with_admin(&db, pki_dir.path(), true);
    // A valid document padded past the configured 200 000 bytes.
    let mut padded = example_json();
    padded["records"][0]["diagnosisDisplayName"] = json!("A".repeat(250_000));
    let (status, _) = upload(pki_dir.path(), port, padded.to_string().into_bytes()).await;
    assert_eq!(status, 413);
    nothing_stored(&db);
    server.stop(false).await;
}

async fn hostile_text_is_imported_verbatim_and_served_escaped(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki_dir = tempfile::tempdir().unwrap();
    npo_pki::init(pki_dir.path(), &InitOptions::default()).unwrap();
    let pki = pki_dir.path();
    let (port, server) = start_with_admin(&db, pki, true);
    let hostile = "Astma'); DROP TABLE diagnoses; -- <script>alert(1)</script>\"&<b>";
    let mut doc = example_json();
    doc["records"] = json!([doc["records"][0].clone()]);
    doc["deletions"] = json!([]);
    doc["records"][0]["diagnosisDisplayName"] = json!(hostile);
    doc["records"][0]["authorName"] = json!("<img src=x onerror=alert(1)>");
    let (status, summary) = upload(pki, port, doc.to_string().into_bytes()).await;
    assert_eq!(status, 200, "{summary}");
    let patient = doc["records"][0]["patientId"].as_str().unwrap().to_owned();

    // Served through GetDiagnosis: escaped XML that decodes to the exact text.
    let request = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{SOURCE_SYSTEM}</a:LogicalAddress></s:Header><s:Body><GetDiagnosis xmlns="urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2" xmlns:c="urn:riv:clinicalprocess:healthcond:description:2"><patientId><c:id>{patient}</c:id><c:type>1.2.752.129.2.1.3.1</c:type></patientId></GetDiagnosis></s:Body></s:Envelope>"#
    );
    let mut response = client(pki, Party::Platform)
        .post(format!("https://localhost:{port}/GetDiagnosis/2/rivtabp21"))
        .insert_header(("content-type", "text/xml; charset=utf-8"))
        .send_body(request)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
    assert!(
        !text.contains("<script>") && !text.contains("<img"),
        "{text}"
    );
    let decoded =
        npo_contracts::soap::decode_response::<npo_contracts::get_diagnosis::GetDiagnosis>(
            text.as_bytes(),
        )
        .unwrap();
    let diagnosis = &decoded.body.diagnosis[0];
    assert_eq!(
        diagnosis
            .diagnosis_body
            .diagnosis_code
            .as_ref()
            .and_then(|c| c.display_name.as_deref()),
        Some(hostile)
    );
    let mut conn = db.connect();
    assert_eq!(
        import::count_records(&mut conn).unwrap()[&RecordKind::Diagnosis],
        1,
        "the table is still there, with the one record"
    );
    server.stop(false).await;
}

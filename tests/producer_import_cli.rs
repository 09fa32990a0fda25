//! Runs the `npo` binary: `npo producer import` (every problem of every file reported,
//! nothing written; a good import applied once and idempotent afterwards) and
//! `npo producer import-schema`. The import cases run on SQLite and, when
//! `NPO_TEST_DATABASE_URL` is set, on PostgreSQL (a schema of their own, dropped after;
//! otherwise the PostgreSQL variants say SKIPPED), with the producer tests' harness.

// Test helpers outside #[test] functions are not covered by clippy.toml `allow-*-in-tests`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use diesel::RunQueryDsl;
use npo_producer::import::{self, RecordKind};
use serde_json::{Value, json};

#[path = "../producer/tests/support/mod.rs"]
mod support;

use support::{Backend, TestDb};

fn npo(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npo"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A producer configuration in `dir` with a test PKI and the database `db`.
fn setup(dir: &Path, db: &TestDb) -> PathBuf {
    npo_pki::init(&dir.join("pki"), &npo_pki::InitOptions::default()).unwrap();
    let config = dir.join("producer.toml");
    std::fs::write(
        &config,
        format!(
            r#"allowed_callers = ["SE5599000014-TP1K"]
source_systems = ["SE2120009994-EH7S"]

[server]
listen = "127.0.0.1:0"

[tls]
cert = "pki/producer-school.cert.pem"
key = "pki/producer-school.key.pem"
ca = "pki/ca.cert.pem"

[database]
url = "{url}"
migrate_on_start = true

[engagement_index]
platform_url = "https://localhost:1"
logical_address = "SE5599000014-EI4R"
owner = "SE2120009994-EH7S"
"#,
            url = db.url
        ),
    )
    .unwrap();
    config
}

/// The complete example of producer/IMPORT.md.
fn example() -> Value {
    let md =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("producer/IMPORT.md"))
            .unwrap();
    let after = &md[md.find("### A complete example").unwrap()..];
    let start = after.find("```json\n").unwrap() + "```json\n".len();
    let end = start + after[start..].find("\n```").unwrap();
    serde_json::from_str(&after[start..end]).unwrap()
}

fn counts(db: &TestDb) -> (Vec<i64>, usize) {
    let mut conn = db.connect();
    let records = import::count_records(&mut conn)
        .unwrap()
        .into_values()
        .collect();
    (
        records,
        npo_producer::outbox::all_rows(&mut conn).unwrap().len(),
    )
}

/// Whether the import left the database untouched: no SQLite file created, no table
/// (not even the migrations') in the PostgreSQL schema.
fn untouched(db: &TestDb, backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => !Path::new(&db.url).exists(),
        Backend::Postgres => {
            let mut conn = npo_producer::db::DbManager::new(&db.url).open().unwrap();
            let tables: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema())",
            ))
            .get_result(&mut conn)
            .unwrap();
            tables == 0
        }
    }
}

fn invalid_files_are_reported_completely_and_nothing_is_written(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir, &db);
    std::fs::write(dir.join("good.json"), example().to_string()).unwrap();
    let mut bad = example();
    bad["records"][0]["patientId"] = json!("201403129801");
    bad["records"][2]
        .as_object_mut()
        .unwrap()
        .remove("prescriptionStatus");
    bad["records"][3]["vaccineNamn"] = json!("Priorix");
    bad["deletions"][0]["documentId"] = json!("obs-2025-0001");
    bad["deletions"][0]["type"] = json!("observation");
    std::fs::write(dir.join("bad.json"), bad.to_string()).unwrap();
    std::fs::write(dir.join("broken.json"), "{\"records\": [").unwrap();

    let out = npo(
        &[
            "producer",
            "import",
            "--config",
            "producer.toml",
            "good.json",
            "bad.json",
            "broken.json",
        ],
        dir,
    );
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    for line in [
        "bad.json: record 1 (diagnosis dia-2025-0001): patientId: ",
        "bad.json: record 3 (medication lm-2025-0001): prescriptionStatus: required field is missing",
        "bad.json: record 4 (vaccination vac-2024-0001): vaccineNamn: unknown field",
        "bad.json: deletion 1 (observation obs-2025-0001): documentId: record 6 stores the same record",
        "broken.json: document: not an import document: ",
        "error: 5 problem(s) in 2 file(s); nothing was imported",
    ] {
        assert!(stderr.contains(line), "missing `{line}` in:\n{stderr}");
    }
    assert!(
        !stderr.contains("201403129801"),
        "no personal data in problems:\n{stderr}"
    );
    assert!(!stderr.contains("good.json"), "{stderr}");
    assert!(
        untouched(&db, backend),
        "nothing written, not even the database"
    );
}

fn import_applies_once_and_is_idempotent(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup(dir, &db);
    std::fs::write(dir.join("day1.json"), example().to_string()).unwrap();
    let day2 = json!({ "deletions": [{ "type": "diagnosis", "sourceSystemHsaId": "SE2120009994-EH7S", "documentId": "dia-2025-0001" }] });
    std::fs::write(dir.join("day2.json"), day2.to_string()).unwrap();

    let out = npo(
        &[
            "producer",
            "import",
            "--config",
            "producer.toml",
            "day1.json",
        ],
        dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "Imported 1 file(s): 6 record(s): 6 inserted, 0 updated, 0 unchanged; 1 deletion(s): 0 deleted, 1 not stored; 6 engagement update(s) queued"
    );
    assert!(
        !untouched(&db, backend),
        "the check for an untouched database sees the import"
    );
    let after_first = counts(&db);
    assert_eq!(after_first, (vec![1; RecordKind::ALL.len()], 6));

    let out = npo(
        &[
            "producer",
            "import",
            "--config",
            "producer.toml",
            "day1.json",
        ],
        dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0 inserted, 0 updated, 6 unchanged"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("0 engagement update(s) queued"));
    assert_eq!(counts(&db), after_first);

    // Several files: applied in order in one transaction.
    let out = npo(
        &[
            "producer",
            "import",
            "--config",
            "producer.toml",
            "day1.json",
            "day2.json",
        ],
        dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Imported 2 file(s): 6 record(s): 0 inserted, 0 updated, 6 unchanged; 2 deletion(s): 1 deleted, 1 not stored; 1 engagement"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("1 engagement update(s) queued"));
    let (records, outbox) = counts(&db);
    assert_eq!((records.iter().sum::<i64>(), outbox), (5, 7));
}

macro_rules! on_both_backends {
    ($($case:ident),*) => {
        mod sqlite {
            $( #[test] fn $case() { super::$case(super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $case() { super::$case(super::Backend::Postgres) } )*
        }
    };
}

on_both_backends!(
    invalid_files_are_reported_completely_and_nothing_is_written,
    import_applies_once_and_is_idempotent
);

#[test]
fn import_schema_prints_the_committed_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let out = npo(&["producer", "import-schema"], tmp.path());
    assert!(out.status.success());
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/producer-import.schema.json"),
    )
    .unwrap();
    assert_eq!(
        text(&out.stdout),
        committed,
        "regenerate with: npo producer import-schema > schemas/producer-import.schema.json"
    );
    let schema: Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["title"], "NPÖ producer import document");
}

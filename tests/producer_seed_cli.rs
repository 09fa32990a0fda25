//! Runs the `npo` binary: `npo producer seed --today` makes demo data repeatable (two
//! runs with the same seed, pupil count and day store identical records; another day
//! gives other data; a bad day is refused). On SQLite and, when `NPO_TEST_DATABASE_URL`
//! is set, on PostgreSQL (schemas of their own, dropped after; otherwise SKIPPED).

// Test helpers outside #[test] functions are not covered by clippy.toml `allow-*-in-tests`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use diesel::prelude::*;
use npo_producer::records::{
    care_contact, care_documentation, diagnosis, medication, observation, vaccination,
};
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

/// A configuration in `dir` (school-health and BVC source systems) on `db`.
fn setup(dir: &Path, db: &TestDb) {
    npo_pki::init(&dir.join("pki"), &npo_pki::InitOptions::default()).unwrap();
    std::fs::write(
        dir.join("producer.toml"),
        format!(
            r#"allowed_callers = ["SE5599000014-TP1K"]
source_systems = ["SE2120009994-EH7S", "SE2321009991-BV3C"]

[server]
listen = "127.0.0.1:0"

[tls]
cert = "pki/producer-school.cert.pem"
key = "pki/producer-school.key.pem"
ca = "pki/ca.cert.pem"

[database]
url = "{url}"
"#,
            url = db.url
        ),
    )
    .unwrap();
}

/// Every stored record of every type, in key order.
fn dump(db: &TestDb) -> Value {
    let mut conn = db.connect();
    macro_rules! rows {
        ($module:ident, $table:ident, $record:ty) => {{
            let rows: Vec<$record> = $module::$table::table
                .order((
                    $module::$table::source_system_hsa_id,
                    $module::$table::document_id,
                ))
                .select(<$record>::as_select())
                .load(&mut conn)
                .unwrap();
            serde_json::to_value(rows).unwrap()
        }};
    }
    json!({
        "diagnoses": rows!(diagnosis, diagnoses, diagnosis::DiagnosisRecord),
        "careContacts": rows!(care_contact, care_contacts, care_contact::CareContactRecord),
        "medications": rows!(medication, medications, medication::MedicationRecord),
        "vaccinations": rows!(vaccination, vaccinations, vaccination::VaccinationRecord),
        "careDocumentation": rows!(
            care_documentation,
            care_documentation,
            care_documentation::CareDocumentationRecord
        ),
        "observations": rows!(observation, observations, observation::ObservationRecord),
    })
}

/// Seeds a fresh database; returns what the command printed and what it stored.
fn seed(backend: Backend, args: &[&str]) -> Option<(String, Value)> {
    let db = TestDb::new(backend)?;
    let tmp = tempfile::tempdir().unwrap();
    setup(tmp.path(), &db);
    let mut all = vec!["producer", "seed", "--config", "producer.toml"];
    all.extend_from_slice(args);
    let out = npo(&all, tmp.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    Some((text(&out.stdout), dump(&db)))
}

fn latest_author_time(data: &Value) -> String {
    data.as_object()
        .unwrap()
        .values()
        .flat_map(|rows| rows.as_array().unwrap())
        .map(|r| r["authorTime"].as_str().unwrap().to_owned())
        .max()
        .unwrap()
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

fn same_seed_and_day_give_identical_data(backend: Backend) {
    let args = ["--seed", "7", "--pupils", "4", "--today", "2025-09-15"];
    let Some((first_out, first)) = seed(backend, &args) else {
        return;
    };
    let (second_out, second) = seed(backend, &args).unwrap();
    assert!(
        first_out.contains("Seeded 4 pupil(s) with seed 7 as of 2025-09-15"),
        "{first_out}"
    );
    let records: usize = first
        .as_object()
        .unwrap()
        .values()
        .map(|rows| rows.as_array().unwrap().len())
        .sum();
    assert!(records > 4 * 20, "a whole history per pupil: {records}");
    assert_eq!(
        first, second,
        "the same seed and day store the same records"
    );
    assert_eq!(first_out, second_out, "and print the same pupils");
    // The day is the one given, not today: nothing after it.
    assert!(
        latest_author_time(&first).as_str() < "20250916",
        "{}",
        latest_author_time(&first)
    );

    // Another day: other data (histories end earlier), still repeatable per day.
    let (earlier_out, earlier) = seed(
        backend,
        &["--seed", "7", "--pupils", "4", "--today", "2021-03-01"],
    )
    .unwrap();
    assert!(earlier_out.contains("as of 2021-03-01"), "{earlier_out}");
    assert_ne!(first, earlier);
    assert!(latest_author_time(&earlier).as_str() < "20210302");
}

on_both_backends!(same_seed_and_day_give_identical_data);

#[test]
fn a_bad_day_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for (day, reason) in [
        ("2025-02-30", "is not a date YYYY-MM-DD"),
        ("15/09/2025", "is not a date YYYY-MM-DD"),
        ("1899-12-31", "is outside 1920-01-01..2099-12-31"),
    ] {
        let out = npo(
            &[
                "producer",
                "seed",
                "--config",
                "producer.toml",
                "--today",
                day,
            ],
            tmp.path(),
        );
        assert!(!out.status.success());
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("--today") && stderr.contains(reason),
            "{stderr}"
        );
    }
}

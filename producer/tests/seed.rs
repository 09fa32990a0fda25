//! The demo/test data generator against a real database: a generated document is
//! accepted by `import::apply` on SQLite (and PostgreSQL when configured), a second
//! apply changes nothing, and every stored record is served again by its contract's
//! query (none is dropped by `to_contract`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use npo_contracts::types::PatientId;
use npo_producer::db::DbConn;
use npo_producer::import::{self, ImportRecord, RecordKind};
use npo_producer::records::{care_contact, care_documentation, diagnosis, medication};
use npo_producer::records::{observation, vaccination};
use npo_producer::seed::{self, SeedOptions};
use npo_producer::source::{Filters, MedicationFilters, ObservationFilters};
use support::{Backend, TestDb, backends};

const SCHOOL: &str = "SE2120009994-EH7S";
const BVC: &str = "SE2321009991-BV3C";

fn options(seed: u64, pupils: usize) -> SeedOptions {
    SeedOptions::for_source_systems(
        seed,
        pupils,
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        SCHOOL,
        BVC,
    )
}

fn filters(patient: &str, source_system: &str) -> Filters {
    Filters {
        patient: PatientId::parse_canonical(patient).unwrap(),
        source_system: source_system.to_owned(),
        period: None,
        care_unit_hsa_ids: Vec::new(),
        care_giver_hsa_ids: Vec::new(),
        care_contact_ids: Vec::new(),
        consumer: None,
    }
}

/// How many records each contract query returns for a patient in a source system.
fn served(conn: &mut DbConn, patient: &str, source_system: &str) -> BTreeMap<RecordKind, usize> {
    let f = filters(patient, source_system);
    let medication_filters = MedicationFilters {
        common: f.clone(),
        prescription_chain_id: None,
        prescription_status: None,
    };
    let observation_filters = ObservationFilters {
        common: f.clone(),
        observation_types: Vec::new(),
        observation_ids: Vec::new(),
    };
    BTreeMap::from([
        (
            RecordKind::Diagnosis,
            diagnosis::find(conn, &f).unwrap().len(),
        ),
        (
            RecordKind::CareContact,
            care_contact::find(conn, &f).unwrap().len(),
        ),
        (
            RecordKind::Medication,
            medication::find(conn, &medication_filters).unwrap().len(),
        ),
        (
            RecordKind::Vaccination,
            vaccination::find(conn, &f).unwrap().len(),
        ),
        (
            RecordKind::CareDocumentation,
            care_documentation::find(conn, &f).unwrap().len(),
        ),
        (
            RecordKind::Observation,
            observation::find(conn, &observation_filters)
                .unwrap()
                .iter()
                .map(|group| group.observation.len())
                .sum(),
        ),
    ])
}

fn apply_twice(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let mut conn = db.connect();
    let output = seed::generate_with_pupils(&options(1, 20));
    let document = &output.document;
    assert!(import::validate(document).is_empty());

    let first = import::apply(&mut conn, document).unwrap();
    assert_eq!(first.records, document.records.len());
    assert_eq!(first.inserted, document.records.len());
    assert_eq!((first.updated, first.unchanged), (0, 0));
    assert!(first.engagement_updates > 0);

    let stored = import::count_records(&mut conn).unwrap();
    for (kind, count) in seed::record_counts(document) {
        let kind = RecordKind::from_name(kind).unwrap();
        assert_eq!(stored[&kind], count as i64, "{kind:?}");
    }

    // The same document again: nothing written, no engagement change queued.
    let second = import::apply(&mut conn, document).unwrap();
    assert_eq!(second.unchanged, document.records.len());
    assert_eq!(
        (second.inserted, second.updated, second.engagement_updates),
        (0, 0, 0)
    );
    assert_eq!(import::count_records(&mut conn).unwrap(), stored);

    // Every stored record is served by its contract.
    let mut expected: BTreeMap<(String, String), BTreeMap<RecordKind, usize>> = BTreeMap::new();
    for record in &document.records {
        let h = record.header();
        *expected
            .entry((h.patient_id.to_owned(), h.source_system_hsa_id.to_owned()))
            .or_insert_with(|| RecordKind::ALL.iter().map(|k| (*k, 0)).collect())
            .entry(record.kind())
            .or_default() += 1;
    }
    for pupil in &output.pupils {
        for source_system in [SCHOOL, BVC] {
            let want = expected
                .get(&(pupil.patient_id.clone(), source_system.to_owned()))
                .cloned()
                .unwrap_or_else(|| RecordKind::ALL.iter().map(|k| (*k, 0)).collect());
            assert_eq!(
                served(&mut conn, &pupil.patient_id, source_system),
                want,
                "{source_system}"
            );
        }
    }
}

#[test]
fn a_generated_document_applies_once_and_then_changes_nothing() {
    for backend in backends() {
        apply_twice(backend);
    }
}

#[test]
fn another_seed_adds_other_pupils() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut conn = db.connect();
    let a = seed::generate(&options(1, 5));
    let b = seed::generate(&options(2, 5));
    import::apply(&mut conn, &a).unwrap();
    let summary = import::apply(&mut conn, &b).unwrap();
    assert_eq!(summary.inserted, b.records.len());
    let total: i64 = import::count_records(&mut conn).unwrap().values().sum();
    assert_eq!(total as usize, a.records.len() + b.records.len());
}

#[test]
fn the_json_form_reads_back_through_the_import_reader() {
    let document = seed::generate(&options(3, 4));
    let json = serde_json::to_vec(&document).unwrap();
    let read = import::read(&json, &import::ImportOptions::default()).unwrap();
    assert_eq!(read, document);
    assert!(
        document
            .records
            .iter()
            .any(|r| matches!(r, ImportRecord::Observation(_)))
    );
}

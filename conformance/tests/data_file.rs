//! The test-data file: unknown fields and contracts refused, each case's required
//! fields checked, every problem reported at once with where it is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use npo_conformance::{DataError, TestData};

fn load(text: &str) -> Result<TestData, DataError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.toml");
    std::fs::write(&path, text).unwrap();
    TestData::load(&path)
}

fn problems(text: &str) -> Vec<String> {
    match load(text) {
        Err(DataError::Invalid { problems, .. }) => problems,
        other => panic!("expected case problems, got {other:?}"),
    }
}

const HEAD: &str = "logical_address = \"SE2120009994-EH7S\"\n";

#[test]
fn the_example_file_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/npo-producer.toml");
    let data = TestData::load(&path).unwrap();
    assert!(data.validate_npo);
    assert_eq!(data.contract_sections().len(), 6);
}

#[test]
fn unknown_fields_and_contracts_are_refused() {
    let err = load(&format!(
        "{HEAD}[GetDiagnosis.basic]\npatient_id = \"1\"\nexpected = []\n"
    ))
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown field `expected`"),
        "{err}"
    );
    let err = load(&format!("{HEAD}[GetDiagnoses.basic]\npatient_id = \"1\"\n")).unwrap_err();
    assert!(
        err.to_string().contains("unknown field `GetDiagnoses`"),
        "{err}"
    );
    let err = load(&format!(
        "{HEAD}[GetDiagnosis.basics]\npatient_id = \"1\"\n"
    ))
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `basics`"), "{err}");
    let err = load("[GetDiagnosis.basic]\npatient_id = \"1\"\n").unwrap_err();
    assert!(
        err.to_string().contains("missing field `logical_address`"),
        "{err}"
    );
}

#[test]
fn each_case_needs_its_fields() {
    let found = problems(&format!(
        "{HEAD}
[GetDiagnosis.date_boundaries]
patient_id = \"201403129800\"
period_start = \"20240331\"
period_end = \"20240301\"

[GetDiagnosis.care_unit_filter]
patient_id = \"201403129800\"

[GetDiagnosis.http_header_filter]
patient_id = \"201403129800\"

[GetDiagnosis.source_system_mismatch]
patient_id = \"201403129800\"
source_system_hsa_id = \"se2120009994-eh7s\"

[GetDiagnosis.care_contact_without_source_system]
patient_id = \"201403129800\"
source_system_hsa_id = \"SE2120009994-EH7S\"
care_contact_ids = [\"vko-a\"]

[GetDiagnosis.non_existent_patient]
patient_id = \"199001019802\"
expected_document_ids = [\"x\"]

[GetDiagnosis.basic]
patient_id = \"201403129800\"
period_start = \"2024-03-01\"

[GetDiagnosis.care_giver_filter]
patient_id = \"201403129800\"
care_giver_hsa_ids = [\"SE2120009994-0001\"]

[GetObservations.care_unit_filter]
patient_id = \"201403129800\"
care_unit_hsa_ids = [\"SE2120009994-0A01\"]
"
    ));
    assert_eq!(
        found,
        [
            "[GetDiagnosis.basic]: period_start: not a date YYYYMMDD",
            "[GetDiagnosis.basic]: period_start/period_end: only date_boundaries uses a period",
            "[GetDiagnosis.date_boundaries]: period_end: before period_start",
            "[GetDiagnosis.care_unit_filter]: care_unit_hsa_ids: at least one care unit is required",
            "[GetDiagnosis.care_giver_filter]: GetDiagnosis 2 has no such case (the request has no careGiverHSAId)",
            "[GetDiagnosis.http_header_filter]: http_header_hsa_id: the consumer whose view is filtered is required",
            "[GetDiagnosis.non_existent_patient]: expected_document_ids: this case expects no records",
            "[GetDiagnosis.care_contact_without_source_system]: source_system_hsa_id: this case sends a careContactId without it",
            "[GetDiagnosis.source_system_mismatch]: source_system_hsa_id: required, and must differ from logical_address",
            "[GetObservations.care_unit_filter]: GetObservations 1 has no such case (GetObservations 1 has no official suite; the project cases are basic, date_boundaries and non_existent_patient)",
        ]
    );
}

#[test]
fn the_error_names_the_file_and_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor.toml");
    std::fs::write(
        &path,
        format!("{HEAD}[GetCareContacts.care_contact_filter]\npatient_id = \"\"\n"),
    )
    .unwrap();
    let err = TestData::load(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "test-data file {}:\n  [GetCareContacts.care_contact_filter]: patient_id: must not be empty\n  \
             [GetCareContacts.care_contact_filter]: care_contact_ids: at least one care contact id is required",
            path.display()
        )
    );
}

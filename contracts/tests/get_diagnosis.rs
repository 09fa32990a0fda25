//! GetDiagnosis 2: golden messages round-trip, cover the schema and validate against
//! the project's and the official schemas (with the NPÖ Schematron rules).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::get_diagnosis::{GetDiagnosis, GetDiagnosisResponse};
use npo_contracts::healthcond_description::DiagnosisTypeEnum;
use npo_contracts::types::{PatientIdKind, ResultCode};
use support::*;

const OURS: &str = "clinicalprocess_healthcond_description_2.1/interactions/GetDiagnosisInteraction/GetDiagnosisResponder_2.0.xsd";
const OFFICIAL: &str = "clinicalprocess_healthcond_description_2.1.1/schemas/interactions/GetDiagnosisInteraction/GetDiagnosisResponder_2.0.xsd";

#[test]
fn request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<GetDiagnosis>("GetDiagnosis_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("SE2321000016-A12B")
    );
    let request = &envelope.body;
    assert_eq!(
        request.care_unit_hsa_id,
        ["SE2321000016-C3D4", "SE2321000016-E5F6"]
    );
    let patient = request
        .patient_id
        .to_patient_id()
        .expect("valid personnummer");
    assert_eq!(patient.kind(), PatientIdKind::Personnummer);
    let period = request.time_period.as_ref().expect("period");
    assert_eq!(
        (period.start.to_string(), period.end.to_string()),
        ("20230101".into(), "20261231".into())
    );
    assert_eq!(request.care_contact_id.len(), 2);
    assert_covers_schema::<GetDiagnosis>(&["GetDiagnosis_request.xml"], &[]);
}

#[test]
fn responses_round_trip_and_cover_the_schema() {
    let envelope = round_trip::<GetDiagnosisResponse>("GetDiagnosis_response.xml");
    let response = &envelope.body;
    assert_eq!(response.diagnosis.len(), 2);
    assert_eq!(
        response.diagnosis[0].diagnosis_body.type_of_diagnosis,
        DiagnosisTypeEnum::Huvuddiagnos
    );
    assert!(response.diagnosis.iter().all(|d| {
        d.diagnosis_body
            .diagnosis_code
            .as_ref()
            .is_some_and(|c| c.follows_cv_rule())
    }));
    assert_eq!(
        response.result.as_ref().map(|r| r.result_code),
        Some(ResultCode::Ok)
    );
    round_trip::<GetDiagnosisResponse>("GetDiagnosis_response_all_elements.xml");
    assert_covers_schema::<GetDiagnosisResponse>(
        &[
            "GetDiagnosis_response.xml",
            "GetDiagnosis_response_all_elements.xml",
        ],
        &[],
    );
}

#[test]
fn request_validates_against_both_schemas() {
    let envelope = round_trip::<GetDiagnosis>("GetDiagnosis_request.xml");
    validate_golden(
        "GetDiagnosis_request.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn response_passes_the_official_validator_with_npo_rules() {
    let envelope = round_trip::<GetDiagnosisResponse>("GetDiagnosis_response.xml");
    validate_golden(
        "GetDiagnosis_response.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        Some(&["--npo"]),
    );
}

#[test]
fn complete_response_is_schema_valid() {
    let envelope = round_trip::<GetDiagnosisResponse>("GetDiagnosis_response_all_elements.xml");
    validate_golden(
        "GetDiagnosis_response_all_elements.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

//! The aggregating services' ProcessingStatus header (`urn:riv:interoperability:headers:1`):
//! an aggregated GetDiagnosis response envelope round-trips with it, the golden covers
//! the header schema, and the header validates against the project's and the official
//! interoperability headers XSD.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::XmlError;
use npo_contracts::get_diagnosis::{GetDiagnosis, GetDiagnosisResponse};
use npo_contracts::headers::{CausingAgent, ProcessingStatus, ProcessingStatusRecord, StatusCode};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::TimeStamp;
use npo_contracts::xml::to_document;
use support::*;

const GOLDEN: &str = "ProcessingStatus_GetDiagnosis_response.xml";
const HEADERS_XSD: &str =
    "interoperability_headers_1.0/core_components/interoperability_headers_1.0.xsd";
const OFFICIAL_HEADERS_XSD: &str =
    "rivta/interoperability_headers_1.0/schemas/core_components/interoperability_headers_1.0.xsd";
const OURS_GD: &str = "clinicalprocess_healthcond_description_2.1/interactions/GetDiagnosisInteraction/GetDiagnosisResponder_2.0.xsd";
const OFFICIAL_GD: &str = "clinicalprocess_healthcond_description_2.1.1/schemas/interactions/GetDiagnosisInteraction/GetDiagnosisResponder_2.0.xsd";

/// The header's own table: which flags and times go with each status code.
fn follows_the_status_table(record: &ProcessingStatusRecord) -> bool {
    let synch_failed =
        record.last_unsuccessful_synch.is_some() && record.last_unsuccessful_synch_error.is_some();
    let no_failure =
        record.last_unsuccessful_synch.is_none() && record.last_unsuccessful_synch_error.is_none();
    let has_success = TimeStamp::parse(&record.last_successful_synch).is_some();
    match record.status_code {
        StatusCode::DataFromSource => {
            !record.is_response_from_cache
                && record.is_response_in_synch
                && has_success
                && no_failure
        }
        StatusCode::DataFromCache => {
            record.is_response_from_cache
                && record.is_response_in_synch
                && has_success
                && no_failure
        }
        StatusCode::DataFromCacheSynchFailed => {
            record.is_response_from_cache
                && !record.is_response_in_synch
                && has_success
                && synch_failed
        }
        StatusCode::NoDataSynchFailed => {
            !record.is_response_from_cache
                && !record.is_response_in_synch
                && record.last_successful_synch.is_empty()
                && synch_failed
        }
    }
}

#[test]
fn aggregated_response_round_trips_with_its_processing_status() {
    let envelope = round_trip::<GetDiagnosisResponse>(GOLDEN);
    assert_eq!(envelope.header.logical_address, None);
    let status = envelope
        .header
        .processing_status
        .as_ref()
        .expect("ProcessingStatus header");
    let records = &status.processing_status_list;
    assert_eq!(records.len(), 2);

    let ok = &records[0];
    assert_eq!(ok.logical_address, "SE2321000016-A12B");
    assert_eq!(ok.status_code, StatusCode::DataFromSource);
    assert_eq!(ok.last_successful_synch, "20250917113004");

    let failed = &records[1];
    assert_eq!(failed.logical_address, "SE2321000016-F9K2");
    assert_eq!(failed.status_code, StatusCode::NoDataSynchFailed);
    assert_eq!(
        failed.last_unsuccessful_synch.as_deref(),
        Some("20250917113031")
    );
    let error = failed
        .last_unsuccessful_synch_error
        .as_ref()
        .expect("error");
    assert_eq!(error.causing_agent, CausingAgent::VirtualizationPlatform);
    assert_eq!(error.code, "504");
    assert!(error.text.contains("timed out"));
    assert!(records.iter().all(follows_the_status_table));

    // Only the source that answered contributed records.
    let body = &envelope.body;
    assert_eq!(body.diagnosis.len(), 1);
    assert!(
        body.diagnosis
            .iter()
            .all(|d| d.diagnosis_header.source_system_hsa_id == ok.logical_address)
    );
}

#[test]
fn golden_covers_the_header_schema() {
    assert_covers_schema::<ProcessingStatus>(&[GOLDEN], &[]);
}

#[test]
fn header_validates_against_both_schemas() {
    let envelope = round_trip::<GetDiagnosisResponse>(GOLDEN);
    let status = envelope
        .header
        .processing_status
        .expect("ProcessingStatus header");
    let payload = to_document(&status);
    let (_dir, file) = temp_file("ProcessingStatus.xml", payload.as_bytes());
    xmllint_validate(&project_schemas().join(HEADERS_XSD), &file);
    let Some(reference) = reference_dir("header_validates_against_both_schemas") else {
        return;
    };
    xmllint_validate(&reference.join(OFFICIAL_HEADERS_XSD), &file);
}

#[test]
fn body_passes_the_official_validator_with_npo_rules() {
    let envelope = round_trip::<GetDiagnosisResponse>(GOLDEN);
    validate_golden(
        GOLDEN,
        &envelope.body,
        OURS_GD,
        OFFICIAL_GD,
        Some(&["--npo"]),
    );
}

fn golden_text() -> String {
    String::from_utf8_lossy(&golden(GOLDEN)).into_owned()
}

#[test]
fn an_unknown_status_code_is_refused() {
    let xml = golden_text().replace(">NoDataSynchFailed<", ">NoData<");
    let err =
        soap::decode_response::<GetDiagnosis>(xml.as_bytes()).expect_err("not a StatusCodeEnum");
    assert!(
        matches!(
            err,
            SoapError::Xml(XmlError::InvalidValue {
                element: "statusCode",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn an_unknown_causing_agent_is_refused() {
    let xml = golden_text().replace(">virtualization_platform<", ">VirtualizationPlatform<");
    let err =
        soap::decode_response::<GetDiagnosis>(xml.as_bytes()).expect_err("not a CausingAgentEnum");
    assert!(
        matches!(
            err,
            SoapError::Xml(XmlError::InvalidValue {
                element: "causingAgent",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn a_record_without_its_synch_flag_is_refused() {
    let xml = golden_text().replacen("<ih:isResponseInSynch>true</ih:isResponseInSynch>", "", 1);
    let err = soap::decode_response::<GetDiagnosis>(xml.as_bytes()).expect_err("required");
    assert_eq!(
        err,
        SoapError::Xml(XmlError::MissingElement {
            parent: "ProcessingStatusRecordType",
            element: "isResponseInSynch"
        })
    );
}

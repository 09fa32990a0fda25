//! GetVaccinationHistory 2 (schema 2.0): golden messages round-trip, cover the schema
//! and validate against the project's and the official schemas. The official test
//! suite's Schematron was written for major 1, so the validator checks only the XSD;
//! the golden still follows the suite's field rules (CVType rule, `nullified` in every
//! header), which these tests check themselves.
//!
//! The response golden is the source system's answer for the request's patient, source
//! system and period.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::XmlError;
use npo_contracts::get_vaccination_history::{
    GetVaccinationHistory, GetVaccinationHistoryResponse,
};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::{Date, ErrorCode, PatientIdKind, ResultCode};
use support::*;

const OURS: &str = "clinicalprocess_activityprescription_actoutcome_2.1/interactions/GetVaccinationHistoryInteraction/GetVaccinationHistoryResponder_2.0.xsd";
const OFFICIAL: &str = "clinicalprocess_activityprescription_actoutcome_2.0_vaccination/schemas/interactions/GetVaccinationHistoryInteraction/GetVaccinationHistoryResponder_2.0.xsd";

#[test]
fn request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<GetVaccinationHistory>("GetVaccinationHistory_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("SE2321000016-S7V9")
    );
    let request = &envelope.body;
    assert_eq!(
        request.care_unit_hsa_id,
        ["SE2321000016-B2C6", "SE2321000016-C3D4"]
    );
    let patient = request
        .patient_id
        .to_patient_id()
        .expect("valid personnummer");
    assert_eq!(patient.kind(), PatientIdKind::Personnummer);
    let period = request.time_period.as_ref().expect("period");
    assert_eq!(
        period.start.map(|d| d.to_string()).as_deref(),
        Some("20140312")
    );
    assert_eq!(
        period.end.map(|d| d.to_string()).as_deref(),
        Some("20261231")
    );
    assert_eq!(
        request.source_system_hsa_id.as_deref(),
        envelope.header.logical_address.as_deref()
    );
    assert_eq!(
        request.care_contact_id,
        ["vko-2021-004518", "vko-2025-003307"]
    );
    assert_covers_schema::<GetVaccinationHistory>(&["GetVaccinationHistory_request.xml"], &[]);
}

#[test]
fn request_keeps_the_contracts_lower_case_d_spelling() {
    let envelope = round_trip::<GetVaccinationHistory>("GetVaccinationHistory_request.xml");
    let encoded = soap::encode(&envelope);
    assert!(encoded.contains("<careUnitHSAid>SE2321000016-B2C6</careUnitHSAid>"));
    assert!(encoded.contains("<sourceSystemHSAid>SE2321000016-S7V9</sourceSystemHSAid>"));
    // The spelling of every other contract is not this contract's element.
    let text = String::from_utf8(golden("GetVaccinationHistory_request.xml"))
        .expect("UTF-8")
        .replace("urn1:sourceSystemHSAid>", "urn1:sourceSystemHSAId>");
    let error =
        soap::decode_request::<GetVaccinationHistory>(text.as_bytes()).expect_err("misspelt");
    assert!(
        matches!(error, SoapError::Xml(XmlError::UnexpectedElement { .. })),
        "{error:?}"
    );
}

#[test]
fn responses_round_trip_and_cover_the_schema() {
    let envelope =
        round_trip::<GetVaccinationHistoryResponse>("GetVaccinationHistory_response.xml");
    let response = &envelope.body;
    assert_eq!(response.result.result_code, ResultCode::Ok);
    let records = &response.vaccination_medical_record;
    assert_eq!(records.len(), 8);
    let (from, to) = (
        Date::parse("20140312").expect("date"),
        Date::parse("20261231").expect("date"),
    );
    for record in records {
        let header = &record.vaccination_medical_record_header;
        assert_eq!(header.patient_id.id, "201403129800");
        assert_eq!(header.source_system_hsa_id, "SE2321000016-S7V9");
        assert!(
            header.nullified.is_some(),
            "{}: nullified is required by the field rules",
            header.document_id
        );
        let body = &record.vaccination_medical_record_body;
        let date = body.registration_record.date;
        assert!(from <= date && date <= to);
        for given in &body.administration_record {
            let codes = [
                &given.type_of_vaccine,
                &given.vaccine_name,
                &given.anatomical_site,
                &given.route,
            ];
            assert!(codes.into_iter().flatten().all(|cv| cv.follows_cv_rule()));
            assert!(
                given
                    .vaccine_target_disease
                    .iter()
                    .all(|cv| cv.follows_cv_rule())
            );
        }
    }

    // The first hexavalent dose at BVC, three months old.
    let first = &records[0].vaccination_medical_record_body;
    assert_eq!(first.registration_record.date.to_string(), "20140616");
    let hexa = &first.administration_record[0];
    assert_eq!(
        hexa.type_of_vaccine
            .as_ref()
            .and_then(|c| c.code.as_deref()),
        Some("J07CA09")
    );
    assert_eq!(
        hexa.vaccine_name
            .as_ref()
            .and_then(|c| c.display_name.as_deref()),
        Some("Infanrix hexa")
    );
    assert_eq!(
        hexa.dose_ordinal_number.as_ref().and_then(|n| n.to_i64()),
        Some(1)
    );
    assert_eq!(
        hexa.number_of_prescribed_doses
            .as_ref()
            .and_then(|n| n.to_i64()),
        Some(3)
    );
    assert_eq!(
        hexa.dose
            .as_ref()
            .and_then(|d| d.quantity.as_ref())
            .map(|q| (q.value, q.unit.as_str())),
        Some((0.5, "ml"))
    );
    assert_eq!(hexa.vaccine_target_disease.len(), 6);
    assert_eq!(
        first.administration_record[1]
            .vaccine_name
            .as_ref()
            .and_then(|c| c.display_name.as_deref()),
        Some("Prevenar 13")
    );
    let born = first
        .additional_patient_information
        .as_ref()
        .map(|p| p.date_of_birth.to_string());
    assert_eq!(born.as_deref(), Some("20140312"));

    // MPR registered afterwards, and both HPV doses at school.
    let mpr = &records[2]
        .vaccination_medical_record_body
        .administration_record[0];
    assert!(mpr.source_description.is_some());
    let hpv: Vec<_> = records
        .iter()
        .filter(|r| r.vaccination_medical_record_header.nullified == Some(false))
        .flat_map(|r| &r.vaccination_medical_record_body.administration_record)
        .filter(|a| a.type_of_vaccine.as_ref().and_then(|c| c.code.as_deref()) == Some("J07BM03"))
        .filter_map(|a| a.dose_ordinal_number.as_ref().and_then(|n| n.to_i64()))
        .collect();
    assert_eq!(hpv, [1, 2]);

    // The duplicate registration is returned nullified, with a reason.
    let duplicate = &records[7].vaccination_medical_record_header;
    assert_eq!(duplicate.nullified, Some(true));
    assert!(
        duplicate
            .nullified_reason
            .as_deref()
            .is_some_and(|r| r.contains("vac-3e81b0d2-0006"))
    );

    let error = round_trip::<GetVaccinationHistoryResponse>(
        "GetVaccinationHistory_response_all_elements.xml",
    );
    let result = &error.body.result;
    assert!(error.body.vaccination_medical_record.is_empty());
    assert_eq!(
        (result.result_code, result.error_code),
        (ResultCode::Error, Some(ErrorCode::InvalidRequest))
    );
    assert_covers_schema::<GetVaccinationHistoryResponse>(
        &[
            "GetVaccinationHistory_response.xml",
            "GetVaccinationHistory_response_all_elements.xml",
        ],
        &[],
    );
}

#[test]
fn request_validates_against_both_schemas() {
    let envelope = round_trip::<GetVaccinationHistory>("GetVaccinationHistory_request.xml");
    validate_golden(
        "GetVaccinationHistory_request.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn response_passes_the_official_validator() {
    let envelope =
        round_trip::<GetVaccinationHistoryResponse>("GetVaccinationHistory_response.xml");
    validate_golden(
        "GetVaccinationHistory_response.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        Some(&[]),
    );
}

#[test]
fn error_response_is_schema_valid() {
    let envelope = round_trip::<GetVaccinationHistoryResponse>(
        "GetVaccinationHistory_response_all_elements.xml",
    );
    validate_golden(
        "GetVaccinationHistory_response_all_elements.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn a_record_without_registration_date_is_refused() {
    let text = String::from_utf8(golden("GetVaccinationHistory_response.xml"))
        .expect("UTF-8")
        .replacen("<core:date>20140616</core:date>", "", 1);
    let error =
        soap::decode_response::<GetVaccinationHistory>(text.as_bytes()).expect_err("no date");
    assert!(
        matches!(
            error,
            SoapError::Xml(XmlError::MissingElement {
                parent: "RegistrationRecordType",
                element: "date"
            })
        ),
        "{error:?}"
    );
}

#[test]
fn a_dose_number_that_is_not_an_integer_is_refused() {
    let text = String::from_utf8(golden("GetVaccinationHistory_response.xml"))
        .expect("UTF-8")
        .replacen(
            "<core:doseOrdinalNumber>1</core:doseOrdinalNumber>",
            "<core:doseOrdinalNumber>första</core:doseOrdinalNumber>",
            1,
        );
    let error = soap::decode_response::<GetVaccinationHistory>(text.as_bytes())
        .expect_err("not an integer");
    assert!(
        matches!(
            error,
            SoapError::Xml(XmlError::InvalidValue {
                element: "doseOrdinalNumber",
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn an_unknown_result_code_is_refused() {
    let text = String::from_utf8(golden("GetVaccinationHistory_response.xml"))
        .expect("UTF-8")
        .replace(
            "<core:resultCode>OK</core:resultCode>",
            "<core:resultCode>WARNING</core:resultCode>",
        );
    let error =
        soap::decode_response::<GetVaccinationHistory>(text.as_bytes()).expect_err("bad enum");
    assert!(
        matches!(
            error,
            SoapError::Xml(XmlError::InvalidValue {
                element: "resultCode",
                ..
            })
        ),
        "{error:?}"
    );
}

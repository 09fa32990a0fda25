//! GetCareContacts 3: golden messages round-trip, cover the schema and validate against
//! the project's and the official schemas (with the test-suite Schematron rules).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::XmlError;
use npo_contracts::get_care_contacts::{GetCareContacts, GetCareContactsResponse};
use npo_contracts::logistics::{DateTypeFormatEnum, KV_VARDKONTAKTTYP_OID};
use npo_contracts::soap::{SoapError, decode_request, decode_response};
use npo_contracts::types::{ErrorCode, PatientIdKind, ResultCode};
use support::*;

const OURS: &str = "clinicalprocess_logistics_logistics_3.0/interactions/GetCareContactsInteraction/GetCareContactsResponder_3.0.xsd";
const OFFICIAL: &str = "clinicalprocess_logistics_logistics_3.0.0/schemas/interactions/GetCareContactsInteraction/GetCareContactsResponder_3.0.xsd";

fn golden_text(name: &str) -> String {
    String::from_utf8_lossy(&golden(name)).into_owned()
}

#[test]
fn request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<GetCareContacts>("GetCareContacts_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("SE2321000016-A12B")
    );
    let request = &envelope.body;
    assert_eq!(
        request.care_unit_hsa_id,
        ["SE2321000016-C3D4", "SE2321000016-E5F6"]
    );
    assert_eq!(request.care_giver_hsa_id, ["SE2321000016-0001"]);
    let patient = request
        .patient_id
        .to_patient_id()
        .expect("valid personnummer");
    assert_eq!(patient.kind(), PatientIdKind::Personnummer);
    assert_eq!(patient.as_str(), "201403129800");
    let period = request.date_period.as_ref().expect("period");
    assert_eq!(
        (period.start.to_string(), period.end.to_string()),
        ("20250101".into(), "20261231".into())
    );
    assert_eq!(
        request.source_system_hsa_id.as_deref(),
        Some("SE2321000016-A12B")
    );
    assert_eq!(
        request.care_contact_id,
        ["vko-2025-000412", "vko-2025-000519", "vko-2026-000087"]
    );
    assert_covers_schema::<GetCareContacts>(&["GetCareContacts_request.xml"], &[]);
}

#[test]
fn responses_round_trip_and_cover_the_schema() {
    let envelope = round_trip::<GetCareContactsResponse>("GetCareContacts_response.xml");
    let response = &envelope.body;
    assert_eq!(response.result.result_code, ResultCode::Ok);
    assert_eq!(response.care_contact.len(), 3);
    let kinds: Vec<_> = response
        .care_contact
        .iter()
        .map(|c| {
            let code = c
                .care_contact_body
                .care_contact_code
                .as_ref()
                .expect("contact code");
            assert_eq!(code.code_system.as_deref(), Some(KV_VARDKONTAKTTYP_OID));
            assert!(code.follows_cv_rule());
            code.display_name.as_deref().expect("display name")
        })
        .collect();
    assert_eq!(kinds, ["Besök", "Telefon", "Besök"]);
    let statuses: Vec<_> = response
        .care_contact
        .iter()
        .map(|c| {
            let status = c
                .care_contact_body
                .care_contact_status
                .as_ref()
                .expect("status");
            assert!(status.follows_cv_rule());
            status
                .original_text
                .as_deref()
                .expect("status by originalText")
        })
        .collect();
    assert_eq!(statuses, ["Avslutad", "Avslutad", "Ej påbörjad"]);
    assert!(
        response
            .care_contact
            .iter()
            .all(|c| c.care_contact_header.follows_care_contact_rules())
    );

    // The planned health visit has an open period: start only.
    let planned = &response.care_contact[2];
    assert_eq!(planned.care_contact_header.document_id, "vko-2026-000087");
    let period = planned
        .care_contact_body
        .care_contact_time_period
        .as_ref()
        .expect("period");
    assert_eq!(period.start.to_string(), "20260915090000");
    assert!(period.end.is_none());

    let first = &response.care_contact[0];
    let professional = &first
        .care_contact_header
        .accountable_healthcare_professional;
    assert_eq!(
        professional
            .healthcare_professional_care_unit_hsa_id
            .as_deref(),
        Some("SE2321000016-C3D4")
    );
    let birth = first
        .care_contact_body
        .additional_patient_information
        .as_ref()
        .and_then(|info| info.date_of_birth.as_ref())
        .expect("date of birth");
    assert_eq!(birth.format, DateTypeFormatEnum::YearMonthDay);
    assert!(birth.is_consistent());

    let all = round_trip::<GetCareContactsResponse>("GetCareContacts_response_all_elements.xml");
    let nullified = &all.body.care_contact[0].care_contact_header;
    assert_eq!(nullified.nullified, Some(true));
    assert!(!nullified.follows_care_contact_rules());
    assert_eq!(all.body.result.error_code, Some(ErrorCode::InvalidRequest));
    assert_covers_schema::<GetCareContactsResponse>(
        &[
            "GetCareContacts_response.xml",
            "GetCareContacts_response_all_elements.xml",
        ],
        &[],
    );
}

#[test]
fn request_validates_against_both_schemas() {
    let envelope = round_trip::<GetCareContacts>("GetCareContacts_request.xml");
    validate_golden(
        "GetCareContacts_request.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn response_passes_the_official_validator_with_schematron() {
    let envelope = round_trip::<GetCareContactsResponse>("GetCareContacts_response.xml");
    validate_golden(
        "GetCareContacts_response.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        Some(&[]),
    );
}

#[test]
fn complete_response_is_schema_valid() {
    let envelope =
        round_trip::<GetCareContactsResponse>("GetCareContacts_response_all_elements.xml");
    validate_golden(
        "GetCareContacts_response_all_elements.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn a_response_without_result_is_refused() {
    let text = golden_text("GetCareContacts_response.xml");
    let start = text.find("<result>").expect("result start");
    let end = text.find("</result>").expect("result end") + "</result>".len();
    let without = format!("{}{}", &text[..start], &text[end..]);
    match decode_response::<GetCareContacts>(without.as_bytes()) {
        Err(SoapError::Xml(XmlError::MissingElement { parent, element })) => {
            assert_eq!((parent, element), ("GetCareContactsResponseType", "result"));
        }
        other => panic!("expected a missing result, got {other:?}"),
    }
}

#[test]
fn a_contact_period_without_start_is_refused() {
    // This domain's TimePeriodType requires start (unlike the shared one).
    let text = golden_text("GetCareContacts_response.xml").replacen(
        "<core:start>20250917100000</core:start>",
        "",
        1,
    );
    match decode_response::<GetCareContacts>(text.as_bytes()) {
        Err(SoapError::Xml(XmlError::MissingElement { parent, element })) => {
            assert_eq!((parent, element), ("TimePeriodType", "start"));
        }
        other => panic!("expected a missing start, got {other:?}"),
    }
}

#[test]
fn values_outside_the_schema_are_refused() {
    let text = golden_text("GetCareContacts_response.xml").replacen(
        "<core:format>YYYYMMDD</core:format>",
        "<core:format>YYYYMMDDhh</core:format>",
        1,
    );
    match decode_response::<GetCareContacts>(text.as_bytes()) {
        Err(SoapError::Xml(XmlError::InvalidValue { element, .. })) => {
            assert_eq!(element, "format")
        }
        other => panic!("expected an invalid format, got {other:?}"),
    }
    let text = golden_text("GetCareContacts_request.xml").replacen(
        "<urn2:start>20250101</urn2:start>",
        "<urn2:start>2025-01-01</urn2:start>",
        1,
    );
    match decode_request::<GetCareContacts>(text.as_bytes()) {
        Err(SoapError::Xml(XmlError::InvalidValue { element, .. })) => assert_eq!(element, "start"),
        other => panic!("expected an invalid date, got {other:?}"),
    }
}

#[test]
fn a_request_without_patient_is_refused() {
    let text = golden_text("GetCareContacts_request.xml");
    let start = text.find("<urn1:patientId>").expect("patientId start");
    let end = text.find("</urn1:patientId>").expect("patientId end") + "</urn1:patientId>".len();
    let without = format!("{}{}", &text[..start], &text[end..]);
    match decode_request::<GetCareContacts>(without.as_bytes()) {
        Err(SoapError::Xml(XmlError::MissingElement { parent, element })) => {
            assert_eq!((parent, element), ("GetCareContactsType", "patientId"));
        }
        other => panic!("expected a missing patientId, got {other:?}"),
    }
}

//! GetObservations 1 (schema 1.1): golden messages round-trip, cover the schema and
//! validate against the project's and the official schemas. The official validator has
//! no Schematron for this contract, so the response is checked against the XSD only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::XmlError;
use npo_contracts::get_observations::{GetObservations, GetObservationsResponse};
use npo_contracts::healthcond_basic::{ObservationType, TelTypeEnum, TimeStampTypeFormatEnum};
use npo_contracts::soap::{SoapError, decode_request, decode_response};
use npo_contracts::types::PatientIdKind;
use support::*;

const OURS: &str = "clinicalprocess_healthcond_basic_1.1/interactions/GetObservationsInteraction/GetObservationsResponder_1.1.xsd";
const OFFICIAL: &str = "clinicalprocess_healthcond_basic_1.1/schemas/interactions/GetObservationsInteraction/GetObservationsResponder_1.1.xsd";

const SNOMED_CT: &str = "1.2.752.116.2.1.1";

fn golden_text(name: &str) -> String {
    String::from_utf8_lossy(&golden(name)).into_owned()
}

/// `(type code, value, unit)` of a measurement (`None` when the value is not a
/// physical quantity).
fn measurement(observation: &ObservationType) -> Option<(&str, f64, &str)> {
    let pq = observation.value.pq.as_ref()?;
    Some((
        observation.r#type.code.as_str(),
        pq.value.to_f64(),
        pq.unit.as_str(),
    ))
}

#[test]
fn request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<GetObservations>("GetObservations_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("SE2321000016-A12B")
    );
    let request = &envelope.body;
    let patient = request
        .patient_id
        .to_patient_id()
        .expect("valid personnummer");
    assert_eq!(patient.kind(), PatientIdKind::Personnummer);
    assert_eq!(patient.as_str(), "201403129800");
    let time = request.time.as_ref().expect("time filter");
    assert_eq!(
        time.start.map(|t| t.to_string()).as_deref(),
        Some("20140312000000")
    );
    assert_eq!(
        time.end.map(|t| t.to_string()).as_deref(),
        Some("20251231235959")
    );
    let types: Vec<_> = request
        .observation_type
        .iter()
        .map(|t| t.code.as_str())
        .collect();
    assert_eq!(types, ["50373000", "27113001", "60621009"]);
    assert!(
        request
            .observation_type
            .iter()
            .all(|t| t.code_system == SNOMED_CT)
    );
    assert_eq!(request.observation_id[0].extension, "eh-m-20250917-3");
    assert_eq!(
        request
            .care_giver_id
            .as_ref()
            .map(|id| id.extension.as_str()),
        Some("SE2321000016-0001")
    );
    assert_eq!(
        request
            .care_unit_id
            .as_ref()
            .map(|id| id.extension.as_str()),
        Some("SE2321000016-C3D4")
    );
    assert_eq!(
        request.interaction_agreement_id.as_str(),
        "65d9a02f-ea57-4378-90b3-3102f373030a"
    );
    assert_eq!(
        request.source_system_hsa_id.as_deref(),
        Some("SE2321000016-A12B")
    );
    assert_eq!(request.relation[0].referred_information_type, "careContact");
    assert_covers_schema::<GetObservations>(&["GetObservations_request.xml"], &[]);
}

#[test]
fn response_round_trips_and_covers_the_schema() {
    let envelope = round_trip::<GetObservationsResponse>("GetObservations_response.xml");
    let groups = &envelope.body.observation_group;
    assert_eq!(groups.len(), 2);
    for group in groups {
        assert_eq!(
            group
                .patient
                .id
                .to_patient_id()
                .map(|p| p.as_str().to_owned())
                .as_deref(),
            Ok("201403129800")
        );
        assert_eq!(group.patient.date_of_birth.to_string(), "20140312");
        assert!(group.observation.iter().all(|o| o.value.is_single()));
        assert!(group.observation.iter().all(|o| !o.value_negation));
    }

    // Four-month check at BVC: length, weight and head circumference.
    let bvc = &groups[0];
    let unit = bvc.performer_role.care_unit.as_ref().expect("care unit");
    assert_eq!(unit.name.as_deref(), Some("BVC Solrosen"));
    assert_eq!(bvc.source_system.id.extension, "SE2321000016-B100");
    let growth: Vec<_> = bvc.observation[..3].iter().map(measurement).collect();
    assert_eq!(
        growth,
        [
            Some(("248334005", 62.8, "cm")),
            Some(("27113001", 6.62, "kg")),
            Some(("363812007", 40.8, "cm"))
        ]
    );
    assert_eq!(measurement(&bvc.observation[3]), None, "a coded assessment");
    let length_time = bvc.observation[0].time.start.as_ref().expect("start");
    assert_eq!(length_time.format, TimeStampTypeFormatEnum::DateMinute);
    assert!(length_time.is_consistent());
    let head = &bvc.observation[2];
    assert_eq!(
        head.target_site
            .as_ref()
            .and_then(|s| s.display_name.as_deref()),
        Some("Huvud")
    );
    let breastfeeding = bvc.observation[4]
        .value
        .ivl_ts
        .as_ref()
        .expect("period value");
    assert_eq!(
        breastfeeding.end.as_ref().map(|e| e.format),
        Some(TimeStampTypeFormatEnum::YearMonth)
    );
    let location = bvc
        .additional_participant
        .iter()
        .find_map(|p| p.location.as_ref())
        .expect("a location participant");
    assert_eq!(location.electronic_address[0].r#use, TelTypeEnum::Voice);
    let device = bvc
        .additional_participant
        .iter()
        .find_map(|p| p.device.as_ref())
        .expect("a device");
    assert_eq!(
        device.model.as_ref().and_then(|m| m.value.as_deref()),
        Some("Seca 336")
    );

    // School-health visit: BMI derived from the length and weight measured then.
    let school = &groups[1];
    assert_eq!(school.source_system.id.extension, "SE2321000016-A12B");
    let bmi = school
        .observation
        .iter()
        .find(|o| o.r#type.code == "60621009")
        .expect("BMI");
    assert_eq!(measurement(bmi), Some(("60621009", 18.0, "kg/m2")));
    let derived_from: Vec<_> = bmi
        .relation
        .iter()
        .filter(|r| r.code.code == "DRIV")
        .map(|r| r.referred_information.id.extension.as_str())
        .collect();
    assert_eq!(derived_from, ["eh-m-20250917-1", "eh-m-20250917-2"]);
    let value = |i: usize| measurement(&school.observation[i]).expect("measured").1;
    let (length, weight) = (value(0), value(1));
    assert!((weight / (length / 100.0).powi(2) - 18.0).abs() < 0.05);

    assert_covers_schema::<GetObservationsResponse>(&["GetObservations_response.xml"], &[]);
}

#[test]
fn request_validates_against_both_schemas() {
    let envelope = round_trip::<GetObservations>("GetObservations_request.xml");
    validate_golden(
        "GetObservations_request.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn response_passes_the_official_validator() {
    // No Schematron exists for GetObservations: validate.js checks the XSD and says so.
    let envelope = round_trip::<GetObservationsResponse>("GetObservations_response.xml");
    validate_golden(
        "GetObservations_response.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        Some(&[]),
    );
}

#[test]
fn a_request_without_interaction_agreement_is_refused() {
    let text = golden_text("GetObservations_request.xml");
    let start = text.find("<urn1:interactionAgreementId>").expect("start");
    let end = text.find("</urn1:interactionAgreementId>").expect("end")
        + "</urn1:interactionAgreementId>".len();
    let without = format!("{}{}", &text[..start], &text[end..]);
    match decode_request::<GetObservations>(without.as_bytes()) {
        Err(SoapError::Xml(XmlError::MissingElement { parent, element })) => {
            assert_eq!(
                (parent, element),
                ("GetObservationsType", "interactionAgreementId")
            );
        }
        other => panic!("expected a missing interactionAgreementId, got {other:?}"),
    }
}

#[test]
fn values_outside_the_schema_are_refused() {
    // A version 1 UUID does not match UUIDType's pattern.
    let text = golden_text("GetObservations_request.xml").replace(
        "65d9a02f-ea57-4378-90b3-3102f373030a",
        "65d9a02f-ea57-1378-90b3-3102f373030a",
    );
    match decode_request::<GetObservations>(text.as_bytes()) {
        Err(SoapError::Xml(XmlError::InvalidValue { element, .. })) => {
            assert_eq!(element, "interactionAgreementId")
        }
        other => panic!("expected an invalid UUID, got {other:?}"),
    }
    let text = golden_text("GetObservations_response.xml").replacen(
        "<core:format>YYYYMMDDhhmm</core:format>",
        "<core:format>YYYYMMDDHHMM</core:format>",
        1,
    );
    match decode_response::<GetObservations>(text.as_bytes()) {
        Err(SoapError::Xml(XmlError::InvalidValue { element, .. })) => {
            assert_eq!(element, "format")
        }
        other => panic!("expected an invalid format, got {other:?}"),
    }
    let text = golden_text("GetObservations_response.xml").replacen(
        "<core:use>voice</core:use>",
        "<core:use>mobile</core:use>",
        1,
    );
    match decode_response::<GetObservations>(text.as_bytes()) {
        Err(SoapError::Xml(XmlError::InvalidValue { element, .. })) => assert_eq!(element, "use"),
        other => panic!("expected an invalid TelTypeEnum, got {other:?}"),
    }
}

#[test]
fn this_domains_cv_requires_a_code_system() {
    // CVType here has required code and codeSystem (no originalText alternative).
    let text = golden_text("GetObservations_response.xml").replacen(
        "<core:codeSystem>1.2.752.129.2.2.1.1</core:codeSystem>",
        "",
        1,
    );
    match decode_response::<GetObservations>(text.as_bytes()) {
        Err(SoapError::Xml(XmlError::MissingElement { parent, element })) => {
            assert_eq!((parent, element), ("CVType", "codeSystem"));
        }
        other => panic!("expected a missing codeSystem, got {other:?}"),
    }
}

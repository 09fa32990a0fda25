//! GetMedicationHistory 2 (schema 2.1): golden messages round-trip, cover the schema and
//! validate against the project's and the official schemas (with the test-suite
//! Schematron rules for the compliant response).
//!
//! The request golden shows every filter; the response golden is the source system's
//! answer for the same patient, source system and period (without the chain and status
//! filters, so that a whole history is shown).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::XmlError;
use npo_contracts::actoutcome::{EXT_NS, PrescriptionStatusEnum, TypeOfPrescriptionEnum};
use npo_contracts::get_medication_history::{GetMedicationHistory, GetMedicationHistoryResponse};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::{ErrorCode, PatientIdKind, ResultCode};
use support::*;

const OURS: &str = "clinicalprocess_activityprescription_actoutcome_2.1/interactions/GetMedicationHistoryInteraction/GetMedicationHistoryResponder_2.1.xsd";
const OFFICIAL: &str = "clinicalprocess_activityprescription_actoutcome_2.1/schemas/interactions/GetMedicationHistoryInteraction/GetMedicationHistoryResponder_2.1.xsd";

#[test]
fn request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<GetMedicationHistory>("GetMedicationHistory_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("SE2321000016-A12B")
    );
    let request = &envelope.body;
    assert_eq!(
        request.care_unit_hsa_id,
        ["SE2321000016-C3D4", "SE2321000016-H8K2"]
    );
    assert_eq!(
        request.care_giver_hsa_id,
        ["SE2321000016-0001", "SE2321000016-0002"]
    );
    let patient = request
        .patient_id
        .to_patient_id()
        .expect("valid personnummer");
    assert_eq!(patient.kind(), PatientIdKind::Personnummer);
    let period = request.date_period.as_ref().expect("period");
    assert_eq!(
        period.start.map(|d| d.to_string()).as_deref(),
        Some("20230101")
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
        ["vko-2025-000412", "vko-2026-000087"]
    );
    let chain = request
        .prescription_chain_id
        .as_ref()
        .expect("chain filter");
    assert_eq!(chain.root, "1.2.752.129.2.1.2.1");
    assert_eq!(
        request.prescription_status,
        Some(PrescriptionStatusEnum::Active)
    );
    assert_covers_schema::<GetMedicationHistory>(&["GetMedicationHistory_request.xml"], &[]);
}

#[test]
fn responses_round_trip_and_cover_the_schema() {
    let envelope = round_trip::<GetMedicationHistoryResponse>("GetMedicationHistory_response.xml");
    let response = &envelope.body;
    assert_eq!(response.result.result_code, ResultCode::Ok);
    let records = &response.medication_medical_record;
    assert_eq!(records.len(), 6);
    for record in records {
        let header = &record.medication_medical_record_header;
        assert_eq!(header.patient_id.id, "201403129800");
        assert_eq!(header.source_system_hsa_id, "SE2321000016-A12B");
        // Forbidden in GetMedicationHistory responses.
        assert!(header.document_time.is_none() && header.nullified.is_none());
        let prescription = record.prescription();
        match prescription.type_of_prescription {
            TypeOfPrescriptionEnum::Insattning => {
                assert!(prescription.start_of_treatment.is_some())
            }
            TypeOfPrescriptionEnum::Utsattning => assert!(prescription.drug.is_none()),
        }
        assert!(prescription.self_medication || prescription.prescriber.is_some());
        if let Some(drug) = &prescription.drug {
            assert_eq!(drug.alternatives_given(), 1);
        }
    }

    // The salbutamol inhaler, its pharmacy prescription, a school administration and
    // the 2.1 relation to the asthma diagnosis.
    let airomir = records[0].prescription();
    let drug = airomir
        .drug
        .as_ref()
        .and_then(|d| d.drug.as_ref())
        .expect("structured drug");
    assert_eq!(
        drug.atc_code.as_ref().and_then(|c| c.code.as_deref()),
        Some("R03AC02")
    );
    assert!(drug.npl_id.follows_cv_rule());
    assert_eq!(drug.strength, Some(0.1));
    let reason = &airomir.principal_prescription_reason[0].reason;
    assert_eq!(reason.code.as_deref(), Some("J45.9"));
    let dispensation = airomir
        .dispensation_authorization
        .as_ref()
        .expect("dispensation");
    assert_eq!(
        dispensation.prescription_signatura,
        "1–2 inhalationer vid behov, högst 8 inhalationer per dygn. Mot astma."
    );
    assert_eq!(dispensation.total_amount, Some(2.0));
    assert!(
        dispensation
            .drug
            .as_ref()
            .is_some_and(|d| d.dosage.is_empty())
    );
    let given = &airomir.administration[0];
    assert_eq!(
        given
            .administering_healthcare_professional
            .healthcare_professional_name
            .as_deref(),
        Some("Anders Öberg")
    );
    assert!(
        given
            .administering_healthcare_professional
            .healthcare_professional_care_unit_hsa_id
            .is_none()
    );
    let relation = &airomir.relation[0];
    assert_eq!(relation.code.code.as_deref(), Some("RSON"));
    assert_eq!(
        relation.referred_information[0].id.extension.as_deref(),
        Some("dia-7f3c2a90-0001")
    );
    let patient = records[0]
        .medication_medical_record_body
        .additional_patient_information
        .as_ref()
        .expect("patient info");
    assert_eq!(patient.date_of_birth.to_string(), "20140312");

    // The methylphenidate chain: titration replaced by a modified-release capsule.
    let (titration, current) = (records[1].prescription(), records[2].prescription());
    assert_eq!(
        titration.prescription_status,
        PrescriptionStatusEnum::Inactive
    );
    assert_eq!(current.prescription_status, PrescriptionStatusEnum::Active);
    assert_eq!(
        titration.prescription_chain_id,
        current.prescription_chain_id
    );
    assert_eq!(
        titration.succeeding_prescription_id.as_ref(),
        Some(&current.prescription_id)
    );
    assert_eq!(
        current.preceding_prescription_id.as_ref(),
        Some(&titration.prescription_id)
    );
    let atc = |p: &npo_contracts::actoutcome::MedicationPrescriptionType| {
        p.drug
            .as_ref()
            .and_then(|d| d.drug.as_ref())
            .and_then(|d| d.atc_code.as_ref())
            .and_then(|c| c.code.clone())
    };
    assert_eq!(atc(titration).as_deref(), Some("N06BA04"));
    assert_eq!(atc(current).as_deref(), Some("N06BA04"));
    let ramp = titration
        .drug
        .as_ref()
        .and_then(|d| d.dosage[0].set_dosage.as_ref())
        .and_then(|s| s.ramped_dosage.as_ref())
        .expect("ramp");
    assert_eq!(
        (ramp.dose_step.value, ramp.dose_step.unit.as_str()),
        (5.0, "mg")
    );
    let lunch = &ramp
        .ramp_end
        .occasion_dosage
        .as_ref()
        .expect("occasions")
        .administration[1];
    assert_eq!(
        (lunch.time.as_deref(), lunch.day_of_period),
        (Some("12:00"), 1)
    );

    // Utsättning and self-medication.
    assert_eq!(
        records[3].prescription().type_of_prescription,
        TypeOfPrescriptionEnum::Utsattning
    );
    let paracetamol = records[4].prescription();
    assert!(paracetamol.self_medication && paracetamol.prescriber.is_none());
    assert_eq!(
        paracetamol
            .drug
            .as_ref()
            .and_then(|d| d.generics.as_ref())
            .and_then(|g| g.substance.as_deref()),
        Some("Paracetamol")
    );

    let complete = round_trip::<GetMedicationHistoryResponse>(
        "GetMedicationHistory_response_all_elements.xml",
    );
    let result = &complete.body.result;
    assert_eq!(
        (result.result_code, result.error_code),
        (ResultCode::Error, Some(ErrorCode::InvalidRequest))
    );
    let header = &complete.body.medication_medical_record[0].medication_medical_record_header;
    assert_eq!(header.nullified, Some(true));
    assert_covers_schema::<GetMedicationHistoryResponse>(
        &[
            "GetMedicationHistory_response.xml",
            "GetMedicationHistory_response_all_elements.xml",
        ],
        &[],
    );
}

#[test]
fn relation_is_written_in_the_extension_namespace() {
    let envelope = round_trip::<GetMedicationHistoryResponse>("GetMedicationHistory_response.xml");
    let encoded = soap::encode(&envelope);
    assert!(encoded.contains(&format!("xmlns:ext=\"{EXT_NS}\"")));
    assert!(encoded.contains("<ext:relation><ext:code><core:code>RSON</core:code>"));
}

#[test]
fn request_validates_against_both_schemas() {
    let envelope = round_trip::<GetMedicationHistory>("GetMedicationHistory_request.xml");
    validate_golden(
        "GetMedicationHistory_request.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn response_passes_the_official_validator_with_schematron() {
    let envelope = round_trip::<GetMedicationHistoryResponse>("GetMedicationHistory_response.xml");
    validate_golden(
        "GetMedicationHistory_response.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        Some(&[]),
    );
}

#[test]
fn complete_response_is_schema_valid() {
    let envelope = round_trip::<GetMedicationHistoryResponse>(
        "GetMedicationHistory_response_all_elements.xml",
    );
    validate_golden(
        "GetMedicationHistory_response_all_elements.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

fn golden_text(name: &str) -> String {
    String::from_utf8(golden(name)).expect("UTF-8 golden")
}

#[test]
fn a_response_without_result_is_refused() {
    let text = golden_text("GetMedicationHistory_response_all_elements.xml");
    let start = text.find("<result>").expect("result");
    let end = text.find("</result>").expect("result end") + "</result>".len();
    let broken = format!("{}{}", &text[..start], &text[end..]);
    let error =
        soap::decode_response::<GetMedicationHistory>(broken.as_bytes()).expect_err("no result");
    assert!(
        matches!(
            error,
            SoapError::Xml(XmlError::MissingElement {
                parent: "GetMedicationHistoryResponseType",
                element: "result"
            })
        ),
        "{error:?}"
    );
}

#[test]
fn an_unknown_prescription_status_is_refused() {
    let text = golden_text("GetMedicationHistory_request.xml").replace(
        ">Active</urn1:prescriptionStatus>",
        ">Paused</urn1:prescriptionStatus>",
    );
    let error =
        soap::decode_request::<GetMedicationHistory>(text.as_bytes()).expect_err("bad enum");
    assert!(
        matches!(
            error,
            SoapError::Xml(XmlError::InvalidValue {
                element: "prescriptionStatus",
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn a_relation_in_the_core_namespace_is_refused() {
    let text = golden_text("GetMedicationHistory_response.xml")
        .replace("<ext:relation>", "<core:relation>")
        .replace("</ext:relation>", "</core:relation>");
    let error = soap::decode_response::<GetMedicationHistory>(text.as_bytes())
        .expect_err("wrong namespace");
    assert!(
        matches!(&error, SoapError::Xml(XmlError::WrongNamespace { local, expected, .. }) if local == "relation" && expected == EXT_NS),
        "{error:?}"
    );
}

#[test]
fn a_missing_self_medication_flag_is_refused() {
    let text = golden_text("GetMedicationHistory_response_all_elements.xml")
        .replace("<core:selfMedication>true</core:selfMedication>", "");
    let error =
        soap::decode_response::<GetMedicationHistory>(text.as_bytes()).expect_err("missing flag");
    assert!(
        matches!(
            error,
            SoapError::Xml(XmlError::MissingElement {
                parent: "MedicationPrescriptionType",
                element: "selfMedication"
            })
        ),
        "{error:?}"
    );
}

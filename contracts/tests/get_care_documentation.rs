//! GetCareDocumentation 3: golden messages round-trip, cover the schema and validate
//! against the project's and the official schemas. The official validator applies
//! only the XSD to this contract (its test suite was written for major 2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::XmlError;
use npo_contracts::get_care_documentation::{GetCareDocumentation, GetCareDocumentationResponse};
use npo_contracts::healthcond_description_v3::{
    ANTECKNINGSTYP_OID, HSA_ID_OID, NoteType, hsa_id_of, patient_id_of,
};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::{PatientIdKind, ResultCode};
use support::*;

const OURS: &str = "clinicalprocess_healthcond_description_3.0/interactions/GetCareDocumentationInteraction/GetCareDocumentationResponder_3.0.xsd";
const OFFICIAL: &str = "clinicalprocess_healthcond_description_3.0/schemas/interactions/GetCareDocumentationInteraction/GetCareDocumentationResponder_3.0.xsd";

#[test]
fn request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<GetCareDocumentation>("GetCareDocumentation_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("SE2321000016-A12B")
    );
    let request = &envelope.body;
    let units: Vec<_> = request.care_unit.iter().filter_map(hsa_id_of).collect();
    assert_eq!(units, ["SE2321000016-C3D4", "SE2321000016-B7V1"]);
    assert_eq!(request.healthcare_provider.len(), 1);
    assert_eq!(
        hsa_id_of(&request.healthcare_provider[0]),
        Some("SE2321000016-0001")
    );
    let patient = patient_id_of(&request.patient_id).expect("valid personnummer");
    assert_eq!(patient.kind(), PatientIdKind::Personnummer);
    assert_eq!(patient.as_str(), "201403129800");
    let period = request.date_period.as_ref().expect("period");
    assert_eq!(
        (period.start.to_string(), period.end.to_string()),
        ("20140312".into(), "20261231".into())
    );
    let source = request.source_system_id.as_ref().expect("source system");
    assert_eq!(source.root, HSA_ID_OID);
    assert_eq!(
        hsa_id_of(source),
        envelope.header.logical_address.as_deref()
    );
    assert_eq!(
        request.has_more_reference.as_deref(),
        Some("gcd3-page-2-7f41c0e2")
    );
    assert_covers_schema::<GetCareDocumentation>(&["GetCareDocumentation_request.xml"], &[]);
}

#[test]
fn response_round_trips_and_covers_the_schema() {
    let envelope = round_trip::<GetCareDocumentationResponse>("GetCareDocumentation_response.xml");
    let response = &envelope.body;
    assert_eq!(response.care_documentation.len(), 4);

    let types: Vec<_> = response
        .care_documentation
        .iter()
        .map(|d| d.body.note_type())
        .collect();
    assert_eq!(
        types,
        [
            Some(NoteType::Sammanfattning),
            Some(NoteType::Utredning),
            Some(NoteType::Besoksanteckning),
            Some(NoteType::Utredning)
        ]
    );
    for doc in &response.care_documentation {
        let header = &doc.header;
        // R3: only the LogicalAddress's own system answers.
        assert_eq!(
            hsa_id_of(&header.source_system_id),
            Some("SE2321000016-A12B")
        );
        let patient = patient_id_of(&header.access_control_header.patient_id).expect("patient");
        assert_eq!(patient.as_str(), "201403129800");
        let body = &doc.body;
        assert_eq!(
            body.clinical_document_note_code.code_system.as_deref(),
            Some(ANTECKNINGSTYP_OID)
        );
        assert!(body.clinical_document_note_code.follows_cv_rule());
        // Text or a multimedia entry, not both; a multimedia entry inline or by reference.
        assert!(body.clinical_document_note_text.is_some() != body.multimedia_entry.is_some());
        if let Some(media) = &body.multimedia_entry {
            assert!(media.value.is_some() != media.reference.is_some());
        }
        for role in [
            header.author.as_ref().and_then(|a| a.by_role.as_ref()),
            header.signature.as_ref().and_then(|s| s.by_role.as_ref()),
        ]
        .into_iter()
        .flatten()
        {
            assert!(role.follows_cv_rule());
        }
    }

    let bvc = &response.care_documentation[0];
    assert!(bvc.header.access_control_header.approved_for_patient);
    assert_eq!(
        bvc.header
            .access_control_header
            .block_comparison_time
            .to_string(),
        "20190320104500"
    );
    let opinion = &bvc.body.dissenting_opinion[0];
    let guardian = patient_id_of(&opinion.person_id).expect("samordningsnummer");
    assert_eq!(guardian.kind(), PatientIdKind::Samordningsnummer);
    let school = &response.care_documentation[2];
    assert_eq!(
        school
            .header
            .signature
            .as_ref()
            .map(|s| s.timestamp.to_string())
            .as_deref(),
        Some("20250917111500")
    );
    assert!(
        school
            .body
            .clinical_document_note_text
            .as_deref()
            .is_some_and(|t| t.contains("Hälsosamtal"))
    );
    let pdf = response.care_documentation[3]
        .body
        .multimedia_entry
        .as_ref()
        .and_then(|m| m.value.as_ref())
        .expect("inline PDF");
    assert!(pdf.0.starts_with(b"%PDF-1.4"));

    assert_eq!(response.has_more.len(), 1);
    assert_eq!(response.has_more[0].logical_address, "SE2321000016-A12B");
    assert_eq!(response.result.result_code, ResultCode::Info);
    assert!(response.result.result_text.is_some());
    // Every element of the schema occurs in the compliant response.
    assert_covers_schema::<GetCareDocumentationResponse>(
        &["GetCareDocumentation_response.xml"],
        &[],
    );
}

#[test]
fn request_validates_against_both_schemas() {
    let envelope = round_trip::<GetCareDocumentation>("GetCareDocumentation_request.xml");
    validate_golden(
        "GetCareDocumentation_request.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn response_passes_the_official_validator() {
    let envelope = round_trip::<GetCareDocumentationResponse>("GetCareDocumentation_response.xml");
    validate_golden(
        "GetCareDocumentation_response.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        Some(&[]),
    );
}

fn golden_text(name: &str) -> String {
    String::from_utf8_lossy(&golden(name)).into_owned()
}

#[test]
fn a_response_without_result_is_refused() {
    let xml = golden_text("GetCareDocumentation_response.xml");
    let start = xml.find("<result>").expect("result");
    let end = xml.find("</result>").expect("result end") + "</result>".len();
    let broken = format!("{}{}", &xml[..start], &xml[end..]);
    let err = soap::decode_response::<GetCareDocumentation>(broken.as_bytes())
        .expect_err("result is required");
    assert_eq!(
        err,
        SoapError::Xml(XmlError::MissingElement {
            parent: "GetCareDocumentationResponseType",
            element: "result"
        })
    );
}

#[test]
fn an_unknown_result_code_is_refused() {
    let xml = golden_text("GetCareDocumentation_response.xml").replace(
        "<core:resultCode>INFO</core:resultCode>",
        "<core:resultCode>WARNING</core:resultCode>",
    );
    let err = soap::decode_response::<GetCareDocumentation>(xml.as_bytes())
        .expect_err("not a ResultCodeEnum");
    assert!(
        matches!(
            err,
            SoapError::Xml(XmlError::InvalidValue {
                element: "resultCode",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn a_request_without_patient_is_refused() {
    let xml = golden_text("GetCareDocumentation_request.xml");
    let start = xml.find("<urn1:patientId>").expect("patientId");
    let end = xml.find("</urn1:patientId>").expect("patientId end") + "</urn1:patientId>".len();
    let broken = format!("{}{}", &xml[..start], &xml[end..]);
    let err = soap::decode_request::<GetCareDocumentation>(broken.as_bytes())
        .expect_err("patientId is required");
    assert_eq!(
        err,
        SoapError::Xml(XmlError::MissingElement {
            parent: "GetCareDocumentationType",
            element: "patientId"
        })
    );
}

#[test]
fn foreign_namespace_elements_are_skipped_but_misplaced_ones_are_refused() {
    // Elements of another namespace are extension content (xs:any ##other) and skipped;
    // a core element name in the Responder namespace is an error.
    let xml = golden_text("GetCareDocumentation_response.xml").replace(
        "<hasMore>",
        "<careDocumentationHeader xmlns=\"urn:riv:clinicalprocess:healthcond:description:2\"/><hasMore>",
    );
    let envelope = soap::decode_response::<GetCareDocumentation>(xml.as_bytes())
        .expect("foreign element skipped");
    assert_eq!(envelope.body.care_documentation.len(), 4);
    let wrong =
        golden_text("GetCareDocumentation_response.xml").replace("<hasMore>", "<header/><hasMore>");
    let err = soap::decode_response::<GetCareDocumentation>(wrong.as_bytes())
        .expect_err("header is not a response child");
    assert!(
        matches!(err, SoapError::Xml(XmlError::UnexpectedElement { .. })),
        "{err:?}"
    );
}

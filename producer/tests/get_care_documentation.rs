//! GetCareDocumentation 3 over HTTPS against a running producer, on SQLite and
//! PostgreSQL. The official test suite was written for major 2; its cases are applied
//! as they carry over to the 3.0 request (IIType patient, care unit, care giver and
//! source system; no careContactId, so neither the CareContactId filters nor the
//! "careContactId without sourceSystemHSAId" case exist here): Date Boundaries (on the
//! record time stamp, which is authorTime, with edge records), CareUnitHsaId filter,
//! care giver (healthcareProvider) filter, Only PatientId, NonExisting PatientId,
//! Http-header Filter and "SourceSystemId and LogicalAddress" answered with result
//! ERROR. Plus R3, nullified notes, attachments and the other request rules. Every
//! response passes the official validator (XSD; the suite's Schematron is for major 2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::get_care_documentation::GetCareDocumentation;
use npo_contracts::healthcond_description_v3::{HSA_ID_OID, ResultType, hsa_id_of};
use npo_contracts::soap;
use npo_contracts::types::ResultCode;
use npo_producer::endpoints::soap::ORIGINAL_CONSUMER_HEADER;
use npo_producer::records::JournalRecord;
use npo_producer::records::care_documentation::{self, CareDocumentationRecord};
use support::*;

const PUPIL: &str = "201403129800";
const OTHER_PUPIL: &str = "201508079819";
const UNKNOWN_PUPIL: &str = "199001019802";
const PNR: &str = "1.2.752.129.2.1.3.1";
const UNIT_A: &str = "SE2120009994-0A01";
const UNIT_B: &str = "SE2120009994-0B02";
const OTHER_CARE_GIVER: &str = "SE2321009991-0009";
const PATH: &str = "/GetCareDocumentation/3/rivtabp21";

/// A visit note at unit A written at `author_time`, unsigned.
fn record(id: &str, patient: &str, author_time: &str) -> CareDocumentationRecord {
    CareDocumentationRecord {
        document_id: id.into(),
        source_system_hsa_id: SOURCE_SYSTEM.into(),
        patient_id: patient.into(),
        patient_id_type: PNR.into(),
        author_time: author_time.into(),
        author_hsa_id: Some("SE2120009994-P002".into()),
        author_name: Some("Anders Öberg".into()),
        author_role_code: Some("201011".into()),
        author_role_name: Some("Skolsköterska".into()),
        author_org_unit_hsa_id: Some(UNIT_A.into()),
        author_org_unit_name: Some("Elevhälsan Björkskolan".into()),
        care_unit_hsa_id: UNIT_A.into(),
        care_giver_hsa_id: VISIBLE_CARE_GIVER.into(),
        legal_authenticator_hsa_id: None,
        legal_authenticator_name: None,
        signature_time: None,
        approved_for_patient: true,
        care_contact_id: Some("vko-1".into()),
        nullified: false,
        nullified_reason: None,
        note_type_code: "bes".into(),
        note_type_display_name: None,
        note_title: Some("Hälsobesök".into()),
        note_text: Some("Hälsosamtal enligt basprogrammet.".into()),
        attachment_media_type: None,
        attachment_reference: None,
        attachment_base64: None,
    }
}

fn signed(mut r: CareDocumentationRecord, at: &str) -> CareDocumentationRecord {
    r.legal_authenticator_hsa_id = Some("SE2120009994-P002".into());
    r.legal_authenticator_name = Some("Anders Öberg".into());
    r.signature_time = Some(at.into());
    r
}

/// The records every case runs against.
fn fixtures() -> Vec<CareDocumentationRecord> {
    let mut records = vec![
        // Date Boundaries for 2024-03-01..2024-03-31, the suite's edge records: a note
        // is in the period when its authorTime (record/timestamp, author/timestamp) or
        // its signatureTime (signature/timestamp) is, end points included.
        signed(
            record("db-1-author-in", PUPIL, "20240315100000"),
            "20240415100000",
        ),
        record("db-2-author-on-start", PUPIL, "20240301000000"),
        signed(
            record("db-3-author-on-end", PUPIL, "20240331235959"),
            "20240402080000",
        ),
        signed(
            record("db-4-signed-in-author-before", PUPIL, "20240229235959"),
            "20240310100000",
        ),
        record("db-5-author-after", PUPIL, "20240401000000"),
        signed(
            record("db-6-signed-on-end-author-before", PUPIL, "20240215090000"),
            "20240331235959",
        ),
        signed(
            record("db-7-author-before-signed-after", PUPIL, "20240229235959"),
            "20240401000000",
        ),
    ];
    // Attachments instead of text.
    let mut pdf = record("attachment-pdf", PUPIL, "20250105080000");
    pdf.note_type_code = "utr".into();
    pdf.note_text = None;
    pdf.attachment_media_type = Some("application/pdf".into());
    pdf.attachment_base64 = Some("JVBERi0xLjQK".into());
    records.push(pdf);
    let mut linked = record("attachment-link", PUPIL, "20250106080000");
    linked.note_type_code = "sam".into();
    linked.note_type_display_name = Some("Sammanfattning BVC".into());
    linked.note_text = None;
    linked.attachment_media_type = Some("application/pdf".into());
    linked.attachment_reference = Some("https://dokument.example.se/sam-1.pdf".into());
    records.push(linked);
    // Care units, care givers.
    let mut unit_b = record("unit-b", PUPIL, "20250110080000");
    unit_b.care_unit_hsa_id = UNIT_B.into();
    unit_b.author_org_unit_hsa_id = None;
    unit_b.author_org_unit_name = None;
    records.push(unit_b);
    let mut other_giver = record("other-care-giver", PUPIL, "20250112080000");
    other_giver.care_giver_hsa_id = OTHER_CARE_GIVER.into();
    other_giver.author_role_code = None;
    other_giver.author_role_name = None;
    records.push(other_giver);
    // Never to be sent: nullified, another patient, another source system.
    let mut nullified = record("nullified", PUPIL, "20250113080000");
    nullified.nullified = true;
    nullified.nullified_reason = Some("Fel patient".into());
    records.push(nullified);
    records.push(record("other-pupil", OTHER_PUPIL, "20250114080000"));
    let mut other_system = record("other-system", PUPIL, "20250115080000");
    other_system.source_system_hsa_id = OTHER_SOURCE_SYSTEM.into();
    records.push(other_system);
    records
}

/// Everything PUPIL has in the served source system.
const ALL_VISIBLE: usize = 7 + 2 + 2;

fn start(backend: Backend) -> Option<TestProducer> {
    let db = TestDb::new(backend)?;
    let mut conn = db.connect();
    for r in fixtures() {
        assert!(
            r.validate().is_empty(),
            "{}: {:?}",
            r.document_id,
            r.validate()
        );
        care_documentation::upsert(&mut conn, &r).unwrap();
    }
    Some(TestProducer::start(db))
}

struct Request<'a> {
    logical_address: &'a str,
    /// `root`, `extension` of patientId.
    patient: (&'a str, &'a str),
    period: Option<(&'a str, &'a str)>,
    /// `root`, `extension` of each careUnit.
    care_units: &'a [(&'a str, &'a str)],
    care_givers: &'a [(&'a str, &'a str)],
    source_system: Option<(&'a str, &'a str)>,
    has_more_reference: Option<&'a str>,
}

impl Default for Request<'_> {
    fn default() -> Self {
        Request {
            logical_address: SOURCE_SYSTEM,
            patient: (PNR, PUPIL),
            period: None,
            care_units: &[],
            care_givers: &[],
            source_system: None,
            has_more_reference: None,
        }
    }
}

fn ii(element: &str, (root, extension): (&str, &str)) -> String {
    format!("<{element}><c:root>{root}</c:root><c:extension>{extension}</c:extension></{element}>")
}

fn envelope(r: &Request<'_>) -> String {
    let mut body = String::new();
    for unit in r.care_units {
        body += &ii("careUnit", *unit);
    }
    for giver in r.care_givers {
        body += &ii("healthcareProvider", *giver);
    }
    body += &ii("patientId", r.patient);
    if let Some((start, end)) = r.period {
        body += &format!("<datePeriod><c:start>{start}</c:start><c:end>{end}</c:end></datePeriod>");
    }
    if let Some(source) = r.source_system {
        body += &ii("sourceSystemId", source);
    }
    if let Some(reference) = r.has_more_reference {
        body += &format!("<hasMoreReference>{reference}</hasMoreReference>");
    }
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{}</a:LogicalAddress></s:Header><s:Body><GetCareDocumentation xmlns="urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:3" xmlns:c="urn:riv:clinicalprocess:healthcond:description:3">{body}</GetCareDocumentation></s:Body></s:Envelope>"#,
        r.logical_address
    )
}

/// Calls, checks the response with the official validator, and decodes it; returns the
/// document ids (sorted), the result and the body.
async fn call(
    producer: &TestProducer,
    name: &str,
    request: &Request<'_>,
    headers: &[(&str, &str)],
) -> (Vec<String>, ResultType, String) {
    let (status, body) = producer.post(PATH, envelope(request), headers).await;
    assert_eq!(status, 200, "{body}");
    official_validate(&format!("GetCareDocumentation-{name}"), &body, &[]);
    let response = soap::decode_response::<GetCareDocumentation>(body.as_bytes())
        .expect("valid response")
        .body;
    assert!(
        response.has_more.is_empty(),
        "this producer never sends hasMore"
    );
    let mut ids: Vec<String> = response
        .care_documentation
        .iter()
        .map(|d| {
            let record = &d.header.record.id;
            assert_eq!(record.root, SOURCE_SYSTEM);
            record.extension.clone().unwrap_or_default()
        })
        .collect();
    ids.sort();
    (ids, response.result, body)
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

fn assert_invalid(result: &ResultType, mentions: &str) {
    assert_eq!(result.result_code, ResultCode::Error);
    let text = result.result_text.as_deref().unwrap_or_default();
    assert!(text.starts_with("INVALID_REQUEST"), "{text}");
    assert!(text.contains(mentions), "{text}");
}

/// Only PatientId: everything of the patient in the served source system, and nothing
/// nullified, of another patient or of another source system (R3).
async fn basic(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let (status, body) = producer
        .post(PATH, envelope(&Request::default()), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    official_validate("GetCareDocumentation-basic", &body, &[]);
    let response = soap::decode_response::<GetCareDocumentation>(body.as_bytes())
        .unwrap()
        .body;
    assert_eq!(response.result, ResultType::ok());
    assert_eq!(response.care_documentation.len(), ALL_VISIBLE);
    let ids: Vec<&str> = response
        .care_documentation
        .iter()
        .filter_map(|d| d.header.record.id.extension.as_deref())
        .collect();
    for unwanted in ["nullified", "other-pupil", "other-system"] {
        assert!(!ids.contains(&unwanted), "{unwanted} was sent");
    }
    assert!(!body.contains("nullified") && !body.contains("vko-1"));
    // The header mapping, and attachments instead of text.
    for note in &response.care_documentation {
        let access = &note.header.access_control_header;
        assert_eq!(access.patient_id.root, PNR);
        assert_eq!(access.patient_id.extension.as_deref(), Some(PUPIL));
        assert_eq!(
            hsa_id_of(&note.header.source_system_id),
            Some(SOURCE_SYSTEM)
        );
        assert!(
            access
                .accountable_care_unit
                .as_ref()
                .is_some_and(|u| u.root == HSA_ID_OID)
        );
        assert_eq!(access.block_comparison_time, note.header.record.timestamp);
        let body = &note.body;
        assert!(body.clinical_document_note_code.follows_cv_rule());
        assert!(body.clinical_document_note_text.is_some() != body.multimedia_entry.is_some());
    }
    let pdf = response
        .care_documentation
        .iter()
        .find(|d| d.header.record.id.extension.as_deref() == Some("attachment-pdf"))
        .and_then(|d| d.body.multimedia_entry.as_ref())
        .expect("the PDF note");
    assert_eq!(pdf.media_type, "application/pdf");
    assert_eq!(
        pdf.value.as_ref().map(|v| v.0.clone()),
        Some(b"%PDF-1.4\n".to_vec())
    );
    assert!(body.contains("https://dokument.example.se/sam-1.pdf"));
    assert!(body.contains("Sammanfattning BVC"));
    producer.stop().await;
}

async fn date_boundaries(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let request = Request {
        period: Some(("20240301", "20240331")),
        ..Request::default()
    };
    let (ids, result, _) = call(&producer, "dates", &request, &[]).await;
    assert_eq!(result.result_code, ResultCode::Ok);
    // Signed in the period counts even when written before it (db-4, db-6); written
    // before and signed after does not (db-7).
    assert_eq!(
        ids,
        sorted(&[
            "db-1-author-in",
            "db-2-author-on-start",
            "db-3-author-on-end",
            "db-4-signed-in-author-before",
            "db-6-signed-on-end-author-before",
        ])
    );
    // A one-day period on the last day: written on it, or signed on it.
    let request = Request {
        period: Some(("20240331", "20240331")),
        ..Request::default()
    };
    let (ids, ..) = call(&producer, "one-day", &request, &[]).await;
    assert_eq!(
        ids,
        sorted(&["db-3-author-on-end", "db-6-signed-on-end-author-before"])
    );
    producer.stop().await;
}

async fn filters(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // CareUnitHsaId filter (careUnit).
    let request = Request {
        care_units: &[(HSA_ID_OID, UNIT_B)],
        source_system: Some((HSA_ID_OID, SOURCE_SYSTEM)),
        ..Request::default()
    };
    assert_eq!(call(&producer, "unit", &request, &[]).await.0, ["unit-b"]);
    let request = Request {
        care_units: &[(HSA_ID_OID, UNIT_A), (HSA_ID_OID, UNIT_B)],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "units", &request, &[]).await.0.len(),
        ALL_VISIBLE
    );
    // Care giver filter (healthcareProvider).
    let request = Request {
        care_givers: &[(HSA_ID_OID, OTHER_CARE_GIVER)],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "giver", &request, &[]).await.0,
        ["other-care-giver"]
    );
    let request = Request {
        care_givers: &[(HSA_ID_OID, VISIBLE_CARE_GIVER)],
        period: Some(("20240301", "20240331")),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "giver-and-period", &request, &[])
            .await
            .0
            .len(),
        5,
        "the five Date Boundaries records in March"
    );
    // sourceSystemId equal to the LogicalAddress (case does not matter).
    let lower = SOURCE_SYSTEM.to_lowercase();
    let request = Request {
        source_system: Some((HSA_ID_OID, &lower)),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "source", &request, &[]).await.0.len(),
        ALL_VISIBLE
    );
    // Http-header Filter: the restricted consumer sees only its care giver's notes.
    let (ids, ..) = call(
        &producer,
        "restricted",
        &Request::default(),
        &[(ORIGINAL_CONSUMER_HEADER, RESTRICTED_CONSUMER)],
    )
    .await;
    assert_eq!(ids.len(), ALL_VISIBLE - 1);
    assert!(!ids.contains(&"other-care-giver".to_string()));
    let (ids, ..) = call(
        &producer,
        "unrestricted",
        &Request::default(),
        &[(ORIGINAL_CONSUMER_HEADER, "SE5599000022-ANY1")],
    )
    .await;
    assert_eq!(ids.len(), ALL_VISIBLE);
    producer.stop().await;
}

async fn unknown_patient_and_invalid_requests(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // NonExisting PatientId: empty list, OK.
    let request = Request {
        patient: (PNR, UNKNOWN_PUPIL),
        ..Request::default()
    };
    let (ids, result, _) = call(&producer, "unknown-patient", &request, &[]).await;
    assert!(ids.is_empty());
    assert_eq!(result, ResultType::ok());
    // SourceSystemId and LogicalAddress do not match.
    let request = Request {
        source_system: Some((HSA_ID_OID, OTHER_SOURCE_SYSTEM)),
        ..Request::default()
    };
    let (ids, result, _) = call(&producer, "invalid-source", &request, &[]).await;
    assert!(ids.is_empty());
    assert_invalid(&result, "sourceSystemId");
    // Ids that are not HSA IITypes.
    let request = Request {
        care_units: &[("1.2.3.4", UNIT_B)],
        ..Request::default()
    };
    let (ids, result, _) = call(&producer, "unit-not-hsa", &request, &[]).await;
    assert!(ids.is_empty());
    assert_invalid(&result, "careUnit");
    let request = Request {
        care_givers: &[(HSA_ID_OID, "")],
        ..Request::default()
    };
    let (_, result, _) = call(&producer, "giver-empty", &request, &[]).await;
    assert_invalid(&result, "healthcareProvider");
    // A hasMoreReference this producer never issued.
    let request = Request {
        has_more_reference: Some("ref-1"),
        ..Request::default()
    };
    let (ids, result, _) = call(&producer, "has-more", &request, &[]).await;
    assert!(ids.is_empty());
    assert_invalid(&result, "hasMoreReference");
    // A period that ends before it starts.
    let request = Request {
        period: Some(("20240331", "20240301")),
        ..Request::default()
    };
    let (_, result, _) = call(&producer, "reversed-period", &request, &[]).await;
    assert_invalid(&result, "period");
    // An invalid personnummer, and a patient id of an unknown kind: the message does
    // not echo the number.
    let request = Request {
        patient: (PNR, "201403129801"),
        ..Request::default()
    };
    let (_, result, body) = call(&producer, "invalid-patient", &request, &[]).await;
    assert_invalid(&result, "patientId");
    assert!(!body.contains("201403129801"));
    let request = Request {
        patient: ("1.2.3.4", PUPIL),
        ..Request::default()
    };
    let (_, result, body) = call(&producer, "patient-kind", &request, &[]).await;
    assert_invalid(&result, "patientId");
    assert!(!body.contains(PUPIL));
    producer.stop().await;
}

macro_rules! on_both_backends {
    ($($case:ident),*) => {
        mod sqlite {
            $( #[actix_rt::test] async fn $case() { super::$case(super::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[actix_rt::test] async fn $case() { super::$case(super::Backend::Postgres).await } )*
        }
    };
}

on_both_backends!(
    basic,
    date_boundaries,
    filters,
    unknown_patient_and_invalid_requests
);

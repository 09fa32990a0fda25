//! GetVaccinationHistory 2 over HTTPS against a running producer, on SQLite and
//! PostgreSQL: the official test suite's cases (Date Boundaries with its eight records
//! plus edge records, CareUnitHsaId Filter, Only PatientId, NonExisting PatientId,
//! CareContactId Filter, NonExisting CareContactId, Http-header Filter, both
//! invalid-request cases), open-ended periods, R3 and nullified records. Every response
//! passes the official validator (XSD; the suite's Schematron is for major 1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::get_vaccination_history::{
    GetVaccinationHistory, GetVaccinationHistoryResponse,
};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::{ErrorCode, ResultCode, ResultType};
use npo_producer::endpoints::soap::ORIGINAL_CONSUMER_HEADER;
use npo_producer::records::JournalRecord;
use npo_producer::records::vaccination::{self, VaccinationRecord};
use support::*;

const PUPIL: &str = "201403129800";
const OTHER_PUPIL: &str = "201508079819";
const UNKNOWN_PUPIL: &str = "199001019802";
const PNR: &str = "1.2.752.129.2.1.3.1";
const UNIT_A: &str = "SE2120009994-0A01";
const UNIT_B: &str = "SE2120009994-0B02";
const OTHER_CARE_GIVER: &str = "SE2321009991-0009";
const PATH: &str = "/GetVaccinationHistory/2/rivtabp21";

/// Times for the Date Boundaries period 2024-03-01..2024-03-31.
const IN: &str = "20240315100000";
const BEFORE: &str = "20240229235959";
const AFTER: &str = "20240401000000";

/// A vaccination given at `given`, documented at `author`, signed at `signed` (if).
fn record(
    id: &str,
    patient: &str,
    given: &str,
    author: &str,
    signed: Option<&str>,
) -> VaccinationRecord {
    VaccinationRecord {
        document_id: id.into(),
        source_system_hsa_id: SOURCE_SYSTEM.into(),
        patient_id: patient.into(),
        patient_id_type: PNR.into(),
        author_time: author.into(),
        author_hsa_id: Some("SE2120009994-P002".into()),
        author_name: Some("Anna Berg".into()),
        author_role_code: Some("206010".into()),
        author_role_name: Some("Skolsköterska".into()),
        author_org_unit_hsa_id: Some(UNIT_A.into()),
        author_org_unit_name: Some("Elevhälsan Björkskolan".into()),
        care_unit_hsa_id: UNIT_A.into(),
        care_giver_hsa_id: VISIBLE_CARE_GIVER.into(),
        legal_authenticator_hsa_id: signed.map(|_| "SE2120009994-P002".into()),
        legal_authenticator_name: signed.map(|_| "Anna Berg".into()),
        signature_time: signed.map(Into::into),
        approved_for_patient: true,
        care_contact_id: None,
        nullified: false,
        nullified_reason: None,
        administration_time: given.into(),
        vaccine_npl_id: Some("19980716000033".into()),
        vaccine_name: Some("Priorix".into()),
        vaccine_type_code: Some("J07BD52".into()),
        vaccine_type_name: Some("Mässling, påssjuka, röda hund".into()),
        in_national_programme: true,
        dose_ordinal_number: Some(2),
        vaccine_batch_id: Some("A69CC123A".into()),
        route: Some("Subkutan".into()),
        route_code: Some("34206005".into()),
        route_code_system: None,
        anatomical_site: Some("Vänster överarm".into()),
        anatomical_site_code: None,
        anatomical_site_code_system: None,
        performer_hsa_id: Some("SE2120009994-P002".into()),
        performer_name: Some("Anna Berg".into()),
        administration_comment: Some("Ingen reaktion efter 15 minuter".into()),
        care_giver_name: Some("Exempel kommun".into()),
        source_system_name: Some("Elevhälsans journal, Exempel kommun".into()),
    }
}

fn later(id: &str, given: &str) -> VaccinationRecord {
    record(id, PUPIL, given, given, Some(given))
}

/// The records every case runs against.
fn fixtures() -> Vec<VaccinationRecord> {
    let mut records = vec![
        // The suite's eight Date Boundaries records. It names the header's
        // documentTime; this journal's record date is the day the vaccine was given
        // (registrationRecord.date), which takes its place in the rule.
        record("db-1-given", PUPIL, IN, BEFORE, Some(AFTER)),
        record("db-2-author", PUPIL, BEFORE, IN, Some(AFTER)),
        record("db-3-signature", PUPIL, AFTER, BEFORE, Some(IN)),
        record("db-4-given-author", PUPIL, IN, IN, Some(AFTER)),
        record("db-5-given-signature", PUPIL, IN, AFTER, Some(IN)),
        record("db-6-signature-author", PUPIL, BEFORE, IN, Some(IN)),
        record("db-7-all", PUPIL, IN, IN, Some(IN)),
        record("db-8-none", PUPIL, BEFORE, BEFORE, Some(AFTER)),
        // Edges: exactly on the first and last second, given on the first and last day
        // (date only), and just outside without a signature.
        record(
            "db-edge-author-first-second",
            PUPIL,
            BEFORE,
            "20240301000000",
            None,
        ),
        record(
            "db-edge-signed-last-second",
            PUPIL,
            BEFORE,
            BEFORE,
            Some("20240331235959"),
        ),
        record(
            "db-edge-given-first-day",
            PUPIL,
            "20240301",
            AFTER,
            Some(AFTER),
        ),
        record("db-edge-given-last-day", PUPIL, "20240331", AFTER, None),
        record(
            "db-edge-all-just-outside",
            PUPIL,
            "20240229",
            BEFORE,
            Some(AFTER),
        ),
        record("db-edge-unsigned-after", PUPIL, "20240401", AFTER, None),
    ];
    // Care units, care contacts, care givers.
    let mut unit_b = later("unit-b", "20250110080000");
    unit_b.care_unit_hsa_id = UNIT_B.into();
    unit_b.care_contact_id = Some("vko-2".into());
    records.push(unit_b);
    let mut contact_1 = later("contact-1", "20250111080000");
    contact_1.care_contact_id = Some("vko-1".into());
    records.push(contact_1);
    // Another care giver's record, minimal: type of vaccine as text, date only.
    let mut other_giver = later("other-care-giver", "20250112");
    other_giver.author_time = "20250112080000".into();
    other_giver.signature_time = Some("20250112080000".into());
    other_giver.care_giver_hsa_id = OTHER_CARE_GIVER.into();
    other_giver.vaccine_npl_id = None;
    other_giver.vaccine_name = None;
    other_giver.vaccine_type_code = None;
    other_giver.vaccine_type_name = Some("Difteri, stelkramp, kikhosta, polio".into());
    other_giver.in_national_programme = false;
    other_giver.route = None;
    other_giver.route_code = None;
    other_giver.anatomical_site = None;
    other_giver.care_giver_name = None;
    other_giver.source_system_name = None;
    records.push(other_giver);
    // Never to be sent: nullified, another patient, another source system.
    let mut nullified = later("nullified", "20250113080000");
    nullified.nullified = true;
    nullified.nullified_reason = Some("Dubbelregistrering".into());
    records.push(nullified);
    records.push(record(
        "other-pupil",
        OTHER_PUPIL,
        "20250114080000",
        "20250114080000",
        None,
    ));
    let mut other_system = later("other-system", "20250115080000");
    other_system.source_system_hsa_id = OTHER_SOURCE_SYSTEM.into();
    records.push(other_system);
    records
}

/// The ids a request for PUPIL without filters must return.
fn all_visible() -> Vec<String> {
    sorted(
        fixtures()
            .into_iter()
            .filter(|r| r.patient_id == PUPIL && r.source_system_hsa_id == SOURCE_SYSTEM)
            .filter(|r| !r.nullified)
            .map(|r| r.document_id)
            .collect(),
    )
}

fn start(backend: Backend) -> Option<TestProducer> {
    let db = TestDb::new(backend)?;
    let mut conn = db.connect();
    for r in fixtures() {
        assert_eq!(r.validate(), Vec::new(), "{}", r.document_id);
        vaccination::upsert(&mut conn, &r).unwrap();
    }
    Some(TestProducer::start(db))
}

struct Request<'a> {
    logical_address: &'a str,
    care_units: &'a [&'a str],
    patient: &'a str,
    period: Option<(Option<&'a str>, Option<&'a str>)>,
    source_system: Option<&'a str>,
    care_contacts: &'a [&'a str],
}

impl Default for Request<'_> {
    fn default() -> Self {
        Request {
            logical_address: SOURCE_SYSTEM,
            care_units: &[],
            patient: PUPIL,
            period: None,
            source_system: None,
            care_contacts: &[],
        }
    }
}

/// The request, with the contract's spelling `careUnitHSAid` / `sourceSystemHSAid`.
fn envelope(r: &Request<'_>) -> String {
    let mut body = String::new();
    for unit in r.care_units {
        body += &format!("<careUnitHSAid>{unit}</careUnitHSAid>");
    }
    body += &format!(
        "<patientId><c:id>{}</c:id><c:type>{PNR}</c:type></patientId>",
        r.patient
    );
    if let Some((start, end)) = r.period {
        body += "<timePeriod>";
        if let Some(start) = start {
            body += &format!("<c:start>{start}</c:start>");
        }
        if let Some(end) = end {
            body += &format!("<c:end>{end}</c:end>");
        }
        body += "</timePeriod>";
    }
    if let Some(source) = r.source_system {
        body += &format!("<sourceSystemHSAid>{source}</sourceSystemHSAid>");
    }
    for contact in r.care_contacts {
        body += &format!("<careContactId>{contact}</careContactId>");
    }
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{}</a:LogicalAddress></s:Header><s:Body><GetVaccinationHistory xmlns="urn:riv:clinicalprocess:activityprescription:actoutcome:GetVaccinationHistoryResponder:2" xmlns:c="urn:riv:clinicalprocess:activityprescription:actoutcome:2">{body}</GetVaccinationHistory></s:Body></s:Envelope>"#,
        r.logical_address
    )
}

/// One answer: the sorted document ids, the result, the decoded response, the XML.
struct Answer {
    ids: Vec<String>,
    result: ResultType,
    response: GetVaccinationHistoryResponse,
    body: String,
}

/// Calls, checks the answer with the official validator, and decodes it.
async fn call(
    producer: &TestProducer,
    name: &str,
    request: &Request<'_>,
    headers: &[(&str, &str)],
) -> Answer {
    let (status, body) = producer.post(PATH, envelope(request), headers).await;
    assert_eq!(status, 200, "{body}");
    official_validate(&format!("GetVaccinationHistory-{name}"), &body, &[]);
    let response = soap::decode_response::<GetVaccinationHistory>(body.as_bytes())
        .expect("valid response")
        .body;
    let ids = sorted(
        response
            .vaccination_medical_record
            .iter()
            .map(|v| v.vaccination_medical_record_header.document_id.clone())
            .collect(),
    );
    Answer {
        ids,
        result: response.result.clone(),
        response,
        body,
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn assert_invalid(answer: &Answer, mentions: &str) {
    assert!(answer.ids.is_empty());
    assert_eq!(
        (answer.result.result_code, answer.result.error_code),
        (ResultCode::Error, Some(ErrorCode::InvalidRequest)),
        "{}",
        answer.body
    );
    let message = answer.result.message.as_deref().unwrap_or_default();
    assert!(message.contains(mentions), "{message}");
    assert!(uuid::Uuid::parse_str(&answer.result.log_id).is_ok());
}

async fn basic(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // Only PatientId.
    let answer = call(&producer, "basic", &Request::default(), &[]).await;
    assert_eq!(answer.result.result_code, ResultCode::Ok);
    assert!(uuid::Uuid::parse_str(&answer.result.log_id).is_ok());
    assert_eq!(answer.ids, all_visible());
    for unwanted in ["nullified", "other-pupil", "other-system"] {
        assert!(!answer.ids.contains(&unwanted.to_string()));
    }
    for record in &answer.response.vaccination_medical_record {
        let header = &record.vaccination_medical_record_header;
        assert_eq!(header.patient_id.id, PUPIL);
        assert_eq!(header.source_system_hsa_id, SOURCE_SYSTEM);
        // The field rules want `nullified` in every header; never a reason.
        assert_eq!(header.nullified, Some(false));
        assert_eq!(header.nullified_reason, None);
    }
    assert_eq!(
        answer.body.matches(":nullified>false</").count(),
        answer.ids.len()
    );
    assert!(!answer.body.contains("nullifiedReason"));
    // A fresh logId every time.
    let again = call(&producer, "basic-again", &Request::default(), &[]).await;
    assert_ne!(again.result.log_id, answer.result.log_id);
    producer.stop().await;
}

async fn date_boundaries(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let request = Request {
        period: Some((Some("20240301"), Some("20240331"))),
        ..Request::default()
    };
    let answer = call(&producer, "dates", &request, &[]).await;
    assert_eq!(answer.result.result_code, ResultCode::Ok);
    assert_eq!(
        answer.ids,
        [
            "db-1-given",
            "db-2-author",
            "db-3-signature",
            "db-4-given-author",
            "db-5-given-signature",
            "db-6-signature-author",
            "db-7-all",
            "db-edge-author-first-second",
            "db-edge-given-first-day",
            "db-edge-given-last-day",
            "db-edge-signed-last-second",
        ]
    );
    // Open-ended periods (both ends are optional in this contract).
    let request = Request {
        period: Some((Some("20240401"), None)),
        ..Request::default()
    };
    let answer = call(&producer, "dates-from", &request, &[]).await;
    let expected: Vec<String> = all_visible()
        .into_iter()
        .filter(|id| {
            ![
                "db-6-signature-author",
                "db-7-all",
                "db-edge-author-first-second",
                "db-edge-signed-last-second",
            ]
            .contains(&id.as_str())
        })
        .collect();
    assert_eq!(answer.ids, expected);
    let request = Request {
        period: Some((None, Some("20240229"))),
        ..Request::default()
    };
    let answer = call(&producer, "dates-until", &request, &[]).await;
    assert_eq!(
        answer.ids,
        [
            "db-1-given",
            "db-2-author",
            "db-3-signature",
            "db-6-signature-author",
            "db-8-none",
            "db-edge-all-just-outside",
            "db-edge-author-first-second",
            "db-edge-signed-last-second",
        ]
    );
    producer.stop().await;
}

async fn filters(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // CareUnitHsaId Filter (careUnitHSAid).
    let request = Request {
        care_units: &[UNIT_B],
        source_system: Some(SOURCE_SYSTEM),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "care-unit", &request, &[]).await.ids,
        ["unit-b"]
    );
    let request = Request {
        care_units: &[UNIT_A, UNIT_B],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "care-units", &request, &[]).await.ids,
        all_visible()
    );
    // CareContactId Filter (needs sourceSystemHSAid) and NonExisting CareContactId.
    let request = Request {
        source_system: Some(SOURCE_SYSTEM),
        care_contacts: &["vko-1"],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "care-contact", &request, &[]).await.ids,
        ["contact-1"]
    );
    let request = Request {
        source_system: Some(SOURCE_SYSTEM),
        care_contacts: &["vko-1", "vko-2"],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "care-contacts", &request, &[]).await.ids,
        ["contact-1", "unit-b"]
    );
    let request = Request {
        source_system: Some(SOURCE_SYSTEM),
        care_contacts: &["1122334455"],
        ..Request::default()
    };
    let answer = call(&producer, "care-contact-unknown", &request, &[]).await;
    assert!(answer.ids.is_empty());
    assert_eq!(answer.result.result_code, ResultCode::Ok);
    // Http-header Filter: the restricted consumer sees only its care giver's records.
    let restricted = [(ORIGINAL_CONSUMER_HEADER, RESTRICTED_CONSUMER)];
    let answer = call(&producer, "http-header", &Request::default(), &restricted).await;
    let expected: Vec<String> = all_visible()
        .into_iter()
        .filter(|id| id != "other-care-giver")
        .collect();
    assert_eq!(answer.ids, expected);
    // An unconfigured consumer is not restricted.
    let anyone = [(ORIGINAL_CONSUMER_HEADER, "SE5599000022-ANY1")];
    assert_eq!(
        call(&producer, "http-header-other", &Request::default(), &anyone)
            .await
            .ids,
        all_visible()
    );
    producer.stop().await;
}

async fn unknown_patient_and_invalid_requests(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // NonExisting PatientId: empty list, OK.
    let request = Request {
        patient: UNKNOWN_PUPIL,
        ..Request::default()
    };
    let answer = call(&producer, "unknown-patient", &request, &[]).await;
    assert!(answer.ids.is_empty());
    assert_eq!(answer.result.result_code, ResultCode::Ok);
    // SourceSystemHsaId and LogicalAddress: they differ (the message uses the
    // request's spelling).
    let request = Request {
        care_units: &[UNIT_A],
        source_system: Some(OTHER_SOURCE_SYSTEM),
        care_contacts: &["vko-1"],
        ..Request::default()
    };
    let answer = call(&producer, "invalid-source", &request, &[]).await;
    assert_invalid(&answer, "sourceSystemHSAid");
    // CareContactId and SourceSystemHsaId: careContactId without sourceSystemHSAid.
    let request = Request {
        care_contacts: &["vko-1"],
        ..Request::default()
    };
    let answer = call(&producer, "invalid-contact", &request, &[]).await;
    assert_invalid(&answer, "careContactId requires sourceSystemHSAid");
    // A period that ends before it starts.
    let request = Request {
        period: Some((Some("20240331"), Some("20240301"))),
        ..Request::default()
    };
    let answer = call(&producer, "invalid-period", &request, &[]).await;
    assert_invalid(&answer, "period");
    // An invalid personnummer: the message does not echo the number.
    let request = Request {
        patient: "201403129801",
        ..Request::default()
    };
    let answer = call(&producer, "invalid-patient", &request, &[]).await;
    assert_invalid(&answer, "patientId");
    assert!(!answer.body.contains("201403129801"));
    producer.stop().await;
}

async fn faults_and_wsdl(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // A LogicalAddress this producer does not serve: a SOAP Fault, not data (R3).
    let request = Request {
        logical_address: OTHER_SOURCE_SYSTEM,
        ..Request::default()
    };
    let (status, body) = producer.post(PATH, envelope(&request), &[]).await;
    assert_eq!(status, 500);
    match soap::decode_response::<GetVaccinationHistory>(body.as_bytes()) {
        Err(SoapError::Fault(fault)) => {
            assert!(fault.string.contains("not a source system served"));
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    // The WSDL with this server's address.
    let (status, wsdl) = producer.get(&format!("{PATH}?wsdl")).await;
    assert_eq!(status, 200);
    assert!(wsdl.contains(&format!("https://localhost:{}{PATH}", producer.port)));
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
    unknown_patient_and_invalid_requests,
    faults_and_wsdl
);

//! GetCareContacts 3 over HTTPS against a running producer, on SQLite and PostgreSQL:
//! the official test suite's cases (Date Boundaries with its nine contacts plus edge
//! records, CareUnitHsaId Filter, CareGiverHSAId Filter, Only PatientId, NonExisting
//! PatientId, CareContactId Filter, NonExisting CareContactId, Http-header Filter, and
//! both invalid-request cases, answered with result ERROR/INVALID_REQUEST as the TKB
//! prescribes) plus R3, nullified records and the forbidden header elements. Every
//! response passes the official validator (XSD + the suite's Schematron).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::get_care_contacts::GetCareContacts;
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::{ErrorCode, ResultCode, ResultType};
use npo_producer::endpoints::soap::ORIGINAL_CONSUMER_HEADER;
use npo_producer::records::JournalRecord;
use npo_producer::records::care_contact::{self, CareContactRecord};
use support::*;

const PUPIL: &str = "201403129800";
const OTHER_PUPIL: &str = "201508079819";
const UNKNOWN_PUPIL: &str = "199001019802";
const PNR: &str = "1.2.752.129.2.1.3.1";
const UNIT_A: &str = "SE2120009994-0A01";
const UNIT_B: &str = "SE2120009994-0B02";
const OTHER_CARE_GIVER: &str = "SE2321009991-0009";
const PATH: &str = "/GetCareContacts/3/rivtabp21";

/// A finished visit at unit A, written at `author_time`, lasting `start`..`end`.
fn record(
    id: &str,
    patient: &str,
    author_time: &str,
    start: &str,
    end: Option<&str>,
) -> CareContactRecord {
    CareContactRecord {
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
        // Stored, but GetCareContacts must never send a legalAuthenticator.
        legal_authenticator_hsa_id: Some("SE2120009994-P002".into()),
        legal_authenticator_name: Some("Anders Öberg".into()),
        signature_time: Some(author_time.into()),
        approved_for_patient: true,
        care_contact_id: None,
        nullified: false,
        nullified_reason: None,
        care_contact_code: "1".into(),
        care_contact_reason: Some("Hälsobesök".into()),
        care_contact_org_unit_hsa_id: Some(UNIT_A.into()),
        care_contact_org_unit_name: Some("Elevhälsan Björkskolan".into()),
        care_contact_start: start.into(),
        care_contact_end: end.map(Into::into),
        care_contact_status: Some(
            if end.is_some() {
                "Avslutad"
            } else {
                "Ej påbörjad"
            }
            .into(),
        ),
    }
}

/// Outside the DateBoundaries period 2024-03-01..2024-03-31.
const BEFORE: &str = "20240201100000";

/// The suite's nine Date Boundaries contacts (1-6 expected, 7-9 not) for the period
/// 2024-03-01..2024-03-31, with the edges exactly on the period's first and last second
/// and one second outside.
fn date_boundary_records() -> Vec<CareContactRecord> {
    vec![
        // 1. authorTime in the period (on its last second), the contact before it.
        record(
            "db-1-author-in",
            PUPIL,
            "20240331235959",
            "20240115100000",
            Some("20240115110000"),
        ),
        // 1b. authorTime on the first second, the contact after the period.
        record(
            "db-1b-author-on-start",
            PUPIL,
            "20240301000000",
            "20240510100000",
            Some("20240510110000"),
        ),
        // 2. Starts before, ends in (exactly on the first second).
        record(
            "db-2-ends-on-start",
            PUPIL,
            BEFORE,
            "20240229230000",
            Some("20240301000000"),
        ),
        // 3. Starts in (exactly on the last second), ends after.
        record(
            "db-3-starts-on-end",
            PUPIL,
            BEFORE,
            "20240331235959",
            Some("20240401010000"),
        ),
        // 4. Starts before, ends after.
        record(
            "db-4-spans",
            PUPIL,
            BEFORE,
            "20240215080000",
            Some("20240415160000"),
        ),
        // 5. Starts and ends in.
        record(
            "db-5-within",
            PUPIL,
            BEFORE,
            "20240312100000",
            Some("20240312103000"),
        ),
        // 6. Starts before, no end (ongoing).
        {
            let mut r = record("db-6-open-before", PUPIL, BEFORE, "20240220080000", None);
            r.care_contact_code = "3".into();
            r.care_contact_status = Some("Pågående".into());
            r
        },
        // 7. Starts and ends before (one second before the period).
        record(
            "db-7-before",
            PUPIL,
            BEFORE,
            "20240229230000",
            Some("20240229235959"),
        ),
        // 8. Starts and ends after (starting one second after).
        record(
            "db-8-after",
            PUPIL,
            "20240229235959",
            "20240401000000",
            Some("20240401003000"),
        ),
        // 9. Planned after the period, no end.
        record("db-9-planned-after", PUPIL, BEFORE, "20240402090000", None),
    ]
}

const EXPECTED_IN_PERIOD: [&str; 7] = [
    "db-1-author-in",
    "db-1b-author-on-start",
    "db-2-ends-on-start",
    "db-3-starts-on-end",
    "db-4-spans",
    "db-5-within",
    "db-6-open-before",
];

/// The records every case runs against.
fn fixtures() -> Vec<CareContactRecord> {
    let mut records = date_boundary_records();
    // Care units, care givers.
    let mut unit_b = record(
        "unit-b",
        PUPIL,
        "20250110080000",
        "20250110080000",
        Some("20250110083000"),
    );
    unit_b.care_unit_hsa_id = UNIT_B.into();
    unit_b.care_contact_code = "2".into();
    unit_b.care_contact_org_unit_hsa_id = None;
    unit_b.care_contact_org_unit_name = None;
    records.push(unit_b);
    let mut other_giver = record(
        "other-care-giver",
        PUPIL,
        "20250112080000",
        "20250112080000",
        Some("20250112090000"),
    );
    other_giver.care_giver_hsa_id = OTHER_CARE_GIVER.into();
    other_giver.care_contact_reason = None;
    other_giver.care_contact_status = None;
    records.push(other_giver);
    // Never to be sent: nullified, another patient, another source system.
    let mut nullified = record("nullified", PUPIL, "20250113080000", "20250113080000", None);
    nullified.nullified = true;
    nullified.nullified_reason = Some("Fel patient".into());
    records.push(nullified);
    records.push(record(
        "other-pupil",
        OTHER_PUPIL,
        "20250114080000",
        "20250114080000",
        None,
    ));
    let mut other_system = record(
        "other-system",
        PUPIL,
        "20250115080000",
        "20250115080000",
        None,
    );
    other_system.source_system_hsa_id = OTHER_SOURCE_SYSTEM.into();
    records.push(other_system);
    records
}

/// Everything PUPIL has in the served source system.
const ALL_VISIBLE: usize = 10 + 2;

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
        care_contact::upsert(&mut conn, &r).unwrap();
    }
    Some(TestProducer::start(db))
}

struct Request<'a> {
    logical_address: &'a str,
    patient: &'a str,
    period: Option<(&'a str, &'a str)>,
    care_units: &'a [&'a str],
    care_givers: &'a [&'a str],
    source_system: Option<&'a str>,
    care_contacts: &'a [&'a str],
}

impl Default for Request<'_> {
    fn default() -> Self {
        Request {
            logical_address: SOURCE_SYSTEM,
            patient: PUPIL,
            period: None,
            care_units: &[],
            care_givers: &[],
            source_system: None,
            care_contacts: &[],
        }
    }
}

fn envelope(r: &Request<'_>) -> String {
    let mut body = String::new();
    for unit in r.care_units {
        body += &format!("<careUnitHSAId>{unit}</careUnitHSAId>");
    }
    for giver in r.care_givers {
        body += &format!("<careGiverHSAId>{giver}</careGiverHSAId>");
    }
    body += &format!(
        "<patientId><c:id>{}</c:id><c:type>{PNR}</c:type></patientId>",
        r.patient
    );
    if let Some((start, end)) = r.period {
        body += &format!("<datePeriod><c:start>{start}</c:start><c:end>{end}</c:end></datePeriod>");
    }
    if let Some(source) = r.source_system {
        body += &format!("<sourceSystemHSAId>{source}</sourceSystemHSAId>");
    }
    for contact in r.care_contacts {
        body += &format!("<careContactId>{contact}</careContactId>");
    }
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{}</a:LogicalAddress></s:Header><s:Body><GetCareContacts xmlns="urn:riv:clinicalprocess:logistics:logistics:GetCareContactsResponder:3" xmlns:c="urn:riv:clinicalprocess:logistics:logistics:3">{body}</GetCareContacts></s:Body></s:Envelope>"#,
        r.logical_address
    )
}

/// Calls, checks the response with the official validator, and decodes it; returns the
/// document ids (sorted) and the result.
async fn call(
    producer: &TestProducer,
    name: &str,
    request: &Request<'_>,
    headers: &[(&str, &str)],
) -> (Vec<String>, ResultType, String) {
    let (status, body) = producer.post(PATH, envelope(request), headers).await;
    assert_eq!(status, 200, "{body}");
    official_validate(&format!("GetCareContacts-{name}"), &body, &[]);
    let response = soap::decode_response::<GetCareContacts>(body.as_bytes())
        .expect("valid response")
        .body;
    for contact in &response.care_contact {
        assert!(
            contact.care_contact_header.follows_care_contact_rules(),
            "{name}: a forbidden header element was sent"
        );
    }
    let mut ids: Vec<String> = response
        .care_contact
        .iter()
        .map(|c| c.care_contact_header.document_id.clone())
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
    assert_eq!(
        (result.result_code, result.error_code),
        (ResultCode::Error, Some(ErrorCode::InvalidRequest))
    );
    let message = result.message.as_deref().unwrap_or_default();
    assert!(message.contains(mentions), "{message}");
    assert!(uuid::Uuid::parse_str(&result.log_id).is_ok());
}

/// Only PatientId: everything of the patient in the served source system, and nothing
/// nullified, of another patient or of another source system (R3).
async fn basic(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let (ids, result, body) = call(&producer, "basic", &Request::default(), &[]).await;
    assert_eq!(result.result_code, ResultCode::Ok);
    assert!(uuid::Uuid::parse_str(&result.log_id).is_ok());
    assert_eq!(ids.len(), ALL_VISIBLE, "{ids:?}");
    for unwanted in ["nullified", "other-pupil", "other-system"] {
        assert!(!ids.contains(&unwanted.to_string()), "{unwanted} was sent");
    }
    for forbidden in [
        "documentTitle",
        "documentTime",
        "legalAuthenticator",
        "nullified",
        "careContactId",
    ] {
        assert!(!body.contains(forbidden), "{forbidden} was sent");
    }
    // Codes as KV Vårdkontakttyp, status as originalText.
    assert!(body.contains("1.2.752.129.2.2.2.25") && body.contains("Ej påbörjad"));
    let (_, again, _) = call(&producer, "basic-again", &Request::default(), &[]).await;
    assert_ne!(again.log_id, result.log_id, "a fresh logId per answer");
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
    assert_eq!(ids, sorted(&EXPECTED_IN_PERIOD));
    // A one-day period on the first day: only what touches 2024-03-01.
    let request = Request {
        period: Some(("20240301", "20240301")),
        ..Request::default()
    };
    let (ids, ..) = call(&producer, "one-day", &request, &[]).await;
    assert_eq!(
        ids,
        sorted(&[
            "db-1b-author-on-start",
            "db-2-ends-on-start",
            "db-4-spans",
            "db-6-open-before"
        ])
    );
    producer.stop().await;
}

async fn filters(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // CareUnitHsaId Filter.
    let request = Request {
        care_units: &[UNIT_B],
        source_system: Some(SOURCE_SYSTEM),
        ..Request::default()
    };
    assert_eq!(call(&producer, "unit", &request, &[]).await.0, ["unit-b"]);
    let request = Request {
        care_units: &[UNIT_A, UNIT_B],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "units", &request, &[]).await.0.len(),
        ALL_VISIBLE
    );
    // CareGiverHSAId Filter.
    let request = Request {
        care_givers: &[OTHER_CARE_GIVER],
        source_system: Some(SOURCE_SYSTEM),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "giver", &request, &[]).await.0,
        ["other-care-giver"]
    );
    let request = Request {
        care_givers: &[VISIBLE_CARE_GIVER],
        ..Request::default()
    };
    let (ids, ..) = call(&producer, "visible-giver", &request, &[]).await;
    assert_eq!(ids.len(), ALL_VISIBLE - 1);
    assert!(!ids.contains(&"other-care-giver".to_string()));
    // Care unit and period together.
    let request = Request {
        care_units: &[UNIT_B],
        period: Some(("20240301", "20240331")),
        ..Request::default()
    };
    assert!(
        call(&producer, "unit-and-period", &request, &[])
            .await
            .0
            .is_empty()
    );
    // CareContactId Filter: a contact is named by its documentId.
    let request = Request {
        source_system: Some(SOURCE_SYSTEM),
        care_contacts: &["db-5-within"],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "contact", &request, &[]).await.0,
        ["db-5-within"]
    );
    let request = Request {
        source_system: Some(SOURCE_SYSTEM),
        care_contacts: &["db-5-within", "unit-b"],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "contacts", &request, &[]).await.0,
        ["db-5-within", "unit-b"]
    );
    // NonExisting CareContactId: empty and OK; so are a nullified contact and one of
    // another source system.
    for (name, id) in [
        ("no-contact", "vko-does-not-exist"),
        ("nullified-contact", "nullified"),
        ("other-system-contact", "other-system"),
    ] {
        let request = Request {
            source_system: Some(SOURCE_SYSTEM),
            care_contacts: &[id],
            ..Request::default()
        };
        let (ids, result, _) = call(&producer, name, &request, &[]).await;
        assert!(ids.is_empty(), "{name}: {ids:?}");
        assert_eq!(result.result_code, ResultCode::Ok);
    }
    // Http-header Filter: the restricted consumer sees only its care giver's contacts.
    let (ids, ..) = call(
        &producer,
        "restricted",
        &Request::default(),
        &[(ORIGINAL_CONSUMER_HEADER, RESTRICTED_CONSUMER)],
    )
    .await;
    assert_eq!(ids.len(), ALL_VISIBLE - 1);
    assert!(!ids.contains(&"other-care-giver".to_string()));
    assert!(ids.contains(&"unit-b".to_string()));
    // An unconfigured consumer is not restricted.
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
        patient: UNKNOWN_PUPIL,
        ..Request::default()
    };
    let (ids, result, _) = call(&producer, "unknown-patient", &request, &[]).await;
    assert!(ids.is_empty());
    assert_eq!(result.result_code, ResultCode::Ok);
    // SourceSystemHsaId and LogicalAddress do not match.
    let request = Request {
        source_system: Some(OTHER_SOURCE_SYSTEM),
        care_contacts: &["db-5-within"],
        ..Request::default()
    };
    let (ids, result, _) = call(&producer, "invalid-source", &request, &[]).await;
    assert!(ids.is_empty());
    assert_invalid(&result, "sourceSystemHSAId");
    // CareContactId and SourceSystemHsaId: careContactId without sourceSystemHSAId.
    let request = Request {
        care_contacts: &["db-5-within"],
        ..Request::default()
    };
    let (ids, result, _) = call(&producer, "contact-without-source", &request, &[]).await;
    assert!(ids.is_empty());
    assert_invalid(&result, "careContactId");
    // A period that ends before it starts.
    let request = Request {
        period: Some(("20240331", "20240301")),
        ..Request::default()
    };
    let (_, result, _) = call(&producer, "reversed-period", &request, &[]).await;
    assert_invalid(&result, "period");
    // An invalid personnummer: the message does not echo it.
    let request = Request {
        patient: "201403129801",
        ..Request::default()
    };
    let (_, result, body) = call(&producer, "invalid-patient", &request, &[]).await;
    assert_invalid(&result, "patientId");
    assert!(!body.contains("201403129801"));
    // A LogicalAddress this producer does not serve: a SOAP Fault.
    let request = Request {
        logical_address: OTHER_SOURCE_SYSTEM,
        ..Request::default()
    };
    let (status, body) = producer.post(PATH, envelope(&request), &[]).await;
    assert_eq!(status, 500);
    match soap::decode_response::<GetCareContacts>(body.as_bytes()) {
        Err(SoapError::Fault(fault)) => {
            assert!(fault.string.contains("not a source system served"))
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    producer.stop().await;
}

async fn wsdl(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
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
    wsdl
);

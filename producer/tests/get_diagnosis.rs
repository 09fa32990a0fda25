//! GetDiagnosis 2 over HTTPS against a running producer, on SQLite and PostgreSQL:
//! the official test suite's cases (Basic, DateBoundaries, CareUnitIdFilter,
//! CareContactIdFilter, HttpHeaderFilter, NonExistentPatientId, both invalid-request
//! cases) plus R3, nullified records, faults, WSDL and ping.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::{ErrorCode, ResultCode};
use npo_producer::records::diagnosis::{self, DiagnosisRecord};
use support::*;

const PUPIL: &str = "201403129800";
const OTHER_PUPIL: &str = "201508079819";
const UNKNOWN_PUPIL: &str = "199001019802";
const UNIT_A: &str = "SE2120009994-0A01";
const UNIT_B: &str = "SE2120009994-0B02";
const OTHER_CARE_GIVER: &str = "SE2321009991-0009";

fn record(id: &str, patient: &str, author_time: &str) -> DiagnosisRecord {
    diagnosis_record(id, patient, author_time)
}

fn signed(mut r: DiagnosisRecord, at: &str) -> DiagnosisRecord {
    r.legal_authenticator_hsa_id = Some("SE2120009994-P001".into());
    r.legal_authenticator_name = Some("Karin Lindqvist".into());
    r.signature_time = Some(at.into());
    r
}

/// The records every case runs against.
fn fixtures() -> Vec<DiagnosisRecord> {
    let mut records = vec![
        // DateBoundaries for the period 2024-03-01..2024-03-31 (the suite's six cases).
        signed(
            record("db-1-author-in", PUPIL, "20240315100000"),
            "20240415100000",
        ),
        signed(
            record("db-2-signature-in", PUPIL, "20240201100000"),
            "20240310120000",
        ),
        {
            let mut r = record("db-3-diagnosis-in", PUPIL, "20240201100000");
            r.diagnosis_time = Some("20240320090000".into());
            r
        },
        signed(
            record("db-4-author-on-start", PUPIL, "20240301000000"),
            "20240501000000",
        ),
        signed(
            record("db-5-signature-on-end", PUPIL, "20240201000000"),
            "20240331235959",
        ),
        {
            let mut r = signed(
                record("db-6-all-outside", PUPIL, "20240229235959"),
                "20240401000000",
            );
            r.diagnosis_time = Some("20240201000000".into());
            r
        },
    ];
    // Care units, care contacts, care givers.
    let mut unit_b = record("unit-b", PUPIL, "20250110080000");
    unit_b.care_unit_hsa_id = UNIT_B.into();
    unit_b.care_contact_id = Some("vko-2".into());
    records.push(unit_b);
    let mut contact_1 = record("contact-1", PUPIL, "20250111080000");
    contact_1.care_contact_id = Some("vko-1".into());
    records.push(contact_1);
    let mut other_giver = record("other-care-giver", PUPIL, "20250112080000");
    other_giver.care_giver_hsa_id = OTHER_CARE_GIVER.into();
    other_giver.diagnosis_code = None;
    other_giver.diagnosis_display_name = None;
    other_giver.diagnosis_original_text = Some("Pollenallergi".into());
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

fn start(backend: Backend) -> Option<TestProducer> {
    let db = TestDb::new(backend)?;
    let mut conn = db.connect();
    for r in fixtures() {
        assert!(
            diesel_validate(&r).is_empty(),
            "{}: {:?}",
            r.document_id,
            diesel_validate(&r)
        );
        diagnosis::upsert(&mut conn, &r).unwrap();
    }
    Some(TestProducer::start(db))
}

fn diesel_validate(r: &DiagnosisRecord) -> Vec<npo_producer::records::FieldProblem> {
    use npo_producer::records::JournalRecord;
    r.validate()
}

struct Request<'a> {
    logical_address: &'a str,
    patient: &'a str,
    period: Option<(&'a str, &'a str)>,
    care_units: &'a [&'a str],
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
    body += &format!(
        "<patientId><c:id>{}</c:id><c:type>{PNR}</c:type></patientId>",
        r.patient
    );
    if let Some((start, end)) = r.period {
        body += &format!("<timePeriod><c:start>{start}</c:start><c:end>{end}</c:end></timePeriod>");
    }
    if let Some(source) = r.source_system {
        body += &format!("<sourceSystemHSAId>{source}</sourceSystemHSAId>");
    }
    for contact in r.care_contacts {
        body += &format!("<careContactId>{contact}</careContactId>");
    }
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{}</a:LogicalAddress></s:Header><s:Body><GetDiagnosis xmlns="urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2" xmlns:c="urn:riv:clinicalprocess:healthcond:description:2">{body}</GetDiagnosis></s:Body></s:Envelope>"#,
        r.logical_address
    )
}

const PATH: &str = "/GetDiagnosis/2/rivtabp21";

/// Calls and decodes; returns the document ids and the result.
async fn call(
    producer: &TestProducer,
    request: &Request<'_>,
    headers: &[(&str, &str)],
) -> (Vec<String>, npo_contracts::types::ResultType, String) {
    let (status, body) = producer.post(PATH, envelope(request), headers).await;
    assert_eq!(status, 200, "{body}");
    let response = soap::decode_response::<GetDiagnosis>(body.as_bytes())
        .expect("valid response")
        .body;
    let ids = response
        .diagnosis
        .iter()
        .map(|d| d.diagnosis_header.document_id.clone())
        .collect();
    (ids, response.result.expect("result"), body)
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn basic(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let (ids, result, body) = call(&producer, &Request::default(), &[]).await;
    assert_eq!(result.result_code, ResultCode::Ok);
    assert!(
        uuid::Uuid::parse_str(&result.log_id).is_ok(),
        "logId is a UUID"
    );
    for unwanted in ["nullified", "other-pupil", "other-system"] {
        assert!(
            !ids.contains(&unwanted.to_string()),
            "{unwanted} must not be sent"
        );
    }
    assert_eq!(ids.len(), 9, "{ids:?}");
    assert!(
        !body.contains("nullified")
            && !body.contains("documentTime")
            && !body.contains("documentTitle")
    );
    official_validate("GetDiagnosis-basic", &body, &["--npo"]);
    // A fresh logId every time.
    let (_, again, _) = call(&producer, &Request::default(), &[]).await;
    assert_ne!(again.log_id, result.log_id);
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
    let (ids, result, body) = call(&producer, &request, &[]).await;
    assert_eq!(result.result_code, ResultCode::Ok);
    assert_eq!(
        sorted(ids),
        [
            "db-1-author-in",
            "db-2-signature-in",
            "db-3-diagnosis-in",
            "db-4-author-on-start",
            "db-5-signature-on-end"
        ]
    );
    official_validate("GetDiagnosis-dates", &body, &["--npo"]);
    producer.stop().await;
}

async fn filters(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // CareUnitIdFilter.
    let (ids, ..) = call(
        &producer,
        &Request {
            care_units: &[UNIT_B],
            ..Request::default()
        },
        &[],
    )
    .await;
    assert_eq!(ids, ["unit-b"]);
    let (ids, ..) = call(
        &producer,
        &Request {
            care_units: &[UNIT_A, UNIT_B],
            ..Request::default()
        },
        &[],
    )
    .await;
    assert_eq!(ids.len(), 9);
    // CareContactIdFilter (needs sourceSystemHSAId).
    let request = Request {
        source_system: Some(SOURCE_SYSTEM),
        care_contacts: &["vko-1"],
        ..Request::default()
    };
    let (ids, ..) = call(&producer, &request, &[]).await;
    assert_eq!(ids, ["contact-1"]);
    let request = Request {
        source_system: Some(SOURCE_SYSTEM),
        care_contacts: &["vko-1", "vko-2"],
        ..Request::default()
    };
    assert_eq!(
        sorted(call(&producer, &request, &[]).await.0),
        ["contact-1", "unit-b"]
    );
    // HttpHeaderFilter: the restricted consumer sees only its care giver's records.
    let (ids, ..) = call(
        &producer,
        &Request::default(),
        &[(
            npo_producer::endpoints::soap::ORIGINAL_CONSUMER_HEADER,
            RESTRICTED_CONSUMER,
        )],
    )
    .await;
    assert_eq!(ids.len(), 8);
    assert!(!ids.contains(&"other-care-giver".to_string()));
    // An unconfigured consumer is not restricted.
    let (ids, ..) = call(
        &producer,
        &Request::default(),
        &[(
            npo_producer::endpoints::soap::ORIGINAL_CONSUMER_HEADER,
            "SE5599000022-ANY1",
        )],
    )
    .await;
    assert_eq!(ids.len(), 9);
    producer.stop().await;
}

async fn unknown_patient_and_invalid_requests(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // NonExistentPatientId: empty list, OK.
    let (ids, result, body) = call(
        &producer,
        &Request {
            patient: UNKNOWN_PUPIL,
            ..Request::default()
        },
        &[],
    )
    .await;
    assert!(ids.is_empty());
    assert_eq!(result.result_code, ResultCode::Ok);
    official_validate("GetDiagnosis-unknown-patient", &body, &["--npo"]);
    // sourceSystemHSAId different from the LogicalAddress.
    let (ids, result, body) = call(
        &producer,
        &Request {
            source_system: Some(OTHER_SOURCE_SYSTEM),
            ..Request::default()
        },
        &[],
    )
    .await;
    assert!(ids.is_empty());
    assert_eq!(
        (result.result_code, result.error_code),
        (ResultCode::Error, Some(ErrorCode::InvalidRequest))
    );
    assert!(
        result
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("sourceSystemHSAId")
    );
    official_validate("GetDiagnosis-invalid-source", &body, &["--npo"]);
    // careContactId without sourceSystemHSAId.
    let (_, result, _) = call(
        &producer,
        &Request {
            care_contacts: &["vko-1"],
            ..Request::default()
        },
        &[],
    )
    .await;
    assert_eq!(
        (result.result_code, result.error_code),
        (ResultCode::Error, Some(ErrorCode::InvalidRequest))
    );
    assert!(
        result
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("careContactId")
    );
    // An invalid personnummer.
    let (_, result, body) = call(
        &producer,
        &Request {
            patient: "201403129801",
            ..Request::default()
        },
        &[],
    )
    .await;
    assert_eq!(result.error_code, Some(ErrorCode::InvalidRequest));
    assert!(
        !body.contains("201403129801"),
        "the message must not echo the number"
    );
    producer.stop().await;
}

async fn faults(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    let fault_of = |body: &str| match soap::decode_response::<GetDiagnosis>(body.as_bytes()) {
        Err(SoapError::Fault(fault)) => fault,
        other => panic!("expected a fault, got {other:?}"),
    };
    // Unknown logical address.
    let (status, body) = producer
        .post(
            PATH,
            envelope(&Request {
                logical_address: OTHER_SOURCE_SYSTEM,
                ..Request::default()
            }),
            &[],
        )
        .await;
    assert_eq!(status, 500);
    assert!(
        fault_of(&body)
            .string
            .contains("not a source system served")
    );
    // Malformed XML: a clear fault without the patient's number.
    let (status, body) = producer
        .post(
            PATH,
            envelope(&Request::default()).replace("</s:Body>", ""),
            &[],
        )
        .await;
    assert_eq!(status, 500);
    let fault = fault_of(&body);
    assert!(
        fault.string.starts_with("Invalid request"),
        "{}",
        fault.string
    );
    assert!(!body.contains(PUPIL));
    // Wrong namespace (another major version).
    let (_, body) = producer
        .post(
            PATH,
            envelope(&Request::default())
                .replace("GetDiagnosisResponder:2", "GetDiagnosisResponder:1"),
            &[],
        )
        .await;
    assert!(fault_of(&body).string.contains("namespace"));
    // Another operation.
    let (_, body) = producer
        .post(
            PATH,
            envelope(&Request::default())
                .replace("<GetDiagnosis ", "<GetCareContacts ")
                .replace("</GetDiagnosis>", "</GetCareContacts>"),
            &[],
        )
        .await;
    assert!(fault_of(&body).string.contains("GetCareContacts"));
    // Oversized body.
    let huge = envelope(&Request::default()).replace(
        "<patientId>",
        &format!("<!--{}--><patientId>", "x".repeat(100 * 1024)),
    );
    let (status, body) = producer.post(PATH, huge, &[]).await;
    assert_eq!(status, 500);
    assert!(fault_of(&body).string.contains("larger than"));
    // Missing LogicalAddress.
    let no_header = envelope(&Request::default()).replace(
        &format!("<a:LogicalAddress>{SOURCE_SYSTEM}</a:LogicalAddress>"),
        "",
    );
    let (_, body) = producer.post(PATH, no_header, &[]).await;
    assert!(fault_of(&body).string.contains("LogicalAddress"));
    producer.stop().await;
}

async fn callers_wsdl_and_ping(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // Only the platform may call: the tester's (valid) certificate is refused.
    let client = producer.client(npo_pki::Party::Tester);
    let response = client
        .post(format!("https://localhost:{}{PATH}", producer.port))
        .send_body(envelope(&Request::default()))
        .await
        .expect("TLS works for a certificate of the same CA");
    assert_eq!(response.status().as_u16(), 403);
    // The WSDL, with this server's address, and its imports.
    let (status, wsdl) = producer.get(&format!("{PATH}?wsdl")).await;
    assert_eq!(status, 200);
    assert!(
        wsdl.contains(&format!(
            "https://localhost:{}/GetDiagnosis/2/rivtabp21",
            producer.port
        )),
        "{wsdl}"
    );
    let (status, xsd) = producer
        .get("/GetDiagnosis/2/GetDiagnosisResponder_2.0.xsd")
        .await;
    assert_eq!(status, 200);
    assert!(xsd.contains("GetDiagnosisResponseType"));
    let (status, core) = producer
        .get("/core_components/clinicalprocess_healthcond_description_2.1.xsd")
        .await;
    assert_eq!(status, 200);
    assert!(core.contains("DiagnosisBodyType"));
    assert_eq!(
        producer
            .get("/core_components/..%2F..%2FCargo.toml")
            .await
            .0,
        404
    );
    // PingForConfiguration.
    let ping = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{SOURCE_SYSTEM}</a:LogicalAddress></s:Header><s:Body><p:PingForConfiguration xmlns:p="urn:riv:itintegration:monitoring:PingForConfigurationResponder:1"><p:serviceContractNamespace>urn:riv:itintegration:monitoring:PingForConfigurationResponder:1</p:serviceContractNamespace><p:logicalAddress>{SOURCE_SYSTEM}</p:logicalAddress></p:PingForConfiguration></s:Body></s:Envelope>"#
    );
    let (status, body) = producer
        .post("/PingForConfiguration/1/rivtabp21", ping, &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let response = soap::decode_response::<
        npo_contracts::ping_for_configuration::PingForConfiguration,
    >(body.as_bytes())
    .unwrap();
    assert_eq!(response.body.version, env!("CARGO_PKG_VERSION"));
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
    faults,
    callers_wsdl_and_ping
);

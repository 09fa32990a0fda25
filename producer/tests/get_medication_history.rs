//! GetMedicationHistory 2 over HTTPS against a running producer, on SQLite and
//! PostgreSQL: the official test suite's cases (Basic, Date Boundaries, CareUnitHsaId
//! Filter, Only PatientId, NonExisting PatientId, CareContactId Filter, NonExisting
//! CareContactId, HTTPHeader Filter, both invalid-request cases, Active Medication),
//! plus the care giver and prescription chain filters, open-ended periods, R3 and
//! nullified records. Every response passes the official validator (XSD + the suite's
//! Schematron).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::get_medication_history::{GetMedicationHistory, GetMedicationHistoryResponse};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::{ErrorCode, ResultCode, ResultType};
use npo_producer::endpoints::soap::ORIGINAL_CONSUMER_HEADER;
use npo_producer::records::JournalRecord;
use npo_producer::records::medication::{self, LOCAL_ID_ROOT, MedicationRecord};
use support::*;

const PUPIL: &str = "201403129800";
const OTHER_PUPIL: &str = "201508079819";
const UNKNOWN_PUPIL: &str = "199001019802";
const PNR: &str = "1.2.752.129.2.1.3.1";
const UNIT_A: &str = "SE2120009994-0A01";
const UNIT_B: &str = "SE2120009994-0B02";
const OTHER_CARE_GIVER: &str = "SE2321009991-0009";
const PATH: &str = "/GetMedicationHistory/2/rivtabp21";

/// An active insättning of a coded drug, prescribed (and started) at `prescribed`,
/// open-ended, documented and signed at the same time.
fn record(id: &str, patient: &str, prescribed: &str) -> MedicationRecord {
    MedicationRecord {
        document_id: id.into(),
        source_system_hsa_id: SOURCE_SYSTEM.into(),
        patient_id: patient.into(),
        patient_id_type: PNR.into(),
        author_time: prescribed.into(),
        author_hsa_id: Some("SE2120009994-P001".into()),
        author_name: Some("Karin Lindqvist".into()),
        author_role_code: Some("201010".into()),
        author_role_name: Some("Skolläkare".into()),
        author_org_unit_hsa_id: Some(UNIT_A.into()),
        author_org_unit_name: Some("Elevhälsan Björkskolan".into()),
        care_unit_hsa_id: UNIT_A.into(),
        care_giver_hsa_id: VISIBLE_CARE_GIVER.into(),
        legal_authenticator_hsa_id: Some("SE2120009994-P001".into()),
        legal_authenticator_name: Some("Karin Lindqvist".into()),
        signature_time: Some(prescribed.into()),
        approved_for_patient: true,
        care_contact_id: None,
        nullified: false,
        nullified_reason: None,
        prescription_id: format!("ord-{id}"),
        prescription_chain_id: Some(format!("kedja-{id}")),
        type_of_prescription: "I".into(),
        prescription_status: "Active".into(),
        drug_npl_id: Some("19890922000049".into()),
        drug_name: Some("Airomir 0,1 mg/dos inhalationsspray".into()),
        drug_atc_code: Some("R03AC02".into()),
        drug_atc_name: Some("Salbutamol".into()),
        drug_text: None,
        dosage_instruction: Some("1-2 inhalationer vid behov".into()),
        treatment_purpose: Some("Mot andnöd vid astmabesvär".into()),
        prescription_note: None,
        start_of_treatment: Some(prescribed.into()),
        end_of_treatment: None,
        end_of_treatment_reason: None,
        self_medication: false,
        prescriber_hsa_id: Some("SE2120009994-P001".into()),
        prescriber_name: Some("Karin Lindqvist".into()),
        prescription_time: Some(prescribed.into()),
    }
}

/// Moves the header's author and signature times (not the treatment).
fn documented(mut r: MedicationRecord, author: &str, signed: &str) -> MedicationRecord {
    r.author_time = author.into();
    r.signature_time = Some(signed.into());
    r
}

fn ending(mut r: MedicationRecord, end: &str) -> MedicationRecord {
    r.end_of_treatment = Some(end.into());
    r
}

/// The records every case runs against.
fn fixtures() -> Vec<MedicationRecord> {
    let mut records = vec![
        // Date Boundaries for the period 2024-03-01..2024-03-31. The rule: the treatment
        // (from the prescriber's authorTime, else startOfTreatment, else the header's
        // authorTime, to endOfTreatment or open) overlaps the period, ends included.
        // The suite's two records: authored and signed inside / outside.
        ending(record("db-in", PUPIL, "20240310090000"), "20240320000000"),
        ending(record("db-out", PUPIL, "20240201090000"), "20240215000000"),
        // Starts exactly at the last second; ends exactly at the first second.
        record("db-starts-on-end", PUPIL, "20240331235959"),
        documented(
            ending(
                record("db-ends-on-start", PUPIL, "20231001090000"),
                "20240301000000",
            ),
            "20231001090000",
            "20231001090000",
        ),
        // Just outside on either side.
        ending(
            record("db-ends-just-before", PUPIL, "20231001090000"),
            "20240229235959",
        ),
        record("db-starts-just-after", PUPIL, "20240401000000"),
        // Documented and signed long before, but still running.
        record("db-long-running", PUPIL, "20200115090000"),
        // Self-medication without a prescriber: startOfTreatment decides.
        {
            let mut r = documented(
                record("db-self-medication", PUPIL, "20240315000000"),
                "20240402100000",
                "20240402100000",
            );
            r.self_medication = true;
            r.prescriber_hsa_id = None;
            r.prescriber_name = None;
            r.prescription_time = None;
            r.drug_npl_id = None;
            r.drug_name = None;
            r.drug_atc_code = None;
            r.drug_atc_name = None;
            r.drug_text = Some("Alvedon 500 mg".into());
            r
        },
        // An utsättning with neither prescriber nor start: the header's authorTime.
        {
            let mut r = record("db-stop-by-author-time", PUPIL, "20240320100000");
            r.type_of_prescription = "U".into();
            r.prescription_status = "Inactive".into();
            r.self_medication = true;
            r.prescriber_hsa_id = None;
            r.prescriber_name = None;
            r.prescription_time = None;
            r.start_of_treatment = None;
            r.drug_npl_id = None;
            r.drug_name = None;
            r.drug_atc_code = None;
            r.drug_atc_name = None;
            r.dosage_instruction = None;
            r.legal_authenticator_hsa_id = None;
            r.legal_authenticator_name = None;
            r.signature_time = None;
            r
        },
        // The prescriber's authorTime wins over a startOfTreatment inside the period.
        {
            let mut r = record("db-prescribed-after", PUPIL, "20240401080000");
            r.start_of_treatment = Some("20240315000000".into());
            r
        },
    ];
    // A prescription chain: the first prescription replaced by a changed dose.
    let mut first = ending(
        record("chain-first", PUPIL, "20250105080000"),
        "20250110080000",
    );
    first.prescription_chain_id = Some("kedja-42".into());
    first.prescription_status = "Inactive".into();
    records.push(first);
    let mut second = record("chain-second", PUPIL, "20250110080000");
    second.prescription_chain_id = Some("kedja-42".into());
    second.dosage_instruction = Some("2 inhalationer morgon och kväll".into());
    records.push(second);
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
        medication::upsert(&mut conn, &r).unwrap();
    }
    Some(TestProducer::start(db))
}

struct Request<'a> {
    logical_address: &'a str,
    care_units: &'a [&'a str],
    care_givers: &'a [&'a str],
    patient: &'a str,
    period: Option<(Option<&'a str>, Option<&'a str>)>,
    source_system: Option<&'a str>,
    care_contacts: &'a [&'a str],
    chain: Option<(&'a str, &'a str)>,
    status: Option<&'a str>,
}

impl Default for Request<'_> {
    fn default() -> Self {
        Request {
            logical_address: SOURCE_SYSTEM,
            care_units: &[],
            care_givers: &[],
            patient: PUPIL,
            period: None,
            source_system: None,
            care_contacts: &[],
            chain: None,
            status: None,
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
        body += "<datePeriod>";
        if let Some(start) = start {
            body += &format!("<c:start>{start}</c:start>");
        }
        if let Some(end) = end {
            body += &format!("<c:end>{end}</c:end>");
        }
        body += "</datePeriod>";
    }
    if let Some(source) = r.source_system {
        body += &format!("<sourceSystemHSAId>{source}</sourceSystemHSAId>");
    }
    for contact in r.care_contacts {
        body += &format!("<careContactId>{contact}</careContactId>");
    }
    if let Some((root, extension)) = r.chain {
        body += &format!(
            "<prescriptionChainId><c:root>{root}</c:root><c:extension>{extension}</c:extension></prescriptionChainId>"
        );
    }
    if let Some(status) = r.status {
        body += &format!("<prescriptionStatus>{status}</prescriptionStatus>");
    }
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{}</a:LogicalAddress></s:Header><s:Body><GetMedicationHistory xmlns="urn:riv:clinicalprocess:activityprescription:actoutcome:GetMedicationHistoryResponder:2" xmlns:c="urn:riv:clinicalprocess:activityprescription:actoutcome:2">{body}</GetMedicationHistory></s:Body></s:Envelope>"#,
        r.logical_address
    )
}

/// One answer: the sorted document ids, the result, the decoded response, the XML.
struct Answer {
    ids: Vec<String>,
    result: ResultType,
    response: GetMedicationHistoryResponse,
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
    official_validate(&format!("GetMedicationHistory-{name}"), &body, &[]);
    let response = soap::decode_response::<GetMedicationHistory>(body.as_bytes())
        .expect("valid response")
        .body;
    let ids = sorted(
        response
            .medication_medical_record
            .iter()
            .map(|m| m.medication_medical_record_header.document_id.clone())
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
    // Basic Testcase and Only PatientId.
    let answer = call(&producer, "basic", &Request::default(), &[]).await;
    assert_eq!(answer.result.result_code, ResultCode::Ok);
    assert!(uuid::Uuid::parse_str(&answer.result.log_id).is_ok());
    assert_eq!(answer.ids, all_visible());
    for unwanted in ["nullified", "other-pupil", "other-system"] {
        assert!(!answer.ids.contains(&unwanted.to_string()));
    }
    for record in &answer.response.medication_medical_record {
        let header = &record.medication_medical_record_header;
        assert_eq!(header.patient_id.id, PUPIL);
        assert_eq!(header.source_system_hsa_id, SOURCE_SYSTEM);
    }
    // Forbidden elements (the Schematron checks them too).
    for forbidden in ["documentTime", "nullified", "nullifiedReason"] {
        assert!(
            !answer.body.contains(&format!(":{forbidden}>")),
            "{forbidden}"
        );
    }
    // The prescriber carries no care unit or care giver; every header does.
    for prescriber in answer.body.split("prescriber>").skip(1).step_by(2) {
        assert!(!prescriber.contains("CareUnitHSAId") && !prescriber.contains("CareGiverHSAId"));
    }
    assert_eq!(
        answer
            .body
            .matches("healthcareProfessionalCareUnitHSAId>")
            .count(),
        2 * answer.ids.len()
    );
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
            "db-ends-on-start",
            "db-in",
            "db-long-running",
            "db-self-medication",
            "db-starts-on-end",
            "db-stop-by-author-time",
        ]
    );
    // A single day: the last one of the period.
    let request = Request {
        period: Some((Some("20240331"), Some("20240331"))),
        ..Request::default()
    };
    let answer = call(&producer, "dates-one-day", &request, &[]).await;
    assert_eq!(
        answer.ids,
        [
            "db-long-running",
            "db-self-medication",
            "db-starts-on-end",
            "db-stop-by-author-time"
        ]
    );
    // Open-ended periods (both ends are optional in this contract).
    let request = Request {
        period: Some((Some("20250101"), None)),
        ..Request::default()
    };
    let answer = call(&producer, "dates-from", &request, &[]).await;
    let expected: Vec<String> = all_visible()
        .into_iter()
        .filter(|id| {
            !["db-in", "db-out", "db-ends-on-start", "db-ends-just-before"].contains(&id.as_str())
        })
        .collect();
    assert_eq!(answer.ids, expected);
    let request = Request {
        period: Some((None, Some("20231231"))),
        ..Request::default()
    };
    let answer = call(&producer, "dates-until", &request, &[]).await;
    assert_eq!(
        answer.ids,
        ["db-ends-just-before", "db-ends-on-start", "db-long-running"]
    );
    let request = Request {
        period: Some((None, None)),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "dates-empty", &request, &[]).await.ids,
        all_visible()
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
    // Care giver filter (careGiverHSAId).
    let request = Request {
        care_givers: &[OTHER_CARE_GIVER],
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "care-giver", &request, &[]).await.ids,
        ["other-care-giver"]
    );
    // CareContactId Filter (needs sourceSystemHSAId) and NonExisting CareContactId.
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
    // HTTPHeader Filter: the restricted consumer sees only its care giver's records.
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

async fn prescription_filters(backend: Backend) {
    let Some(producer) = start(backend) else {
        return;
    };
    // Active Medication: only active prescriptions.
    let request = Request {
        status: Some("Active"),
        ..Request::default()
    };
    let answer = call(&producer, "active", &request, &[]).await;
    assert!(!answer.ids.is_empty());
    assert!(!answer.ids.contains(&"chain-first".to_string()));
    assert!(!answer.ids.contains(&"db-stop-by-author-time".to_string()));
    assert_eq!(answer.ids.len(), all_visible().len() - 2);
    assert!(answer.response.medication_medical_record.iter().all(|m| {
        m.prescription().prescription_status
            == npo_contracts::actoutcome::PrescriptionStatusEnum::Active
    }));
    let request = Request {
        status: Some("Inactive"),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "inactive", &request, &[]).await.ids,
        ["chain-first", "db-stop-by-author-time"]
    );
    // prescriptionChainId: the whole chain, then only its active link.
    let request = Request {
        chain: Some((LOCAL_ID_ROOT, "kedja-42")),
        ..Request::default()
    };
    let answer = call(&producer, "chain", &request, &[]).await;
    assert_eq!(answer.ids, ["chain-first", "chain-second"]);
    let request = Request {
        chain: Some((LOCAL_ID_ROOT, "kedja-42")),
        status: Some("Active"),
        ..Request::default()
    };
    assert_eq!(
        call(&producer, "chain-active", &request, &[]).await.ids,
        ["chain-second"]
    );
    // Another root is another identifier.
    let request = Request {
        chain: Some(("1.2.3.4", "kedja-42")),
        ..Request::default()
    };
    assert!(
        call(&producer, "chain-other-root", &request, &[])
            .await
            .ids
            .is_empty()
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
    // SourceSystemHsaId and LogicalAddress: they differ.
    let request = Request {
        source_system: Some(OTHER_SOURCE_SYSTEM),
        care_contacts: &["vko-1"],
        ..Request::default()
    };
    let answer = call(&producer, "invalid-source", &request, &[]).await;
    assert_invalid(&answer, "sourceSystemHSAId");
    // CareContactId and SourceSystemHsaId: careContactId without sourceSystemHSAId.
    let request = Request {
        care_contacts: &["vko-1"],
        ..Request::default()
    };
    let answer = call(&producer, "invalid-contact", &request, &[]).await;
    assert_invalid(&answer, "careContactId");
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
    match soap::decode_response::<GetMedicationHistory>(body.as_bytes()) {
        Err(SoapError::Fault(fault)) => {
            assert!(fault.string.contains("not a source system served"));
        }
        other => panic!("expected a fault, got {other:?}"),
    }
    assert!(!body.contains("other-system"));
    // An unknown prescriptionStatus is not the contract's request.
    let request = Request {
        status: Some("Paused"),
        ..Request::default()
    };
    let (status, body) = producer.post(PATH, envelope(&request), &[]).await;
    assert_eq!(status, 500);
    assert!(matches!(
        soap::decode_response::<GetMedicationHistory>(body.as_bytes()),
        Err(SoapError::Fault(_))
    ));
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
    prescription_filters,
    unknown_patient_and_invalid_requests,
    faults_and_wsdl
);

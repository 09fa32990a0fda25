//! A deliberately broken producer (an mTLS test double answering each case wrongly in
//! its own way) makes the runner fail the right case with the right reason; transport
//! problems (nothing listening, a server the CA does not vouch for) fail every case
//! with a readable reason instead of a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Mutex;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use npo_conformance::{Status, TestData, run};
use npo_contracts::get_diagnosis::{GetDiagnosis, GetDiagnosisResponse};
use npo_contracts::get_medication_history::{GetMedicationHistory, GetMedicationHistoryResponse};
use npo_contracts::get_vaccination_history::{
    GetVaccinationHistory, GetVaccinationHistoryResponse,
};
use npo_contracts::healthcond_description::DiagnosisType;
use npo_contracts::soap::{self, Envelope, Fault};
use npo_contracts::types::ResultType;
use npo_pki::Party;
use npo_producer::import::ImportRecord;
use support::*;

const OTHER_SOURCE_SYSTEM: &str = "SE2321009991-BV3C";
const UNKNOWN_PATIENT: &str = "199001019802";

/// The example records as the contract types our producer would send.
fn example_records() -> (
    Vec<DiagnosisType>,
    Vec<npo_contracts::actoutcome::VaccinationMedicalRecordType>,
) {
    let json = std::fs::read(example("npo-producer-import.json")).unwrap();
    let document = npo_producer::import::read(&json, &Default::default()).unwrap();
    let mut diagnoses = Vec::new();
    let mut vaccinations = Vec::new();
    for record in &document.records {
        match record {
            ImportRecord::Diagnosis(d) => diagnoses.extend(d.to_contract()),
            ImportRecord::Vaccination(v) => vaccinations.extend(v.to_contract()),
            _ => {}
        }
    }
    (diagnoses, vaccinations)
}

fn diagnosis(all: &[DiagnosisType], id: &str) -> DiagnosisType {
    all.iter()
        .find(|d| d.diagnosis_header.document_id == id)
        .cloned()
        .unwrap()
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(body)
}

/// One fixed logId, to be sent twice.
const REUSED_LOG_ID: &str = "5f1e0c9e-0000-4000-8000-000000000001";

/// GetDiagnosis answered wrongly, per case (recognised by the request's content).
async fn broken_diagnosis(req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let (all, _) = example_records();
    let request = soap::decode_request::<GetDiagnosis>(&body).unwrap().body;
    let ok = |diagnosis: Vec<DiagnosisType>, log_id: &str| {
        soap::encode(&Envelope::bare(GetDiagnosisResponse {
            diagnosis,
            result: Some(ResultType::ok(log_id)),
        }))
    };
    let fresh = || uuid::Uuid::new_v4().to_string();
    if request.patient_id.id == UNKNOWN_PATIENT {
        // A required element missing: result without logId.
        let text = ok(Vec::new(), "REMOVE-ME");
        let start = text.find("<core:logId>").unwrap_or(0);
        let end = text
            .find("</core:logId>")
            .map(|i| i + "</core:logId>".len());
        let broken = match end {
            Some(end) => format!("{}{}", &text[..start], &text[end..]),
            None => panic!("no logId element in {text}"),
        };
        return xml(broken);
    }
    if let Some(source) = &request.source_system_hsa_id {
        if source == OTHER_SOURCE_SYSTEM {
            // OK instead of ERROR for an invalid request.
            return xml(ok(Vec::new(), &fresh()));
        }
        if request
            .care_contact_id
            .iter()
            .any(|c| c == "vko-finns-inte")
        {
            // The same logId as an earlier answer (the care-contact filter's).
            return xml(ok(Vec::new(), REUSED_LOG_ID));
        }
        // Care contact filter: a forbidden element (documentTime), logId to be reused.
        let mut record = diagnosis(&all, "dia-in-b");
        record.diagnosis_header.document_time = record
            .diagnosis_header
            .legal_authenticator
            .as_ref()
            .map(|l| l.signature_time);
        return xml(ok(vec![record], REUSED_LOG_ID));
    }
    if !request.care_contact_id.is_empty() {
        // careContactId without sourceSystemHSAId: a SOAP Fault, as the old suites want.
        return HttpResponse::InternalServerError()
            .content_type("text/xml; charset=utf-8")
            .body(soap::encode_fault(&Fault::client(
                "Invalid request: careContactId requires sourceSystemHSAId",
            )));
    }
    if request.time_period.is_some() {
        // An extra record from another source system.
        let mut foreign = diagnosis(&all, "dia-in-a");
        foreign.diagnosis_header.document_id = "dia-foreign".into();
        foreign.diagnosis_header.source_system_hsa_id = OTHER_SOURCE_SYSTEM.into();
        let records = [
            "dia-in-a",
            "dia-in-b",
            "dia-start",
            "dia-end",
            "dia-edge-signature",
            "dia-edge-diagnosis",
            "dia-edge-signature-end",
        ]
        .iter()
        .map(|id| diagnosis(&all, id))
        .chain([foreign])
        .collect();
        return xml(ok(records, &fresh()));
    }
    if !request.care_unit_hsa_id.is_empty() {
        // The care-unit filter ignored.
        return xml(ok(vec![diagnosis(&all, "dia-in-a")], &fresh()));
    }
    if req
        .headers()
        .get("x-rivta-original-serviceconsumer-hsaid")
        .is_some_and(|v| v == RESTRICTED_CONSUMER)
    {
        // The HTTP-header filter ignored.
        let records = ["dia-in-a", "dia-start", "dia-in-b"]
            .iter()
            .map(|id| diagnosis(&all, id))
            .collect();
        return xml(ok(records, &fresh()));
    }
    // Basic: a nullified record sent along.
    let mut nullified = diagnosis(&all, "dia-in-b");
    nullified.diagnosis_header.document_id = "dia-withdrawn".into();
    nullified.diagnosis_header.nullified = Some(true);
    let records = [
        "dia-in-a",
        "dia-in-b",
        "dia-start",
        "dia-end",
        "dia-before",
        "dia-after",
    ]
    .iter()
    .map(|id| diagnosis(&all, id))
    .chain([nullified])
    .collect();
    xml(ok(records, &fresh()))
}

/// GetVaccinationHistory without the nullified element the suite requires.
async fn broken_vaccination(body: web::Bytes) -> HttpResponse {
    let (_, mut all) = example_records();
    soap::decode_request::<GetVaccinationHistory>(&body).unwrap();
    all.retain(|v| v.vaccination_medical_record_header.document_id == "vac-in-a");
    for record in &mut all {
        record.vaccination_medical_record_header.nullified = None;
    }
    xml(soap::encode(&Envelope::bare(
        GetVaccinationHistoryResponse {
            vaccination_medical_record: all,
            result: ResultType::ok(uuid::Uuid::new_v4().to_string()),
        },
    )))
}

/// GetMedicationHistory sending a replaced (Inactive) prescription when Active is asked for.
async fn broken_medication(body: web::Bytes) -> HttpResponse {
    let json = std::fs::read(example("npo-producer-import.json")).unwrap();
    let document = npo_producer::import::read(&json, &Default::default()).unwrap();
    let request = soap::decode_request::<GetMedicationHistory>(&body)
        .unwrap()
        .body;
    assert!(request.prescription_status.is_some());
    let records = document
        .records
        .iter()
        .filter_map(|r| match r {
            ImportRecord::Medication(m) => m.to_contract(),
            _ => None,
        })
        .filter(|m| {
            ["lm-in-a", "lm-in-b", "lm-inactive"]
                .contains(&m.medication_medical_record_header.document_id.as_str())
        })
        .collect();
    xml(soap::encode(&Envelope::bare(
        GetMedicationHistoryResponse {
            medication_medical_record: records,
            result: ResultType::ok(uuid::Uuid::new_v4().to_string()),
        },
    )))
}

/// The double on port 0 with the producer certificate of `pki`.
fn start_double(pki: &Pki) -> (u16, actix_web::dev::ServerHandle) {
    let tls = npo_pki::mtls_acceptor(
        pki.cert(Party::ProducerSchool),
        pki.key(Party::ProducerSchool),
        pki.ca(),
    )
    .unwrap();
    let server = HttpServer::new(|| {
        App::new()
            .route(
                "/GetDiagnosis/2/rivtabp21",
                web::post().to(broken_diagnosis),
            )
            .route(
                "/GetVaccinationHistory/2/rivtabp21",
                web::post().to(broken_vaccination),
            )
            .route(
                "/GetMedicationHistory/2/rivtabp21",
                web::post().to(broken_medication),
            )
    })
    .workers(1)
    .listen_openssl(std::net::TcpListener::bind("127.0.0.1:0").unwrap(), tls)
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (port, handle)
}

/// The example data, GetDiagnosis plus GetVaccinationHistory's Basic, with the foreign
/// record marked unexpected.
fn double_data() -> TestData {
    let mut data = example_data();
    let diagnosis = data.get_diagnosis.as_mut().unwrap();
    diagnosis
        .date_boundaries
        .as_mut()
        .unwrap()
        .unexpected_document_ids
        .push("dia-foreign".into());
    let vaccination = data.get_vaccination_history.as_mut().unwrap();
    vaccination.basic.as_mut().unwrap().expected_document_ids = vec!["vac-in-a".into()];
    vaccination.date_boundaries = None;
    vaccination.care_unit_filter = None;
    vaccination.care_contact_filter = None;
    vaccination.http_header_filter = None;
    vaccination.non_existent_patient = None;
    vaccination.non_existent_care_contact = None;
    vaccination.care_contact_without_source_system = None;
    vaccination.source_system_mismatch = None;
    let medication = data.get_medication_history.as_mut().unwrap();
    let active = medication.active_medication.take();
    *medication = Default::default();
    medication.active_medication = active;
    // The double returns it, so this case fails only on the status.
    medication
        .active_medication
        .as_mut()
        .unwrap()
        .unexpected_document_ids
        .clear();
    data
}

static SERIAL: Mutex<()> = Mutex::new(());

#[actix_rt::test]
async fn each_broken_answer_fails_its_case_with_the_reason() {
    let _serial = SERIAL.lock();
    let pki = Pki::new();
    let (port, server) = start_double(&pki);
    let target = pki.target(format!("https://127.0.0.1:{port}"), Party::Platform);
    let contracts = [
        npo_conformance::contract_by_name("GetDiagnosis").unwrap(),
        npo_conformance::contract_by_name("GetVaccinationHistory").unwrap(),
        npo_conformance::contract_by_name("GetMedicationHistory").unwrap(),
    ];
    let report = run(&target, &double_data(), &contracts).await.unwrap();
    let human = report.to_human();
    eprintln!("{human}");
    assert!(!report.ok);

    let reasons = |contract: &str, case: &str| {
        let case = report.case(contract, case).unwrap();
        (case.status, case.reasons.clone())
    };
    let failed = |contract: &str, case: &str, expected: &[&str]| {
        let (status, reasons) = reasons(contract, case);
        assert_eq!(status, Status::Fail, "{case}: {reasons:?}");
        assert_eq!(reasons, expected, "{case}");
    };
    failed(
        "GetDiagnosis",
        "Basic",
        &["record dia-withdrawn: nullified record sent (must never be sent)"],
    );
    failed(
        "GetDiagnosis",
        "DateBoundaries",
        &[
            "record dia-foreign comes from source system SE2321009991-BV3C, not the \
             LogicalAddress's SE2120009994-EH7S (a producer answers only for the system addressed)",
            "unexpected documentId dia-foreign returned",
        ],
    );
    failed(
        "GetDiagnosis",
        "CareUnitIdFilter",
        &[
            "expected documentId dia-in-b missing",
            "unexpected documentId dia-in-a returned",
            "record dia-in-a has care unit SE2120009994-0A01, which was not asked for",
        ],
    );
    failed(
        "GetDiagnosis",
        "CareContactIdFilter",
        &["record dia-in-b: forbidden element documentTime present"],
    );
    failed(
        "GetDiagnosis",
        "HttpHeaderFilter",
        &["unexpected documentId dia-in-b returned"],
    );
    let (status, reasons) = reasons("GetDiagnosis", "NonExistentPatientId");
    assert_eq!(status, Status::Fail);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].starts_with("response not valid (HTTP 200): ") && reasons[0].contains("logId"),
        "{reasons:?}"
    );
    failed(
        "GetDiagnosis",
        "NonExistentCareContactId",
        &[&format!(
            "result.logId {REUSED_LOG_ID} was already returned by an earlier call \
             (a fresh logId per answer is required)"
        )],
    );
    failed(
        "GetDiagnosis",
        "SourceSystemHSAIdAndLogicalAddress",
        &["result code ERROR expected, got OK"],
    );
    // The older suites' SOAP Fault is accepted, and the report says which answer it was.
    let fault = report
        .case("GetDiagnosis", "CareContactIdWithoutSourceSystemHSAId")
        .unwrap();
    assert_eq!(fault.status, Status::Pass, "{:?}", fault.reasons);
    assert!(
        fault.notes[0].starts_with("answered with a SOAP Fault"),
        "{:?}",
        fault.notes
    );
    failed(
        "GetVaccinationHistory",
        "Basic",
        &["record vac-in-a: nullified missing (the suite requires it in every record)"],
    );
    failed(
        "GetMedicationHistory",
        "ActiveMedication",
        &["record lm-inactive has prescriptionStatus Inactive, Active was asked for"],
    );
    let skipped = report
        .case("GetVaccinationHistory", "DateBoundaries")
        .unwrap();
    assert_eq!(skipped.status, Status::Skip);
    assert_eq!(report.failed, 10, "{human}");

    // Patient numbers never appear in the report.
    assert!(!report.to_json().contains("201403129800"));
    assert!(!human.contains(UNKNOWN_PATIENT));
    server.stop(false).await;
}

#[actix_rt::test]
async fn nothing_listening_fails_every_case_with_a_connection_reason() {
    let pki = Pki::new();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = pki.target(format!("https://127.0.0.1:{port}"), Party::Platform);
    let only = [npo_conformance::contract_by_name("GetCareContacts").unwrap()];
    let report = run(&target, &example_data(), &only).await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.failed, 10);
    for case in &report.contracts[0].cases {
        assert_eq!(case.reasons.len(), 1);
        assert!(
            case.reasons[0].starts_with(&format!(
                "cannot connect to https://127.0.0.1:{port}/GetCareContacts/3/rivtabp21: "
            )),
            "{:?}",
            case.reasons
        );
    }
}

#[actix_rt::test]
async fn a_producer_certificate_from_another_ca_fails_with_a_tls_reason() {
    let _serial = SERIAL.lock();
    let producer_pki = Pki::new();
    let (port, server) = start_double(&producer_pki);
    // Our client trusts only its own (different) CA.
    let client_pki = Pki::new();
    let target = client_pki.target(format!("https://127.0.0.1:{port}"), Party::Platform);
    let only = [npo_conformance::contract_by_name("GetDiagnosis").unwrap()];
    let report = run(&target, &example_data(), &only).await.unwrap();
    assert_eq!(report.failed, 9);
    let reason = &report.contracts[0].cases[0].reasons[0];
    assert!(reason.starts_with("cannot connect to "), "{reason}");
    assert!(
        reason.to_lowercase().contains("ssl") || reason.to_lowercase().contains("tls"),
        "{reason}"
    );
    server.stop(false).await;
}

#[test]
fn unusable_settings_are_refused_before_any_call() {
    let pki = Pki::new();
    let data = example_data();
    let plain = pki.target("http://127.0.0.1:1".into(), Party::Platform);
    let err = npo_conformance::run_blocking(&plain, &data, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "--url http://127.0.0.1:1: must start with https:// (producers are called over mutual TLS)"
    );
    let mut missing_key = pki.target("https://127.0.0.1:1".into(), Party::Platform);
    missing_key.key = pki.path().join("no-such-key.pem");
    let err = npo_conformance::run_blocking(&missing_key, &data, &[]).unwrap_err();
    assert!(
        err.to_string().starts_with("client TLS settings: "),
        "{err}"
    );
}

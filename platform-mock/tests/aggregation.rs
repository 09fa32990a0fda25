//! The aggregating services, black box over mutual TLS: engagements are registered in
//! the platform's engagement index with Update through the platform (as producers do),
//! a consumer calls one of the six clinical contracts at the aggregation address, and
//! the platform fans out to test producers (answering real typed responses, faults,
//! slowly or with `result` ERROR) and merges. Each scenario runs with the engagement
//! index on SQLite and on PostgreSQL (`NPO_TEST_DATABASE_URL`; a schema per test,
//! dropped afterwards).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use npo_contracts::engagement_index::{
    EngagementTransactionType, EngagementType, NOT_APPLICABLE, RegisteredResidentIdentification,
    Update,
};
use npo_contracts::get_care_contacts::GetCareContacts;
use npo_contracts::get_care_documentation::GetCareDocumentation;
use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::get_medication_history::GetMedicationHistory;
use npo_contracts::get_observations::GetObservations;
use npo_contracts::get_vaccination_history::GetVaccinationHistory;
use npo_contracts::headers::{CausingAgent, ProcessingStatus, ProcessingStatusRecord, StatusCode};
use npo_contracts::registry::Contract;
use npo_contracts::soap::{FaultCode, SoapError, decode_request, decode_response, encode_request};
use npo_contracts::types::ResultCode;
use npo_pki::Party;
use npo_platform::aggregation::AggregationConfig;
use npo_platform::config::EngagementIndexSection;
use npo_platform::db::DbManager;
use support::*;

/// The aggregation address (the default).
const AGG: &str = "5565594230";
const EI: &str = npo_pki::ENGAGEMENT_INDEX_HSA_ID;
const CONSUMER: &str = npo_pki::CONSUMER_HSA_ID;
/// The system the producers register engagements with.
const REGISTRAR: &str = npo_pki::PRODUCER_SCHOOL_HSA_ID;
/// An original consumer behind the consumer system.
const NURSE_SYSTEM: &str = "SE2120009994-N0RS";
const OTHER_PATIENT: &str = "201403129800";
const SOURCE_A: &str = "SE2321000016-AG01";
const SOURCE_B: &str = "SE2321000016-AG02";
const SOURCE_C: &str = "SE2321000016-AG03";
/// A source with engagements and an authorisation but no TAK route.
const UNROUTED: &str = "SE2321000016-AG04";
/// A source the consumer is not authorised for.
const HIDDEN: &str = "SE2321000016-AG09";

// ---------------------------------------------------------------------------------
// Harness

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh engagement-index database: a SQLite file, or a PostgreSQL schema.
struct TestDb {
    url: String,
    schema: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    fn new(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Some(TestDb {
                url: dir.path().join("ei.sqlite").to_string_lossy().into_owned(),
                schema: None,
                _dir: dir,
            }),
            Backend::Postgres => {
                let Some(base) = std::env::var("NPO_TEST_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.is_empty())
                else {
                    assert!(
                        std::env::var_os("CI").is_none(),
                        "NPO_TEST_DATABASE_URL must be set in CI"
                    );
                    eprintln!("SKIPPED PostgreSQL variant: NPO_TEST_DATABASE_URL is not set");
                    return None;
                };
                let schema = format!("agg_{}", uuid::Uuid::new_v4().simple());
                let mut admin = DbManager::new(&base).open().expect("connect to PostgreSQL");
                admin
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .unwrap();
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
                Some(TestDb {
                    url,
                    schema: Some((base, schema)),
                    _dir: dir,
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema
            && let Ok(mut admin) = DbManager::new(base).open()
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

/// Runs a scenario on both backends, as `<name>::sqlite` and `<name>::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }
            #[actix_web::test]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    )*};
}

/// TAK: the consumer may call every contract at the aggregation address, the
/// registrar may Update the index, and each source has a route to its test producer
/// for every contract (and, when `authorised`, an authorisation for the consumer).
fn tak(sources: &[(&str, &TestProducer, &str, bool)]) -> String {
    let mut tak = auth(REGISTRAR, &Contract::Update.responder_ns(), EI);
    for contract in Contract::CLINICAL {
        let ns = contract.responder_ns();
        tak += &auth(CONSUMER, &ns, AGG);
        for (address, producer, path, authorised) in sources {
            tak += &route(address, &ns, &producer.url(path));
            if *authorised {
                tak += &auth(CONSUMER, &ns, address);
            }
        }
    }
    tak
}

/// The platform with its engagement index on `db` and the aggregating services, both
/// built from the configuration as `npo platform serve` builds them.
fn platform(
    pki: &Pki,
    db: &TestDb,
    tak: String,
    timeout_ms: u64,
    producer_ms: u64,
) -> TestPlatform {
    let url = db.url.clone();
    TestPlatform::start(
        pki,
        Setup::new(tak).services_from_config().tweak(move |config| {
            let mut settings = toml::Table::new();
            settings.insert("database_url".into(), toml::Value::String(url));
            settings.insert("pool_size".into(), toml::Value::Integer(2));
            config.engagement_index = Some(EngagementIndexSection {
                logical_address: EI.to_owned(),
                settings,
            });
            config.aggregation = Some(AggregationConfig {
                logical_address: AGG.to_owned(),
                timeout_ms,
                producer_timeout_ms: producer_ms,
            });
        }),
    )
}

fn engagement(patient: &str, contract: Contract, source: &str) -> EngagementTransactionType {
    let keys = contract.engagement_keys().unwrap();
    EngagementTransactionType {
        delete_flag: false,
        engagement: EngagementType {
            registered_resident_identification: RegisteredResidentIdentification::parse(patient)
                .unwrap(),
            service_domain: keys.service_domain.to_owned(),
            categorization: keys.categorization.to_owned(),
            logical_address: source.to_owned(),
            business_object_instance_identifier: NOT_APPLICABLE.to_owned(),
            clinical_process_interest_id: NOT_APPLICABLE.to_owned(),
            most_recent_content: None,
            source_system: source.to_owned(),
            creation_time: None,
            update_time: None,
            data_controller: "SE2321000016-0001".to_owned(),
            owner: None,
        },
    }
}

/// Registers `patient`'s engagements for `contracts` at `sources`, through the
/// platform, as a producer does.
async fn register(
    platform: &TestPlatform,
    pki: &Pki,
    patient: &str,
    contracts: &[Contract],
    sources: &[&str],
) {
    let engagement_transaction = contracts
        .iter()
        .flat_map(|c| sources.iter().map(move |s| engagement(patient, *c, s)))
        .collect();
    let body = encode_request(
        EI,
        &Update {
            engagement_transaction,
        },
    );
    let reply = platform.call(pki, Party::ProducerSchool, body, &[]).await;
    assert_eq!(reply.status, 200, "Update: {}", reply.text());
}

/// The consumer's request for `contract` (the golden request, for `patient`, without
/// its source-system filter), to the aggregation address.
fn consumer_request(contract: Contract, patient: &str) -> String {
    let xml = golden(&format!("{}_request.xml", contract.name())).replace("201403129800", patient);
    macro_rules! strip {
        ($op:ty, |$r:ident| $clear:block) => {{
            let mut $r = decode_request::<$op>(xml.as_bytes()).unwrap().body;
            $clear;
            encode_request(AGG, &$r)
        }};
    }
    match contract {
        Contract::GetDiagnosis => strip!(GetDiagnosis, |r| {
            r.source_system_hsa_id = None;
            r.care_contact_id.clear();
        }),
        Contract::GetCareContacts => strip!(GetCareContacts, |r| {
            r.source_system_hsa_id = None;
            r.care_contact_id.clear();
        }),
        Contract::GetMedicationHistory => strip!(GetMedicationHistory, |r| {
            r.source_system_hsa_id = None;
            r.care_contact_id.clear();
        }),
        Contract::GetVaccinationHistory => strip!(GetVaccinationHistory, |r| {
            r.source_system_hsa_id = None;
            r.care_contact_id.clear();
        }),
        Contract::GetCareDocumentation => strip!(GetCareDocumentation, |r| {
            r.source_system_id = None;
            r.has_more_reference = None;
        }),
        Contract::GetObservations => strip!(GetObservations, |r| {
            r.source_system_hsa_id = None;
        }),
        other => panic!("{other} is not aggregated"),
    }
}

/// A response read as the contract's type.
#[derive(Debug)]
struct Answer {
    records: usize,
    result_ok: bool,
    status: Option<ProcessingStatus>,
}

fn read_answer(contract: Contract, body: &[u8]) -> Answer {
    macro_rules! read {
        ($op:ty, |$r:ident| $records:expr, $ok:expr) => {{
            let envelope = decode_response::<$op>(body).unwrap_or_else(|e| {
                panic!(
                    "not a {contract} response: {e}\n{}",
                    String::from_utf8_lossy(body)
                )
            });
            let $r = &envelope.body;
            Answer {
                records: $records,
                result_ok: $ok,
                status: envelope.header.processing_status,
            }
        }};
    }
    match contract {
        Contract::GetDiagnosis => read!(
            GetDiagnosis,
            |r| r.diagnosis.len(),
            r.result.as_ref().unwrap().result_code == ResultCode::Ok
        ),
        Contract::GetCareContacts => read!(
            GetCareContacts,
            |r| r.care_contact.len(),
            r.result.result_code == ResultCode::Ok
        ),
        Contract::GetMedicationHistory => read!(
            GetMedicationHistory,
            |r| r.medication_medical_record.len(),
            r.result.result_code == ResultCode::Ok
        ),
        Contract::GetVaccinationHistory => read!(
            GetVaccinationHistory,
            |r| r.vaccination_medical_record.len(),
            r.result.result_code == ResultCode::Ok
        ),
        Contract::GetCareDocumentation => read!(
            GetCareDocumentation,
            |r| r.care_documentation.len(),
            r.result.result_code == ResultCode::Ok
        ),
        Contract::GetObservations => read!(GetObservations, |r| r.observation_group.len(), true),
        other => panic!("{other} is not aggregated"),
    }
}

/// How many records one test producer answers for `contract`.
fn records_per_source(contract: Contract) -> usize {
    let request = consumer_request(contract, PATIENT);
    let response = typed_response(request.as_bytes(), SOURCE_A);
    let records = read_answer(contract, response.as_bytes()).records;
    assert!(records > 0, "{contract}: the golden response has records");
    records
}

/// The aggregated call, as the consumer system.
async fn call(
    platform: &TestPlatform,
    pki: &Pki,
    contract: Contract,
    body: String,
    headers: &[(&str, &str)],
) -> Reply {
    let action = contract.soap_action();
    let mut all = vec![("SOAPAction", action.as_str())];
    all.extend_from_slice(headers);
    platform.call(pki, Party::Consumer, body, &all).await
}

fn record<'a>(status: &'a ProcessingStatus, address: &str) -> &'a ProcessingStatusRecord {
    let found: Vec<_> = status
        .processing_status_list
        .iter()
        .filter(|r| r.logical_address.eq_ignore_ascii_case(address))
        .collect();
    assert_eq!(found.len(), 1, "{address} in {status:?}");
    found[0]
}

fn assert_data(status: &ProcessingStatus, address: &str) {
    let r = record(status, address);
    assert_eq!(r.status_code, StatusCode::DataFromSource, "{r:?}");
    assert!(r.is_response_in_synch && !r.is_response_from_cache, "{r:?}");
    assert_eq!(r.last_successful_synch.len(), 14, "{r:?}");
    assert!(r.last_unsuccessful_synch_error.is_none(), "{r:?}");
}

/// Asserts `NoDataSynchFailed` with `agent` and `code`; returns the error text.
fn assert_failed(
    status: &ProcessingStatus,
    address: &str,
    agent: CausingAgent,
    code: &str,
) -> String {
    let r = record(status, address);
    assert_eq!(r.status_code, StatusCode::NoDataSynchFailed, "{r:?}");
    assert!(
        !r.is_response_in_synch && !r.is_response_from_cache,
        "{r:?}"
    );
    assert_eq!(r.last_successful_synch, "", "{r:?}");
    assert_eq!(r.last_unsuccessful_synch.as_deref().map(str::len), Some(14));
    let error = r.last_unsuccessful_synch_error.as_ref().unwrap();
    assert_eq!(error.causing_agent, agent, "{r:?}");
    assert_eq!(error.code, code, "{r:?}");
    error.text.clone()
}

/// The SOAP Body part of a message (the header names every source asked).
fn body_part(xml: &str) -> &str {
    &xml[xml.find(":Body>").expect("a SOAP Body")..]
}

/// The one request `producer` received: addressed to `source`, with the consumer's
/// correlation id, original consumer and routing history.
fn assert_asked(
    producer: &TestProducer,
    source: &str,
    contract: Contract,
    reply: &Reply,
    original: &str,
) {
    let got = producer.only();
    let info = npo_contracts::fastpath::scan(&got.body).unwrap();
    assert_eq!(info.logical_address.as_deref(), Some(source));
    assert_eq!(info.contract_ns, contract.responder_ns());
    assert_eq!(got.caller.as_deref(), Some(npo_pki::PLATFORM_HSA_ID));
    assert_eq!(got.headers["soapaction"], contract.soap_action());
    assert_eq!(
        Some(got.headers["x-skltp-correlation-id"].as_str()),
        reply.header("x-skltp-correlation-id")
    );
    assert_eq!(
        got.headers["x-rivta-original-serviceconsumer-hsaid"],
        original
    );
    assert_eq!(
        got.headers["x-rivta-routing-history"],
        format!("{CONSUMER}#{INSTANCE}")
    );
}

/// Runs the official validator on a merged response (payload XSD and the test suite's
/// Schematron) and checks its ProcessingStatus header against the official
/// interoperability headers XSD, when `RIVTA_REFERENCE_DIR` is set.
fn official_validate(name: &str, envelope: &str) {
    let Some(reference) = std::env::var_os("RIVTA_REFERENCE_DIR").filter(|d| !d.is_empty()) else {
        eprintln!("SKIPPED official validation of {name}: RIVTA_REFERENCE_DIR is not set");
        return;
    };
    let reference = PathBuf::from(reference);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{name}.xml"));
    std::fs::write(&file, envelope).unwrap();
    let output = Command::new("node")
        .arg(reference.join("../tools/rivta-validate/validate.js"))
        .arg(&file)
        .env("RIVTA_REFERENCE_DIR", &reference)
        .output()
        .expect("node");
    assert!(
        output.status.success(),
        "validate.js rejected {name}:\n{}\n{}\n--- message ---\n{envelope}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    // The header block alone, with its namespace declared on it.
    let start = envelope
        .find("<ih:ProcessingStatus")
        .expect("a ProcessingStatus header");
    let rest = &envelope[start..];
    let end = match rest.find("</ih:ProcessingStatus>") {
        Some(close) => close + "</ih:ProcessingStatus>".len(),
        None => rest.find("/>").unwrap() + 2,
    };
    let header = rest[..end].replacen(
        "<ih:ProcessingStatus",
        "<ih:ProcessingStatus xmlns:ih=\"urn:riv:interoperability:headers:1\"",
        1,
    );
    let header_file = dir.path().join(format!("{name}-header.xml"));
    std::fs::write(&header_file, &header).unwrap();
    let xsd = reference.join(
        "rivta/interoperability_headers_1.0/schemas/core_components/interoperability_headers_1.0.xsd",
    );
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&header_file)
        .output()
        .expect("xmllint");
    assert!(
        output.status.success(),
        "the ProcessingStatus header of {name} breaks the official XSD:\n{}\n--- header ---\n{header}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------
// Scenarios

on_both_backends!(
    a_slow_and_a_faulting_source_leave_the_third_ones_records,
    a_producer_timeout_and_an_error_result_are_reported,
    every_contract_merges_its_sources_and_skips_unauthorised_ones,
    no_engagements_is_an_empty_ok_answer,
    bad_requests_are_clear_faults_without_personal_data,
    a_fault_rule_on_one_source_is_met_inside_the_aggregation,
);

async fn a_slow_and_a_faulting_source_leave_the_third_ones_records(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki = Pki::new();
    let ok = TestProducer::start(&pki, Party::ProducerSchool);
    let slow = TestProducer::start(&pki, Party::ProducerSchool);
    let faulty = TestProducer::start(&pki, Party::ProducerSchool);
    let tak = tak(&[
        (SOURCE_A, &ok, &format!("/typed/{SOURCE_A}"), true),
        (
            SOURCE_B,
            &slow,
            &format!("/typed-slow/4000/{SOURCE_B}"),
            true,
        ),
        (SOURCE_C, &faulty, "/fault", true),
    ]);
    // The aggregation timeout (1.5 s) cuts the slow source off before its own
    // producer timeout (5 s) would.
    let platform = platform(&pki, &db, tak, 1_500, 5_000);
    let contract = Contract::GetDiagnosis;
    register(
        &platform,
        &pki,
        PATIENT,
        &[contract],
        &[SOURCE_A, SOURCE_B, SOURCE_C],
    )
    .await;

    let started = Instant::now();
    let reply = call(
        &platform,
        &pki,
        contract,
        consumer_request(contract, PATIENT),
        &[],
    )
    .await;
    let elapsed = started.elapsed();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        elapsed < Duration::from_millis(4_000),
        "answered without waiting for the slow source ({elapsed:?})"
    );

    let answer = read_answer(contract, &reply.body);
    assert!(answer.result_ok);
    assert_eq!(answer.records, records_per_source(contract));
    let text = reply.text();
    let body = body_part(&text);
    assert!(body.contains(SOURCE_A), "the OK source's records");
    assert!(!body.contains(SOURCE_B) && !body.contains(SOURCE_C));

    let status = answer.status.expect("a ProcessingStatus header");
    assert_eq!(status.processing_status_list.len(), 3, "{status:?}");
    assert_data(&status, SOURCE_A);
    let fault = assert_failed(&status, SOURCE_C, CausingAgent::ServiceProducer, "500");
    assert_eq!(fault, "Producer says no");
    let timeout = assert_failed(
        &status,
        SOURCE_B,
        CausingAgent::VirtualizationPlatform,
        "504",
    );
    assert!(timeout.contains("aggregation timeout"), "{timeout}");

    assert_asked(&ok, SOURCE_A, contract, &reply, CONSUMER);
    assert_asked(&slow, SOURCE_B, contract, &reply, CONSUMER);
    assert_asked(&faulty, SOURCE_C, contract, &reply, CONSUMER);
    official_validate("GetDiagnosis-slow-fault-ok", &text);
}

async fn a_producer_timeout_and_an_error_result_are_reported(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki = Pki::new();
    let ok = TestProducer::start(&pki, Party::ProducerSchool);
    let slow = TestProducer::start(&pki, Party::ProducerSchool);
    let refusing = TestProducer::start(&pki, Party::ProducerSchool);
    let mut tak = tak(&[
        (SOURCE_A, &ok, &format!("/typed/{SOURCE_A}"), true),
        (
            SOURCE_B,
            &slow,
            &format!("/typed-slow/2000/{SOURCE_B}"),
            true,
        ),
        (SOURCE_C, &refusing, "/typed-error", true),
    ]);
    let contract = Contract::GetDiagnosis;
    tak += &auth(CONSUMER, &contract.responder_ns(), UNROUTED);
    // This time the per-producer timeout (300 ms) decides.
    let platform = platform(&pki, &db, tak, 5_000, 300);
    register(
        &platform,
        &pki,
        PATIENT,
        &[contract],
        &[SOURCE_A, SOURCE_B, SOURCE_C, UNROUTED],
    )
    .await;

    let started = Instant::now();
    let reply = call(
        &platform,
        &pki,
        contract,
        consumer_request(contract, PATIENT),
        &[],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(started.elapsed() < Duration::from_millis(2_000));
    let answer = read_answer(contract, &reply.body);
    assert!(answer.result_ok, "the merged result is OK");
    assert_eq!(answer.records, records_per_source(contract));
    let status = answer.status.unwrap();
    assert_data(&status, SOURCE_A);
    let timeout = assert_failed(
        &status,
        SOURCE_B,
        CausingAgent::VirtualizationPlatform,
        "504",
    );
    assert!(timeout.starts_with("VP009 "), "{timeout}");
    let error = assert_failed(
        &status,
        SOURCE_C,
        CausingAgent::ServiceProducer,
        "INVALID_REQUEST",
    );
    assert_eq!(error, ERROR_TEXT);
    // The routing core's refusal is the platform's failure, with its VP code.
    let no_route = assert_failed(
        &status,
        UNROUTED,
        CausingAgent::VirtualizationPlatform,
        "500",
    );
    assert!(no_route.starts_with("VP004 "), "{no_route}");
    assert_eq!(status.processing_status_list.len(), 4, "{status:?}");
    official_validate("GetDiagnosis-timeout-error", &reply.text());
}

async fn every_contract_merges_its_sources_and_skips_unauthorised_ones(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki = Pki::new();
    let a = TestProducer::start(&pki, Party::ProducerSchool);
    let b = TestProducer::start(&pki, Party::ProducerSchool);
    let hidden = TestProducer::start(&pki, Party::ProducerSchool);
    let mut tak = tak(&[
        (SOURCE_A, &a, &format!("/typed/{SOURCE_A}"), true),
        (SOURCE_B, &b, &format!("/typed/{SOURCE_B}"), true),
        (HIDDEN, &hidden, &format!("/typed/{HIDDEN}"), false),
    ]);
    // The nurse system behind the consumer may see source A only.
    tak += &auth(
        NURSE_SYSTEM,
        &Contract::GetDiagnosis.responder_ns(),
        SOURCE_A,
    );
    let platform = platform(&pki, &db, tak, 5_000, 4_000);
    register(
        &platform,
        &pki,
        PATIENT,
        &Contract::CLINICAL,
        &[SOURCE_A, HIDDEN, SOURCE_B],
    )
    .await;
    // The same source registered again under another data controller: asked once.
    let mut again = engagement(PATIENT, Contract::GetDiagnosis, &SOURCE_B.to_lowercase());
    again.engagement.data_controller = "SE2321000016-0002".into();
    let reply = platform
        .call(
            &pki,
            Party::ProducerSchool,
            encode_request(
                EI,
                &Update {
                    engagement_transaction: vec![again],
                },
            ),
            &[],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());

    for (i, contract) in Contract::CLINICAL.into_iter().enumerate() {
        let reply = call(
            &platform,
            &pki,
            contract,
            consumer_request(contract, PATIENT),
            &[],
        )
        .await;
        assert_eq!(reply.status, 200, "{contract}: {}", reply.text());
        let answer = read_answer(contract, &reply.body);
        assert!(answer.result_ok, "{contract}");
        assert_eq!(
            answer.records,
            2 * records_per_source(contract),
            "{contract}: both sources' records"
        );
        let text = reply.text();
        let body = body_part(&text);
        assert!(
            body.contains(SOURCE_A) && body.contains(SOURCE_B),
            "{contract}"
        );
        assert!(
            !text.contains(HIDDEN),
            "{contract}: the unauthorised source stays out"
        );
        let status = answer.status.unwrap();
        assert_eq!(
            status.processing_status_list.len(),
            2,
            "{contract}: {status:?}"
        );
        assert_data(&status, SOURCE_A);
        assert_data(&status, SOURCE_B);
        assert_eq!(a.received().len(), i + 1);
        assert_eq!(b.received().len(), i + 1);
        official_validate(&format!("{contract}-merged"), &text);
    }
    assert!(
        hidden.received().is_empty(),
        "a source the consumer is not authorised for is not called"
    );

    // The original consumer's authorisations decide, not the sending system's.
    let contract = Contract::GetDiagnosis;
    let reply = call(
        &platform,
        &pki,
        contract,
        consumer_request(contract, PATIENT),
        &[("x-rivta-original-serviceconsumer-hsaid", NURSE_SYSTEM)],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = read_answer(contract, &reply.body);
    assert_eq!(answer.records, records_per_source(contract));
    let status = answer.status.unwrap();
    assert_eq!(status.processing_status_list.len(), 1, "{status:?}");
    assert_data(&status, SOURCE_A);
    assert_eq!(b.received().len(), Contract::CLINICAL.len(), "B not asked");
    let last = a.received().pop().unwrap();
    assert_eq!(
        last.headers["x-rivta-original-serviceconsumer-hsaid"],
        NURSE_SYSTEM
    );
}

async fn no_engagements_is_an_empty_ok_answer(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki = Pki::new();
    let a = TestProducer::start(&pki, Party::ProducerSchool);
    let tak = tak(&[(SOURCE_A, &a, &format!("/typed/{SOURCE_A}"), true)]);
    let platform = platform(&pki, &db, tak, 5_000, 4_000);
    // Another patient's engagements, and this patient's in another categorization.
    register(
        &platform,
        &pki,
        OTHER_PATIENT,
        &Contract::CLINICAL,
        &[SOURCE_A],
    )
    .await;
    register(
        &platform,
        &pki,
        PATIENT,
        &[Contract::GetCareContacts],
        &[SOURCE_A],
    )
    .await;

    for contract in Contract::CLINICAL
        .into_iter()
        .filter(|c| *c != Contract::GetCareContacts)
    {
        let reply = call(
            &platform,
            &pki,
            contract,
            consumer_request(contract, PATIENT),
            &[],
        )
        .await;
        assert_eq!(reply.status, 200, "{contract}: {}", reply.text());
        let answer = read_answer(contract, &reply.body);
        assert_eq!(answer.records, 0, "{contract}");
        assert!(answer.result_ok, "{contract}");
        let status = answer.status.expect("an (empty) ProcessingStatus header");
        assert!(status.processing_status_list.is_empty(), "{status:?}");
        official_validate(&format!("{contract}-empty"), &reply.text());
    }
    assert!(a.received().is_empty(), "nobody to ask");
}

async fn bad_requests_are_clear_faults_without_personal_data(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki = Pki::new();
    let a = TestProducer::start(&pki, Party::ProducerSchool);
    let tak = tak(&[(SOURCE_A, &a, &format!("/typed/{SOURCE_A}"), true)]);
    let platform = platform(&pki, &db, tak, 5_000, 4_000);
    register(&platform, &pki, PATIENT, &Contract::CLINICAL, &[SOURCE_A]).await;

    let refused = |reply: &Reply, personal: &str, needle: &str| {
        assert_eq!(reply.status, 500, "{}", reply.text());
        assert!(
            !reply.text().contains(personal),
            "personal data in {}",
            reply.text()
        );
        assert!(reply.header("x-skltp-correlation-id").is_some());
        let fault = match decode_response::<GetDiagnosis>(&reply.body) {
            Err(SoapError::Fault(fault)) => fault,
            other => panic!("expected a SOAP Fault, got {other:?}"),
        };
        assert_eq!(fault.code, FaultCode::Client, "{fault:?}");
        assert!(fault.string.starts_with("Invalid request: "), "{fault:?}");
        assert!(fault.string.contains(needle), "{needle:?} not in {fault:?}");
    };

    // A personnummer with a wrong check digit, in each contract's patient element.
    let wrong = "191212121213";
    for contract in Contract::CLINICAL {
        let reply = call(
            &platform,
            &pki,
            contract,
            consumer_request(contract, wrong),
            &[],
        )
        .await;
        refused(&reply, wrong, "patientId: the check digit is wrong");
    }

    // No patientId at all: the schema is broken, named without content.
    let body = consumer_request(Contract::GetDiagnosis, PATIENT);
    let start = body.find("<patientId>").unwrap();
    let end = body.find("</patientId>").unwrap() + "</patientId>".len();
    let without = format!("{}{}", &body[..start], &body[end..]);
    assert!(!without.contains(PATIENT), "{without}");
    let reply = call(&platform, &pki, Contract::GetDiagnosis, without, &[]).await;
    refused(&reply, PATIENT, "patientId");

    // A valid patient in an element the contract does not have.
    let odd = consumer_request(Contract::GetDiagnosis, PATIENT).replace(
        "</GetDiagnosis>",
        &format!("<nickname>{PATIENT}</nickname></GetDiagnosis>"),
    );
    let reply = call(&platform, &pki, Contract::GetDiagnosis, odd, &[]).await;
    refused(&reply, PATIENT, "nickname");

    // A system without a TAK authorisation for the aggregation address: VP007.
    let body = consumer_request(Contract::GetDiagnosis, PATIENT);
    platform
        .call(&pki, Party::Tester, body, &[])
        .await
        .assert_vp("VP007");

    assert!(
        a.received().is_empty(),
        "no source asked for a refused call"
    );
}

/// A tester's fault rule on one source system's logical address applies to that
/// source's call inside an aggregation: the other source's records arrive and
/// ProcessingStatus reports the injected failure; once the rule is used up, both answer.
async fn a_fault_rule_on_one_source_is_met_inside_the_aggregation(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki = Pki::new();
    let a = TestProducer::start(&pki, Party::ProducerSchool);
    let b = TestProducer::start(&pki, Party::ProducerSchool);
    let tak = tak(&[
        (SOURCE_A, &a, &format!("/typed/{SOURCE_A}"), true),
        (SOURCE_B, &b, &format!("/typed/{SOURCE_B}"), true),
    ]);
    let platform = platform(&pki, &db, tak, 5_000, 4_000);
    let contract = Contract::GetDiagnosis;
    register(&platform, &pki, PATIENT, &[contract], &[SOURCE_A, SOURCE_B]).await;
    let (status, rule) = platform
        .admin(
            "POST",
            "/admin/faults",
            Some(serde_json::json!({
                "logical_address": SOURCE_B,
                "times": 1,
                "action": {"type": "http_error", "status": 503}
            })),
        )
        .await;
    assert_eq!(status, 201, "{rule}");

    let reply = call(
        &platform,
        &pki,
        contract,
        consumer_request(contract, PATIENT),
        &[],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = read_answer(contract, &reply.body);
    assert_eq!(
        answer.records,
        records_per_source(contract),
        "A's records only"
    );
    let status = answer.status.expect("a ProcessingStatus header");
    assert_data(&status, SOURCE_A);
    assert_failed(&status, SOURCE_B, CausingAgent::ServiceProducer, "503");
    assert!(b.received().is_empty(), "the rule answered instead of B");

    let reply = call(
        &platform,
        &pki,
        contract,
        consumer_request(contract, PATIENT),
        &[],
    )
    .await;
    let answer = read_answer(contract, &reply.body);
    assert_eq!(
        answer.records,
        2 * records_per_source(contract),
        "the rule is used up"
    );
    assert_eq!(b.received().len(), 1);
}

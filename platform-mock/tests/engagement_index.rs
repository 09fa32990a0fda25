//! The engagement index inside the platform mock, driven through its SOAP entry point
//! (`EngagementIndex::handle`, and once through the platform's `LocalService` trait)
//! on SQLite and on PostgreSQL (`NPO_TEST_DATABASE_URL`; a schema per test, dropped
//! afterwards).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::connection::SimpleConnection;
use npo_contracts::engagement_index::{
    EngagementTransactionType, EngagementType, FindContent, NOT_APPLICABLE, ProcessNotification,
    ProcessNotificationResponse, RegisteredResidentIdentification, Ts, Update, categorization,
    service_domain,
};
use npo_contracts::registry::Contract;
use npo_contracts::soap::{
    Envelope, Fault, decode_request, decode_response, encode, encode_fault, encode_request,
};
use npo_contracts::types::ResultCode;
use npo_pki::{InitOptions, Party};
use npo_platform::db::{self, DbManager};
use npo_platform::engagement_index::{
    EiFault, EngagementIndex, EngagementIndexConfig, OutboxCounts, SubscriberConfig,
    SubscriberFilter,
};
use npo_platform::local::{LocalCall, LocalService};

/// The index's own logical address (the default).
const EI: &str = npo_pki::ENGAGEMENT_INDEX_HSA_ID;
/// Another engagement index that sends us notifications.
const OTHER_EI: &str = "SE2321000016-EI01";
/// Tolvan Tolvansson, the Swedish test personnummer.
const PATIENT: &str = "191212121212";
const OTHER_PATIENT: &str = "201403129800";
const SCHOOL: &str = npo_pki::PRODUCER_SCHOOL_HSA_ID;
const BVC: &str = npo_pki::PRODUCER_BVC_HSA_ID;
const CARE_GIVER: &str = "SE2120009994-0001";
const OTHER_CARE_GIVER: &str = "SE2321009991-0001";
const CALLER: &str = npo_pki::PRODUCER_SCHOOL_HSA_ID;

// ---------------------------------------------------------------------------------
// Harness

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database: a SQLite file in a temporary folder, or a PostgreSQL schema.
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
                let schema = format!("ei_{}", uuid::Uuid::new_v4().simple());
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

    fn config(&self) -> EngagementIndexConfig {
        EngagementIndexConfig {
            database_url: self.url.clone(),
            pool_size: 2,
            ..EngagementIndexConfig::default()
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
            #[actix_rt::test]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }
            #[actix_rt::test]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    )*};
}

fn open(config: EngagementIndexConfig) -> EngagementIndex {
    EngagementIndex::open(config, None).unwrap()
}

fn engagement(patient: &str, domain: &str, cat: &str, source: &str) -> EngagementType {
    EngagementType {
        registered_resident_identification: RegisteredResidentIdentification::parse(patient)
            .unwrap(),
        service_domain: domain.to_owned(),
        categorization: cat.to_owned(),
        logical_address: source.to_owned(),
        business_object_instance_identifier: NOT_APPLICABLE.to_owned(),
        clinical_process_interest_id: NOT_APPLICABLE.to_owned(),
        most_recent_content: None,
        source_system: source.to_owned(),
        creation_time: None,
        update_time: None,
        data_controller: CARE_GIVER.to_owned(),
        owner: None,
    }
}

fn diagnosis() -> EngagementType {
    engagement(
        PATIENT,
        service_domain::HEALTHCOND_DESCRIPTION,
        categorization::DIAGNOSIS,
        SCHOOL,
    )
}

fn notes() -> EngagementType {
    engagement(
        PATIENT,
        service_domain::HEALTHCOND_DESCRIPTION,
        categorization::CARE_DOCUMENTATION,
        BVC,
    )
}

fn ts(text: &str) -> Option<Ts> {
    Some(Ts::parse(text).unwrap())
}

fn add(e: EngagementType) -> EngagementTransactionType {
    EngagementTransactionType {
        delete_flag: false,
        engagement: e,
    }
}

fn remove(e: EngagementType) -> EngagementTransactionType {
    EngagementTransactionType {
        delete_flag: true,
        engagement: e,
    }
}

fn update_xml(address: &str, transactions: Vec<EngagementTransactionType>) -> String {
    encode_request(
        address,
        &Update {
            engagement_transaction: transactions,
        },
    )
}

async fn update(ei: &EngagementIndex, transactions: Vec<EngagementTransactionType>) {
    let xml = update_xml(EI, transactions);
    let response = ei
        .handle(Contract::Update, CALLER, xml.as_bytes())
        .await
        .unwrap();
    let envelope = decode_response::<Update>(response.as_bytes()).unwrap();
    assert_eq!(envelope.body.result_code, ResultCode::Ok);
}

async fn call(ei: &EngagementIndex, contract: Contract, xml: &str) -> Result<String, EiFault> {
    ei.handle(contract, CALLER, xml.as_bytes()).await
}

fn query(patient: &str, domain: &str) -> FindContent {
    FindContent {
        registered_resident_identification: RegisteredResidentIdentification::parse(patient)
            .unwrap(),
        service_domain: domain.to_owned(),
        categorization: None,
        logical_address: None,
        business_object_instance_identifier: None,
        clinical_process_interest_id: None,
        most_recent_content: None,
        source_system: None,
        data_controller: None,
        owner: None,
    }
}

async fn find(ei: &EngagementIndex, q: FindContent) -> Vec<EngagementType> {
    let xml = encode_request(EI, &q);
    let response = ei
        .handle(Contract::FindContent, CALLER, xml.as_bytes())
        .await
        .unwrap();
    decode_response::<FindContent>(response.as_bytes())
        .unwrap()
        .body
        .engagement
}

async fn find_all(ei: &EngagementIndex) -> Vec<EngagementType> {
    find(ei, query(PATIENT, service_domain::HEALTHCOND_DESCRIPTION)).await
}

/// The refusal carries `code`, is a `soap:Server` Fault whose string starts with the
/// code, and echoes no personal identity number.
fn assert_fault(result: Result<String, EiFault>, code: &str) -> EiFault {
    let fault = result.expect_err("a fault");
    assert_eq!(fault.code.as_str(), code, "{fault}");
    let soap = fault.to_soap();
    let decoded = decode_response::<Update>(soap.as_bytes()).unwrap_err();
    let npo_contracts::soap::SoapError::Fault(Fault {
        code: fault_code,
        string,
        ..
    }) = decoded
    else {
        panic!("not a SOAP Fault: {soap}");
    };
    assert_eq!(fault_code, npo_contracts::soap::FaultCode::Server);
    assert!(string.starts_with(&format!("{code}: ")), "{string}");
    for personal in [PATIENT, OTHER_PATIENT, "19121212-1212"] {
        assert!(!soap.contains(personal), "personal data in {soap}");
    }
    fault
}

/// Runs the official validator on a message, when `RIVTA_REFERENCE_DIR` is set.
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
        .arg("--no-schematron")
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
}

/// Polls `check` until it holds or 10 s pass.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls the outbox until `done` holds or 10 s pass.
async fn outbox_settles(ei: &EngagementIndex, done: impl Fn(OutboxCounts) -> bool) {
    let start = Instant::now();
    loop {
        let counts = ei.outbox_counts().await.unwrap();
        if done(counts) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "outbox stuck at {counts:?}"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------
// A subscriber: an HTTPS server with client-certificate verification that records
// ProcessNotification calls and answers OK (after failing the first `fail_first`).

#[derive(Debug, Clone)]
struct Received {
    caller: Option<String>,
    logical_address: Option<String>,
    correlation_id: Option<String>,
    body: String,
}

struct Receiver {
    url: String,
    calls: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

struct ReceiverState {
    calls: Arc<Mutex<Vec<Received>>>,
    fail_first: AtomicUsize,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<ReceiverState>,
) -> HttpResponse {
    let text = String::from_utf8_lossy(&body).into_owned();
    let logical_address = decode_request::<ProcessNotification>(&body)
        .ok()
        .and_then(|e| e.header.logical_address);
    state.calls.lock().unwrap().push(Received {
        caller: npo_pki::peer_identity(&req).and_then(|p| p.hsa_id.clone()),
        logical_address,
        correlation_id: req
            .headers()
            .get("x-skltp-correlation-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: text,
    });
    let failing = state
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        return HttpResponse::InternalServerError()
            .content_type("text/xml; charset=utf-8")
            .body(encode_fault(&Fault::server(
                "EI000: A technical error has occurred",
            )));
    }
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(encode(&Envelope::bare(ProcessNotificationResponse {
            result_code: ResultCode::Ok,
            comment: None,
        })))
}

impl Receiver {
    async fn start(pki: &Path, fail_first: usize) -> Receiver {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let state = web::Data::new(ReceiverState {
            calls: Arc::clone(&calls),
            fail_first: AtomicUsize::new(fail_first),
        });
        let party = Party::EngagementIndex;
        let acceptor = npo_pki::mtls_acceptor(
            pki.join(party.cert_file()),
            pki.join(party.key_file()),
            pki.join(npo_pki::CA_CERT_FILE),
        )
        .unwrap();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .on_connect(npo_pki::peer_identity_on_connect)
        .bind_openssl("127.0.0.1:0", acceptor)
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_rt::spawn(server);
        Receiver {
            url: format!("https://localhost:{port}/ProcessNotification/1/rivtabp21"),
            calls,
            handle,
        }
    }

    fn calls(&self) -> Vec<Received> {
        self.calls.lock().unwrap().clone()
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn test_pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    npo_pki::init(dir.path(), &InitOptions::default()).unwrap();
    dir
}

/// The platform's client certificate, presented to subscribers.
fn platform_tls(pki: &Path) -> openssl::ssl::SslConnector {
    let party = Party::Platform;
    npo_pki::mtls_connector(
        pki.join(party.cert_file()),
        pki.join(party.key_file()),
        pki.join(npo_pki::CA_CERT_FILE),
    )
    .unwrap()
}

fn notification(received: &Received) -> Vec<EngagementTransactionType> {
    decode_request::<ProcessNotification>(received.body.as_bytes())
        .unwrap()
        .body
        .engagement_transaction
}

// ---------------------------------------------------------------------------------
// Scenarios on both backends

on_both_backends!(
    update_is_visible_at_once_with_the_index_as_owner,
    storing_the_same_engagement_again_keeps_one_row_and_sets_update_time,
    delete_flag_removes,
    every_error_code_is_a_soap_fault,
    a_refused_call_stores_nothing,
    hostile_update_xxe_stores_nothing,
    hostile_update_billion_laughs_stores_nothing,
    hostile_update_soap_12_stores_nothing,
    hostile_update_wrong_namespace_stores_nothing,
    hostile_update_deep_nesting_stores_nothing,
    hostile_update_invalid_utf8_stores_nothing,
    hostile_update_bad_personnummer_stores_nothing,
    sql_and_script_in_engagement_fields_are_stored_verbatim,
    find_content_filters,
    engagements_survive_a_restart,
    process_notification_from_another_index,
    subscribers_get_the_changes,
    notifications_are_retried_in_order_and_survive_a_restart,
    migrations_revert_and_reapply,
);

async fn update_is_visible_at_once_with_the_index_as_owner(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());
    let mut sent = diagnosis();
    sent.most_recent_content = ts("20240115103000");
    // What the caller says about owner and times is not kept (R6; times are the index's).
    sent.owner = Some("SE2120009994-XXXX".to_owned());
    sent.creation_time = ts("20000101000000");
    sent.update_time = ts("20000101000000");
    let xml = update_xml(EI, vec![add(sent)]);
    let response = call(&ei, Contract::Update, &xml).await.unwrap();
    official_validate("UpdateResponse", &response);

    let found = find_all(&ei).await;
    assert_eq!(found.len(), 1);
    let e = &found[0];
    assert_eq!(e.registered_resident_identification.as_str(), PATIENT);
    assert_eq!(e.categorization, categorization::DIAGNOSIS);
    assert_eq!(e.logical_address, SCHOOL);
    assert_eq!(e.source_system, SCHOOL);
    assert_eq!(e.data_controller, CARE_GIVER);
    assert_eq!(e.owner.as_deref(), Some(EI));
    assert_eq!(e.most_recent_content, ts("20240115103000"));
    let created = e.creation_time.as_ref().expect("creationTime").as_str();
    assert!(
        created > "20250101000000",
        "creationTime is now, not the caller's: {created}"
    );
    assert_eq!(e.update_time, None);
    assert_eq!(ei.engagement_count().await.unwrap(), 1);

    let response = encode_request(EI, &query(PATIENT, service_domain::HEALTHCOND_DESCRIPTION));
    let response = call(&ei, Contract::FindContent, &response).await.unwrap();
    official_validate("FindContentResponse", &response);
}

async fn storing_the_same_engagement_again_keeps_one_row_and_sets_update_time(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());
    let mut first = diagnosis();
    first.most_recent_content = ts("20240115103000");
    update(&ei, vec![add(first.clone())]).await;
    let before = find_all(&ei).await;
    update(&ei, vec![add(first)]).await;

    let after = find_all(&ei).await;
    assert_eq!(after.len(), 1);
    assert_eq!(ei.engagement_count().await.unwrap(), 1);
    assert_eq!(after[0].creation_time, before[0].creation_time);
    let updated = after[0]
        .update_time
        .as_ref()
        .expect("updateTime after a second store");
    assert!(updated >= before[0].creation_time.as_ref().unwrap());

    // A newer mostRecentContent replaces the old one; no mostRecentContent clears it,
    // as the real index stores what it is sent.
    let mut newer = diagnosis();
    newer.most_recent_content = ts("20250301080000");
    update(&ei, vec![add(newer)]).await;
    assert_eq!(
        find_all(&ei).await[0].most_recent_content,
        ts("20250301080000")
    );
    update(&ei, vec![add(diagnosis())]).await;
    assert_eq!(find_all(&ei).await[0].most_recent_content, None);
    assert_eq!(ei.engagement_count().await.unwrap(), 1);
}

async fn delete_flag_removes(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());
    update(&ei, vec![add(diagnosis()), add(notes())]).await;
    assert_eq!(find_all(&ei).await.len(), 2);

    update(&ei, vec![remove(diagnosis())]).await;
    let left = find_all(&ei).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].categorization, categorization::CARE_DOCUMENTATION);

    // Removing what is not there is not an error; add and remove in one call works.
    let other = engagement(
        OTHER_PATIENT,
        service_domain::LOGISTICS,
        categorization::CARE_CONTACTS,
        SCHOOL,
    );
    update(&ei, vec![remove(diagnosis()), add(other), remove(notes())]).await;
    assert!(find_all(&ei).await.is_empty());
    assert_eq!(ei.engagement_count().await.unwrap(), 1);
}

async fn every_error_code_is_a_soap_fault(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());

    // EI000: more than 1000 transactions.
    let many: Vec<_> = (0..1001)
        .map(|i| {
            let mut e = diagnosis();
            e.business_object_instance_identifier = format!("doc-{i}");
            add(e)
        })
        .collect();
    let fault = assert_fault(
        call(&ei, Contract::Update, &update_xml(EI, many)).await,
        "EI000",
    );
    assert!(fault.message.contains("more than 1000"), "{fault}");
    // EI000: no transaction at all.
    let empty = update_xml(EI, vec![add(diagnosis())]);
    let start = empty.find("<engagementTransaction>").unwrap();
    let end = empty.find("</engagementTransaction>").unwrap() + "</engagementTransaction>".len();
    let empty = format!("{}{}", &empty[..start], &empty[end..]);
    assert_fault(call(&ei, Contract::Update, &empty).await, "EI000");
    // EI000: FindContent without a service domain.
    let blank_domain = encode_request(EI, &query(PATIENT, " "));
    let fault = assert_fault(
        call(&ei, Contract::FindContent, &blank_domain).await,
        "EI000",
    );
    assert!(
        fault.message.contains("serviceDomain is mandatory"),
        "{fault}"
    );
    // 1000 is allowed.
    let thousand: Vec<_> = (0..1000)
        .map(|i| {
            let mut e = diagnosis();
            e.business_object_instance_identifier = format!("doc-{i}");
            add(e)
        })
        .collect();
    call(&ei, Contract::Update, &update_xml(EI, thousand))
        .await
        .unwrap();
    assert_eq!(ei.engagement_count().await.unwrap(), 1000);

    // EI001: not the schema (a boolean that is none; a resident id that does not
    // match the pattern, which must not be echoed; another operation's body).
    let bad_flag = update_xml(EI, vec![add(diagnosis())]).replace(
        "<ei:deleteFlag>false</ei:deleteFlag>",
        "<ei:deleteFlag>maybe</ei:deleteFlag>",
    );
    assert!(bad_flag.contains("maybe"));
    assert_fault(call(&ei, Contract::Update, &bad_flag).await, "EI001");
    let bad_resident = update_xml(EI, vec![add(diagnosis())]).replace(PATIENT, "19121212-1212");
    let fault = assert_fault(call(&ei, Contract::Update, &bad_resident).await, "EI001");
    assert!(
        fault.message.contains("registeredResidentIdentification"),
        "{fault}"
    );
    let find_as_update = encode_request(EI, &query(PATIENT, service_domain::LOGISTICS));
    assert_fault(call(&ei, Contract::Update, &find_as_update).await, "EI001");
    assert_fault(
        call(&ei, Contract::GetDiagnosis, &find_as_update).await,
        "EI001",
    );

    // EI002: the same engagement twice in one call (whatever the delete flags).
    let twice = update_xml(
        EI,
        vec![add(notes()), add(diagnosis()), remove(diagnosis())],
    );
    let fault = assert_fault(call(&ei, Contract::Update, &twice).await, "EI002");
    assert!(fault.message.contains("#2 and #3"), "{fault}");

    // EI003: addressed elsewhere, or not addressed; exact comparison.
    let elsewhere = update_xml(SCHOOL, vec![add(diagnosis())]);
    let fault = assert_fault(call(&ei, Contract::Update, &elsewhere).await, "EI003");
    assert!(
        fault.message.contains(SCHOOL) && fault.message.contains(EI),
        "{fault}"
    );
    let unaddressed = encode(&Envelope::bare(Update {
        engagement_transaction: vec![add(diagnosis())],
    }));
    let fault = assert_fault(call(&ei, Contract::Update, &unaddressed).await, "EI003");
    assert!(fault.message.contains("missing"), "{fault}");
    let lower = update_xml(&EI.to_lowercase(), vec![add(diagnosis())]);
    assert_fault(call(&ei, Contract::Update, &lower).await, "EI003");
    let personal = update_xml(PATIENT, vec![add(diagnosis())]);
    assert_fault(call(&ei, Contract::Update, &personal).await, "EI003");

    // EI004: a mandatory element missing, blank, padded; too long; not a real time.
    let xml = update_xml(EI, vec![add(diagnosis())]);
    let start = xml.find("<ei:dataController>").expect("core prefix ei");
    let end = xml.find("</ei:dataController>").unwrap() + "</ei:dataController>".len();
    let missing = format!("{}{}", &xml[..start], &xml[end..]);
    let fault = assert_fault(call(&ei, Contract::Update, &missing).await, "EI004");
    assert!(
        fault.message.contains("\"dataController\" is missing"),
        "{fault}"
    );
    let mut blank = diagnosis();
    blank.service_domain = "   ".to_owned();
    let fault = assert_fault(
        call(&ei, Contract::Update, &update_xml(EI, vec![add(blank)])).await,
        "EI004",
    );
    assert!(
        fault.message.contains("\"serviceDomain\" is missing"),
        "{fault}"
    );
    let mut padded = diagnosis();
    padded.logical_address = format!("{SCHOOL} ");
    let fault = assert_fault(
        call(&ei, Contract::Update, &update_xml(EI, vec![add(padded)])).await,
        "EI004",
    );
    assert!(fault.message.contains("white space"), "{fault}");
    let mut long = diagnosis();
    long.categorization = "x".repeat(256);
    let fault = assert_fault(
        call(&ei, Contract::Update, &update_xml(EI, vec![add(long)])).await,
        "EI004",
    );
    assert!(
        fault.message.contains("\"categorization\" is to long"),
        "{fault}"
    );
    let mut unreal = diagnosis();
    unreal.most_recent_content = ts("20250231120000");
    let fault = assert_fault(
        call(&ei, Contract::Update, &update_xml(EI, vec![add(unreal)])).await,
        "EI004",
    );
    assert!(fault.message.contains("mostRecentContent"), "{fault}");

    // EI005/EI006: reserved HSA-IDs (the index's own, the platform's; any case).
    let mut to_self = diagnosis();
    to_self.logical_address = EI.to_owned();
    let fault = assert_fault(
        call(
            &ei,
            Contract::Update,
            &update_xml(EI, vec![add(notes()), add(to_self)]),
        )
        .await,
        "EI005",
    );
    assert!(
        fault.message.contains("EngagementTransaction #2"),
        "{fault}"
    );
    let mut to_platform = diagnosis();
    to_platform.logical_address = npo_pki::PLATFORM_HSA_ID.to_lowercase();
    assert_fault(
        call(
            &ei,
            Contract::Update,
            &update_xml(EI, vec![add(to_platform)]),
        )
        .await,
        "EI005",
    );
    let mut from_platform = diagnosis();
    from_platform.source_system = npo_pki::PLATFORM_HSA_ID.to_owned();
    let fault = assert_fault(
        call(
            &ei,
            Contract::Update,
            &update_xml(EI, vec![add(from_platform)]),
        )
        .await,
        "EI006",
    );
    assert!(fault.message.contains(npo_pki::PLATFORM_HSA_ID), "{fault}");

    // Only the 1000 accepted ones were stored.
    assert_eq!(ei.engagement_count().await.unwrap(), 1000);
}

async fn a_refused_call_stores_nothing(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());
    let mut bad = notes();
    bad.data_controller = String::new();
    let xml = update_xml(EI, vec![add(diagnosis()), add(bad)]);
    assert_fault(call(&ei, Contract::Update, &xml).await, "EI004");
    assert_eq!(ei.engagement_count().await.unwrap(), 0);
    assert_eq!(ei.outbox_counts().await.unwrap().pending, 0);
}

async fn find_content_filters(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());
    let mut dia = diagnosis();
    dia.most_recent_content = ts("20240101120000");
    let mut voo = notes();
    voo.data_controller = OTHER_CARE_GIVER.to_owned();
    voo.most_recent_content = ts("20250601120000");
    let growth = engagement(
        PATIENT,
        service_domain::HEALTHCOND_BASIC,
        categorization::OBSERVATIONS,
        BVC,
    );
    let other = engagement(
        OTHER_PATIENT,
        service_domain::HEALTHCOND_DESCRIPTION,
        categorization::DIAGNOSIS,
        SCHOOL,
    );
    update(&ei, vec![add(dia), add(voo), add(growth), add(other)]).await;

    let domain = service_domain::HEALTHCOND_DESCRIPTION;
    let count = |q: FindContent| {
        let ei = ei.clone();
        async move { find(&ei, q).await.len() }
    };
    assert_eq!(count(query(PATIENT, domain)).await, 2);
    assert_eq!(count(query(OTHER_PATIENT, domain)).await, 1);
    assert_eq!(
        count(query(PATIENT, service_domain::HEALTHCOND_BASIC)).await,
        1
    );
    assert_eq!(count(query(PATIENT, service_domain::LOGISTICS)).await, 0);

    let mut q = query(PATIENT, domain);
    q.categorization = Some(categorization::DIAGNOSIS.to_owned());
    let found = find(&ei, q).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].categorization, categorization::DIAGNOSIS);

    let mut q = query(PATIENT, domain);
    q.logical_address = Some(BVC.to_owned());
    let found = find(&ei, q).await;
    assert_eq!((found.len(), found[0].logical_address.as_str()), (1, BVC));

    let mut q = query(PATIENT, domain);
    q.source_system = Some(SCHOOL.to_owned());
    let found = find(&ei, q).await;
    assert_eq!((found.len(), found[0].source_system.as_str()), (1, SCHOOL));

    let mut q = query(PATIENT, domain);
    q.data_controller = Some(OTHER_CARE_GIVER.to_owned());
    let found = find(&ei, q).await;
    assert_eq!(
        (found.len(), found[0].data_controller.as_str()),
        (1, OTHER_CARE_GIVER)
    );

    let mut q = query(PATIENT, domain);
    q.owner = Some(EI.to_owned());
    assert_eq!(count(q).await, 2);
    let mut q = query(PATIENT, domain);
    q.owner = Some(OTHER_EI.to_owned());
    assert_eq!(count(q).await, 0);

    // mostRecentContent: content at or after the time given.
    let mut q = query(PATIENT, domain);
    q.most_recent_content = ts("20250601120000");
    let found = find(&ei, q).await;
    assert_eq!(
        (found.len(), found[0].categorization.as_str()),
        (1, categorization::CARE_DOCUMENTATION)
    );

    let mut q = query(PATIENT, domain);
    q.business_object_instance_identifier = Some(NOT_APPLICABLE.to_owned());
    q.clinical_process_interest_id = Some(NOT_APPLICABLE.to_owned());
    assert_eq!(count(q).await, 2);
    let mut q = query(PATIENT, domain);
    q.business_object_instance_identifier = Some("doc-1".to_owned());
    assert_eq!(count(q).await, 0);
    // An empty element is a filter too (it matches nothing), as in the real index.
    let mut q = query(PATIENT, domain);
    q.categorization = Some(String::new());
    assert_eq!(count(q).await, 0);
}

async fn engagements_survive_a_restart(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());
    update(&ei, vec![add(diagnosis())]).await;
    let before = find_all(&ei).await;
    drop(ei);

    let reopened = open(db.config());
    let after = find_all(&reopened).await;
    assert_eq!(after, before);
    // Migrations already applied are not applied again.
    assert!(EngagementIndex::migrate(&db.config()).unwrap().is_empty());
}

async fn process_notification_from_another_index(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());
    // This index owns the diagnosis engagement; the other index takes it over (R5).
    update(&ei, vec![add(diagnosis())]).await;
    let owned_by = |owner: &str, mut e: EngagementType| {
        e.owner = Some(owner.to_owned());
        e
    };
    let notification = ProcessNotification {
        engagement_transaction: vec![
            add(owned_by(OTHER_EI, diagnosis())),
            add(owned_by(OTHER_EI, notes())),
            // Our own engagement coming back in a circle is dropped.
            add(owned_by(
                EI,
                engagement(
                    PATIENT,
                    service_domain::HEALTHCOND_DESCRIPTION,
                    "und",
                    SCHOOL,
                ),
            )),
        ],
    };
    // The logical address is not checked for ProcessNotification.
    let xml = encode_request("anything", &notification);
    let response = call(&ei, Contract::ProcessNotification, &xml)
        .await
        .unwrap();
    let answer = decode_response::<ProcessNotification>(response.as_bytes()).unwrap();
    assert_eq!(answer.body.result_code, ResultCode::Ok);
    official_validate("ProcessNotificationResponse", &response);

    let found = find_all(&ei).await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|e| e.owner.as_deref() == Some(OTHER_EI)));
    assert!(found.iter().all(|e| e.categorization != "und"));

    // Deletion by notification.
    let xml = encode_request(
        EI,
        &ProcessNotification {
            engagement_transaction: vec![remove(owned_by(OTHER_EI, notes()))],
        },
    );
    call(&ei, Contract::ProcessNotification, &xml)
        .await
        .unwrap();
    assert_eq!(find_all(&ei).await.len(), 1);

    // Owner is mandatory here; validation is otherwise Update's.
    let xml = encode_request(
        EI,
        &ProcessNotification {
            engagement_transaction: vec![add(notes())],
        },
    );
    let fault = assert_fault(
        call(&ei, Contract::ProcessNotification, &xml).await,
        "EI004",
    );
    assert!(fault.message.contains("\"owner\" is missing"), "{fault}");
    let twice = ProcessNotification {
        engagement_transaction: vec![
            add(owned_by(OTHER_EI, notes())),
            add(owned_by(OTHER_EI, notes())),
        ],
    };
    assert_fault(
        call(
            &ei,
            Contract::ProcessNotification,
            &encode_request(EI, &twice),
        )
        .await,
        "EI002",
    );
    let mut reserved = owned_by(OTHER_EI, notes());
    reserved.source_system = EI.to_owned();
    let xml = encode_request(
        EI,
        &ProcessNotification {
            engagement_transaction: vec![add(reserved)],
        },
    );
    assert_fault(
        call(&ei, Contract::ProcessNotification, &xml).await,
        "EI006",
    );
}

async fn subscribers_get_the_changes(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki = test_pki();
    let all = Receiver::start(pki.path(), 0).await;
    let notes_only = Receiver::start(pki.path(), 0).await;
    let mut config = db.config();
    config.subscribers = vec![
        SubscriberConfig {
            logical_address: OTHER_EI.to_owned(),
            url: all.url.clone(),
            filters: Vec::new(),
        },
        SubscriberConfig {
            logical_address: "SE2321000016-EI02".to_owned(),
            url: notes_only.url.clone(),
            filters: vec![SubscriberFilter {
                service_domain: service_domain::HEALTHCOND_DESCRIPTION.to_owned(),
                categorizations: vec![categorization::CARE_DOCUMENTATION.to_owned()],
            }],
        },
    ];
    let ei = EngagementIndex::open(config, Some(platform_tls(pki.path()))).unwrap();

    let mut dia = diagnosis();
    dia.most_recent_content = ts("20240101120000");
    update(&ei, vec![add(dia.clone()), add(notes())]).await;
    eventually("the first notifications", || {
        all.calls().len() == 1 && notes_only.calls().len() == 1
    })
    .await;
    let first = &all.calls()[0];
    assert_eq!(first.caller.as_deref(), Some(npo_pki::PLATFORM_HSA_ID));
    assert_eq!(first.logical_address.as_deref(), Some(OTHER_EI));
    assert!(first.correlation_id.is_some());
    official_validate("ProcessNotification", &first.body);
    let sent = notification(first);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|t| !t.delete_flag));
    assert!(
        sent.iter()
            .all(|t| t.engagement.owner.as_deref() == Some(EI))
    );
    assert!(sent.iter().all(|t| t.engagement.creation_time.is_some()));
    assert!(sent.iter().all(|t| t.engagement.update_time.is_none()));
    let filtered = notification(&notes_only.calls()[0]);
    assert_eq!(filtered.len(), 1);
    assert_eq!(
        filtered[0].engagement.categorization,
        categorization::CARE_DOCUMENTATION
    );
    assert_eq!(
        notes_only.calls()[0].logical_address.as_deref(),
        Some("SE2321000016-EI02")
    );

    // Stored again unchanged: nothing to tell. A new mostRecentContent: told, with
    // updateTime. The subscriber's next message is the second one only.
    update(&ei, vec![add(dia.clone())]).await;
    dia.most_recent_content = ts("20250101120000");
    update(&ei, vec![add(dia.clone())]).await;
    eventually("the changed engagement", || all.calls().len() == 2).await;
    let changed = notification(&all.calls()[1]);
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0].engagement.most_recent_content,
        ts("20250101120000")
    );
    assert!(changed[0].engagement.update_time.is_some());

    // A deletion is passed on too.
    update(&ei, vec![remove(dia)]).await;
    eventually("the deletion", || all.calls().len() == 3).await;
    let deleted = notification(&all.calls()[2]);
    assert_eq!((deleted.len(), deleted[0].delete_flag), (1, true));
    assert_eq!(notes_only.calls().len(), 1, "filtered out: no message");

    // Changes received from another index are passed on as well.
    let mut foreign = engagement(
        OTHER_PATIENT,
        service_domain::HEALTHCOND_DESCRIPTION,
        categorization::CARE_DOCUMENTATION,
        BVC,
    );
    foreign.owner = Some("SE2321000016-EI03".to_owned());
    let xml = encode_request(
        EI,
        &ProcessNotification {
            engagement_transaction: vec![add(foreign)],
        },
    );
    call(&ei, Contract::ProcessNotification, &xml)
        .await
        .unwrap();
    eventually("the forwarded notification", || {
        notes_only.calls().len() == 2
    })
    .await;
    let forwarded = notification(&notes_only.calls()[1]);
    assert_eq!(
        forwarded[0].engagement.owner.as_deref(),
        Some("SE2321000016-EI03")
    );

    outbox_settles(&ei, |c| c.pending == 0).await;
    drop(ei);
    all.stop().await;
    notes_only.stop().await;
}

async fn notifications_are_retried_in_order_and_survive_a_restart(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki = test_pki();
    // First: a subscriber that is down. The messages wait in the outbox.
    let mut config = db.config();
    config.notification.retry_delay_ms = 20;
    config.notification.max_attempts = 1000;
    config.notification.timeout_ms = 2000;
    config.subscribers = vec![SubscriberConfig {
        logical_address: OTHER_EI.to_owned(),
        url: "https://localhost:9/ProcessNotification/1/rivtabp21".to_owned(),
        filters: Vec::new(),
    }];
    let ei = EngagementIndex::open(config.clone(), Some(platform_tls(pki.path()))).unwrap();
    update(&ei, vec![add(diagnosis())]).await;
    update(&ei, vec![remove(diagnosis())]).await;
    assert_eq!(ei.outbox_counts().await.unwrap().pending, 2);
    drop(ei);

    // Then the subscriber is up (and fails twice before it answers OK); a new index on
    // the same database delivers both, in order.
    let receiver = Receiver::start(pki.path(), 2).await;
    config.subscribers[0].url = receiver.url.clone();
    let ei = EngagementIndex::open(config, Some(platform_tls(pki.path()))).unwrap();
    eventually("both messages", || receiver.calls().len() == 4).await;
    let calls = receiver.calls();
    // Calls 1-3 are the first message (two failures, then OK), call 4 the second.
    assert_eq!(calls[0].body, calls[2].body);
    assert!(!notification(&calls[2])[0].delete_flag);
    assert!(notification(&calls[3])[0].delete_flag);
    outbox_settles(&ei, |c| c.pending == 0).await;
    receiver.stop().await;
}

async fn migrations_revert_and_reapply(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let mut conn = DbManager::new(&db.url).open().unwrap();
    let applied = db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied.len(), 1);
    db::revert_all_migrations(&mut conn).unwrap();
    assert_eq!(db::run_migrations(&mut conn).unwrap().len(), 1);
    drop(conn);
    let ei = open(db.config());
    update(&ei, vec![add(diagnosis())]).await;
    assert_eq!(ei.engagement_count().await.unwrap(), 1);
}

// ---------------------------------------------------------------------------------
// Backend-independent

#[actix_rt::test]
async fn notifications_are_given_up_after_max_attempts() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let pki = test_pki();
    let receiver = Receiver::start(pki.path(), usize::MAX).await;
    let mut config = db.config();
    config.notification.retry_delay_ms = 10;
    config.notification.max_attempts = 3;
    config.subscribers = vec![SubscriberConfig {
        logical_address: OTHER_EI.to_owned(),
        url: receiver.url.clone(),
        filters: Vec::new(),
    }];
    let ei = EngagementIndex::open(config, Some(platform_tls(pki.path()))).unwrap();
    update(&ei, vec![add(diagnosis())]).await;
    outbox_settles(&ei, |c| c.pending == 0 && c.failed == 1).await;
    assert_eq!(receiver.calls().len(), 3);
    // The engagement itself was stored all the same.
    assert_eq!(find_all(&ei).await.len(), 1);
    receiver.stop().await;
}

#[actix_rt::test]
async fn the_platform_hands_calls_over_through_local_service() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let ei = open(db.config());
    let update_ns = Contract::Update.responder_ns();
    assert!(ei.handles(EI, &update_ns));
    assert!(ei.handles(&EI.to_lowercase(), &Contract::FindContent.responder_ns()));
    assert!(ei.handles(EI, &Contract::ProcessNotification.responder_ns()));
    assert!(!ei.handles(SCHOOL, &update_ns));
    assert!(!ei.handles(EI, &Contract::GetDiagnosis.responder_ns()));
    assert_eq!(LocalService::name(&ei), "engagement-index");

    let ctx = |operation: &str, ns: String| LocalCall {
        correlation_id: "c0ffee".to_owned(),
        sender_hsa_id: CALLER.to_owned(),
        original_consumer_hsa_id: CALLER.to_owned(),
        logical_address: EI.to_owned(),
        contract_ns: ns,
        operation: operation.to_owned(),
        soap_action: None,
        routing_history: "x".to_owned(),
        instance_id: "test".to_owned(),
    };
    // What the trait's `call` answers (it needs no routing core).
    let ok = ei
        .answer_call(
            &ctx("Update", update_ns.clone()),
            update_xml(EI, vec![add(diagnosis())]).into(),
        )
        .await;
    assert_eq!(ok.status, 200);
    assert!(ok.content_type.starts_with("text/xml"));
    let refused = ei
        .answer_call(
            &ctx("Update", update_ns),
            update_xml(EI, vec![add(diagnosis()), add(diagnosis())]).into(),
        )
        .await;
    assert_eq!(refused.status, 500);
    let body = String::from_utf8(refused.body.to_vec()).unwrap();
    assert!(body.contains("<faultstring>EI002: "), "{body}");
    assert_eq!(find_all(&ei).await.len(), 1);
}

#[actix_rt::test]
async fn an_unreachable_database_is_ei000_without_details() {
    let dir = tempfile::tempdir().unwrap();
    let config = EngagementIndexConfig {
        database_url: dir
            .path()
            .join("no/such/dir/ei.sqlite")
            .to_string_lossy()
            .into_owned(),
        migrate_on_start: false,
        database_timeout_ms: 200,
        ..EngagementIndexConfig::default()
    };
    let ei = open(config);
    let xml = encode_request(EI, &query(PATIENT, service_domain::HEALTHCOND_DESCRIPTION));
    let fault = assert_fault(call(&ei, Contract::FindContent, &xml).await, "EI000");
    assert_eq!(
        fault.message,
        "A technical error has occurred, error message: the engagement index database is unavailable"
    );
}

#[test]
fn configuration_section() {
    let text = r#"
        logical_address = "SE5599000014-EI4R"
        database_url = "data/ei.sqlite"
        pool_size = 8
        reserved_hsa_ids = ["SE5599000014-TP1K"]

        [[subscribers]]
        logical_address = "SE2321000016-EI01"
        url = "https://localhost:8443/vp/ProcessNotification/1/rivtabp21"

        [[subscribers.filters]]
        service_domain = "riv:clinicalprocess:healthcond:description"
        categorizations = ["voo", "dia"]

        [notification]
        max_attempts = 10
    "#;
    let table: toml::Table = toml::from_str(text).unwrap();
    let mut config = EngagementIndexConfig::from_table(table.clone()).unwrap();
    config.resolve_paths(Path::new("/etc/npo"));
    assert_eq!(config.database_url, "/etc/npo/data/ei.sqlite");
    config.validate().unwrap();
    assert_eq!(config.subscribers[0].filters[0].categorizations.len(), 2);
    assert_eq!(config.notification.max_attempts, 10);
    assert_eq!(config.notification.retry_delay_ms, 1000);
    assert!(config.subscribers[0].admits("RIV:clinicalprocess:healthcond:description", "VOO"));
    assert!(!config.subscribers[0].admits("riv:clinicalprocess:healthcond:description", "und"));

    // The platform's view: logical_address apart, the rest as a table.
    let mut rest = table;
    rest.remove("logical_address");
    let config = EngagementIndexConfig::from_parts("5565594230", &rest).unwrap();
    assert_eq!(config.logical_address, "5565594230");
    assert!(config.is_reserved("5565594230"));
    assert!(config.accepts_logical_address("5565594230"));

    // Defaults: the test PKI's index address, the platform reserved.
    let defaults = EngagementIndexConfig::from_table(toml::Table::new()).unwrap();
    assert_eq!(defaults.logical_address, EI);
    assert!(defaults.is_reserved(npo_pki::PLATFORM_HSA_ID));
    defaults.validate().unwrap();

    let unknown: toml::Table = toml::from_str("databse_url = \"x\"").unwrap();
    assert!(EngagementIndexConfig::from_table(unknown).is_err());
    let bad = EngagementIndexConfig {
        logical_address: "not an hsa id".to_owned(),
        ..EngagementIndexConfig::default()
    };
    assert!(bad.validate().is_err());
    let bad = EngagementIndexConfig {
        subscribers: vec![SubscriberConfig {
            logical_address: OTHER_EI.to_owned(),
            url: "ftp://x".to_owned(),
            filters: Vec::new(),
        }],
        ..EngagementIndexConfig::default()
    };
    assert!(bad.validate().is_err());
    // An https subscriber needs a client certificate.
    let dir = tempfile::tempdir().unwrap();
    let https = EngagementIndexConfig {
        database_url: dir.path().join("ei.sqlite").to_string_lossy().into_owned(),
        subscribers: vec![SubscriberConfig {
            logical_address: OTHER_EI.to_owned(),
            url: "https://localhost:1/x".to_owned(),
            filters: Vec::new(),
        }],
        ..EngagementIndexConfig::default()
    };
    assert!(EngagementIndex::open(https, None).is_err());
}

// ---------------------------------------------------------------------------------
// Bad-input catalogue (SECURITY.md): hostile Update calls are refused with the
// documented code and store nothing (no engagement, no notification queued).

/// Sends `body` as an Update; expects `code` and nothing stored. Returns the fault.
async fn refused_update(backend: Backend, body: Vec<u8>, code: &str) -> Option<EiFault> {
    let db = TestDb::new(backend)?;
    let ei = open(db.config());
    let fault = assert_fault(ei.handle(Contract::Update, CALLER, &body).await, code);
    assert_eq!(ei.engagement_count().await.unwrap(), 0);
    assert_eq!(ei.outbox_counts().await.unwrap().pending, 0);
    assert!(!fault.message.contains("root:"), "{fault}");
    Some(fault)
}

fn valid_update() -> String {
    update_xml(EI, vec![add(diagnosis())])
}

async fn hostile_update_xxe_stores_nothing(backend: Backend) {
    let body = valid_update().replace(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
    );
    let body = body.replace(PATIENT, "&xxe;");
    if let Some(fault) = refused_update(backend, body.into_bytes(), "EI001").await {
        assert!(fault.message.contains("entity declaration"), "{fault}");
    }
}

async fn hostile_update_billion_laughs_stores_nothing(backend: Backend) {
    let mut dtd = String::from("<!DOCTYPE soap:Envelope [<!ENTITY l0 \"lol\">");
    for i in 1..10 {
        dtd += &format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10));
    }
    dtd += "]>";
    let body = valid_update()
        .replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", &dtd)
        .replace(CARE_GIVER, "&l9;");
    let started = Instant::now();
    refused_update(backend, body.into_bytes(), "EI001").await;
    assert!(started.elapsed() < Duration::from_secs(5));
}

async fn hostile_update_soap_12_stores_nothing(backend: Backend) {
    let body = valid_update().replace(
        "http://schemas.xmlsoap.org/soap/envelope/",
        "http://www.w3.org/2003/05/soap-envelope",
    );
    if let Some(fault) = refused_update(backend, body.into_bytes(), "EI001").await {
        assert!(fault.message.contains("SOAP 1.2"), "{fault}");
    }
}

async fn hostile_update_wrong_namespace_stores_nothing(backend: Backend) {
    let body = valid_update().replace(
        "urn:riv:itintegration:engagementindex:UpdateResponder:1",
        "urn:riv:itintegration:engagementindex:UpdateResponder:2",
    );
    if let Some(fault) = refused_update(backend, body.into_bytes(), "EI001").await {
        assert!(fault.message.contains("namespace"), "{fault}");
    }
}

async fn hostile_update_deep_nesting_stores_nothing(backend: Backend) {
    let depth = 5_000;
    let body = valid_update().replace(
        "<ei:deleteFlag>",
        &format!(
            "{}{}<ei:deleteFlag>",
            "<x>".repeat(depth),
            "</x>".repeat(depth)
        ),
    );
    if let Some(fault) = refused_update(backend, body.into_bytes(), "EI001").await {
        assert!(fault.message.contains("deeper than 64"), "{fault}");
    }
}

async fn hostile_update_invalid_utf8_stores_nothing(backend: Backend) {
    let text = valid_update();
    let at = text.find(CARE_GIVER).unwrap() + 2;
    let mut body = text.into_bytes();
    body[at] = 0xc3; // a lone lead byte
    body[at + 1] = 0x28;
    refused_update(backend, body, "EI001").await;
}

async fn hostile_update_bad_personnummer_stores_nothing(backend: Backend) {
    // Like the real index, Update checks the schema pattern (12 characters, digits
    // and a reserve-number letter in the ninth place), not the date or check digit.
    for bad in ["1912121212X2", "19121212-1212", "1912121212121"] {
        let body = valid_update().replace(PATIENT, bad);
        if let Some(fault) = refused_update(backend, body.into_bytes(), "EI001").await {
            assert!(!fault.message.contains(bad), "{fault}");
            assert!(
                fault.message.contains("registeredResidentIdentification"),
                "{fault}"
            );
        }
    }
}

async fn sql_and_script_in_engagement_fields_are_stored_verbatim(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ei = open(db.config());
    let hostile = "x'); DROP TABLE engagements; --<script>alert(1)</script>";
    let mut e = diagnosis();
    e.business_object_instance_identifier = hostile.to_owned();
    e.clinical_process_interest_id = "' OR '1'='1".to_owned();
    let xml = update_xml(EI, vec![add(e)]);
    assert!(xml.contains("&lt;script&gt;"), "escaped on the wire");
    call(&ei, Contract::Update, &xml).await.unwrap();
    let found = find_all(&ei).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].business_object_instance_identifier, hostile);
    assert_eq!(found[0].clinical_process_interest_id, "' OR '1'='1");
    // The response escapes it again, and the table is still there.
    let response = call(
        &ei,
        Contract::FindContent,
        &encode_request(EI, &query(PATIENT, service_domain::HEALTHCOND_DESCRIPTION)),
    )
    .await
    .unwrap();
    assert!(!response.contains("<script>"), "{response}");
    assert_eq!(ei.engagement_count().await.unwrap(), 1);
}

//! The engagement-index outbox worker against a test engagement index (an HTTPS server
//! with mTLS from the same test PKI that answers EI Update), on SQLite and PostgreSQL:
//! failed calls (HTTP 500 with a fault, a dropped connection, a non-OK result, a
//! platform that is not there yet) are retried with backoff, and every change arrives
//! exactly once, in batches of at most `batch_size`, and is marked delivered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use npo_contracts::engagement_index::{EngagementTransactionType, Update, UpdateResponse};
use npo_contracts::soap::{self, Envelope, Fault};
use npo_contracts::types::ResultCode;
use npo_pki::{InitOptions, Party};
use npo_producer::config::{
    DatabaseConfig, EngagementIndexConfig, ProducerConfig, ServerConfig, TlsConfig,
};
use npo_producer::import::{self, ImportDocument, ImportOptions};
use npo_producer::outbox;
use support::*;

const EI_ADDRESS: &str = "SE5599000014-EI4R";
const OWNER: &str = "SE2120009994-EH7S";
const BATCH_SIZE: usize = 3;

/// What the test index does with a call.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// HTTP 500 with a SOAP Fault.
    Fault,
    /// Headers, then the connection is dropped mid-body.
    Drop,
    /// HTTP 200, `ResultCode` ERROR.
    NotOk,
}

/// One accepted call.
#[derive(Debug, Clone)]
struct Call {
    path: String,
    caller: Option<String>,
    logical_address: Option<String>,
    soap_action: Option<String>,
    transactions: Vec<EngagementTransactionType>,
}

/// The test engagement index: answers the first calls as `script` says, then OK.
#[derive(Debug, Default)]
struct TestIndex {
    script: Vec<Answer>,
    calls: AtomicUsize,
    accepted: Mutex<Vec<Call>>,
}

async fn update(req: HttpRequest, body: web::Bytes, index: web::Data<TestIndex>) -> HttpResponse {
    let n = index.calls.fetch_add(1, Ordering::SeqCst);
    let xml = |r: &str| {
        HttpResponse::Ok()
            .content_type("text/xml; charset=utf-8")
            .body(r.to_owned())
    };
    match index.script.get(n) {
        Some(Answer::Fault) => {
            return HttpResponse::InternalServerError()
                .content_type("text/xml; charset=utf-8")
                .body(soap::encode_fault(&Fault::server(
                    "EI000 temporarily unavailable",
                )));
        }
        Some(Answer::Drop) => {
            let broken = futures_util::stream::once(async {
                Err::<web::Bytes, _>(actix_web::error::ErrorInternalServerError("dropped"))
            });
            return HttpResponse::Ok()
                .content_type("text/xml")
                .streaming(broken);
        }
        Some(Answer::NotOk) => {
            let response = UpdateResponse {
                result_code: ResultCode::Error,
                comment: Some("EI000 try later".into()),
            };
            return xml(&soap::encode(&Envelope::bare(response)));
        }
        None => {}
    }
    let envelope = soap::decode_request::<Update>(&body).expect("a valid Update");
    index.accepted.lock().unwrap().push(Call {
        path: req.path().to_owned(),
        caller: npo_pki::peer_identity(&req).and_then(|p| p.hsa_id.clone()),
        logical_address: envelope.header.logical_address,
        soap_action: req
            .headers()
            .get("soapaction")
            .map(|v| v.to_str().unwrap().to_owned()),
        transactions: envelope.body.engagement_transaction,
    });
    xml(&soap::encode(&Envelope::bare(UpdateResponse {
        result_code: ResultCode::Ok,
        comment: None,
    })))
}

/// Starts the test index on `port` (0: any); returns the port.
fn start_index(
    pki: &Path,
    port: u16,
    index: web::Data<TestIndex>,
) -> (u16, actix_web::dev::ServerHandle) {
    let acceptor = npo_pki::mtls_acceptor(
        pki.join(Party::EngagementIndex.cert_file()),
        pki.join(Party::EngagementIndex.key_file()),
        pki.join(npo_pki::CA_CERT_FILE),
    )
    .unwrap();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(index.clone())
            .default_service(web::to(update))
    })
    .on_connect(npo_pki::peer_identity_on_connect)
    .workers(1)
    .bind_openssl(("127.0.0.1", port), acceptor)
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (port, handle)
}

/// Starts a producer on `db` whose worker sends to `https://localhost:<ei_port>`.
fn start_producer(db: &TestDb, pki: &Path, ei_port: u16) -> actix_web::dev::ServerHandle {
    let config = ProducerConfig {
        server: ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_body_bytes: 64 * 1024,
            workers: 1,
        },
        tls: TlsConfig {
            cert: pki.join(Party::ProducerSchool.cert_file()),
            key: pki.join(Party::ProducerSchool.key_file()),
            ca: pki.join(npo_pki::CA_CERT_FILE),
        },
        allowed_callers: vec![Party::Platform.hsa_id().to_owned()],
        source_systems: vec![SOURCE_SYSTEM.to_owned()],
        database: DatabaseConfig {
            url: db.url.clone(),
            pool_size: 3,
            migrate_on_start: true,
        },
        consumer_scopes: vec![],
        engagement_index: Some(EngagementIndexConfig {
            platform_url: format!("https://localhost:{ei_port}"),
            logical_address: EI_ADDRESS.into(),
            owner: OWNER.into(),
            batch_size: BATCH_SIZE,
            max_backoff_secs: 1,
            initial_backoff_ms: 20,
            poll_interval_ms: 20,
            timeout_secs: 5,
        }),
        admin: None,
    };
    config.validate().unwrap();
    let app = npo_producer::startup::Application::build(config).unwrap();
    let server = app.into_server();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    handle
}

fn pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    npo_pki::init(dir.path(), &InitOptions::default()).unwrap();
    dir
}

/// The IMPORT.md example: six records, one engagement each.
fn example() -> ImportDocument {
    let md =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("IMPORT.md")).unwrap();
    let after = &md[md.find("### A complete example").unwrap()..];
    let start = after.find("```json\n").unwrap() + "```json\n".len();
    let end = start + after[start..].find("\n```").unwrap();
    import::read(&after.as_bytes()[start..end], &ImportOptions::default()).unwrap()
}

fn delete_diagnosis() -> ImportDocument {
    let json = format!(
        r#"{{"deletions": [{{"type": "diagnosis", "sourceSystemHsaId": "{SOURCE_SYSTEM}", "documentId": "dia-2025-0001"}}]}}"#
    );
    import::read(json.as_bytes(), &ImportOptions::default()).unwrap()
}

/// Polls `done` until it holds (at most 20 s).
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

/// What identifies one engagement change as received.
fn received_key(
    t: &EngagementTransactionType,
) -> (String, String, String, String, bool, Option<String>) {
    let e = &t.engagement;
    (
        e.registered_resident_identification.to_string(),
        e.categorization.clone(),
        e.source_system.clone(),
        e.data_controller.clone(),
        t.delete_flag,
        e.most_recent_content.as_ref().map(ToString::to_string),
    )
}

fn all_received(index: &TestIndex) -> Vec<EngagementTransactionType> {
    index
        .accepted
        .lock()
        .unwrap()
        .iter()
        .flat_map(|c| c.transactions.clone())
        .collect()
}

async fn delivers_every_change_exactly_once(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki_dir = pki();
    let pki = pki_dir.path();
    let index = web::Data::new(TestIndex {
        script: vec![Answer::Fault, Answer::Drop],
        ..TestIndex::default()
    });
    let (ei_port, ei_server) = start_index(pki, 0, index.clone());
    let producer = start_producer(&db, pki, ei_port);

    let mut conn = db.connect();
    let summary = import::apply(&mut conn, &example()).unwrap();
    assert_eq!(summary.engagement_updates, 6);
    wait_until("every row is delivered", || {
        outbox::pending_count(&mut conn).unwrap() == 0
    })
    .await;

    // Two failed calls, then two batches of three.
    assert_eq!(index.calls.load(Ordering::SeqCst), 4);
    let rows = outbox::all_rows(&mut conn).unwrap();
    assert_eq!(rows.len(), 6);
    assert!(
        rows.iter()
            .all(|r| r.delivered_at.is_some() && r.last_error.is_none())
    );
    assert_eq!(
        rows.iter().map(|r| r.attempts).collect::<Vec<_>>(),
        [2, 2, 2, 0, 0, 0]
    );
    let received = all_received(&index);
    let distinct: BTreeSet<_> = received.iter().map(received_key).collect();
    assert_eq!(
        (received.len(), distinct.len()),
        (6, 6),
        "each change exactly once"
    );
    let expected: BTreeSet<_> = rows
        .iter()
        .map(|r| {
            (
                r.registered_resident_identification.clone(),
                r.categorization.clone(),
                r.source_system.clone(),
                r.data_controller.clone(),
                r.delete_flag,
                r.most_recent_content.clone(),
            )
        })
        .collect();
    assert_eq!(distinct, expected);
    for call in index.accepted.lock().unwrap().iter() {
        assert_eq!(call.path, "/Update/1/rivtabp21");
        assert_eq!(call.caller.as_deref(), Some(Party::ProducerSchool.hsa_id()));
        assert_eq!(call.logical_address.as_deref(), Some(EI_ADDRESS));
        assert!(
            call.soap_action
                .as_deref()
                .unwrap_or_default()
                .contains("UpdateResponder:1:Update")
        );
        assert!(call.transactions.len() <= BATCH_SIZE);
        for t in &call.transactions {
            let e = &t.engagement;
            assert_eq!(
                e.owner.as_deref(),
                Some(OWNER),
                "the worker's owner for rows without one"
            );
            assert_eq!(
                (
                    e.logical_address.as_str(),
                    e.business_object_instance_identifier.as_str()
                ),
                (SOURCE_SYSTEM, "NA")
            );
        }
    }

    // A deletion of the last diagnosis: one removal, delivered once.
    let summary = import::apply(&mut conn, &delete_diagnosis()).unwrap();
    assert_eq!(summary.engagement_updates, 1);
    wait_until("the removal is delivered", || {
        outbox::pending_count(&mut conn).unwrap() == 0
    })
    .await;
    let received = all_received(&index);
    assert_eq!(received.len(), 7);
    let removal = received.last().unwrap();
    assert!(removal.delete_flag);
    assert_eq!(removal.engagement.categorization, "dia");
    // Nothing is sent again.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(index.calls.load(Ordering::SeqCst), 5);
    producer.stop(false).await;
    ei_server.stop(false).await;
}

async fn retries_until_the_index_is_there_and_accepts(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let pki_dir = pki();
    let pki = pki_dir.path();
    // Nothing listens on the port yet: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let producer = start_producer(&db, pki, port);
    let mut conn = db.connect();
    import::apply(&mut conn, &example()).unwrap();
    wait_until("two attempts failed", || {
        outbox::all_rows(&mut conn)
            .unwrap()
            .first()
            .is_some_and(|r| r.attempts >= 2)
    })
    .await;
    let head = outbox::all_rows(&mut conn).unwrap().remove(0);
    assert!(head.delivered_at.is_none());
    assert!(
        head.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("sending failed"),
        "{:?}",
        head.last_error
    );
    // The index comes up, first answering ERROR, then OK.
    let index = web::Data::new(TestIndex {
        script: vec![Answer::NotOk],
        ..TestIndex::default()
    });
    let (_, ei_server) = start_index(pki, port, index.clone());
    wait_until("every row is delivered", || {
        outbox::pending_count(&mut conn).unwrap() == 0
    })
    .await;
    let received = all_received(&index);
    let distinct: BTreeSet<_> = received.iter().map(received_key).collect();
    assert_eq!(
        (received.len(), distinct.len()),
        (6, 6),
        "each change exactly once"
    );
    assert_eq!(
        index.calls.load(Ordering::SeqCst),
        3,
        "one refused by the index, two batches accepted"
    );
    let rows = outbox::all_rows(&mut conn).unwrap();
    assert!(
        rows[..BATCH_SIZE].iter().all(|r| r.attempts >= 3),
        "{rows:?}"
    );
    producer.stop(false).await;
    ei_server.stop(false).await;
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
    delivers_every_change_exactly_once,
    retries_until_the_index_is_there_and_accepts
);

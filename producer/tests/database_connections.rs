//! How the producer uses its database connections: the bundled SQLite's threading
//! mode, and reads that meet a connection the PostgreSQL server closed while it sat in
//! the pool (restart, `pg_terminate_backend`, an idle timeout in between).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use diesel::prelude::*;
use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::soap;
use npo_contracts::types::ResultCode;
use npo_producer::db::DbConn;
use npo_producer::records::diagnosis::{self, DiagnosisRecord};
use support::*;

const PUPIL: &str = "201403129800";

#[derive(QueryableByName)]
struct CompileOption {
    #[diesel(sql_type = diesel::sql_types::Text)]
    compile_options: String,
}

/// `.cargo/config.toml` builds the bundled SQLite in multi-thread mode (no
/// per-call connection mutex; diesel's connections are never shared between threads).
#[test]
fn bundled_sqlite_is_built_in_multi_thread_mode() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let DbConn::Sqlite(mut conn) = db.connect() else {
        panic!("a SQLite connection");
    };
    let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
        .load::<CompileOption>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|o| o.compile_options)
        .collect();
    assert!(
        options.iter().any(|o| o == "THREADSAFE=2"),
        "SQLite compile options: {options:?}"
    );
}

fn record(i: usize) -> DiagnosisRecord {
    diagnosis_record(
        &format!("reconnect-{i}"),
        PUPIL,
        &format!("2025030{}081500", 1 + i),
    )
}

/// Calls GetDiagnosis; returns the number of records of an OK answer, or panics with
/// what came back.
async fn diagnoses(producer: &TestProducer) -> usize {
    let (status, body) = producer
        .post(
            "/GetDiagnosis/2/rivtabp21",
            get_diagnosis_request(PUPIL),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let response = soap::decode_response::<GetDiagnosis>(body.as_bytes())
        .unwrap()
        .body;
    assert_eq!(
        response.result.as_ref().map(|r| r.result_code),
        Some(ResultCode::Ok),
        "{body}"
    );
    response.diagnosis.len()
}

/// Ends every session of `application_name` on the server and waits until they are
/// gone.
fn terminate_sessions(base_url: &str, application_name: &str) {
    let mut admin = npo_producer::db::DbManager::new(base_url).open().unwrap();
    let DbConn::Pg(admin) = &mut admin else {
        panic!("a PostgreSQL connection");
    };
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let terminated = diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
         WHERE application_name = $1",
    )
    .bind::<diesel::sql_types::Text, _>(application_name)
    .get_result::<Count>(admin)
    .unwrap();
    assert!(terminated.n > 0, "the producer's sessions were found");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind::<diesel::sql_types::Text, _>(application_name)
        .get_result::<Count>(admin)
        .unwrap();
        if left.n == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "sessions still there after 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The pool hands out a connection that was returned moments ago without a
/// `SELECT 1` first. When the server closed it in the meantime, the read fails with a
/// connection error; the connection is discarded and the read is made once more on
/// another, so the caller gets its answer and not a SOAP Fault. Later calls work on
/// new connections.
#[actix_rt::test]
async fn a_read_after_the_server_closed_every_pooled_connection_is_answered() {
    let Some(mut db) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let application_name = format!("npo_reconnect_{}", uuid::Uuid::new_v4().simple());
    db.url = format!("{}&application_name={application_name}", db.url);
    let base_url = std::env::var("NPO_TEST_DATABASE_URL").unwrap();
    {
        let mut conn = db.connect();
        for i in 0..3 {
            diagnosis::upsert(&mut conn, &record(i)).unwrap();
        }
    }
    let producer = TestProducer::start(db);
    assert_eq!(diagnoses(&producer).await, 3);

    // Within the validation bypass: the connection just used is handed out unchecked.
    terminate_sessions(&base_url, &application_name);
    assert_eq!(
        diagnoses(&producer).await,
        3,
        "answered on a new connection"
    );
    assert_eq!(diagnoses(&producer).await, 3);

    // After the bypass window every idle connection is checked again on checkout.
    terminate_sessions(&base_url, &application_name);
    std::thread::sleep(npo_producer::db::VALIDATION_BYPASS + Duration::from_millis(100));
    assert_eq!(
        diagnoses(&producer).await,
        3,
        "answered after the window too"
    );
    producer.stop().await;
}

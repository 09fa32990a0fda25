//! GetDiagnosis throughput: requests/s and p50/p99 latency of `POST
//! /GetDiagnosis/2/rivtabp21` (50 diagnosis records of one patient) on SQLite and on
//! PostgreSQL, side by side with a static-bytes endpoint mounted in the same server
//! (same TLS, middleware and workers) that answers the same response bytes, precomputed.
//! The ratio dynamic/static shows what the contract work (database, filtering, XML)
//! costs compared with the transport alone; the target is at least 50 %.
//!
//! A third row per backend, "journal read alone", is the floor under the dynamic one:
//! the same read the endpoint makes (the query and writing the records into the
//! response) run in a loop on one connection of the bench process, with no HTTP, TLS or
//! thread hand-off. A request to the dynamic endpoint costs at least the static
//! request plus this read, which bounds the ratio ("ceiling" in the table): at C=1 by
//! static latency / (static latency + read time); at the highest C, where the load
//! saturates the cores, by static CPU / (static CPU + read CPU), with static CPU per
//! request = cores / static requests/s and the read's CPU measured on both sides (this
//! process, and the PostgreSQL server process of its connection, from `/proc`).
//!
//! Load: C concurrent keep-alive mTLS connections over loopback, one blocking client
//! thread each, each sending the next request when the previous answer is read; a
//! warm-up then a timed window per case (bounded by time and by count). The client sets
//! TCP_NODELAY and writes every request with one `SSL_write`, so the latencies are the
//! server's and not Nagle/delayed-ACK stalls of the client.
//!
//! ```sh
//! cargo bench -p npo-producer --bench throughput
//! NPO_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p npo-producer --bench throughput
//! ```
//!
//! Environment (all optional):
//! - `NPO_TEST_DATABASE_URL`: PostgreSQL base URL; a schema of its own is created and
//!   dropped afterwards. Unset: the PostgreSQL rows are skipped with a note.
//! - `NPO_BENCH_CONCURRENCY`: comma-separated connection counts (default `1,16`).
//! - `NPO_BENCH_SECONDS`: measured seconds per case (default 5).
//! - `NPO_BENCH_WARMUP_SECONDS`: warm-up seconds per case (default 1).
//! - `NPO_BENCH_MAX_REQUESTS`: most measured requests per case (default 1000000).
//! - `NPO_BENCH_SERVER_WORKERS`: producer worker threads (default 2).
//! - `NPO_BENCH_POOL_SIZE`: database pool size (default 8).
//! - `NPO_BENCH_RUNS`: runs of each case, alternating dynamic and static; the table
//!   shows the medians (default 3).
//! - `NPO_BENCH_BACKENDS`: `sqlite`, `postgres` or both (default `sqlite,postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::soap;
use npo_pki::{InitOptions, Party};
use npo_producer::config::{DatabaseConfig, ProducerConfig, ServerConfig, TlsConfig};
use npo_producer::db;
use npo_producer::records::diagnosis::{self, DiagnosisRecord};
use npo_producer::startup::{Application, ExtraRoutes};
use openssl::ssl::{SslConnector, SslStream};

const SOURCE_SYSTEM: &str = "SE2120009994-EH7S";
const CARE_GIVER: &str = "SE2120009994-0001";
const UNIT: &str = "SE2120009994-0A01";
const PUPIL: &str = "201403129800";
const PNR: &str = "1.2.752.129.2.1.3.1";
const RECORDS: usize = 50;
const DYNAMIC_PATH: &str = "/GetDiagnosis/2/rivtabp21";
/// Only in the benchmark's server (through `build_with_extra_routes`).
const STATIC_PATH: &str = "/bench/static-get-diagnosis";

struct Settings {
    concurrency: Vec<usize>,
    seconds: f64,
    warmup: f64,
    max_requests: u64,
    server_workers: usize,
    pool_size: u32,
    runs: usize,
    backends: Vec<Backend>,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: cannot parse {v:?}")),
        _ => default,
    }
}

impl Settings {
    fn from_env() -> Self {
        let concurrency = std::env::var("NPO_BENCH_CONCURRENCY")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "1,16".into())
            .split(',')
            .map(|c| {
                let c: usize = c.trim().parse().expect("NPO_BENCH_CONCURRENCY: numbers");
                assert!(c > 0, "NPO_BENCH_CONCURRENCY: at least 1");
                c
            })
            .collect();
        Settings {
            concurrency,
            seconds: env_or("NPO_BENCH_SECONDS", 5.0),
            warmup: env_or("NPO_BENCH_WARMUP_SECONDS", 1.0),
            max_requests: env_or("NPO_BENCH_MAX_REQUESTS", 1_000_000),
            server_workers: env_or("NPO_BENCH_SERVER_WORKERS", 2),
            pool_size: env_or("NPO_BENCH_POOL_SIZE", 8),
            runs: env_or::<usize>("NPO_BENCH_RUNS", 3).max(1),
            backends: std::env::var("NPO_BENCH_BACKENDS")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| "sqlite,postgres".into())
                .split(',')
                .map(|b| match b.trim() {
                    "sqlite" => Backend::Sqlite,
                    "postgres" => Backend::Postgres,
                    other => panic!("NPO_BENCH_BACKENDS: unknown backend {other:?}"),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh database (SQLite file, or a PostgreSQL schema dropped with the value).
struct BenchDb {
    url: String,
    schema: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl BenchDb {
    fn new(backend: Backend) -> Option<BenchDb> {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Some(BenchDb {
                url: dir
                    .path()
                    .join("producer.sqlite")
                    .to_string_lossy()
                    .into_owned(),
                schema: None,
                _dir: dir,
            }),
            Backend::Postgres => {
                let base = std::env::var("NPO_TEST_DATABASE_URL")
                    .ok()
                    .filter(|u| !u.is_empty())?;
                let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
                let mut admin = db::DbManager::new(&base)
                    .open()
                    .expect("connect to NPO_TEST_DATABASE_URL");
                admin
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .unwrap();
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
                Some(BenchDb {
                    url,
                    schema: Some((base, schema)),
                    _dir: dir,
                })
            }
        }
    }

    /// Migrates and stores the 50 records.
    fn fill(&self) {
        let mut conn = db::DbManager::new(&self.url).open().unwrap();
        db::run_migrations(&mut conn).unwrap();
        for i in 0..RECORDS {
            diagnosis::upsert(&mut conn, &record(i)).unwrap();
        }
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema
            && let Ok(mut admin) = db::DbManager::new(base).open()
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

fn record(i: usize) -> DiagnosisRecord {
    let author_time = format!(
        "2025{:02}{:02}{:02}0000",
        1 + i % 12,
        1 + i % 28,
        8 + i % 10
    );
    let signed = i.is_multiple_of(2);
    DiagnosisRecord {
        document_id: format!("bench-diagnosis-{i:02}"),
        source_system_hsa_id: SOURCE_SYSTEM.into(),
        patient_id: PUPIL.into(),
        patient_id_type: PNR.into(),
        author_time: author_time.clone(),
        author_hsa_id: Some("SE2120009994-P001".into()),
        author_name: Some("Karin Lindqvist".into()),
        author_role_code: Some("201010".into()),
        author_role_name: Some("Skolläkare".into()),
        author_org_unit_hsa_id: Some(UNIT.into()),
        author_org_unit_name: Some("Elevhälsan Björkskolan".into()),
        care_unit_hsa_id: UNIT.into(),
        care_giver_hsa_id: CARE_GIVER.into(),
        legal_authenticator_hsa_id: signed.then(|| "SE2120009994-P001".into()),
        legal_authenticator_name: signed.then(|| "Karin Lindqvist".into()),
        signature_time: signed.then(|| author_time.clone()),
        approved_for_patient: true,
        care_contact_id: Some(format!("vko-{}", i % 7)),
        nullified: false,
        nullified_reason: None,
        type_of_diagnosis: if i.is_multiple_of(3) {
            "Huvuddiagnos"
        } else {
            "Bidiagnos"
        }
        .into(),
        chronic_diagnosis: Some(i.is_multiple_of(4)),
        diagnosis_time: Some(author_time),
        diagnosis_code: Some("J45.9".into()),
        diagnosis_code_system: None,
        diagnosis_display_name: Some("Astma, ospecificerad".into()),
        diagnosis_original_text: None,
    }
}

fn request_envelope() -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{SOURCE_SYSTEM}</a:LogicalAddress></s:Header><s:Body><GetDiagnosis xmlns="urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2" xmlns:c="urn:riv:clinicalprocess:healthcond:description:2"><patientId><c:id>{PUPIL}</c:id><c:type>{PNR}</c:type></patientId></GetDiagnosis></s:Body></s:Envelope>"#
    )
}

/// Paths of the platform's client certificate.
#[derive(Clone)]
struct ClientPki {
    cert: PathBuf,
    key: PathBuf,
    ca: PathBuf,
}

impl ClientPki {
    fn connector(&self) -> SslConnector {
        npo_pki::mtls_connector(&self.cert, &self.key, &self.ca).unwrap()
    }
}

/// The load client: one blocking HTTP/1.1 keep-alive connection over mTLS with
/// TCP_NODELAY, writing each request (head and body) with one `SSL_write`, so neither
/// Nagle's algorithm nor delayed ACKs on the client side add to the latency. Reads
/// `Content-Length` bodies (what the producer sends for a SOAP answer).
struct Connection {
    stream: SslStream<TcpStream>,
    buf: Vec<u8>,
}

impl Connection {
    fn open(connector: &SslConnector, port: u16) -> Connection {
        let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        tcp.set_nodelay(true).expect("TCP_NODELAY");
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let stream = connector.connect("localhost", tcp).expect("TLS handshake");
        Connection {
            stream,
            buf: Vec::with_capacity(256 * 1024),
        }
    }

    /// Sends one prepared request; returns the status and the body.
    fn call(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        self.stream.write_all(request).expect("write request");
        self.buf.clear();
        let mut chunk = [0u8; 64 * 1024];
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk).expect("read response");
            assert!(n > 0, "connection closed by the producer");
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).expect("ASCII head");
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let length: usize = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.trim().parse().expect("content-length"))
            .expect("a Content-Length response");
        while self.buf.len() < head_end + length {
            let n = self.stream.read(&mut chunk).expect("read body");
            assert!(n > 0, "connection closed by the producer");
            self.buf.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(
            self.buf.len(),
            head_end + length,
            "no pipelining: nothing more"
        );
        (status, self.buf[head_end..].to_vec())
    }
}

/// The bytes of one POST (head and body), sent as they are for every request.
fn http_request(path: &str, body: &str) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2:GetDiagnosis\"\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body.as_bytes());
    request
}

#[derive(Clone)]
struct CaseResult {
    requests: u64,
    errors: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl CaseResult {
    /// Per-column medians of several runs (errors and requests summed).
    fn median(runs: &[CaseResult]) -> CaseResult {
        let med = |f: fn(&CaseResult) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        CaseResult {
            requests: runs.iter().map(|r| r.requests).sum(),
            errors: runs.iter().map(|r| r.errors).sum(),
            rps: med(|r| r.rps),
            p50_ms: med(|r| r.p50_ms),
            p99_ms: med(|r| r.p99_ms),
        }
    }
}

/// The `p`th percentile (nearest rank) of sorted nanosecond latencies, in ms; NaN when
/// there are none.
fn percentile_ms(sorted_ns: &[u64], p: usize) -> f64 {
    if sorted_ns.is_empty() {
        return f64::NAN;
    }
    let rank = (sorted_ns.len() * p).div_ceil(100).max(1) - 1;
    sorted_ns[rank] as f64 / 1e6
}

/// One connection's measurements.
#[derive(Default)]
struct ConnStats {
    latencies_ns: Vec<u64>,
    errors: u64,
    last_finish: Option<Instant>,
}

/// Runs C connections (one thread each) against `path` (warm-up, then the measured
/// window).
fn run_case(
    connector: &SslConnector,
    port: u16,
    request: &[u8],
    expected_len: usize,
    connections: usize,
    settings: &Settings,
) -> CaseResult {
    // Connections are set up before the warm-up, which starts for everyone together.
    let start = Instant::now() + Duration::from_millis(300);
    let measure_from = start + Duration::from_secs_f64(settings.warmup);
    let measure_until = measure_from + Duration::from_secs_f64(settings.seconds);
    let measured = Arc::new(AtomicU64::new(0));
    let max = settings.max_requests;
    let handles: Vec<_> = (0..connections)
        .map(|_| {
            let connector = connector.clone();
            let request = request.to_vec();
            let measured = measured.clone();
            std::thread::spawn(move || {
                let mut conn = Connection::open(&connector, port);
                let mut stats = ConnStats {
                    latencies_ns: Vec::with_capacity(64 * 1024),
                    ..ConnStats::default()
                };
                let now = Instant::now();
                if now < start {
                    std::thread::sleep(start - now);
                }
                loop {
                    let sent = Instant::now();
                    if sent >= measure_until
                        || (sent >= measure_from && measured.load(Ordering::Relaxed) >= max)
                    {
                        break;
                    }
                    let (status, bytes) = conn.call(&request);
                    let done = Instant::now();
                    if sent >= measure_from {
                        measured.fetch_add(1, Ordering::Relaxed);
                        if status != 200 || bytes.len() != expected_len {
                            stats.errors += 1;
                        }
                        stats.latencies_ns.push((done - sent).as_nanos() as u64);
                        stats.last_finish = Some(done);
                    }
                }
                stats
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut last = measure_from;
    for handle in handles {
        let stats = handle.join().expect("load thread");
        latencies.extend(stats.latencies_ns);
        errors += stats.errors;
        if let Some(finish) = stats.last_finish {
            last = last.max(finish);
        }
    }
    latencies.sort_unstable();
    let requests = latencies.len() as u64;
    let elapsed = (last - measure_from).as_secs_f64().max(1e-9);
    let pct = |p| percentile_ms(&latencies, p);
    CaseResult {
        requests,
        errors,
        rps: requests as f64 / elapsed,
        p50_ms: pct(50),
        p99_ms: pct(99),
    }
}

/// The endpoint's journal read (query and records written into the response) in a
/// loop on one connection, no HTTP; per-read p50/p99 and reads/s.
fn read_alone(url: &str, settings: &Settings) -> (CaseResult, ReadCpu) {
    use npo_contracts::get_diagnosis::GetDiagnosisResponseWriter;
    use npo_contracts::types::PatientId;
    use npo_producer::source::Filters;
    let mut conn = db::DbManager::new(url).open().unwrap();
    let filters = Filters {
        patient: PatientId::from_typed(PUPIL, PNR).unwrap(),
        source_system: SOURCE_SYSTEM.into(),
        period: None,
        care_unit_hsa_ids: vec![],
        care_giver_hsa_ids: vec![],
        care_contact_ids: vec![],
        consumer: None,
    };
    // CPU of the read on both sides: this thread, and the PostgreSQL server process
    // serving the connection (same machine).
    let server_pid = match &mut conn {
        db::DbConn::Pg(pg) => {
            #[derive(diesel::QueryableByName)]
            struct Pid {
                #[diesel(sql_type = diesel::sql_types::Integer)]
                pid: i32,
            }
            use diesel::RunQueryDsl as _;
            let pid: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
                .get_result(pg)
                .unwrap();
            Some(pid.pid)
        }
        db::DbConn::Sqlite(_) => None,
    };
    let server_ticks = || server_pid.map_or(0, |pid| cpu_ticks(&format!("/proc/{pid}/stat")));
    let mut read = || {
        let mut out = GetDiagnosisResponseWriter::new(64);
        diagnosis::write_found(&mut conn, &filters, &mut out).unwrap();
        out.finish(&npo_contracts::types::ResultType::ok("bench"))
            .len()
    };
    let warm_until = Instant::now() + Duration::from_secs_f64(settings.warmup);
    while Instant::now() < warm_until {
        read();
    }
    let mut latencies = Vec::with_capacity(64 * 1024);
    let (own_before, server_before) = (cpu_ticks("/proc/thread-self/stat"), server_ticks());
    let from = Instant::now();
    let until = from + Duration::from_secs_f64(settings.seconds);
    let mut last = from;
    while last < until && (latencies.len() as u64) < settings.max_requests {
        let started = Instant::now();
        assert!(read() > RECORDS * 1000, "the records were written");
        last = Instant::now();
        latencies.push((last - started).as_nanos() as u64);
    }
    let own = cpu_ticks("/proc/thread-self/stat") - own_before;
    let server = server_ticks() - server_before;
    let per_read_us = |ticks: u64| ticks as f64 * 1e6 / CLOCK_TICKS / latencies.len() as f64;
    let cpu = ReadCpu {
        own_us: per_read_us(own),
        server_us: per_read_us(server),
    };
    latencies.sort_unstable();
    let pct = |p| percentile_ms(&latencies, p);
    (
        CaseResult {
            requests: latencies.len() as u64,
            errors: 0,
            rps: latencies.len() as f64 / (last - from).as_secs_f64().max(1e-9),
            p50_ms: pct(50),
            p99_ms: pct(99),
        },
        cpu,
    )
}

/// Clock ticks per second of `/proc/*/stat` (USER_HZ, 100 on Linux).
const CLOCK_TICKS: f64 = 100.0;

/// CPU time per read of [`read_alone`], in µs.
struct ReadCpu {
    /// In the bench process (query, row decoding, XML).
    own_us: f64,
    /// In the PostgreSQL server process (0 for SQLite, which runs in-process).
    server_us: f64,
}

/// utime + stime (clock ticks) of a `/proc/.../stat` file.
fn cpu_ticks(path: &str) -> u64 {
    let stat = std::fs::read_to_string(path).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

struct Row {
    backend: &'static str,
    endpoint: &'static str,
    concurrency: usize,
    result: CaseResult,
    ratio: String,
}

fn producer_config(pki: &Path, url: &str, settings: &Settings) -> ProducerConfig {
    ProducerConfig {
        server: ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_body_bytes: 64 * 1024,
            workers: settings.server_workers,
        },
        tls: TlsConfig {
            cert: pki.join(Party::ProducerSchool.cert_file()),
            key: pki.join(Party::ProducerSchool.key_file()),
            ca: pki.join(npo_pki::CA_CERT_FILE),
        },
        allowed_callers: vec![Party::Platform.hsa_id().to_owned()],
        source_systems: vec![SOURCE_SYSTEM.to_owned()],
        database: DatabaseConfig {
            url: url.to_owned(),
            pool_size: settings.pool_size,
            migrate_on_start: true,
        },
        consumer_scopes: vec![],
        engagement_index: None,
        admin: None,
    }
}

/// Starts a producer with the static route on `db`, measures both endpoints at every
/// concurrency, stops it.
fn bench_backend(backend: Backend, db: &BenchDb, settings: &Settings) -> Vec<Row> {
    let pki_dir = tempfile::tempdir().unwrap();
    npo_pki::init(pki_dir.path(), &InitOptions::default()).unwrap();
    let pki = pki_dir.path();
    let client_pki = ClientPki {
        cert: pki.join(Party::Platform.cert_file()),
        key: pki.join(Party::Platform.key_file()),
        ca: pki.join(npo_pki::CA_CERT_FILE),
    };
    let config = producer_config(pki, &db.url, settings);
    config.validate().unwrap();

    // The precomputed answer, filled from one real GetDiagnosis call before the load.
    let precomputed: Arc<OnceLock<web::Bytes>> = Arc::new(OnceLock::new());
    let for_route = precomputed.clone();
    let extra: ExtraRoutes = Arc::new(move |cfg: &mut web::ServiceConfig| {
        let bytes = for_route.clone();
        cfg.route(
            STATIC_PATH,
            web::post().to(move |_request: web::Bytes| {
                let bytes = bytes.get().cloned().unwrap_or_default();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/xml; charset=utf-8")
                        .body(bytes)
                }
            }),
        );
    });

    // The server runs in its own actix system on its own thread (plus its workers);
    // the load threads are plain blocking threads.
    let (started, ready) = std::sync::mpsc::channel();
    let server_thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build_with_extra_routes(config, extra).unwrap();
            let port = app.port();
            let server = app.into_server();
            started.send((port, server.handle())).unwrap();
            server.await
        })
    });
    let (port, handle) = ready.recv().expect("producer started");
    let connector = client_pki.connector();
    let envelope = request_envelope();
    let dynamic_request = http_request(DYNAMIC_PATH, &envelope);
    let static_request = http_request(STATIC_PATH, &envelope);
    let (status, body) = Connection::open(&connector, port).call(&dynamic_request);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let decoded = soap::decode_response::<GetDiagnosis>(&body)
        .expect("valid GetDiagnosis response")
        .body;
    assert_eq!(decoded.diagnosis.len(), RECORDS, "all records answered");
    let expected_len = body.len();
    precomputed.set(web::Bytes::from(body)).expect("set once");
    eprintln!(
        "{}: producer on port {port}, response {expected_len} bytes, {RECORDS} records",
        backend.name()
    );

    // The load runs on its own threads; the server's workers are their own threads too,
    // so this thread (the server's system) only waits.
    let mut rows = Vec::new();
    for &c in &settings.concurrency {
        let mut dynamic_runs = Vec::new();
        let mut static_runs = Vec::new();
        for run in 1..=settings.runs {
            let dynamic = run_case(
                &connector,
                port,
                &dynamic_request,
                expected_len,
                c,
                settings,
            );
            let stat = run_case(&connector, port, &static_request, expected_len, c, settings);
            eprintln!(
                "{} C={c} run {run}: dynamic {:.0}/s p50 {:.2} p99 {:.2} ms ({} req), \
                 static {:.0}/s p50 {:.2} p99 {:.2} ms ({} req)",
                backend.name(),
                dynamic.rps,
                dynamic.p50_ms,
                dynamic.p99_ms,
                dynamic.requests,
                stat.rps,
                stat.p50_ms,
                stat.p99_ms,
                stat.requests
            );
            dynamic_runs.push(dynamic);
            static_runs.push(stat);
        }
        let dynamic = CaseResult::median(&dynamic_runs);
        let stat = CaseResult::median(&static_runs);
        let ratio = format!("{:.0} %", 100.0 * dynamic.rps / stat.rps);
        rows.push(Row {
            backend: backend.name(),
            endpoint: "GetDiagnosis (dynamic)",
            concurrency: c,
            result: dynamic,
            ratio,
        });
        rows.push(Row {
            backend: backend.name(),
            endpoint: "static bytes",
            concurrency: c,
            result: stat,
            ratio: "baseline".into(),
        });
    }
    // The floor: the read alone, with the server idle. At C=1 the dynamic ratio cannot
    // pass static latency / (static latency + read time).
    // With every party on the machine's cores and the load saturating them, requests/s
    // is about cores / CPU per request, and a dynamic request costs at least a static
    // one plus the read: at the highest C the ratio cannot pass
    // static CPU / (static CPU + read CPU), static CPU being cores / static requests/s.
    let (alone, cpu) = read_alone(&db.url, settings);
    let static_at = |c: usize| {
        rows.iter()
            .find(|r| r.concurrency == c && r.endpoint == "static bytes")
            .map(|r| r.result.clone())
    };
    let mut ceilings = Vec::new();
    if let Some(s) = static_at(1) {
        ceilings.push(format!(
            "{:.0} % at C=1",
            100.0 * s.p50_ms / (s.p50_ms + alone.p50_ms)
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    if let Some(&c) = settings.concurrency.iter().max()
        && c > 1
        && let Some(s) = static_at(c)
    {
        let static_cpu_us = cores * 1e6 / s.rps;
        let read_cpu_us = cpu.own_us + cpu.server_us;
        ceilings.push(format!(
            "{:.0} % at C={c}",
            100.0 * static_cpu_us / (static_cpu_us + read_cpu_us)
        ));
    }
    let ceiling = if ceilings.is_empty() {
        "-".to_owned()
    } else {
        format!("ceiling {}", ceilings.join(", "))
    };
    eprintln!(
        "{} journal read alone: {:.0}/s p50 {:.3} p99 {:.3} ms; CPU per read {:.0} µs here + \
         {:.0} µs in the database server ({ceiling})",
        backend.name(),
        alone.rps,
        alone.p50_ms,
        alone.p99_ms,
        cpu.own_us,
        cpu.server_us
    );
    rows.push(Row {
        backend: backend.name(),
        endpoint: "journal read alone (no HTTP)",
        concurrency: 1,
        result: alone,
        ratio: ceiling,
    });
    actix_web::rt::System::new().block_on(handle.stop(true));
    server_thread.join().unwrap().unwrap();
    rows
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() {
    let settings = Settings::from_env();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load_before = loadavg();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for &backend in &settings.backends {
        let Some(db) = BenchDb::new(backend) else {
            let note = "PostgreSQL skipped: NPO_TEST_DATABASE_URL is not set";
            eprintln!("{note}");
            notes.push(note.to_owned());
            continue;
        };
        db.fill();
        rows.extend(bench_backend(backend, &db, &settings));
    }
    let load_after = loadavg();

    println!();
    println!(
        "GetDiagnosis, {RECORDS} records of one patient, mTLS keep-alive over loopback; \
         {:.0} s warm-up + {:.0} s per case (max {} requests); server workers {}, \
         one client thread per connection (TCP_NODELAY), pool {}; medians of {} run(s); \
         {cpus} CPUs; load average {load_before} before, {load_after} after.",
        settings.warmup,
        settings.seconds,
        settings.max_requests,
        settings.server_workers,
        settings.pool_size,
        settings.runs
    );
    println!();
    println!(
        "| backend | endpoint | concurrency | requests/s | p50 ms | p99 ms | dynamic/static |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} |",
            row.backend,
            row.endpoint,
            row.concurrency,
            row.result.rps,
            row.result.p50_ms,
            row.result.p99_ms,
            row.ratio
        );
    }
    println!();
    for row in &rows {
        if row.result.errors > 0 {
            println!(
                "WARNING: {} {} C={}: {} of {} answers were not 200 with the expected length",
                row.backend, row.endpoint, row.concurrency, row.result.errors, row.result.requests
            );
        }
    }
    for note in &notes {
        println!("Note: {note}");
    }
}

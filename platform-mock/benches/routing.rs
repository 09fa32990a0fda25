//! Routed vs direct vs nginx: the same static-bytes GetDiagnosis producer called over
//! mutual TLS keep-alive directly, through the platform (recording off, and recording on
//! with its defaults: masking, 64 KiB per body), and through nginx as a TLS reverse proxy
//! (the yardstick for what one proxy hop costs). Reports p50/p99 latency at each
//! concurrency, requests/s (the highest concurrency is the saturation point), the hop's
//! CPU time per request and resident memory under load, and the latency each hop adds
//! over the direct call (per run, then the median over the runs).
//!
//! The nginx case: Debian's `nginx` (installed with `apt-get install -y nginx` when it is
//! missing and the bench runs as root; otherwise the case prints `skipped: ...`), run in
//! the foreground as a child process (`-p`/`-c` on a generated `nginx.conf` in a
//! temporary directory, `daemon off`, pid file, error log and temp paths inside it),
//! stopped at the end. Client→nginx is mutual TLS (the client certificate verified
//! against the test CA), nginx→producer is mutual TLS with the platform's certificate
//! (`proxy_ssl_certificate`, the producer's verified against the CA), keep-alive
//! upstream connections, `worker_processes 2` (as the platform's 2 workers), access log
//! off, response buffers large enough that a 41 KB answer never touches the disk.
//!
//! The producer and the platform each run in a process of their own (this binary started
//! again with `NPO_BENCH_ROLE=producer` / `platform`), so the platform's memory is its
//! own (`VmRSS`/`VmHWM` of `/proc/<pid>/status`). The load client runs in this process:
//! one thread per connection, blocking OpenSSL over TCP with `TCP_NODELAY`, each request
//! written with one `write` (headers and body in one buffer), the next request sent when
//! the previous answer is read. Loopback only; every case is bounded by time and count.
//!
//! ```sh
//! cargo bench -p npo-platform --bench routing
//! ```
//!
//! Environment (all optional):
//! - `NPO_BENCH_CONCURRENCY`: comma-separated connection counts (default `1,32`).
//! - `NPO_BENCH_SECONDS`: measured seconds per case (default 4).
//! - `NPO_BENCH_WARMUP_SECONDS`: warm-up seconds per case (default 1).
//! - `NPO_BENCH_MAX_REQUESTS`: most measured requests per case (default 2000000).
//! - `NPO_BENCH_RUNS`: runs; the figures are medians over them (default 3).
//! - `NPO_BENCH_RESPONSE_KB`: producer response size (default 40).
//! - `NPO_BENCH_PLATFORM_WORKERS`, `NPO_BENCH_PRODUCER_WORKERS`: worker threads (default 2;
//!   the first is nginx's `worker_processes` too).
//! - `NPO_BENCH_CASES`: comma-separated subset of `direct,routed,routed-recording,nginx`.
//! - `NPO_BENCH_NGINX`: the nginx binary (default: `nginx` on `PATH`, then `/usr/sbin/nginx`).
//! - `NPO_BENCH_INSTALL_NGINX=0`: never try to install nginx.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use npo_contracts::registry::Contract;
use npo_pki::{InitOptions, Party};
use openssl::ssl::{SslConnector, SslStream};

mod common;

use common::{
    ChildProcess, DIR_ENV, ROLE_ENV, TOKEN, cpu_seconds, env_or, machine, median, memory_kib,
    percentile, run_platform,
};

const PATH: &str = "/GetDiagnosis/2/rivtabp21";
/// Every answer read by the load client (warm-up included), for CPU per request.
static SERVED: AtomicU64 = AtomicU64::new(0);

/// A GetDiagnosis response of about `kb` KiB: records shaped like the contract's.
fn response_body(kb: usize) -> String {
    let ns = Contract::GetDiagnosis.responder_ns();
    let mut records = String::new();
    let mut i = 0;
    while records.len() < kb * 1024 {
        records.push_str(&format!(
            "<ns2:diagnosis><ns2:diagnosisHeader><ns2:documentId>diag-{i:06}</ns2:documentId>\
             <ns2:sourceSystemHSAId>SE2120009994-EH7S</ns2:sourceSystemHSAId>\
             <ns2:patientId><ns3:id>201403129800</ns3:id><ns3:type>1.2.752.129.2.1.3.1</ns3:type></ns2:patientId>\
             <ns2:accountableHealthcareProfessional><ns3:authorTime>20240101120000</ns3:authorTime>\
             <ns3:healthcareProfessionalHSAId>SE2120009994-P001</ns3:healthcareProfessionalHSAId>\
             <ns3:healthcareProfessionalName>Skolsköterska Test</ns3:healthcareProfessionalName>\
             <ns3:healthcareProfessionalCareUnitHSAId>SE2120009994-0A01</ns3:healthcareProfessionalCareUnitHSAId>\
             <ns3:healthcareProfessionalCareGiverHSAId>SE2120009994-0001</ns3:healthcareProfessionalCareGiverHSAId>\
             </ns2:accountableHealthcareProfessional><ns2:careContactId>cc-{i}</ns2:careContactId>\
             <ns2:approvedForPatient>true</ns2:approvedForPatient></ns2:diagnosisHeader>\
             <ns2:diagnosisBody><ns2:typeOfDiagnosis>Huvuddiagnos</ns2:typeOfDiagnosis>\
             <ns2:diagnosisTime>20240101120000</ns2:diagnosisTime><ns2:diagnosisCode>\
             <ns3:code>J06.9</ns3:code><ns3:codeSystem>1.2.752.116.1.1.1.1.3</ns3:codeSystem>\
             <ns3:displayName>Akut övre luftvägsinfektion, ospecificerad</ns3:displayName>\
             </ns2:diagnosisCode></ns2:diagnosisBody></ns2:diagnosis>"
        ));
        i += 1;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope \
         xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
         <ns2:GetDiagnosisResponse xmlns:ns2=\"{ns}\" \
         xmlns:ns3=\"urn:riv:clinicalprocess:healthcond:description:2\">{records}\
         <ns2:result><ns2:resultCode>OK</ns2:resultCode><ns2:logId>bench</ns2:logId></ns2:result>\
         </ns2:GetDiagnosisResponse></soap:Body></soap:Envelope>"
    )
}

fn request_body() -> String {
    let ns = Contract::GetDiagnosis.responder_ns();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soap:Header><add:LogicalAddress xmlns:add=\"urn:riv:itintegration:registry:1\">{}\
         </add:LogicalAddress></soap:Header><soap:Body><urn:GetDiagnosis xmlns:urn=\"{ns}\" \
         xmlns:urn1=\"urn:riv:clinicalprocess:healthcond:description:2\"><urn:patientId>\
         <urn1:id>201403129800</urn1:id><urn1:type>1.2.752.129.2.1.3.1</urn1:type>\
         </urn:patientId></urn:GetDiagnosis></soap:Body></soap:Envelope>",
        npo_pki::PRODUCER_SCHOOL_HSA_ID
    )
}

// ---------------------------------------------------------------- child roles

/// Prints `READY <port> [<admin port>]` on stdout, then serves until killed.
fn run_producer(dir: &Path) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let body = web::Bytes::from(response_body(env_or("NPO_BENCH_RESPONSE_KB", 40)));
    let workers = env_or("NPO_BENCH_PRODUCER_WORKERS", 2usize);
    let acceptor = npo_pki::mtls_acceptor(
        dir.join(Party::ProducerSchool.cert_file()),
        dir.join(Party::ProducerSchool.key_file()),
        dir.join(npo_pki::CA_CERT_FILE),
    )
    .unwrap();
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            let body = body.clone();
            // The handler reads the request body: an unread body makes actix close the
            // connection after the answer (no keep-alive).
            App::new().default_service(web::to(move |_request: web::Bytes| {
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/xml; charset=utf-8")
                        .body(body)
                }
            }))
        })
        .on_connect(|connection, _| {
            // As the platform's routing listener does: no Nagle delay between writes.
            use actix_tls::accept::openssl::TlsStream;
            if let Some(tls) = connection.downcast_ref::<TlsStream<actix_web::rt::net::TcpStream>>()
            {
                tls.get_ref().set_nodelay(true).unwrap();
            }
        })
        .workers(workers)
        .bind_openssl("127.0.0.1:0", acceptor)
        .unwrap();
        println!("READY {}", server.addrs()[0].port());
        std::io::stdout().flush().unwrap();
        server.run().await.unwrap();
    });
}

/// The processes whose parent is `pid` (nginx's workers).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    // The 2nd field after `(comm)` is the parent pid.
                    let rest = stat.rsplit_once(')')?.1.to_owned();
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

// ---------------------------------------------------------------- nginx

/// The nginx binary, installing Debian's `nginx` package when it is missing; `Err` says
/// why the nginx case is skipped.
fn nginx_binary() -> Result<PathBuf, String> {
    let find = || -> Option<PathBuf> {
        if let Ok(path) = std::env::var("NPO_BENCH_NGINX") {
            return Some(PathBuf::from(path)).filter(|p| p.is_file());
        }
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
            .chain([PathBuf::from("/usr/sbin")])
            .map(|dir| dir.join("nginx"))
            .find(|p| p.is_file())
    };
    if let Some(path) = find() {
        return Ok(path);
    }
    if std::env::var("NPO_BENCH_INSTALL_NGINX").is_ok_and(|v| v == "0") {
        return Err("nginx not found and NPO_BENCH_INSTALL_NGINX=0".into());
    }
    eprintln!("nginx not found: apt-get install -y nginx");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "-qq", "nginx"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status();
    match installed {
        Ok(status) if status.success() => {
            find().ok_or_else(|| "apt-get installed nginx but no nginx binary found".into())
        }
        Ok(status) => Err(format!(
            "nginx not found and `apt-get install -y nginx` failed ({status}; needs root)"
        )),
        Err(e) => Err(format!("nginx not found and apt-get could not run: {e}")),
    }
}

/// nginx as TLS reverse proxy in front of the producer: a master and
/// `worker_processes` workers, in the foreground, configured in a temporary directory.
struct Nginx {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    fn start(binary: &Path, pki: &Path, producer_port: u16) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        // A free port for `listen` (nginx has no port 0 with a way to learn the port).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.path().display();
        let file = |name: &str| pki.join(name).display().to_string();
        let (cert, key, ca) = (
            file(&Party::Platform.cert_file()),
            file(&Party::Platform.key_file()),
            file(npo_pki::CA_CERT_FILE),
        );
        let workers = env_or("NPO_BENCH_PLATFORM_WORKERS", 2usize);
        let config = format!(
            "worker_processes {workers};\n\
             daemon off;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
             \x20   access_log off;\n\
             \x20   client_body_temp_path {d}/client_body;\n\
             \x20   proxy_temp_path {d}/proxy;\n\
             \x20   fastcgi_temp_path {d}/fastcgi;\n\
             \x20   uwsgi_temp_path {d}/uwsgi;\n\
             \x20   scgi_temp_path {d}/scgi;\n\
             \x20   tcp_nodelay on;\n\
             \x20   keepalive_timeout 300s;\n\
             \x20   keepalive_requests 100000000;\n\
             \x20   upstream producer {{\n\
             \x20       server 127.0.0.1:{producer_port};\n\
             \x20       keepalive 64;\n\
             \x20       keepalive_timeout 300s;\n\
             \x20       keepalive_requests 100000000;\n\
             \x20   }}\n\
             \x20   server {{\n\
             \x20       listen 127.0.0.1:{port} ssl;\n\
             \x20       ssl_protocols TLSv1.2 TLSv1.3;\n\
             \x20       ssl_certificate {cert};\n\
             \x20       ssl_certificate_key {key};\n\
             \x20       ssl_client_certificate {ca};\n\
             \x20       ssl_verify_client on;\n\
             \x20       location / {{\n\
             \x20           proxy_pass https://producer;\n\
             \x20           proxy_http_version 1.1;\n\
             \x20           proxy_set_header Connection \"\";\n\
             \x20           proxy_ssl_protocols TLSv1.2 TLSv1.3;\n\
             \x20           proxy_ssl_certificate {cert};\n\
             \x20           proxy_ssl_certificate_key {key};\n\
             \x20           proxy_ssl_trusted_certificate {ca};\n\
             \x20           proxy_ssl_verify on;\n\
             \x20           proxy_ssl_name localhost;\n\
             \x20           proxy_ssl_session_reuse on;\n\
             \x20           proxy_buffer_size 16k;\n\
             \x20           proxy_buffers 8 16k;\n\
             \x20           proxy_max_temp_file_size 0;\n\
             \x20       }}\n\
             \x20   }}\n\
             }}\n"
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut nginx = Nginx { child, port, dir };
        let started = Instant::now();
        loop {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                panic!(
                    "nginx exited ({status}): {}",
                    std::fs::read_to_string(nginx.dir.path().join("error.log")).unwrap_or_default()
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok()
                && children_of(nginx.pid()).len() >= workers
            {
                return nginx;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen on {port} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The master and its workers.
    fn pids(&self) -> Vec<u32> {
        let mut pids = vec![self.pid()];
        pids.extend(children_of(self.pid()));
        pids
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master stops the workers too (SIGKILL would orphan them).
        let workers = children_of(self.pid());
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for pid in workers {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- load client

struct Connection {
    stream: SslStream<TcpStream>,
    buf: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Connection {
    fn open(connector: &SslConnector, port: u16) -> Connection {
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_nodelay(true).unwrap();
        let stream = connector.connect("localhost", tcp).unwrap();
        Connection {
            stream,
            buf: Vec::with_capacity(128 * 1024),
        }
    }

    fn fill(&mut self) {
        let mut chunk = [0u8; 32 * 1024];
        let n = self.stream.read(&mut chunk).unwrap();
        assert!(
            n > 0,
            "connection closed after {} bytes: {:?}",
            self.buf.len(),
            String::from_utf8_lossy(&self.buf[..self.buf.len().min(300)])
        );
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// Sends `request` (one write) and reads the whole answer; returns its status.
    fn call(&mut self, request: &[u8]) -> u16 {
        self.stream.write_all(request).unwrap();
        self.buf.clear();
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            self.fill();
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .unwrap()
            .to_owned();
        let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        if let Some(length) = header("content-length") {
            let total = head_end + length.parse::<usize>().unwrap();
            while self.buf.len() < total {
                self.fill();
            }
        } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            let mut at = head_end;
            loop {
                let line_end = loop {
                    if let Some(p) = find(&self.buf[at..], b"\r\n") {
                        break at + p;
                    }
                    self.fill();
                };
                let size_text = std::str::from_utf8(&self.buf[at..line_end]).unwrap();
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
                let next = line_end + 2 + size + 2;
                while self.buf.len() < next {
                    self.fill();
                }
                at = next;
                if size == 0 {
                    break;
                }
            }
        } else {
            panic!("answer without a length: {head}");
        }
        status
    }
}

fn http_request(body: &str) -> Vec<u8> {
    format!(
        "POST {PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"{}\"\r\nContent-Length: {}\r\n\r\n{body}",
        Contract::GetDiagnosis.soap_action(),
        body.len()
    )
    .into_bytes()
}

#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    /// CPU µs per request of the hop (platform or nginx, all its processes) and of the
    /// producer (whole case, warm-up too).
    hop_cpu_us: f64,
    producer_cpu_us: f64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    requests: u64,
    /// TLS version and cipher the load client negotiated.
    tls: (&'static str, &'static str),
}

/// One case: `concurrency` connections to `port`, warm-up, then the measured window.
fn run_case(connector: &SslConnector, port: u16, concurrency: usize) -> Figures {
    let warmup = Duration::from_secs_f64(env_or("NPO_BENCH_WARMUP_SECONDS", 1.0));
    let window = Duration::from_secs_f64(env_or("NPO_BENCH_SECONDS", 4.0));
    let max_requests: u64 = env_or("NPO_BENCH_MAX_REQUESTS", 2_000_000);
    let request = Arc::new(http_request(&request_body()));
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let counted = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(concurrency + 1));
    let connections: Vec<Connection> = (0..concurrency)
        .map(|_| Connection::open(connector, port))
        .collect();
    let tls = connections.first().map_or(("", ""), |c| {
        let ssl = c.stream.ssl();
        (
            ssl.version_str(),
            ssl.current_cipher().map_or("", |cipher| cipher.name()),
        )
    });
    let threads: Vec<_> = connections
        .into_iter()
        .map(|mut conn| {
            let (request, measuring, stop, counted, errors, barrier) = (
                request.clone(),
                measuring.clone(),
                stop.clone(),
                counted.clone(),
                errors.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
                barrier.wait();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let status = conn.call(&request);
                    SERVED.fetch_add(1, Ordering::Relaxed);
                    let micros = started.elapsed().as_micros() as u32;
                    if measuring.load(Ordering::Relaxed) {
                        if status != 200 {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        latencies.push(micros);
                        if counted.fetch_add(1, Ordering::Relaxed) + 1 >= max_requests {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    barrier.wait();
    std::thread::sleep(warmup);
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    while started.elapsed() < window && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(20));
    }
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<u32> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort_unstable();
    Figures {
        hop_cpu_us: 0.0,
        producer_cpu_us: 0.0,
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
        errors: errors.load(Ordering::Relaxed),
        requests: all.len() as u64,
        tls,
    }
}

// ---------------------------------------------------------------- orchestration

fn write_platform_config(dir: &Path, name: &str, producer_port: u16, recording: bool) -> PathBuf {
    let ns = Contract::GetDiagnosis.responder_ns();
    let tak = format!(
        "[[routes]]\nlogical_address = \"{la}\"\ncontract = \"{ns}\"\n\
         url = \"https://localhost:{producer_port}{PATH}\"\n\n\
         [[authorisations]]\nconsumer = \"{consumer}\"\ncontract = \"{ns}\"\n\
         logical_address = \"{la}\"\n",
        la = npo_pki::PRODUCER_SCHOOL_HSA_ID,
        consumer = npo_pki::CONSUMER_HSA_ID,
    );
    std::fs::write(dir.join(format!("{name}-tak.toml")), tak).unwrap();
    let config = format!(
        "instance_id = \"NPO-BENCH-TP\"\n\
         [server]\nlisten = \"127.0.0.1:0\"\nworkers = {workers}\n\
         [tls]\ncert = \"{cert}\"\nkey = \"{key}\"\nca = \"{ca}\"\n\
         [admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"{TOKEN}\"\n\
         [tak]\nfile = \"{name}-tak.toml\"\n\
         [recording]\nenabled = {recording}\n",
        workers = env_or("NPO_BENCH_PLATFORM_WORKERS", 2usize),
        cert = Party::Platform.cert_file(),
        key = Party::Platform.key_file(),
        ca = npo_pki::CA_CERT_FILE,
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, config).unwrap();
    path
}

fn main() {
    if let Ok(role) = std::env::var(ROLE_ENV) {
        let dir = PathBuf::from(std::env::var(DIR_ENV).unwrap());
        match role.as_str() {
            "producer" => run_producer(&dir),
            "platform" => run_platform(&dir.join(std::env::var("NPO_BENCH_CONFIG").unwrap())),
            other => panic!("unknown role {other}"),
        }
        return;
    }
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) only
    // checks that the binary builds.
    if !std::env::args().any(|a| a == "--bench") {
        println!("routing bench: run with `cargo bench -p npo-platform --bench routing`");
        return;
    }
    let concurrency: Vec<usize> = std::env::var("NPO_BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,32".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let runs: usize = env_or("NPO_BENCH_RUNS", 3);
    let cases: Vec<String> = std::env::var("NPO_BENCH_CASES")
        .unwrap_or_else(|_| "direct,routed,routed-recording,nginx".into())
        .split(',')
        .map(|c| c.trim().to_owned())
        .collect();

    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    npo_pki::init(dir, &InitOptions::default()).unwrap();
    let connector = npo_pki::mtls_connector(
        dir.join(Party::Consumer.cert_file()),
        dir.join(Party::Consumer.key_file()),
        dir.join(npo_pki::CA_CERT_FILE),
    )
    .unwrap();
    let kb: usize = env_or("NPO_BENCH_RESPONSE_KB", 40);
    println!("machine: {}", machine());
    println!(
        "response {} bytes, request {} bytes, runs {runs}, concurrency {concurrency:?}",
        response_body(kb).len(),
        request_body().len()
    );

    // The nginx case needs nginx; without it the case is skipped, saying why.
    let nginx = cases
        .iter()
        .any(|c| c == "nginx")
        .then(nginx_binary)
        .and_then(|found| match found {
            Ok(path) => Some(path),
            Err(why) => {
                println!("nginx: skipped: {why}");
                None
            }
        });
    let cases: Vec<String> = cases
        .into_iter()
        .filter(|c| c != "nginx" || nginx.is_some())
        .collect();

    let producer = ChildProcess::spawn("producer", dir, &[]);
    let producer_port = producer.ports[0];

    // (case, concurrency) → per-run figures; case → per-run peak RSS (KiB).
    let mut figures: Vec<(String, usize, Vec<Figures>)> = Vec::new();
    let mut memory: Vec<(String, Vec<(u64, u64)>)> = Vec::new();
    for run in 0..runs {
        for case in &cases {
            let hop = match case.as_str() {
                "direct" => Hop::Direct,
                "routed" | "routed-recording" => {
                    let config =
                        write_platform_config(dir, case, producer_port, case == "routed-recording");
                    let name = config.file_name().unwrap().to_string_lossy().into_owned();
                    Hop::Platform(ChildProcess::spawn(
                        "platform",
                        dir,
                        &[("NPO_BENCH_CONFIG", name)],
                    ))
                }
                "nginx" => Hop::Nginx(Nginx::start(nginx.as_deref().unwrap(), dir, producer_port)),
                other => panic!("unknown case {other}"),
            };
            let port = hop.port().unwrap_or(producer_port);
            let pids = hop.pids();
            if let Some(pid) = pids.first() {
                // For `perf record -p` / `valgrind` attached by hand.
                eprintln!("{case}: hop pid {pid} (all: {pids:?})");
            }
            // Sample the hop's memory (all its processes) while the load runs.
            let sampling = Arc::new(AtomicBool::new(true));
            let sampler = (!pids.is_empty()).then(|| {
                let (pids, sampling) = (pids.clone(), sampling.clone());
                std::thread::spawn(move || {
                    let total = |pids: &[u32]| {
                        pids.iter()
                            .map(|&p| memory_kib(p))
                            .fold((0, 0), |a, m| (a.0 + m.0, a.1 + m.1))
                    };
                    let mut peak = 0;
                    while sampling.load(Ordering::Relaxed) {
                        peak = peak.max(total(&pids).0);
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    (peak, total(&pids).1)
                })
            });
            let hop_cpu = |pids: &[u32]| pids.iter().map(|&p| cpu_seconds(p)).sum::<f64>();
            for &c in &concurrency {
                let cpu_before = (hop_cpu(&pids), cpu_seconds(producer.pid()));
                let served_before = SERVED.load(Ordering::Relaxed);
                let mut f = run_case(&connector, port, c);
                let served = (SERVED.load(Ordering::Relaxed) - served_before).max(1) as f64;
                f.hop_cpu_us = (hop_cpu(&pids) - cpu_before.0) / served * 1e6;
                f.producer_cpu_us = (cpu_seconds(producer.pid()) - cpu_before.1) / served * 1e6;
                println!(
                    "run {run} {case:<17} c={c:<3} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} requests, {} errors; CPU/request: hop {:.0} µs, producer {:.0} µs; {} {})",
                    f.rps,
                    f.p50_ms,
                    f.p99_ms,
                    f.requests,
                    f.errors,
                    f.hop_cpu_us,
                    f.producer_cpu_us,
                    f.tls.0,
                    f.tls.1
                );
                match figures.iter_mut().find(|(n, cc, _)| n == case && *cc == c) {
                    Some((_, _, all)) => all.push(f),
                    None => figures.push((case.clone(), c, vec![f])),
                }
            }
            sampling.store(false, Ordering::Relaxed);
            if let Some(sampler) = sampler {
                let (peak, hwm) = sampler.join().unwrap();
                println!(
                    "run {run} {case:<17} hop RSS peak {:.1} MiB, VmHWM {:.1} MiB ({} process(es))",
                    peak as f64 / 1024.0,
                    hwm as f64 / 1024.0,
                    pids.len()
                );
                match memory.iter_mut().find(|(n, _)| n == case) {
                    Some((_, all)) => all.push((peak, hwm)),
                    None => memory.push((case.clone(), vec![(peak, hwm)])),
                }
            }
            drop(hop);
        }
    }

    println!("\nmedians over {runs} runs ({}):", machine());
    println!(
        "| case | concurrency | req/s | p50 ms | p99 ms | errors | hop CPU µs/req | producer CPU µs/req |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let med = |all: &[Figures], f: fn(&Figures) -> f64| median(all.iter().map(f).collect());
    for (case, c, all) in &figures {
        println!(
            "| {case} | {c} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.0} |",
            med(all, |f| f.rps),
            med(all, |f| f.p50_ms),
            med(all, |f| f.p99_ms),
            all.iter().map(|f| f.errors).sum::<u64>(),
            med(all, |f| f.hop_cpu_us),
            med(all, |f| f.producer_cpu_us)
        );
    }
    for (case, all) in &memory {
        println!(
            "| {case} | hop RSS peak {:.1} MiB, VmHWM {:.1} MiB |",
            median(all.iter().map(|m| m.0 as f64 / 1024.0).collect()),
            median(all.iter().map(|m| m.1 as f64 / 1024.0).collect())
        );
    }

    // Ratios and differences are taken within each run (same load), then the median.
    let per_run = |case: &str, c: usize| {
        figures
            .iter()
            .find(|(n, cc, _)| n == case && *cc == c)
            .map(|(_, _, all)| all.clone())
    };
    let paired = |a: &[Figures], b: &[Figures], f: &dyn Fn(&Figures, &Figures) -> f64| {
        median(a.iter().zip(b).map(|(x, y)| f(x, y)).collect())
    };
    let top = *concurrency.iter().max().unwrap_or(&1);
    if let Some(direct) = per_run("direct", top) {
        for case in ["routed", "routed-recording", "nginx"] {
            if let Some(hop) = per_run(case, top) {
                println!(
                    "{case} / direct req/s at c={top}: {:.0} % (median of per-run ratios)",
                    paired(&hop, &direct, &|h, d| h.rps / d.rps) * 100.0
                );
            }
        }
    }
    if let (Some(on), Some(off)) = (per_run("routed-recording", top), per_run("routed", top)) {
        println!(
            "recording on / off req/s at c={top}: {:.0} %",
            paired(&on, &off, &|a, b| a.rps / b.rps) * 100.0
        );
    }
    println!("\nadded latency over direct, ms (per run: hop − direct; medians over {runs} runs):");
    println!(
        "| concurrency | platform p50 | nginx p50 | platform / nginx p50 | platform p99 | nginx p99 | platform / nginx p99 |"
    );
    println!("|---|---|---|---|---|---|---|");
    for &c in &concurrency {
        let (Some(direct), Some(routed), Some(nginx)) = (
            per_run("direct", c),
            per_run("routed", c),
            per_run("nginx", c),
        ) else {
            println!("| {c} | needs the direct, routed and nginx cases |");
            continue;
        };
        let added =
            |hop: &[Figures], p: fn(&Figures) -> f64| paired(hop, &direct, &|h, d| p(h) - p(d));
        // The ratio within each run: routed's addition over nginx's addition.
        let ratio = |p: fn(&Figures) -> f64| {
            let per: Vec<f64> = routed
                .iter()
                .zip(&nginx)
                .zip(&direct)
                .map(|((r, n), d)| (p(r) - p(d)) / (p(n) - p(d)))
                .collect();
            median(per)
        };
        println!(
            "| {c} | {:.3} | {:.3} | {:.2}× | {:.3} | {:.3} | {:.2}× |",
            added(&routed, |f| f.p50_ms),
            added(&nginx, |f| f.p50_ms),
            ratio(|f| f.p50_ms),
            added(&routed, |f| f.p99_ms),
            added(&nginx, |f| f.p99_ms),
            ratio(|f| f.p99_ms),
        );
    }
}

/// What sits between the load client and the producer in a case.
enum Hop {
    Direct,
    Platform(ChildProcess),
    Nginx(Nginx),
}

impl Hop {
    /// The port the client connects to (`None`: the producer's).
    fn port(&self) -> Option<u16> {
        match self {
            Hop::Direct => None,
            Hop::Platform(p) => Some(p.ports[0]),
            Hop::Nginx(n) => Some(n.port),
        }
    }

    /// The hop's processes (CPU and memory are their sums).
    fn pids(&self) -> Vec<u32> {
        match self {
            Hop::Direct => Vec::new(),
            Hop::Platform(p) => vec![p.pid()],
            Hop::Nginx(n) => n.pids(),
        }
    }
}

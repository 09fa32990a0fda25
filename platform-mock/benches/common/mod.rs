//! What the routing, aggregation and soak benchmarks share: child processes of the bench binary
//! (producers, the platform), `/proc` readings, a blocking mutual-TLS HTTP/1.1 client,
//! the TAK and platform configuration, and the messages (aggregated GetDiagnosis, EI
//! Update and FindContent).
//!
//! The producers and the platform each run in a process of their own (the bench binary started again with `NPO_BENCH_ROLE`), so the platform's
//! memory and CPU time are its own. Loopback only.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use npo_contracts::engagement_index::{
    EngagementTransactionType, EngagementType, FindContent, NOT_APPLICABLE,
    RegisteredResidentIdentification, Update,
};
use npo_contracts::registry::Contract;
use npo_contracts::soap::encode_request;
use npo_pki::Party;
use openssl::ssl::{SslConnector, SslStream};

pub const ROLE_ENV: &str = "NPO_BENCH_ROLE";
pub const DIR_ENV: &str = "NPO_BENCH_DIR";
pub const TOKEN: &str = "bench-admin-token-0123456789";
/// The aggregation address (the national one, the platform's default).
pub const AGG: &str = npo_platform::aggregation::config::DEFAULT_LOGICAL_ADDRESS;
pub const EI: &str = npo_pki::ENGAGEMENT_INDEX_HSA_ID;
pub const CONSUMER: &str = npo_pki::CONSUMER_HSA_ID;
/// The system that registers engagements (an Update caller).
pub const REGISTRAR: &str = npo_pki::PRODUCER_SCHOOL_HSA_ID;
/// The aggregated patient (Tolvan Tolvansson, the test personnummer).
pub const PATIENT: &str = "191212121212";
const PATIENT_TYPE: &str = "1.2.752.129.2.1.3.1";

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The logical address of source system `i` (0-based).
pub fn source(i: usize) -> String {
    format!("SE2321000016-B{i:03}")
}

// ---------------------------------------------------------------- child roles

/// A GetDiagnosis response from `source`: the contracts crate's golden response (two
/// diagnoses), its source system replaced.
pub fn diagnosis_response(source: &str) -> String {
    include_str!("../../../contracts/tests/golden/GetDiagnosis_response.xml")
        .replace("SE2321000016-A12B", source)
}

/// Producers: `NPO_BENCH_PRODUCERS` mutual-TLS listeners (default 10), each answering
/// `POST /diagnosis/<source>` with that source's GetDiagnosis response after
/// `NPO_BENCH_PRODUCER_DELAY_MS` (default 50). Prints `READY <port>...`, serves until
/// killed.
pub fn run_producers(dir: &Path) {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    let count = env_or("NPO_BENCH_PRODUCERS", 10usize);
    let delay = Duration::from_millis(env_or("NPO_BENCH_PRODUCER_DELAY_MS", 50u64));
    let workers = env_or("NPO_BENCH_PRODUCER_WORKERS", 2usize);
    let bodies: std::collections::HashMap<String, web::Bytes> = (0..count)
        .map(|i| {
            let s = source(i);
            (
                format!("/diagnosis/{s}"),
                web::Bytes::from(diagnosis_response(&s)),
            )
        })
        .collect();
    let bodies = web::Data::new(bodies);
    let acceptor = || {
        npo_pki::mtls_acceptor(
            dir.join(Party::ProducerSchool.cert_file()),
            dir.join(Party::ProducerSchool.key_file()),
            dir.join(npo_pki::CA_CERT_FILE),
        )
        .unwrap()
    };
    actix_web::rt::System::new().block_on(async move {
        let mut server = HttpServer::new(move || {
            App::new().app_data(bodies.clone()).default_service(web::to(
                move |req: HttpRequest,
                      // Read, so that actix keeps the connection alive.
                      _body: web::Bytes,
                      bodies: web::Data<std::collections::HashMap<String, web::Bytes>>| {
                    let answer = bodies.get(req.path()).cloned();
                    async move {
                        if !delay.is_zero() {
                            actix_web::rt::time::sleep(delay).await;
                        }
                        match answer {
                            Some(body) => HttpResponse::Ok()
                                .content_type("text/xml; charset=utf-8")
                                .body(body),
                            None => HttpResponse::NotFound().finish(),
                        }
                    }
                },
            ))
        })
        .on_connect(|connection, _| {
            use actix_tls::accept::openssl::TlsStream;
            if let Some(tls) = connection.downcast_ref::<TlsStream<actix_web::rt::net::TcpStream>>()
            {
                tls.get_ref().set_nodelay(true).unwrap();
            }
        })
        .workers(workers);
        for _ in 0..count {
            server = server.bind_openssl("127.0.0.1:0", acceptor()).unwrap();
        }
        let ports: Vec<String> = server
            .addrs()
            .iter()
            .map(|a| a.port().to_string())
            .collect();
        println!("READY {}", ports.join(" "));
        std::io::stdout().flush().unwrap();
        server.run().await.unwrap();
    });
}

/// The platform of `config`: prints `READY <port> <admin port>`, serves until killed.
pub fn run_platform(config: &Path) {
    let config = npo_platform::config::PlatformConfig::load(config).unwrap();
    actix_web::rt::System::new().block_on(async move {
        let app = npo_platform::startup::Application::build(config).unwrap();
        println!("READY {} {}", app.port(), app.admin_port());
        std::io::stdout().flush().unwrap();
        app.run_until_stopped().await.unwrap();
    });
}

/// A child process of this binary in another role; killed when dropped.
pub struct ChildProcess {
    child: Child,
    pub ports: Vec<u16>,
}

impl ChildProcess {
    pub fn spawn(role: &str, dir: &Path, extra: &[(&str, String)]) -> ChildProcess {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .env(ROLE_ENV, role)
            .env(DIR_ENV, dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in extra {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ports = line
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("{role} did not start: {line:?}"))
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        ChildProcess { child, ports }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) `pid` has used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime; USER_HZ is 100 on every common configuration.
    (ticks(11) + ticks(12)) / 100.0
}

/// `VmRSS` and `VmHWM` of `pid`, in KiB.
pub fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Number of threads of `pid` (a leak of tasks or connections shows here too).
pub fn threads(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Open file descriptors of `pid` (sockets included).
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("nproc {cores}, CPU {cpu}, load average {}", load_average())
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[at.min(sorted.len() - 1)]) / 1000.0
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

// ---------------------------------------------------------------- client

/// A mutual-TLS connector for `party` from the PKI in `dir`.
pub fn connector(dir: &Path, party: Party) -> SslConnector {
    npo_pki::mtls_connector(
        dir.join(party.cert_file()),
        dir.join(party.key_file()),
        dir.join(npo_pki::CA_CERT_FILE),
    )
    .unwrap()
}

/// One keep-alive HTTPS connection: blocking OpenSSL over TCP with `TCP_NODELAY`, one
/// `write` per request, the next request when the answer is read.
pub struct Connection {
    stream: SslStream<TcpStream>,
    buf: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An answer: status and the whole body (chunked bodies reassembled).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// How often `needle` occurs in the body.
    pub fn count(&self, needle: &str) -> usize {
        self.body
            .windows(needle.len())
            .filter(|w| *w == needle.as_bytes())
            .count()
    }
}

impl Connection {
    /// Connects to `127.0.0.1:port`; reads wait at most `timeout`.
    pub fn open(connector: &SslConnector, port: u16, timeout: Duration) -> Result<Self, String> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        let stream = connector
            .connect("localhost", tcp)
            .map_err(|e| format!("TLS: {e}"))?;
        Ok(Connection {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        })
    }

    fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 32 * 1024];
        let n = self
            .stream
            .read(&mut chunk)
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err(format!(
                "connection closed after {} bytes of the answer",
                self.buf.len()
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Sends `request` (one write) and reads the whole answer.
    pub fn call(&mut self, request: &[u8]) -> Result<Answer, String> {
        self.stream
            .write_all(request)
            .map_err(|e| format!("write: {e}"))?;
        self.buf.clear();
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line: {head:?}"))?;
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_owned())
            })
        };
        let mut body = Vec::new();
        if let Some(length) = header("content-length") {
            let length: usize = length.parse().map_err(|_| "bad content-length")?;
            while self.buf.len() < head_end + length {
                self.fill()?;
            }
            body.extend_from_slice(&self.buf[head_end..head_end + length]);
        } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            let mut at = head_end;
            loop {
                let line_end = loop {
                    if let Some(p) = find(&self.buf[at..], b"\r\n") {
                        break at + p;
                    }
                    self.fill()?;
                };
                let size_text = String::from_utf8_lossy(&self.buf[at..line_end]).into_owned();
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| format!("bad chunk size {size_text:?}"))?;
                let next = line_end + 2 + size + 2;
                while self.buf.len() < next {
                    self.fill()?;
                }
                body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                at = next;
                if size == 0 {
                    break;
                }
            }
        } else {
            return Err(format!("answer without a length: {head}"));
        }
        Ok(Answer { status, body })
    }
}

/// A POST of `body` with `contract`'s SOAPAction.
pub fn http_request(contract: Contract, body: &str) -> Vec<u8> {
    format!(
        "POST /vp/{} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"{}\"\r\nContent-Length: {}\r\n\r\n{body}",
        contract.name(),
        contract.soap_action().trim_matches('"'),
        body.len()
    )
    .into_bytes()
}

// ---------------------------------------------------------------- messages

/// GetDiagnosis for [`PATIENT`] addressed to `logical_address`.
pub fn diagnosis_request(logical_address: &str) -> String {
    let ns = Contract::GetDiagnosis.responder_ns();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soap:Header><add:LogicalAddress xmlns:add=\"urn:riv:itintegration:registry:1\">\
         {logical_address}</add:LogicalAddress></soap:Header><soap:Body><urn:GetDiagnosis \
         xmlns:urn=\"{ns}\" xmlns:urn1=\"urn:riv:clinicalprocess:healthcond:description:2\">\
         <urn:patientId><urn1:id>{PATIENT}</urn1:id><urn1:type>{PATIENT_TYPE}</urn1:type>\
         </urn:patientId></urn:GetDiagnosis></soap:Body></soap:Envelope>"
    )
}

/// A GetDiagnosis (`dia`) engagement of `patient` at `source`.
pub fn engagement(patient: &str, source: &str, delete: bool) -> EngagementTransactionType {
    let keys = Contract::GetDiagnosis.engagement_keys().unwrap();
    EngagementTransactionType {
        delete_flag: delete,
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

/// An EI Update of `transactions`, to the engagement index.
pub fn update_request(transactions: Vec<EngagementTransactionType>) -> String {
    encode_request(
        EI,
        &Update {
            engagement_transaction: transactions,
        },
    )
}

/// An EI FindContent of `patient`'s GetDiagnosis engagements.
pub fn find_content_request(patient: &str) -> String {
    let keys = Contract::GetDiagnosis.engagement_keys().unwrap();
    encode_request(
        EI,
        &FindContent {
            registered_resident_identification: RegisteredResidentIdentification::parse(patient)
                .unwrap(),
            service_domain: keys.service_domain.to_owned(),
            categorization: Some(keys.categorization.to_owned()),
            logical_address: None,
            business_object_instance_identifier: None,
            clinical_process_interest_id: None,
            most_recent_content: None,
            source_system: None,
            data_controller: None,
            owner: None,
        },
    )
}

// ---------------------------------------------------------------- configuration

/// TAK: the consumer may call GetDiagnosis at the aggregation address and at every
/// source (each routed to its producer port), the registrar and the consumer may call
/// the engagement index.
pub fn tak(producer_ports: &[u16]) -> String {
    let diag = Contract::GetDiagnosis.responder_ns();
    let mut tak = String::new();
    let auth = |consumer: &str, ns: &str, address: &str| {
        format!(
            "[[authorisations]]\nconsumer = \"{consumer}\"\ncontract = \"{ns}\"\n\
             logical_address = \"{address}\"\n\n"
        )
    };
    tak += &auth(REGISTRAR, &Contract::Update.responder_ns(), EI);
    tak += &auth(CONSUMER, &Contract::FindContent.responder_ns(), EI);
    tak += &auth(CONSUMER, &diag, AGG);
    for (i, port) in producer_ports.iter().enumerate() {
        let s = source(i);
        tak += &format!(
            "[[routes]]\nlogical_address = \"{s}\"\ncontract = \"{diag}\"\n\
             url = \"https://localhost:{port}/diagnosis/{s}\"\n\n"
        );
        tak += &auth(CONSUMER, &diag, &s);
    }
    tak
}

/// Writes `<name>.toml` (and its TAK) in `dir`: the platform with the engagement index
/// on `database_url` and the aggregating services. Returns the file name.
pub fn write_platform_config(
    dir: &Path,
    name: &str,
    producer_ports: &[u16],
    database_url: &str,
    recording: bool,
) -> String {
    std::fs::write(dir.join(format!("{name}-tak.toml")), tak(producer_ports)).unwrap();
    let config = format!(
        "instance_id = \"NPO-BENCH-TP\"\n\
         [server]\nlisten = \"127.0.0.1:0\"\nworkers = {workers}\n\
         [tls]\ncert = \"{cert}\"\nkey = \"{key}\"\nca = \"{ca}\"\n\
         [admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"{TOKEN}\"\n\
         [tak]\nfile = \"{name}-tak.toml\"\n\
         [recording]\nenabled = {recording}\n\
         [engagement_index]\nlogical_address = \"{EI}\"\ndatabase_url = \"{database_url}\"\n\
         [aggregation]\nlogical_address = \"{AGG}\"\n",
        workers = env_or("NPO_BENCH_PLATFORM_WORKERS", 2usize),
        cert = Party::Platform.cert_file(),
        key = Party::Platform.key_file(),
        ca = npo_pki::CA_CERT_FILE,
    );
    let file = format!("{name}.toml");
    std::fs::write(dir.join(&file), config).unwrap();
    file
}

/// The role this process was started in, if any: runs it and returns true.
pub fn run_role() -> bool {
    let Ok(role) = std::env::var(ROLE_ENV) else {
        return false;
    };
    let dir = PathBuf::from(std::env::var(DIR_ENV).unwrap());
    match role.as_str() {
        "producers" => run_producers(&dir),
        "platform" => run_platform(&dir.join(std::env::var("NPO_BENCH_CONFIG").unwrap())),
        other => panic!("unknown role {other}"),
    }
    true
}

/// Registers [`PATIENT`]'s GetDiagnosis engagements at sources `0..count` through the
/// platform on `port`, as a producer does.
pub fn register_sources(dir: &Path, port: u16, count: usize) {
    let registrar = connector(dir, Party::ProducerSchool);
    let mut conn = Connection::open(&registrar, port, Duration::from_secs(10)).unwrap();
    let body = update_request(
        (0..count)
            .map(|i| engagement(PATIENT, &source(i), false))
            .collect(),
    );
    let answer = conn.call(&http_request(Contract::Update, &body)).unwrap();
    assert_eq!(answer.status, 200, "Update: {}", answer.text());
}

//! Black-box test harness for the platform: a fresh test PKI, a test producer (a tiny
//! actix HTTPS server with client certificates) that answers canned bodies, faults,
//! slowly, with 503 or empty, a TAK file written by the test, and the platform itself on
//! port 0 over mutual TLS, called like a consumer calls it.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations
)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use npo_contracts::registry::Contract;
use npo_contracts::soap::{self, Fault, SoapError};
use npo_pki::{InitOptions, Party};
use npo_platform::config::{
    AdminConfig, ContractTimeout, OriginalConsumerConfig, PlatformConfig, ProducersConfig,
    ProxyConfig, Secret, ServerConfig, TakConfig, TlsConfig,
};
use npo_platform::local::LocalService;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::extension::{ExtendedKeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};

/// The platform instance id used in tests.
pub const INSTANCE: &str = "NPO-TEST-TP1";
/// The admin token used in tests.
pub const TOKEN: &str = "test-admin-token-0123456789";
/// A test personnummer (Tolvan Tolvansson): must never appear in a fault.
pub const PATIENT: &str = "191212121212";

/// GetDiagnosis 2's namespace.
pub fn diagnosis_ns() -> String {
    Contract::GetDiagnosis.responder_ns()
}

/// GetCareContacts 3's namespace (the "slow contract" in timeout tests).
pub fn care_contacts_ns() -> String {
    Contract::GetCareContacts.responder_ns()
}

/// A fresh test PKI.
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        npo_pki::init(dir.path(), &InitOptions::default()).unwrap();
        Pki { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn ca(&self) -> PathBuf {
        self.path().join(npo_pki::CA_CERT_FILE)
    }

    pub fn cert(&self, party: Party) -> PathBuf {
        self.path().join(party.cert_file())
    }

    pub fn key(&self, party: Party) -> PathBuf {
        self.path().join(party.key_file())
    }

    /// Issues, with this PKI's CA, a client certificate whose subject has no
    /// serialNumber (so no HSA-ID); returns (cert, key) paths.
    pub fn issue_without_serial_number(&self) -> (PathBuf, PathBuf) {
        let ca = X509::from_pem(&std::fs::read(self.ca()).unwrap()).unwrap();
        let ca_key = PKey::private_key_from_pem(
            &std::fs::read(self.path().join(npo_pki::CA_KEY_FILE)).unwrap(),
        )
        .unwrap();
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(Nid::COUNTRYNAME, "SE").unwrap();
        name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "Testkommunen")
            .unwrap();
        name.append_entry_by_nid(Nid::COMMONNAME, "Utan HSA-id")
            .unwrap();
        let name = name.build();
        let mut builder = X509::builder().unwrap();
        builder.set_version(2).unwrap();
        let mut serial = BigNum::new().unwrap();
        serial.rand(120, MsbOption::MAYBE_ZERO, false).unwrap();
        builder
            .set_serial_number(&serial.to_asn1_integer().unwrap())
            .unwrap();
        builder.set_subject_name(&name).unwrap();
        builder.set_issuer_name(ca.subject_name()).unwrap();
        builder.set_pubkey(&key).unwrap();
        builder
            .set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        builder
            .set_not_after(&Asn1Time::days_from_now(2).unwrap())
            .unwrap();
        builder
            .append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
            .unwrap();
        let san = SubjectAlternativeName::new()
            .dns("localhost")
            .build(&builder.x509v3_context(Some(&ca), None))
            .unwrap();
        builder.append_extension(san).unwrap();
        builder.sign(&ca_key, MessageDigest::sha256()).unwrap();
        let cert = builder.build();
        let cert_path = self.path().join("no-serial.cert.pem");
        let key_path = self.path().join("no-serial.key.pem");
        std::fs::write(&cert_path, cert.to_pem().unwrap()).unwrap();
        std::fs::write(&key_path, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
        (cert_path, key_path)
    }
}

/// `%XX`-encodes everything but unreserved characters (what a proxy does with a PEM).
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The canned producer response: formatting a serialiser would not keep (comments,
/// odd prefixes, CDATA, attribute quotes), to prove the platform passes bytes through.
pub fn canned_response(tag: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?>\n<!-- producer {tag} -->\n\
         <S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Header/>\
         <S:Body><ns2:GetDiagnosisResponse xmlns:ns2='{}' xmlns:x=\"urn:x\">\
         <ns2:result><ns2:resultCode>OK</ns2:resultCode><ns2:logId>{tag}</ns2:logId>\
         <ns2:message><![CDATA[a < b & c]]></ns2:message></ns2:result>\
         </ns2:GetDiagnosisResponse></S:Body></S:Envelope>\n",
        diagnosis_ns()
    )
}

/// A golden message of the contracts crate (`contracts/tests/golden/<name>`).
pub fn golden(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/tests/golden")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes `xml` as `Op`'s response and encodes it again: a real typed response.
fn reencode<Op: npo_contracts::soap::Operation>(xml: &str) -> String {
    let envelope = soap::decode_response::<Op>(xml.as_bytes())
        .unwrap_or_else(|e| panic!("golden {} response: {e}", Op::CONTRACT));
    soap::encode(&soap::Envelope::bare(envelope.body))
}

/// The golden response of the request's contract, its source system (the golden
/// files' `SE2321000016-A12B` / `SE2321000016-S7V9`) replaced by `source`.
pub fn typed_response(request: &[u8], source: &str) -> String {
    use npo_contracts::{
        get_care_contacts::GetCareContacts, get_care_documentation::GetCareDocumentation,
        get_diagnosis::GetDiagnosis, get_medication_history::GetMedicationHistory,
        get_observations::GetObservations, get_vaccination_history::GetVaccinationHistory,
    };
    let ns = npo_contracts::fastpath::scan(request).unwrap().contract_ns;
    let contract = Contract::from_namespace(&ns).unwrap();
    let xml = golden(&format!("{}_response.xml", contract.name()))
        .replace("SE2321000016-A12B", source)
        .replace("SE2321000016-S7V9", source);
    match contract {
        Contract::GetDiagnosis => reencode::<GetDiagnosis>(&xml),
        Contract::GetCareContacts => reencode::<GetCareContacts>(&xml),
        Contract::GetMedicationHistory => reencode::<GetMedicationHistory>(&xml),
        Contract::GetVaccinationHistory => reencode::<GetVaccinationHistory>(&xml),
        Contract::GetCareDocumentation => reencode::<GetCareDocumentation>(&xml),
        Contract::GetObservations => reencode::<GetObservations>(&xml),
        other => panic!("no typed response for {other}"),
    }
}

/// The text of [`error_response`]'s result.
pub const ERROR_TEXT: &str = "careContactId requires sourceSystemHSAId";

/// A GetDiagnosis response with `result` ERROR / INVALID_REQUEST.
pub fn error_response() -> String {
    soap::encode(&soap::Envelope::bare(
        npo_contracts::get_diagnosis::GetDiagnosisResponse {
            diagnosis: Vec::new(),
            result: Some(npo_contracts::types::ResultType::invalid_request(
                "log-1", ERROR_TEXT,
            )),
        },
    ))
}

/// A SOAP Fault as a producer would send it.
pub const PRODUCER_FAULT: &str = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\
<soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Producer says no</faultstring>\
</soap:Fault></soap:Body></soap:Envelope>";

/// A request envelope with (or without) a `LogicalAddress` header, body element in `ns`.
pub fn request(logical_address: Option<&str>, ns: &str) -> String {
    let header = match logical_address {
        Some(address) => format!(
            "<soap:Header><add:LogicalAddress xmlns:add=\"urn:riv:itintegration:registry:1\">\
             {address}</add:LogicalAddress></soap:Header>"
        ),
        None => String::new(),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">{header}\
         <soap:Body>\n  <urn:GetDiagnosis xmlns:urn=\"{ns}\" xmlns:urn1=\"urn:riv:clinicalprocess:healthcond:description:2\">\
         <urn:patientId><urn1:id>{PATIENT}</urn1:id><urn1:type>1.2.752.129.2.1.3.1</urn1:type></urn:patientId>\
         <!-- kept as sent --></urn:GetDiagnosis>\n</soap:Body></soap:Envelope>"
    )
}

/// What the test producer received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// HSA-ID of the client certificate that called (the platform's).
    pub caller: Option<String>,
}

/// A running test producer.
pub struct TestProducer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

async fn produce(
    req: HttpRequest,
    body: web::Bytes,
    received: web::Data<Arc<Mutex<Vec<Received>>>>,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    let path = req.path().to_owned();
    received.lock().unwrap().push(Received {
        path: path.clone(),
        headers,
        body: body.to_vec(),
        caller: npo_pki::peer_identity(&req).and_then(|p| p.hsa_id.clone()),
    });
    let xml = "text/xml;charset=UTF-8";
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["ok", tag] => HttpResponse::Ok()
            .content_type(xml)
            .body(canned_response(tag)),
        ["fault"] => HttpResponse::InternalServerError()
            .content_type("text/xml; charset=utf-8")
            .body(PRODUCER_FAULT),
        ["html500"] => HttpResponse::InternalServerError()
            .content_type("text/html")
            .body("<html><body>Internal error</body></html>"),
        ["slow", ms] => {
            let ms: u64 = ms.parse().unwrap();
            actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
            HttpResponse::Ok()
                .content_type(xml)
                .body(canned_response("slow"))
        }
        ["typed", source] => HttpResponse::Ok()
            .content_type(xml)
            .body(typed_response(&body, source)),
        ["typed-slow", ms, source] => {
            let ms: u64 = ms.parse().unwrap();
            actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
            HttpResponse::Ok()
                .content_type(xml)
                .body(typed_response(&body, source))
        }
        ["typed-error"] => HttpResponse::Ok().content_type(xml).body(error_response()),
        ["unavailable"] => HttpResponse::ServiceUnavailable().finish(),
        ["empty"] => HttpResponse::Ok().content_type(xml).finish(),
        ["big", kib] => {
            let kib: usize = kib.parse().unwrap();
            let filler = "<!-- 0123456789abcdef0123456789abcdef0123456789abcdef01234567 -->\n"
                .repeat(kib * 1024 / 64);
            HttpResponse::Ok()
                .content_type(xml)
                .body(format!("{filler}{}", canned_response("big")))
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

impl TestProducer {
    /// Starts a producer with `party`'s certificate from `pki`, requiring client
    /// certificates of that PKI's CA.
    pub fn start(pki: &Pki, party: Party) -> TestProducer {
        let acceptor = npo_pki::mtls_acceptor(pki.cert(party), pki.key(party), pki.ca()).unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let data = web::Data::new(received.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(produce))
        })
        .on_connect(npo_pki::peer_identity_on_connect)
        .workers(2)
        .bind_openssl("127.0.0.1:0", acceptor)
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TestProducer {
            port,
            received,
            handle,
        }
    }

    /// `https://localhost:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The one request received.
    pub fn only(&self) -> Received {
        let all = self.received();
        assert_eq!(all.len(), 1, "expected one request, got {}", all.len());
        all.into_iter().next().unwrap()
    }
}

impl Drop for TestProducer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A TAK entry for a route.
pub fn route(address: &str, ns: &str, url: &str) -> String {
    format!("[[routes]]\nlogical_address = \"{address}\"\ncontract = \"{ns}\"\nurl = \"{url}\"\n\n")
}

/// A TAK route entry with a validity window.
pub fn route_valid(address: &str, ns: &str, url: &str, from: &str, to: &str) -> String {
    format!(
        "[[routes]]\nlogical_address = \"{address}\"\ncontract = \"{ns}\"\nurl = \"{url}\"\n\
         valid_from = \"{from}\"\nvalid_to = \"{to}\"\n\n"
    )
}

/// A TAK entry for an authorisation.
pub fn auth(consumer: &str, ns: &str, address: &str) -> String {
    format!(
        "[[authorisations]]\nconsumer = \"{consumer}\"\ncontract = \"{ns}\"\n\
         logical_address = \"{address}\"\n\n"
    )
}

/// A TAK authorisation entry with a validity window.
pub fn auth_valid(consumer: &str, ns: &str, address: &str, from: &str, to: &str) -> String {
    format!(
        "[[authorisations]]\nconsumer = \"{consumer}\"\ncontract = \"{ns}\"\n\
         logical_address = \"{address}\"\nvalid_from = \"{from}\"\nvalid_to = \"{to}\"\n\n"
    )
}

/// An HSA unit entry.
pub fn unit(id: &str, parent: &str) -> String {
    format!("[[units]]\nhsa_id = \"{id}\"\nparent = \"{parent}\"\n\n")
}

/// What a call returned.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The SOAP Fault in the reply (panics when there is none).
    pub fn fault(&self) -> Fault {
        match soap::decode_response::<npo_contracts::get_diagnosis::GetDiagnosis>(&self.body) {
            Err(SoapError::Fault(fault)) => fault,
            other => panic!("expected a SOAP Fault, got {other:?}\n{}", self.text()),
        }
    }

    /// Asserts a VP fault with `code`: HTTP 500, `VPxxx [instance] ...`, correlation id,
    /// no personal data. Returns the fault.
    pub fn assert_vp(&self, code: &str) -> Fault {
        assert_eq!(self.status, 500, "{}", self.text());
        let fault = self.fault();
        assert!(
            fault.string.starts_with(&format!("{code} [{INSTANCE}] ")),
            "expected {code}, got {:?} / {:?}",
            fault.string,
            fault.detail
        );
        assert!(
            self.header("x-skltp-correlation-id").is_some(),
            "faults carry the correlation id"
        );
        assert!(!self.text().contains(PATIENT), "personal data in a fault");
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("text/xml")),
            "{:?}",
            self.headers
        );
        fault
    }
}

/// Options for a test platform.
pub struct Setup {
    pub tak: String,
    pub hsa: Option<String>,
    pub local_services: Vec<Arc<dyn LocalService>>,
    /// Build the local services from the configuration, as `npo platform serve` does.
    pub services_from_config: bool,
    pub tweak: Box<dyn FnOnce(&mut PlatformConfig)>,
}

impl Setup {
    pub fn new(tak: impl Into<String>) -> Setup {
        Setup {
            tak: tak.into(),
            hsa: None,
            local_services: Vec::new(),
            services_from_config: false,
            tweak: Box::new(|_| {}),
        }
    }

    pub fn hsa(mut self, hsa: impl Into<String>) -> Setup {
        self.hsa = Some(hsa.into());
        self
    }

    pub fn local(mut self, service: Arc<dyn LocalService>) -> Setup {
        self.local_services.push(service);
        self
    }

    /// Local services from the configuration (`[engagement_index]`, `[aggregation]`).
    pub fn services_from_config(mut self) -> Setup {
        self.services_from_config = true;
        self
    }

    pub fn tweak(mut self, tweak: impl FnOnce(&mut PlatformConfig) + 'static) -> Setup {
        self.tweak = Box::new(tweak);
        self
    }
}

/// A running platform.
pub struct TestPlatform {
    pub port: u16,
    pub admin_port: u16,
    pub tak_file: PathBuf,
    pub config: PlatformConfig,
    dir: tempfile::TempDir,
    handles: Vec<actix_web::dev::ServerHandle>,
    /// Clients by certificate file: building an OpenSSL connector takes a while.
    clients: std::cell::RefCell<HashMap<PathBuf, awc::Client>>,
}

/// The configuration tests start from: ports 0, short timeouts.
pub fn test_config(pki: &Pki, dir: &Path) -> PlatformConfig {
    PlatformConfig {
        instance_id: INSTANCE.into(),
        server: ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            max_body_bytes: 64 * 1024,
            workers: 2,
        },
        tls: TlsConfig {
            cert: pki.cert(Party::Platform),
            key: pki.key(Party::Platform),
            ca: pki.ca(),
        },
        admin: AdminConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            allow_remote: false,
            token: Some(Secret::new(TOKEN)),
        },
        tak: TakConfig {
            file: dir.join("tak.toml"),
            hsa_file: None,
        },
        producers: ProducersConfig {
            connect_timeout_ms: 1_000,
            timeout_ms: 5_000,
            contract_timeouts: vec![ContractTimeout {
                contract: care_contacts_ns(),
                timeout_ms: 300,
            }],
            connect_retries: 1,
            max_response_bytes: 4 * 1024 * 1024,
        },
        original_consumer: OriginalConsumerConfig::default(),
        proxy: ProxyConfig::default(),
        recording: Default::default(),
        faults: Vec::new(),
        engagement_index: None,
        aggregation: None,
        config_dir: Some(dir.to_owned()),
    }
}

impl TestPlatform {
    pub fn start(pki: &Pki, setup: Setup) -> TestPlatform {
        let dir = tempfile::tempdir().unwrap();
        let mut config = test_config(pki, dir.path());
        std::fs::write(&config.tak.file, &setup.tak).unwrap();
        if let Some(hsa) = &setup.hsa {
            let path = dir.path().join("hsa.toml");
            std::fs::write(&path, hsa).unwrap();
            config.tak.hsa_file = Some(path);
        }
        (setup.tweak)(&mut config);
        config.validate().unwrap();
        let services = if setup.services_from_config {
            npo_platform::startup::local_services(&config).unwrap()
        } else {
            setup.local_services
        };
        let app = npo_platform::startup::Application::build_with(config.clone(), services).unwrap();
        let (port, admin_port) = (app.port(), app.admin_port());
        let (server, admin) = app.into_servers();
        let handles = vec![server.handle(), admin.handle()];
        actix_web::rt::spawn(server);
        actix_web::rt::spawn(admin);
        TestPlatform {
            port,
            admin_port,
            tak_file: config.tak.file.clone(),
            config,
            dir,
            handles,
            clients: Default::default(),
        }
    }

    /// An HTTPS client presenting `cert`/`key` (one per certificate, reused).
    pub fn client_with(&self, pki: &Pki, cert: &Path, key: &Path) -> awc::Client {
        self.clients
            .borrow_mut()
            .entry(cert.to_owned())
            .or_insert_with(|| {
                let connector = npo_pki::mtls_connector(cert, key, pki.ca()).unwrap();
                awc::Client::builder()
                    .connector(awc::Connector::new().openssl(connector))
                    .timeout(Duration::from_secs(20))
                    .finish()
            })
            .clone()
    }

    /// POSTs `body` to `path` with `cert`/`key`; returns the reply.
    pub async fn call_with(
        &self,
        pki: &Pki,
        cert: &Path,
        key: &Path,
        path: &str,
        body: String,
        headers: &[(&str, &str)],
    ) -> Reply {
        let client = self.client_with(pki, cert, key);
        let mut request = client
            .post(format!("https://localhost:{}{path}", self.port))
            .insert_header(("content-type", "text/xml; charset=utf-8"));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = request.send_body(body).await.expect("request");
        let bytes = response.body().limit(16 * 1024 * 1024).await.expect("body");
        Reply {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
                .collect(),
            body: bytes.to_vec(),
        }
    }

    /// POSTs `body` as `party`.
    pub async fn call(
        &self,
        pki: &Pki,
        party: Party,
        body: String,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.call_with(
            pki,
            &pki.cert(party),
            &pki.key(party),
            "/vp/GetDiagnosis/2/rivtabp21",
            body,
            headers,
        )
        .await
    }

    /// An admin request with `token` (None: no Authorization header).
    pub async fn admin_with(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        token: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let client = awc::Client::default();
        let url = format!("http://127.0.0.1:{}{path}", self.admin_port);
        let mut request = match method {
            "GET" => client.get(url),
            "POST" => client.post(url),
            "DELETE" => client.delete(url),
            other => panic!("method {other}"),
        };
        if let Some(token) = token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        let mut response = match body {
            Some(json) => request.send_json(&json).await.unwrap(),
            None => request.send().await.unwrap(),
        };
        let bytes = response.body().await.unwrap();
        let json = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned())
            })
        };
        (response.status().as_u16(), json)
    }

    /// An admin request with the right token.
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        self.admin_with(method, path, body, Some(TOKEN)).await
    }

    /// An admin GET with the given headers; returns status, headers and the body as text.
    pub async fn admin_raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, HashMap<String, String>, String) {
        let client = awc::Client::default();
        let mut request = client.get(format!("http://127.0.0.1:{}{path}", self.admin_port));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = request.send().await.unwrap();
        let bytes = response.body().limit(64 * 1024 * 1024).await.unwrap();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("?").to_owned()))
            .collect();
        (
            response.status().as_u16(),
            headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    /// `GET /admin/calls?<query>` once at least `n` calls are stored (a call is stored
    /// when its answer has been sent, a moment after the client has read it); waits at
    /// most 5 s, then returns what is there.
    pub async fn calls(&self, query: &str, n: usize) -> serde_json::Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let (status, all) = self.admin("GET", "/admin/calls?limit=10000", None).await;
            assert_eq!(status, 200, "{all}");
            if all["stored"].as_u64().unwrap() as usize >= n || std::time::Instant::now() > deadline
            {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        let (status, json) = self
            .admin("GET", &format!("/admin/calls?{query}"), None)
            .await;
        assert_eq!(status, 200, "{json}");
        json
    }

    /// Stops the routing listener (the admin listener keeps running).
    pub async fn stop_routing(&mut self) {
        let handle = self.handles.remove(0);
        handle.stop(true).await;
    }

    /// The platform's peer address as seen by itself (for proxy tests).
    pub fn local_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for TestPlatform {
    fn drop(&mut self) {
        for handle in self.handles.drain(..) {
            actix_web::rt::spawn(async move { handle.stop(false).await });
        }
    }
}

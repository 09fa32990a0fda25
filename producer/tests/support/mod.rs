//! Black-box test harness: a producer on port 0 over HTTPS with client certificates,
//! on a fresh database (a SQLite file, or a PostgreSQL schema of its own that is
//! dropped afterwards), called like the platform calls it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use diesel::connection::SimpleConnection;
use npo_pki::{InitOptions, Party};
use npo_producer::config::{
    ConsumerScopeConfig, DatabaseConfig, ProducerConfig, ServerConfig, TlsConfig,
};
use npo_producer::db::{self, DbConn};
use npo_producer::records::diagnosis::DiagnosisRecord;

/// The logical address (source system) the test producer serves.
pub const SOURCE_SYSTEM: &str = "SE2120009994-EH7S";
/// Another source system stored in the same database but not served.
pub const OTHER_SOURCE_SYSTEM: &str = "SE2321009991-BV3C";
/// A consumer with a restricted scope (HTTP-header filter).
pub const RESTRICTED_CONSUMER: &str = "SE5599000022-1177";
/// The care giver the restricted consumer may see.
pub const VISIBLE_CARE_GIVER: &str = "SE2120009994-0001";

/// The personnummer type OID.
pub const PNR: &str = "1.2.752.129.2.1.3.1";

/// An unsigned diagnosis (J45.9) of `patient` in [`SOURCE_SYSTEM`], written at
/// `author_time` by the school doctor of unit SE2120009994-0A01 of
/// [`VISIBLE_CARE_GIVER`]; tests change the fields they are about.
pub fn diagnosis_record(document_id: &str, patient: &str, author_time: &str) -> DiagnosisRecord {
    DiagnosisRecord {
        document_id: document_id.into(),
        source_system_hsa_id: SOURCE_SYSTEM.into(),
        patient_id: patient.into(),
        patient_id_type: PNR.into(),
        author_time: author_time.into(),
        author_hsa_id: Some("SE2120009994-P001".into()),
        author_name: Some("Karin Lindqvist".into()),
        author_role_code: Some("201010".into()),
        author_role_name: Some("Skolläkare".into()),
        author_org_unit_hsa_id: Some("SE2120009994-0A01".into()),
        author_org_unit_name: Some("Elevhälsan Björkskolan".into()),
        care_unit_hsa_id: "SE2120009994-0A01".into(),
        care_giver_hsa_id: VISIBLE_CARE_GIVER.into(),
        legal_authenticator_hsa_id: None,
        legal_authenticator_name: None,
        signature_time: None,
        approved_for_patient: true,
        care_contact_id: None,
        nullified: false,
        nullified_reason: None,
        type_of_diagnosis: "Huvuddiagnos".into(),
        chronic_diagnosis: Some(true),
        diagnosis_time: None,
        diagnosis_code: Some("J45.9".into()),
        diagnosis_code_system: None,
        diagnosis_display_name: Some("Astma, ospecificerad".into()),
        diagnosis_original_text: None,
    }
}

/// A GetDiagnosis request to [`SOURCE_SYSTEM`] for `patient`, without filters.
pub fn get_diagnosis_request(patient: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1"><s:Header><a:LogicalAddress>{SOURCE_SYSTEM}</a:LogicalAddress></s:Header><s:Body><GetDiagnosis xmlns="urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2" xmlns:c="urn:riv:clinicalprocess:healthcond:description:2"><patientId><c:id>{patient}</c:id><c:type>{PNR}</c:type></patientId></GetDiagnosis></s:Body></s:Envelope>"#
    )
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary folder.
    Sqlite,
    /// A fresh schema in the PostgreSQL of `NPO_TEST_DATABASE_URL`.
    Postgres,
}

/// A fresh, migrated database; dropped with the value.
pub struct TestDb {
    pub url: String,
    schema: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    /// A new database, or `None` (with a note) when PostgreSQL is not configured.
    pub fn new(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = dir
                    .path()
                    .join("producer.sqlite")
                    .to_string_lossy()
                    .into_owned();
                Some(TestDb {
                    url,
                    schema: None,
                    _dir: dir,
                })
            }
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
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = db::DbManager::new(&base)
                    .open()
                    .expect("connect to test PostgreSQL");
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

    /// A connection with the migrations applied.
    pub fn connect(&self) -> DbConn {
        let mut conn = db::DbManager::new(&self.url).open().unwrap();
        db::run_migrations(&mut conn).unwrap();
        conn
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema
            && let Ok(mut admin) = db::DbManager::new(base).open()
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

/// A running producer.
pub struct TestProducer {
    pub port: u16,
    pub pki: PathBuf,
    pub db: TestDb,
    server: actix_web::dev::ServerHandle,
    _pki_dir: tempfile::TempDir,
}

impl TestProducer {
    /// Starts a producer on `db` (already filled by the test).
    pub fn start(db: TestDb) -> TestProducer {
        let pki_dir = tempfile::tempdir().unwrap();
        npo_pki::init(pki_dir.path(), &InitOptions::default()).unwrap();
        let pki = pki_dir.path().to_owned();
        let party = |p: Party| (pki.join(p.cert_file()), pki.join(p.key_file()));
        let (cert, key) = party(Party::ProducerSchool);
        let config = ProducerConfig {
            server: ServerConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                max_body_bytes: 64 * 1024,
                workers: 2,
            },
            tls: TlsConfig {
                cert,
                key,
                ca: pki.join(npo_pki::CA_CERT_FILE),
            },
            allowed_callers: vec![Party::Platform.hsa_id().to_owned()],
            source_systems: vec![SOURCE_SYSTEM.to_owned()],
            database: DatabaseConfig {
                url: db.url.clone(),
                pool_size: 4,
                migrate_on_start: true,
            },
            consumer_scopes: vec![ConsumerScopeConfig {
                consumer: RESTRICTED_CONSUMER.to_owned(),
                only_approved_for_patient: false,
                care_giver_hsa_ids: vec![VISIBLE_CARE_GIVER.to_owned()],
            }],
            engagement_index: None,
            admin: None,
        };
        config.validate().unwrap();
        let app = npo_producer::startup::Application::build(config).unwrap();
        let port = app.port();
        let server = app.into_server();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TestProducer {
            port,
            pki,
            db,
            server: handle,
            _pki_dir: pki_dir,
        }
    }

    /// An HTTPS client presenting `party`'s certificate.
    pub fn client(&self, party: Party) -> awc::Client {
        let connector = npo_pki::mtls_connector(
            self.pki.join(party.cert_file()),
            self.pki.join(party.key_file()),
            self.pki.join(npo_pki::CA_CERT_FILE),
        )
        .unwrap();
        awc::Client::builder()
            .connector(awc::Connector::new().openssl(connector))
            .timeout(std::time::Duration::from_secs(20))
            .finish()
    }

    /// POSTs `body` to `path` as the platform; returns status and body.
    pub async fn post(&self, path: &str, body: String, headers: &[(&str, &str)]) -> (u16, String) {
        let client = self.client(Party::Platform);
        let mut request = client
            .post(format!("https://localhost:{}{path}", self.port))
            .insert_header(("content-type", "text/xml; charset=utf-8"));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = request.send_body(body).await.expect("request");
        let bytes = response.body().limit(16 * 1024 * 1024).await.expect("body");
        (
            response.status().as_u16(),
            String::from_utf8(bytes.to_vec()).expect("utf-8"),
        )
    }

    /// GETs `path` as the platform.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let client = self.client(Party::Platform);
        let mut response = client
            .get(format!("https://localhost:{}{path}", self.port))
            .send()
            .await
            .expect("request");
        let bytes = response.body().limit(16 * 1024 * 1024).await.expect("body");
        (
            response.status().as_u16(),
            String::from_utf8(bytes.to_vec()).expect("utf-8"),
        )
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

/// Runs the official validator on a response envelope (with `--npo` etc. in `args`),
/// when `RIVTA_REFERENCE_DIR` is set.
pub fn official_validate(name: &str, envelope: &str, args: &[&str]) {
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
        .args(args)
        .arg(&file)
        .env("RIVTA_REFERENCE_DIR", &reference)
        .output()
        .expect("node");
    assert!(
        output.status.success(),
        "validate.js {args:?} rejected {name}:\n{}\n{}\n--- response ---\n{envelope}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The test PKI directory's CA file (for tests that build their own clients).
pub fn ca_file(pki: &Path) -> PathBuf {
    pki.join(npo_pki::CA_CERT_FILE)
}

/// Both backends (PostgreSQL only when configured).
pub fn backends() -> Vec<Backend> {
    vec![Backend::Sqlite, Backend::Postgres]
}

/// Keeps `Arc` imported for tests that share state.
pub type Shared<T> = Arc<T>;

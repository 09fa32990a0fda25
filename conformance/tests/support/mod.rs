//! Test harness: our real producer on port 0 over mutual TLS on a fresh database (a
//! SQLite file, or a PostgreSQL schema of its own dropped afterwards), filled with the
//! example import document through the producer's own import; and a test PKI.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use npo_conformance::{Target, TestData};
use npo_pki::{InitOptions, Party};
use npo_producer::config::{
    ConsumerScopeConfig, DatabaseConfig, ProducerConfig, ServerConfig, TlsConfig,
};
use npo_producer::db;

/// The logical address (source system) the producer serves.
pub const SOURCE_SYSTEM: &str = "SE2120009994-EH7S";
/// The consumer whose view is limited to one care giver (HTTP-header filter).
pub const RESTRICTED_CONSUMER: &str = "SE5599000022-1177";
/// The care giver the restricted consumer may see.
pub const VISIBLE_CARE_GIVER: &str = "SE2120009994-0001";

/// The example files of the crate.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// The example test data for our producer.
pub fn example_data() -> TestData {
    TestData::load(&example("npo-producer.toml")).unwrap()
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database; dropped with the value.
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
            Backend::Sqlite => Some(TestDb {
                url: dir
                    .path()
                    .join("producer.sqlite")
                    .to_string_lossy()
                    .into_owned(),
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
                let schema = format!("t_{}", uuid_like());
                let mut admin = db::DbManager::new(&base)
                    .open()
                    .expect("connect to PostgreSQL");
                admin
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .unwrap();
                let separator = if base.contains('?') { '&' } else { '?' };
                Some(TestDb {
                    url: format!("{base}{separator}options=-csearch_path%3D{schema}"),
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
            && let Ok(mut admin) = db::DbManager::new(base).open()
        {
            let _ = admin.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}{}", std::process::id())
}

/// A test PKI in a temporary folder.
pub struct Pki {
    pub dir: tempfile::TempDir,
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

    pub fn cert(&self, party: Party) -> PathBuf {
        self.path().join(party.cert_file())
    }

    pub fn key(&self, party: Party) -> PathBuf {
        self.path().join(party.key_file())
    }

    pub fn ca(&self) -> PathBuf {
        self.path().join(npo_pki::CA_CERT_FILE)
    }

    /// A conformance target at `url`, calling as `party`.
    pub fn target(&self, url: String, party: Party) -> Target {
        Target {
            url,
            cert: self.cert(party),
            key: self.key(party),
            ca: self.ca(),
            timeout: Duration::from_secs(20),
        }
    }
}

/// Our producer, running.
pub struct TestProducer {
    pub port: u16,
    pub pki: Pki,
    pub db: TestDb,
    server: actix_web::dev::ServerHandle,
}

impl TestProducer {
    /// Starts a producer on `backend` with the example import document loaded through
    /// the producer's import (as `npo producer import` does). `None`: backend not set up.
    pub fn start(backend: Backend) -> Option<TestProducer> {
        let db = TestDb::new(backend)?;
        let pki = Pki::new();
        let config = ProducerConfig {
            server: ServerConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                max_body_bytes: 64 * 1024,
                workers: 2,
            },
            tls: TlsConfig {
                cert: pki.cert(Party::ProducerSchool),
                key: pki.key(Party::ProducerSchool),
                ca: pki.ca(),
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
        let mut conn = db::DbManager::new(&db.url).open().unwrap();
        db::run_migrations(&mut conn).unwrap();
        let json = std::fs::read(example("npo-producer-import.json")).unwrap();
        let options = npo_producer::import::ImportOptions::from_config(&config);
        let document = npo_producer::import::read(&json, &options)
            .unwrap_or_else(|problems| panic!("example import refused: {problems:?}"));
        npo_producer::import::apply(&mut conn, &document).unwrap();
        drop(conn);
        let app = npo_producer::startup::Application::build(config).unwrap();
        let port = app.port();
        let server = app.into_server();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Some(TestProducer {
            port,
            pki,
            db,
            server: handle,
        })
    }

    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// A target calling as the platform (the producer's allowed caller).
    pub fn target(&self) -> Target {
        self.pki.target(self.url(), Party::Platform)
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

//! Configuration, migrations and SITHS-style certificate login over HTTPS.

// Helpers outside #[test] functions are not covered by clippy.toml `allow-*-in-tests`.
#![allow(clippy::unwrap_used)]

mod support;

use npo_consumer::config::ConsumerConfig;
use npo_pki::Party;
use support::*;

#[test]
fn the_example_configuration_is_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    npo_pki::init(
        &dir.path().join("data/pki"),
        &npo_pki::InitOptions::default(),
    )
    .unwrap();
    let text = std::fs::read_to_string(root.join("config/consumer.toml")).unwrap();
    let file = dir.path().join("config/consumer.toml");
    std::fs::write(&file, text).unwrap();
    let config = ConsumerConfig::load(&file).expect("example config is valid");
    assert_eq!(config.platform.logical_address, "5565594230");
    assert!(config.database.url.ends_with("data/consumer.sqlite"));
    assert!(config.view("skolstart").is_some());
    assert!(config.staff_by_username("sara").is_some());
}

#[test]
fn mistakes_in_a_configuration_are_named() {
    let pki = Pki::new();
    let good = config_text(&pki, 1, "x.sqlite");
    let cases = [
        (format!("{good}\nunknown = 1\n"), "unknown"),
        (
            good.replace("https://localhost", "http://localhost"),
            "https",
        ),
        (
            good.replace("idle_timeout_seconds = 600", "idle_timeout_seconds = 0"),
            "idle_timeout",
        ),
        (
            good.replace("username = \"lars\"", "username = \"sara\""),
            "username",
        ),
        (
            good.replace("password_hash = \"$argon2id", "password_hash = \"$nope"),
            "password_hash",
        ),
        (
            good.replace(
                "[[views]]\nslug = \"skolstart\"",
                "[[views]]\nslug = \"Skol Start\"",
            ),
            "slug",
        ),
        (
            format!("{good}\n[time_window.types.diagnoser]\ndefault = \"from_birth\"\n"),
            "reaches further back",
        ),
        (
            format!("{good}\n[login]\ncertificate = true\n"),
            "client_ca",
        ),
    ];
    for (text, expected) in cases {
        let err = match ConsumerConfig::parse(&text) {
            Err(e) => e.to_string(),
            Ok(config) => config.validate().unwrap_err().to_string(),
        };
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
}

#[actix_rt::test]
async fn the_bvc_programme_file_is_checked_at_start() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let good = npo_consumer::bvc::programme::EMBEDDED_TOML;
    std::fs::write(dir.path().join("good.toml"), good).unwrap();
    let late_before_recommended = good.replace(
        r#"{ recommended = "18m", late_after = "2y" }"#,
        r#"{ recommended = "18m", late_after = "1y" }"#,
    );
    assert_ne!(late_before_recommended, good);
    std::fs::write(dir.path().join("bad.toml"), late_before_recommended).unwrap();
    let start = |file: &str| {
        let mut config =
            ConsumerConfig::parse(&config_text(&pki, 1, &db.to_string_lossy())).unwrap();
        config.bvc.programme_file = Some(file.into());
        config.resolve_paths(dir.path());
        config.validate().unwrap();
        npo_consumer::startup::Application::build(config).map(|app| app.port())
    };
    // A relative file is read from the configuration's folder.
    assert!(start("good.toml").is_ok());
    let err = start("bad.toml").err().unwrap().to_string();
    assert!(
        err.contains("bvc.programme_file") && err.contains("mpr"),
        "{err}"
    );
    let err = start("missing.toml").err().unwrap().to_string();
    assert!(err.contains("missing.toml"), "{err}");
    // The old growth_codes key is gone: the programme's measures name the codes.
    let text = config_text(&pki, 1, "x.sqlite") + "\n[bvc]\ngrowth_codes = [\"27113001\"]\n";
    let err = ConsumerConfig::parse(&text).err().unwrap().to_string();
    assert!(err.contains("growth_codes"), "{err}");
}

#[test]
fn migrations_apply_and_revert_on_both_backends() {
    for backend in BACKENDS {
        let Some(db) = TestDb::new(backend) else {
            continue;
        };
        let mut conn = db.connect();
        let applied = npo_consumer::db::run_migrations(&mut conn).unwrap();
        assert_eq!(applied.len(), 1);
        assert!(
            npo_consumer::db::run_migrations(&mut conn)
                .unwrap()
                .is_empty()
        );
        npo_consumer::db::revert_all_migrations(&mut conn).unwrap();
        assert_eq!(
            npo_consumer::db::run_migrations(&mut conn).unwrap().len(),
            1
        );
    }
}

fn https_client(pki: &Pki, identity: Option<Party>) -> awc::Client {
    use openssl::ssl::{SslConnector, SslMethod};
    let connector = match identity {
        Some(party) => npo_pki::mtls_connector(pki.cert(party), pki.key(party), pki.ca()).unwrap(),
        None => {
            let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
            b.set_ca_file(pki.ca()).unwrap();
            b.build()
        }
    };
    awc::Client::builder()
        .connector(awc::Connector::new().openssl(connector))
        .disable_redirects()
        .finish()
}

#[actix_rt::test]
async fn certificate_login_maps_the_serial_number_to_the_directory() {
    let Some(app) = TestApp::start_with(Backend::Sqlite, |c| {
        let pki_dir = std::path::Path::new(&c.platform.ca)
            .parent()
            .unwrap()
            .to_owned();
        c.server.tls = Some(npo_consumer::config::BrowserTlsConfig {
            cert: pki_dir.join(Party::Consumer.cert_file()),
            key: pki_dir.join(Party::Consumer.key_file()),
            client_ca: Some(pki_dir.join(npo_pki::CA_CERT_FILE)),
        });
        c.login.certificate = true;
        // The integration tester's certificate belongs to the school doctor.
        let doctor = c.staff.iter_mut().find(|s| s.username == "lars").unwrap();
        doctor.hsa_id = npo_pki::TESTER_HSA_ID.to_owned();
    }) else {
        return;
    };
    let base = format!("https://localhost:{}", app.port);

    let mut card = Browser::with_client(base.clone(), https_client(&app.pki, Some(Party::Tester)));
    let page = card.get("/login").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.header("set-cookie").unwrap().contains("Secure"),
        "Secure under TLS"
    );
    let token = page.token_for("/login/certifikat");
    let answer = card.post("/login/certifikat", &[("csrf", &token)]).await;
    assert_eq!(
        (answer.status, answer.location()),
        (303, "/uppdrag"),
        "{}",
        answer.body
    );
    let picker = card.get("/uppdrag").await;
    assert!(picker.body.contains("Lars Läkare"), "{}", picker.body);

    // A certificate whose HSA-ID is not in the directory.
    let mut stranger = Browser::with_client(
        base.clone(),
        https_client(&app.pki, Some(Party::ProducerBvc)),
    );
    let page = stranger.get("/login").await;
    let token = page.token_for("/login/certifikat");
    let refused = stranger
        .post("/login/certifikat", &[("csrf", &token)])
        .await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("finns inte i personalkatalogen"));

    // Without a card: no certificate, but password login still works over HTTPS.
    let mut plain = Browser::with_client(base, https_client(&app.pki, None));
    let page = plain.get("/login").await;
    let token = page.token_for("/login/certifikat");
    let refused = plain.post("/login/certifikat", &[("csrf", &token)]).await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("Inget giltigt certifikat"));
    let ok = plain.login("sara", PASSWORD).await;
    assert_eq!(ok.status, 303);
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn columns(conn: &mut npo_consumer::db::DbConn, table: &str) -> Vec<String> {
    use diesel::RunQueryDsl;
    let query = match conn {
        npo_consumer::db::DbConn::Sqlite(_) => {
            format!("SELECT name FROM pragma_table_info('{table}')")
        }
        npo_consumer::db::DbConn::Pg(_) => format!(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{table}'"
        ),
    };
    let mut names: Vec<String> = diesel::sql_query(query)
        .load::<Column>(conn)
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_get_the_same_tables_and_columns() {
    let tables = [
        "staff",
        "care_relations",
        "consents",
        "emergency_accesses",
        "blocks",
        "access_log",
    ];
    let mut seen: Vec<Vec<Vec<String>>> = Vec::new();
    for backend in BACKENDS {
        let Some(db) = TestDb::new(backend) else {
            continue;
        };
        let mut conn = db.connect();
        npo_consumer::db::run_migrations(&mut conn).unwrap();
        let schema: Vec<Vec<String>> = tables.iter().map(|t| columns(&mut conn, t)).collect();
        for (table, cols) in tables.iter().zip(&schema) {
            assert!(!cols.is_empty(), "{table} missing on {backend:?}");
        }
        seen.push(schema);
    }
    if let [sqlite, postgres] = seen.as_slice() {
        assert_eq!(sqlite, postgres);
    }
}

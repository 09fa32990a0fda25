//! Runs the `npo` binary: `npo producer import` of the conformance example records into
//! a producer, then `npo conformance` against it (every case passes, exit 0, JSON for
//! CI), against nothing (exit non-zero, the failures in the JSON) and with a broken
//! test-data file (a clear error, exit non-zero).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn npo(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_npo"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/examples")
        .join(name)
}

/// A producer configuration (test PKI, SQLite, the restricted consumer the example
/// data's HTTP-header case needs) with the example records imported by the CLI.
fn producer_config(dir: &Path) -> PathBuf {
    let pki = dir.join("pki");
    npo_pki::init(&pki, &npo_pki::InitOptions::default()).unwrap();
    let config = dir.join("producer.toml");
    let p = |name: &str| pki.join(name).display().to_string();
    std::fs::write(
        &config,
        format!(
            r#"allowed_callers = ["SE5599000014-TP1K"]
source_systems = ["SE2120009994-EH7S"]

[server]
listen = "127.0.0.1:0"

[tls]
cert = "{}"
key = "{}"
ca = "{}"

[database]
url = "{}"
migrate_on_start = true

[[consumer_scopes]]
consumer = "SE5599000022-1177"
care_giver_hsa_ids = ["SE2120009994-0001"]
"#,
            p("producer-school.cert.pem"),
            p("producer-school.key.pem"),
            p("ca.cert.pem"),
            dir.join("producer.sqlite").display()
        ),
    )
    .unwrap();
    let import = npo(&[
        "producer".into(),
        "import".into(),
        "--config".into(),
        config.display().to_string(),
        example("npo-producer-import.json").display().to_string(),
    ]);
    assert!(import.status.success(), "{}", text(&import.stderr));
    config
}

/// `npo conformance` arguments calling `url` as the platform, with `data`.
fn conformance_args(dir: &Path, url: &str, data: &Path, extra: &[&str]) -> Vec<String> {
    let pki = dir.join("pki");
    let mut args: Vec<String> = vec![
        "conformance".into(),
        "--url".into(),
        url.into(),
        "--cert".into(),
        pki.join("platform.cert.pem").display().to_string(),
        "--key".into(),
        pki.join("platform.key.pem").display().to_string(),
        "--ca".into(),
        pki.join("ca.cert.pem").display().to_string(),
        "--data".into(),
        data.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

async fn npo_async(args: Vec<String>) -> Output {
    actix_web::rt::task::spawn_blocking(move || npo(&args))
        .await
        .unwrap()
}

#[actix_web::test]
async fn conformance_against_our_producer_passes_and_fails_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let config = producer_config(dir.path());
    let config = npo_producer::config::ProducerConfig::load(&config).unwrap();
    let app = npo_producer::startup::Application::build(config).unwrap();
    let url = format!("https://localhost:{}", app.port());
    let server = app.into_server();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let data = example("npo-producer.toml");

    // Every case passes: exit 0, JSON says so.
    let out = npo_async(conformance_args(
        dir.path(),
        &url,
        &data,
        &["--format", "json"],
    ))
    .await;
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["passed"], 49);
    assert_eq!(json["failed"], 0);
    assert_eq!(json["contracts"].as_array().unwrap().len(), 6);

    // Human output by default; --contract selects.
    let out = npo_async(conformance_args(
        dir.path(),
        &url,
        &data,
        &["--contract", "GetDiagnosis"],
    ))
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let human = text(&out.stdout);
    assert!(human.contains("GetDiagnosis 2\n  PASS  Basic\n"), "{human}");
    assert!(
        human.contains("OK: 9 passed, 0 failed, 0 skipped"),
        "{human}"
    );
    assert!(!human.contains("GetCareContacts"), "{human}");

    // Against a port where nothing listens: exit non-zero, every case failed in the JSON.
    handle.stop(false).await;
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        )
    };
    let out = npo_async(conformance_args(
        dir.path(),
        &dead,
        &data,
        &["--format", "json", "--contract", "GetObservations"],
    ))
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["failed"], 3);
    let reason = json["contracts"][0]["cases"][0]["reasons"][0]
        .as_str()
        .unwrap();
    assert!(reason.starts_with("cannot connect to "), "{reason}");
    assert!(
        text(&out.stderr).contains("error: 3 conformance case(s) failed"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_broken_test_data_file_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    npo_pki::init(&dir.path().join("pki"), &npo_pki::InitOptions::default()).unwrap();
    let data = dir.path().join("data.toml");
    std::fs::write(
        &data,
        "logical_address = \"SE2120009994-EH7S\"\n\n[GetDiagnosis.basic]\npatient_id = \"201403129800\"\nexpected_documentids = [\"x\"]\n",
    )
    .unwrap();
    let out = npo(&conformance_args(
        dir.path(),
        "https://127.0.0.1:1",
        &data,
        &[],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown field `expected_documentids`"),
        "{stderr}"
    );

    std::fs::write(
        &data,
        "logical_address = \"SE2120009994-EH7S\"\n\n[GetCareDocumentation.care_contact_filter]\npatient_id = \"201403129800\"\ncare_contact_ids = [\"vko-a\"]\n",
    )
    .unwrap();
    let out = npo(&conformance_args(
        dir.path(),
        "https://127.0.0.1:1",
        &data,
        &[],
    ));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("[GetCareDocumentation.care_contact_filter]: GetCareDocumentation 3 has no such case (the 3.0 request has no careContactId)"),
        "{stderr}"
    );
}

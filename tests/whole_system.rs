//! The whole system as a newcomer starts it: `npo demo --prepare-only` writes the data
//! dir (test PKI, configurations, two seeded producers), then each service runs as its
//! own process (`npo platform|producer|consumer serve --config <data-dir>/...`) on free
//! ports with real mutual TLS between them. A school nurse logs in through the web app
//! and reads records from both producers via the platform's aggregating services.
//!
//! Proves: relation + consent show both care givers' records, each with its source; a
//! record imported into a running producer becomes visible through the engagement index
//! and the aggregating service; a stopped producer is named while the other's records
//! are shown, and everything is back once it runs again; a consumer certificate that TAK
//! does not authorise gets a clear error and no data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::http::{Browser, wait_for_port};

/// `count` distinct free loopback ports.
fn free_ports(count: usize) -> Vec<u16> {
    let mut held = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < count {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        held.push(listener);
        ports.push(port);
    }
    ports
}

/// Two adjacent free ports (the demo puts its second producer on the next port).
fn adjacent_free_ports() -> u16 {
    for _ in 0..200 {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two adjacent free ports");
}

/// A child process killed when dropped.
struct Service {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Service {
    fn start(name: &'static str, dir: &Path, args: &[&str]) -> Service {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_npo"))
            .args(args)
            .current_dir(dir)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Service { name, child, log }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

struct System {
    dir: tempfile::TempDir,
    consumer_port: u16,
    platform_port: u16,
    producer_port: u16,
    pupils: Vec<String>,
    services: Vec<Service>,
}

impl System {
    fn prepare() -> System {
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports(3);
        let producer_port = adjacent_free_ports();
        let (consumer_port, platform_port, admin_port) = (ports[0], ports[1], ports[2]);
        let output = Command::new(env!("CARGO_BIN_EXE_npo"))
            .args(["demo", "--prepare-only", "--pupils", "4", "--data-dir"])
            .arg(dir.path().join("data"))
            .args(["--consumer-listen", &format!("127.0.0.1:{consumer_port}")])
            .args(["--platform-listen", &format!("127.0.0.1:{platform_port}")])
            .args([
                "--platform-admin-listen",
                &format!("127.0.0.1:{admin_port}"),
            ])
            .args(["--producer-listen", &format!("127.0.0.1:{producer_port}")])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "npo demo --prepare-only failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let pupils: Vec<String> = std::fs::read_to_string(dir.path().join("data/pupils.txt"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("(personnummer)"))
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
            .collect();
        assert!(!pupils.is_empty(), "no pupil with a BVC history: {stdout}");
        System {
            dir,
            consumer_port,
            platform_port,
            producer_port,
            pupils,
            services: Vec::new(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start(&mut self, name: &'static str, args: &[&str], port: u16) {
        let service = Service::start(name, &self.data(), args);
        if !wait_for_port(port, Duration::from_secs(30)) {
            panic!("{name} did not start:\n{}", service.log());
        }
        self.services.push(service);
    }

    fn start_producer(&mut self, which: &'static str) {
        let (config, port) = match which {
            "producer-bvc" => ("producer-bvc.toml", self.producer_port),
            _ => ("producer-school.toml", self.producer_port + 1),
        };
        self.start(which, &["producer", "serve", "--config", config], port);
    }

    fn stop(&mut self, name: &str) {
        let at = self.services.iter().position(|s| s.name == name).unwrap();
        let mut service = self.services.remove(at);
        service.stop();
    }

    fn browser(&self, port: u16) -> Browser {
        Browser::new(port)
    }

    fn logs(&self) -> String {
        self.services
            .iter()
            .map(|s| format!("--- {}\n{}", s.name, s.log()))
            .collect()
    }
}

/// Rows of a journal table whose care-giver cell is `name`.
fn rows_from(page: &str, name: &str) -> usize {
    page.matches(&format!("<td>{name}</td>")).count()
}

const MUNICIPALITY: &str = "Exempel kommun";
const REGION: &str = "Region Test";

#[test]
fn a_nurse_reads_both_producers_through_the_platform() {
    let mut system = System::prepare();
    let platform_port = system.platform_port;
    let consumer_port = system.consumer_port;
    system.start(
        "platform",
        &["platform", "serve", "--config", "platform.toml"],
        platform_port,
    );
    system.start_producer("producer-bvc");
    system.start_producer("producer-school");
    system.start(
        "consumer",
        &["consumer", "serve", "--config", "consumer.toml"],
        consumer_port,
    );

    let pupil = system.pupils[0].clone();
    let mut nurse = system.browser(consumer_port);
    nurse.login("sara", "demo-losenord");
    let handle = nurse.open_pupil(&pupil);

    // No care relation: no patient data at all.
    let page = nurse.get(&format!("/elev/{handle}/vaccinationer"));
    assert_eq!(rows_from(&page.body, MUNICIPALITY), 0, "{}", page.body);
    assert_eq!(rows_from(&page.body, REGION), 0);

    // Relation: the own care giver (the municipality) only. The producers deliver
    // their engagements to the index in the background: wait until they have.
    nurse.pupil_form(&handle, "vardrelation", &[("reason", "Hälsobesök åk 1")]);
    let page = nurse.wait_for(
        &format!("/elev/{handle}/vaccinationer"),
        |body| rows_from(body, MUNICIPALITY) > 0,
        &system.logs(),
    );
    assert_eq!(
        rows_from(&page, REGION),
        0,
        "the region's records need consent"
    );

    // Consent from the pupil: both care givers, each record labelled with its source.
    let consent = nurse.pupil_form(
        &handle,
        "samtycke",
        &[("given_by", "pupil"), ("scope", "care_unit")],
    );
    assert_eq!(consent.status, 303, "{}", consent.body);
    let page = nurse.wait_for(
        &format!("/elev/{handle}/vaccinationer"),
        |body| rows_from(body, REGION) > 0 && rows_from(body, MUNICIPALITY) > 0,
        &system.logs(),
    );
    assert!(page.contains("BVC Vårdcentralen Solbacken"), "{page}");
    assert!(page.contains("Elevhälsan Björkskolan"), "{page}");
    let complete_rows = rows_from(&page, REGION) + rows_from(&page, MUNICIPALITY);

    // A record imported into the running school-health producer (the vendor's CLI)
    // reaches the app through the engagement index and the aggregating service.
    let import = system.data().join("new-diagnosis.json");
    std::fs::write(&import, new_diagnosis(&pupil)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_npo"))
        .args(["producer", "import", "--config", "producer-school.toml"])
        .arg(&import)
        .current_dir(system.data())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    nurse.wait_for(
        &format!("/elev/{handle}/diagnoser"),
        |body| body.contains("Sömnstörning efter helresa (testdiagnos)"),
        &system.logs(),
    );

    // The BVC producer stops: the municipality's records are still shown and the
    // missing source is named; started again, the page is complete.
    system.stop("producer-bvc");
    let page = nurse.get(&format!("/elev/{handle}/vaccinationer"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(rows_from(&page.body, MUNICIPALITY) > 0, "{}", page.body);
    assert_eq!(rows_from(&page.body, REGION), 0, "{}", page.body);
    assert!(
        page.body.contains("source-failure") && page.body.contains("SE2321009991-BV3C"),
        "the stopped source must be named:\n{}",
        page.body
    );
    system.start_producer("producer-bvc");
    let page = nurse.wait_for(
        &format!("/elev/{handle}/vaccinationer"),
        |body| {
            !body.contains("source-failure")
                && rows_from(body, REGION) + rows_from(body, MUNICIPALITY) == complete_rows
        },
        &system.logs(),
    );
    assert!(rows_from(&page, REGION) > 0);

    // A consumer whose certificate TAK does not authorise (here the engagement index's
    // certificate) gets a clear error and no data.
    let unauthorised_port = free_ports(1)[0];
    let config = std::fs::read_to_string(system.data().join("consumer.toml"))
        .unwrap()
        .replace("pki/consumer.", "pki/engagement-index.")
        .replace(
            &format!("127.0.0.1:{consumer_port}"),
            &format!("127.0.0.1:{unauthorised_port}"),
        )
        .replace("consumer.sqlite", "consumer-unauthorised.sqlite");
    std::fs::write(system.data().join("consumer-unauthorised.toml"), config).unwrap();
    system.start(
        "consumer-unauthorised",
        &[
            "consumer",
            "serve",
            "--config",
            "consumer-unauthorised.toml",
        ],
        unauthorised_port,
    );
    let mut other = system.browser(unauthorised_port);
    other.login("sara", "demo-losenord");
    let handle = other.open_pupil(&pupil);
    other.pupil_form(&handle, "vardrelation", &[("reason", "Hälsobesök åk 1")]);
    other.pupil_form(
        &handle,
        "samtycke",
        &[("given_by", "pupil"), ("scope", "care_unit")],
    );
    let page = other.get(&format!("/elev/{handle}/vaccinationer"));
    assert_eq!(rows_from(&page.body, MUNICIPALITY), 0, "{}", page.body);
    assert_eq!(rows_from(&page.body, REGION), 0, "{}", page.body);
    assert!(
        page.body.contains("VP007"),
        "the platform's refusal must be shown:\n{}",
        page.body
    );
}

/// An import document with one diagnosis for `pupil` (`YYYYMMDD-NNNN`) in the school
/// health journal of the demo, written a minute ago.
fn new_diagnosis(pupil: &str) -> String {
    let id = pupil.replace('-', "");
    // Swedish local time is never behind UTC, so this is never in the future.
    let now = (chrono::Utc::now() - chrono::Duration::minutes(1))
        .format("%Y%m%d%H%M%S")
        .to_string();
    serde_json::json!({"records": [{
        "type": "diagnosis",
        "documentId": "e2e-diagnosis-1",
        "sourceSystemHsaId": "SE2120009994-EH7S",
        "patientId": id,
        "patientIdType": "1.2.752.129.2.1.3.1",
        "authorTime": now,
        "authorHsaId": "SE2120009994-P002",
        "authorName": "Lars Skolläkare",
        "careUnitHsaId": "SE2120009994-EHM1",
        "careGiverHsaId": "SE2120009994-0001",
        "approvedForPatient": true,
        "typeOfDiagnosis": "Huvuddiagnos",
        "diagnosisCode": "G47.9",
        "diagnosisDisplayName": "Sömnstörning efter helresa (testdiagnos)"
    }]})
    .to_string()
}

//! The school nurse's overview page (`/elev/{handle}/oversikt`) for a pupil whose
//! records come from three producers through the platform's aggregating services,
//! with every part a real process of the `npo` binary and real mutual TLS between them.
//!
//! Set-up: `npo demo --prepare-only` writes the demo's data dir (PKI, configurations,
//! the BVC journal of Region Test and the school-health journal of Exempel kommun,
//! seeded from one generated history). A third producer is added beside them: the
//! school-health journal of the pupil's previous municipality (Grannby kommun, its own
//! source system and care giver), seeded by `npo producer seed` with the same seed,
//! pupils and day, so the same pupils have a full history there too; the TAK and HSA
//! tree get its routes and organisation. Each producer registers its engagements in the
//! index through its outbox. The pupil is the oldest in the list with a personnummer
//! (a history from birth: at least 10 years of BVC and school records).
//!
//! The nurse logs in, opens the pupil, registers a care relation and the pupil's
//! consent (so all three care givers' records are shown), waits until records of all
//! three arrive, then requests each page again and again: the overview with its default
//! windows, the overview widened to the last ten years, and the BVC summary (from
//! birth). Each request is a logged PDL access and fetches every information type from
//! the aggregating services, which ask the engagement index and call the three
//! producers. Reported: p50/p99 per page and run, medians over runs. Target for the
//! overview: p50 < 150 ms.
//!
//! ```sh
//! cargo bench --bench overview
//! ```
//!
//! Environment (all optional): `NPO_BENCH_REQUESTS` (per run, default 60),
//! `NPO_BENCH_RUNS` (default 3), `NPO_BENCH_PUPILS` (default 12).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::http::{Browser, wait_for_port};

const THIRD_SOURCE: &str = "SE2120009995-EH1S";
const THIRD_ORG: &str = "SE2120009995-0000";
const THIRD_NAME: &str = "Grannby kommun";
const SEED: &str = "1";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
    child: Child,
    log: PathBuf,
}

impl Service {
    fn start(name: &str, dir: &Path, args: &[&str], port: u16) -> Service {
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_npo"))
            .args(args)
            .current_dir(dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let service = Service { child, log };
        assert!(
            wait_for_port(port, Duration::from_secs(30)),
            "{name} did not start:\n{}",
            std::fs::read_to_string(&service.log).unwrap_or_default()
        );
        service
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn npo(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_npo"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "npo {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn append(path: &Path, text: &str) {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// Adds the third producer to the prepared data dir: its configuration (the school
/// producer's, with its own source system, port and database), its routes in the TAK
/// and its organisation in the HSA tree.
fn add_third_producer(data: &Path, port: u16) {
    let school = std::fs::read_to_string(data.join("producer-school.toml")).unwrap();
    let school_source = npo_pki::PRODUCER_SCHOOL_HSA_ID;
    let school_listen = school
        .lines()
        .find_map(|l| l.strip_prefix("listen = "))
        .expect("listen in producer-school.toml")
        .to_owned();
    let third = school
        .replace(
            &format!("source_systems = [\"{school_source}\"]"),
            &format!("source_systems = [\"{THIRD_SOURCE}\"]"),
        )
        .replace(
            &format!("owner = \"{school_source}\""),
            &format!("owner = \"{THIRD_SOURCE}\""),
        )
        .replace(
            &format!("listen = {school_listen}"),
            &format!("listen = \"127.0.0.1:{port}\""),
        )
        .replace("producer-school.sqlite", "producer-grannby.sqlite");
    assert!(third.contains(THIRD_SOURCE) && third.contains("producer-grannby.sqlite"));
    std::fs::write(data.join("producer-grannby.toml"), third).unwrap();

    let tak = std::fs::read_to_string(data.join("tak.toml")).unwrap();
    let mut routes = format!(
        "\n[[logical_addresses]]\naddress = \"{THIRD_SOURCE}\"\ndescription = \"{THIRD_NAME}, elevhälsans journal\"\n"
    );
    // Every route of the school producer, to the third producer's port.
    let school_port = school_listen.trim_matches('"').rsplit(':').next().unwrap();
    for block in tak.split("\n[[routes]]\n").skip(1) {
        let block = block.split("\n[[").next().unwrap();
        if block.contains(&format!("logical_address = \"{school_source}\"")) {
            routes.push_str("\n[[routes]]\n");
            routes.push_str(
                &block
                    .replace(school_source, THIRD_SOURCE)
                    .replace(&format!(":{school_port}/"), &format!(":{port}/")),
            );
            routes.push('\n');
        }
    }
    assert!(routes.matches("[[routes]]").count() >= 6, "{routes}");
    // The producer's outbox sends Update under its certificate (the school journal's
    // HSA-ID, authorised already); the aggregating services need no more.
    append(&data.join("tak.toml"), &routes);
    // The school-nurse app names care givers and units from its own directory.
    append(
        &data.join("consumer.toml"),
        &format!(
            "\n[[units]]\nhsa_id = \"SE2120009995-0001\"\nname = \"{THIRD_NAME}\"\nkind = \"vardgivare\"\n\
             \n[[units]]\nhsa_id = \"SE2120009995-EHM1\"\nname = \"Elevhälsan Grannbyskolan\"\nkind = \"elevhalsa\"\n\
             \n[[units]]\nhsa_id = \"SE2120009995-BVC1\"\nname = \"BVC Grannby\"\nkind = \"bvc\"\n"
        ),
    );
    append(
        &data.join("hsa.toml"),
        &format!(
            "\n[[units]]\nhsa_id = \"{THIRD_SOURCE}\"\nparent = \"{THIRD_ORG}\"\n\n[[units]]\nhsa_id = \"{THIRD_ORG}\"\nname = \"{THIRD_NAME}\"\n"
        ),
    );
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Rows of a journal table whose care-giver cell is `name`.
fn rows_from(page: &str, name: &str) -> usize {
    page.matches(&format!("<td>{name}</td>")).count()
}

fn main() {
    let requests: usize = env_or("NPO_BENCH_REQUESTS", 60).max(1);
    let runs: usize = env_or("NPO_BENCH_RUNS", 3).max(1);
    let pupils: usize = env_or("NPO_BENCH_PUPILS", 12).max(1);

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (consumer_port, platform_port, admin_port) = (free_port(), free_port(), free_port());
    let producer_port = adjacent_free_ports();
    let third_port = free_port();
    let today = npo_producer::seed::swedish_today().to_string();
    npo(
        dir.path(),
        &[
            "demo",
            "--prepare-only",
            "--pupils",
            &pupils.to_string(),
            "--seed",
            SEED,
            "--data-dir",
            data.to_str().unwrap(),
            "--consumer-listen",
            &format!("127.0.0.1:{consumer_port}"),
            "--platform-listen",
            &format!("127.0.0.1:{platform_port}"),
            "--platform-admin-listen",
            &format!("127.0.0.1:{admin_port}"),
            "--producer-listen",
            &format!("127.0.0.1:{producer_port}"),
        ],
    );
    add_third_producer(&data, third_port);
    npo(
        &data,
        &[
            "producer",
            "seed",
            "--config",
            "producer-grannby.toml",
            "--seed",
            SEED,
            "--pupils",
            &pupils.to_string(),
            "--today",
            &today,
        ],
    );

    // The oldest pupil with a personnummer (a BVC history from birth).
    let list = std::fs::read_to_string(data.join("pupils.txt")).unwrap();
    let (pupil, born) = list
        .lines()
        .filter(|l| l.contains("(personnummer)"))
        .map(|l| {
            let mut words = l.split_whitespace();
            let id = words.next().unwrap().to_owned();
            let born = l.split("född ").nth(1).unwrap().split_whitespace().next();
            (id, born.unwrap().to_owned())
        })
        .min_by(|a, b| a.1.cmp(&b.1))
        .expect("a pupil with a personnummer");

    let _platform = Service::start(
        "platform",
        &data,
        &["platform", "serve", "--config", "platform.toml"],
        platform_port,
    );
    let _producers = [
        ("producer-bvc", producer_port),
        ("producer-school", producer_port + 1),
        ("producer-grannby", third_port),
    ]
    .map(|(name, port)| {
        Service::start(
            name,
            &data,
            &["producer", "serve", "--config", &format!("{name}.toml")],
            port,
        )
    });
    let _consumer = Service::start(
        "consumer",
        &data,
        &["consumer", "serve", "--config", "consumer.toml"],
        consumer_port,
    );

    let mut nurse = Browser::new(consumer_port);
    nurse.login("sara", "demo-losenord");
    let handle = nurse.open_pupil(&pupil);
    nurse.pupil_form(&handle, "vardrelation", &[("reason", "Hälsobesök")]);
    let consent = nurse.pupil_form(
        &handle,
        "samtycke",
        &[("given_by", "pupil"), ("scope", "care_unit")],
    );
    assert_eq!(consent.status, 303, "{}", consent.body);
    let overview = format!("/elev/{handle}/oversikt");
    let logs = || {
        [
            "platform",
            "producer-bvc",
            "producer-school",
            "producer-grannby",
            "consumer",
        ]
        .iter()
        .map(|n| {
            format!(
                "--- {n}\n{}",
                std::fs::read_to_string(data.join(format!("{n}.log"))).unwrap_or_default()
            )
        })
        .collect::<String>()
    };
    // The producers' outboxes register the engagements in the background.
    let vaccinations = nurse.wait_for(
        &format!("/elev/{handle}/vaccinationer"),
        |body| {
            rows_from(body, "Region Test") > 0
                && rows_from(body, "Exempel kommun") > 0
                && rows_from(body, THIRD_NAME) > 0
        },
        &logs(),
    );
    let complete = |body: &str| {
        !body.contains("source-failure")
            && ["Region Test", "Exempel kommun", THIRD_NAME]
                .iter()
                .all(|name| body.contains(&format!(">{name}</option>")))
    };
    let page = nurse.get(&overview).body;
    assert!(complete(&page), "{page}\n{}", logs());
    let diagnoses = nurse.get(&format!("/elev/{handle}/diagnoser")).body;
    println!(
        "pupil born {born}; overview page {} KB; vaccination rows: Region Test {}, Exempel kommun {}, \
         {THIRD_NAME} {}; diagnosis rows {}",
        page.len() / 1024,
        rows_from(&vaccinations, "Region Test"),
        rows_from(&vaccinations, "Exempel kommun"),
        rows_from(&vaccinations, THIRD_NAME),
        diagnoses.matches("<tr><td>").count(),
    );

    // The pages measured: the overview with its default windows (NPÖ's current year
    // and three years back, BVC types from birth), the overview widened to the last ten
    // years for every type, and the BVC summary (from birth).
    let ten_years_back = format!("{}{}", today[..4].parse::<i32>().unwrap() - 10, &today[4..]);
    let cases = [
        ("overview, default windows", overview.clone()),
        (
            "overview, last 10 years",
            format!("{overview}?fran={ten_years_back}&till={today}"),
        ),
        ("BVC summary (from birth)", format!("/elev/{handle}/bvc")),
    ];
    println!("| page | run | requests | KB | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut summary = Vec::new();
    for (name, path) in &cases {
        let mut p50s = Vec::new();
        let mut p99s = Vec::new();
        let mut size = 0;
        for run in 1..=runs {
            // Warm-up of this run: connections, caches of the operating system.
            for _ in 0..3 {
                nurse.get(path);
            }
            let mut millis = Vec::with_capacity(requests);
            for _ in 0..requests {
                let started = Instant::now();
                let answer = nurse.get(path);
                millis.push(started.elapsed().as_secs_f64() * 1000.0);
                assert_eq!(answer.status, 200, "{}", answer.body);
                // The BVC records of a pupil born more than ten years ago lie before
                // the widened window: there, the two school journals must be complete.
                let whole = if path.ends_with("/bvc") {
                    !answer.body.contains("source-failure")
                } else if path.contains("fran=") {
                    !answer.body.contains("source-failure")
                        && ["Exempel kommun", THIRD_NAME]
                            .iter()
                            .all(|name| answer.body.contains(&format!(">{name}</option>")))
                } else {
                    complete(&answer.body)
                };
                assert!(
                    whole,
                    "a source went missing during the run:\n{}\n{}",
                    answer.body,
                    logs()
                );
                size = answer.body.len();
            }
            millis.sort_by(f64::total_cmp);
            let (p50, p99) = (percentile(&millis, 0.50), percentile(&millis, 0.99));
            println!(
                "| {name} | {run} | {requests} | {} | {p50:.1} | {p99:.1} | {:.1} |",
                size / 1024,
                millis.last().unwrap()
            );
            p50s.push(p50);
            p99s.push(p99);
        }
        summary.push((name, median(p50s), median(p99s)));
    }
    println!("\nmedians of {runs} runs, 3 producers:");
    for (name, p50, p99) in summary {
        println!(
            "  {name}: p50 {p50:.1} ms, p99 {p99:.1} ms; target p50 < 150 ms: {}",
            if p50 < 150.0 { "met" } else { "MISSED" }
        );
    }
}

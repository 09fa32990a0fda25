//! Soak: mixed traffic through the platform at a steady rate for `NPO_SOAK_SECONDS`
//! (default 600), the platform's resident memory, threads and open file descriptors
//! sampled (it runs in a process of its own) every `NPO_SOAK_SAMPLE_SECONDS`, every
//! answer checked. Exits non-zero on any unexpected answer, on engagements lost or
//! half-written, or on a clear growth trend of memory or descriptors.
//!
//! Traffic (each kind paced by its own client thread on one keep-alive mutual-TLS
//! connection; rates in calls/s, defaults sum to 50, SKLTP's own load-test rate):
//! - routed: GetDiagnosis to one of 10 source systems, routed to its producer
//!   (`NPO_SOAK_ROUTED_RATE`, 20); expects its two diagnoses;
//! - aggregated: GetDiagnosis at the aggregation address for a patient with engagements
//!   at all 10 sources (`NPO_SOAK_AGGREGATED_RATE`, 10); expects 10 `DataFromSource`
//!   and no failed source;
//! - EI Update (`NPO_SOAK_UPDATE_RATE`, 10): 200 other patients, each with one
//!   engagement, registered and removed in turns (the table stays bounded); expects
//!   `ResultCode` OK;
//! - EI FindContent (`NPO_SOAK_FIND_RATE`, 10): alternately the aggregated patient
//!   (expects exactly its 10 engagements) and one of the 200.
//!
//! The producers answer after `NPO_SOAK_PRODUCER_DELAY_MS` (default 10). Recording is
//! on with its defaults (1000 calls / 16 MiB), so it fills in the first seconds and
//! then stays at its bound. At the end every one of the 200 patients is looked up:
//! an engagement must be there exactly when its last accepted Update registered it.
//!
//! ```sh
//! cargo bench -p npo-platform --bench soak                  # 10 minutes
//! NPO_SOAK_SECONDS=30 cargo bench -p npo-platform --bench soak
//! ```
//!
//! Other settings: `NPO_SOAK_DATABASE_URL` (the engagement index database; default a
//! fresh SQLite file; a `postgres://` URL must name an empty database or carry a
//! `search_path` of an empty schema), `NPO_SOAK_SAMPLE_SECONDS` (default 10),
//! `NPO_BENCH_PLATFORM_WORKERS` (default 2).
//!
//! Growth trend: the mean RSS of the last third of the samples against the middle third;
//! more than max(8 MiB, 10 %) is a failure (the first third is warm-up: pools, the
//! recording store, allocator arenas filling). Open descriptors: more than 20 above the
//! middle third's most is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use npo_contracts::registry::Contract;
use npo_pki::{InitOptions, Party};
use openssl::ssl::SslConnector;

/// Patients whose engagements the Update traffic registers and removes.
const POOL: usize = 200;

fn pool_patient(p: usize) -> String {
    format!("20140312{p:04}")
}

/// Engagements in a FindContent answer.
fn engagements_in(answer: &Answer) -> usize {
    answer.count("registeredResidentIdentification>") / 2
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Routed,
    Aggregated,
    Update,
    Find,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Routed, Kind::Aggregated, Kind::Update, Kind::Find];

    fn name(self) -> &'static str {
        match self {
            Kind::Routed => "routed GetDiagnosis",
            Kind::Aggregated => "aggregated GetDiagnosis (10 sources)",
            Kind::Update => "EI Update",
            Kind::Find => "EI FindContent",
        }
    }

    fn rate(self) -> f64 {
        match self {
            Kind::Routed => env_or("NPO_SOAK_ROUTED_RATE", 20.0),
            Kind::Aggregated => env_or("NPO_SOAK_AGGREGATED_RATE", 10.0),
            Kind::Update => env_or("NPO_SOAK_UPDATE_RATE", 10.0),
            Kind::Find => env_or("NPO_SOAK_FIND_RATE", 10.0),
        }
    }

    fn party(self) -> Party {
        match self {
            Kind::Update => Party::ProducerSchool,
            _ => Party::Consumer,
        }
    }
}

/// What one traffic thread saw.
#[derive(Debug, Default)]
struct Outcome {
    latencies: Vec<u32>,
    errors: u64,
    reconnects: u64,
    /// Update only: whether each pool patient's engagement should be there now.
    registered: Vec<bool>,
}

/// Whether an answer is the expected one.
type Check = Box<dyn Fn(&Answer) -> bool>;

/// The `i`-th call of `kind`: the request and how to check its answer.
fn nth_call(kind: Kind, i: usize, sources: usize) -> (Vec<u8>, Check) {
    match kind {
        Kind::Routed => (
            http_request(
                Contract::GetDiagnosis,
                &diagnosis_request(&source(i % sources)),
            ),
            Box::new(|a| a.status == 200 && a.count("diagnosisHeader>") == 4),
        ),
        Kind::Aggregated => (
            http_request(Contract::GetDiagnosis, &diagnosis_request(AGG)),
            Box::new(move |a| {
                a.status == 200
                    && a.count("DataFromSource") == sources
                    && a.count("NoDataSynchFailed") == 0
            }),
        ),
        Kind::Update => {
            let p = i % POOL;
            let delete = (i / POOL) % 2 == 1;
            let body = update_request(vec![engagement(
                &pool_patient(p),
                &source(p % sources),
                delete,
            )]);
            (
                http_request(Contract::Update, &body),
                Box::new(|a| a.status == 200 && a.count("ResultCode>OK<") == 1),
            )
        }
        Kind::Find => {
            if i.is_multiple_of(2) {
                (
                    http_request(Contract::FindContent, &find_content_request(PATIENT)),
                    Box::new(move |a| a.status == 200 && engagements_in(a) == sources),
                )
            } else {
                (
                    http_request(
                        Contract::FindContent,
                        &find_content_request(&pool_patient((i / 2) % POOL)),
                    ),
                    Box::new(|a| a.status == 200 && engagements_in(a) <= 1),
                )
            }
        }
    }
}

/// One traffic thread: `kind` at its rate until `stop`.
fn traffic(
    kind: Kind,
    connector: SslConnector,
    port: u16,
    sources: usize,
    stop: Arc<AtomicBool>,
    total_errors: Arc<AtomicU64>,
    first_errors: Arc<Mutex<Vec<String>>>,
) -> Outcome {
    let period = Duration::from_secs_f64(1.0 / kind.rate());
    let timeout = Duration::from_secs(30);
    let mut outcome = Outcome {
        registered: vec![false; POOL],
        ..Outcome::default()
    };
    let mut conn = Connection::open(&connector, port, timeout).unwrap();
    let started = Instant::now();
    let report = |what: String, outcome: &mut Outcome| {
        outcome.errors += 1;
        total_errors.fetch_add(1, Ordering::Relaxed);
        let mut first = first_errors.lock().unwrap();
        if first.len() < 20 {
            eprintln!(
                "{:>7.1} s {}: {what}",
                started.elapsed().as_secs_f64(),
                kind.name()
            );
            first.push(format!("{}: {what}", kind.name()));
        }
    };
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        // Steady pacing: call i starts at i × period (late calls start at once).
        let due = started + period * (i as u32);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let (request, check) = nth_call(kind, i, sources);
        let t = Instant::now();
        let answer = conn.call(&request);
        outcome.latencies.push(t.elapsed().as_micros() as u32);
        match answer {
            Ok(a) if check(&a) => {
                if kind == Kind::Update {
                    outcome.registered[i % POOL] = (i / POOL).is_multiple_of(2);
                }
            }
            Ok(a) => report(
                format!("unexpected answer {}: {:.400}", a.status, a.text()),
                &mut outcome,
            ),
            Err(e) => {
                report(format!("call failed: {e}"), &mut outcome);
                outcome.reconnects += 1;
                match Connection::open(&connector, port, timeout) {
                    Ok(c) => conn = c,
                    Err(e) => {
                        report(format!("reconnect failed: {e}"), &mut outcome);
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            }
        }
        i += 1;
    }
    outcome
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    at_s: f64,
    rss_kib: u64,
    threads: u64,
    fds: usize,
    cpu_s: f64,
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn main() {
    if run_role() {
        return;
    }
    if !std::env::args().any(|a| a == "--bench") {
        println!("soak bench: run with `cargo bench -p npo-platform --bench soak`");
        return;
    }
    let seconds: f64 = env_or("NPO_SOAK_SECONDS", 600.0);
    let sample_every = Duration::from_secs_f64(env_or("NPO_SOAK_SAMPLE_SECONDS", 10.0));
    let sources = 10usize;

    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    npo_pki::init(dir, &InitOptions::default()).unwrap();
    let database_url = std::env::var("NPO_SOAK_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| dir.join("ei.sqlite").to_string_lossy().into_owned());
    let backend = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("machine: {}", machine());
    println!(
        "soak: {seconds:.0} s; rates/s: {}; producer delay {} ms; engagement index on {backend}; \
         recording on (defaults)",
        Kind::ALL
            .iter()
            .map(|k| format!("{} {}", k.name(), k.rate()))
            .collect::<Vec<_>>()
            .join(", "),
        env_or("NPO_SOAK_PRODUCER_DELAY_MS", 10u64)
    );

    let producers = ChildProcess::spawn(
        "producers",
        dir,
        &[
            ("NPO_BENCH_PRODUCERS", sources.to_string()),
            (
                "NPO_BENCH_PRODUCER_DELAY_MS",
                env_or("NPO_SOAK_PRODUCER_DELAY_MS", 10u64).to_string(),
            ),
        ],
    );
    let config = write_platform_config(dir, "soak", &producers.ports, &database_url, true);
    let platform = ChildProcess::spawn("platform", dir, &[("NPO_BENCH_CONFIG", config)]);
    let (port, pid) = (platform.ports[0], platform.pid());
    eprintln!("platform pid {pid}");
    register_sources(dir, port, sources);

    let stop = Arc::new(AtomicBool::new(false));
    let total_errors = Arc::new(AtomicU64::new(0));
    let first_errors = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let workers: Vec<_> = Kind::ALL
        .iter()
        .map(|&kind| {
            let connector = connector(dir, kind.party());
            let (stop, total_errors, first_errors) =
                (stop.clone(), total_errors.clone(), first_errors.clone());
            std::thread::spawn(move || {
                traffic(
                    kind,
                    connector,
                    port,
                    sources,
                    stop,
                    total_errors,
                    first_errors,
                )
            })
        })
        .collect();

    // Sampling, in this thread.
    println!("| s | platform RSS MiB | threads | open fds | platform CPU s | errors so far |");
    println!("|---|---|---|---|---|---|");
    let mut samples: Vec<Sample> = Vec::new();
    let total = Duration::from_secs_f64(seconds);
    let mut next = sample_every.min(total);
    loop {
        let now = started.elapsed();
        if now < next {
            std::thread::sleep((next - now).min(Duration::from_millis(500)));
            continue;
        }
        let (rss_kib, _) = memory_kib(pid);
        let s = Sample {
            at_s: now.as_secs_f64(),
            rss_kib,
            threads: threads(pid),
            fds: open_fds(pid),
            cpu_s: cpu_seconds(pid),
        };
        println!(
            "| {:.0} | {:.1} | {} | {} | {:.1} | {} |",
            s.at_s,
            s.rss_kib as f64 / 1024.0,
            s.threads,
            s.fds,
            s.cpu_s,
            total_errors.load(Ordering::Relaxed)
        );
        samples.push(s);
        if now >= total {
            break;
        }
        next = (next + sample_every).min(total);
    }
    stop.store(true, Ordering::Relaxed);
    let outcomes: Vec<(Kind, Outcome)> = Kind::ALL
        .iter()
        .copied()
        .zip(workers.into_iter().map(|w| w.join().unwrap()))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();

    // Nothing lost, nothing half-written: each pool patient's engagement is there
    // exactly when the last accepted Update registered it.
    let registered = &outcomes
        .iter()
        .find(|(k, _)| *k == Kind::Update)
        .unwrap()
        .1
        .registered;
    let consumer = connector(dir, Party::Consumer);
    let mut conn = Connection::open(&consumer, port, Duration::from_secs(30)).unwrap();
    let mut mismatches = 0;
    for (p, expected) in registered.iter().enumerate() {
        let answer = conn
            .call(&http_request(
                Contract::FindContent,
                &find_content_request(&pool_patient(p)),
            ))
            .unwrap();
        let found = engagements_in(&answer);
        if answer.status != 200 || found != usize::from(*expected) {
            mismatches += 1;
            if mismatches <= 5 {
                eprintln!(
                    "pool patient {p}: expected {} engagement(s), found {found} (HTTP {})",
                    usize::from(*expected),
                    answer.status
                );
            }
        }
    }

    println!(
        "\nsoak summary ({elapsed:.0} s, load average now {}):",
        load_average()
    );
    println!("| traffic | calls | calls/s | p50 ms | p99 ms | max ms | unexpected | reconnects |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut calls = 0;
    for (kind, outcome) in &outcomes {
        let mut l = outcome.latencies.clone();
        l.sort_unstable();
        calls += l.len();
        println!(
            "| {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {} | {} |",
            kind.name(),
            l.len(),
            l.len() as f64 / elapsed,
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            percentile(&l, 1.0),
            outcome.errors,
            outcome.reconnects
        );
    }
    let errors = total_errors.load(Ordering::Relaxed);
    println!(
        "| all | {calls} | {:.1} | | | | {errors} | |",
        calls as f64 / elapsed
    );
    println!(
        "engagements checked after the run: {} pool patients, {mismatches} mismatches",
        registered.len()
    );

    let third = samples.len() / 3;
    let (middle, last) = (&samples[third..2 * third], &samples[2 * third..]);
    let start = samples.first().unwrap();
    let mid = samples[samples.len() / 2];
    let end = samples.last().unwrap();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "platform RSS: start ({:.0} s) {:.1} MiB, middle ({:.0} s) {:.1} MiB, end ({:.0} s) {:.1} MiB; \
         peak {:.1} MiB",
        start.at_s,
        mib(start.rss_kib),
        mid.at_s,
        mib(mid.rss_kib),
        end.at_s,
        mib(end.rss_kib),
        mib(samples.iter().map(|s| s.rss_kib).max().unwrap_or(0))
    );
    println!(
        "platform threads {} → {} → {}, open fds {} → {} → {}, CPU {:.1} s ({:.0} µs/call)",
        start.threads,
        mid.threads,
        end.threads,
        start.fds,
        mid.fds,
        end.fds,
        end.cpu_s,
        end.cpu_s / calls.max(1) as f64 * 1e6
    );
    let mut failed = false;
    if third > 0 {
        let middle_mean = mean(middle.iter().map(|s| mib(s.rss_kib)));
        let last_mean = mean(last.iter().map(|s| mib(s.rss_kib)));
        let growth = last_mean - middle_mean;
        let allowed = (middle_mean * 0.10).max(8.0);
        let fd_most = middle.iter().map(|s| s.fds).max().unwrap_or(0);
        let fd_end = last.iter().map(|s| s.fds).max().unwrap_or(0);
        println!(
            "trend: RSS mean last third {last_mean:.1} MiB vs middle third {middle_mean:.1} MiB \
             ({growth:+.1} MiB, allowed {allowed:.1}); fds most {fd_end} vs {fd_most}"
        );
        if growth > allowed {
            eprintln!("FAIL: resident memory keeps growing");
            failed = true;
        }
        if fd_end > fd_most + 20 {
            eprintln!("FAIL: open file descriptors keep growing");
            failed = true;
        }
    } else {
        println!("trend: too few samples for a trend (raise NPO_SOAK_SECONDS)");
    }
    if errors > 0 {
        eprintln!("FAIL: {errors} unexpected answers; first ones:");
        for e in first_errors.lock().unwrap().iter() {
            eprintln!("  {e:.300}");
        }
        failed = true;
    }
    if mismatches > 0 {
        eprintln!("FAIL: {mismatches} engagements not as the accepted Updates left them");
        failed = true;
    }
    drop(platform);
    drop(producers);
    if failed {
        std::process::exit(1);
    }
    println!("soak passed: 0 unexpected answers, no growth trend, nothing lost");
}

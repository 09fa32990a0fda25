//! Aggregation fan-out: a consumer calls GetDiagnosis at the aggregation address; the
//! platform asks its engagement index (SQLite) and calls the 10 source systems the
//! patient has engagements at, in parallel, each a mutual-TLS producer answering its
//! (static, 5 KB, two diagnoses) GetDiagnosis response after 50 ms, then merges the
//! answers and returns them with a `ProcessingStatus` header. Reports p50/p99 latency
//! per concurrency, medians over the runs; target: p50 ≤ 60 ms with 10 producers at
//! 50 ms. Also reported: a routed call to one of those producers (the floor: 50 ms plus
//! one platform hop) and the platform's CPU per call and resident memory.
//!
//! The producers (one process, one listener and port each) and the platform run in
//! processes of their own (this binary started again with `NPO_BENCH_ROLE`); the load
//! client runs here: one thread per connection, blocking OpenSSL, keep-alive, the next
//! request when the answer is read. Every answer is checked: HTTP 200 and one
//! `DataFromSource` record per source (else it counts as an error). Loopback only;
//! bounded by time and count.
//!
//! ```sh
//! cargo bench -p npo-platform --bench aggregation
//! ```
//!
//! Environment (all optional):
//! - `NPO_BENCH_CONCURRENCY`: comma-separated connection counts (default `1,8`).
//! - `NPO_BENCH_SECONDS`: measured seconds per case (default 5).
//! - `NPO_BENCH_WARMUP_SECONDS`: warm-up seconds per case (default 1).
//! - `NPO_BENCH_MAX_REQUESTS`: most measured requests per case (default 100000).
//! - `NPO_BENCH_RUNS`: runs; figures are medians over them (default 3).
//! - `NPO_BENCH_PRODUCERS`: source systems (default 10).
//! - `NPO_BENCH_PRODUCER_DELAY_MS`: each producer's answer delay (default 50).
//! - `NPO_BENCH_PLATFORM_WORKERS`, `NPO_BENCH_PRODUCER_WORKERS`: worker threads (default 2).
//! - `NPO_BENCH_CASES`: comma-separated subset of `aggregated,routed-one`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use npo_contracts::registry::Contract;
use npo_pki::{InitOptions, Party};
use openssl::ssl::SslConnector;

#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    requests: u64,
    platform_cpu_us: f64,
}

/// One case: `concurrency` connections sending `request`, each answer checked by
/// `expect` (true: as expected).
fn run_case(
    connector: &SslConnector,
    port: u16,
    concurrency: usize,
    request: Arc<Vec<u8>>,
    expect: fn(&Answer) -> bool,
) -> (Figures, u64) {
    let warmup = Duration::from_secs_f64(env_or("NPO_BENCH_WARMUP_SECONDS", 1.0));
    let window = Duration::from_secs_f64(env_or("NPO_BENCH_SECONDS", 5.0));
    let max_requests: u64 = env_or("NPO_BENCH_MAX_REQUESTS", 100_000);
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let counted = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let served = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(concurrency + 1));
    let threads: Vec<_> = (0..concurrency)
        .map(|_| {
            let mut conn = Connection::open(connector, port, Duration::from_secs(30)).unwrap();
            let (request, measuring, stop, counted, errors, served, barrier) = (
                request.clone(),
                measuring.clone(),
                stop.clone(),
                counted.clone(),
                errors.clone(),
                served.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let mut latencies: Vec<u32> = Vec::with_capacity(1 << 14);
                barrier.wait();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let answer = conn.call(&request);
                    let micros = started.elapsed().as_micros() as u32;
                    served.fetch_add(1, Ordering::Relaxed);
                    let ok = match &answer {
                        Ok(a) => expect(a),
                        Err(e) => {
                            eprintln!("call failed: {e}");
                            false
                        }
                    };
                    if !ok && let Ok(a) = &answer {
                        eprintln!("unexpected answer {}: {:.300}", a.status, a.text());
                    }
                    if measuring.load(Ordering::Relaxed) {
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        latencies.push(micros);
                        if counted.fetch_add(1, Ordering::Relaxed) + 1 >= max_requests {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    if answer.is_err() {
                        break;
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
    let figures = Figures {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
        errors: errors.load(Ordering::Relaxed),
        requests: all.len() as u64,
        platform_cpu_us: 0.0,
    };
    (figures, served.load(Ordering::Relaxed))
}

fn main() {
    if run_role() {
        return;
    }
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`) only checks
    // that the binary builds.
    if !std::env::args().any(|a| a == "--bench") {
        println!("aggregation bench: run with `cargo bench -p npo-platform --bench aggregation`");
        return;
    }
    let concurrency: Vec<usize> = std::env::var("NPO_BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,8".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let runs: usize = env_or("NPO_BENCH_RUNS", 3);
    let sources: usize = env_or("NPO_BENCH_PRODUCERS", 10);
    let delay: u64 = env_or("NPO_BENCH_PRODUCER_DELAY_MS", 50);
    let cases: Vec<String> = std::env::var("NPO_BENCH_CASES")
        .unwrap_or_else(|_| "aggregated,routed-one".into())
        .split(',')
        .map(|c| c.trim().to_owned())
        .collect();

    let pki = tempfile::tempdir().unwrap();
    let dir = pki.path();
    npo_pki::init(dir, &InitOptions::default()).unwrap();
    let consumer = connector(dir, Party::Consumer);
    println!("machine: {}", machine());
    println!(
        "{sources} producers answering after {delay} ms ({} bytes each), runs {runs}, \
         concurrency {concurrency:?}",
        diagnosis_response(&source(0)).len()
    );

    let producers = ChildProcess::spawn("producers", dir, &[]);
    assert_eq!(producers.ports.len(), sources);

    let aggregated = Arc::new(http_request(
        Contract::GetDiagnosis,
        &diagnosis_request(AGG),
    ));
    let routed_one = Arc::new(http_request(
        Contract::GetDiagnosis,
        &diagnosis_request(&source(0)),
    ));
    fn all_sources_answered(answer: &Answer) -> bool {
        let sources: usize = env_or("NPO_BENCH_PRODUCERS", 10);
        answer.status == 200
            && answer.count("DataFromSource") == sources
            && answer.count("NoDataSynchFailed") == 0
    }
    fn routed_ok(answer: &Answer) -> bool {
        answer.status == 200 && answer.count("diagnosisHeader>") == 4
    }

    let mut figures: Vec<(String, usize, Vec<Figures>)> = Vec::new();
    let mut memory: Vec<(u64, u64)> = Vec::new();
    for run in 0..runs {
        // A fresh platform and database each run.
        let db = dir.join(format!("ei-{run}.sqlite"));
        let config = write_platform_config(
            dir,
            &format!("platform-{run}"),
            &producers.ports,
            &db.to_string_lossy(),
            false,
        );
        let platform = ChildProcess::spawn("platform", dir, &[("NPO_BENCH_CONFIG", config)]);
        eprintln!("run {run}: platform pid {}", platform.pid());
        register_sources(dir, platform.ports[0], sources);
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let (pid, sampling) = (platform.pid(), sampling.clone());
            std::thread::spawn(move || {
                let mut peak = 0;
                while sampling.load(Ordering::Relaxed) {
                    peak = peak.max(memory_kib(pid).0);
                    std::thread::sleep(Duration::from_millis(50));
                }
                (peak, memory_kib(pid).1)
            })
        };
        for case in &cases {
            let (request, expect): (_, fn(&Answer) -> bool) = match case.as_str() {
                "aggregated" => (aggregated.clone(), all_sources_answered),
                "routed-one" => (routed_one.clone(), routed_ok),
                other => panic!("unknown case {other}"),
            };
            for &c in &concurrency {
                let cpu_before = cpu_seconds(platform.pid());
                let (mut f, served) =
                    run_case(&consumer, platform.ports[0], c, request.clone(), expect);
                f.platform_cpu_us =
                    (cpu_seconds(platform.pid()) - cpu_before) / served.max(1) as f64 * 1e6;
                println!(
                    "run {run} {case:<10} c={c:<2} {:>7.1} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  \
                     ({} requests, {} errors; platform CPU {:.0} µs/call; load {})",
                    f.rps,
                    f.p50_ms,
                    f.p99_ms,
                    f.requests,
                    f.errors,
                    f.platform_cpu_us,
                    load_average()
                );
                match figures.iter_mut().find(|(n, cc, _)| n == case && *cc == c) {
                    Some((_, _, all)) => all.push(f),
                    None => figures.push((case.clone(), c, vec![f])),
                }
            }
        }
        sampling.store(false, Ordering::Relaxed);
        let m = sampler.join().unwrap();
        println!(
            "run {run} platform RSS peak {:.1} MiB, VmHWM {:.1} MiB",
            m.0 as f64 / 1024.0,
            m.1 as f64 / 1024.0
        );
        memory.push(m);
    }

    println!(
        "\nmedians over {runs} runs (load average now {}):",
        load_average()
    );
    println!("| case | concurrency | calls/s | p50 ms | p99 ms | errors | platform CPU µs/call |");
    println!("|---|---|---|---|---|---|---|");
    let med = |all: &[Figures], f: fn(&Figures) -> f64| median(all.iter().map(f).collect());
    let mut failed = false;
    for (case, c, all) in &figures {
        let errors: u64 = all.iter().map(|f| f.errors).sum();
        failed |= errors > 0;
        println!(
            "| {case} | {c} | {:.1} | {:.2} | {:.2} | {errors} | {:.0} |",
            med(all, |f| f.rps),
            med(all, |f| f.p50_ms),
            med(all, |f| f.p99_ms),
            med(all, |f| f.platform_cpu_us),
        );
    }
    println!(
        "platform RSS peak {:.1} MiB, VmHWM {:.1} MiB (medians)",
        median(memory.iter().map(|m| m.0 as f64 / 1024.0).collect()),
        median(memory.iter().map(|m| m.1 as f64 / 1024.0).collect())
    );
    if let Some((_, _, all)) = figures
        .iter()
        .find(|(n, c, _)| n == "aggregated" && *c == 1)
    {
        let p50 = med(all, |f| f.p50_ms);
        println!(
            "target: aggregated p50 ≤ 60 ms at c=1 with {sources} producers at {delay} ms: \
             {p50:.2} ms, {}",
            if p50 <= 60.0 { "met" } else { "MISSED" }
        );
    }
    if failed {
        eprintln!("unexpected answers: see above");
        std::process::exit(1);
    }
}

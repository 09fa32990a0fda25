//! Engagement index: FindContent latency as the index grows, on PostgreSQL.
//!
//! The index is loaded step by step (default 10k, 30k, 100k, 300k, 1M engagements; 10
//! per resident: six categorizations over four service domains from two producers) and
//! at each size FindContent is asked for random residents:
//!
//! - **call**: [`EngagementIndex::handle`], what the platform does for a FindContent that
//!   reached it (decode and validate the SOAP request, query, encode the response);
//! - **query**: the store's query alone (`store::find_content` on a pooled connection).
//!
//! Each size is measured in several runs (default 3) of a fixed number of calls at
//! concurrency 1 and at concurrency 8 (calls in flight at once on the index's pool);
//! the figures are medians over the runs. Rows are loaded in multi-row INSERTs with
//! ids computed as the index computes them, then `ANALYZE`d, so the planner sees what a
//! long-running index would have.
//!
//! ```sh
//! NPO_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo bench -p npo-platform --bench engagement_index
//! ```
//!
//! Environment (all optional):
//! - `NPO_BENCH_DATABASE_URL` (else `NPO_TEST_DATABASE_URL`, else
//!   `postgres://postgres@127.0.0.1:5432/test`): the server; the bench works in a schema
//!   of its own and drops it at the end.
//! - `NPO_BENCH_EI_SIZES`: comma-separated sizes (default `10000,30000,100000,300000,1000000`).
//! - `NPO_BENCH_EI_CALLS`: calls per run and concurrency (default 5000).
//! - `NPO_BENCH_RUNS`: runs per size (default 3).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark reports on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use npo_contracts::engagement_index::{
    EngagementType, FindContent, RegisteredResidentIdentification, Ts, categorization,
    service_domain,
};
use npo_contracts::registry::Contract;
use npo_contracts::soap::{decode_response, encode_request};
use npo_platform::db::DbManager;
use npo_platform::engagement_index::store::{self, EngagementRow, engagements};
use npo_platform::engagement_index::{EngagementIndex, EngagementIndexConfig};

const ENGAGEMENTS_PER_RESIDENT: usize = 10;
const PRODUCERS: [&str; 2] = ["SE2321009991-BV3C", "SE2120009994-EH7S"];
const CALLER: &str = "SE2120009994-AGG1";
/// (service domain, categorization) of the engagements each resident has, per producer
/// as far as `ENGAGEMENTS_PER_RESIDENT` reaches.
const KINDS: [(&str, &str); 6] = [
    (
        service_domain::HEALTHCOND_DESCRIPTION,
        categorization::DIAGNOSIS,
    ),
    (
        service_domain::HEALTHCOND_DESCRIPTION,
        categorization::CARE_DOCUMENTATION,
    ),
    (service_domain::LOGISTICS, categorization::CARE_CONTACTS),
    (
        service_domain::ACTIVITYPRESCRIPTION_ACTOUTCOME,
        categorization::VACCINATION_HISTORY,
    ),
    (
        service_domain::ACTIVITYPRESCRIPTION_ACTOUTCOME,
        categorization::MEDICATION_HISTORY,
    ),
    (
        service_domain::HEALTHCOND_BASIC,
        categorization::OBSERVATIONS,
    ),
];
/// Rows per INSERT: 13 columns each, within PostgreSQL's 65,535 bind parameters.
const INSERT_BATCH: usize = 2000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The resident with number `n` (12 digits; the index checks the pattern only).
fn resident(n: usize) -> String {
    format!("{:012}", 190_001_010_000_u64 + n as u64)
}

/// Engagement `k` (0..ENGAGEMENTS_PER_RESIDENT) of resident `n`.
fn engagement(n: usize, k: usize) -> EngagementType {
    let (domain, category) = KINDS[k % KINDS.len()];
    let producer = PRODUCERS[(k / KINDS.len() + n) % PRODUCERS.len()];
    EngagementType {
        registered_resident_identification: RegisteredResidentIdentification::parse(&resident(n))
            .unwrap(),
        service_domain: domain.to_owned(),
        categorization: category.to_owned(),
        logical_address: producer.to_owned(),
        business_object_instance_identifier: "NA".to_owned(),
        clinical_process_interest_id: "NA".to_owned(),
        most_recent_content: Ts::parse(&format!("2026{:02}15120000", 1 + (n + k) % 12)),
        source_system: producer.to_owned(),
        creation_time: None,
        update_time: None,
        data_controller: producer.to_owned(),
        owner: None,
    }
}

/// Adds residents `from..to` (their engagements) in transactions of `INSERT_BATCH` rows.
fn load(conn: &mut npo_platform::db::DbConn, owner: &str, from: usize, to: usize) {
    // Multi-row INSERT is a PostgreSQL statement (diesel's backend-neutral connection
    // cannot express it for SQLite): use the connection as what it is.
    let npo_platform::db::DbConn::Pg(conn) = conn else {
        panic!("the engagement index bench runs on PostgreSQL");
    };
    let now = Ts::parse("20261201120000").unwrap();
    let mut batch = Vec::with_capacity(INSERT_BATCH);
    for n in from..to {
        for k in 0..ENGAGEMENTS_PER_RESIDENT {
            batch.push(EngagementRow::new(&engagement(n, k), owner, &now));
        }
        if batch.len() >= INSERT_BATCH || n + 1 == to {
            diesel::insert_into(engagements::table)
                .values(&batch)
                .execute(conn)
                .expect("insert engagements");
            batch.clear();
        }
    }
}

fn query(n: usize, domain: &str) -> FindContent {
    FindContent {
        registered_resident_identification: RegisteredResidentIdentification::parse(&resident(n))
            .unwrap(),
        service_domain: domain.to_owned(),
        categorization: None,
        logical_address: None,
        business_object_instance_identifier: None,
        clinical_process_interest_id: None,
        most_recent_content: None,
        source_system: None,
        data_controller: None,
        owner: None,
    }
}

/// xorshift64*: deterministic residents to ask for.
struct Picks(u64);

impl Picks {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % below as u64) as usize
    }
}

#[derive(Debug, Clone, Copy)]
struct Figures {
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    per_second: f64,
}

fn figures(mut micros: Vec<u64>, wall: Duration) -> Figures {
    micros.sort_unstable();
    let at = |p: f64| {
        let i = ((micros.len() as f64 - 1.0) * p).round() as usize;
        micros[i] as f64 / 1000.0
    };
    Figures {
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: *micros.last().unwrap() as f64 / 1000.0,
        per_second: micros.len() as f64 / wall.as_secs_f64(),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn medians(runs: &[Figures]) -> Figures {
    Figures {
        p50_ms: median(runs.iter().map(|f| f.p50_ms).collect()),
        p99_ms: median(runs.iter().map(|f| f.p99_ms).collect()),
        max_ms: median(runs.iter().map(|f| f.max_ms).collect()),
        per_second: median(runs.iter().map(|f| f.per_second).collect()),
    }
}

/// `calls` FindContent calls through [`EngagementIndex::handle`], `concurrency` at once.
async fn measure_calls(
    ei: &EngagementIndex,
    logical_address: &str,
    residents: usize,
    calls: usize,
    concurrency: usize,
    seed: u64,
) -> Figures {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let ei = ei.clone();
        let logical_address = logical_address.to_owned();
        let share = calls / concurrency;
        tasks.push(actix_web::rt::spawn(async move {
            let mut picks = Picks(seed ^ (worker as u64 + 1).wrapping_mul(0x9e37_79b9));
            let mut micros = Vec::with_capacity(share);
            for i in 0..share {
                let domain = KINDS[i % KINDS.len()].0;
                let xml = encode_request(&logical_address, &query(picks.next(residents), domain));
                let t = Instant::now();
                let answer = ei
                    .handle(Contract::FindContent, CALLER, xml.as_bytes())
                    .await
                    .expect("FindContent answered");
                micros.push(t.elapsed().as_micros() as u64);
                let found = decode_response::<FindContent>(answer.as_bytes())
                    .expect("a FindContent response")
                    .body
                    .engagement;
                assert!(!found.is_empty(), "no engagement found");
            }
            micros
        }));
    }
    let mut all = Vec::with_capacity(calls);
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    figures(all, started.elapsed())
}

/// The store's query alone, one at a time on one connection.
fn measure_query(ei: &EngagementIndex, residents: usize, calls: usize, seed: u64) -> Figures {
    let mut conn = ei.store().pool().get().unwrap();
    let mut picks = Picks(seed);
    let started = Instant::now();
    let mut micros = Vec::with_capacity(calls);
    for i in 0..calls {
        let q = query(picks.next(residents), KINDS[i % KINDS.len()].0);
        let t = Instant::now();
        let rows = store::find_content(&mut conn, &q).unwrap();
        micros.push(t.elapsed().as_micros() as u64);
        assert!(!rows.is_empty());
    }
    figures(micros, started.elapsed())
}

fn main() {
    let base = std::env::var("NPO_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("NPO_TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let sizes: Vec<usize> = std::env::var("NPO_BENCH_EI_SIZES")
        .unwrap_or_else(|_| "10000,30000,100000,300000,1000000".to_owned())
        .split(',')
        .map(|s| s.trim().parse().expect("NPO_BENCH_EI_SIZES: numbers"))
        .collect();
    let calls: usize = env_or("NPO_BENCH_EI_CALLS", 5000);
    let runs: usize = env_or("NPO_BENCH_RUNS", 3).max(1);

    let schema = format!("bench_ei_{}", std::process::id());
    let mut admin = DbManager::new(&base).open().expect("connect to PostgreSQL");
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-csearch_path%3D{schema}");

    let result = std::panic::catch_unwind(|| run(&url, &sizes, calls, runs));
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn run(url: &str, sizes: &[usize], calls: usize, runs: usize) {
    let config = EngagementIndexConfig {
        database_url: url.to_owned(),
        pool_size: 8,
        ..EngagementIndexConfig::default()
    };
    let logical_address = config.logical_address.clone();
    let ei = EngagementIndex::open(config, None).expect("open the engagement index");
    println!(
        "engagement index on PostgreSQL; {calls} calls per run and concurrency, {runs} runs, medians"
    );
    println!(
        "| engagements | load s | query p50 ms | query p99 ms | call c=1 p50 ms | call c=1 p99 ms | call c=1 max ms | call c=1 /s | call c=8 p50 ms | call c=8 p99 ms | call c=8 /s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let system = actix_web::rt::System::new();
    let mut loaded_residents = 0;
    for &size in sizes {
        let residents = size / ENGAGEMENTS_PER_RESIDENT;
        let load_started = Instant::now();
        {
            let mut conn = ei.store().pool().get().unwrap();
            load(&mut conn, &logical_address, loaded_residents, residents);
            conn.batch_execute("ANALYZE engagements").unwrap();
        }
        let load_seconds = load_started.elapsed().as_secs_f64();
        loaded_residents = residents;
        let stored = ei.store().read(store::count).unwrap();
        assert_eq!(stored as usize, residents * ENGAGEMENTS_PER_RESIDENT);

        // Warm-up: the index's pages and the pool's connections.
        measure_query(&ei, residents, calls.min(1000), 7);
        let mut query_runs = Vec::new();
        let mut one_runs = Vec::new();
        let mut eight_runs = Vec::new();
        for run in 0..runs {
            let seed = 0x5eed_0000 + run as u64;
            query_runs.push(measure_query(&ei, residents, calls, seed));
            one_runs.push(system.block_on(measure_calls(
                &ei,
                &logical_address,
                residents,
                calls,
                1,
                seed,
            )));
            eight_runs.push(system.block_on(measure_calls(
                &ei,
                &logical_address,
                residents,
                calls,
                8,
                seed,
            )));
        }
        let (q, one, eight) = (
            medians(&query_runs),
            medians(&one_runs),
            medians(&eight_runs),
        );
        println!(
            "| {stored} | {load_seconds:.1} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} | {:.0} | {:.3} | {:.3} | {:.0} |",
            q.p50_ms,
            q.p99_ms,
            one.p50_ms,
            one.p99_ms,
            one.max_ms,
            one.per_second,
            eight.p50_ms,
            eight.p99_ms,
            eight.per_second,
        );
    }
    let mut conn = ei.store().pool().get().unwrap();
    let plan: Vec<String> = diesel::sql_query(format!(
        "EXPLAIN SELECT * FROM engagements WHERE registered_resident_identification = '{}' \
         AND service_domain = '{}' ORDER BY creation_time, id",
        resident(1),
        service_domain::HEALTHCOND_DESCRIPTION
    ))
    .load::<PlanLine>(&mut conn)
    .unwrap()
    .into_iter()
    .map(|line| line.plan)
    .collect();
    println!(
        "\nplan of the query at the largest size:\n{}",
        plan.join("\n")
    );
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    plan: String,
}

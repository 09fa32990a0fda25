//! Every case of every contract passes against our real producer (SQLite, and
//! PostgreSQL when NPO_TEST_DATABASE_URL is set), loaded with the example import
//! document and checked with the example test-data file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_conformance::{Status, run};
use support::*;

/// Cases per contract with the example data: every case that applies.
const EXPECTED: &[(&str, usize)] = &[
    ("GetDiagnosis", 9),
    ("GetCareContacts", 10),
    ("GetMedicationHistory", 11),
    ("GetVaccinationHistory", 9),
    ("GetCareDocumentation", 7),
    ("GetObservations", 3),
];

async fn every_case_passes(backend: Backend) {
    let Some(producer) = TestProducer::start(backend) else {
        return;
    };
    let report = run(&producer.target(), &example_data(), &[]).await.unwrap();
    eprintln!("{}", report.to_human());
    assert!(report.ok, "{}", report.to_human());
    assert_eq!(
        (report.failed, report.skipped),
        (0, 0),
        "{}",
        report.to_human()
    );
    let ran: Vec<(&str, usize)> = report
        .contracts
        .iter()
        .map(|c| (c.contract, c.cases.len()))
        .collect();
    assert_eq!(ran, EXPECTED);
    assert_eq!(
        report.passed,
        EXPECTED.iter().map(|(_, n)| n).sum::<usize>()
    );

    // Our producer answers invalid requests with result ERROR + INVALID_REQUEST (TKB),
    // and the report says so.
    let mismatch = report
        .case("GetDiagnosis", "SourceSystemHSAIdAndLogicalAddress")
        .unwrap();
    assert_eq!(mismatch.status, Status::Pass);
    assert_eq!(mismatch.notes, ["result ERROR/INVALID_REQUEST (TKB)"]);
    let observations = report
        .contracts
        .iter()
        .find(|c| c.contract == "GetObservations")
        .unwrap();
    assert!(observations.project_cases);

    // The JSON for CI carries the same verdict.
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["failed"], 0);
    assert_eq!(json["contracts"][0]["cases"][0]["case"], "Basic");
    assert_eq!(json["contracts"][0]["cases"][0]["status"], "pass");
    producer.stop().await;
}

#[actix_rt::test]
async fn every_case_passes_against_our_producer_on_sqlite() {
    every_case_passes(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn every_case_passes_against_our_producer_on_postgres() {
    every_case_passes(Backend::Postgres).await;
}

/// Only the contracts asked for run.
#[actix_rt::test]
async fn contract_selection_runs_only_that_contract() {
    let producer = TestProducer::start(Backend::Sqlite).unwrap();
    let only = npo_conformance::contract_by_name("getcarecontacts3").unwrap();
    let report = run(&producer.target(), &example_data(), &[only])
        .await
        .unwrap();
    assert!(report.ok, "{}", report.to_human());
    assert_eq!(report.contracts.len(), 1);
    assert_eq!(report.contracts[0].contract, "GetCareContacts");
    assert_eq!(
        report.contracts[0].endpoint,
        format!("{}/GetCareContacts/3/rivtabp21", producer.url())
    );
    producer.stop().await;
}

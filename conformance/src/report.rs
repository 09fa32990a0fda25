//! The report: per contract and case pass/fail/skip with the reasons; human text or JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::cases::{Case, Verdict};

/// The outcome of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every check held.
    Pass,
    /// At least one check failed.
    Fail,
    /// Not run (no test data).
    Skip,
}

/// One case.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    /// The case's name in the official suites.
    pub case: &'static str,
    /// Its key in the test-data file.
    pub key: &'static str,
    /// pass, fail or skip.
    pub status: Status,
    /// Why it failed (or was skipped).
    pub reasons: Vec<String>,
    /// Notes on a pass (e.g. which invalid-request answer the producer chose).
    pub notes: Vec<String>,
}

impl CaseReport {
    /// A case that was not run.
    pub fn skipped(case: Case, reason: String) -> Self {
        CaseReport {
            case: case.name(),
            key: case.key(),
            status: Status::Skip,
            reasons: vec![reason],
            notes: Vec::new(),
        }
    }

    /// A case that was run.
    pub fn from_verdict(case: Case, verdict: Verdict) -> Self {
        CaseReport {
            case: case.name(),
            key: case.key(),
            status: if verdict.reasons.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            },
            reasons: verdict.reasons,
            notes: verdict.notes,
        }
    }
}

/// One contract.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractReport {
    /// Contract name.
    pub contract: &'static str,
    /// Major version.
    pub major: u32,
    /// The URL called.
    pub endpoint: String,
    /// No official suite: the project's own analogous cases.
    pub project_cases: bool,
    /// The cases.
    pub cases: Vec<CaseReport>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The base URL tested.
    pub url: String,
    /// The logical address used.
    pub logical_address: String,
    /// Whether no case failed.
    pub ok: bool,
    /// Cases passed.
    pub passed: usize,
    /// Cases failed.
    pub failed: usize,
    /// Cases skipped.
    pub skipped: usize,
    /// Per contract.
    pub contracts: Vec<ContractReport>,
}

impl Report {
    /// A report with its counts.
    pub fn new(url: String, logical_address: String, contracts: Vec<ContractReport>) -> Self {
        let count = |status: Status| {
            contracts
                .iter()
                .flat_map(|c| &c.cases)
                .filter(|c| c.status == status)
                .count()
        };
        let (passed, failed, skipped) = (
            count(Status::Pass),
            count(Status::Fail),
            count(Status::Skip),
        );
        Report {
            url,
            logical_address,
            ok: failed == 0,
            passed,
            failed,
            skipped,
            contracts,
        }
    }

    /// The case `case` of `contract`, if it ran or was skipped.
    pub fn case(&self, contract: &str, case: &str) -> Option<&CaseReport> {
        self.contracts
            .iter()
            .find(|c| c.contract == contract)
            .and_then(|c| c.cases.iter().find(|k| k.case == case))
    }

    /// JSON for CI.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            format!("{{\"ok\":false,\"error\":\"cannot write the report: {e}\"}}")
        })
    }

    /// Text for people.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Conformance of {} (LogicalAddress {})",
            self.url, self.logical_address
        );
        for contract in &self.contracts {
            let _ = writeln!(
                out,
                "\n{} {}{}",
                contract.contract,
                contract.major,
                if contract.project_cases {
                    " (project cases: no official test suite)"
                } else {
                    ""
                }
            );
            for case in &contract.cases {
                let tag = match case.status {
                    Status::Pass => "PASS",
                    Status::Fail => "FAIL",
                    Status::Skip => "SKIP",
                };
                let _ = writeln!(out, "  {tag}  {}", case.case);
                for reason in &case.reasons {
                    let _ = writeln!(out, "        - {reason}");
                }
                for note in &case.notes {
                    let _ = writeln!(out, "        note: {note}");
                }
            }
        }
        let _ = writeln!(
            out,
            "\n{}: {} passed, {} failed, {} skipped",
            if self.ok { "OK" } else { "FAILED" },
            self.passed,
            self.failed,
            self.skipped
        );
        out
    }
}

//! Runs the cases of the selected contracts against a producer and collects the report.

use std::collections::HashSet;

use npo_contracts::registry::Contract;

use crate::cases::{Case, Verdict};
use crate::client::{Client, SetupError, Target};
use crate::contracts;
use crate::data::TestData;
use crate::model::Answer;
use crate::report::{CaseReport, ContractReport, Report};

/// Why a run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// URL or TLS settings.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// A contract was asked for that the data file has no section for.
    #[error("the test-data file has no [{0}] section")]
    NoData(&'static str),
    /// Nothing to run.
    #[error("the test-data file has no contract sections ([GetDiagnosis], ...)")]
    NothingToRun,
    /// Not one of the six clinical contracts.
    #[error("{0} is not a contract the runner tests")]
    NotClinical(&'static str),
}

/// Runs every case of `contracts` (every contract of the file when empty).
pub async fn run(
    target: &Target,
    data: &TestData,
    contracts: &[Contract],
) -> Result<Report, RunError> {
    let selected: Vec<Contract> = if contracts.is_empty() {
        data.contract_sections()
            .into_iter()
            .map(|(c, _)| c)
            .collect()
    } else {
        contracts.to_vec()
    };
    if selected.is_empty() {
        return Err(RunError::NothingToRun);
    }
    for contract in &selected {
        if !Contract::CLINICAL.contains(contract) {
            return Err(RunError::NotClinical(contract.name()));
        }
        if data.contract(*contract).is_none() {
            return Err(RunError::NoData(contract.name()));
        }
    }
    let client = Client::new(target)?;
    let mut log_ids = HashSet::new();
    let mut reports = Vec::new();
    for contract in selected {
        let mut cases = Vec::new();
        for case in Case::ALL.into_iter().filter(|c| c.applies_to(contract)) {
            cases.push(run_case(&client, data, contract, case, &mut log_ids).await);
        }
        reports.push(ContractReport {
            contract: contract.name(),
            major: contract.major(),
            endpoint: client.endpoint(contract),
            project_cases: contract == Contract::GetObservations,
            cases,
        });
    }
    Ok(Report::new(
        target.url.clone(),
        data.logical_address.clone(),
        reports,
    ))
}

/// [`run`] on a fresh actix system (for callers without a runtime, e.g. the CLI).
pub fn run_blocking(
    target: &Target,
    data: &TestData,
    contracts: &[Contract],
) -> Result<Report, RunError> {
    actix_rt::System::new().block_on(run(target, data, contracts))
}

async fn run_case(
    client: &Client,
    data: &TestData,
    contract: Contract,
    case: Case,
    log_ids: &mut HashSet<String>,
) -> CaseReport {
    let Some(case_data) = data.contract(contract).and_then(|d| d.case(case)) else {
        return CaseReport::skipped(
            case,
            format!("no test data ([{}.{}])", contract.name(), case.key()),
        );
    };
    let query = case.query(
        case_data,
        data.patient_id_type(case_data),
        &data.logical_address,
    );
    let Some(envelope) = contracts::request(contract, &query) else {
        return CaseReport::from_verdict(case, failed("cannot build the request".into()));
    };
    let verdict = match client
        .call(contract, envelope, data.http_header(case_data))
        .await
    {
        Err(reason) => failed(reason),
        Ok((status, body)) => match contracts::answer(contract, &body, data.validate_npo) {
            Err(e) => failed(format!("response not valid (HTTP {status}): {e}")),
            Ok(answer) => {
                let mut verdict = case.judge(contract, case_data, &query, &answer, log_ids);
                match (&answer, status) {
                    (Answer::Response { .. }, 200) | (Answer::Fault(_), 500) => {}
                    (Answer::Response { .. }, other) => verdict.fail(format!(
                        "HTTP status {other} with a response message (200 expected)"
                    )),
                    (Answer::Fault(_), other) => verdict.fail(format!(
                        "HTTP status {other} with a SOAP Fault (SOAP 1.1 requires 500)"
                    )),
                }
                verdict
            }
        },
    };
    CaseReport::from_verdict(case, verdict)
}

fn failed(reason: String) -> Verdict {
    let mut verdict = Verdict::default();
    verdict.fail(reason);
    verdict
}

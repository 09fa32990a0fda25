//! Every request the runner sends (each case of the example data, per contract) is valid
//! against the official XSD, checked with the reference validator when
//! RIVTA_REFERENCE_DIR is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::Command;

use npo_conformance::Case;
use npo_conformance::contracts::request;

#[test]
fn every_request_is_valid_against_the_official_schemas() {
    let Some(reference) = std::env::var_os("RIVTA_REFERENCE_DIR").filter(|d| !d.is_empty()) else {
        eprintln!("SKIPPED official validation of the requests: RIVTA_REFERENCE_DIR is not set");
        return;
    };
    let reference = PathBuf::from(reference);
    let data = support::example_data();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (contract, sections) in data.contract_sections() {
        for case in Case::ALL {
            let Some(case_data) = sections.case(case) else {
                continue;
            };
            let query = case.query(
                case_data,
                data.patient_id_type(case_data),
                &data.logical_address,
            );
            let file = dir
                .path()
                .join(format!("{}-{}.xml", contract.name(), case.key()));
            std::fs::write(&file, request(contract, &query).unwrap()).unwrap();
            files.push(file);
        }
    }
    assert_eq!(files.len(), 49);
    let output = Command::new("node")
        .arg(reference.join("../tools/rivta-validate/validate.js"))
        .arg("--no-schematron")
        .args(&files)
        .env("RIVTA_REFERENCE_DIR", &reference)
        .output()
        .expect("node");
    assert!(
        output.status.success(),
        "validate.js rejected a request:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

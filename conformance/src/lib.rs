//! Conformance runner for RIV-TA producers: the official producer test cases (the
//! suites' Basic, DateBoundaries, filter, HTTP-header, non-existent and invalid-request
//! cases) run natively against any producer URL over mutual TLS, with a test-data file
//! in the spirit of the suites' `data.xml`. Every answer is decoded strictly with
//! npo-contracts' typed decoder (what the XSD checks) and checked against the suites'
//! field rules (nullified records never sent, fields forbidden by the TKB absent, a
//! fresh logId, the CVType rule...). See `conformance/README.md`.
//!
//! ```no_run
//! use std::time::Duration;
//! use npo_conformance::{Target, TestData, run_blocking};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = TestData::load("conformance/examples/npo-producer.toml".as_ref())?;
//! let target = Target {
//!     url: "https://127.0.0.1:9441".into(),
//!     cert: "pki/tester.cert.pem".into(),
//!     key: "pki/tester.key.pem".into(),
//!     ca: "pki/ca.cert.pem".into(),
//!     timeout: Duration::from_secs(20),
//! };
//! let report = run_blocking(&target, &data, &[])?;
//! print!("{}", report.to_human());
//! # Ok(())
//! # }
//! ```

pub mod cases;
pub mod client;
pub mod contracts;
pub mod data;
pub mod model;
pub mod report;
pub mod runner;

pub use cases::Case;
pub use client::{SetupError, Target};
pub use data::{DataError, TestData};
pub use report::{Report, Status};
pub use runner::{RunError, run, run_blocking};

/// The contract named `name` (case-insensitive; `GetDiagnosis`, `GetDiagnosis2` or
/// `GetDiagnosis:2`), among the six the runner tests.
pub fn contract_by_name(name: &str) -> Option<npo_contracts::registry::Contract> {
    let wanted: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    npo_contracts::registry::Contract::CLINICAL
        .into_iter()
        .find(|c| {
            let bare = c.name().to_ascii_lowercase();
            wanted == bare || wanted == format!("{bare}{}", c.major())
        })
}

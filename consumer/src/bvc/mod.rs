//! BVC-sammanfattning: the child-health (BVC) record summarised for school health care.
//!
//! No national contract carries a BVC summary; it is composed from GetVaccinationHistory 2
//! (vaccinations), GetObservations 1 (growth), GetCareDocumentation 3 (notes) and
//! GetCareContacts 3 (visits), measured against programme data in configuration
//! ([`BvcProgramme`]).

pub mod chart;
pub mod growth;
pub mod notes;
pub mod programme;
pub mod source;
pub mod summary;
#[cfg(test)]
mod testdata;
pub mod timing;
pub mod vaccinations;
pub mod visits;

pub use programme::{BvcProgramme, BvcProgrammeConfig, ProgrammeError, ProgrammeProblem};
pub use summary::{BvcInputs, BvcSummary, SummaryError, summarise};

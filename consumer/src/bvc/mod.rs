//! BVC-sammanfattning: the child-health (BVC) record summarised for school health care.
//!
//! No national contract carries a BVC summary; it is composed from the records of four
//! contracts, measured against programme data in configuration ([`BvcProgramme`],
//! seeded from `config/bvc-programme.toml`):
//!
//! - vaccinations (GetVaccinationHistory 2) against the national vaccination programme:
//!   per series and dose given, given late, due, missing or not yet due; doses beyond the
//!   programme, duplicates and unknown vaccines listed ([`vaccinations`]);
//! - health visits (GetCareContacts 3, visit notes of GetCareDocumentation 3) against the
//!   child-health basprogram's age windows ([`visits`]);
//! - growth (GetObservations 1): length, weight and head circumference by age, units
//!   converted, implausible values rejected with a reason ([`growth`]), drawn as an SVG
//!   chart ([`chart`]);
//! - the notes from child-health units, newest first ([`notes`]).
//!
//! Everything here is pure: no I/O, no clock. The caller fetches the records (after the
//! PDL gates and blocks), passes the pupil's [`PatientId`] (the birth date comes from
//! it, samordningsnummer included) and today's Swedish date.
//!
//! ```no_run
//! use npo_consumer::bvc::{BvcInputs, BvcProgramme, summarise};
//! # fn page(
//! #     vaccinations: npo_contracts::get_vaccination_history::GetVaccinationHistoryResponse,
//! #     observations: npo_contracts::get_observations::GetObservationsResponse,
//! #     notes: npo_contracts::get_care_documentation::GetCareDocumentationResponse,
//! #     contacts: npo_contracts::get_care_contacts::GetCareContactsResponse,
//! #     pupil: npo_contracts::types::PatientId,
//! #     today: chrono::NaiveDate,
//! # ) -> Result<String, Box<dyn std::error::Error>> {
//! // At start, once: the embedded programme or the configured file.
//! let programme = BvcProgramme::load(None)?;
//! // Per page view:
//! let inputs = BvcInputs {
//!     vaccinations: &vaccinations.vaccination_medical_record,
//!     observations: &observations.observation_group,
//!     notes: &notes.care_documentation,
//!     care_contacts: &contacts.care_contact,
//! };
//! let summary = summarise(&inputs, &programme, &pupil, today)?;
//! let fragment: String = summary.render()?; // a <section>, escaped by askama
//! # Ok(fragment)
//! # }
//! ```
//!
//! The fragment goes into a page template as `{{ bvc_fragment|safe }}` (it is the output
//! of an auto-escaping template), with `static/bvc.css` linked from the page.

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

pub use programme::{BvcProgramme, ProgrammeError, ProgrammeProblem};
pub use summary::{BvcInputs, BvcSummary, SummaryError, summarise};

#[cfg(doc)]
use npo_contracts::types::PatientId;

//! The school-nurse web app: pupil search, the patient-data-law (PDL) gates, the access
//! log, and the overview of diagnoses, care contacts, medication and the BVC summary,
//! fetched from the platform's aggregating services.
//!
//! Built on [`npo_contracts`]. The service itself is tracked in the consumer issue; this
//! crate is its home in the workspace.

pub mod bvc;

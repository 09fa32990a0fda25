//! The producer adapter: exposes a school-health or child-health (BVC) journal as the
//! RIV-TA service contracts GetDiagnosis 2, GetCareContacts 3, GetMedicationHistory 2,
//! GetCareDocumentation 3, GetVaccinationHistory 2 and GetObservations 1, and registers
//! engagements in the engagement index.
//!
//! The endpoints talk to a journal only through [`source::JournalSource`]; the default
//! implementation is the diesel store ([`store::DieselJournal`]) over SQLite or
//! PostgreSQL.

pub mod admin;
pub mod config;
pub mod db;
pub mod endpoints;
pub mod import;
pub mod outbox;
pub mod records;
pub mod seed;
pub mod source;
pub mod startup;
pub mod store;

//! The producer adapter: exposes a school-health or child-health (BVC) journal as the
//! RIV-TA service contracts GetDiagnosis 2, GetCareContacts 3, GetMedicationHistory 2,
//! GetCareDocumentation 3, GetVaccinationHistory 2 and GetObservations 1, and registers
//! engagements in the engagement index.
//!
//! Built on [`npo_contracts`]. The service itself (journal store, endpoints, ingest) is
//! tracked in the producer issue; this crate is its home in the workspace.

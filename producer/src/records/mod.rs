//! The journal records the diesel store keeps and the vendor import format carries:
//! one flat record type per information type, each with the common header
//! ([`record!`](crate::record)) and its body fields. The same structs are database rows,
//! JSON import records (camelCase, unknown fields refused) and JSON Schema sources.

pub mod header;

pub use header::{FieldProblem, HeaderRef, JournalRecord};
pub mod care_contact;
pub mod care_documentation;
pub mod diagnosis;
pub mod medication;
pub mod observation;
pub mod vaccination;

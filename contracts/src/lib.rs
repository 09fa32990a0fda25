//! RIV-TA service contracts for the NPÖ-style school-health system: SOAP 1.1 envelopes
//! (RIV-TA Basic Profile 2.1), the typed requests and responses of every contract the
//! project serves, the identifiers and value types they carry, and a streaming fast
//! path for routing. This crate does no I/O.
//!
//! Every message type models every element of the official schema, in schema order;
//! reading checks namespaces, order and cardinality like an XSD validator would, and
//! never panics on input from the other side.

pub mod fastpath;
pub mod headers;
pub mod registry;
pub mod schemas;
pub mod soap;
pub mod types;
pub mod xml;

pub mod actoutcome;
pub mod engagement_index;
pub mod get_care_contacts;
pub mod get_care_documentation;
pub mod get_diagnosis;
pub mod get_medication_history;
pub mod get_observations;
pub mod get_vaccination_history;
pub mod healthcond_basic;
pub mod healthcond_description;
pub mod healthcond_description_v3;
pub mod logistics;
pub mod ping_for_configuration;

pub use soap::{Envelope, Fault, FaultCode, Header, Operation, SoapError};
pub use xml::XmlError;

//! A local stand-in for the national service platform (tjänsteplattformen): routing by
//! logical address and contract namespace, call authorisation, mutual TLS with the
//! caller's HSA-ID from its certificate, the VP error codes, the engagement index and
//! the aggregating services.
//!
//! Built on [`npo_contracts`] (routing reads requests with its streaming
//! [`npo_contracts::fastpath`]). The service itself is tracked in the platform issue;
//! this crate is its home in the workspace.

pub mod db;
pub mod engagement_index;

pub mod admin;
pub mod aggregation;
pub mod config;
pub mod error;
pub mod faults;
pub mod health;
pub mod hooks;
pub mod hsa;
pub mod local;
pub mod metrics;
pub mod recording;
pub mod routing;
pub mod startup;
pub mod tak;
pub mod vp;

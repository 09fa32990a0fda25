//! Why an aggregated call is answered with a SOAP Fault instead of a merged response.
//! Failing source systems are not errors: they are reported in `ProcessingStatus`.

use npo_contracts::soap::{self, Fault};

use crate::engagement_index::EiFault;
use crate::local::LocalReply;

/// The aggregating services' errors. Texts never carry message content or patient ids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregationError {
    /// The request is not the contract's or breaks a field rule (SOAP Fault, Client).
    #[error("Invalid request: {0}")]
    InvalidRequest(String),
    /// The engagement index could not answer FindContent (SOAP Fault, Server).
    #[error("The engagement index could not be searched ({0})")]
    EngagementIndex(String),
}

impl From<EiFault> for AggregationError {
    fn from(fault: EiFault) -> Self {
        AggregationError::EngagementIndex(fault.to_string())
    }
}

impl AggregationError {
    /// The SOAP Fault (HTTP 500).
    pub fn to_fault(&self) -> Fault {
        match self {
            AggregationError::InvalidRequest(_) => Fault::client(self.to_string()),
            AggregationError::EngagementIndex(_) => Fault::server(self.to_string()),
        }
    }

    /// The reply carrying the fault.
    pub fn to_reply(&self) -> LocalReply {
        LocalReply::soap(500, soap::encode_fault(&self.to_fault()))
    }
}

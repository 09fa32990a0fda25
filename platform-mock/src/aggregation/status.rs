//! The `ProcessingStatus` header (`urn:riv:interoperability:headers:1`): one record per
//! source system asked, as the interoperability headers XSD tabulates them.

use npo_contracts::headers::{
    CausingAgent, LastUnsuccessfulSynchError, ProcessingStatus, ProcessingStatusRecord, StatusCode,
};
use npo_contracts::types::TimeStamp;

/// How one source system's call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStatus {
    /// It answered with data (possibly none): `DataFromSource`.
    Data,
    /// It failed: `NoDataSynchFailed` with this error.
    Failed(SourceFailure),
}

/// Why a source system gave no data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFailure {
    /// Which component failed.
    pub causing_agent: CausingAgent,
    /// The producer's HTTP status for a fault, 504 for a timeout, the contract's error
    /// code for a `result` ERROR.
    pub code: String,
    /// What went wrong (never message content).
    pub text: String,
}

impl SourceFailure {
    /// A failure with `code` (e.g. an HTTP status) and `text`.
    pub fn new(causing_agent: CausingAgent, code: impl ToString, text: impl Into<String>) -> Self {
        SourceFailure {
            causing_agent,
            code: code.to_string(),
            text: text.into(),
        }
    }
}

/// The current time as the header carries it (`YYYYMMDDhhmmss`, Swedish local time).
pub fn now_stamp() -> String {
    TimeStamp::from_utc(chrono::Utc::now())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The record for `logical_address`, stamped `at`.
pub fn record(logical_address: &str, status: &SourceStatus, at: &str) -> ProcessingStatusRecord {
    match status {
        SourceStatus::Data => ProcessingStatusRecord {
            logical_address: logical_address.to_owned(),
            status_code: StatusCode::DataFromSource,
            is_response_from_cache: false,
            is_response_in_synch: true,
            last_successful_synch: at.to_owned(),
            last_unsuccessful_synch: None,
            last_unsuccessful_synch_error: None,
        },
        SourceStatus::Failed(failure) => ProcessingStatusRecord {
            logical_address: logical_address.to_owned(),
            status_code: StatusCode::NoDataSynchFailed,
            is_response_from_cache: false,
            is_response_in_synch: false,
            last_successful_synch: String::new(),
            last_unsuccessful_synch: Some(at.to_owned()),
            last_unsuccessful_synch_error: Some(LastUnsuccessfulSynchError {
                causing_agent: failure.causing_agent,
                code: failure.code.clone(),
                text: failure.text.clone(),
            }),
        },
    }
}

/// The header for `sources` (in the order asked).
pub fn processing_status<'a>(
    sources: impl IntoIterator<Item = (&'a str, &'a SourceStatus)>,
) -> ProcessingStatus {
    let at = now_stamp();
    ProcessingStatus {
        processing_status_list: sources
            .into_iter()
            .map(|(address, status)| record(address, status, &at))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_follow_the_xsd_table() {
        let ok = record("SE1", &SourceStatus::Data, "20260101120000");
        assert_eq!(ok.status_code, StatusCode::DataFromSource);
        assert!(!ok.is_response_from_cache && ok.is_response_in_synch);
        assert_eq!(ok.last_successful_synch, "20260101120000");
        assert!(ok.last_unsuccessful_synch_error.is_none());

        let failed = record(
            "SE2",
            &SourceStatus::Failed(SourceFailure::new(
                CausingAgent::ServiceProducer,
                504,
                "timeout",
            )),
            "20260101120000",
        );
        assert_eq!(failed.status_code, StatusCode::NoDataSynchFailed);
        assert!(!failed.is_response_from_cache && !failed.is_response_in_synch);
        assert_eq!(failed.last_successful_synch, "");
        assert_eq!(
            failed.last_unsuccessful_synch.as_deref(),
            Some("20260101120000")
        );
        let error = failed.last_unsuccessful_synch_error.unwrap();
        assert_eq!(error.code, "504");
        assert_eq!(error.causing_agent, CausingAgent::ServiceProducer);
    }
}

//! Which source systems to ask: the engagement index's FindContent for the patient and
//! the contract's service domain and categorization (through the index's own
//! validation and query), then only the logical addresses the original consumer is
//! authorised for in TAK for the contract, each once.

use npo_contracts::engagement_index::{FindContent, RegisteredResidentIdentification};
use npo_contracts::registry::Contract;
use npo_contracts::types::PatientId;

use super::error::AggregationError;
use crate::engagement_index::EngagementIndex;
use crate::tak::Tak;

/// The FindContent request for `patient` and `contract`, narrowed to `source_system`
/// when the consumer asked for one.
pub fn query(
    contract: Contract,
    patient: &PatientId,
    source_system: Option<&str>,
) -> Result<FindContent, AggregationError> {
    let keys = contract.engagement_keys().ok_or_else(|| {
        AggregationError::InvalidRequest(format!("{contract} is not an aggregated contract"))
    })?;
    Ok(FindContent {
        registered_resident_identification: RegisteredResidentIdentification::from(patient),
        service_domain: keys.service_domain.to_owned(),
        categorization: Some(keys.categorization.to_owned()),
        logical_address: None,
        business_object_instance_identifier: None,
        clinical_process_interest_id: None,
        most_recent_content: None,
        source_system: source_system
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        data_controller: None,
        owner: None,
    })
}

/// The logical addresses to ask, in the index's order, each once (ignoring ASCII
/// case, as TAK does), those `consumer` is not authorised for in `tak` left out.
pub async fn source_systems(
    index: &EngagementIndex,
    request: FindContent,
    tak: &Tak,
    consumer: &str,
    contract_ns: &str,
) -> Result<Sources, AggregationError> {
    let found = index.find_content(request).await?;
    let now = chrono::Utc::now();
    let mut sources = Sources::default();
    for engagement in found.engagement {
        let address = engagement.logical_address;
        if sources
            .asked
            .iter()
            .chain(&sources.unauthorised)
            .any(|a| a.eq_ignore_ascii_case(&address))
        {
            continue;
        }
        if tak
            .authorise(consumer, contract_ns, &address, now)
            .is_some()
        {
            sources.asked.push(address);
        } else {
            sources.unauthorised.push(address);
        }
    }
    Ok(sources)
}

/// The outcome of the search.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sources {
    /// Logical addresses to call.
    pub asked: Vec<String>,
    /// Logical addresses with engagements the consumer may not see (not called, not
    /// reported).
    pub unauthorised: Vec<String>,
}

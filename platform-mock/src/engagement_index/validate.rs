//! Validation of Update and ProcessNotification, in the order and with the codes of
//! the real SKLTP index (`EngagementValidator`):
//!
//! 1. Update only: the request's logical address is the index's own (EI003).
//! 2. 1 to 1000 transactions (EI000).
//! 3. Per transaction, first to last: the key is not one of an earlier transaction's
//!    (EI002); no mandatory field starts or ends with white space (EI004); neither
//!    `logicalAddress` (EI005) nor `sourceSystem` (EI006) is a reserved HSA-ID; every
//!    mandatory field is present and not blank (EI004; `owner` too in
//!    ProcessNotification); no field is longer than its column (EI004); time stamps
//!    are real times (EI004).
//!
//! Deliberate differences, each on the stricter side: a blank (white-space only)
//! mandatory field is "missing" (the real index lets it through), reserved HSA-IDs
//! compare ignoring ASCII case, and in Update the duplicate key uses the index's own
//! HSA-ID as owner (the owner it will store, R6) rather than whatever the caller sent.

use std::collections::HashMap;

use npo_contracts::engagement_index::{EngagementTransactionType, EngagementType, Ts};

use super::config::EngagementIndexConfig;
use super::error::EiFault;
use super::store::engagement_id;

/// Fewest transactions per call.
pub const MIN_TRANSACTIONS: usize = 1;
/// Most transactions per call.
pub const MAX_TRANSACTIONS: usize = npo_contracts::engagement_index::MAX_TRANSACTIONS;

/// Which operation is validated.
#[derive(Debug, Clone, Copy)]
pub enum Operation<'a> {
    /// Update: engagements get the index's own HSA-ID as owner.
    Update {
        /// The `LogicalAddress` header (missing: `None`).
        logical_address: Option<&'a str>,
    },
    /// ProcessNotification from another index: `owner` is mandatory and kept.
    ProcessNotification,
}

/// Checks a call's transactions; the first problem found is the answer.
pub fn transactions(
    config: &EngagementIndexConfig,
    operation: Operation<'_>,
    transactions: &[EngagementTransactionType],
) -> Result<(), EiFault> {
    if let Operation::Update { logical_address } = operation {
        match logical_address.filter(|a| !a.is_empty()) {
            None => {
                return Err(EiFault::wrong_logical_address(
                    None,
                    &config.logical_address,
                ));
            }
            Some(address) if !config.accepts_logical_address(address) => {
                return Err(EiFault::wrong_logical_address(
                    Some(address),
                    &config.logical_address,
                ));
            }
            Some(_) => {}
        }
    }
    if transactions.len() < MIN_TRANSACTIONS {
        return Err(too_few());
    }
    if transactions.len() > MAX_TRANSACTIONS {
        return Err(EiFault::technical(format_args!(
            "The request contains more than {MAX_TRANSACTIONS} engagements. Maximum number of \
             engagements per request is {MAX_TRANSACTIONS}."
        )));
    }
    let owner_check = matches!(operation, Operation::ProcessNotification);
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(transactions.len());
    for (i, transaction) in transactions.iter().enumerate() {
        let index = i + 1;
        let e = &transaction.engagement;
        let owner = match operation {
            Operation::Update { .. } => config.logical_address.as_str(),
            Operation::ProcessNotification => e.owner.as_deref().unwrap_or_default(),
        };
        if let Some(first) = seen.insert(engagement_id(e, owner), index) {
            return Err(EiFault::duplicate(first, index));
        }
        for (name, value) in mandatory_fields(e, owner_check) {
            if !value.trim().is_empty() && value.trim() != value {
                return Err(EiFault::invalid(format_args!(
                    "mandatory field \"{name}\" contains white space in beginning or end"
                )));
            }
        }
        if config.is_reserved(&e.logical_address) {
            return Err(EiFault::reserved_logical_address(index, &e.logical_address));
        }
        if config.is_reserved(&e.source_system) {
            return Err(EiFault::reserved_source_system(index, &e.source_system));
        }
        for (name, value) in mandatory_fields(e, owner_check) {
            if value.trim().is_empty() {
                return Err(EiFault::missing(name));
            }
        }
        for (name, value, max) in lengths(e, owner_check) {
            if value.chars().count() > max {
                return Err(EiFault::invalid(format_args!(
                    "Field \"{name}\" is to long"
                )));
            }
        }
        for (name, value) in [
            ("mostRecentContent", &e.most_recent_content),
            ("updateTime", &e.update_time),
            ("creationTime", &e.creation_time),
        ] {
            if value.as_ref().is_some_and(|t| t.to_time_stamp().is_none()) {
                return Err(EiFault::invalid(format_args!(
                    "Field \"{name}\": Input date is not according to expected format \
                     \"YYYYMMDDhhmmss\""
                )));
            }
        }
    }
    Ok(())
}

/// EI000 for a call without transactions.
pub fn too_few() -> EiFault {
    EiFault::technical(format_args!(
        "The request contains less than {MIN_TRANSACTIONS} engagements. Minium number of \
         engagements per request is {MIN_TRANSACTIONS}."
    ))
}

/// The mandatory text fields in the real index's order (`owner` last, when checked).
fn mandatory_fields(e: &EngagementType, owner_check: bool) -> Vec<(&'static str, &str)> {
    let mut fields = vec![
        (
            "registeredResidentIdentification",
            e.registered_resident_identification.as_str(),
        ),
        ("serviceDomain", e.service_domain.as_str()),
        ("categorization", e.categorization.as_str()),
        ("logicalAddress", e.logical_address.as_str()),
        (
            "businessObjectInstanceIdentifier",
            e.business_object_instance_identifier.as_str(),
        ),
        (
            "clinicalProcessInterestId",
            e.clinical_process_interest_id.as_str(),
        ),
        ("sourceSystem", e.source_system.as_str()),
        ("dataController", e.data_controller.as_str()),
    ];
    if owner_check {
        fields.push(("owner", e.owner.as_deref().unwrap_or_default()));
    }
    fields
}

/// Each text field with its column length (the real index's schema); `owner` only
/// when it is kept (ProcessNotification; Update overwrites it).
fn lengths(e: &EngagementType, owner_check: bool) -> Vec<(&'static str, &str, usize)> {
    let mut fields = vec![
        (
            "registeredResidentIdentification",
            e.registered_resident_identification.as_str(),
            32,
        ),
        ("serviceDomain", &e.service_domain, 255),
        ("categorization", &e.categorization, 255),
        ("logicalAddress", &e.logical_address, 64),
        (
            "businessObjectInstanceIdentifier",
            &e.business_object_instance_identifier,
            128,
        ),
        (
            "clinicalProcessInterestId",
            &e.clinical_process_interest_id,
            128,
        ),
        ("sourceSystem", &e.source_system, 64),
        ("dataController", &e.data_controller, 64),
    ];
    if owner_check {
        fields.push(("owner", e.owner.as_deref().unwrap_or_default(), 64));
    }
    fields
}

/// Whether a time stamp, when given, is a real time (kept for callers that check one
/// value).
pub fn is_real_time(value: Option<&Ts>) -> bool {
    value.is_none_or(|t| t.to_time_stamp().is_some())
}

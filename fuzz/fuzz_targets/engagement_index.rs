//! The engagement index's request decoding and validation as the platform runs them:
//! Update 1, FindContent 1 and ProcessNotification 1 envelopes are decoded, then checked
//! by the index's validator (`validate::transactions`, `find_content::check`) with the
//! default index configuration.
//!
//! Invariants: no panic; a decoded request re-encodes to the same value; a valid
//! Update has 1 to 1000 transactions; the fault text of a refused request never
//! repeats a resident identification from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npo_contracts::engagement_index::{FindContent, ProcessNotification, Update};
use npo_contracts::soap::{self, Operation};
use npo_platform::engagement_index::config::EngagementIndexConfig;
use npo_platform::engagement_index::error::EiFault;
use npo_platform::engagement_index::{find_content, validate};

fn round_trip<Op: Operation + std::fmt::Debug + PartialEq>(envelope: &soap::Envelope<Op>) {
    let encoded = soap::encode(envelope);
    let again = soap::decode_request::<Op>(encoded.as_bytes())
        .unwrap_or_else(|e| panic!("re-encoded {} does not decode: {e}\n{encoded}", Op::NAME));
    assert_eq!(&again, envelope, "{} changed on re-encoding", Op::NAME);
}

fn no_resident_in(fault: &EiFault, residents: &[&str]) {
    let text = fault.fault_string();
    for resident in residents {
        if resident.len() >= 10 {
            assert!(
                !text.contains(resident),
                "fault repeats a resident id: {text}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let config = EngagementIndexConfig::default();
    if let Ok(envelope) = soap::decode_request::<Update>(data) {
        round_trip(&envelope);
        let transactions = &envelope.body.engagement_transaction;
        let result = validate::transactions(
            &config,
            validate::Operation::Update {
                logical_address: envelope.header.logical_address.as_deref(),
            },
            transactions,
        );
        match result {
            Ok(()) => assert!((1..=1000).contains(&transactions.len())),
            Err(fault) => {
                let residents: Vec<&str> = transactions
                    .iter()
                    .map(|t| t.engagement.registered_resident_identification.as_str())
                    .collect();
                no_resident_in(&fault, &residents);
            }
        }
    }
    if let Ok(envelope) = soap::decode_request::<ProcessNotification>(data) {
        round_trip(&envelope);
        let transactions = &envelope.body.engagement_transaction;
        if let Err(fault) = validate::transactions(
            &config,
            validate::Operation::ProcessNotification,
            transactions,
        ) {
            let residents: Vec<&str> = transactions
                .iter()
                .map(|t| t.engagement.registered_resident_identification.as_str())
                .collect();
            no_resident_in(&fault, &residents);
        }
    }
    if let Ok(envelope) = soap::decode_request::<FindContent>(data) {
        round_trip(&envelope);
        if let Err(fault) = find_content::check(&envelope.body) {
            no_resident_in(
                &fault,
                &[envelope.body.registered_resident_identification.as_str()],
            );
        }
    }
});

//! The SOAP 1.1 envelope + RIV-TA header decoder, as the producer endpoints (requests)
//! and the consumer and aggregation (responses) run it: the bytes go to the request and
//! response decoder of every contract.
//!
//! Invariants: no panic; a decoded envelope re-encodes to one that decodes to the same
//! value; what the full decoder accepts as a request, the platform's routing fast path
//! reads with the same contract and LogicalAddress.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npo_contracts::engagement_index::{FindContent, ProcessNotification, Update};
use npo_contracts::fastpath;
use npo_contracts::get_care_contacts::GetCareContacts;
use npo_contracts::get_care_documentation::GetCareDocumentation;
use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::get_medication_history::GetMedicationHistory;
use npo_contracts::get_observations::GetObservations;
use npo_contracts::get_vaccination_history::GetVaccinationHistory;
use npo_contracts::ping_for_configuration::PingForConfiguration;
use npo_contracts::soap::{self, Operation};

fn request<Op: Operation + std::fmt::Debug + PartialEq>(data: &[u8]) {
    let Ok(envelope) = soap::decode_request::<Op>(data) else {
        return;
    };
    let encoded = soap::encode(&envelope);
    let again = soap::decode_request::<Op>(encoded.as_bytes()).unwrap_or_else(|e| {
        panic!(
            "re-encoded {} request does not decode: {e}\n{encoded}",
            Op::NAME
        )
    });
    assert_eq!(
        again,
        envelope,
        "{} request changed on re-encoding",
        Op::NAME
    );

    let info = fastpath::scan(data).unwrap_or_else(|e| {
        panic!(
            "decoder accepts a {} request the fast path refuses: {e}",
            Op::NAME
        )
    });
    assert_eq!(info.contract_ns, Op::NS, "fast path contract namespace");
    assert_eq!(info.operation, Op::NAME, "fast path operation");
    assert_eq!(
        info.logical_address, envelope.header.logical_address,
        "fast path LogicalAddress"
    );
}

fn response<Op: Operation>(data: &[u8])
where
    Op::Response: std::fmt::Debug + PartialEq,
{
    let Ok(envelope) = soap::decode_response::<Op>(data) else {
        return;
    };
    let encoded = soap::encode(&envelope);
    let again = soap::decode_response::<Op>(encoded.as_bytes()).unwrap_or_else(|e| {
        panic!(
            "re-encoded {} response does not decode: {e}\n{encoded}",
            Op::NAME
        )
    });
    assert_eq!(
        again,
        envelope,
        "{} response changed on re-encoding",
        Op::NAME
    );
}

fn both<Op: Operation + std::fmt::Debug + PartialEq>(data: &[u8])
where
    Op::Response: std::fmt::Debug + PartialEq,
{
    request::<Op>(data);
    response::<Op>(data);
}

fuzz_target!(|data: &[u8]| {
    both::<GetDiagnosis>(data);
    both::<GetCareContacts>(data);
    both::<GetMedicationHistory>(data);
    both::<GetVaccinationHistory>(data);
    both::<GetCareDocumentation>(data);
    both::<GetObservations>(data);
    both::<PingForConfiguration>(data);
    both::<Update>(data);
    both::<FindContent>(data);
    both::<ProcessNotification>(data);
});

//! The platform's routing fast path (`npo_contracts::fastpath::scan`): LogicalAddress,
//! contract namespace, operation and patient id, read without building the message.
//! The bytes are scanned as sent, and also placed inside a valid envelope's Body and as
//! the LogicalAddress text, to get past the envelope checks.
//!
//! Invariants: no panic; a successful scan names a non-empty operation; the contract
//! lookup by namespace agrees with the lookup by namespace and operation; scanning is
//! deterministic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use npo_contracts::fastpath::{self, RoutingInfo};
use npo_contracts::registry::Contract;

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
xmlns:add=\"urn:riv:itintegration:registry:1\">";

fn check(bytes: &[u8]) -> Option<RoutingInfo> {
    let info = fastpath::scan(bytes).ok()?;
    assert!(
        !info.operation.is_empty(),
        "a scan result without operation"
    );
    if let Some(contract) = Contract::from_request(&info.contract_ns, &info.operation) {
        assert_eq!(Contract::from_namespace(&info.contract_ns), Some(contract));
    }
    assert_eq!(
        fastpath::scan(bytes).ok().as_ref(),
        Some(&info),
        "scan is deterministic"
    );
    Some(info)
}

fuzz_target!(|data: &[u8]| {
    check(data);

    let mut in_body = Vec::with_capacity(data.len() + 300);
    in_body.extend_from_slice(HEAD.as_bytes());
    in_body.extend_from_slice(
        b"<soap:Header><add:LogicalAddress>SE2321000016-ABCD</add:LogicalAddress></soap:Header>\
<soap:Body><GetDiagnosis xmlns=\"urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2\">",
    );
    in_body.extend_from_slice(data);
    in_body.extend_from_slice(b"</GetDiagnosis></soap:Body></soap:Envelope>");
    if let Some(info) = check(&in_body) {
        assert_eq!(info.logical_address.as_deref(), Some("SE2321000016-ABCD"));
    }

    let mut in_address = Vec::with_capacity(data.len() + 300);
    in_address.extend_from_slice(HEAD.as_bytes());
    in_address.extend_from_slice(b"<soap:Header><add:LogicalAddress>");
    in_address.extend_from_slice(data);
    in_address.extend_from_slice(
        b"</add:LogicalAddress></soap:Header><soap:Body><Ping xmlns=\"urn:x\"/></soap:Body></soap:Envelope>",
    );
    check(&in_address);
});

//! Inputs the fuzz targets (`fuzz/`, nightly) found to break the contracts library, kept
//! as regression tests on stable: every file in `tests/fuzz/` goes through the checks of
//! the `soap_request` target (every contract's request and response decoder; a decoded
//! envelope re-encodes to the same value; the routing fast path agrees with the full
//! decoder on a request), and each finding also has a test of its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use npo_contracts::engagement_index::{FindContent, ProcessNotification, Update};
use npo_contracts::fastpath;
use npo_contracts::get_care_contacts::GetCareContacts;
use npo_contracts::get_care_documentation::GetCareDocumentation;
use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::get_medication_history::GetMedicationHistory;
use npo_contracts::get_observations::GetObservations;
use npo_contracts::get_vaccination_history::GetVaccinationHistory;
use npo_contracts::ping_for_configuration::PingForConfiguration;
use npo_contracts::soap::{self, Operation, SoapError};
use npo_contracts::xml::XmlError;

fn request<Op: Operation + std::fmt::Debug + PartialEq>(name: &str, data: &[u8]) {
    let Ok(envelope) = soap::decode_request::<Op>(data) else {
        return;
    };
    let encoded = soap::encode(&envelope);
    let again = soap::decode_request::<Op>(encoded.as_bytes())
        .unwrap_or_else(|e| panic!("{name}: re-encoded {} does not decode: {e}", Op::NAME));
    assert_eq!(
        again,
        envelope,
        "{name}: {} changed on re-encoding",
        Op::NAME
    );
    let info = fastpath::scan(data)
        .unwrap_or_else(|e| panic!("{name}: the fast path refuses a valid {}: {e}", Op::NAME));
    assert_eq!(info.contract_ns, Op::NS, "{name}");
    assert_eq!(info.operation, Op::NAME, "{name}");
    assert_eq!(
        info.logical_address, envelope.header.logical_address,
        "{name}"
    );
}

fn response<Op: Operation>(name: &str, data: &[u8])
where
    Op::Response: std::fmt::Debug + PartialEq,
{
    let Ok(envelope) = soap::decode_response::<Op>(data) else {
        return;
    };
    let encoded = soap::encode(&envelope);
    let again = soap::decode_response::<Op>(encoded.as_bytes()).unwrap_or_else(|e| {
        panic!(
            "{name}: re-encoded {} response does not decode: {e}",
            Op::NAME
        )
    });
    assert_eq!(again, envelope, "{name}: {} response changed", Op::NAME);
}

fn both<Op: Operation + std::fmt::Debug + PartialEq>(name: &str, data: &[u8])
where
    Op::Response: std::fmt::Debug + PartialEq,
{
    request::<Op>(name, data);
    response::<Op>(name, data);
}

fn every_contract(name: &str, data: &[u8]) {
    both::<GetDiagnosis>(name, data);
    both::<GetCareContacts>(name, data);
    both::<GetMedicationHistory>(name, data);
    both::<GetVaccinationHistory>(name, data);
    both::<GetCareDocumentation>(name, data);
    both::<GetObservations>(name, data);
    both::<PingForConfiguration>(name, data);
    both::<Update>(name, data);
    both::<FindContent>(name, data);
    both::<ProcessNotification>(name, data);
}

fn found(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz")
            .join(name),
    )
    .unwrap()
}

#[test]
fn every_kept_input_passes_the_soap_request_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("soap_request-") {
            every_contract(&name, &std::fs::read(&path).unwrap());
            count += 1;
        }
    }
    assert!(count >= 1);
}

/// Malformed-XML refusal naming a forbidden character.
fn assert_forbidden_character(result: Result<impl std::fmt::Debug, SoapError>) {
    match result {
        Err(SoapError::Xml(XmlError::Malformed { reason, .. })) => {
            assert!(
                reason.contains("does not allow") || reason.contains("not permitted"),
                "{reason}"
            );
        }
        other => panic!("expected a forbidden-character error, got {other:?}"),
    }
}

#[test]
fn control_characters_in_text_are_refused() {
    // Found by `soap_request`: two NUL bytes in a careUnitId were read as they were,
    // and the writer (rightly) replaced them, so the value changed on the way through.
    let data = found("soap_request-nul-in-care-unit.xml");
    assert_forbidden_character(soap::decode_request::<GetCareDocumentation>(&data));
    // The same for every other way of writing a character XML 1.0 does not allow.
    let valid = soap::encode_request(
        "SE2120009994-EH7S",
        &GetDiagnosis {
            care_unit_hsa_id: vec![],
            patient_id: npo_contracts::types::PersonIdType {
                id: "191212121212".into(),
                r#type: "1.2.752.129.2.1.3.1".into(),
            },
            time_period: None,
            source_system_hsa_id: None,
            care_contact_id: vec![],
        },
    );
    assert!(soap::decode_request::<GetDiagnosis>(valid.as_bytes()).is_ok());
    for bad in [
        "1912\u{1}12121212",
        "19121212\u{FFFE}1212",
        "&#0;",
        "&#x1F;",
        "&#xFFFF;",
    ] {
        let xml = valid.replace("191212121212", bad);
        assert_forbidden_character(soap::decode_request::<GetDiagnosis>(xml.as_bytes()));
    }
    // Tab, line feed and carriage return are characters like any other.
    let xml = valid.replace("SE2120009994-EH7S", "\tSE2120009994-EH7S\r\n");
    let envelope = soap::decode_request::<GetDiagnosis>(xml.as_bytes()).unwrap();
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("\tSE2120009994-EH7S\n"),
        "a literal CR LF is read as LF (XML end-of-line handling)"
    );
}

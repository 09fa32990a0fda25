//! The routing fast path agrees with the full decoder and reads only what routing
//! needs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::fastpath::scan;
use npo_contracts::soap::SoapError;
use support::{canonical, golden};

#[test]
fn reads_address_contract_and_patient_of_a_request() {
    let info = scan(&golden("GetDiagnosis_request.xml")).expect("scans");
    assert_eq!(info.logical_address.as_deref(), Some("SE2321000016-A12B"));
    assert_eq!(
        info.contract_ns,
        "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2"
    );
    assert_eq!(info.operation, "GetDiagnosis");
    assert_eq!(info.patient_id.as_deref(), Some("201403129800"));
}

/// What the full parse of a golden envelope says about its header and body.
fn expected_routing(xml: &[u8]) -> (Option<String>, String) {
    let events = canonical(xml);
    let address = events
        .iter()
        .position(|e| e.starts_with("start {urn:riv:itintegration:registry:1}LogicalAddress"))
        .and_then(|i| events[i + 1].strip_prefix("text ").map(str::to_owned));
    let body = events
        .iter()
        .position(|e| e.starts_with("start {http://schemas.xmlsoap.org/soap/envelope/}Body"))
        .map(|i| events[i + 1].clone())
        .expect("body");
    let element = body.trim_start_matches("start ").trim_end().to_owned();
    (address, element)
}

#[test]
fn agrees_with_the_full_parse_on_every_golden_message() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("golden dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let xml = std::fs::read(&path).expect("read");
        let info = scan(&xml).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (address, element) = expected_routing(&xml);
        assert_eq!(info.logical_address, address, "{}", path.display());
        assert_eq!(
            format!("{{{}}}{}", info.contract_ns, info.operation),
            element,
            "{}",
            path.display()
        );
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with("_request.xml")
            && !name.starts_with("PingForConfiguration")
            && !name.starts_with("Update")
            && !name.starts_with("ProcessNotification")
        {
            let patient = info
                .patient_id
                .as_deref()
                .unwrap_or_else(|| panic!("{name}: no patient id"));
            assert_eq!(patient.len(), 12, "{name}");
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} golden files");
}

#[test]
fn stops_reading_once_it_has_the_patient() {
    let mut xml = golden("GetDiagnosis_request.xml");
    let at = xml
        .windows(13)
        .position(|w| w == b"</urn2:type>\n")
        .expect("marker")
        + 13;
    xml.truncate(at);
    xml.extend_from_slice(b"<<<< not xml at all & never read");
    let info = scan(&xml).expect("the rest is not read");
    assert_eq!(info.patient_id.as_deref(), Some("201403129800"));
}

#[test]
fn keeps_whitespace_in_the_logical_address_for_the_platform_hint() {
    let xml = String::from_utf8(golden("GetDiagnosis_request.xml"))
        .expect("utf8")
        .replace(
            ">SE2321000016-A12B</urn:LogicalAddress>",
            "> SE2321000016-A12B\n</urn:LogicalAddress>",
        );
    let info = scan(xml.as_bytes()).expect("scans");
    assert_eq!(
        info.logical_address.as_deref(),
        Some(" SE2321000016-A12B\n")
    );
}

#[test]
fn reports_a_missing_header_as_no_address() {
    let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><p:Ping xmlns:p="urn:x"/></s:Body></s:Envelope>"#;
    let info = scan(xml.as_bytes()).expect("scans");
    assert_eq!(info.logical_address, None);
    assert_eq!(info.operation, "Ping");
    assert_eq!(info.patient_id, None);
}

#[test]
fn refuses_what_is_not_a_soap_11_request() {
    assert_eq!(scan(b"").unwrap_err(), SoapError::Empty);
    assert!(matches!(
        scan(b"<a/>").unwrap_err(),
        SoapError::NotAnEnvelope { .. }
    ));
    let no_body = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>"#;
    assert_eq!(scan(no_body).unwrap_err(), SoapError::MissingBody);
    let empty = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body> </s:Body></s:Envelope>"#;
    assert_eq!(scan(empty).unwrap_err(), SoapError::EmptyBody);
}

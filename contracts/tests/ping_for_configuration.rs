//! PingForConfiguration 1: golden messages round-trip, cover the schema and validate
//! against the project's and the official schemas (no Schematron exists for it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::XmlError;
use npo_contracts::ping_for_configuration::{
    PingForConfiguration, PingForConfigurationResponse, RESPONDER_NS, Ts,
};
use npo_contracts::soap::{self, Operation, SoapError};
use support::*;

const OURS: &str = "itintegration_monitoring_1.0/interactions/PingForConfigurationInteraction/PingForConfigurationResponder_1.0.xsd";
const OFFICIAL: &str = "itintegration_monitoring_1.0/schemas/interactions/PingForConfigurationInteraction/PingForConfigurationResponder_1.0.xsd";

#[test]
fn request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<PingForConfiguration>("PingForConfiguration_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("SE2321000016-A12B")
    );
    let request = &envelope.body;
    assert_eq!(
        request.service_contract_namespace,
        "urn:riv:clinicalprocess:healthcond:description:GetCareDocumentationResponder:3"
    );
    assert_eq!(
        Some(request.logical_address.as_str()),
        envelope.header.logical_address.as_deref()
    );
    assert_covers_schema::<PingForConfiguration>(&["PingForConfiguration_request.xml"], &[]);
}

#[test]
fn response_round_trips_and_covers_the_schema() {
    let envelope = round_trip::<PingForConfigurationResponse>("PingForConfiguration_response.xml");
    let response = &envelope.body;
    assert_eq!(response.version, "1.4.2");
    assert_eq!(
        response
            .ping_date_time
            .to_time_stamp()
            .map(|t| t.to_string())
            .as_deref(),
        Some("20250917111502")
    );
    let names: Vec<_> = response
        .configuration
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["Applikation", "Senaste omstart", "Databas"]);
    assert_covers_schema::<PingForConfigurationResponse>(
        &["PingForConfiguration_response.xml"],
        &[],
    );
}

#[test]
fn request_validates_against_both_schemas() {
    let envelope = round_trip::<PingForConfiguration>("PingForConfiguration_request.xml");
    validate_golden(
        "PingForConfiguration_request.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        None,
    );
}

#[test]
fn response_passes_the_official_validator() {
    let envelope = round_trip::<PingForConfigurationResponse>("PingForConfiguration_response.xml");
    validate_golden(
        "PingForConfiguration_response.xml",
        &envelope.body,
        OURS,
        OFFICIAL,
        Some(&[]),
    );
}

#[test]
fn the_operation_names_the_official_soap_action() {
    assert_eq!(
        PingForConfiguration::SOAP_ACTION,
        format!("{RESPONDER_NS}:{}", PingForConfiguration::CONTRACT)
    );
    assert_eq!(PingForConfiguration::MAJOR, 1);
}

fn golden_text(name: &str) -> String {
    String::from_utf8_lossy(&golden(name)).into_owned()
}

#[test]
fn a_response_with_a_bad_time_stamp_is_refused() {
    for bad in ["2025-09-17T11:15:02", "20250917241502", "02025091711150"] {
        assert!(Ts::parse(bad).is_none(), "{bad}");
        let xml = golden_text("PingForConfiguration_response.xml").replace(
            "<pingDateTime>20250917111502<",
            &format!("<pingDateTime>{bad}<"),
        );
        let err =
            soap::decode_response::<PingForConfiguration>(xml.as_bytes()).expect_err("not a TS");
        assert!(
            matches!(
                err,
                SoapError::Xml(XmlError::InvalidValue {
                    element: "pingDateTime",
                    ..
                })
            ),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn a_request_without_logical_address_is_refused() {
    let xml = golden_text("PingForConfiguration_request.xml").replace(
        "<urn1:logicalAddress>SE2321000016-A12B</urn1:logicalAddress>",
        "",
    );
    let err = soap::decode_request::<PingForConfiguration>(xml.as_bytes()).expect_err("required");
    assert_eq!(
        err,
        SoapError::Xml(XmlError::MissingElement {
            parent: "PingForConfigurationType",
            element: "logicalAddress"
        })
    );
}

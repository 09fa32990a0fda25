//! The SOAP 1.1 envelope codec: typed errors for every kind of unacceptable input,
//! faults, and no panic on any truncation or corruption of a valid message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::get_diagnosis::{GetDiagnosis, GetDiagnosisResponse};
use npo_contracts::soap::{self, Fault, FaultCode, SoapError};
use npo_contracts::xml::XmlError;
use support::golden;

fn request_with_body(body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:riv:itintegration:registry:1">
  <s:Header><a:LogicalAddress>SE2321000016-A12B</a:LogicalAddress></s:Header>
  <s:Body>{body}</s:Body>
</s:Envelope>"#
    )
}

const VALID_BODY: &str = r#"<GetDiagnosis xmlns="urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2" xmlns:c="urn:riv:clinicalprocess:healthcond:description:2"><patientId><c:id>201403129800</c:id><c:type>1.2.752.129.2.1.3.1</c:type></patientId></GetDiagnosis>"#;

#[test]
fn a_minimal_request_decodes() {
    let envelope = soap::decode_request::<GetDiagnosis>(request_with_body(VALID_BODY).as_bytes())
        .expect("valid request");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("SE2321000016-A12B")
    );
    assert_eq!(envelope.body.patient_id.id, "201403129800");
    assert!(envelope.body.care_unit_hsa_id.is_empty() && envelope.body.time_period.is_none());
}

#[test]
fn encode_request_puts_the_logical_address_in_the_riv_header() {
    let envelope = soap::decode_request::<GetDiagnosis>(request_with_body(VALID_BODY).as_bytes())
        .expect("valid request");
    let xml = soap::encode_request("SE2321000016-XYZ9", &envelope.body);
    assert!(xml.contains("xmlns:add=\"urn:riv:itintegration:registry:1\""));
    assert!(xml.contains("<add:LogicalAddress>SE2321000016-XYZ9</add:LogicalAddress>"));
    let again = soap::decode_request::<GetDiagnosis>(xml.as_bytes()).expect("decodes");
    assert_eq!(again.body, envelope.body);
}

#[test]
fn body_in_another_contract_version_namespace_is_a_namespace_error() {
    let body = VALID_BODY.replace("GetDiagnosisResponder:2", "GetDiagnosisResponder:1");
    let err =
        soap::decode_request::<GetDiagnosis>(request_with_body(&body).as_bytes()).unwrap_err();
    match err {
        SoapError::WrongBodyNamespace {
            local,
            expected,
            found,
        } => {
            assert_eq!(local, "GetDiagnosis");
            assert!(expected.ends_with("GetDiagnosisResponder:2"));
            assert!(found.ends_with("GetDiagnosisResponder:1"));
        }
        other => panic!("expected WrongBodyNamespace, got {other:?}"),
    }
}

#[test]
fn child_in_the_wrong_namespace_is_refused() {
    // patientId/id in the Responder namespace instead of the core namespace.
    let body = VALID_BODY.replace("<c:id>201403129800</c:id>", "<id>201403129800</id>");
    let err =
        soap::decode_request::<GetDiagnosis>(request_with_body(&body).as_bytes()).unwrap_err();
    match err {
        SoapError::Xml(XmlError::WrongNamespace {
            local,
            expected,
            found,
        }) => {
            assert_eq!(local, "id");
            assert_eq!(expected, "urn:riv:clinicalprocess:healthcond:description:2");
            assert!(found.ends_with("GetDiagnosisResponder:2"));
        }
        other => panic!("expected WrongNamespace, got {other:?}"),
    }
}

#[test]
fn another_operation_in_the_body_is_refused() {
    let body = VALID_BODY.replace("GetDiagnosis", "GetAlertInformation");
    let err =
        soap::decode_request::<GetDiagnosis>(request_with_body(&body).as_bytes()).unwrap_err();
    assert!(
        matches!(err, SoapError::UnexpectedBodyElement { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("GetAlertInformation"));
}

#[test]
fn soap_12_envelopes_are_refused() {
    let xml = request_with_body(VALID_BODY).replace(
        "http://schemas.xmlsoap.org/soap/envelope/",
        "http://www.w3.org/2003/05/soap-envelope",
    );
    let err = soap::decode_request::<GetDiagnosis>(xml.as_bytes()).unwrap_err();
    assert_eq!(err, SoapError::Soap12Envelope);
    assert_eq!(
        npo_contracts::fastpath::scan(xml.as_bytes()).unwrap_err(),
        SoapError::Soap12Envelope
    );
}

#[test]
fn an_envelope_in_an_unknown_namespace_is_refused() {
    let xml = request_with_body(VALID_BODY)
        .replace("http://schemas.xmlsoap.org/soap/envelope/", "urn:not-soap");
    let err = soap::decode_request::<GetDiagnosis>(xml.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        SoapError::WrongEnvelopeNamespace {
            found: "urn:not-soap".into()
        }
    );
}

#[test]
fn a_doctype_is_refused() {
    let xml = request_with_body(VALID_BODY).replacen("?>", "?><!DOCTYPE s:Envelope>", 1);
    let err = soap::decode_request::<GetDiagnosis>(xml.as_bytes()).unwrap_err();
    assert_eq!(err, SoapError::Xml(XmlError::DoctypeNotAllowed));
    assert!(err.is_dtd());
}

#[test]
fn entity_declarations_are_refused_before_expansion() {
    // Billion laughs and XXE both need an entity declaration.
    let laughs = r#"<!DOCTYPE s:Envelope [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>"#;
    let xxe = r#"<!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"#;
    for dtd in [laughs, xxe] {
        let xml = request_with_body(&VALID_BODY.replace("201403129800", "&lol2;")).replacen(
            "?>",
            &format!("?>{dtd}"),
            1,
        );
        let err = soap::decode_request::<GetDiagnosis>(xml.as_bytes()).unwrap_err();
        assert_eq!(err, SoapError::Xml(XmlError::EntityDeclarationNotAllowed));
        assert_eq!(
            npo_contracts::fastpath::scan(xml.as_bytes()).unwrap_err(),
            SoapError::Xml(XmlError::EntityDeclarationNotAllowed)
        );
    }
}

#[test]
fn undeclared_entities_are_refused_and_predefined_ones_resolved() {
    let xml = request_with_body(&VALID_BODY.replace(
        "</patientId>",
        "</patientId><sourceSystemHSAId>&ext;</sourceSystemHSAId>",
    ));
    let err = soap::decode_request::<GetDiagnosis>(xml.as_bytes()).unwrap_err();
    assert!(
        matches!(err, SoapError::Xml(XmlError::UnknownEntity { .. })),
        "{err:?}"
    );

    let xml = request_with_body(&VALID_BODY.replace(
        "</patientId>",
        "</patientId><careContactId>a&amp;b&#x20;&lt;c&gt;</careContactId>",
    ));
    let envelope = soap::decode_request::<GetDiagnosis>(xml.as_bytes()).expect("valid");
    assert_eq!(envelope.body.care_contact_id, ["a&b <c>"]);
}

#[test]
fn schema_rules_give_specific_errors() {
    let missing = VALID_BODY.replace("<c:type>1.2.752.129.2.1.3.1</c:type>", "");
    let err =
        soap::decode_request::<GetDiagnosis>(request_with_body(&missing).as_bytes()).unwrap_err();
    assert_eq!(
        err,
        SoapError::Xml(XmlError::MissingElement {
            parent: "PersonIdType",
            element: "type"
        })
    );

    let out_of_order = VALID_BODY.replace(
        "<patientId>",
        "<sourceSystemHSAId>SE1</sourceSystemHSAId><patientId>",
    );
    let err = soap::decode_request::<GetDiagnosis>(request_with_body(&out_of_order).as_bytes())
        .unwrap_err();
    assert!(
        matches!(
            err,
            SoapError::Xml(XmlError::OutOfOrder {
                element: "patientId",
                ..
            })
        ),
        "{err:?}"
    );

    let bad_date = VALID_BODY.replace(
        "</patientId>",
        "</patientId><timePeriod><c:start>2024-01-01</c:start><c:end>20241231</c:end></timePeriod>",
    );
    let err =
        soap::decode_request::<GetDiagnosis>(request_with_body(&bad_date).as_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            SoapError::Xml(XmlError::InvalidValue {
                element: "start",
                ..
            })
        ),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains("2024-01-01"),
        "errors must not echo values: {err}"
    );
}

#[test]
fn foreign_namespace_extensions_are_skipped() {
    let body = VALID_BODY.replace(
        "</GetDiagnosis>",
        r#"<x:extra xmlns:x="urn:vendor:ext"><x:deep>1</x:deep></x:extra></GetDiagnosis>"#,
    );
    let envelope = soap::decode_request::<GetDiagnosis>(request_with_body(&body).as_bytes())
        .expect("xs:any ##other is allowed");
    assert_eq!(envelope.body.patient_id.id, "201403129800");
}

#[test]
fn missing_and_empty_bodies_are_specific_errors() {
    let no_body = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>"#;
    assert_eq!(
        soap::decode_request::<GetDiagnosis>(no_body.as_bytes()).unwrap_err(),
        SoapError::MissingBody
    );
    let empty = request_with_body("");
    assert_eq!(
        soap::decode_request::<GetDiagnosis>(empty.as_bytes()).unwrap_err(),
        SoapError::EmptyBody
    );
    assert_eq!(
        soap::decode_request::<GetDiagnosis>(b"").unwrap_err(),
        SoapError::Empty
    );
    let not_envelope = VALID_BODY;
    assert!(matches!(
        soap::decode_request::<GetDiagnosis>(not_envelope.as_bytes()).unwrap_err(),
        SoapError::NotAnEnvelope { .. }
    ));
}

#[test]
fn faults_round_trip_and_surface_as_typed_errors() {
    let fault = Fault::client("VP007 [test-instance] Anropande system saknar behörighet")
        .with_detail("VP007 Authorization missing for serviceConsumer <SE1> & contract");
    let xml = soap::encode_fault(&fault);
    let err = soap::decode_response::<GetDiagnosis>(xml.as_bytes()).unwrap_err();
    assert_eq!(err, SoapError::Fault(fault));
    // A request body may not be a fault.
    assert!(matches!(
        soap::decode_request::<GetDiagnosis>(xml.as_bytes()).unwrap_err(),
        SoapError::UnexpectedBodyElement { .. }
    ));
}

#[test]
fn faults_from_other_stacks_are_read() {
    let xml = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Internal error</faultstring><detail><ns:x xmlns:ns="urn:x">Stack <b>trace</b></ns:x></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
    let err = soap::decode_response::<GetDiagnosis>(xml.as_bytes()).unwrap_err();
    let SoapError::Fault(fault) = err else {
        panic!("expected a fault")
    };
    assert_eq!(fault.code, FaultCode::Server);
    assert_eq!(fault.string, "Internal error");
    assert_eq!(fault.detail.as_deref(), Some("Stack trace"));
}

#[test]
fn every_truncation_and_byte_flip_of_a_golden_fails_cleanly() {
    let original = golden("GetDiagnosis_response.xml");
    for end in 0..original.len() {
        let _ = soap::decode_response::<GetDiagnosis>(&original[..end]);
        let _ = npo_contracts::fastpath::scan(&original[..end]);
    }
    for index in (0..original.len()).step_by(7) {
        for replacement in [b'<', b'>', b'&', b'"', 0xFF, b'/'] {
            let mut corrupted = original.clone();
            corrupted[index] = replacement;
            let _ = soap::decode_envelope::<GetDiagnosisResponse>(&corrupted, true);
            let _ = npo_contracts::fastpath::scan(&corrupted);
        }
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = format!(
        "{}{}",
        "<x:a xmlns:x=\"urn:deep\">".repeat(10_000),
        "</x:a>".repeat(10_000)
    );
    let body = VALID_BODY.replace("</GetDiagnosis>", &format!("{deep}</GetDiagnosis>"));
    let err =
        soap::decode_request::<GetDiagnosis>(request_with_body(&body).as_bytes()).unwrap_err();
    assert!(
        matches!(err, SoapError::Xml(XmlError::TooDeep { .. })),
        "{err:?}"
    );
}

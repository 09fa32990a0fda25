//! Engagement index Update 1, FindContent 1 and ProcessNotification 1: golden messages
//! round-trip, cover the schema and validate against the project's and the official
//! schemas (XSD only: the index has no Schematron suite).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use npo_contracts::XmlError;
use npo_contracts::engagement_index::{
    FindContent, FindContentResponse, NOT_APPLICABLE, ProcessNotification,
    ProcessNotificationResponse, Update, UpdateResponse, categorization, service_domain,
};
use npo_contracts::soap::{self, Operation, SoapError};
use npo_contracts::types::{PatientIdKind, ResultCode};
use support::*;

const OURS_DIR: &str = "itintegration_engagementindex_1.0/interactions";
const OFFICIAL_DIR: &str = "itintegration_engagementindex_1.0_R/schemas/interactions";

fn schemas(interaction: &str, responder: &str) -> (String, String) {
    let file = format!("{interaction}Interaction/{responder}Responder_1.0.xsd");
    (
        format!("{OURS_DIR}/{file}"),
        format!("{OFFICIAL_DIR}/{file}"),
    )
}

fn golden_text(name: &str) -> String {
    String::from_utf8_lossy(&golden(name)).into_owned()
}

// ---------------------------------------------------------------- Update

#[test]
fn update_request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<Update>("Update_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("5565594230")
    );
    let transactions = &envelope.body.engagement_transaction;
    assert_eq!(transactions.len(), 3);
    assert_eq!(
        transactions
            .iter()
            .map(|t| t.delete_flag)
            .collect::<Vec<_>>(),
        [false, false, true]
    );
    let voo = &transactions[0].engagement;
    let patient = voo
        .registered_resident_identification
        .to_patient_id()
        .expect("personnummer");
    assert_eq!(patient.kind(), PatientIdKind::Personnummer);
    assert_eq!(voo.service_domain, service_domain::HEALTHCOND_DESCRIPTION);
    assert_eq!(voo.categorization, categorization::CARE_DOCUMENTATION);
    assert_eq!(voo.logical_address, voo.source_system);
    assert_eq!(voo.business_object_instance_identifier, NOT_APPLICABLE);
    assert_eq!(voo.clinical_process_interest_id, NOT_APPLICABLE);
    assert_eq!(
        voo.most_recent_content.as_ref().map(|t| t.as_str()),
        Some("20250917111500")
    );
    assert_eq!(voo.owner, None);
    assert_eq!(
        transactions[1].engagement.categorization,
        categorization::DIAGNOSIS
    );
    let removed = &transactions[2].engagement;
    assert_eq!(
        removed.registered_resident_identification.as_str(),
        "201508079819"
    );
    assert_eq!(removed.service_domain, service_domain::LOGISTICS);
    assert_eq!(removed.categorization, categorization::CARE_CONTACTS);
    assert!(
        removed
            .creation_time
            .as_ref()
            .and_then(|t| t.to_time_stamp())
            .is_some()
    );
    assert_eq!(removed.owner.as_deref(), Some("SE5565594230-B31"));
    assert_covers_schema::<Update>(&["Update_request.xml"], &[]);
}

#[test]
fn update_responses_round_trip_and_cover_the_schema() {
    let ok = round_trip::<UpdateResponse>("Update_response.xml").body;
    assert_eq!((ok.result_code, ok.comment), (ResultCode::Ok, None));
    let refused = round_trip::<UpdateResponse>("Update_response_all_elements.xml").body;
    assert_eq!(refused.result_code, ResultCode::Error);
    assert!(
        refused
            .comment
            .as_deref()
            .is_some_and(|c| c.starts_with("EI002"))
    );
    assert_covers_schema::<UpdateResponse>(
        &["Update_response.xml", "Update_response_all_elements.xml"],
        &[],
    );
}

#[test]
fn update_messages_validate_against_both_schemas() {
    let (ours, official) = schemas("Update", "Update");
    let request = round_trip::<Update>("Update_request.xml");
    validate_golden("Update_request.xml", &request.body, &ours, &official, None);
    for name in ["Update_response.xml", "Update_response_all_elements.xml"] {
        let response = round_trip::<UpdateResponse>(name);
        validate_golden(name, &response.body, &ours, &official, None);
    }
}

#[test]
fn an_update_without_transactions_is_refused() {
    let xml = golden_text("Update_request.xml");
    let start = xml.find("<urn1:engagementTransaction>").expect("first");
    let end = xml.rfind("</urn1:engagementTransaction>").expect("last")
        + "</urn1:engagementTransaction>".len();
    let empty = format!("{}{}", &xml[..start], &xml[end..]);
    let err = soap::decode_request::<Update>(empty.as_bytes()).expect_err("1..n transactions");
    assert_eq!(
        err,
        SoapError::Xml(XmlError::MissingElement {
            parent: "UpdateType",
            element: "engagementTransaction"
        })
    );
}

#[test]
fn a_resident_id_outside_the_pattern_is_refused() {
    // The broken `^...$` pattern of the SVN tag, a hyphenated number, and 11 digits.
    for bad in ["^201403129800$", "20140312-9800", "20140312980"] {
        let xml = golden_text("Update_request.xml").replacen(
            "<urn2:registeredResidentIdentification>201403129800<",
            &format!("<urn2:registeredResidentIdentification>{bad}<"),
            1,
        );
        let err = soap::decode_request::<Update>(xml.as_bytes()).expect_err("pattern");
        assert!(
            matches!(
                err,
                SoapError::Xml(XmlError::InvalidValue {
                    element: "registeredResidentIdentification",
                    ..
                })
            ),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn a_lower_case_result_code_element_is_refused() {
    // The contract spells it `ResultCode`, with a capital R.
    let xml = golden_text("Update_response.xml").replace("ResultCode>", "resultCode>");
    let err = soap::decode_response::<Update>(xml.as_bytes()).expect_err("wrong name");
    assert!(
        matches!(err, SoapError::Xml(XmlError::UnexpectedElement { .. })),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- FindContent

#[test]
fn find_content_request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<FindContent>("FindContent_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("5565594230")
    );
    let request = &envelope.body;
    assert_eq!(
        request.registered_resident_identification.as_str(),
        "201403129800"
    );
    let scope = npo_contracts::registry::Contract::GetCareDocumentation
        .engagement_keys()
        .expect("clinical contract");
    assert_eq!(request.service_domain, scope.service_domain);
    assert_eq!(
        request.categorization.as_deref(),
        Some(scope.categorization)
    );
    assert_eq!(
        request.logical_address.as_deref(),
        Some("SE2321000016-A12B")
    );
    assert_eq!(
        request.business_object_instance_identifier.as_deref(),
        Some(NOT_APPLICABLE)
    );
    assert_eq!(
        request.clinical_process_interest_id.as_deref(),
        Some(NOT_APPLICABLE)
    );
    assert_eq!(
        request.most_recent_content.as_ref().map(|t| t.as_str()),
        Some("20250917111500")
    );
    assert_eq!(request.source_system.as_deref(), Some("SE2321000016-A12B"));
    assert_eq!(
        request.data_controller.as_deref(),
        Some("SE2321000016-0001")
    );
    assert_eq!(request.owner.as_deref(), Some("SE5565594230-B31"));
    assert_covers_schema::<FindContent>(&["FindContent_request.xml"], &[]);
}

#[test]
fn find_content_response_round_trips_and_covers_the_schema() {
    let response = round_trip::<FindContentResponse>("FindContent_response.xml").body;
    let addresses: Vec<_> = response
        .engagement
        .iter()
        .map(|e| e.logical_address.as_str())
        .collect();
    assert_eq!(addresses, ["SE2321000016-A12B", "SE2321000016-F9K2"]);
    for engagement in &response.engagement {
        assert_eq!(
            engagement.registered_resident_identification.as_str(),
            "201403129800"
        );
        assert_eq!(
            engagement.categorization,
            categorization::CARE_DOCUMENTATION
        );
        let created = engagement
            .creation_time
            .as_ref()
            .and_then(|t| t.to_time_stamp())
            .expect("created");
        let updated = engagement
            .update_time
            .as_ref()
            .and_then(|t| t.to_time_stamp())
            .expect("updated");
        assert!(created <= updated);
    }
    assert_covers_schema::<FindContentResponse>(&["FindContent_response.xml"], &[]);
}

#[test]
fn find_content_messages_validate_against_both_schemas() {
    let (ours, official) = schemas("FindContent", "FindContent");
    let request = round_trip::<FindContent>("FindContent_request.xml");
    validate_golden(
        "FindContent_request.xml",
        &request.body,
        &ours,
        &official,
        None,
    );
    let response = round_trip::<FindContentResponse>("FindContent_response.xml");
    validate_golden(
        "FindContent_response.xml",
        &response.body,
        &ours,
        &official,
        None,
    );
}

#[test]
fn a_find_content_without_service_domain_is_refused() {
    let xml = golden_text("FindContent_request.xml").replace(
        "<urn1:serviceDomain>riv:clinicalprocess:healthcond:description</urn1:serviceDomain>",
        "",
    );
    let err = soap::decode_request::<FindContent>(xml.as_bytes()).expect_err("required");
    assert_eq!(
        err,
        SoapError::Xml(XmlError::MissingElement {
            parent: "FindContentType",
            element: "serviceDomain"
        })
    );
}

#[test]
fn find_content_search_fields_must_be_in_the_responder_namespace() {
    // Inside FindContent the fields are the Responder schema's own elements; the same
    // names in the core namespace are not allowed there.
    let xml = golden_text("FindContent_request.xml").replace(
        "<urn1:categorization>voo</urn1:categorization>",
        "<ei:categorization xmlns:ei=\"urn:riv:itintegration:engagementindex:1\">voo</ei:categorization>",
    );
    // The core namespace is the one handed down (ctx), so it is not skipped as an extension.
    let err = soap::decode_request::<FindContent>(xml.as_bytes()).expect_err("wrong namespace");
    assert_eq!(
        err,
        SoapError::Xml(XmlError::WrongNamespace {
            local: "categorization".into(),
            expected: "urn:riv:itintegration:engagementindex:FindContentResponder:1".into(),
            found: "urn:riv:itintegration:engagementindex:1".into(),
        })
    );
}

#[test]
fn an_engagement_with_a_bad_time_stamp_is_refused() {
    let xml = golden_text("FindContent_response.xml").replace(
        "<updateTime>20250917111531</updateTime>",
        "<updateTime>2025-09-17 11:15:31</updateTime>",
    );
    let err = soap::decode_response::<FindContent>(xml.as_bytes()).expect_err("not a TS");
    assert!(
        matches!(
            err,
            SoapError::Xml(XmlError::InvalidValue {
                element: "updateTime",
                ..
            })
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- ProcessNotification

#[test]
fn process_notification_request_round_trips_and_reads_every_field() {
    let envelope = round_trip::<ProcessNotification>("ProcessNotification_request.xml");
    assert_eq!(
        envelope.header.logical_address.as_deref(),
        Some("2321000016")
    );
    let transactions = &envelope.body.engagement_transaction;
    assert_eq!(transactions.len(), 2);
    assert!(!transactions[0].delete_flag && transactions[1].delete_flag);
    assert!(
        transactions
            .iter()
            .all(|t| t.engagement.owner.as_deref() == Some("SE5565594230-B31"))
    );
    assert_eq!(
        transactions[0]
            .engagement
            .update_time
            .as_ref()
            .map(|t| t.as_str()),
        Some("20250917111531")
    );
    assert_covers_schema::<ProcessNotification>(&["ProcessNotification_request.xml"], &[]);
}

#[test]
fn process_notification_responses_round_trip_and_cover_the_schema() {
    let ok = round_trip::<ProcessNotificationResponse>("ProcessNotification_response.xml").body;
    assert_eq!((ok.result_code, ok.comment), (ResultCode::Ok, None));
    let refused =
        round_trip::<ProcessNotificationResponse>("ProcessNotification_response_all_elements.xml")
            .body;
    assert_eq!(refused.result_code, ResultCode::Error);
    assert!(
        refused
            .comment
            .as_deref()
            .is_some_and(|c| c.starts_with("EI004"))
    );
    assert_covers_schema::<ProcessNotificationResponse>(
        &[
            "ProcessNotification_response.xml",
            "ProcessNotification_response_all_elements.xml",
        ],
        &[],
    );
}

#[test]
fn process_notification_messages_validate_against_both_schemas() {
    let (ours, official) = schemas("ProcessNotification", "ProcessNotification");
    let request = round_trip::<ProcessNotification>("ProcessNotification_request.xml");
    validate_golden(
        "ProcessNotification_request.xml",
        &request.body,
        &ours,
        &official,
        None,
    );
    for name in [
        "ProcessNotification_response.xml",
        "ProcessNotification_response_all_elements.xml",
    ] {
        let response = round_trip::<ProcessNotificationResponse>(name);
        validate_golden(name, &response.body, &ours, &official, None);
    }
}

#[test]
fn a_notification_with_a_missing_key_field_is_refused() {
    let xml = golden_text("ProcessNotification_request.xml").replacen(
        "<urn2:dataController>SE2321000016-0001</urn2:dataController>",
        "",
        1,
    );
    let err = soap::decode_request::<ProcessNotification>(xml.as_bytes()).expect_err("required");
    assert_eq!(
        err,
        SoapError::Xml(XmlError::MissingElement {
            parent: "EngagementType",
            element: "dataController"
        })
    );
}

#[test]
fn a_notification_answer_with_an_unknown_result_code_is_refused() {
    let xml = golden_text("ProcessNotification_response.xml").replace(">OK<", ">DONE<");
    let err = soap::decode_response::<ProcessNotification>(xml.as_bytes()).expect_err("enum");
    assert!(
        matches!(
            err,
            SoapError::Xml(XmlError::InvalidValue {
                element: "ResultCode",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn the_operations_name_the_official_soap_actions() {
    assert_eq!(
        Update::SOAP_ACTION,
        "urn:riv:itintegration:engagementindex:UpdateResponder:1:Update"
    );
    assert_eq!(
        FindContent::SOAP_ACTION,
        "urn:riv:itintegration:engagementindex:FindContentResponder:1:FindContent"
    );
    assert_eq!(
        ProcessNotification::SOAP_ACTION,
        "urn:riv:itintegration:engagementindex:ProcessNotificationResponder:1:ProcessNotification"
    );
}

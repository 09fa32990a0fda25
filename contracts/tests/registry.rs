//! The contract registry agrees with every operation type: namespace, name, major
//! version, SOAPAction, endpoint path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use npo_contracts::registry::Contract;
use npo_contracts::soap::Operation;
use npo_contracts::xml::XmlRoot;
use npo_contracts::{
    engagement_index, get_care_contacts, get_care_documentation, get_diagnosis,
    get_medication_history, get_observations, get_vaccination_history, ping_for_configuration,
};

fn check<Op: Operation>(contract: Contract) {
    assert_eq!(Op::NAME, contract.name());
    assert_eq!(Op::CONTRACT, contract.name());
    assert_eq!(Op::NS, contract.responder_ns());
    assert_eq!(Op::MAJOR, contract.major());
    assert_eq!(Op::SOAP_ACTION, contract.soap_action());
    assert_eq!(<Op::Response as XmlRoot>::NS, contract.responder_ns());
    assert_eq!(
        <Op::Response as XmlRoot>::NAME,
        format!("{}Response", contract.name())
    );
    assert_eq!(Contract::from_request(Op::NS, Op::NAME), Some(contract));
    assert_eq!(Contract::from_namespace(Op::NS), Some(contract));
    assert_eq!(
        contract.endpoint_path(),
        format!("/{}/{}/rivtabp21", Op::CONTRACT, Op::MAJOR)
    );
}

#[test]
fn every_operation_matches_its_registry_entry() {
    check::<get_diagnosis::GetDiagnosis>(Contract::GetDiagnosis);
    check::<get_care_contacts::GetCareContacts>(Contract::GetCareContacts);
    check::<get_medication_history::GetMedicationHistory>(Contract::GetMedicationHistory);
    check::<get_vaccination_history::GetVaccinationHistory>(Contract::GetVaccinationHistory);
    check::<get_care_documentation::GetCareDocumentation>(Contract::GetCareDocumentation);
    check::<get_observations::GetObservations>(Contract::GetObservations);
    check::<ping_for_configuration::PingForConfiguration>(Contract::PingForConfiguration);
    check::<engagement_index::Update>(Contract::Update);
    check::<engagement_index::FindContent>(Contract::FindContent);
    check::<engagement_index::ProcessNotification>(Contract::ProcessNotification);
}

#[test]
fn clinical_contracts_have_engagement_keys_and_infrastructure_has_none() {
    for contract in Contract::CLINICAL {
        let keys = contract.engagement_keys().expect("clinical contract");
        assert_eq!(keys.service_domain, format!("riv:{}", contract.domain()));
    }
    assert_eq!(
        Contract::GetDiagnosis
            .engagement_keys()
            .map(|k| k.categorization),
        Some("dia")
    );
    assert_eq!(
        Contract::GetObservations
            .engagement_keys()
            .map(|k| k.categorization),
        Some("chb-o")
    );
    assert!(Contract::FindContent.engagement_keys().is_none());
    assert_eq!(
        Contract::from_namespace("urn:riv:unknown:Responder:1"),
        None
    );
}

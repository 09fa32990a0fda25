//! One module per contract: the case's [`Query`](crate::model::Query) as that
//! contract's request, and its response (decoded strictly with npo-contracts' typed
//! decoder, which checks what the XSD checks) as [`Answer`](crate::model::Answer) with
//! the field rules of the contract's suite checked per record.

pub mod get_care_contacts;
pub mod get_care_documentation;
pub mod get_diagnosis;
pub mod get_medication_history;
pub mod get_observations;
pub mod get_vaccination_history;

use npo_contracts::registry::Contract;
use npo_contracts::soap::SoapError;
use npo_contracts::types::PersonIdType;

use crate::model::{Answer, Query};

/// The request envelope of `contract` for `query`.
pub fn request(contract: Contract, query: &Query) -> Option<String> {
    Some(match contract {
        Contract::GetDiagnosis => get_diagnosis::request(query),
        Contract::GetCareContacts => get_care_contacts::request(query),
        Contract::GetMedicationHistory => get_medication_history::request(query),
        Contract::GetVaccinationHistory => get_vaccination_history::request(query),
        Contract::GetCareDocumentation => get_care_documentation::request(query),
        Contract::GetObservations => get_observations::request(query)?,
        _ => return None,
    })
}

/// Decodes `contract`'s answer; `npo` adds the NPÖ compatibility rules.
pub fn answer(contract: Contract, body: &[u8], npo: bool) -> Result<Answer, SoapError> {
    let decoded = match contract {
        Contract::GetDiagnosis => get_diagnosis::answer(body, npo),
        Contract::GetCareContacts => get_care_contacts::answer(body),
        Contract::GetMedicationHistory => get_medication_history::answer(body),
        Contract::GetVaccinationHistory => get_vaccination_history::answer(body),
        Contract::GetCareDocumentation => get_care_documentation::answer(body),
        _ => get_observations::answer(body),
    };
    match decoded {
        Err(SoapError::Fault(fault)) => Ok(Answer::Fault(fault)),
        other => other,
    }
}

fn person(query: &Query) -> PersonIdType {
    PersonIdType {
        id: query.patient_id.clone(),
        r#type: query.patient_id_type.clone(),
    }
}

fn patient_of(id: &PersonIdType) -> Option<(String, String)> {
    Some((id.id.clone(), id.r#type.clone()))
}

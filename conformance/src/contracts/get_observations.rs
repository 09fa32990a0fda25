//! GetObservations 1: no official suite; the project cases Basic, DateBoundaries and
//! NonExistentPatientId. The response has no `result` element.

use npo_contracts::get_observations::{GetObservations, GetObservationsResponse};
use npo_contracts::healthcond_basic::{IiType, Uuid};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::TimePeriodType;

use crate::model::{Answer, Query, RecordView};

/// The request (`None` only if a fresh UUID were not a valid UuidType, which cannot
/// happen). `interactionAgreementId` is required by the schema: a fresh UUID.
pub fn request(query: &Query) -> Option<String> {
    let agreement = Uuid::parse(&uuid::Uuid::new_v4().to_string())?;
    let request = GetObservations {
        patient_id: IiType::new(&query.patient_id_type, &query.patient_id),
        time: query.period.map(|(start, end)| TimePeriodType {
            start: Some(start.start_of_day()),
            end: Some(end.end_of_day()),
        }),
        observation_type: Vec::new(),
        observation_id: Vec::new(),
        care_giver_id: None,
        care_unit_id: None,
        interaction_agreement_id: agreement,
        source_system_hsa_id: query.source_system_hsa_id.clone(),
        relation: Vec::new(),
    };
    Some(soap::encode_request(&query.logical_address, &request))
}

/// The answer: one record per observation (id `extension` as documentId, `root` the
/// source system).
pub fn answer(body: &[u8]) -> Result<Answer, SoapError> {
    let response: GetObservationsResponse = soap::decode_response::<GetObservations>(body)?.body;
    let mut records = Vec::new();
    for group in &response.observation_group {
        let care_unit = group.performer_role.care_unit.as_ref();
        for observation in &group.observation {
            records.push(RecordView {
                document_id: observation.id.extension.clone(),
                source_system: group.source_system.id.extension.clone(),
                patient: Some((
                    group.patient.id.extension.clone(),
                    group.patient.id.root.clone(),
                )),
                care_unit: care_unit.map(|u| u.id.extension.clone()),
                care_giver: care_unit.map(|u| u.care_giver.id.extension.clone()),
                care_contact_id: None,
                prescription_status: None,
                problems: Vec::new(),
            });
        }
    }
    Ok(Answer::Response {
        records,
        result: None,
    })
}

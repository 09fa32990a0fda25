//! What aggregation needs to know of each of the six clinical contracts: where the
//! patient and the source-system filter are in the request, how an empty answer looks,
//! how answers are merged and how a source's `result` ERROR reads.

use npo_contracts::get_care_contacts::{GetCareContacts, GetCareContactsResponse};
use npo_contracts::get_care_documentation::{GetCareDocumentation, GetCareDocumentationResponse};
use npo_contracts::get_diagnosis::{GetDiagnosis, GetDiagnosisResponse};
use npo_contracts::get_medication_history::{GetMedicationHistory, GetMedicationHistoryResponse};
use npo_contracts::get_observations::{GetObservations, GetObservationsResponse};
use npo_contracts::get_vaccination_history::{
    GetVaccinationHistory, GetVaccinationHistoryResponse,
};
use npo_contracts::healthcond_description_v3::ResultType as ResultTypeV3;
use npo_contracts::soap::Operation;
use npo_contracts::types::{ResultCode, ResultType};

/// A clinical contract the aggregating services fan out.
pub trait Aggregated: Operation {
    /// The patient: (number, identifier type OID), as sent.
    fn patient(&self) -> (&str, &str);

    /// The request's own source-system filter (`sourceSystemHSAId` or
    /// `sourceSystemId`), which narrows the engagement index search.
    fn source_system(&self) -> Option<&str>;

    /// An answer without records, `result` OK.
    fn empty_response() -> Self::Response;

    /// Appends `part`'s records to `merged` (`merged` keeps its own `result`).
    fn merge(merged: &mut Self::Response, part: Self::Response);

    /// Why a source's answer is an error (`result` ERROR): (code, text).
    fn failure(response: &Self::Response) -> Option<(String, String)>;
}

fn log_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `result` ERROR in the 2.x result type: the error code (else `ERROR`) and message.
fn result_failure(result: &ResultType) -> Option<(String, String)> {
    (result.result_code == ResultCode::Error).then(|| {
        (
            result
                .error_code
                .map_or_else(|| "ERROR".to_owned(), |c| c.as_str().to_owned()),
            result
                .message
                .clone()
                .unwrap_or_else(|| "The source answered resultCode ERROR.".to_owned()),
        )
    })
}

impl Aggregated for GetDiagnosis {
    fn patient(&self) -> (&str, &str) {
        (&self.patient_id.id, &self.patient_id.r#type)
    }
    fn source_system(&self) -> Option<&str> {
        self.source_system_hsa_id.as_deref()
    }
    fn empty_response() -> GetDiagnosisResponse {
        GetDiagnosisResponse {
            diagnosis: Vec::new(),
            result: Some(ResultType::ok(log_id())),
        }
    }
    fn merge(merged: &mut GetDiagnosisResponse, part: GetDiagnosisResponse) {
        merged.diagnosis.extend(part.diagnosis);
    }
    fn failure(response: &GetDiagnosisResponse) -> Option<(String, String)> {
        response.result.as_ref().and_then(result_failure)
    }
}

impl Aggregated for GetCareContacts {
    fn patient(&self) -> (&str, &str) {
        (&self.patient_id.id, &self.patient_id.r#type)
    }
    fn source_system(&self) -> Option<&str> {
        self.source_system_hsa_id.as_deref()
    }
    fn empty_response() -> GetCareContactsResponse {
        GetCareContactsResponse {
            care_contact: Vec::new(),
            result: ResultType::ok(log_id()),
        }
    }
    fn merge(merged: &mut GetCareContactsResponse, part: GetCareContactsResponse) {
        merged.care_contact.extend(part.care_contact);
    }
    fn failure(response: &GetCareContactsResponse) -> Option<(String, String)> {
        result_failure(&response.result)
    }
}

impl Aggregated for GetMedicationHistory {
    fn patient(&self) -> (&str, &str) {
        (&self.patient_id.id, &self.patient_id.r#type)
    }
    fn source_system(&self) -> Option<&str> {
        self.source_system_hsa_id.as_deref()
    }
    fn empty_response() -> GetMedicationHistoryResponse {
        GetMedicationHistoryResponse {
            medication_medical_record: Vec::new(),
            result: ResultType::ok(log_id()),
        }
    }
    fn merge(merged: &mut GetMedicationHistoryResponse, part: GetMedicationHistoryResponse) {
        merged
            .medication_medical_record
            .extend(part.medication_medical_record);
    }
    fn failure(response: &GetMedicationHistoryResponse) -> Option<(String, String)> {
        result_failure(&response.result)
    }
}

impl Aggregated for GetVaccinationHistory {
    fn patient(&self) -> (&str, &str) {
        (&self.patient_id.id, &self.patient_id.r#type)
    }
    fn source_system(&self) -> Option<&str> {
        self.source_system_hsa_id.as_deref()
    }
    fn empty_response() -> GetVaccinationHistoryResponse {
        GetVaccinationHistoryResponse {
            vaccination_medical_record: Vec::new(),
            result: ResultType::ok(log_id()),
        }
    }
    fn merge(merged: &mut GetVaccinationHistoryResponse, part: GetVaccinationHistoryResponse) {
        merged
            .vaccination_medical_record
            .extend(part.vaccination_medical_record);
    }
    fn failure(response: &GetVaccinationHistoryResponse) -> Option<(String, String)> {
        result_failure(&response.result)
    }
}

impl Aggregated for GetCareDocumentation {
    fn patient(&self) -> (&str, &str) {
        (
            self.patient_id.extension.as_deref().unwrap_or_default(),
            &self.patient_id.root,
        )
    }
    fn source_system(&self) -> Option<&str> {
        self.source_system_id
            .as_ref()
            .and_then(|id| id.extension.as_deref())
    }
    fn empty_response() -> GetCareDocumentationResponse {
        GetCareDocumentationResponse {
            care_documentation: Vec::new(),
            has_more: Vec::new(),
            result: ResultTypeV3::ok(),
        }
    }
    /// Notes and `hasMore` (each names its source's logical address) are appended.
    fn merge(merged: &mut GetCareDocumentationResponse, part: GetCareDocumentationResponse) {
        merged.care_documentation.extend(part.care_documentation);
        merged.has_more.extend(part.has_more);
    }
    fn failure(response: &GetCareDocumentationResponse) -> Option<(String, String)> {
        (response.result.result_code == ResultCode::Error).then(|| {
            (
                "ERROR".to_owned(),
                response
                    .result
                    .result_text
                    .clone()
                    .unwrap_or_else(|| "The source answered resultCode ERROR.".to_owned()),
            )
        })
    }
}

impl Aggregated for GetObservations {
    fn patient(&self) -> (&str, &str) {
        (&self.patient_id.extension, &self.patient_id.root)
    }
    fn source_system(&self) -> Option<&str> {
        self.source_system_hsa_id.as_deref()
    }
    fn empty_response() -> GetObservationsResponse {
        GetObservationsResponse {
            observation_group: Vec::new(),
        }
    }
    fn merge(merged: &mut GetObservationsResponse, part: GetObservationsResponse) {
        merged.observation_group.extend(part.observation_group);
    }
    /// GetObservations 1 has no `result`: a failing source answers with a SOAP Fault.
    fn failure(_response: &GetObservationsResponse) -> Option<(String, String)> {
        None
    }
}

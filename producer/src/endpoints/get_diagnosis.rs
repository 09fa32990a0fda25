//! `POST /GetDiagnosis/2/rivtabp21`.

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::get_diagnosis::{GetDiagnosis, GetDiagnosisResponse};
use npo_contracts::types::ResultType;

use super::soap::{AppState, CommonRequest, common_filters, handle, new_log_id};

/// Answers GetDiagnosis.
pub async fn get_diagnosis(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    handle::<GetDiagnosis, _>(&req, payload, &state, |state, request, context| {
        let common = CommonRequest {
            period: request.time_period.as_ref(),
            source_system_hsa_id: request.source_system_hsa_id.as_deref(),
            care_contact_ids: &request.care_contact_id,
            care_unit_hsa_ids: &request.care_unit_hsa_id,
            ..CommonRequest::person(&request.patient_id)
        };
        let filters = match common_filters(&common, &context) {
            Ok(filters) => filters,
            Err(message) => {
                return Ok(GetDiagnosisResponse {
                    diagnosis: Vec::new(),
                    result: Some(ResultType::invalid_request(new_log_id(), message)),
                });
            }
        };
        let mut diagnosis = state.source.diagnoses(&filters)?;
        // Whatever the journal returns: never a nullified record, never a field the
        // contract forbids (documentTitle, documentTime, nullified, nullifiedReason).
        diagnosis.retain(|d| d.diagnosis_header.nullified != Some(true));
        for d in &mut diagnosis {
            let header = &mut d.diagnosis_header;
            header.document_title = None;
            header.document_time = None;
            header.nullified = None;
            header.nullified_reason = None;
        }
        Ok(GetDiagnosisResponse {
            diagnosis,
            result: Some(ResultType::ok(new_log_id())),
        })
    })
    .await
}

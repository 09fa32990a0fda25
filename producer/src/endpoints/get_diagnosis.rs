//! `POST /GetDiagnosis/2/rivtabp21`.

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::get_diagnosis::{GetDiagnosis, GetDiagnosisResponseWriter};
use npo_contracts::types::ResultType;

use super::soap::{AppState, CommonRequest, common_filters, handle_encoded, new_log_id};

/// Records the answer's buffer is sized for up front (it grows past them).
const EXPECTED_RECORDS: usize = 64;

/// Answers GetDiagnosis. The records are written into the response as the journal
/// reads them ([`crate::source::JournalSource::write_diagnoses`]): never a nullified
/// record, never a field the contract forbids (documentTitle, documentTime,
/// nullified, nullifiedReason).
pub async fn get_diagnosis(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    handle_encoded::<GetDiagnosis, _>(&req, payload, &state, |state, request, context| {
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
                return Ok(GetDiagnosisResponseWriter::new(0)
                    .finish(&ResultType::invalid_request(new_log_id(), message)));
            }
        };
        let mut out = GetDiagnosisResponseWriter::new(EXPECTED_RECORDS);
        state.source.write_diagnoses(&filters, &mut out)?;
        Ok(out.finish(&ResultType::ok(new_log_id())))
    })
    .await
}

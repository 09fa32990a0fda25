//! `POST /GetVaccinationHistory/2/rivtabp21`.
//!
//! The request spells its filters `careUnitHSAid` and `sourceSystemHSAid` and has no
//! care giver filter; its `timePeriod` is the actoutcome DatePeriodType, whose ends are
//! both optional (see [`open_period`]). The period rule is the journal's
//! ([`JournalSource::vaccinations`]).
//!
//! Safety net: nullified records are dropped, and every record sent carries
//! `nullified` = false and no nullifiedReason (the contract's field rules want the
//! element in every header).
//!
//! [`JournalSource::vaccinations`]: crate::source::JournalSource::vaccinations

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::get_vaccination_history::{
    GetVaccinationHistory, GetVaccinationHistoryResponse,
};
use npo_contracts::types::ResultType;

use super::get_medication_history::open_period;
use super::soap::{AppState, CommonRequest, common_filters, handle, new_log_id};

/// Answers GetVaccinationHistory.
pub async fn get_vaccination_history(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    handle::<GetVaccinationHistory, _>(&req, payload, &state, |state, request, context| {
        let invalid = |message: String| GetVaccinationHistoryResponse {
            vaccination_medical_record: Vec::new(),
            result: ResultType::invalid_request(new_log_id(), message),
        };
        let common = CommonRequest {
            source_system_hsa_id: request.source_system_hsa_id.as_deref(),
            care_contact_ids: &request.care_contact_id,
            care_unit_hsa_ids: &request.care_unit_hsa_id,
            ..CommonRequest::person(&request.patient_id)
        };
        let mut filters = match common_filters(&common, &context) {
            Ok(filters) => filters,
            // The request names the element with a lower-case d.
            Err(message) => {
                return Ok(invalid(
                    message.replace("sourceSystemHSAId", "sourceSystemHSAid"),
                ));
            }
        };
        filters.period = match open_period(request.time_period.as_ref()) {
            Ok(period) => period,
            Err(message) => return Ok(invalid(message)),
        };
        let mut records = state.source.vaccinations(&filters)?;
        records.retain(|r| r.vaccination_medical_record_header.nullified != Some(true));
        for record in &mut records {
            let header = &mut record.vaccination_medical_record_header;
            header.nullified = Some(false);
            header.nullified_reason = None;
        }
        Ok(GetVaccinationHistoryResponse {
            vaccination_medical_record: records,
            result: ResultType::ok(new_log_id()),
        })
    })
    .await
}

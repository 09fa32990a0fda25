//! `POST /GetCareDocumentation/3/rivtabp21`.
//!
//! Request rules: `patientId` is an IIType (`root` the personnummer or
//! samordningsnummer OID, `extension` a valid number of that kind); `careUnit`,
//! `healthcareProvider` and `sourceSystemId` are HSA IITypes (`root`
//! 1.2.752.129.2.1.4.1, `extension` the HSA-ID); `sourceSystemId`, when given, must
//! name the LogicalAddress's system; `datePeriod` must not end before it starts.
//! This producer always answers in full and never sends `hasMore`, so a
//! `hasMoreReference` cannot be one of ours and is refused. A request breaking a rule
//! is answered with `result` resultCode ERROR and a `resultText` that starts with
//! `INVALID_REQUEST: ` and names the rule (this contract's ResultType has no errorCode
//! or logId; the text never echoes the patient's number). Period rule: the record's
//! time stamp (authorTime) in the period, end points included. The 3.0 request has no
//! `careContactId`.

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::get_care_documentation::{GetCareDocumentation, GetCareDocumentationResponse};
use npo_contracts::healthcond_description_v3::{HSA_ID_OID, ResultType, hsa_id_of};
use npo_contracts::types::IiType;

use super::soap::{AppState, CallContext, CommonRequest, common_filters, handle};
use crate::source::Filters;

/// The HSA-ID of an HSA IIType, or the INVALID_REQUEST text naming `element`.
fn hsa_id(element: &str, id: &IiType) -> Result<String, String> {
    hsa_id_of(id)
        .map(str::trim)
        .filter(|hsa| !hsa.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!("{element}: root must be the HSA-ID OID {HSA_ID_OID} and extension an HSA-ID")
        })
}

/// The filters of a request, or the INVALID_REQUEST text.
fn filters(request: &GetCareDocumentation, context: &CallContext) -> Result<Filters, String> {
    let hsa_ids = |element: &str, ids: &[IiType]| -> Result<Vec<String>, String> {
        ids.iter().map(|id| hsa_id(element, id)).collect()
    };
    let care_units = hsa_ids("careUnit", &request.care_unit)?;
    let care_givers = hsa_ids("healthcareProvider", &request.healthcare_provider)?;
    if let Some(id) = &request.source_system_id
        && !hsa_id("sourceSystemId", id)?.eq_ignore_ascii_case(&context.source_system)
    {
        return Err("sourceSystemId must name the source system of the LogicalAddress".into());
    }
    let patient = &request.patient_id;
    let common = CommonRequest {
        patient_id: patient.extension.as_deref().unwrap_or_default(),
        patient_id_type: &patient.root,
        period: request.date_period.as_ref(),
        source_system_hsa_id: None,
        care_contact_ids: &[],
        care_unit_hsa_ids: &care_units,
        care_giver_hsa_ids: &care_givers,
    };
    common_filters(&common, context)
}

/// Answers GetCareDocumentation.
pub async fn get_care_documentation(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    handle::<GetCareDocumentation, _>(&req, payload, &state, |state, request, context| {
        let invalid = |message: String| GetCareDocumentationResponse {
            care_documentation: Vec::new(),
            has_more: Vec::new(),
            result: ResultType::error(format!("INVALID_REQUEST: {message}")),
        };
        if request.has_more_reference.is_some() {
            return Ok(invalid(
                "hasMoreReference: this producer answers in full and never sends hasMore, \
                 so there is nothing to continue"
                    .into(),
            ));
        }
        let filters = match filters(&request, &context) {
            Ok(filters) => filters,
            Err(message) => return Ok(invalid(message)),
        };
        let mut care_documentation = state.source.care_documentation(&filters)?;
        // Whatever the journal returns: only the LogicalAddress's source system (R3).
        // The 3.0 record has no nullified flag or forbidden header element; a journal
        // must leave nullified notes out (the store never selects them).
        care_documentation.retain(|d| {
            hsa_id_of(&d.header.source_system_id)
                .is_some_and(|id| id.trim().eq_ignore_ascii_case(&filters.source_system))
        });
        Ok(GetCareDocumentationResponse {
            care_documentation,
            has_more: Vec::new(),
            result: ResultType::ok(),
        })
    })
    .await
}

//! `POST /GetCareContacts/3/rivtabp21`.
//!
//! Request rules (TKB field rules, shared with GetDiagnosis): the patient id must be a
//! valid personnummer/samordningsnummer of the stated type; `sourceSystemHSAId`, when
//! given, must equal the LogicalAddress; `careContactId` requires `sourceSystemHSAId`
//! and names contacts by their `documentId`; `datePeriod` must not end before it
//! starts. A request breaking one is answered with `result` ERROR + INVALID_REQUEST
//! and a message. Period rule: authorTime in the period, or the contact's time period
//! overlaps it (end points included; planned contacts without an end are open-ended).

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::get_care_contacts::{GetCareContacts, GetCareContactsResponse};
use npo_contracts::types::ResultType;

use super::soap::{AppState, CommonRequest, common_filters, handle, new_log_id};

/// Answers GetCareContacts.
pub async fn get_care_contacts(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    handle::<GetCareContacts, _>(&req, payload, &state, |state, request, context| {
        let common = CommonRequest {
            period: request.date_period.as_ref(),
            source_system_hsa_id: request.source_system_hsa_id.as_deref(),
            care_contact_ids: &request.care_contact_id,
            care_unit_hsa_ids: &request.care_unit_hsa_id,
            care_giver_hsa_ids: &request.care_giver_hsa_id,
            ..CommonRequest::person(&request.patient_id)
        };
        let filters = match common_filters(&common, &context) {
            Ok(filters) => filters,
            Err(message) => {
                return Ok(GetCareContactsResponse {
                    care_contact: Vec::new(),
                    result: ResultType::invalid_request(new_log_id(), message),
                });
            }
        };
        let mut care_contact = state.source.care_contacts(&filters)?;
        // Whatever the journal returns: only the LogicalAddress's source system (R3),
        // never a nullified record, never a field the contract forbids (documentTitle,
        // documentTime, legalAuthenticator, nullified, nullifiedReason, careContactId:
        // the contact's own id is documentId).
        care_contact.retain(|c| {
            let header = &c.care_contact_header;
            header.nullified != Some(true)
                && header
                    .source_system_hsa_id
                    .trim()
                    .eq_ignore_ascii_case(&filters.source_system)
        });
        for c in &mut care_contact {
            let header = &mut c.care_contact_header;
            header.document_title = None;
            header.document_time = None;
            header.legal_authenticator = None;
            header.nullified = None;
            header.nullified_reason = None;
            header.care_contact_id = None;
        }
        Ok(GetCareContactsResponse {
            care_contact,
            result: ResultType::ok(new_log_id()),
        })
    })
    .await
}

//! GetCareContacts 3 (suite: clinicalprocess_logistics_logistics 3).

use npo_contracts::get_care_contacts::GetCareContacts;
use npo_contracts::logistics::CareContactType;
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::DatePeriodType;

use super::{patient_of, person};
use crate::model::{Answer, Query, RecordView, ResultView, check_cv, check_nullified, forbid};

/// The request.
pub fn request(query: &Query) -> String {
    let request = GetCareContacts {
        care_unit_hsa_id: query.care_unit_hsa_ids.clone(),
        care_giver_hsa_id: query.care_giver_hsa_ids.clone(),
        patient_id: person(query),
        date_period: query
            .period
            .map(|(start, end)| DatePeriodType { start, end }),
        source_system_hsa_id: query.source_system_hsa_id.clone(),
        care_contact_id: query.care_contact_ids.clone(),
    };
    soap::encode_request(&query.logical_address, &request)
}

/// The answer.
pub fn answer(body: &[u8]) -> Result<Answer, SoapError> {
    let response = soap::decode_response::<GetCareContacts>(body)?.body;
    let r = response.result;
    Ok(Answer::Response {
        records: response.care_contact.iter().map(view).collect(),
        result: Some(ResultView {
            code: r.result_code.as_str().to_owned(),
            error_code: r.error_code.map(|c| c.as_str().to_owned()),
            has_error_code: true,
            log_id: Some(r.log_id),
            text: r.message,
        }),
    })
}

fn view(contact: &CareContactType) -> RecordView {
    let header = &contact.care_contact_header;
    let body = &contact.care_contact_body;
    let author = &header.accountable_healthcare_professional;
    let mut problems = Vec::new();
    check_nullified(header.nullified, true, &mut problems);
    forbid(
        &[
            ("documentTitle", header.document_title.is_some()),
            ("documentTime", header.document_time.is_some()),
            ("legalAuthenticator", header.legal_authenticator.is_some()),
            ("nullifiedReason", header.nullified_reason.is_some()),
            ("careContactId", header.care_contact_id.is_some()),
        ],
        &mut problems,
    );
    check_cv(
        "healthcareProfessionalRoleCode",
        author.healthcare_professional_role_code.as_ref(),
        &mut problems,
    );
    check_cv(
        "careContactCode",
        body.care_contact_code.as_ref(),
        &mut problems,
    );
    check_cv(
        "careContactStatus",
        body.care_contact_status.as_ref(),
        &mut problems,
    );
    RecordView {
        document_id: header.document_id.clone(),
        source_system: header.source_system_hsa_id.clone(),
        patient: patient_of(&header.patient_id),
        care_unit: author.healthcare_professional_care_unit_hsa_id.clone(),
        care_giver: author.healthcare_professional_care_giver_hsa_id.clone(),
        care_contact_id: Some(header.document_id.clone()),
        prescription_status: None,
        problems,
    }
}

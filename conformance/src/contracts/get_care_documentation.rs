//! GetCareDocumentation 3 (suite: clinicalprocess_healthcond_description; the 3.0
//! request has no careContactId, so the care contact cases do not apply).

use npo_contracts::get_care_documentation::GetCareDocumentation;
use npo_contracts::healthcond_description_v3::{CareDocumentationType, hsa_id_of, hsa_ii};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::{DatePeriodType, IiType};

use crate::model::{Answer, Query, RecordView, ResultView, check_cv};

/// The request.
pub fn request(query: &Query) -> String {
    let request = GetCareDocumentation {
        care_unit: query.care_unit_hsa_ids.iter().map(|h| hsa_ii(h)).collect(),
        healthcare_provider: query.care_giver_hsa_ids.iter().map(|h| hsa_ii(h)).collect(),
        patient_id: IiType {
            root: query.patient_id_type.clone(),
            extension: Some(query.patient_id.clone()),
        },
        date_period: query
            .period
            .map(|(start, end)| DatePeriodType { start, end }),
        source_system_id: query.source_system_hsa_id.as_deref().map(hsa_ii),
        has_more_reference: None,
    };
    soap::encode_request(&query.logical_address, &request)
}

/// The answer.
pub fn answer(body: &[u8]) -> Result<Answer, SoapError> {
    let response = soap::decode_response::<GetCareDocumentation>(body)?.body;
    let r = response.result;
    Ok(Answer::Response {
        records: response.care_documentation.iter().map(view).collect(),
        result: Some(ResultView {
            code: r.result_code.as_str().to_owned(),
            error_code: None,
            has_error_code: false,
            log_id: None,
            text: r.result_text,
        }),
    })
}

fn hsa(ii: Option<&IiType>) -> Option<String> {
    ii.and_then(hsa_id_of).map(str::to_owned)
}

fn view(record: &CareDocumentationType) -> RecordView {
    let header = &record.header;
    let access = &header.access_control_header;
    let body = &record.body;
    let mut problems = Vec::new();
    check_cv(
        "clinicalDocumentNoteCode",
        Some(&body.clinical_document_note_code),
        &mut problems,
    );
    if body.clinical_document_note_text.is_some() == body.multimedia_entry.is_some() {
        problems.push("either clinicalDocumentNoteText or multimediaEntry must be given".into());
    }
    if let Some(entry) = &body.multimedia_entry
        && entry.value.is_some() == entry.reference.is_some()
    {
        problems.push("multimediaEntry: either value or reference, not both".into());
    }
    if let Some(author) = &header.author {
        check_cv("author.byRole", author.by_role.as_ref(), &mut problems);
    }
    RecordView {
        document_id: header.record.id.extension.clone().unwrap_or_default(),
        source_system: hsa_id_of(&header.source_system_id)
            .unwrap_or_default()
            .to_owned(),
        patient: Some((
            access.patient_id.extension.clone().unwrap_or_default(),
            access.patient_id.root.clone(),
        )),
        care_unit: hsa(access.accountable_care_unit.as_ref()),
        care_giver: hsa(access.accountable_healthcare_provider.as_ref()),
        care_contact_id: None,
        prescription_status: None,
        problems,
    }
}

//! GetVaccinationHistory 2 (suite: clinicalprocess_activityprescription_actoutcome 2).

use npo_contracts::actoutcome::{DatePeriodType, VaccinationMedicalRecordType};
use npo_contracts::get_vaccination_history::GetVaccinationHistory;
use npo_contracts::soap::{self, SoapError};

use super::{patient_of, person};
use crate::model::{Answer, Query, RecordView, ResultView, check_cv, check_nullified};

/// The request.
pub fn request(query: &Query) -> String {
    let request = GetVaccinationHistory {
        care_unit_hsa_id: query.care_unit_hsa_ids.clone(),
        patient_id: person(query),
        time_period: query.period.map(|(start, end)| DatePeriodType {
            start: Some(start),
            end: Some(end),
        }),
        source_system_hsa_id: query.source_system_hsa_id.clone(),
        care_contact_id: query.care_contact_ids.clone(),
    };
    soap::encode_request(&query.logical_address, &request)
}

/// The answer.
pub fn answer(body: &[u8]) -> Result<Answer, SoapError> {
    let response = soap::decode_response::<GetVaccinationHistory>(body)?.body;
    let r = response.result;
    Ok(Answer::Response {
        records: response
            .vaccination_medical_record
            .iter()
            .map(view)
            .collect(),
        result: Some(ResultView {
            code: r.result_code.as_str().to_owned(),
            error_code: r.error_code.map(|c| c.as_str().to_owned()),
            has_error_code: true,
            log_id: Some(r.log_id),
            text: r.message,
        }),
    })
}

fn view(record: &VaccinationMedicalRecordType) -> RecordView {
    let header = &record.vaccination_medical_record_header;
    let author = &header.accountable_healthcare_professional;
    let mut problems = Vec::new();
    // This suite's constraints.xml wants nullified in every record (false, since a
    // nullified record must never be sent).
    if header.nullified.is_none() {
        problems.push("nullified missing (the suite requires it in every record)".into());
    }
    check_nullified(header.nullified, false, &mut problems);
    check_cv(
        "healthcareProfessionalRoleCode",
        author.healthcare_professional_role_code.as_ref(),
        &mut problems,
    );
    for administration in &record.vaccination_medical_record_body.administration_record {
        check_cv(
            "vaccineName",
            administration.vaccine_name.as_ref(),
            &mut problems,
        );
        check_cv(
            "typeOfVaccine",
            administration.type_of_vaccine.as_ref(),
            &mut problems,
        );
        check_cv("route", administration.route.as_ref(), &mut problems);
        check_cv(
            "anatomicalSite",
            administration.anatomical_site.as_ref(),
            &mut problems,
        );
    }
    RecordView {
        document_id: header.document_id.clone(),
        source_system: header.source_system_hsa_id.clone(),
        patient: patient_of(&header.patient_id),
        care_unit: author.healthcare_professional_care_unit_hsa_id.clone(),
        care_giver: author.healthcare_professional_care_giver_hsa_id.clone(),
        care_contact_id: header.care_contact_id.clone(),
        prescription_status: None,
        problems,
    }
}

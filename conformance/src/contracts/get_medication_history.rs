//! GetMedicationHistory 2 (suite: clinicalprocess_activityprescription_actoutcome 2).

use npo_contracts::actoutcome::{
    DatePeriodType, MedicationMedicalRecordType, PrescriptionStatusEnum, TypeOfPrescriptionEnum,
};
use npo_contracts::get_medication_history::GetMedicationHistory;
use npo_contracts::soap::{self, SoapError};

use super::{patient_of, person};
use crate::model::{Answer, Query, RecordView, ResultView, check_cv, check_nullified, forbid};

/// The request.
pub fn request(query: &Query) -> String {
    let request = GetMedicationHistory {
        care_unit_hsa_id: query.care_unit_hsa_ids.clone(),
        care_giver_hsa_id: query.care_giver_hsa_ids.clone(),
        patient_id: person(query),
        date_period: query.period.map(|(start, end)| DatePeriodType {
            start: Some(start),
            end: Some(end),
        }),
        source_system_hsa_id: query.source_system_hsa_id.clone(),
        care_contact_id: query.care_contact_ids.clone(),
        prescription_chain_id: None,
        prescription_status: query.only_active.then_some(PrescriptionStatusEnum::Active),
    };
    soap::encode_request(&query.logical_address, &request)
}

/// The answer.
pub fn answer(body: &[u8]) -> Result<Answer, SoapError> {
    let response = soap::decode_response::<GetMedicationHistory>(body)?.body;
    let r = response.result;
    Ok(Answer::Response {
        records: response
            .medication_medical_record
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

fn view(record: &MedicationMedicalRecordType) -> RecordView {
    let header = &record.medication_medical_record_header;
    let author = &header.accountable_healthcare_professional;
    let prescription = record.prescription();
    let mut problems = Vec::new();
    check_nullified(header.nullified, true, &mut problems);
    forbid(
        &[
            ("documentTime", header.document_time.is_some()),
            ("nullifiedReason", header.nullified_reason.is_some()),
        ],
        &mut problems,
    );
    check_cv(
        "healthcareProfessionalRoleCode",
        author.healthcare_professional_role_code.as_ref(),
        &mut problems,
    );
    if !prescription.self_medication && prescription.prescriber.is_none() {
        problems.push("prescriber missing although selfMedication is false".into());
    }
    match prescription.type_of_prescription {
        TypeOfPrescriptionEnum::Insattning if prescription.start_of_treatment.is_none() => {
            problems.push("typeOfPrescription I without startOfTreatment".into());
        }
        TypeOfPrescriptionEnum::Utsattning if prescription.drug.is_some() => {
            problems.push("typeOfPrescription U with a drug (must not exist)".into());
        }
        _ => {}
    }
    RecordView {
        document_id: header.document_id.clone(),
        source_system: header.source_system_hsa_id.clone(),
        patient: patient_of(&header.patient_id),
        care_unit: author.healthcare_professional_care_unit_hsa_id.clone(),
        care_giver: author.healthcare_professional_care_giver_hsa_id.clone(),
        care_contact_id: header.care_contact_id.clone(),
        prescription_status: Some(prescription.prescription_status.as_str().to_owned()),
        problems,
    }
}

//! GetDiagnosis 2 (suite: clinicalprocess_healthcond_description 2.1.1, with
//! constraints.xml and constraintsNPO.xml).

use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::healthcond_description::{DiagnosisType, HealthcareProfessionalType};
use npo_contracts::soap::{self, SoapError};
use npo_contracts::types::DatePeriodType;

use super::{patient_of, person};
use crate::model::{Answer, Query, RecordView, ResultView, check_cv, check_nullified, forbid};

/// The request.
pub fn request(query: &Query) -> String {
    let request = GetDiagnosis {
        care_unit_hsa_id: query.care_unit_hsa_ids.clone(),
        patient_id: person(query),
        time_period: query
            .period
            .map(|(start, end)| DatePeriodType { start, end }),
        source_system_hsa_id: query.source_system_hsa_id.clone(),
        care_contact_id: query.care_contact_ids.clone(),
    };
    soap::encode_request(&query.logical_address, &request)
}

/// The answer.
pub fn answer(body: &[u8], npo: bool) -> Result<Answer, SoapError> {
    let envelope = soap::decode_response::<GetDiagnosis>(body)?;
    let response = envelope.body;
    Ok(Answer::Response {
        records: response.diagnosis.iter().map(|d| view(d, npo)).collect(),
        result: response.result.map(|r| ResultView {
            code: r.result_code.as_str().to_owned(),
            error_code: r.error_code.map(|c| c.as_str().to_owned()),
            has_error_code: true,
            log_id: Some(r.log_id),
            text: r.message,
        }),
    })
}

fn view(diagnosis: &DiagnosisType, npo: bool) -> RecordView {
    let header = &diagnosis.diagnosis_header;
    let author = &header.accountable_healthcare_professional;
    let mut problems = Vec::new();
    check_nullified(header.nullified, true, &mut problems);
    forbid(
        &[
            ("documentTitle", header.document_title.is_some()),
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
    check_cv(
        "diagnosisCode",
        diagnosis.diagnosis_body.diagnosis_code.as_ref(),
        &mut problems,
    );
    if npo {
        check_npo(author, &mut problems);
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

/// constraintsNPO.xml: what NPÖ needs for PDL logging and block checks.
fn check_npo(author: &HealthcareProfessionalType, problems: &mut Vec<String>) {
    let filled = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let org_unit_ok = author
        .healthcare_professional_org_unit
        .as_ref()
        .is_some_and(|u| {
            !u.org_unit_hsa_id.trim().is_empty() && !u.org_unit_name.trim().is_empty()
        });
    for (name, ok) in [
        (
            "healthcareProfessionalHSAId",
            filled(&author.healthcare_professional_hsa_id),
        ),
        (
            "healthcareProfessionalName",
            filled(&author.healthcare_professional_name),
        ),
        (
            "healthcareProfessionalRoleCode",
            author.healthcare_professional_role_code.is_some(),
        ),
        (
            "healthcareProfessionalOrgUnit (orgUnitHSAId, orgUnitName)",
            org_unit_ok,
        ),
        (
            "healthcareProfessionalCareUnitHSAId",
            filled(&author.healthcare_professional_care_unit_hsa_id),
        ),
        (
            "healthcareProfessionalCareGiverHSAId",
            filled(&author.healthcare_professional_care_giver_hsa_id),
        ),
    ] {
        if !ok {
            problems.push(format!(
                "accountableHealthcareProfessional lacks {name} (needed for NPÖ)"
            ));
        }
    }
}

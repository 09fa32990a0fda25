//! `POST /GetMedicationHistory/2/rivtabp21`.
//!
//! Besides the common field rules ([`common_filters`]) the request has an open-ended
//! `datePeriod` (either end may be missing; both given and in the wrong order is an
//! invalid request), `careGiverHSAId`, `prescriptionChainId` and `prescriptionStatus`.
//! The period rule is the journal's ([`JournalSource::medication_history`]).
//!
//! Before answering, a safety net makes whatever the journal returned fit the
//! contract's rules (TKB and the test suite's Schematron, `constraints.xml`): nullified
//! records are dropped; documentTime, nullified and nullifiedReason are cleared; the
//! prescriber, evaluator, dispensation authorizer and administering professional lose
//! their care unit and care giver; an utsättning loses its drug; an administration's
//! dosage loses lengthOfTreatment and dosageInstruction and a dispensation's drug its
//! dosage. A record that breaks a rule no clearing can repair (no prescriber without
//! selfMedication, an insättning without startOfTreatment, not exactly one drug
//! alternative, an administration dosage without setDosage or conditionalDosage, a
//! half-coded NPL-id, ATC code or reason, totalAmount without packageUnit) is not sent,
//! and the log says which rule (never personal data).
//!
//! [`JournalSource::medication_history`]: crate::source::JournalSource::medication_history

use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::actoutcome::{
    DatePeriodType, DrugChoiceType, HealthcareProfessionalType, MedicationMedicalRecordType,
    MedicationPrescriptionType, TypeOfPrescriptionEnum,
};
use npo_contracts::get_medication_history::{GetMedicationHistory, GetMedicationHistoryResponse};
use npo_contracts::types::{CvType, Date, IiType, ResultType};

use super::soap::{AppState, CommonRequest, common_filters, handle, new_log_id};
use crate::source::{MedicationFilters, Period};

/// Answers GetMedicationHistory.
pub async fn get_medication_history(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    handle::<GetMedicationHistory, _>(&req, payload, &state, |state, request, context| {
        let invalid = |message: String| GetMedicationHistoryResponse {
            medication_medical_record: Vec::new(),
            result: ResultType::invalid_request(new_log_id(), message),
        };
        let common = CommonRequest {
            source_system_hsa_id: request.source_system_hsa_id.as_deref(),
            care_contact_ids: &request.care_contact_id,
            care_unit_hsa_ids: &request.care_unit_hsa_id,
            care_giver_hsa_ids: &request.care_giver_hsa_id,
            ..CommonRequest::person(&request.patient_id)
        };
        let mut common = match common_filters(&common, &context) {
            Ok(filters) => filters,
            Err(message) => return Ok(invalid(message)),
        };
        common.period = match open_period(request.date_period.as_ref()) {
            Ok(period) => period,
            Err(message) => return Ok(invalid(message)),
        };
        let filters = MedicationFilters {
            common,
            prescription_chain_id: request.prescription_chain_id.as_ref().map(trimmed_id),
            prescription_status: request.prescription_status,
        };
        let mut records = state.source.medication_history(&filters)?;
        records.retain(|r| r.medication_medical_record_header.nullified != Some(true));
        records.iter_mut().for_each(clear_forbidden);
        records.retain(|r| match broken_rule(r.prescription()) {
            None => true,
            Some(rule) => {
                tracing::warn!(rule, "a medication record breaks a contract rule: not sent");
                false
            }
        });
        Ok(GetMedicationHistoryResponse {
            medication_medical_record: records,
            result: ResultType::ok(new_log_id()),
        })
    })
    .await
}

/// The period of an actoutcome `DatePeriodType`, whose ends are both optional: a
/// missing start reaches back to the first day a TimeStampType can hold (1900-01-01),
/// a missing end forward to the last (2099-12-31); no end at all is no period. Both
/// ends given with the end before the start is an invalid request (the message).
/// Shared with GetVaccinationHistory, whose `timePeriod` has the same type.
pub fn open_period(period: Option<&DatePeriodType>) -> Result<Option<Period>, String> {
    let Some(period) = period else {
        return Ok(None);
    };
    if let (Some(start), Some(end)) = (period.start, period.end)
        && end < start
    {
        return Err("the period ends before it starts".into());
    }
    if period.start.is_none() && period.end.is_none() {
        return Ok(None);
    }
    let (Some(first), Some(last)) = (Date::parse("19000101"), Date::parse("20991231")) else {
        // Both are valid DateType values; an open period cannot be built otherwise.
        return Err("the period cannot be read".into());
    };
    Ok(Some(Period {
        start: period.start.unwrap_or(first).start_of_day(),
        end: period.end.unwrap_or(last).end_of_day(),
    }))
}

/// A request id with surrounding whitespace removed (ids are compared exactly).
fn trimmed_id(id: &IiType) -> IiType {
    IiType {
        root: id.root.trim().to_owned(),
        extension: id.extension.as_deref().map(|e| e.trim().to_owned()),
    }
}

/// Clears what the contract forbids, wherever a journal put it.
fn clear_forbidden(record: &mut MedicationMedicalRecordType) {
    let header = &mut record.medication_medical_record_header;
    header.document_time = None;
    header.nullified = None;
    header.nullified_reason = None;
    let prescription = &mut record
        .medication_medical_record_body
        .medication_prescription;
    if prescription.type_of_prescription == TypeOfPrescriptionEnum::Utsattning {
        prescription.drug = None;
    }
    let professionals = prescription
        .prescriber
        .iter_mut()
        .chain(prescription.evaluator.iter_mut())
        .chain(
            prescription
                .dispensation_authorization
                .iter_mut()
                .map(|d| &mut d.dispensation_authorizer),
        )
        .chain(
            prescription
                .administration
                .iter_mut()
                .map(|a| &mut a.administering_healthcare_professional),
        );
    professionals.for_each(without_units);
    for administration in &mut prescription.administration {
        for dosage in administration.drug.iter_mut().flat_map(|d| &mut d.dosage) {
            dosage.length_of_treatment = None;
            dosage.dosage_instruction = None;
        }
    }
    if let Some(drug) = prescription
        .dispensation_authorization
        .as_mut()
        .and_then(|d| d.drug.as_mut())
    {
        drug.dosage.clear();
    }
}

/// A professional inside a prescription carries no care unit or care giver (the
/// record header does).
fn without_units(professional: &mut HealthcareProfessionalType) {
    professional.healthcare_professional_care_unit_hsa_id = None;
    professional.healthcare_professional_care_giver_hsa_id = None;
}

/// The first contract rule (constraints.xml) a prescription breaks after
/// [`clear_forbidden`], if any.
fn broken_rule(p: &MedicationPrescriptionType) -> Option<&'static str> {
    if !p.self_medication && p.prescriber.is_none() {
        return Some("prescriber_check");
    }
    if p.type_of_prescription == TypeOfPrescriptionEnum::Insattning
        && p.start_of_treatment.is_none()
    {
        return Some("startOfTreatment");
    }
    if p.drug.as_ref().is_some_and(|d| d.alternatives_given() != 1) {
        return Some("drugChoiceType");
    }
    let administered = p.administration.iter().filter_map(|a| a.drug.as_ref());
    for drug in administered.clone() {
        if drug.alternatives_given() != 1 {
            return Some("drugChoiceType_uniqueness");
        }
        let dosed = |d: &npo_contracts::actoutcome::DosageType| {
            d.set_dosage.is_some() || d.conditional_dosage.is_some()
        };
        if !drug.dosage.iter().all(dosed) {
            return Some("drugChoiceType_dosage");
        }
    }
    if p.dispensation_authorization
        .as_ref()
        .is_some_and(|d| d.total_amount.is_some() != d.package_unit.is_some())
    {
        return Some("packageUnit_and_totalAmount");
    }
    let reasons = p
        .principal_prescription_reason
        .iter()
        .chain(&p.additional_prescription_reason)
        .map(|r| &r.reason);
    let drugs = p
        .drug
        .iter()
        .chain(administered)
        .chain(
            p.dispensation_authorization
                .iter()
                .filter_map(|d| d.drug.as_ref()),
        )
        .filter_map(|d: &DrugChoiceType| d.drug.as_ref());
    let codes = drugs.flat_map(|d| std::iter::once(&d.npl_id).chain(d.atc_code.as_ref()));
    if !reasons.chain(codes).all(strictly_coded) {
        return Some("CvTypeStrict");
    }
    None
}

/// The strict CV rule: a value with a code also has codeSystem and displayName and no
/// originalText.
fn strictly_coded(cv: &CvType) -> bool {
    cv.code.is_none()
        || (cv.code_system.is_some() && cv.display_name.is_some() && cv.original_text.is_none())
}

#[cfg(test)]
mod tests {
    use npo_contracts::actoutcome::{
        AdministrationType, DispensationAuthorizationType, DosageType, DrugType,
        PrescriptionStatusEnum, SetDosageType, UnstructuredDosageInformationType,
        UnstructuredDrugInformationType,
    };
    use npo_contracts::types::TimePeriodType;

    use super::*;
    use crate::records::medication::MedicationRecord;

    fn sample() -> MedicationMedicalRecordType {
        let record: MedicationRecord = serde_json::from_value(serde_json::json!({
            "documentId": "lm-1",
            "sourceSystemHsaId": "SE2120009994-EH7S",
            "patientId": "201403129800",
            "patientIdType": "1.2.752.129.2.1.3.1",
            "authorTime": "20250115101500",
            "careUnitHsaId": "SE2120009994-0A01",
            "careGiverHsaId": "SE2120009994-0001",
            "approvedForPatient": true,
            "nullified": false,
            "prescriptionId": "ord-1",
            "typeOfPrescription": "I",
            "prescriptionStatus": "Active",
            "drugText": "Ventolin",
            "startOfTreatment": "20250115101500",
            "selfMedication": false,
            "prescriberName": "Maria Holm",
            "prescriptionTime": "20250115101500"
        }))
        .expect("record");
        record.to_contract().expect("contract record")
    }

    fn professional() -> HealthcareProfessionalType {
        let mut p = sample()
            .medication_medical_record_header
            .accountable_healthcare_professional;
        p.healthcare_professional_care_unit_hsa_id = Some("SE2120009994-0A01".into());
        p.healthcare_professional_care_giver_hsa_id = Some("SE2120009994-0001".into());
        p
    }

    fn drug(dosage: Vec<DosageType>) -> DrugChoiceType {
        DrugChoiceType {
            comment: None,
            unstructured_drug_information: Some(UnstructuredDrugInformationType {
                unstructured_information: "Ventolin".into(),
            }),
            merchandise: None,
            drug_article: None,
            drug: None,
            generics: None,
            dosage,
        }
    }

    fn dosage() -> DosageType {
        DosageType {
            length_of_treatment: None,
            dosage_instruction: Some("1 tablett".into()),
            unit_dose: None,
            short_notation: None,
            set_dosage: None,
            maximum_dosage: None,
            conditional_dosage: None,
        }
    }

    fn date(s: &str) -> Option<Date> {
        Date::parse(s)
    }

    #[test]
    fn open_periods_reach_the_representable_bounds() {
        assert_eq!(open_period(None), Ok(None));
        let none = DatePeriodType {
            start: None,
            end: None,
        };
        assert_eq!(open_period(Some(&none)), Ok(None));
        let from = DatePeriodType {
            start: date("20240301"),
            end: None,
        };
        let period = open_period(Some(&from)).expect("valid").expect("a period");
        assert_eq!(period.start.to_string(), "20240301000000");
        assert_eq!(period.end.to_string(), "20991231235959");
        let until = DatePeriodType {
            start: None,
            end: date("20240331"),
        };
        let period = open_period(Some(&until)).expect("valid").expect("a period");
        assert_eq!(period.start.to_string(), "19000101000000");
        assert_eq!(period.end.to_string(), "20240331235959");
        let one_day = DatePeriodType {
            start: date("20240301"),
            end: date("20240301"),
        };
        assert!(open_period(Some(&one_day)).is_ok_and(|p| p.is_some()));
        let backwards = DatePeriodType {
            start: date("20240302"),
            end: date("20240301"),
        };
        assert!(open_period(Some(&backwards)).is_err());
    }

    #[test]
    fn the_safety_net_clears_forbidden_fields() {
        let mut record = sample();
        let header = &mut record.medication_medical_record_header;
        header.document_time = Some(header.accountable_healthcare_professional.author_time);
        header.nullified = Some(false);
        header.nullified_reason = Some("x".into());
        let prescription = &mut record
            .medication_medical_record_body
            .medication_prescription;
        prescription.prescriber = Some(professional());
        prescription.evaluator = Some(professional());
        let mut given = dosage();
        given.set_dosage = Some(text_dosage("1 tablett på morgonen"));
        prescription.administration = vec![AdministrationType {
            administration_id: IiType {
                root: "1.2.3".into(),
                extension: Some("adm-1".into()),
            },
            administration_time: TimePeriodType {
                start: None,
                end: None,
            },
            administration_comment: None,
            route_of_administration: None,
            administering_healthcare_professional: professional(),
            drug: Some(drug(vec![given])),
        }];
        prescription.dispensation_authorization = Some(DispensationAuthorizationType {
            dispensation_authorization_id: IiType {
                root: "1.2.3".into(),
                extension: Some("f-1".into()),
            },
            valid_until: None,
            receiving_pharmacy: None,
            minimum_dispensation_interval: None,
            total_amount: None,
            package_unit: None,
            distribution_method: None,
            dispensation_authorizer: professional(),
            dispensation_authorizer_comment: None,
            first_dispensation_before: None,
            prescription_signatura: "1 tablett".into(),
            non_replaceable: None,
            drug: Some(drug(vec![dosage()])),
        });
        clear_forbidden(&mut record);
        let header = &record.medication_medical_record_header;
        assert_eq!(
            (
                header.document_time,
                &header.nullified,
                &header.nullified_reason
            ),
            (None, &None, &None)
        );
        // The header keeps its units.
        assert!(
            header
                .accountable_healthcare_professional
                .healthcare_professional_care_unit_hsa_id
                .is_some()
        );
        let p = record.prescription();
        let professionals = [
            p.prescriber.as_ref(),
            p.evaluator.as_ref(),
            p.dispensation_authorization
                .as_ref()
                .map(|d| &d.dispensation_authorizer),
            Some(&p.administration[0].administering_healthcare_professional),
        ];
        for professional in professionals.into_iter().flatten() {
            assert_eq!(professional.healthcare_professional_care_unit_hsa_id, None);
            assert_eq!(professional.healthcare_professional_care_giver_hsa_id, None);
        }
        let administered = &p.administration[0].drug.as_ref().expect("drug").dosage[0];
        assert_eq!(administered.dosage_instruction, None);
        assert!(
            p.dispensation_authorization
                .as_ref()
                .and_then(|d| d.drug.as_ref())
                .is_some_and(|d| d.dosage.is_empty())
        );
        assert_eq!(broken_rule(p), None);
    }

    fn text_dosage(text: &str) -> SetDosageType {
        SetDosageType {
            frequency_dosage: None,
            period_dosage: None,
            occasion_dosage: None,
            ramped_dosage: None,
            single_dose: None,
            unstructured_dosage_information: Some(UnstructuredDosageInformationType {
                text: text.into(),
            }),
        }
    }

    #[test]
    fn an_utsattning_loses_its_drug() {
        let mut record = sample();
        let prescription = &mut record
            .medication_medical_record_body
            .medication_prescription;
        prescription.type_of_prescription = TypeOfPrescriptionEnum::Utsattning;
        prescription.prescription_status = PrescriptionStatusEnum::Inactive;
        assert!(prescription.drug.is_some());
        clear_forbidden(&mut record);
        assert!(record.prescription().drug.is_none());
        assert_eq!(broken_rule(record.prescription()), None);
    }

    #[test]
    fn records_breaking_unrepairable_rules_are_found() {
        assert_eq!(broken_rule(sample().prescription()), None);
        let broken = |change: &dyn Fn(&mut MedicationPrescriptionType)| {
            let mut record = sample();
            change(
                &mut record
                    .medication_medical_record_body
                    .medication_prescription,
            );
            clear_forbidden(&mut record);
            broken_rule(record.prescription())
        };
        assert_eq!(broken(&|p| p.prescriber = None), Some("prescriber_check"));
        assert_eq!(
            broken(&|p| {
                p.prescriber = None;
                p.self_medication = true;
            }),
            None
        );
        assert_eq!(
            broken(&|p| p.start_of_treatment = None),
            Some("startOfTreatment")
        );
        assert_eq!(
            broken(&|p| {
                if let Some(d) = &mut p.drug {
                    d.unstructured_drug_information = None;
                }
            }),
            Some("drugChoiceType")
        );
        let npl = |cv: CvType| {
            move |p: &mut MedicationPrescriptionType| {
                if let Some(d) = &mut p.drug {
                    d.unstructured_drug_information = None;
                    d.drug = Some(DrugType {
                        npl_id: cv.clone(),
                        atc_code: None,
                        route_of_administration: None,
                        pharmaceutical_form: None,
                        strength: None,
                        strength_unit: None,
                    });
                }
            }
        };
        assert_eq!(
            broken(&npl(CvType::coded(
                "19890922000049",
                "1.2.752.129.2.1.5.1",
                "Airomir"
            ))),
            None
        );
        let mut half = CvType::coded("19890922000049", "1.2.752.129.2.1.5.1", "Airomir");
        half.display_name = None;
        assert_eq!(broken(&npl(half)), Some("CvTypeStrict"));
        assert_eq!(
            broken(&|p| {
                p.administration = vec![AdministrationType {
                    administration_id: IiType {
                        root: "1.2.3".into(),
                        extension: None,
                    },
                    administration_time: TimePeriodType {
                        start: None,
                        end: None,
                    },
                    administration_comment: None,
                    route_of_administration: None,
                    administering_healthcare_professional: professional(),
                    drug: Some(drug(vec![dosage()])),
                }];
            }),
            Some("drugChoiceType_dosage")
        );
    }

    #[test]
    fn request_ids_are_trimmed() {
        let id = IiType {
            root: " 1.2.752.129.2.1.2.1 ".into(),
            extension: Some(" kedja-1\n".into()),
        };
        assert_eq!(
            trimmed_id(&id),
            IiType {
                root: "1.2.752.129.2.1.2.1".into(),
                extension: Some("kedja-1".into()),
            }
        );
    }
}

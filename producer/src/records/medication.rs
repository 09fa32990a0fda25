//! Medication prescriptions (GetMedicationHistory 2), and the actoutcome-domain record
//! header shared with vaccinations.

use diesel::prelude::*;
use npo_contracts::actoutcome::{
    DosageType, DrugChoiceType, DrugType, HealthcareProfessionalType,
    MedicationMedicalRecordBodyType, MedicationMedicalRecordType, MedicationPrescriptionType,
    OrgUnitType, PatientSummaryHeaderType, PrescriptionStatusEnum, TypeOfPrescriptionEnum,
    UnstructuredDrugInformationType,
};
use npo_contracts::types::{CvType, IiType, LegalAuthenticatorType, PersonIdType, TimeStamp};

use super::diagnosis::KV_BEFATTNING;
use super::header::{FieldProblem, HeaderRef, JournalRecord, hsa, time};
use crate::db::DbConn;
use crate::record;
use crate::source::{Filters, MedicationFilters};

/// Code system of NPL-id (the Medical Products Agency's product register).
pub const NPL_ID: &str = "1.2.752.129.2.1.5.1";
/// Code system of ATC codes (Swedish edition).
pub const ATC: &str = "1.2.752.129.2.2.3.1.1";
/// The national OID for local identifiers (the `root` of prescription and chain ids;
/// the `extension` is the journal's own id).
pub const LOCAL_ID_ROOT: &str = "1.2.752.129.2.1.2.1";

diesel::table! {
    /// Medication prescriptions (ordinationer).
    medications (source_system_hsa_id, document_id) {
        document_id -> Text,
        source_system_hsa_id -> Text,
        patient_id -> Text,
        patient_id_type -> Text,
        author_time -> Text,
        author_hsa_id -> Nullable<Text>,
        author_name -> Nullable<Text>,
        author_role_code -> Nullable<Text>,
        author_role_name -> Nullable<Text>,
        author_org_unit_hsa_id -> Nullable<Text>,
        author_org_unit_name -> Nullable<Text>,
        care_unit_hsa_id -> Text,
        care_giver_hsa_id -> Text,
        legal_authenticator_hsa_id -> Nullable<Text>,
        legal_authenticator_name -> Nullable<Text>,
        signature_time -> Nullable<Text>,
        approved_for_patient -> Bool,
        care_contact_id -> Nullable<Text>,
        nullified -> Bool,
        nullified_reason -> Nullable<Text>,
        prescription_id -> Text,
        prescription_chain_id -> Nullable<Text>,
        type_of_prescription -> Text,
        prescription_status -> Text,
        drug_npl_id -> Nullable<Text>,
        drug_name -> Nullable<Text>,
        drug_atc_code -> Nullable<Text>,
        drug_atc_name -> Nullable<Text>,
        drug_text -> Nullable<Text>,
        dosage_instruction -> Nullable<Text>,
        treatment_purpose -> Nullable<Text>,
        prescription_note -> Nullable<Text>,
        start_of_treatment -> Nullable<Text>,
        end_of_treatment -> Nullable<Text>,
        end_of_treatment_reason -> Nullable<Text>,
        self_medication -> Bool,
        prescriber_hsa_id -> Nullable<Text>,
        prescriber_name -> Nullable<Text>,
        prescription_time -> Nullable<Text>,
    }
}

record! {
    /// A medication prescription (ordination): one link of a prescription chain.
    pub struct MedicationRecord in medications {
        /// The prescription's id in the journal, unique within the source system
        /// (sent as `prescriptionId`, root 1.2.752.129.2.1.2.1).
        pub prescription_id: String,
        /// Id of the chain of prescriptions of the same treatment (the first
        /// prescription and every later change share it). Requests can filter on it.
        #[serde(default)]
        pub prescription_chain_id: Option<String>,
        /// `I` (insättning: starts or changes a treatment) or `U` (utsättning: ends it).
        pub type_of_prescription: String,
        /// `Active` (the current prescription of its chain) or `Inactive` (replaced or
        /// ended). Requests can filter on it.
        pub prescription_status: String,
        /// The drug's NPL-id (product register code), with `drugName`. Give either
        /// `drugNplId` + `drugName` or `drugText`; required for an insättning (`I`).
        /// Not sent for an utsättning (`U`): the contract forbids a drug there.
        #[serde(default)]
        pub drug_npl_id: Option<String>,
        /// The product name of the NPL-id, e.g. `Concerta 36 mg depottablett`.
        #[serde(default)]
        pub drug_name: Option<String>,
        /// ATC code of the drug, e.g. `N06BA04` (only with `drugNplId`), with
        /// `drugAtcName`.
        #[serde(default)]
        pub drug_atc_code: Option<String>,
        /// Name of the ATC code, e.g. `Metylfenidat`.
        #[serde(default)]
        pub drug_atc_name: Option<String>,
        /// The drug as free text, when it is not coded (instead of `drugNplId`).
        #[serde(default)]
        pub drug_text: Option<String>,
        /// Dosage instructions as text, e.g. `1 tablett på morgonen`. Needs a drug.
        #[serde(default)]
        pub dosage_instruction: Option<String>,
        /// Purpose of the treatment, e.g. `Mot astmabesvär`.
        #[serde(default)]
        pub treatment_purpose: Option<String>,
        /// Free-text note on the prescription.
        #[serde(default)]
        pub prescription_note: Option<String>,
        /// Start of the treatment, `YYYYMMDDhhmmss`; required for an insättning (`I`).
        #[serde(default)]
        pub start_of_treatment: Option<String>,
        /// End of the treatment, `YYYYMMDDhhmmss`; open-ended when omitted.
        #[serde(default)]
        pub end_of_treatment: Option<String>,
        /// Why the treatment ended, as text.
        #[serde(default)]
        pub end_of_treatment_reason: Option<String>,
        /// The patient takes the drug on their own initiative (egenmedicinering): no
        /// prescriber needed.
        #[serde(default)]
        pub self_medication: bool,
        /// Prescriber's HSA-ID.
        #[serde(default)]
        pub prescriber_hsa_id: Option<String>,
        /// Prescriber's name.
        #[serde(default)]
        pub prescriber_name: Option<String>,
        /// When it was prescribed, `YYYYMMDDhhmmss`. Required, with the prescriber's
        /// HSA-ID or name, unless `selfMedication`.
        #[serde(default)]
        pub prescription_time: Option<String>,
    }
}

impl JournalRecord for MedicationRecord {
    const KIND: &'static str = "medication";

    fn header(&self) -> HeaderRef<'_> {
        self.header_ref()
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        self.header_ref().validate(&mut problems);
        if self.prescription_id.trim().is_empty() {
            problems.push(FieldProblem::new("prescriptionId", "must not be empty"));
        }
        if self
            .prescription_chain_id
            .as_deref()
            .is_some_and(|id| id.trim().is_empty())
        {
            problems.push(FieldProblem::new(
                "prescriptionChainId",
                "must not be empty when given",
            ));
        }
        let kind = TypeOfPrescriptionEnum::parse(&self.type_of_prescription);
        if kind.is_none() {
            problems.push(FieldProblem::new("typeOfPrescription", "must be I or U"));
        }
        if PrescriptionStatusEnum::parse(&self.prescription_status).is_none() {
            problems.push(FieldProblem::new(
                "prescriptionStatus",
                "must be Active or Inactive",
            ));
        }
        time(
            "startOfTreatment",
            self.start_of_treatment.as_deref(),
            &mut problems,
        );
        time(
            "endOfTreatment",
            self.end_of_treatment.as_deref(),
            &mut problems,
        );
        time(
            "prescriptionTime",
            self.prescription_time.as_deref(),
            &mut problems,
        );
        if let (Some(start), Some(end)) = (
            stamp(self.start_of_treatment.as_deref()),
            stamp(self.end_of_treatment.as_deref()),
        ) && end < start
        {
            problems.push(FieldProblem::new(
                "endOfTreatment",
                "before startOfTreatment",
            ));
        }
        if kind == Some(TypeOfPrescriptionEnum::Insattning) && self.start_of_treatment.is_none() {
            problems.push(FieldProblem::new(
                "startOfTreatment",
                "required for an insättning (typeOfPrescription I)",
            ));
        }
        self.validate_drug(kind, &mut problems);
        self.validate_prescriber(&mut problems);
        problems
    }
}

impl MedicationRecord {
    fn validate_drug(
        &self,
        kind: Option<TypeOfPrescriptionEnum>,
        problems: &mut Vec<FieldProblem>,
    ) {
        match (&self.drug_npl_id, &self.drug_text) {
            (Some(_), Some(_)) => problems.push(FieldProblem::new(
                "drugText",
                "give either drugNplId (with drugName) or drugText",
            )),
            (Some(_), None) if self.drug_name.is_none() => {
                problems.push(FieldProblem::new("drugName", "required with drugNplId"));
            }
            (None, _) if self.drug_name.is_some() => problems.push(FieldProblem::new(
                "drugName",
                "names the drugNplId product; without a code use drugText",
            )),
            (None, None) if kind == Some(TypeOfPrescriptionEnum::Insattning) => {
                problems.push(FieldProblem::new(
                    "drugNplId",
                    "an insättning (typeOfPrescription I) needs drugNplId with drugName, or drugText",
                ));
            }
            _ => {}
        }
        if self.drug_atc_code.is_some() && self.drug_npl_id.is_none() {
            problems.push(FieldProblem::new(
                "drugAtcCode",
                "the contract carries an ATC code only with drugNplId; use drugText otherwise",
            ));
        }
        if self.drug_atc_code.is_some() != self.drug_atc_name.is_some() {
            problems.push(FieldProblem::new(
                "drugAtcName",
                "drugAtcCode and drugAtcName go together",
            ));
        }
        if self.dosage_instruction.is_some()
            && self.drug_npl_id.is_none()
            && self.drug_text.is_none()
        {
            problems.push(FieldProblem::new(
                "dosageInstruction",
                "needs a drug (drugNplId or drugText)",
            ));
        }
    }

    fn validate_prescriber(&self, problems: &mut Vec<FieldProblem>) {
        hsa(
            "prescriberHsaId",
            self.prescriber_hsa_id.as_deref(),
            problems,
        );
        let named = self.prescriber_hsa_id.is_some() || self.prescriber_name.is_some();
        if named && self.prescription_time.is_none() {
            problems.push(FieldProblem::new(
                "prescriptionTime",
                "required when a prescriber is given",
            ));
        }
        if !self.self_medication {
            if self.prescription_time.is_none() && !named {
                problems.push(FieldProblem::new(
                    "prescriptionTime",
                    "a prescription that is not selfMedication needs prescriptionTime and the prescriber",
                ));
            } else if !named {
                problems.push(FieldProblem::new(
                    "prescriberHsaId",
                    "a prescription that is not selfMedication needs prescriberHsaId or prescriberName",
                ));
            }
        }
    }
}

/// Parses a stored time stamp (validated on import; a bad one is treated as absent).
fn stamp(value: Option<&str>) -> Option<TimeStamp> {
    value.and_then(TimeStamp::parse)
}

/// An optional stored time stamp: `Some(None)` when absent, `None` when unreadable.
fn optional_stamp(value: Option<&str>) -> Option<Option<TimeStamp>> {
    match value {
        None => Some(None),
        Some(text) => TimeStamp::parse(text).map(Some),
    }
}

impl MedicationRecord {
    /// The record's treatment interval for GetMedicationHistory's period rule: from the
    /// prescriber's authorTime (`prescriptionTime`), else `startOfTreatment`, else the
    /// header's authorTime, to `endOfTreatment` (open when missing).
    pub fn treatment_interval(&self) -> (Option<TimeStamp>, Option<TimeStamp>) {
        let from = stamp(self.prescription_time.as_deref())
            .or_else(|| stamp(self.start_of_treatment.as_deref()))
            .or_else(|| stamp(Some(&self.author_time)));
        (from, stamp(self.end_of_treatment.as_deref()))
    }

    /// Whether the record matches GetMedicationHistory's period rule: the treatment
    /// interval overlaps the period, end points included.
    pub fn in_period(&self, filters: &Filters) -> bool {
        filters.period.is_none_or(|period| {
            let (from, to) = self.treatment_interval();
            period.overlaps(from, to)
        })
    }

    /// The prescription chain id as the contract carries it.
    pub fn chain_id(&self) -> Option<IiType> {
        self.prescription_chain_id.as_deref().map(local_id)
    }

    /// Whether the record passes the request's prescriptionChainId and
    /// prescriptionStatus filters.
    pub fn matches(&self, filters: &MedicationFilters) -> bool {
        let chain_ok = filters
            .prescription_chain_id
            .as_ref()
            .is_none_or(|wanted| self.chain_id().as_ref() == Some(wanted));
        let status_ok = filters.prescription_status.is_none_or(|wanted| {
            PrescriptionStatusEnum::parse(&self.prescription_status) == Some(wanted)
        });
        chain_ok && status_ok
    }

    /// The contract record, with only what GetMedicationHistory may send (no
    /// documentTime, nullified, nullifiedReason; the prescriber without care unit and
    /// care giver). `None` when a stored value is unreadable or the row breaks a rule
    /// of the contract (import validates both, so only a row written around it).
    pub fn to_contract(&self) -> Option<MedicationMedicalRecordType> {
        let kind = TypeOfPrescriptionEnum::parse(&self.type_of_prescription)?;
        let start_of_treatment = optional_stamp(self.start_of_treatment.as_deref())?;
        let prescriber = optional_stamp(self.prescription_time.as_deref())?.map(|author_time| {
            HealthcareProfessionalType {
                author_time,
                healthcare_professional_hsa_id: self.prescriber_hsa_id.clone(),
                healthcare_professional_name: self.prescriber_name.clone(),
                healthcare_professional_role_code: None,
                healthcare_professional_org_unit: None,
                healthcare_professional_care_unit_hsa_id: None,
                healthcare_professional_care_giver_hsa_id: None,
            }
        });
        if (!self.self_medication && prescriber.is_none())
            || (kind == TypeOfPrescriptionEnum::Insattning && start_of_treatment.is_none())
        {
            return None;
        }
        let drug = match kind {
            TypeOfPrescriptionEnum::Insattning => Some(self.drug_choice()?),
            TypeOfPrescriptionEnum::Utsattning => None,
        };
        Some(MedicationMedicalRecordType {
            medication_medical_record_header: actoutcome_header(&self.header_ref())?,
            medication_medical_record_body: MedicationMedicalRecordBodyType {
                medication_prescription: MedicationPrescriptionType {
                    prescription_id: local_id(&self.prescription_id),
                    type_of_prescription: kind,
                    prescription_status: PrescriptionStatusEnum::parse(&self.prescription_status)?,
                    prescription_note: self.prescription_note.clone(),
                    principal_prescription_reason: Vec::new(),
                    additional_prescription_reason: Vec::new(),
                    evaluation_time: None,
                    treatment_purpose: self.treatment_purpose.clone(),
                    prescription_chain_id: self.chain_id(),
                    preceding_prescription_id: None,
                    succeeding_prescription_id: None,
                    prescriber,
                    evaluator: None,
                    start_of_first_treatment: None,
                    start_of_treatment,
                    end_of_treatment: optional_stamp(self.end_of_treatment.as_deref())?,
                    end_of_treatment_reason: self
                        .end_of_treatment_reason
                        .as_deref()
                        .map(CvType::text),
                    self_medication: self.self_medication,
                    drug,
                    dispensation_authorization: None,
                    administration: Vec::new(),
                    relation: Vec::new(),
                },
                additional_patient_information: None,
            },
        })
    }

    /// The drug of an insättning: exactly one alternative (coded product or free
    /// text) and the dosage text. `None` when the row has no drug.
    fn drug_choice(&self) -> Option<DrugChoiceType> {
        let (unstructured, drug) = match (&self.drug_npl_id, &self.drug_text) {
            (Some(npl_id), _) => (
                None,
                Some(DrugType {
                    npl_id: CvType::coded(
                        npl_id,
                        NPL_ID,
                        self.drug_name.as_deref().unwrap_or(npl_id),
                    ),
                    atc_code: self.drug_atc_code.as_deref().map(|code| {
                        CvType::coded(code, ATC, self.drug_atc_name.as_deref().unwrap_or(code))
                    }),
                    route_of_administration: None,
                    pharmaceutical_form: None,
                    strength: None,
                    strength_unit: None,
                }),
            ),
            (None, Some(text)) => (
                Some(UnstructuredDrugInformationType {
                    unstructured_information: text.clone(),
                }),
                None,
            ),
            (None, None) => return None,
        };
        Some(DrugChoiceType {
            comment: None,
            unstructured_drug_information: unstructured,
            merchandise: None,
            drug_article: None,
            drug,
            generics: None,
            dosage: self
                .dosage_instruction
                .iter()
                .map(|text| DosageType {
                    length_of_treatment: None,
                    dosage_instruction: Some(text.clone()),
                    unit_dose: None,
                    short_notation: None,
                    set_dosage: None,
                    maximum_dosage: None,
                    conditional_dosage: None,
                })
                .collect(),
        })
    }
}

/// A journal-local identifier as an IIType (root: the national OID for local ids).
fn local_id(extension: &str) -> IiType {
    IiType {
        root: LOCAL_ID_ROOT.to_owned(),
        extension: Some(extension.to_owned()),
    }
}

/// The actoutcome-domain (2.0) header of a record, without documentTitle,
/// documentTime, nullified and nullifiedReason (GetMedicationHistory forbids the last
/// three; GetVaccinationHistory sets `nullified` itself). `None` when a stored stamp
/// is unreadable.
pub fn actoutcome_header(h: &HeaderRef<'_>) -> Option<PatientSummaryHeaderType> {
    Some(PatientSummaryHeaderType {
        document_id: h.document_id.to_owned(),
        source_system_hsa_id: h.source_system_hsa_id.to_owned(),
        document_title: None,
        document_time: None,
        patient_id: PersonIdType {
            id: h.patient_id.to_owned(),
            r#type: h.patient_id_type.to_owned(),
        },
        accountable_healthcare_professional: HealthcareProfessionalType {
            author_time: TimeStamp::parse(h.author_time)?,
            healthcare_professional_hsa_id: h.author_hsa_id.map(str::to_owned),
            healthcare_professional_name: h.author_name.map(str::to_owned),
            healthcare_professional_role_code: h
                .author_role_code
                .map(|code| CvType::coded(code, KV_BEFATTNING, h.author_role_name.unwrap_or(code))),
            healthcare_professional_org_unit: match (
                h.author_org_unit_hsa_id,
                h.author_org_unit_name,
            ) {
                (None, None) => None,
                (id, name) => Some(OrgUnitType {
                    org_unit_hsa_id: id.map(str::to_owned),
                    org_unit_name: name.map(str::to_owned),
                    org_unit_telecom: None,
                    org_unit_email: None,
                    org_unit_address: None,
                    org_unit_location: None,
                }),
            },
            healthcare_professional_care_unit_hsa_id: Some(h.care_unit_hsa_id.to_owned()),
            healthcare_professional_care_giver_hsa_id: Some(h.care_giver_hsa_id.to_owned()),
        },
        legal_authenticator: optional_stamp(h.signature_time)?.map(|signature_time| {
            LegalAuthenticatorType {
                signature_time,
                legal_authenticator_hsa_id: h.legal_authenticator_hsa_id.map(str::to_owned),
                legal_authenticator_name: h.legal_authenticator_name.map(str::to_owned),
            }
        }),
        approved_for_patient: h.approved_for_patient,
        care_contact_id: h.care_contact_id.map(str::to_owned),
        nullified: None,
        nullified_reason: None,
    })
}

/// The patient's non-nullified prescriptions in the source system, newest first.
pub fn for_patient(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<MedicationRecord>> {
    medications::table
        .filter(medications::source_system_hsa_id.eq(&filters.source_system))
        .filter(medications::patient_id.eq(filters.patient.as_str()))
        .filter(medications::nullified.eq(false))
        .order(medications::author_time.desc())
        .select(MedicationRecord::as_select())
        .load(conn)
}

/// GetMedicationHistory: the records matching every filter, as contract records.
pub fn find(
    conn: &mut DbConn,
    filters: &MedicationFilters,
) -> QueryResult<Vec<MedicationMedicalRecordType>> {
    let common = &filters.common;
    Ok(for_patient(conn, common)?
        .into_iter()
        .filter(|r| r.in_period(common))
        .filter(|r| r.matches(filters))
        .filter(|r| r.header_ref().admitted_by(common))
        .filter_map(|r| r.to_contract())
        .collect())
}

/// Inserts or replaces (by source system + documentId) a record.
pub fn upsert(conn: &mut DbConn, record: &MedicationRecord) -> QueryResult<()> {
    conn.transaction(|conn| {
        delete(conn, &record.source_system_hsa_id, &record.document_id)?;
        diesel::insert_into(medications::table)
            .values(record)
            .execute(conn)?;
        Ok(())
    })
}

/// Deletes a record by source system + documentId; returns how many rows went (0 or 1).
pub fn delete(
    conn: &mut DbConn,
    source_system_hsa_id: &str,
    document_id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        medications::table
            .filter(medications::source_system_hsa_id.eq(source_system_hsa_id))
            .filter(medications::document_id.eq(document_id)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use npo_contracts::Envelope;
    use npo_contracts::get_medication_history::{
        GetMedicationHistory, GetMedicationHistoryResponse,
    };
    use npo_contracts::soap::{decode_response, encode};
    use npo_contracts::types::{PatientId, ResultType};

    use super::*;
    use crate::source::Period;

    const PATIENT: &str = "201403129800";
    const SOURCE: &str = "SE2321000016-A12B";

    fn sample() -> MedicationRecord {
        MedicationRecord {
            document_id: "lm-0001".into(),
            source_system_hsa_id: SOURCE.into(),
            patient_id: PATIENT.into(),
            patient_id_type: "1.2.752.129.2.1.3.1".into(),
            author_time: "20250115101500".into(),
            author_hsa_id: Some("SE2321000016-P101".into()),
            author_name: Some("Maria Holm".into()),
            author_role_code: Some("201010".into()),
            author_role_name: Some("Läkare".into()),
            author_org_unit_hsa_id: Some("SE2321000016-H8K2".into()),
            author_org_unit_name: Some("BUM Exempelstad".into()),
            care_unit_hsa_id: "SE2321000016-H8K2".into(),
            care_giver_hsa_id: "SE2321000016-0002".into(),
            legal_authenticator_hsa_id: Some("SE2321000016-P101".into()),
            legal_authenticator_name: Some("Maria Holm".into()),
            signature_time: Some("20250115103000".into()),
            approved_for_patient: true,
            care_contact_id: Some("vko-2025-000118".into()),
            nullified: false,
            nullified_reason: None,
            prescription_id: "ord-40011".into(),
            prescription_chain_id: Some("kedja-40011".into()),
            type_of_prescription: "I".into(),
            prescription_status: "Active".into(),
            drug_npl_id: Some("19890922000049".into()),
            drug_name: Some("Airomir 0,1 mg/dos inhalationsspray".into()),
            drug_atc_code: Some("R03AC02".into()),
            drug_atc_name: Some("Salbutamol".into()),
            drug_text: None,
            dosage_instruction: Some("1-2 inhalationer vid behov".into()),
            treatment_purpose: Some("Mot andnöd vid astmabesvär".into()),
            prescription_note: Some("Astmakontroll en gång per år".into()),
            start_of_treatment: Some("20250115101500".into()),
            end_of_treatment: Some("20260115000000".into()),
            end_of_treatment_reason: Some("Behandlingstiden slut".into()),
            self_medication: false,
            prescriber_hsa_id: Some("SE2321000016-P101".into()),
            prescriber_name: Some("Maria Holm".into()),
            prescription_time: Some("20250115101500".into()),
        }
    }

    fn ts(s: &str) -> TimeStamp {
        TimeStamp::parse(s).expect("valid stamp")
    }

    fn filters(patient: &str, source: &str, period: Option<(&str, &str)>) -> Filters {
        Filters {
            patient: PatientId::parse_canonical(patient).expect("valid patient"),
            source_system: source.into(),
            period: period.map(|(start, end)| Period {
                start: ts(start),
                end: ts(end),
            }),
            care_unit_hsa_ids: Vec::new(),
            care_giver_hsa_ids: Vec::new(),
            care_contact_ids: Vec::new(),
            consumer: None,
        }
    }

    fn med_filters(common: Filters) -> MedicationFilters {
        MedicationFilters {
            common,
            prescription_chain_id: None,
            prescription_status: None,
        }
    }

    fn problem_fields(record: &MedicationRecord) -> Vec<&'static str> {
        record.validate().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_full_record_is_valid() {
        assert_eq!(sample().validate(), Vec::new());
        let text_drug = MedicationRecord {
            drug_npl_id: None,
            drug_name: None,
            drug_atc_code: None,
            drug_atc_name: None,
            drug_text: Some("Ventolin".into()),
            ..sample()
        };
        assert_eq!(text_drug.validate(), Vec::new());
        let self_medication = MedicationRecord {
            self_medication: true,
            prescriber_hsa_id: None,
            prescriber_name: None,
            prescription_time: None,
            ..sample()
        };
        assert_eq!(self_medication.validate(), Vec::new());
        let discontinuation = MedicationRecord {
            type_of_prescription: "U".into(),
            drug_npl_id: None,
            drug_name: None,
            drug_atc_code: None,
            drug_atc_name: None,
            dosage_instruction: None,
            start_of_treatment: None,
            ..sample()
        };
        assert_eq!(discontinuation.validate(), Vec::new());
    }

    #[test]
    fn validation_names_each_bad_field() {
        let cases: Vec<(MedicationRecord, &str)> = vec![
            (
                MedicationRecord {
                    prescription_id: " ".into(),
                    ..sample()
                },
                "prescriptionId",
            ),
            (
                MedicationRecord {
                    prescription_chain_id: Some(String::new()),
                    ..sample()
                },
                "prescriptionChainId",
            ),
            (
                MedicationRecord {
                    type_of_prescription: "X".into(),
                    ..sample()
                },
                "typeOfPrescription",
            ),
            (
                MedicationRecord {
                    prescription_status: "active".into(),
                    ..sample()
                },
                "prescriptionStatus",
            ),
            (
                MedicationRecord {
                    start_of_treatment: Some("2025-01-15".into()),
                    ..sample()
                },
                "startOfTreatment",
            ),
            (
                MedicationRecord {
                    start_of_treatment: None,
                    ..sample()
                },
                "startOfTreatment",
            ),
            (
                MedicationRecord {
                    end_of_treatment: Some("20240101000000".into()),
                    ..sample()
                },
                "endOfTreatment",
            ),
            (
                MedicationRecord {
                    end_of_treatment: Some("20251301000000".into()),
                    ..sample()
                },
                "endOfTreatment",
            ),
            (
                MedicationRecord {
                    prescription_time: Some("x".into()),
                    ..sample()
                },
                "prescriptionTime",
            ),
            (
                MedicationRecord {
                    drug_name: None,
                    ..sample()
                },
                "drugName",
            ),
            (
                MedicationRecord {
                    drug_text: Some("Airomir".into()),
                    ..sample()
                },
                "drugText",
            ),
            (
                MedicationRecord {
                    drug_npl_id: None,
                    drug_atc_code: None,
                    drug_atc_name: None,
                    ..sample()
                },
                "drugName",
            ),
            (
                MedicationRecord {
                    drug_npl_id: None,
                    drug_name: None,
                    drug_atc_code: None,
                    drug_atc_name: None,
                    dosage_instruction: None,
                    ..sample()
                },
                "drugNplId",
            ),
            (
                MedicationRecord {
                    drug_npl_id: None,
                    drug_name: None,
                    drug_text: Some("Ventolin".into()),
                    ..sample()
                },
                "drugAtcCode",
            ),
            (
                MedicationRecord {
                    drug_atc_name: None,
                    ..sample()
                },
                "drugAtcName",
            ),
            (
                MedicationRecord {
                    type_of_prescription: "U".into(),
                    drug_npl_id: None,
                    drug_name: None,
                    drug_atc_code: None,
                    drug_atc_name: None,
                    ..sample()
                },
                "dosageInstruction",
            ),
            (
                MedicationRecord {
                    prescriber_hsa_id: Some("bad id".into()),
                    ..sample()
                },
                "prescriberHsaId",
            ),
            (
                MedicationRecord {
                    prescriber_hsa_id: None,
                    prescriber_name: None,
                    ..sample()
                },
                "prescriberHsaId",
            ),
            (
                MedicationRecord {
                    prescriber_hsa_id: None,
                    prescriber_name: None,
                    prescription_time: None,
                    ..sample()
                },
                "prescriptionTime",
            ),
            (
                MedicationRecord {
                    self_medication: true,
                    prescription_time: None,
                    ..sample()
                },
                "prescriptionTime",
            ),
            (
                MedicationRecord {
                    patient_id: "201403129801".into(),
                    ..sample()
                },
                "patientId",
            ),
        ];
        for (record, field) in cases {
            let problems = record.validate();
            assert!(
                problems.iter().any(|p| p.field == field),
                "expected a problem with {field}, got {problems:?}"
            );
            for p in &problems {
                assert!(
                    !p.reason.contains(PATIENT),
                    "reason echoes the patient id: {p:?}"
                );
            }
        }
        let record = MedicationRecord {
            type_of_prescription: "X".into(),
            ..sample()
        };
        assert_eq!(problem_fields(&record), vec!["typeOfPrescription"]);
    }

    #[test]
    fn the_period_rule_uses_the_treatment_interval() {
        let f = filters(PATIENT, SOURCE, Some(("20240101000000", "20241231235959")));
        let with =
            |prescribed: Option<&str>, start: Option<&str>, end: Option<&str>| MedicationRecord {
                prescription_time: prescribed.map(Into::into),
                start_of_treatment: start.map(Into::into),
                end_of_treatment: end.map(Into::into),
                author_time: "20230101000000".into(),
                ..sample()
            };
        // Starts exactly on the period's end; ends exactly on its start.
        assert!(with(Some("20241231235959"), None, None).in_period(&f));
        assert!(with(Some("20200101000000"), None, Some("20240101000000")).in_period(&f));
        // Just outside on either side.
        assert!(!with(Some("20250101000000"), None, None).in_period(&f));
        assert!(!with(Some("20200101000000"), None, Some("20231231235959")).in_period(&f));
        // Open-ended treatment started long before.
        assert!(with(Some("20100101000000"), None, None).in_period(&f));
        // The prescriber's time wins over a later start of treatment.
        assert!(with(Some("20241231000000"), Some("20250201000000"), None).in_period(&f));
        // Without a prescriber: start of treatment, else the header's authorTime.
        assert!(!with(None, Some("20250101000000"), None).in_period(&f));
        assert!(with(None, Some("20240601000000"), Some("20240701000000")).in_period(&f));
        assert!(!with(None, None, Some("20231231235959")).in_period(&f));
        assert!(with(None, None, Some("20240101000000")).in_period(&f));
        // No period: everything.
        assert!(
            with(Some("20300101000000"), None, None).in_period(&filters(PATIENT, SOURCE, None))
        );
    }

    #[test]
    fn chain_and_status_filters() {
        let record = sample();
        let mut f = med_filters(filters(PATIENT, SOURCE, None));
        assert!(record.matches(&f));
        f.prescription_chain_id = Some(local_id("kedja-40011"));
        assert!(record.matches(&f));
        f.prescription_chain_id = Some(local_id("kedja-1"));
        assert!(!record.matches(&f));
        f.prescription_chain_id = Some(IiType {
            root: "1.2.3".into(),
            extension: Some("kedja-40011".into()),
        });
        assert!(!record.matches(&f));
        f.prescription_chain_id = None;
        f.prescription_status = Some(PrescriptionStatusEnum::Active);
        assert!(record.matches(&f));
        f.prescription_status = Some(PrescriptionStatusEnum::Inactive);
        assert!(!record.matches(&f));
    }

    fn round_trip(records: Vec<MedicationMedicalRecordType>) -> String {
        let response = GetMedicationHistoryResponse {
            medication_medical_record: records,
            result: ResultType::ok("5f0c1c1e-0000-4000-8000-000000000001"),
        };
        let xml = encode(&Envelope::bare(response.clone()));
        let decoded = decode_response::<GetMedicationHistory>(xml.as_bytes()).expect("decodes");
        assert_eq!(decoded.body, response);
        xml
    }

    #[test]
    fn the_contract_record_round_trips_without_forbidden_elements() {
        let full = sample().to_contract().expect("contract record");
        let prescription = full.prescription();
        assert_eq!(prescription.prescription_id, local_id("ord-40011"));
        assert_eq!(
            prescription
                .drug
                .as_ref()
                .map(DrugChoiceType::alternatives_given),
            Some(1)
        );
        let text_drug = MedicationRecord {
            document_id: "lm-0002".into(),
            drug_npl_id: None,
            drug_name: None,
            drug_atc_code: None,
            drug_atc_name: None,
            drug_text: Some("Ventolin".into()),
            ..sample()
        }
        .to_contract()
        .expect("contract record");
        let stop = MedicationRecord {
            document_id: "lm-0003".into(),
            type_of_prescription: "U".into(),
            prescription_status: "Inactive".into(),
            self_medication: true,
            prescriber_hsa_id: None,
            prescriber_name: None,
            prescription_time: None,
            signature_time: None,
            legal_authenticator_hsa_id: None,
            legal_authenticator_name: None,
            ..sample()
        }
        .to_contract()
        .expect("contract record");
        assert!(stop.prescription().drug.is_none());
        assert!(stop.prescription().prescriber.is_none());
        let xml = round_trip(vec![full, text_drug, stop]);
        assert!(xml.contains(":prescriptionId>") && xml.contains(":selfMedication>"));
        for forbidden in ["documentTime", "nullified", "nullifiedReason", "relation"] {
            assert!(!xml.contains(&format!(":{forbidden}>")), "{forbidden} sent");
        }
        // The prescriber carries no care unit or care giver; the header does.
        for prescriber in xml.split("prescriber>").skip(1).step_by(2) {
            assert!(
                !prescriber.contains("CareUnitHSAId") && !prescriber.contains("CareGiverHSAId")
            );
        }
        assert_eq!(
            xml.matches("healthcareProfessionalCareUnitHSAId>").count(),
            6
        );
    }

    #[test]
    fn rows_breaking_contract_rules_are_not_sent() {
        assert!(
            MedicationRecord {
                author_time: "x".into(),
                ..sample()
            }
            .to_contract()
            .is_none()
        );
        assert!(
            MedicationRecord {
                end_of_treatment: Some("x".into()),
                ..sample()
            }
            .to_contract()
            .is_none()
        );
        assert!(
            MedicationRecord {
                prescription_time: None,
                ..sample()
            }
            .to_contract()
            .is_none()
        );
        assert!(
            MedicationRecord {
                start_of_treatment: None,
                ..sample()
            }
            .to_contract()
            .is_none()
        );
        assert!(
            MedicationRecord {
                drug_npl_id: None,
                drug_text: None,
                ..sample()
            }
            .to_contract()
            .is_none()
        );
    }

    #[test]
    fn the_table_stores_and_finds_records() {
        let mut conn = crate::db::DbManager::new(":memory:").open().expect("open");
        crate::db::run_migrations(&mut conn).expect("migrations");
        let record = sample();
        upsert(&mut conn, &record).expect("insert");
        upsert(&mut conn, &record).expect("replace");
        let withdrawn = MedicationRecord {
            document_id: "lm-9".into(),
            nullified: true,
            nullified_reason: Some("Fel patient".into()),
            ..sample()
        };
        upsert(&mut conn, &withdrawn).expect("insert nullified");
        let count: i64 = medications::table
            .count()
            .get_result(&mut conn)
            .expect("count");
        assert_eq!(count, 2);

        let found = find(&mut conn, &med_filters(filters(PATIENT, SOURCE, None))).expect("find");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].medication_medical_record_header.document_id,
            "lm-0001"
        );
        let in_period = filters(PATIENT, SOURCE, Some(("20250101000000", "20250131235959")));
        assert_eq!(
            find(&mut conn, &med_filters(in_period))
                .expect("find")
                .len(),
            1
        );
        let before = filters(PATIENT, SOURCE, Some(("20200101000000", "20201231235959")));
        assert!(
            find(&mut conn, &med_filters(before))
                .expect("find")
                .is_empty()
        );
        let other_patient = filters("201501012387", SOURCE, None);
        assert!(
            find(&mut conn, &med_filters(other_patient))
                .expect("find")
                .is_empty()
        );
        let other_source = filters(PATIENT, "SE2321000016-XXXX", None);
        assert!(
            find(&mut conn, &med_filters(other_source))
                .expect("find")
                .is_empty()
        );
        let mut inactive = med_filters(filters(PATIENT, SOURCE, None));
        inactive.prescription_status = Some(PrescriptionStatusEnum::Inactive);
        assert!(find(&mut conn, &inactive).expect("find").is_empty());

        assert_eq!(delete(&mut conn, SOURCE, "lm-0001").expect("delete"), 1);
        assert_eq!(delete(&mut conn, SOURCE, "lm-0001").expect("delete"), 0);
        assert!(
            find(&mut conn, &med_filters(filters(PATIENT, SOURCE, None)))
                .expect("find")
                .is_empty()
        );
    }

    #[test]
    fn import_json_uses_camel_case_and_refuses_unknown_fields() {
        let json = serde_json::to_value(sample()).expect("json");
        assert!(json.get("drugNplId").is_some() && json.get("prescriptionChainId").is_some());
        let back: MedicationRecord = serde_json::from_value(json.clone()).expect("parse");
        assert_eq!(back, sample());
        let mut unknown = json;
        unknown["dosage"] = serde_json::json!("x");
        assert!(serde_json::from_value::<MedicationRecord>(unknown).is_err());
    }
}

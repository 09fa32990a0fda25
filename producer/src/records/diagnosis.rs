//! Diagnoses (GetDiagnosis 2).

use diesel::prelude::*;
use npo_contracts::healthcond_description::{
    DiagnosisBodyType, DiagnosisType, DiagnosisTypeEnum, HealthcareProfessionalType, OrgUnitType,
    PatientSummaryHeaderType,
};
use npo_contracts::types::{CvType, LegalAuthenticatorType, PersonIdType, TimeStamp};

use super::header::{FieldProblem, HeaderRef, JournalRecord, time};
use crate::db::DbConn;
use crate::record;
use crate::source::Filters;

/// Code system of ICD-10-SE, the default for diagnosis codes.
pub const ICD10_SE: &str = "1.2.752.116.1.1.1.1.3";
/// Code system of KV Befattning (role codes).
pub const KV_BEFATTNING: &str = "1.2.752.129.2.2.1.4";

diesel::table! {
    /// Diagnoses.
    diagnoses (source_system_hsa_id, document_id) {
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
        type_of_diagnosis -> Text,
        chronic_diagnosis -> Nullable<Bool>,
        diagnosis_time -> Nullable<Text>,
        diagnosis_code -> Nullable<Text>,
        diagnosis_code_system -> Nullable<Text>,
        diagnosis_display_name -> Nullable<Text>,
        diagnosis_original_text -> Nullable<Text>,
    }
}

record! {
    /// A diagnosis record.
    pub struct DiagnosisRecord in diagnoses {
        /// `Huvuddiagnos` (main) or `Bidiagnos` (secondary).
        pub type_of_diagnosis: String,
        /// Whether the diagnosis is chronic.
        #[serde(default)]
        pub chronic_diagnosis: Option<bool>,
        /// When the diagnosis was made, `YYYYMMDDhhmmss`.
        #[serde(default)]
        pub diagnosis_time: Option<String>,
        /// The diagnosis code (e.g. ICD-10-SE `J45.9`); with a display name.
        #[serde(default)]
        pub diagnosis_code: Option<String>,
        /// Code system OID of the code; ICD-10-SE when omitted.
        #[serde(default)]
        pub diagnosis_code_system: Option<String>,
        /// Display name of the code.
        #[serde(default)]
        pub diagnosis_display_name: Option<String>,
        /// A diagnosis in free text, instead of a code.
        #[serde(default)]
        pub diagnosis_original_text: Option<String>,
    }
}

impl JournalRecord for DiagnosisRecord {
    const KIND: &'static str = "diagnosis";

    fn header(&self) -> HeaderRef<'_> {
        self.header_ref()
    }

    fn validate(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        self.header_ref().validate(&mut problems);
        if DiagnosisTypeEnum::parse(&self.type_of_diagnosis).is_none() {
            problems.push(FieldProblem::new(
                "typeOfDiagnosis",
                "must be Huvuddiagnos or Bidiagnos",
            ));
        }
        time(
            "diagnosisTime",
            self.diagnosis_time.as_deref(),
            &mut problems,
        );
        match (&self.diagnosis_code, &self.diagnosis_original_text) {
            (Some(_), Some(_)) => problems.push(FieldProblem::new(
                "diagnosisOriginalText",
                "give either diagnosisCode (with diagnosisDisplayName) or diagnosisOriginalText",
            )),
            (Some(_), None) if self.diagnosis_display_name.is_none() => problems.push(
                FieldProblem::new("diagnosisDisplayName", "required with diagnosisCode"),
            ),
            (None, None) => problems.push(FieldProblem::new(
                "diagnosisCode",
                "a diagnosis needs diagnosisCode or diagnosisOriginalText",
            )),
            _ => {}
        }
        problems
    }
}

/// Parses a stored time stamp (validated on import; a bad one is treated as absent).
fn stamp(value: Option<&str>) -> Option<TimeStamp> {
    value.and_then(TimeStamp::parse)
}

impl DiagnosisRecord {
    /// Whether the record matches GetDiagnosis' period rule: authorTime,
    /// signatureTime or diagnosisTime in the period.
    pub fn in_period(&self, filters: &Filters) -> bool {
        filters.period.is_none_or(|period| {
            [
                Some(self.author_time.as_str()),
                self.signature_time.as_deref(),
                self.diagnosis_time.as_deref(),
            ]
            .into_iter()
            .filter_map(stamp)
            .any(|t| period.contains(t))
        })
    }

    /// The contract record, with only what GetDiagnosis may send (no documentTitle,
    /// documentTime, nullified, nullifiedReason). `None` when a stored time stamp is
    /// unreadable (import validates them, so only a row written around it).
    pub fn to_contract(&self) -> Option<DiagnosisType> {
        self.clone().into_contract()
    }

    /// [`DiagnosisRecord::to_contract`], moving the record's strings into the contract
    /// record instead of copying them (the per-request path).
    pub fn into_contract(self) -> Option<DiagnosisType> {
        let author_time = stamp(Some(&self.author_time))?;
        let signature_time = stamp(self.signature_time.as_deref());
        let diagnosis_time = stamp(self.diagnosis_time.as_deref());
        let type_of_diagnosis = DiagnosisTypeEnum::parse(&self.type_of_diagnosis)
            .unwrap_or(DiagnosisTypeEnum::Bidiagnos);
        let diagnosis_code = match (self.diagnosis_code, self.diagnosis_original_text) {
            (Some(code), _) => {
                let display_name = self.diagnosis_display_name.unwrap_or_else(|| code.clone());
                Some(CvType {
                    code: Some(code),
                    code_system: Some(
                        self.diagnosis_code_system
                            .unwrap_or_else(|| ICD10_SE.to_owned()),
                    ),
                    code_system_name: None,
                    code_system_version: None,
                    display_name: Some(display_name),
                    original_text: None,
                })
            }
            (None, Some(text)) => Some(CvType {
                code: None,
                code_system: None,
                code_system_name: None,
                code_system_version: None,
                display_name: None,
                original_text: Some(text),
            }),
            (None, None) => None,
        };
        let role_code = self.author_role_code.map(|code| {
            let name = self.author_role_name.unwrap_or_else(|| code.clone());
            CvType {
                code: Some(code),
                code_system: Some(KV_BEFATTNING.to_owned()),
                code_system_name: None,
                code_system_version: None,
                display_name: Some(name),
                original_text: None,
            }
        });
        let org_unit = match (self.author_org_unit_hsa_id, self.author_org_unit_name) {
            (Some(org_unit_hsa_id), Some(org_unit_name)) => Some(OrgUnitType {
                org_unit_hsa_id,
                org_unit_name,
                org_unit_telecom: None,
                org_unit_email: None,
                org_unit_address: None,
                org_unit_location: None,
            }),
            _ => None,
        };
        Some(DiagnosisType {
            diagnosis_header: PatientSummaryHeaderType {
                document_id: self.document_id,
                source_system_hsa_id: self.source_system_hsa_id,
                document_title: None,
                document_time: None,
                patient_id: PersonIdType {
                    id: self.patient_id,
                    r#type: self.patient_id_type,
                },
                accountable_healthcare_professional: HealthcareProfessionalType {
                    author_time,
                    healthcare_professional_hsa_id: self.author_hsa_id,
                    healthcare_professional_name: self.author_name,
                    healthcare_professional_role_code: role_code,
                    healthcare_professional_org_unit: org_unit,
                    healthcare_professional_care_unit_hsa_id: Some(self.care_unit_hsa_id),
                    healthcare_professional_care_giver_hsa_id: Some(self.care_giver_hsa_id),
                },
                legal_authenticator: signature_time.map(|signature_time| LegalAuthenticatorType {
                    signature_time,
                    legal_authenticator_hsa_id: self.legal_authenticator_hsa_id,
                    legal_authenticator_name: self.legal_authenticator_name,
                }),
                approved_for_patient: self.approved_for_patient,
                care_contact_id: self.care_contact_id,
                nullified: None,
                nullified_reason: None,
            },
            diagnosis_body: DiagnosisBodyType {
                type_of_diagnosis,
                chronic_diagnosis: self.chronic_diagnosis,
                diagnosis_time,
                diagnosis_code,
                related_diagnosis: Vec::new(),
            },
        })
    }
}

/// The patient's non-nullified diagnoses in the source system, newest first.
pub fn for_patient(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<DiagnosisRecord>> {
    diagnoses::table
        .filter(diagnoses::source_system_hsa_id.eq(&filters.source_system))
        .filter(diagnoses::patient_id.eq(filters.patient.as_str()))
        .filter(diagnoses::nullified.eq(false))
        .order(diagnoses::author_time.desc())
        .select(DiagnosisRecord::as_select())
        .load(conn)
}

/// GetDiagnosis: the records matching every filter, as contract records (newest
/// first). Rows are turned into contract records as they are read, without a vector of
/// all rows in between.
pub fn find(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<DiagnosisType>> {
    let rows = diagnoses::table
        .filter(diagnoses::source_system_hsa_id.eq(&filters.source_system))
        .filter(diagnoses::patient_id.eq(filters.patient.as_str()))
        .filter(diagnoses::nullified.eq(false))
        .order(diagnoses::author_time.desc())
        .select(DiagnosisRecord::as_select())
        .load_iter::<DiagnosisRecord, diesel::connection::DefaultLoadingMode>(conn)?;
    let mut found = Vec::new();
    for row in rows {
        let record = row?;
        if record.in_period(filters)
            && record.header_ref().admitted_by(filters)
            && let Some(contract) = record.into_contract()
        {
            found.push(contract);
        }
    }
    Ok(found)
}

/// Inserts or replaces (by source system + documentId) a record.
pub fn upsert(conn: &mut DbConn, record: &DiagnosisRecord) -> QueryResult<()> {
    diesel::delete(
        diagnoses::table
            .filter(diagnoses::source_system_hsa_id.eq(&record.source_system_hsa_id))
            .filter(diagnoses::document_id.eq(&record.document_id)),
    )
    .execute(conn)?;
    diesel::insert_into(diagnoses::table)
        .values(record)
        .execute(conn)?;
    Ok(())
}

/// Deletes a record; returns how many rows went (0 or 1).
pub fn delete(
    conn: &mut DbConn,
    source_system_hsa_id: &str,
    document_id: &str,
) -> QueryResult<usize> {
    diesel::delete(
        diagnoses::table
            .filter(diagnoses::source_system_hsa_id.eq(source_system_hsa_id))
            .filter(diagnoses::document_id.eq(document_id)),
    )
    .execute(conn)
}

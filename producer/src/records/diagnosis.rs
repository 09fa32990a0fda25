//! Diagnoses (GetDiagnosis 2).

use compact_str::CompactString;
use diesel::prelude::*;
use npo_contracts::get_diagnosis::{
    CodeRef, DiagnosisRef, GetDiagnosisResponseWriter, LegalAuthenticatorRef,
};
use npo_contracts::healthcond_description::{DiagnosisType, DiagnosisTypeEnum};
use npo_contracts::types::TimeStamp;

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

/// The body columns of a diagnosis, borrowed.
struct BodyRef<'a> {
    type_of_diagnosis: &'a str,
    chronic_diagnosis: Option<bool>,
    diagnosis_time: Option<&'a str>,
    diagnosis_code: Option<&'a str>,
    diagnosis_code_system: Option<&'a str>,
    diagnosis_display_name: Option<&'a str>,
    diagnosis_original_text: Option<&'a str>,
}

/// What GetDiagnosis sends of a stored diagnosis (no documentTitle, documentTime,
/// nullified, nullifiedReason). `None` when the stored authorTime is unreadable
/// (import validates it, so only a row written around it); an unreadable
/// signatureTime drops the legalAuthenticator, an unreadable diagnosisTime the
/// diagnosisTime.
fn sent<'a>(header: HeaderRef<'a>, body: BodyRef<'a>) -> Option<DiagnosisRef<'a>> {
    let author_time = stamp(Some(header.author_time))?;
    let diagnosis_code = match (body.diagnosis_code, body.diagnosis_original_text) {
        (Some(code), _) => Some(CodeRef::Coded {
            code,
            code_system: body.diagnosis_code_system.unwrap_or(ICD10_SE),
            display_name: body.diagnosis_display_name.unwrap_or(code),
        }),
        (None, Some(text)) => Some(CodeRef::Text(text)),
        (None, None) => None,
    };
    Some(DiagnosisRef {
        document_id: header.document_id,
        source_system_hsa_id: header.source_system_hsa_id,
        patient_id: header.patient_id,
        patient_id_type: header.patient_id_type,
        author_time,
        author_hsa_id: header.author_hsa_id,
        author_name: header.author_name,
        author_role: header.author_role_code.map(|code| CodeRef::Coded {
            code,
            code_system: KV_BEFATTNING,
            display_name: header.author_role_name.unwrap_or(code),
        }),
        author_org_unit: header
            .author_org_unit_hsa_id
            .zip(header.author_org_unit_name),
        care_unit_hsa_id: Some(header.care_unit_hsa_id),
        care_giver_hsa_id: Some(header.care_giver_hsa_id),
        legal_authenticator: stamp(header.signature_time).map(|signature_time| {
            LegalAuthenticatorRef {
                signature_time,
                hsa_id: header.legal_authenticator_hsa_id,
                name: header.legal_authenticator_name,
            }
        }),
        approved_for_patient: header.approved_for_patient,
        care_contact_id: header.care_contact_id,
        type_of_diagnosis: DiagnosisTypeEnum::parse(body.type_of_diagnosis)
            .unwrap_or(DiagnosisTypeEnum::Bidiagnos),
        chronic_diagnosis: body.chronic_diagnosis,
        diagnosis_time: stamp(body.diagnosis_time),
        diagnosis_code,
    })
}

/// GetDiagnosis' period rule: authorTime, signatureTime or diagnosisTime in the
/// period (on the readable time stamps of the record as it is sent).
fn sent_in_period(record: &DiagnosisRef<'_>, filters: &Filters) -> bool {
    filters.period.is_none_or(|period| {
        period.contains(record.author_time)
            || record
                .legal_authenticator
                .is_some_and(|signer| period.contains(signer.signature_time))
            || record.diagnosis_time.is_some_and(|t| period.contains(t))
    })
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

    /// The record as GetDiagnosis sends it, borrowed (see [`DiagnosisRecord::to_contract`]).
    pub fn to_sent(&self) -> Option<DiagnosisRef<'_>> {
        sent(
            self.header_ref(),
            BodyRef {
                type_of_diagnosis: &self.type_of_diagnosis,
                chronic_diagnosis: self.chronic_diagnosis,
                diagnosis_time: self.diagnosis_time.as_deref(),
                diagnosis_code: self.diagnosis_code.as_deref(),
                diagnosis_code_system: self.diagnosis_code_system.as_deref(),
                diagnosis_display_name: self.diagnosis_display_name.as_deref(),
                diagnosis_original_text: self.diagnosis_original_text.as_deref(),
            },
        )
    }

    /// The contract record, with only what GetDiagnosis may send (no documentTitle,
    /// documentTime, nullified, nullifiedReason). `None` when a stored time stamp is
    /// unreadable (import validates them, so only a row written around it).
    pub fn to_contract(&self) -> Option<DiagnosisType> {
        self.to_sent().map(|record| record.to_contract())
    }
}

/// The columns of a diagnosis that GetDiagnosis sends. The query's filters fix the
/// source system, the patient and `nullified`, so those are not read back. Text is
/// read into [`CompactString`]s: the short values (most of them) without allocating.
#[derive(Queryable, Selectable)]
#[diesel(table_name = diagnoses)]
struct SentRow {
    document_id: CompactString,
    patient_id_type: CompactString,
    author_time: CompactString,
    author_hsa_id: Option<CompactString>,
    author_name: Option<CompactString>,
    author_role_code: Option<CompactString>,
    author_role_name: Option<CompactString>,
    author_org_unit_hsa_id: Option<CompactString>,
    author_org_unit_name: Option<CompactString>,
    care_unit_hsa_id: CompactString,
    care_giver_hsa_id: CompactString,
    legal_authenticator_hsa_id: Option<CompactString>,
    legal_authenticator_name: Option<CompactString>,
    signature_time: Option<CompactString>,
    approved_for_patient: bool,
    care_contact_id: Option<CompactString>,
    type_of_diagnosis: CompactString,
    chronic_diagnosis: Option<bool>,
    diagnosis_time: Option<CompactString>,
    diagnosis_code: Option<CompactString>,
    diagnosis_code_system: Option<CompactString>,
    diagnosis_display_name: Option<CompactString>,
    diagnosis_original_text: Option<CompactString>,
}

impl SentRow {
    /// The header, with the source system and patient the query matched on.
    fn header<'a>(&'a self, filters: &'a Filters) -> HeaderRef<'a> {
        HeaderRef {
            document_id: &self.document_id,
            source_system_hsa_id: &filters.source_system,
            patient_id: filters.patient.as_str(),
            patient_id_type: &self.patient_id_type,
            author_time: &self.author_time,
            author_hsa_id: self.author_hsa_id.as_deref(),
            author_name: self.author_name.as_deref(),
            author_role_code: self.author_role_code.as_deref(),
            author_role_name: self.author_role_name.as_deref(),
            author_org_unit_hsa_id: self.author_org_unit_hsa_id.as_deref(),
            author_org_unit_name: self.author_org_unit_name.as_deref(),
            care_unit_hsa_id: &self.care_unit_hsa_id,
            care_giver_hsa_id: &self.care_giver_hsa_id,
            legal_authenticator_hsa_id: self.legal_authenticator_hsa_id.as_deref(),
            legal_authenticator_name: self.legal_authenticator_name.as_deref(),
            signature_time: self.signature_time.as_deref(),
            approved_for_patient: self.approved_for_patient,
            care_contact_id: self.care_contact_id.as_deref(),
            nullified: false,
            nullified_reason: None,
        }
    }

    /// The record as sent, when it passes every filter.
    fn sent_if_admitted<'a>(&'a self, filters: &'a Filters) -> Option<DiagnosisRef<'a>> {
        let header = self.header(filters);
        if !header.admitted_by(filters) {
            return None;
        }
        let record = sent(
            header,
            BodyRef {
                type_of_diagnosis: &self.type_of_diagnosis,
                chronic_diagnosis: self.chronic_diagnosis,
                diagnosis_time: self.diagnosis_time.as_deref(),
                diagnosis_code: self.diagnosis_code.as_deref(),
                diagnosis_code_system: self.diagnosis_code_system.as_deref(),
                diagnosis_display_name: self.diagnosis_display_name.as_deref(),
                diagnosis_original_text: self.diagnosis_original_text.as_deref(),
            },
        )?;
        sent_in_period(&record, filters).then_some(record)
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

/// Calls `each` with every record matching every filter, as GetDiagnosis sends it
/// (newest first), as the rows are read. The query runs on the connection's own
/// backend type rather than through [`DbConn`]'s per-value dispatch, and reads only
/// the columns that are sent.
fn for_each_sent(
    conn: &mut DbConn,
    filters: &Filters,
    mut each: impl FnMut(&DiagnosisRef<'_>),
) -> QueryResult<()> {
    use diesel::connection::DefaultLoadingMode;
    // A macro, not a value: the selection is typed by the backend it runs on.
    macro_rules! query {
        () => {
            diagnoses::table
                .filter(diagnoses::source_system_hsa_id.eq(&filters.source_system))
                .filter(diagnoses::patient_id.eq(filters.patient.as_str()))
                .filter(diagnoses::nullified.eq(false))
                .order(diagnoses::author_time.desc())
                .select(SentRow::as_select())
        };
    }
    let mut take = |row: SentRow| {
        if let Some(record) = row.sent_if_admitted(filters) {
            each(&record);
        }
    };
    match conn {
        DbConn::Sqlite(conn) => {
            for row in query!().load_iter::<SentRow, DefaultLoadingMode>(conn)? {
                take(row?);
            }
        }
        DbConn::Pg(conn) => {
            for row in query!().load_iter::<SentRow, DefaultLoadingMode>(conn)? {
                take(row?);
            }
        }
    }
    Ok(())
}

/// GetDiagnosis: the records matching every filter, as contract records (newest
/// first).
pub fn find(conn: &mut DbConn, filters: &Filters) -> QueryResult<Vec<DiagnosisType>> {
    let mut found = Vec::new();
    for_each_sent(conn, filters, |record| found.push(record.to_contract()))?;
    Ok(found)
}

/// GetDiagnosis: writes the records matching every filter (newest first) into the
/// response as the rows are read, without contract structs in between.
pub fn write_found(
    conn: &mut DbConn,
    filters: &Filters,
    out: &mut GetDiagnosisResponseWriter,
) -> QueryResult<()> {
    for_each_sent(conn, filters, |record| out.push(record))
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

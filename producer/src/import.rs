//! The vendor import: a JSON document of journal records to store (or replace) and of
//! records to delete, checked completely before anything is written, then applied in
//! one transaction together with the engagement-index outbox rows of the changes.
//!
//! The format is documented for vendors in `producer/IMPORT.md`; its JSON Schema
//! (`schemas/producer-import.schema.json`, printed by `npo producer import-schema`) is
//! generated from [`ImportDocument`], so the doc comments of the record fields are the
//! field descriptions vendors read.
//!
//! Importing the same document twice changes nothing the second time: records equal to
//! the stored ones are left alone, deletions of absent records are no-ops, and only
//! real changes queue engagement updates.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;
use npo_contracts::engagement_index::NOT_APPLICABLE;
use npo_contracts::registry::{Contract, EngagementKeys};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::db::DbConn;
use crate::outbox::{self, EngagementChange};
use crate::records::care_contact::CareContactRecord;
use crate::records::care_documentation::CareDocumentationRecord;
use crate::records::diagnosis::DiagnosisRecord;
use crate::records::medication::MedicationRecord;
use crate::records::observation::ObservationRecord;
use crate::records::vaccination::VaccinationRecord;
use crate::records::{FieldProblem, HeaderRef, JournalRecord, header};

/// A vendor import document: records to store and records to delete. Either list may
/// be empty or left out. A document may not name the same record (type,
/// `sourceSystemHsaId`, `documentId`) twice, nor both store and delete it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "NPÖ producer import document")]
pub struct ImportDocument {
    /// Records to store. A record with the `type`, `sourceSystemHsaId` and `documentId`
    /// of a stored one replaces it completely (fields left out become empty).
    #[serde(default)]
    pub records: Vec<ImportRecord>,
    /// Records to delete (e.g. removed from the journal). Deleting a record that is not
    /// stored is not an error. To withdraw a record that was shown, prefer sending it
    /// again with `nullified: true`.
    #[serde(default)]
    pub deletions: Vec<Deletion>,
}

/// One journal record; `type` says which kind, the other fields are that kind's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ImportRecord {
    /// A diagnosis, served by GetDiagnosis 2.
    Diagnosis(DiagnosisRecord),
    /// A care contact (visit, phone call, ...), served by GetCareContacts 3.
    CareContact(CareContactRecord),
    /// A medication prescription (one link of a prescription chain), served by
    /// GetMedicationHistory 2.
    Medication(MedicationRecord),
    /// A vaccination, served by GetVaccinationHistory 2.
    Vaccination(VaccinationRecord),
    /// A journal note, served by GetCareDocumentation 3.
    CareDocumentation(CareDocumentationRecord),
    /// An observation (e.g. length, weight, head circumference), served by GetObservations 1.
    Observation(ObservationRecord),
}

/// The kinds of record (the `type` of records and deletions).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum RecordKind {
    /// Diagnoses (GetDiagnosis 2).
    Diagnosis,
    /// Care contacts (GetCareContacts 3).
    CareContact,
    /// Medication (GetMedicationHistory 2).
    Medication,
    /// Vaccinations (GetVaccinationHistory 2).
    Vaccination,
    /// Journal notes (GetCareDocumentation 3).
    CareDocumentation,
    /// Observations (GetObservations 1).
    Observation,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 6] = [
        RecordKind::Diagnosis,
        RecordKind::CareContact,
        RecordKind::Medication,
        RecordKind::Vaccination,
        RecordKind::CareDocumentation,
        RecordKind::Observation,
    ];

    /// The name in the import format (`careContact`, ...).
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Diagnosis => DiagnosisRecord::KIND,
            RecordKind::CareContact => CareContactRecord::KIND,
            RecordKind::Medication => MedicationRecord::KIND,
            RecordKind::Vaccination => VaccinationRecord::KIND,
            RecordKind::CareDocumentation => CareDocumentationRecord::KIND,
            RecordKind::Observation => ObservationRecord::KIND,
        }
    }

    /// The kind with that import name.
    pub fn from_name(name: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The contract that serves records of this kind.
    pub fn contract(self) -> Contract {
        match self {
            RecordKind::Diagnosis => Contract::GetDiagnosis,
            RecordKind::CareContact => Contract::GetCareContacts,
            RecordKind::Medication => Contract::GetMedicationHistory,
            RecordKind::Vaccination => Contract::GetVaccinationHistory,
            RecordKind::CareDocumentation => Contract::GetCareDocumentation,
            RecordKind::Observation => Contract::GetObservations,
        }
    }

    /// serviceDomain and categorization of the kind's engagements.
    pub fn engagement_keys(self) -> Option<EngagementKeys> {
        self.contract().engagement_keys()
    }
}

impl std::fmt::Display for RecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl ImportRecord {
    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            ImportRecord::Diagnosis(_) => RecordKind::Diagnosis,
            ImportRecord::CareContact(_) => RecordKind::CareContact,
            ImportRecord::Medication(_) => RecordKind::Medication,
            ImportRecord::Vaccination(_) => RecordKind::Vaccination,
            ImportRecord::CareDocumentation(_) => RecordKind::CareDocumentation,
            ImportRecord::Observation(_) => RecordKind::Observation,
        }
    }

    /// The common header.
    pub fn header(&self) -> HeaderRef<'_> {
        match self {
            ImportRecord::Diagnosis(r) => r.header(),
            ImportRecord::CareContact(r) => r.header(),
            ImportRecord::Medication(r) => r.header(),
            ImportRecord::Vaccination(r) => r.header(),
            ImportRecord::CareDocumentation(r) => r.header(),
            ImportRecord::Observation(r) => r.header(),
        }
    }

    /// The kind's field checks.
    pub fn validate(&self) -> Vec<FieldProblem> {
        match self {
            ImportRecord::Diagnosis(r) => r.validate(),
            ImportRecord::CareContact(r) => r.validate(),
            ImportRecord::Medication(r) => r.validate(),
            ImportRecord::Vaccination(r) => r.validate(),
            ImportRecord::CareDocumentation(r) => r.validate(),
            ImportRecord::Observation(r) => r.validate(),
        }
    }
}

/// A record to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deletion {
    /// The record's type.
    #[serde(rename = "type")]
    pub kind: RecordKind,
    /// HSA-ID of the source system the record belongs to.
    pub source_system_hsa_id: String,
    /// The record's `documentId`.
    pub document_id: String,
}

/// Which part of a document a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ProblemList {
    /// The document as a whole (not JSON, unknown top-level field, ...).
    Document,
    /// An entry of `records`.
    Records,
    /// An entry of `deletions`.
    Deletions,
}

/// One problem found in an import document. Reasons never repeat field values (they
/// may be personal data), except `type` and `documentId` to say which record it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordProblem {
    /// `records`, `deletions` or `document`.
    pub list: ProblemList,
    /// 1-based position in that list (0 for the document).
    pub number: usize,
    /// The entry's `type`, when it could be read.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The entry's `documentId`, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    /// The field (camelCase, as in the document); empty for the whole entry.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.list {
            ProblemList::Document => f.write_str("document")?,
            ProblemList::Records => write!(f, "record {}", self.number)?,
            ProblemList::Deletions => write!(f, "deletion {}", self.number)?,
        }
        let which: Vec<&str> = [self.kind.as_deref(), self.document_id.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect();
        if !which.is_empty() {
            write!(f, " ({})", which.join(" "))?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// Records in the input.
    pub records: usize,
    /// Records stored that were not there before.
    pub inserted: usize,
    /// Stored records replaced by a different version.
    pub updated: usize,
    /// Records equal to the stored ones (nothing written).
    pub unchanged: usize,
    /// Deletions in the input.
    pub deletions: usize,
    /// Records deleted.
    pub deleted: usize,
    /// Deletions of records that were not stored (nothing to do).
    pub not_found: usize,
    /// Engagement changes queued for the engagement index.
    pub engagement_updates: usize,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} record(s): {} inserted, {} updated, {} unchanged; {} deletion(s): {} deleted, \
             {} not stored; {} engagement update(s) queued",
            self.records,
            self.inserted,
            self.updated,
            self.unchanged,
            self.deletions,
            self.deleted,
            self.not_found,
            self.engagement_updates
        )
    }
}

/// Why an import was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input has problems; nothing was written.
    #[error("the import has {} problem(s); nothing was written", .0.len())]
    Invalid(Vec<RecordProblem>),
    /// The database failed; the transaction was rolled back.
    #[error("database error; nothing was written: {0}")]
    Database(#[from] diesel::result::Error),
}

/// Settings of an import that come from the producer's configuration.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// HSA-ID stored as the engagements' `owner` (`None`: the outbox worker's own).
    pub owner: Option<String>,
    /// When given, records and deletions must name one of these source systems.
    pub source_systems: Option<Vec<String>>,
}

impl ImportOptions {
    /// The options a producer configuration implies.
    pub fn from_config(config: &crate::config::ProducerConfig) -> Self {
        ImportOptions {
            owner: config.engagement_index.as_ref().map(|ei| ei.owner.clone()),
            source_systems: Some(config.source_systems.clone()),
        }
    }
}

// ---------------------------------------------------------------------------------
// Reading: every problem of every entry, not just the first.
// ---------------------------------------------------------------------------------

/// Reads and checks a document: JSON syntax, the fields of every entry (unknown,
/// missing or of the wrong type), then [`validate_with`]. Returns every problem found.
pub fn read(json: &[u8], options: &ImportOptions) -> Result<ImportDocument, Vec<RecordProblem>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        #[serde(default)]
        records: Vec<Value>,
        #[serde(default)]
        deletions: Vec<Value>,
    }
    let raw: Raw = serde_json::from_slice(json).map_err(|e| {
        vec![RecordProblem {
            list: ProblemList::Document,
            number: 0,
            kind: None,
            document_id: None,
            field: String::new(),
            reason: format!("not an import document: {}", sanitize(&e.to_string())),
        }]
    })?;
    let mut problems = Vec::new();
    let mut document = ImportDocument::default();
    let mut numbers = Vec::new();
    let mut skip: HashMap<usize, HashSet<String>> = HashMap::new();
    for (i, value) in raw.records.into_iter().enumerate() {
        let number = i + 1;
        let (record, mut found, touched) = read_record(value);
        for p in &mut found {
            p.number = number;
        }
        problems.append(&mut found);
        if let Some(record) = record {
            document.records.push(record);
            numbers.push(number);
            skip.insert(number, touched);
        }
    }
    let mut deletion_numbers = Vec::new();
    for (i, value) in raw.deletions.into_iter().enumerate() {
        let number = i + 1;
        let (kind, document_id) = entry_identity(&value);
        match read_deletion(value) {
            Ok(deletion) => {
                document.deletions.push(deletion);
                deletion_numbers.push(number);
            }
            Err(found) => problems.extend(found.into_iter().map(|(field, reason)| RecordProblem {
                list: ProblemList::Deletions,
                number,
                kind: kind.clone(),
                document_id: document_id.clone(),
                field,
                reason,
            })),
        }
    }
    problems.extend(check(
        &document,
        &numbers,
        &deletion_numbers,
        &skip,
        options,
    ));
    if problems.is_empty() {
        Ok(document)
    } else {
        problems.sort_by_key(|p| (p.list, p.number));
        Err(problems)
    }
}

/// `type` and `documentId` of an entry, when readable (to say which entry a problem is in).
fn entry_identity(value: &Value) -> (Option<String>, Option<String>) {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(|s| s.chars().take(128).collect::<String>())
    };
    (text("type"), text("documentId"))
}

/// Reads one record: the record (repaired when only some fields were wrong, so that
/// its other fields can still be checked), the problems, and the fields repaired.
fn read_record(value: Value) -> (Option<ImportRecord>, Vec<RecordProblem>, HashSet<String>) {
    let (kind_text, document_id) = entry_identity(&value);
    let problem = |field: &str, reason: String| RecordProblem {
        list: ProblemList::Records,
        number: 0,
        kind: kind_text.clone(),
        document_id: document_id.clone(),
        field: field.to_owned(),
        reason,
    };
    let Value::Object(mut fields) = value else {
        return (
            None,
            vec![problem("", "a record must be a JSON object".into())],
            HashSet::new(),
        );
    };
    let expected = RecordKind::ALL.map(RecordKind::name).join(", ");
    let kind = match fields.remove("type") {
        None => {
            let reason = format!("missing; one of {expected}");
            return (None, vec![problem("type", reason)], HashSet::new());
        }
        Some(Value::String(name)) => match RecordKind::from_name(&name) {
            Some(kind) => kind,
            None => {
                let reason = format!("unknown record type; one of {expected}");
                return (None, vec![problem("type", reason)], HashSet::new());
            }
        },
        Some(_) => {
            let reason = format!("must be a string, one of {expected}");
            return (None, vec![problem("type", reason)], HashSet::new());
        }
    };
    let (record, found, touched) = match kind {
        RecordKind::Diagnosis => repair::<DiagnosisRecord>(fields, ImportRecord::Diagnosis),
        RecordKind::CareContact => repair::<CareContactRecord>(fields, ImportRecord::CareContact),
        RecordKind::Medication => repair::<MedicationRecord>(fields, ImportRecord::Medication),
        RecordKind::Vaccination => repair::<VaccinationRecord>(fields, ImportRecord::Vaccination),
        RecordKind::CareDocumentation => {
            repair::<CareDocumentationRecord>(fields, ImportRecord::CareDocumentation)
        }
        RecordKind::Observation => repair::<ObservationRecord>(fields, ImportRecord::Observation),
    };
    let problems = found
        .into_iter()
        .map(|(field, reason)| problem(&field, reason))
        .collect();
    (record, problems, touched)
}

/// Deserializes `fields` as `R`, collecting every field problem: an unknown field is
/// removed, a missing field or one of the wrong type gets a placeholder (null, "",
/// false, 0: the first its type accepts), and the rest is tried again. The record
/// returned is then only good for checking the fields not in the returned set.
fn repair<R: serde::de::DeserializeOwned>(
    mut fields: Map<String, Value>,
    wrap: fn(R) -> ImportRecord,
) -> (Option<ImportRecord>, Vec<(String, String)>, HashSet<String>) {
    const PLACEHOLDERS: usize = 4;
    let placeholder = |i: usize| match i {
        0 => Value::Null,
        1 => Value::String(String::new()),
        2 => Value::Bool(false),
        _ => Value::from(0),
    };
    let mut problems = Vec::new();
    let mut tried: HashMap<String, usize> = HashMap::new();
    for _ in 0..512 {
        let error = match serde_path_to_error::deserialize::<_, R>(Value::Object(fields.clone())) {
            Ok(record) => return (Some(wrap(record)), problems, tried.into_keys().collect()),
            Err(error) => error,
        };
        let (kind, field, reason) = describe(&error);
        if field.is_empty() {
            problems.push((field, reason));
            break;
        }
        if kind == ErrorKind::Unknown {
            fields.remove(&field);
            problems.push((field.clone(), reason));
            tried.insert(field, PLACEHOLDERS);
            continue;
        }
        let next = match tried.get(&field) {
            None => {
                problems.push((field.clone(), reason));
                0
            }
            Some(i) => i + 1,
        };
        if next >= PLACEHOLDERS {
            break;
        }
        fields.insert(field.clone(), placeholder(next));
        tried.insert(field, next);
    }
    (None, problems, tried.into_keys().collect())
}

/// Reads a deletion field by field, returning every problem (including those
/// [`check`] would find, so that a deletion with a bad `type` is still checked).
fn read_deletion(value: Value) -> Result<Deletion, Vec<(String, String)>> {
    let Value::Object(fields) = value else {
        return Err(vec![(
            String::new(),
            "a deletion must be a JSON object".into(),
        )]);
    };
    let mut problems = Vec::new();
    for key in fields.keys() {
        if !["type", "sourceSystemHsaId", "documentId"].contains(&key.as_str()) {
            problems.push((
                key.clone(),
                "unknown field; a deletion has type, sourceSystemHsaId and documentId".into(),
            ));
        }
    }
    let mut text = |field: &'static str| match fields.get(field) {
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            problems.push((
                field.to_owned(),
                "wrong JSON type: expected a string".into(),
            ));
            None
        }
        None => {
            problems.push((field.to_owned(), "required field is missing".into()));
            None
        }
    };
    let (kind, source_system, document_id) =
        (text("type"), text("sourceSystemHsaId"), text("documentId"));
    let kind = kind.and_then(|name| {
        let kind = RecordKind::from_name(&name);
        if kind.is_none() {
            let expected = RecordKind::ALL.map(RecordKind::name).join(", ");
            problems.push((
                "type".into(),
                format!("unknown record type; one of {expected}"),
            ));
        }
        kind
    });
    if let (Some(kind), Some(source_system_hsa_id), Some(document_id), true) = (
        kind,
        source_system.clone(),
        document_id.clone(),
        problems.is_empty(),
    ) {
        return Ok(Deletion {
            kind,
            source_system_hsa_id,
            document_id,
        });
    }
    let mut found = Vec::new();
    if let Some(id) = &source_system {
        header::hsa("sourceSystemHsaId", Some(id), &mut found);
    }
    if document_id.as_ref().is_some_and(|d| d.trim().is_empty()) {
        found.push(FieldProblem::new("documentId", "must not be empty"));
    }
    problems.extend(found.into_iter().map(|p| (p.field.to_owned(), p.reason)));
    Err(problems)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorKind {
    Unknown,
    Missing,
    Invalid,
}

/// The kind, the field and a reason (without the field's value) of a deserialization error.
fn describe(error: &serde_path_to_error::Error<serde_json::Error>) -> (ErrorKind, String, String) {
    let message = error.inner().to_string();
    let quoted = || message.split('`').nth(1).unwrap_or_default().to_owned();
    if message.starts_with("unknown field") {
        let reason = "unknown field (field names are camelCase; see IMPORT.md)".to_owned();
        return (ErrorKind::Unknown, quoted(), reason);
    }
    if message.starts_with("missing field") {
        return (
            ErrorKind::Missing,
            quoted(),
            "required field is missing".into(),
        );
    }
    let path = error.path().to_string();
    let field = if path == "." { String::new() } else { path };
    let reason = if let Some(rest) = message.strip_prefix("invalid type: ") {
        let expected = rest.split(", expected ").nth(1).unwrap_or("another type");
        let expected = match expected {
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "an integer",
            "f32" | "f64" => "a number",
            other => other,
        };
        format!("wrong JSON type: expected {}", sanitize(expected))
    } else if message.starts_with("unknown variant") {
        let expected = message.split(", expected ").nth(1).unwrap_or_default();
        format!("not an allowed value; expected {expected}")
    } else {
        sanitize(&message)
    };
    (ErrorKind::Invalid, field, reason)
}

/// Drops every back-quoted part of a serde message (where serde repeats values).
fn sanitize(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, part) in message.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else {
            out.push('…');
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// Validation.
// ---------------------------------------------------------------------------------

/// Checks a document: every record's fields, every deletion, duplicates (the same
/// type, `sourceSystemHsaId` and `documentId` twice) and a record both stored and
/// deleted. An empty list means the document can be applied.
pub fn validate(document: &ImportDocument) -> Vec<RecordProblem> {
    validate_with(document, &ImportOptions::default())
}

/// [`validate`], plus the checks the options ask for (served source systems).
pub fn validate_with(document: &ImportDocument, options: &ImportOptions) -> Vec<RecordProblem> {
    let records: Vec<usize> = (1..=document.records.len()).collect();
    let deletions: Vec<usize> = (1..=document.deletions.len()).collect();
    let mut problems = check(document, &records, &deletions, &HashMap::new(), options);
    problems.sort_by_key(|p| (p.list, p.number));
    problems
}

type RecordKey<'a> = (RecordKind, &'a str, &'a str);

fn check(
    document: &ImportDocument,
    record_numbers: &[usize],
    deletion_numbers: &[usize],
    skip: &HashMap<usize, HashSet<String>>,
    options: &ImportOptions,
) -> Vec<RecordProblem> {
    let mut problems = Vec::new();
    let served = |id: &str| {
        options
            .source_systems
            .as_ref()
            .is_none_or(|systems| systems.iter().any(|s| s == id))
    };
    let mut seen: HashMap<RecordKey<'_>, usize> = HashMap::new();
    for (record, &number) in document.records.iter().zip(record_numbers) {
        let h = record.header();
        let problem = |field: &str, reason: String| RecordProblem {
            list: ProblemList::Records,
            number,
            kind: Some(record.kind().name().to_owned()),
            document_id: Some(h.document_id.to_owned()),
            field: field.to_owned(),
            reason,
        };
        let skipped = skip.get(&number);
        for found in record.validate() {
            if skipped.is_none_or(|s| !s.contains(found.field)) {
                problems.push(problem(found.field, found.reason));
            }
        }
        if skipped.is_some_and(|s| s.contains("sourceSystemHsaId") || s.contains("documentId")) {
            continue;
        }
        if !served(h.source_system_hsa_id) {
            problems.push(problem(
                "sourceSystemHsaId",
                "not a source system of this producer (source_systems in its configuration)".into(),
            ));
        }
        let key = (record.kind(), h.source_system_hsa_id, h.document_id);
        if let Some(first) = seen.insert(key, number) {
            seen.insert(key, first);
            problems.push(problem(
                "documentId",
                format!("record {first} has the same type, sourceSystemHsaId and documentId"),
            ));
        }
    }
    let mut deleted: HashMap<RecordKey<'_>, usize> = HashMap::new();
    for (deletion, &number) in document.deletions.iter().zip(deletion_numbers) {
        let problem = |field: &str, reason: String| RecordProblem {
            list: ProblemList::Deletions,
            number,
            kind: Some(deletion.kind.name().to_owned()),
            document_id: Some(deletion.document_id.clone()),
            field: field.to_owned(),
            reason,
        };
        let mut found = Vec::new();
        header::hsa(
            "sourceSystemHsaId",
            Some(&deletion.source_system_hsa_id),
            &mut found,
        );
        if deletion.document_id.trim().is_empty() {
            found.push(FieldProblem::new("documentId", "must not be empty"));
        }
        problems.extend(found.into_iter().map(|p| problem(p.field, p.reason)));
        if !served(&deletion.source_system_hsa_id) {
            problems.push(problem(
                "sourceSystemHsaId",
                "not a source system of this producer (source_systems in its configuration)".into(),
            ));
        }
        let key = (
            deletion.kind,
            deletion.source_system_hsa_id.as_str(),
            deletion.document_id.as_str(),
        );
        if let Some(record) = seen.get(&key) {
            problems.push(problem(
                "documentId",
                format!("record {record} stores the same record; a document may not both store and delete it"),
            ));
        }
        if let Some(first) = deleted.get(&key) {
            problems.push(problem(
                "documentId",
                format!("deletion {first} deletes the same record"),
            ));
        } else {
            deleted.insert(key, number);
        }
    }
    problems
}

// ---------------------------------------------------------------------------------
// Applying.
// ---------------------------------------------------------------------------------

/// An engagement as the producer keeps it: a patient's records of one kind in one
/// source system under one care giver.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct EngagementKey {
    kind: RecordKind,
    patient: String,
    source_system: String,
    care_giver: String,
}

impl EngagementKey {
    fn of(kind: RecordKind, h: &HeaderRef<'_>) -> Self {
        EngagementKey {
            kind,
            // Validated on import: the canonical 12 digits.
            patient: h
                .patient()
                .map_or_else(|| h.patient_id.to_owned(), |p| p.as_str().to_owned()),
            source_system: h.source_system_hsa_id.to_owned(),
            care_giver: h.care_giver_hsa_id.to_owned(),
        }
    }
}

/// The non-nullified records of an engagement: how many, and the newest author time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct EngagementState {
    count: i64,
    newest: Option<String>,
}

/// Database operations of one record kind.
trait Stored: JournalRecord + PartialEq + Sized {
    const RECORD_KIND: RecordKind;
    fn load(conn: &mut DbConn, source_system: &str, document_id: &str)
    -> QueryResult<Option<Self>>;
    fn store(conn: &mut DbConn, record: &Self) -> QueryResult<()>;
    fn remove(conn: &mut DbConn, source_system: &str, document_id: &str) -> QueryResult<usize>;
    fn state(conn: &mut DbConn, key: &EngagementKey) -> QueryResult<EngagementState>;
    fn count(conn: &mut DbConn) -> QueryResult<i64>;
}

macro_rules! stored {
    ($record:ty, $kind:expr, $module:ident, $table:ident) => {
        impl Stored for $record {
            const RECORD_KIND: RecordKind = $kind;

            fn load(
                conn: &mut DbConn,
                source_system: &str,
                document_id: &str,
            ) -> QueryResult<Option<Self>> {
                use crate::records::$module::$table;
                $table::table
                    .filter($table::source_system_hsa_id.eq(source_system))
                    .filter($table::document_id.eq(document_id))
                    .select(<$record>::as_select())
                    .first(conn)
                    .optional()
            }

            fn store(conn: &mut DbConn, record: &Self) -> QueryResult<()> {
                crate::records::$module::upsert(conn, record)
            }

            fn remove(
                conn: &mut DbConn,
                source_system: &str,
                document_id: &str,
            ) -> QueryResult<usize> {
                crate::records::$module::delete(conn, source_system, document_id)
            }

            fn state(conn: &mut DbConn, key: &EngagementKey) -> QueryResult<EngagementState> {
                use crate::records::$module::$table;
                use diesel::dsl::{count_star, max};
                let (count, newest) = $table::table
                    .filter($table::patient_id.eq(&key.patient))
                    .filter($table::source_system_hsa_id.eq(&key.source_system))
                    .filter($table::care_giver_hsa_id.eq(&key.care_giver))
                    .filter($table::nullified.eq(false))
                    .select((count_star(), max($table::author_time)))
                    .first::<(i64, Option<String>)>(conn)?;
                Ok(EngagementState { count, newest })
            }

            fn count(conn: &mut DbConn) -> QueryResult<i64> {
                use crate::records::$module::$table;
                $table::table.count().get_result(conn)
            }
        }
    };
}

stored!(DiagnosisRecord, RecordKind::Diagnosis, diagnosis, diagnoses);
stored!(
    CareContactRecord,
    RecordKind::CareContact,
    care_contact,
    care_contacts
);
stored!(
    MedicationRecord,
    RecordKind::Medication,
    medication,
    medications
);
stored!(
    VaccinationRecord,
    RecordKind::Vaccination,
    vaccination,
    vaccinations
);
stored!(
    CareDocumentationRecord,
    RecordKind::CareDocumentation,
    care_documentation,
    care_documentation
);
stored!(
    ObservationRecord,
    RecordKind::Observation,
    observation,
    observations
);

fn state_of(conn: &mut DbConn, key: &EngagementKey) -> QueryResult<EngagementState> {
    match key.kind {
        RecordKind::Diagnosis => DiagnosisRecord::state(conn, key),
        RecordKind::CareContact => CareContactRecord::state(conn, key),
        RecordKind::Medication => MedicationRecord::state(conn, key),
        RecordKind::Vaccination => VaccinationRecord::state(conn, key),
        RecordKind::CareDocumentation => CareDocumentationRecord::state(conn, key),
        RecordKind::Observation => ObservationRecord::state(conn, key),
    }
}

/// How many records of each kind are stored.
pub fn count_records(conn: &mut DbConn) -> QueryResult<BTreeMap<RecordKind, i64>> {
    Ok(BTreeMap::from([
        (RecordKind::Diagnosis, DiagnosisRecord::count(conn)?),
        (RecordKind::CareContact, CareContactRecord::count(conn)?),
        (RecordKind::Medication, MedicationRecord::count(conn)?),
        (RecordKind::Vaccination, VaccinationRecord::count(conn)?),
        (
            RecordKind::CareDocumentation,
            CareDocumentationRecord::count(conn)?,
        ),
        (RecordKind::Observation, ObservationRecord::count(conn)?),
    ]))
}

/// The engagements one import touches, with their state before it.
#[derive(Debug, Default)]
struct Changes {
    before: HashMap<EngagementKey, EngagementState>,
    order: Vec<EngagementKey>,
    summary: ImportSummary,
}

impl Changes {
    /// Notes that a record of `key` changes; reads the state first the first time.
    fn touch(&mut self, conn: &mut DbConn, key: EngagementKey) -> QueryResult<()> {
        if !self.before.contains_key(&key) {
            let state = state_of(conn, &key)?;
            self.before.insert(key.clone(), state);
            self.order.push(key);
        }
        Ok(())
    }

    fn upsert<R: Stored>(&mut self, conn: &mut DbConn, record: &R) -> QueryResult<()> {
        let h = record.header();
        let existing = R::load(conn, h.source_system_hsa_id, h.document_id)?;
        if existing.as_ref() == Some(record) {
            self.summary.unchanged += 1;
            return Ok(());
        }
        if let Some(old) = &existing
            && !old.header().nullified
        {
            self.touch(conn, EngagementKey::of(R::RECORD_KIND, &old.header()))?;
        }
        if !h.nullified {
            self.touch(conn, EngagementKey::of(R::RECORD_KIND, &h))?;
        }
        R::store(conn, record)?;
        if existing.is_some() {
            self.summary.updated += 1;
        } else {
            self.summary.inserted += 1;
        }
        Ok(())
    }

    fn delete<R: Stored>(&mut self, conn: &mut DbConn, deletion: &Deletion) -> QueryResult<()> {
        let Some(old) = R::load(conn, &deletion.source_system_hsa_id, &deletion.document_id)?
        else {
            self.summary.not_found += 1;
            return Ok(());
        };
        if !old.header().nullified {
            self.touch(conn, EngagementKey::of(R::RECORD_KIND, &old.header()))?;
        }
        R::remove(conn, &deletion.source_system_hsa_id, &deletion.document_id)?;
        self.summary.deleted += 1;
        Ok(())
    }

    /// Queues one outbox row per engagement whose records changed: an update with the
    /// newest author time while records remain, a removal when the last one went.
    fn enqueue(&mut self, conn: &mut DbConn, owner: Option<&str>) -> QueryResult<()> {
        for key in std::mem::take(&mut self.order) {
            let before = self.before.get(&key).cloned().unwrap_or_default();
            let after = state_of(conn, &key)?;
            let (delete_flag, most_recent_content) = if after.count > 0 {
                (false, after.newest)
            } else if before.count > 0 {
                (true, None)
            } else {
                continue;
            };
            let Some(keys) = key.kind.engagement_keys() else {
                tracing::error!(kind = %key.kind, "no engagement-index keys for a record kind");
                continue;
            };
            let change = EngagementChange {
                registered_resident_identification: key.patient.clone(),
                service_domain: keys.service_domain.to_owned(),
                categorization: keys.categorization.to_owned(),
                logical_address: key.source_system.clone(),
                business_object_instance_identifier: NOT_APPLICABLE.to_owned(),
                clinical_process_interest_id: NOT_APPLICABLE.to_owned(),
                source_system: key.source_system.clone(),
                data_controller: key.care_giver.clone(),
                owner: owner.map(str::to_owned),
                most_recent_content,
                delete_flag,
            };
            outbox::enqueue(conn, &change)?;
            self.summary.engagement_updates += 1;
        }
        Ok(())
    }
}

/// Applies one document (see [`apply_all`]) without configuration-based checks.
pub fn apply(conn: &mut DbConn, document: &ImportDocument) -> Result<ImportSummary, ImportError> {
    apply_all(
        conn,
        std::slice::from_ref(document),
        &ImportOptions::default(),
        &mut || {},
    )
}

/// Applies documents in order in ONE transaction (a later document may replace or
/// delete what an earlier one stored), queueing the engagement changes in the outbox
/// in the same transaction. Refuses, writing nothing, when [`validate_with`] finds a
/// problem in any of them. `progress` is called once per record and deletion.
pub fn apply_all(
    conn: &mut DbConn,
    documents: &[ImportDocument],
    options: &ImportOptions,
    progress: &mut dyn FnMut(),
) -> Result<ImportSummary, ImportError> {
    let problems: Vec<RecordProblem> = documents
        .iter()
        .flat_map(|d| validate_with(d, options))
        .collect();
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    outbox::write_transaction(conn, |conn| {
        let mut changes = Changes::default();
        for document in documents {
            changes.summary.records += document.records.len();
            changes.summary.deletions += document.deletions.len();
            for record in &document.records {
                match record {
                    ImportRecord::Diagnosis(r) => changes.upsert(conn, r)?,
                    ImportRecord::CareContact(r) => changes.upsert(conn, r)?,
                    ImportRecord::Medication(r) => changes.upsert(conn, r)?,
                    ImportRecord::Vaccination(r) => changes.upsert(conn, r)?,
                    ImportRecord::CareDocumentation(r) => changes.upsert(conn, r)?,
                    ImportRecord::Observation(r) => changes.upsert(conn, r)?,
                }
                progress();
            }
            for deletion in &document.deletions {
                match deletion.kind {
                    RecordKind::Diagnosis => changes.delete::<DiagnosisRecord>(conn, deletion)?,
                    RecordKind::CareContact => {
                        changes.delete::<CareContactRecord>(conn, deletion)?
                    }
                    RecordKind::Medication => changes.delete::<MedicationRecord>(conn, deletion)?,
                    RecordKind::Vaccination => {
                        changes.delete::<VaccinationRecord>(conn, deletion)?
                    }
                    RecordKind::CareDocumentation => {
                        changes.delete::<CareDocumentationRecord>(conn, deletion)?
                    }
                    RecordKind::Observation => {
                        changes.delete::<ObservationRecord>(conn, deletion)?
                    }
                }
                progress();
            }
        }
        changes.enqueue(conn, options.owner.as_deref())?;
        Ok(changes.summary)
    })
}

/// The JSON Schema of [`ImportDocument`], pretty-printed with a final newline (the
/// content of `schemas/producer-import.schema.json`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ImportDocument);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_engagement_keys_and_its_import_name() {
        for kind in RecordKind::ALL {
            assert!(kind.engagement_keys().is_some(), "{kind}");
            assert_eq!(RecordKind::from_name(kind.name()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serializes");
            assert_eq!(json, format!("\"{}\"", kind.name()));
        }
    }

    #[test]
    fn problems_read_like_the_cli_prints_them() {
        let problem = RecordProblem {
            list: ProblemList::Records,
            number: 3,
            kind: Some("diagnosis".into()),
            document_id: Some("d-1".into()),
            field: "patientId".into(),
            reason: "invalid".into(),
        };
        assert_eq!(
            problem.to_string(),
            "record 3 (diagnosis d-1): patientId: invalid"
        );
        let document = RecordProblem {
            list: ProblemList::Document,
            number: 0,
            kind: None,
            document_id: None,
            field: String::new(),
            reason: "not JSON".into(),
        };
        assert_eq!(document.to_string(), "document: not JSON");
    }

    #[test]
    fn serde_messages_lose_the_values() {
        assert_eq!(
            sanitize("invalid value: string `201403129800`, expected x"),
            "invalid value: string …, expected x"
        );
        let json = br#"{"records":[{"type":"diagnosis","patientId":201403129800}]}"#;
        let problems = read(json, &ImportOptions::default()).expect_err("invalid");
        assert!(problems.iter().any(|p| p.field == "patientId"));
        assert!(
            problems.iter().all(|p| !p.reason.contains("201403129800")),
            "{problems:?}"
        );
        // Every missing required field is reported, not just the first.
        let missing: Vec<&str> = problems
            .iter()
            .filter(|p| p.reason == "required field is missing")
            .map(|p| p.field.as_str())
            .collect();
        for field in [
            "documentId",
            "sourceSystemHsaId",
            "patientIdType",
            "authorTime",
            "careUnitHsaId",
            "careGiverHsaId",
            "approvedForPatient",
            "typeOfDiagnosis",
        ] {
            assert!(missing.contains(&field), "{field} in {missing:?}");
        }
    }
}

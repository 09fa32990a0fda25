//! What the cases need from a request and an answer, the same for every contract.

use npo_contracts::registry::Contract;
use npo_contracts::soap::Fault;
use npo_contracts::types::{CvType, Date};

/// The parameters of one call, mapped onto each contract's request by its module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// LogicalAddress header.
    pub logical_address: String,
    /// The patient.
    pub patient_id: String,
    /// The patient id type OID.
    pub patient_id_type: String,
    /// A period of whole days, both ends included.
    pub period: Option<(Date, Date)>,
    /// Care units asked for.
    pub care_unit_hsa_ids: Vec<String>,
    /// Care givers asked for.
    pub care_giver_hsa_ids: Vec<String>,
    /// `sourceSystemHSAId` sent.
    pub source_system_hsa_id: Option<String>,
    /// Care contacts asked for.
    pub care_contact_ids: Vec<String>,
    /// Ask for active prescriptions only (GetMedicationHistory `prescriptionStatus`).
    pub only_active: bool,
}

/// A decoded answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A response message.
    Response {
        /// Its records.
        records: Vec<RecordView>,
        /// Its `result` (None when missing, or for a contract without one).
        result: Option<ResultView>,
    },
    /// A SOAP Fault.
    Fault(Fault),
}

/// One returned record, as the cases see it.
#[derive(Debug, Clone, Default)]
pub struct RecordView {
    /// documentId (or the record id).
    pub document_id: String,
    /// The source system's HSA-ID.
    pub source_system: String,
    /// Patient id and its type OID.
    pub patient: Option<(String, String)>,
    /// The accountable care unit.
    pub care_unit: Option<String>,
    /// The accountable care giver.
    pub care_giver: Option<String>,
    /// The care contact the record belongs to.
    pub care_contact_id: Option<String>,
    /// `prescriptionStatus` (GetMedicationHistory).
    pub prescription_status: Option<String>,
    /// Broken field rules of the contract (forbidden fields, nullified records, CV rule...).
    pub problems: Vec<String>,
}

/// The `result` element.
#[derive(Debug, Clone)]
pub struct ResultView {
    /// `resultCode` (OK, ERROR, INFO).
    pub code: String,
    /// `errorCode`, if sent.
    pub error_code: Option<String>,
    /// Whether this contract's ResultType has an `errorCode` at all.
    pub has_error_code: bool,
    /// `logId`, for contracts that have one.
    pub log_id: Option<String>,
    /// `message` or `resultText`.
    pub text: Option<String>,
}

impl ResultView {
    /// ` (errorCode X, message Y)` for reasons, or empty.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            self.error_code.as_ref().map(|c| format!("errorCode {c}")),
            self.text.as_ref().map(|t| format!("message \"{t}\"")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

/// How a contract's `result` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultShape {
    /// ResultType with resultCode, errorCode and logId (description 2, logistics 3,
    /// actoutcome 2).
    ResultWithLogId,
    /// ResultType with resultCode and resultText (description 3).
    ResultWithoutLogId,
    /// No result element (GetObservations 1).
    NoResult,
}

impl ResultShape {
    /// The result shape of `contract`.
    pub fn of(contract: Contract) -> ResultShape {
        match contract {
            Contract::GetCareDocumentation => ResultShape::ResultWithoutLogId,
            Contract::GetObservations => ResultShape::NoResult,
            _ => ResultShape::ResultWithLogId,
        }
    }
}

/// The CVType rule of the suites' Schematron: either code, codeSystem and displayName,
/// or originalText alone. Pushes a problem naming `path` when broken.
pub fn check_cv(path: &str, cv: Option<&CvType>, problems: &mut Vec<String>) {
    let Some(cv) = cv else {
        return;
    };
    let coded = [&cv.code, &cv.code_system, &cv.display_name]
        .iter()
        .filter(|v| v.is_some())
        .count();
    let ok = matches!((coded, cv.original_text.is_some()), (3, false) | (0, true));
    if !ok {
        problems.push(format!(
            "{path}: either code, codeSystem and displayName, or originalText alone"
        ));
    }
}

/// The rule for a 2.x header's `nullified`: a nullified record must never be sent;
/// where `forbidden`, the element must not be sent at all.
pub fn check_nullified(nullified: Option<bool>, forbidden: bool, problems: &mut Vec<String>) {
    match nullified {
        Some(true) => problems.push("nullified record sent (must never be sent)".into()),
        Some(false) if forbidden => {
            problems.push("forbidden element nullified present".into());
        }
        _ => {}
    }
}

/// Pushes `forbidden element <name> present` for each present element.
pub fn forbid(elements: &[(&str, bool)], problems: &mut Vec<String>) {
    for (name, present) in elements {
        if *present {
            problems.push(format!("forbidden element {name} present"));
        }
    }
}

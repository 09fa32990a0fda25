//! The test cases of the official producer suites, the same for every contract that
//! has the request fields they need, and how an answer is judged.

use std::collections::HashSet;

use npo_contracts::registry::Contract;
use npo_contracts::types::Date;

use crate::data::{CaseData, check_date};
use crate::model::{Answer, Query, RecordView, ResultShape, ResultView};

/// A test case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// BasicTestcase / Only PatientId: valid, for the requested patient only.
    Basic,
    /// Date Boundaries: the suite's edge records in and out of a period.
    DateBoundaries,
    /// CareUnitHsaId Filter.
    CareUnitFilter,
    /// CareGiverHSAId Filter.
    CareGiverFilter,
    /// CareContactId Filter.
    CareContactFilter,
    /// Http-header Filter (`x-rivta-original-serviceconsumer-hsaid`).
    HttpHeaderFilter,
    /// NonExisting PatientId: empty answer, not a fault.
    NonExistentPatient,
    /// NonExisting CareContactId: empty answer, not a fault.
    NonExistentCareContact,
    /// careContactId without sourceSystemHSAId: invalid request.
    CareContactWithoutSourceSystem,
    /// sourceSystemHSAId other than the LogicalAddress: invalid request.
    SourceSystemMismatch,
    /// Active Medication (GetMedicationHistory): `prescriptionStatus` Active asked for,
    /// every record returned active.
    ActiveMedication,
}

impl Case {
    /// Every case, in the order they run.
    pub const ALL: [Case; 11] = [
        Case::Basic,
        Case::DateBoundaries,
        Case::CareUnitFilter,
        Case::CareGiverFilter,
        Case::CareContactFilter,
        Case::HttpHeaderFilter,
        Case::NonExistentPatient,
        Case::NonExistentCareContact,
        Case::CareContactWithoutSourceSystem,
        Case::SourceSystemMismatch,
        Case::ActiveMedication,
    ];

    /// The key of the case in the test-data file.
    pub fn key(self) -> &'static str {
        match self {
            Case::Basic => "basic",
            Case::DateBoundaries => "date_boundaries",
            Case::CareUnitFilter => "care_unit_filter",
            Case::CareGiverFilter => "care_giver_filter",
            Case::CareContactFilter => "care_contact_filter",
            Case::HttpHeaderFilter => "http_header_filter",
            Case::NonExistentPatient => "non_existent_patient",
            Case::NonExistentCareContact => "non_existent_care_contact",
            Case::CareContactWithoutSourceSystem => "care_contact_without_source_system",
            Case::SourceSystemMismatch => "source_system_mismatch",
            Case::ActiveMedication => "active_medication",
        }
    }

    /// The name of the case in the official suites.
    pub fn name(self) -> &'static str {
        match self {
            Case::Basic => "Basic",
            Case::DateBoundaries => "DateBoundaries",
            Case::CareUnitFilter => "CareUnitIdFilter",
            Case::CareGiverFilter => "CareGiverIdFilter",
            Case::CareContactFilter => "CareContactIdFilter",
            Case::HttpHeaderFilter => "HttpHeaderFilter",
            Case::NonExistentPatient => "NonExistentPatientId",
            Case::NonExistentCareContact => "NonExistentCareContactId",
            Case::CareContactWithoutSourceSystem => "CareContactIdWithoutSourceSystemHSAId",
            Case::SourceSystemMismatch => "SourceSystemHSAIdAndLogicalAddress",
            Case::ActiveMedication => "ActiveMedication",
        }
    }

    /// Whether `contract`'s request has the fields this case needs.
    pub fn applies_to(self, contract: Contract) -> bool {
        if self == Case::ActiveMedication {
            return contract == Contract::GetMedicationHistory;
        }
        match contract {
            Contract::GetDiagnosis | Contract::GetVaccinationHistory => {
                self != Case::CareGiverFilter
            }
            Contract::GetCareContacts | Contract::GetMedicationHistory => true,
            Contract::GetCareDocumentation => !matches!(
                self,
                Case::CareContactFilter
                    | Case::NonExistentCareContact
                    | Case::CareContactWithoutSourceSystem
            ),
            Contract::GetObservations => matches!(
                self,
                Case::Basic | Case::DateBoundaries | Case::NonExistentPatient
            ),
            _ => false,
        }
    }

    /// Why the case does not apply to `contract`.
    pub fn not_applicable_reason(self, contract: Contract) -> &'static str {
        match (contract, self) {
            (Contract::GetCareDocumentation, _) => "the 3.0 request has no careContactId",
            (Contract::GetObservations, _) => {
                "GetObservations 1 has no official suite; the project cases are basic, \
                 date_boundaries and non_existent_patient"
            }
            (_, Case::ActiveMedication) => "only GetMedicationHistory has prescriptionStatus",
            _ => "the request has no careGiverHSAId",
        }
    }

    /// Problems with the case's data (empty when usable).
    pub fn check(self, data: &CaseData, logical_address: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if data.patient_id.trim().is_empty() {
            problems.push("patient_id: must not be empty".to_owned());
        }
        let start = check_date("period_start", data.period_start.as_deref());
        let end = check_date("period_end", data.period_end.as_deref());
        match (start, end) {
            (Ok(Some(start)), Ok(Some(end))) if end < start => {
                problems.push("period_end: before period_start".to_owned());
            }
            (Ok(_), Ok(_)) => {}
            (start, end) => problems.extend(start.err().into_iter().chain(end.err())),
        }
        let mut need = |ok: bool, problem: &str| {
            if !ok {
                problems.push(problem.to_owned());
            }
        };
        let has_period = data.period_start.is_some() && data.period_end.is_some();
        match self {
            Case::DateBoundaries => need(has_period, "period_start and period_end are required"),
            _ => need(
                data.period_start.is_none() && data.period_end.is_none(),
                "period_start/period_end: only date_boundaries uses a period",
            ),
        }
        need(
            self == Case::CareUnitFilter || data.care_unit_hsa_ids.is_empty(),
            "care_unit_hsa_ids: only care_unit_filter uses them",
        );
        need(
            self == Case::CareGiverFilter || data.care_giver_hsa_ids.is_empty(),
            "care_giver_hsa_ids: only care_giver_filter uses them",
        );
        match self {
            Case::CareUnitFilter => need(
                !data.care_unit_hsa_ids.is_empty(),
                "care_unit_hsa_ids: at least one care unit is required",
            ),
            Case::CareGiverFilter => need(
                !data.care_giver_hsa_ids.is_empty(),
                "care_giver_hsa_ids: at least one care giver is required",
            ),
            Case::CareContactFilter | Case::NonExistentCareContact => need(
                !data.care_contact_ids.is_empty(),
                "care_contact_ids: at least one care contact id is required",
            ),
            Case::CareContactWithoutSourceSystem => {
                need(
                    !data.care_contact_ids.is_empty(),
                    "care_contact_ids: at least one care contact id is required",
                );
                need(
                    data.source_system_hsa_id.is_none(),
                    "source_system_hsa_id: this case sends a careContactId without it",
                );
            }
            Case::SourceSystemMismatch => need(
                data.source_system_hsa_id
                    .as_deref()
                    .is_some_and(|s| !s.trim().eq_ignore_ascii_case(logical_address.trim())),
                "source_system_hsa_id: required, and must differ from logical_address",
            ),
            Case::HttpHeaderFilter => need(
                data.http_header_hsa_id.is_some(),
                "http_header_hsa_id: the consumer whose view is filtered is required",
            ),
            _ => {}
        }
        if matches!(
            self,
            Case::Basic
                | Case::DateBoundaries
                | Case::CareUnitFilter
                | Case::CareGiverFilter
                | Case::HttpHeaderFilter
                | Case::NonExistentPatient
                | Case::ActiveMedication
        ) {
            need(
                data.care_contact_ids.is_empty(),
                "care_contact_ids: not used by this case",
            );
        }
        if matches!(
            self,
            Case::NonExistentPatient
                | Case::NonExistentCareContact
                | Case::CareContactWithoutSourceSystem
                | Case::SourceSystemMismatch
        ) {
            need(
                data.expected_document_ids.is_empty(),
                "expected_document_ids: this case expects no records",
            );
        }
        problems
    }

    /// The request of this case.
    pub fn query(self, data: &CaseData, patient_id_type: &str, logical_address: &str) -> Query {
        let date = |d: &Option<String>| d.as_deref().and_then(Date::parse);
        let source_system = match self {
            Case::CareContactFilter | Case::NonExistentCareContact => Some(
                data.source_system_hsa_id
                    .clone()
                    .unwrap_or_else(|| logical_address.to_owned()),
            ),
            Case::CareContactWithoutSourceSystem => None,
            _ => data.source_system_hsa_id.clone(),
        };
        Query {
            logical_address: logical_address.to_owned(),
            patient_id: data.patient_id.trim().to_owned(),
            patient_id_type: patient_id_type.to_owned(),
            period: match (date(&data.period_start), date(&data.period_end)) {
                (Some(start), Some(end)) => Some((start, end)),
                _ => None,
            },
            care_unit_hsa_ids: data.care_unit_hsa_ids.clone(),
            care_giver_hsa_ids: data.care_giver_hsa_ids.clone(),
            source_system_hsa_id: source_system,
            care_contact_ids: data.care_contact_ids.clone(),
            only_active: self == Case::ActiveMedication,
        }
    }

    /// Judges `answer`; returns the failure reasons and notes. `log_ids` holds every
    /// logId seen so far in the run.
    pub fn judge(
        self,
        contract: Contract,
        data: &CaseData,
        query: &Query,
        answer: &Answer,
        log_ids: &mut HashSet<String>,
    ) -> Verdict {
        let mut verdict = Verdict::default();
        let (records, result) = match answer {
            Answer::Fault(fault) => {
                if self.is_invalid_request() {
                    verdict.note(format!(
                        "answered with a SOAP Fault ({}), as the 2014-2015 suites expect; \
                         the TKB prescribes result ERROR/INVALID_REQUEST",
                        fault.string
                    ));
                } else {
                    verdict.fail(format!(
                        "SOAP Fault instead of a response: {}",
                        fault.string
                    ));
                }
                return verdict;
            }
            Answer::Response { records, result } => (records, result),
        };
        check_result_fields(contract, result, log_ids, &mut verdict);
        for record in records {
            check_record(record, query, &mut verdict);
        }
        let ids: Vec<&str> = records.iter().map(|r| r.document_id.as_str()).collect();
        if self.is_invalid_request() {
            judge_invalid(result, &ids, &mut verdict);
            return verdict;
        }
        if let Some(result) = result
            && result.code != "OK"
        {
            verdict.fail(format!(
                "result code OK expected, got {}{}",
                result.code,
                result.describe()
            ));
        }
        match self {
            Case::NonExistentPatient | Case::NonExistentCareContact => {
                if !ids.is_empty() {
                    verdict.fail(format!(
                        "an empty answer expected, got {} record(s): {}",
                        ids.len(),
                        ids.join(", ")
                    ));
                }
            }
            _ => {
                if self == Case::Basic && data.expected_document_ids.is_empty() && ids.is_empty() {
                    verdict.fail(
                        "no records returned; the case needs some data for the patient".into(),
                    );
                }
                for expected in &data.expected_document_ids {
                    if !ids.contains(&expected.as_str()) {
                        verdict.fail(format!("expected documentId {expected} missing"));
                    }
                }
                for unexpected in &data.unexpected_document_ids {
                    if ids.contains(&unexpected.as_str()) {
                        verdict.fail(format!("unexpected documentId {unexpected} returned"));
                    }
                }
                self.check_filter(contract, records, query, &mut verdict);
            }
        }
        verdict
    }

    fn is_invalid_request(self) -> bool {
        matches!(
            self,
            Case::CareContactWithoutSourceSystem | Case::SourceSystemMismatch
        )
    }

    /// Every returned record must match the filter the case sends.
    fn check_filter(
        self,
        contract: Contract,
        records: &[RecordView],
        query: &Query,
        verdict: &mut Verdict,
    ) {
        let within = |value: &Option<String>, wanted: &[String]| {
            value.as_deref().is_some_and(|v| {
                wanted
                    .iter()
                    .any(|w| w.trim().eq_ignore_ascii_case(v.trim()))
            })
        };
        for record in records {
            let id = &record.document_id;
            match self {
                Case::CareUnitFilter if !within(&record.care_unit, &query.care_unit_hsa_ids) => {
                    verdict.fail(format!(
                        "record {id} has care unit {}, which was not asked for",
                        shown(&record.care_unit)
                    ));
                }
                Case::CareGiverFilter if !within(&record.care_giver, &query.care_giver_hsa_ids) => {
                    verdict.fail(format!(
                        "record {id} has care giver {}, which was not asked for",
                        shown(&record.care_giver)
                    ));
                }
                Case::CareContactFilter => {
                    // A care contact's own id is its documentId.
                    let contact = if contract == Contract::GetCareContacts {
                        Some(record.document_id.clone())
                    } else {
                        record.care_contact_id.clone()
                    };
                    if !within(&contact, &query.care_contact_ids) {
                        verdict.fail(format!(
                            "record {id} belongs to care contact {}, which was not asked for",
                            shown(&contact)
                        ));
                    }
                }
                Case::ActiveMedication
                    if record.prescription_status.as_deref() != Some("Active") =>
                {
                    verdict.fail(format!(
                        "record {id} has prescriptionStatus {}, Active was asked for",
                        shown(&record.prescription_status)
                    ));
                }
                _ => {}
            }
        }
    }
}

fn shown(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("(none)")
}

/// The result element and the logId rules.
fn check_result_fields(
    contract: Contract,
    result: &Option<ResultView>,
    log_ids: &mut HashSet<String>,
    verdict: &mut Verdict,
) {
    match ResultShape::of(contract) {
        ResultShape::NoResult => {}
        ResultShape::ResultWithoutLogId => {
            if result.is_none() {
                verdict.fail("response not valid: result missing".into());
            }
        }
        ResultShape::ResultWithLogId => match result {
            None => verdict.fail("response not valid: result missing".into()),
            Some(result) => match result.log_id.as_deref().map(str::trim) {
                None | Some("") => verdict.fail("result.logId missing or empty".into()),
                Some(log_id) => {
                    if !log_ids.insert(log_id.to_owned()) {
                        verdict.fail(format!(
                            "result.logId {log_id} was already returned by an earlier call \
                             (a fresh logId per answer is required)"
                        ));
                    }
                }
            },
        },
    }
}

/// The rules every returned record must follow.
fn check_record(record: &RecordView, query: &Query, verdict: &mut Verdict) {
    let id = &record.document_id;
    for problem in &record.problems {
        verdict.fail(format!("record {id}: {problem}"));
    }
    match &record.patient {
        Some((patient, kind))
            if patient.trim() == query.patient_id && kind.trim() == query.patient_id_type => {}
        // Never print the patient's number.
        _ => verdict.fail(format!(
            "record {id} is about another patient than the one asked for"
        )),
    }
    if !record
        .source_system
        .trim()
        .eq_ignore_ascii_case(query.logical_address.trim())
    {
        verdict.fail(format!(
            "record {id} comes from source system {}, not the LogicalAddress's {} \
             (a producer answers only for the system addressed)",
            record.source_system, query.logical_address
        ));
    }
}

/// An invalid request must get result ERROR/INVALID_REQUEST (or a SOAP Fault) and no data.
fn judge_invalid(result: &Option<ResultView>, ids: &[&str], verdict: &mut Verdict) {
    if !ids.is_empty() {
        verdict.fail(format!(
            "records returned for an invalid request: {}",
            ids.join(", ")
        ));
    }
    let Some(result) = result else {
        verdict.fail("result code ERROR expected, got a response without result".into());
        return;
    };
    if result.code != "ERROR" {
        verdict.fail(format!(
            "result code ERROR expected, got {}{}",
            result.code,
            result.describe()
        ));
        return;
    }
    match result.error_code.as_deref() {
        Some("INVALID_REQUEST") => verdict.note("result ERROR/INVALID_REQUEST (TKB)".into()),
        Some(other) => verdict.fail(format!("errorCode INVALID_REQUEST expected, got {other}")),
        None if result.has_error_code => {
            verdict.fail("errorCode INVALID_REQUEST expected, got none".into());
        }
        // GetCareDocumentation 3: its ResultType has no errorCode.
        None => verdict.note(format!("result ERROR{}", result.describe())),
    }
}

/// The outcome of one case.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Why the case failed (empty: passed).
    pub reasons: Vec<String>,
    /// What is worth knowing about a pass.
    pub notes: Vec<String>,
}

impl Verdict {
    /// Records a failure.
    pub fn fail(&mut self, reason: String) {
        if !self.reasons.contains(&reason) {
            self.reasons.push(reason);
        }
    }

    /// Records a note.
    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }
}

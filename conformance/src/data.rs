//! The test-data file: which patient, which documentIds are expected or unexpected per
//! case, the filter parameters and the logical address, in the spirit of the official
//! suites' `data.xml`. TOML, typed, unknown fields refused; see `conformance/README.md`.

use std::path::Path;

use npo_contracts::registry::Contract;
use npo_contracts::types::Date;
use serde::Deserialize;

use crate::cases::Case;

/// Personnummer OID, the default `patient_id_type`.
pub const PERSONNUMMER_OID: &str = "1.2.752.129.2.1.3.1";

/// The whole test-data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestData {
    /// The producer's logical address (its source system's HSA-ID), sent in every call.
    pub logical_address: String,
    /// Sent as `x-rivta-original-serviceconsumer-hsaid` when a case does not set its own;
    /// it should not limit the answer.
    #[serde(default)]
    pub http_header_hsa_id: Option<String>,
    /// Default patient id type (OID); personnummer when left out.
    #[serde(default)]
    pub patient_id_type: Option<String>,
    /// Also check the NPÖ compatibility rules (constraintsNPO.xml), like the suites'
    /// `validateNPO`.
    #[serde(default)]
    pub validate_npo: bool,
    /// GetDiagnosis 2.
    #[serde(rename = "GetDiagnosis", default)]
    pub get_diagnosis: Option<ContractData>,
    /// GetCareContacts 3.
    #[serde(rename = "GetCareContacts", default)]
    pub get_care_contacts: Option<ContractData>,
    /// GetMedicationHistory 2.
    #[serde(rename = "GetMedicationHistory", default)]
    pub get_medication_history: Option<ContractData>,
    /// GetVaccinationHistory 2.
    #[serde(rename = "GetVaccinationHistory", default)]
    pub get_vaccination_history: Option<ContractData>,
    /// GetCareDocumentation 3.
    #[serde(rename = "GetCareDocumentation", default)]
    pub get_care_documentation: Option<ContractData>,
    /// GetObservations 1 (project cases: no official suite).
    #[serde(rename = "GetObservations", default)]
    pub get_observations: Option<ContractData>,
}

/// The cases of one contract; a case left out is reported as skipped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractData {
    /// BasicTestcase / Only PatientId.
    pub basic: Option<CaseData>,
    /// Date Boundaries.
    pub date_boundaries: Option<CaseData>,
    /// CareUnitHsaId Filter.
    pub care_unit_filter: Option<CaseData>,
    /// CareGiverHSAId Filter.
    pub care_giver_filter: Option<CaseData>,
    /// CareContactId Filter.
    pub care_contact_filter: Option<CaseData>,
    /// Http-header Filter.
    pub http_header_filter: Option<CaseData>,
    /// NonExisting PatientId.
    pub non_existent_patient: Option<CaseData>,
    /// NonExisting CareContactId.
    pub non_existent_care_contact: Option<CaseData>,
    /// CareContactId without SourceSystemHSAId (invalid request).
    pub care_contact_without_source_system: Option<CaseData>,
    /// SourceSystemHSAId different from the LogicalAddress (invalid request).
    pub source_system_mismatch: Option<CaseData>,
    /// Active Medication (GetMedicationHistory only).
    pub active_medication: Option<CaseData>,
}

impl ContractData {
    /// The data of `case`, if given.
    pub fn case(&self, case: Case) -> Option<&CaseData> {
        match case {
            Case::Basic => self.basic.as_ref(),
            Case::DateBoundaries => self.date_boundaries.as_ref(),
            Case::CareUnitFilter => self.care_unit_filter.as_ref(),
            Case::CareGiverFilter => self.care_giver_filter.as_ref(),
            Case::CareContactFilter => self.care_contact_filter.as_ref(),
            Case::HttpHeaderFilter => self.http_header_filter.as_ref(),
            Case::NonExistentPatient => self.non_existent_patient.as_ref(),
            Case::NonExistentCareContact => self.non_existent_care_contact.as_ref(),
            Case::CareContactWithoutSourceSystem => {
                self.care_contact_without_source_system.as_ref()
            }
            Case::SourceSystemMismatch => self.source_system_mismatch.as_ref(),
            Case::ActiveMedication => self.active_medication.as_ref(),
        }
    }
}

/// The parameters of one case. Which fields a case needs is checked when the file is
/// loaded ([`TestData::validate`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseData {
    /// The patient (12 digits).
    pub patient_id: String,
    /// The patient id type OID; the file's default when left out.
    #[serde(default)]
    pub patient_id_type: Option<String>,
    /// `x-rivta-original-serviceconsumer-hsaid` for this case (required by
    /// `http_header_filter`).
    #[serde(default)]
    pub http_header_hsa_id: Option<String>,
    /// First day of the period, `YYYYMMDD` (`date_boundaries`).
    #[serde(default)]
    pub period_start: Option<String>,
    /// Last day of the period, `YYYYMMDD` (`date_boundaries`).
    #[serde(default)]
    pub period_end: Option<String>,
    /// Care units to ask for (`care_unit_filter`).
    #[serde(default)]
    pub care_unit_hsa_ids: Vec<String>,
    /// Care givers to ask for (`care_giver_filter`).
    #[serde(default)]
    pub care_giver_hsa_ids: Vec<String>,
    /// `sourceSystemHSAId` to send (`care_contact_filter`, `non_existent_care_contact`:
    /// the logical address when left out; `source_system_mismatch`: required, not the
    /// logical address).
    #[serde(default)]
    pub source_system_hsa_id: Option<String>,
    /// Care contact ids to ask for.
    #[serde(default)]
    pub care_contact_ids: Vec<String>,
    /// documentIds that must be in the answer.
    #[serde(default)]
    pub expected_document_ids: Vec<String>,
    /// documentIds that must not be in the answer.
    #[serde(default)]
    pub unexpected_document_ids: Vec<String>,
}

/// Why a test-data file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file cannot be read.
    #[error("cannot read the test-data file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not valid TOML or not the format.
    #[error("test-data file {path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Fields missing or wrong for the cases.
    #[error("test-data file {path}:\n  {}", problems.join("\n  "))]
    Invalid {
        /// The file.
        path: String,
        /// One line per problem.
        problems: Vec<String>,
    },
}

impl TestData {
    /// Reads and checks a test-data file.
    pub fn load(path: &Path) -> Result<TestData, DataError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
            path: shown.clone(),
            source,
        })?;
        let data = TestData::parse(&text).map_err(|message| DataError::Format {
            path: shown.clone(),
            message,
        })?;
        let problems = data.validate();
        if problems.is_empty() {
            Ok(data)
        } else {
            Err(DataError::Invalid {
                path: shown,
                problems,
            })
        }
    }

    /// Parses the TOML text (without the case checks of [`TestData::validate`]).
    pub fn parse(text: &str) -> Result<TestData, String> {
        toml::from_str(text).map_err(|e| e.message().to_owned())
    }

    /// The contract sections, with their contracts.
    pub fn contract_sections(&self) -> Vec<(Contract, &ContractData)> {
        Contract::CLINICAL
            .into_iter()
            .filter_map(|c| self.contract(c).map(|d| (c, d)))
            .collect()
    }

    /// The data of `contract`, if the file has a section for it.
    pub fn contract(&self, contract: Contract) -> Option<&ContractData> {
        match contract {
            Contract::GetDiagnosis => self.get_diagnosis.as_ref(),
            Contract::GetCareContacts => self.get_care_contacts.as_ref(),
            Contract::GetMedicationHistory => self.get_medication_history.as_ref(),
            Contract::GetVaccinationHistory => self.get_vaccination_history.as_ref(),
            Contract::GetCareDocumentation => self.get_care_documentation.as_ref(),
            Contract::GetObservations => self.get_observations.as_ref(),
            _ => None,
        }
    }

    /// The patient id type of `case` (its own, else the file's, else personnummer).
    pub fn patient_id_type<'a>(&'a self, case: &'a CaseData) -> &'a str {
        case.patient_id_type
            .as_deref()
            .or(self.patient_id_type.as_deref())
            .unwrap_or(PERSONNUMMER_OID)
    }

    /// The consumer header of `case` (its own, else the file's).
    pub fn http_header<'a>(&'a self, case: &'a CaseData) -> Option<&'a str> {
        case.http_header_hsa_id
            .as_deref()
            .or(self.http_header_hsa_id.as_deref())
    }

    /// Every problem of the file, one line each (empty when it is usable).
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.logical_address.trim().is_empty() {
            problems.push("logical_address: must not be empty".to_owned());
        }
        for (contract, data) in self.contract_sections() {
            for case in Case::ALL {
                let Some(case_data) = data.case(case) else {
                    continue;
                };
                let at = format!("[{}.{}]", contract.name(), case.key());
                if !case.applies_to(contract) {
                    problems.push(format!(
                        "{at}: {} has no such case ({})",
                        contract,
                        case.not_applicable_reason(contract)
                    ));
                    continue;
                }
                if contract == Contract::GetCareDocumentation
                    && !case_data.care_contact_ids.is_empty()
                {
                    problems.push(format!(
                        "{at}: care_contact_ids: the GetCareDocumentation 3 request has no careContactId"
                    ));
                }
                for problem in case.check(case_data, &self.logical_address) {
                    problems.push(format!("{at}: {problem}"));
                }
            }
        }
        problems
    }
}

/// Checks a `YYYYMMDD` field.
pub(crate) fn check_date(field: &str, value: Option<&str>) -> Result<Option<Date>, String> {
    match value {
        None => Ok(None),
        Some(text) => Date::parse(text)
            .map(Some)
            .ok_or_else(|| format!("{field}: not a date YYYYMMDD")),
    }
}

//! The seam between the SOAP endpoints and a journal: [`JournalSource`].
//!
//! A vendor whose journal already has its own database can implement this trait over
//! it and keep everything else of the producer (endpoints, field rules, TLS, WSDL).
//! The endpoints validate the request and enforce the contracts' field rules before
//! calling it, and afterwards drop nullified records and strip fields the contracts
//! forbid, so an implementation only has to *select*:
//!
//! - only records of `filters.source_system` (rule R3: the LogicalAddress names it);
//! - only records of `filters.patient`;
//! - when `filters.period` is set, records matching the contract's date rule (see
//!   each method);
//! - when the lists are non-empty, records of one of `care_unit_hsa_ids`, of one of
//!   `care_giver_hsa_ids`, of one of `care_contact_ids`;
//! - when `filters.consumer` is set, only what that original service consumer may see.
//!
//! An unknown patient is not an error: return an empty list. Return
//! [`SourceError::Unavailable`] when the journal cannot be reached; the endpoint turns
//! it into a SOAP Fault without details.

use npo_contracts::actoutcome::{
    MedicationMedicalRecordType, PrescriptionStatusEnum, VaccinationMedicalRecordType,
};
#[cfg(doc)]
use npo_contracts::get_diagnosis::DiagnosisRef;
use npo_contracts::get_diagnosis::GetDiagnosisResponseWriter;
use npo_contracts::healthcond_basic::ObservationGroupType;
use npo_contracts::healthcond_description::DiagnosisType;
use npo_contracts::healthcond_description_v3::CareDocumentationType;
use npo_contracts::logistics::CareContactType;
use npo_contracts::types::{CvType, IiType, PatientId, TimeStamp};

/// An inclusive interval of Swedish local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First instant included.
    pub start: TimeStamp,
    /// Last instant included.
    pub end: TimeStamp,
}

impl Period {
    /// Whether `t` lies in the period (end points included).
    pub fn contains(&self, t: TimeStamp) -> bool {
        self.start <= t && t <= self.end
    }

    /// Whether `[from, to]` overlaps the period; an open end (`None`) extends forever.
    pub fn overlaps(&self, from: Option<TimeStamp>, to: Option<TimeStamp>) -> bool {
        let starts_before_end = from.is_none_or(|from| from <= self.end);
        let ends_after_start = to.is_none_or(|to| to >= self.start);
        starts_before_end && ends_after_start
    }
}

/// What an original service consumer may see (from configuration).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerScope {
    /// The consumer's HSA-ID (`x-rivta-original-serviceconsumer-hsaid`).
    pub consumer_hsa_id: String,
    /// Only records approved for the patient (for patient-facing consumers).
    pub only_approved_for_patient: bool,
    /// When non-empty, only records of these care givers.
    pub care_giver_hsa_ids: Vec<String>,
}

/// The filters every contract has.
#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    /// The patient.
    pub patient: PatientId,
    /// The source system the LogicalAddress names (R3).
    pub source_system: String,
    /// The request's period, if any, as local time (dates cover whole days).
    pub period: Option<Period>,
    /// Only these care units (empty: all).
    pub care_unit_hsa_ids: Vec<String>,
    /// Only these care givers (empty: all).
    pub care_giver_hsa_ids: Vec<String>,
    /// Only records of these care contacts (empty: all).
    pub care_contact_ids: Vec<String>,
    /// Restrictions for the original consumer, when configured.
    pub consumer: Option<ConsumerScope>,
}

impl Filters {
    /// Whether a record's responsible units, care contact and approval pass the
    /// list filters and the consumer scope (not the period: that rule is per contract).
    pub fn admits(
        &self,
        care_unit: &str,
        care_giver: &str,
        care_contact: Option<&str>,
        approved_for_patient: bool,
    ) -> bool {
        let listed = |list: &[String], value: &str| {
            list.is_empty() || list.iter().any(|v| v.eq_ignore_ascii_case(value))
        };
        let contact_ok = self.care_contact_ids.is_empty()
            || care_contact.is_some_and(|c| self.care_contact_ids.iter().any(|id| id == c));
        let consumer_ok = self.consumer.as_ref().is_none_or(|scope| {
            (!scope.only_approved_for_patient || approved_for_patient)
                && listed(&scope.care_giver_hsa_ids, care_giver)
        });
        listed(&self.care_unit_hsa_ids, care_unit)
            && listed(&self.care_giver_hsa_ids, care_giver)
            && contact_ok
            && consumer_ok
    }
}

/// Extra filters of GetMedicationHistory.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicationFilters {
    /// The common filters.
    pub common: Filters,
    /// Only this prescription chain.
    pub prescription_chain_id: Option<IiType>,
    /// Only prescriptions with this status.
    pub prescription_status: Option<PrescriptionStatusEnum>,
}

/// Extra filters of GetObservations.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationFilters {
    /// The common filters.
    pub common: Filters,
    /// Only these observation types (code + code system).
    pub observation_types: Vec<CvType>,
    /// Only these observations.
    pub observation_ids: Vec<IiType>,
}

/// Why a journal could not answer.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The journal (database) is unreachable or failed; the cause goes to the log.
    #[error("the journal is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A journal the producer serves. See the module documentation for the contract.
///
/// Methods are called on a blocking thread and may block.
pub trait JournalSource: Send + Sync + 'static {
    /// GetDiagnosis 2. Period rule: authorTime, signatureTime or diagnosisTime in the
    /// period.
    fn diagnoses(&self, filters: &Filters) -> Result<Vec<DiagnosisType>, SourceError>;

    /// GetDiagnosis 2, written into the response: the records of
    /// [`JournalSource::diagnoses`], in its order. The default calls `diagnoses` and
    /// writes every record that is not nullified, without the fields the contract
    /// forbids (documentTitle, documentTime, nullified, nullifiedReason). A journal
    /// that can hand out borrowed records ([`DiagnosisRef`], which has no place for
    /// those fields) may write them as it reads them instead, as the diesel store does.
    fn write_diagnoses(
        &self,
        filters: &Filters,
        out: &mut GetDiagnosisResponseWriter,
    ) -> Result<(), SourceError> {
        for mut record in self.diagnoses(filters)? {
            let header = &mut record.diagnosis_header;
            if header.nullified == Some(true) {
                continue;
            }
            header.document_title = None;
            header.document_time = None;
            header.nullified = None;
            header.nullified_reason = None;
            out.push_contract(&record);
        }
        Ok(())
    }

    /// GetCareContacts 3. Period rule: authorTime in the period, or the contact's
    /// time period overlaps it (end points included; a planned contact without an end
    /// is open-ended).
    fn care_contacts(&self, filters: &Filters) -> Result<Vec<CareContactType>, SourceError>;

    /// GetMedicationHistory 2. Period rule: the treatment interval — from the
    /// prescriber's authorTime, else startOfTreatment, else the header authorTime, to
    /// endOfTreatment (open when missing) — overlaps the period.
    fn medication_history(
        &self,
        filters: &MedicationFilters,
    ) -> Result<Vec<MedicationMedicalRecordType>, SourceError>;

    /// GetVaccinationHistory 2. Period rule (the contract's, as its test suite's
    /// DateBoundaries case checks): the administration date, the authorTime or the
    /// signatureTime in the period.
    fn vaccinations(
        &self,
        filters: &Filters,
    ) -> Result<Vec<VaccinationMedicalRecordType>, SourceError>;

    /// GetCareDocumentation 3. Period rule: a note is in the period when its
    /// authorTime (`record/timestamp`, `author/timestamp`) or its signatureTime
    /// (`signature/timestamp`) lies in it, end points included; an unsigned note only by
    /// its authorTime. This follows the contract's test suite (Date Boundaries: any of
    /// documentTime, authorTime, signatureTime within the period; 3.0 carries no
    /// documentTime of its own): a note written in February and signed in March is
    /// part of March.
    fn care_documentation(
        &self,
        filters: &Filters,
    ) -> Result<Vec<CareDocumentationType>, SourceError>;

    /// GetObservations 1. Period rule: the observation time in the period.
    fn observations(
        &self,
        filters: &ObservationFilters,
    ) -> Result<Vec<ObservationGroupType>, SourceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> TimeStamp {
        TimeStamp::parse(s).expect("valid")
    }

    #[test]
    fn periods_include_their_end_points_and_open_ends() {
        let p = Period {
            start: ts("20240101000000"),
            end: ts("20241231235959"),
        };
        assert!(p.contains(ts("20240101000000")) && p.contains(ts("20241231235959")));
        assert!(!p.contains(ts("20250101000000")));
        assert!(p.overlaps(Some(ts("20231201000000")), Some(ts("20240101000000"))));
        assert!(p.overlaps(Some(ts("20241231235959")), None));
        assert!(p.overlaps(None, None));
        assert!(!p.overlaps(Some(ts("20250101000000")), None));
        assert!(!p.overlaps(None, Some(ts("20231231235959"))));
    }
}

//! The default [`JournalSource`]: the diesel store over SQLite or PostgreSQL.

use npo_contracts::actoutcome::{MedicationMedicalRecordType, VaccinationMedicalRecordType};
use npo_contracts::healthcond_basic::ObservationGroupType;
use npo_contracts::healthcond_description::DiagnosisType;
use npo_contracts::healthcond_description_v3::CareDocumentationType;
use npo_contracts::logistics::CareContactType;

use crate::db::{DbConn, DbPool};
use crate::records::diagnosis;
use crate::source::{Filters, JournalSource, MedicationFilters, ObservationFilters, SourceError};

/// The journal kept in the producer's own database (filled by the vendor import).
#[derive(Debug, Clone)]
pub struct DieselJournal {
    pool: DbPool,
}

impl DieselJournal {
    /// A journal over `pool`.
    pub fn new(pool: DbPool) -> Self {
        DieselJournal { pool }
    }

    /// The pool.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    fn with_conn<T>(
        &self,
        query: impl FnOnce(&mut DbConn) -> diesel::QueryResult<T>,
    ) -> Result<T, SourceError> {
        let mut conn = self.pool.get().map_err(|e| SourceError::Unavailable(Box::new(e)))?;
        query(&mut conn).map_err(|e| SourceError::Unavailable(Box::new(e)))
    }
}

impl JournalSource for DieselJournal {
    fn diagnoses(&self, filters: &Filters) -> Result<Vec<DiagnosisType>, SourceError> {
        self.with_conn(|conn| diagnosis::find(conn, filters))
    }

    fn care_contacts(&self, _filters: &Filters) -> Result<Vec<CareContactType>, SourceError> {
        Ok(Vec::new())
    }

    fn medication_history(
        &self,
        _filters: &MedicationFilters,
    ) -> Result<Vec<MedicationMedicalRecordType>, SourceError> {
        Ok(Vec::new())
    }

    fn vaccinations(
        &self,
        _filters: &Filters,
    ) -> Result<Vec<VaccinationMedicalRecordType>, SourceError> {
        Ok(Vec::new())
    }

    fn care_documentation(
        &self,
        _filters: &Filters,
    ) -> Result<Vec<CareDocumentationType>, SourceError> {
        Ok(Vec::new())
    }

    fn observations(
        &self,
        _filters: &ObservationFilters,
    ) -> Result<Vec<ObservationGroupType>, SourceError> {
        Ok(Vec::new())
    }
}

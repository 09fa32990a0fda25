//! The default [`JournalSource`]: the diesel store over SQLite or PostgreSQL.

use npo_contracts::actoutcome::{MedicationMedicalRecordType, VaccinationMedicalRecordType};
use npo_contracts::get_diagnosis::GetDiagnosisResponseWriter;
use npo_contracts::healthcond_basic::ObservationGroupType;
use npo_contracts::healthcond_description::DiagnosisType;
use npo_contracts::healthcond_description_v3::CareDocumentationType;
use npo_contracts::logistics::CareContactType;

use crate::db::{DbConn, DbPool};
use crate::records::{
    care_contact, care_documentation, diagnosis, medication, observation, vaccination,
};
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
        let mut conn = self
            .pool
            .get()
            .map_err(|e| SourceError::Unavailable(Box::new(e)))?;
        query(&mut conn).map_err(|e| SourceError::Unavailable(Box::new(e)))
    }
}

impl JournalSource for DieselJournal {
    fn diagnoses(&self, filters: &Filters) -> Result<Vec<DiagnosisType>, SourceError> {
        self.with_conn(|conn| diagnosis::find(conn, filters))
    }

    fn write_diagnoses(
        &self,
        filters: &Filters,
        out: &mut GetDiagnosisResponseWriter,
    ) -> Result<(), SourceError> {
        self.with_conn(|conn| diagnosis::write_found(conn, filters, out))
    }

    fn care_contacts(&self, filters: &Filters) -> Result<Vec<CareContactType>, SourceError> {
        self.with_conn(|conn| care_contact::find(conn, filters))
    }

    fn medication_history(
        &self,
        filters: &MedicationFilters,
    ) -> Result<Vec<MedicationMedicalRecordType>, SourceError> {
        self.with_conn(|conn| medication::find(conn, filters))
    }

    fn vaccinations(
        &self,
        filters: &Filters,
    ) -> Result<Vec<VaccinationMedicalRecordType>, SourceError> {
        self.with_conn(|conn| vaccination::find(conn, filters))
    }

    fn care_documentation(
        &self,
        filters: &Filters,
    ) -> Result<Vec<CareDocumentationType>, SourceError> {
        self.with_conn(|conn| care_documentation::find(conn, filters))
    }

    fn observations(
        &self,
        filters: &ObservationFilters,
    ) -> Result<Vec<ObservationGroupType>, SourceError> {
        self.with_conn(|conn| observation::find(conn, filters))
    }
}

//! The default [`JournalSource`]: the diesel store over SQLite or PostgreSQL.

use npo_contracts::actoutcome::{MedicationMedicalRecordType, VaccinationMedicalRecordType};
use npo_contracts::get_diagnosis::GetDiagnosisResponseWriter;
use npo_contracts::healthcond_basic::ObservationGroupType;
use npo_contracts::healthcond_description::DiagnosisType;
use npo_contracts::healthcond_description_v3::CareDocumentationType;
use npo_contracts::logistics::CareContactType;

use crate::db::{self, DbConn, DbPool, PooledConn};
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

    /// Runs a read on a pooled connection. When the connection turns out to be gone
    /// (the database server restarted or closed it while it sat in the pool), it is
    /// discarded and the read runs once more on another, so a request does not fail
    /// for a connection that was simply stale.
    fn with_conn<T>(
        &self,
        mut query: impl FnMut(&mut DbConn) -> diesel::QueryResult<T>,
    ) -> Result<T, SourceError> {
        let unavailable = |e: diesel::result::Error| SourceError::Unavailable(Box::new(e));
        let mut conn = self.checkout()?;
        let first = query(&mut conn);
        match conn.note(first) {
            Err(e) if db::connection_lost(&e) => {
                tracing::warn!(error = %e, "database connection lost; reading once more on another");
                drop(conn);
                let mut conn = self.checkout()?;
                let second = query(&mut conn);
                conn.note(second).map_err(unavailable)
            }
            other => other.map_err(unavailable),
        }
    }

    fn checkout(&self) -> Result<PooledConn, SourceError> {
        self.pool
            .get()
            .map_err(|e| SourceError::Unavailable(Box::new(e)))
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
        let mark = out.mark();
        self.with_conn(|conn| {
            out.rewind(mark);
            diagnosis::write_found(conn, filters, out)
        })
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

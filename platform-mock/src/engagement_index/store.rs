//! Persistence of the engagement index: the `engagements` table (one row per
//! engagement, keyed by the hash of its nine key fields) and the outbox of
//! notifications, over the shared [`DbConn`] (SQLite or PostgreSQL).

use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use npo_contracts::engagement_index::{
    EngagementType, FindContent, RegisteredResidentIdentification, Ts,
};

use crate::db::{self, DbConn, DbError, DbPool};

diesel::table! {
    /// One engagement.
    engagements (id) {
        id -> Text,
        registered_resident_identification -> Text,
        service_domain -> Text,
        categorization -> Text,
        logical_address -> Text,
        business_object_instance_identifier -> Text,
        clinical_process_interest_id -> Text,
        source_system -> Text,
        data_controller -> Text,
        owner -> Text,
        most_recent_content -> Nullable<Text>,
        creation_time -> Text,
        update_time -> Nullable<Text>,
    }
}

diesel::table! {
    /// Outbox: ProcessNotification messages waiting for delivery.
    engagement_notifications (id) {
        id -> BigInt,
        subscriber -> Text,
        payload -> Text,
        transactions -> Integer,
        attempts -> Integer,
        created_at -> BigInt,
        next_attempt_at -> BigInt,
        failed -> Bool,
        last_error -> Nullable<Text>,
    }
}

/// An engagement as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = engagements)]
pub struct EngagementRow {
    /// SHA-256 (hex) of the key, see [`engagement_id`].
    pub id: String,
    /// The resident (12 characters).
    pub registered_resident_identification: String,
    /// `serviceDomain`.
    pub service_domain: String,
    /// `categorization`.
    pub categorization: String,
    /// `logicalAddress`: where to ask for the information.
    pub logical_address: String,
    /// `businessObjectInstanceIdentifier`.
    pub business_object_instance_identifier: String,
    /// `clinicalProcessInterestId`.
    pub clinical_process_interest_id: String,
    /// `sourceSystem`.
    pub source_system: String,
    /// `dataController`.
    pub data_controller: String,
    /// The index that owns the engagement.
    pub owner: String,
    /// `mostRecentContent` (TS), as last reported.
    pub most_recent_content: Option<String>,
    /// When this index first stored the engagement (TS, Swedish local time).
    pub creation_time: String,
    /// When this index last stored it again (TS); `None` until then.
    pub update_time: Option<String>,
}

impl EngagementRow {
    /// A new row for `engagement` owned by `owner`, created `now`.
    pub fn new(engagement: &EngagementType, owner: &str, now: &Ts) -> Self {
        EngagementRow {
            id: engagement_id(engagement, owner),
            registered_resident_identification: engagement
                .registered_resident_identification
                .as_str()
                .to_owned(),
            service_domain: engagement.service_domain.clone(),
            categorization: engagement.categorization.clone(),
            logical_address: engagement.logical_address.clone(),
            business_object_instance_identifier: engagement
                .business_object_instance_identifier
                .clone(),
            clinical_process_interest_id: engagement.clinical_process_interest_id.clone(),
            source_system: engagement.source_system.clone(),
            data_controller: engagement.data_controller.clone(),
            owner: owner.to_owned(),
            most_recent_content: engagement
                .most_recent_content
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            creation_time: now.as_str().to_owned(),
            update_time: None,
        }
    }

    /// The contract form; `None` when a stored value no longer fits its type (the row
    /// was not written by this code).
    pub fn to_engagement(&self) -> Option<EngagementType> {
        let ts = |v: &Option<String>| match v {
            None => Some(None),
            Some(text) => Ts::parse(text).map(Some),
        };
        Some(EngagementType {
            registered_resident_identification: RegisteredResidentIdentification::parse(
                &self.registered_resident_identification,
            )?,
            service_domain: self.service_domain.clone(),
            categorization: self.categorization.clone(),
            logical_address: self.logical_address.clone(),
            business_object_instance_identifier: self.business_object_instance_identifier.clone(),
            clinical_process_interest_id: self.clinical_process_interest_id.clone(),
            most_recent_content: ts(&self.most_recent_content)?,
            source_system: self.source_system.clone(),
            creation_time: Some(Ts::parse(&self.creation_time)?),
            update_time: ts(&self.update_time)?,
            data_controller: self.data_controller.clone(),
            owner: Some(self.owner.clone()),
        })
    }
}

/// The id of an engagement: SHA-256 (lower-case hex) of its nine key fields in the
/// real index's order (resident, service domain, categorization, logical address,
/// business object instance, source system, data controller, owner, clinical process
/// interest), separated by U+001F (which no XML 1.0 document can carry, so distinct
/// keys never collide by concatenation).
pub fn engagement_id(engagement: &EngagementType, owner: &str) -> String {
    let fields = [
        engagement.registered_resident_identification.as_str(),
        &engagement.service_domain,
        &engagement.categorization,
        &engagement.logical_address,
        &engagement.business_object_instance_identifier,
        &engagement.source_system,
        &engagement.data_controller,
        owner,
        &engagement.clinical_process_interest_id,
    ];
    let mut hasher = openssl::sha::Sha256::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            hasher.update(&[0x1f]);
        }
        hasher.update(field.as_bytes());
    }
    hasher.finish().iter().map(|b| format!("{b:02x}")).collect()
}

/// Rows with these ids.
pub fn find_by_ids(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<EngagementRow>> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        rows.extend(
            engagements::table
                .filter(engagements::id.eq_any(chunk))
                .select(EngagementRow::as_select())
                .load(conn)?,
        );
    }
    Ok(rows)
}

/// Inserts a new row.
pub fn insert(conn: &mut DbConn, row: &EngagementRow) -> QueryResult<usize> {
    diesel::insert_into(engagements::table)
        .values(row)
        .execute(conn)
}

/// Stores an existing engagement again: new `mostRecentContent`, `updateTime` now.
pub fn touch(
    conn: &mut DbConn,
    id: &str,
    most_recent_content: Option<&str>,
    update_time: &str,
) -> QueryResult<usize> {
    diesel::update(engagements::table.filter(engagements::id.eq(id)))
        .set((
            engagements::most_recent_content.eq(most_recent_content),
            engagements::update_time.eq(Some(update_time)),
        ))
        .execute(conn)
}

/// Removes an engagement; returns whether it existed.
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(engagements::table.filter(engagements::id.eq(id))).execute(conn)? > 0)
}

/// FindContent: the resident's engagements in the service domain, narrowed by every
/// optional field given (exact match; `mostRecentContent`: at or after), oldest first.
pub fn find_content(conn: &mut DbConn, query: &FindContent) -> QueryResult<Vec<EngagementRow>> {
    let mut q = engagements::table
        .filter(
            engagements::registered_resident_identification
                .eq(query.registered_resident_identification.as_str()),
        )
        .filter(engagements::service_domain.eq(&query.service_domain))
        .select(EngagementRow::as_select())
        .into_boxed();
    if let Some(v) = &query.categorization {
        q = q.filter(engagements::categorization.eq(v));
    }
    if let Some(v) = &query.logical_address {
        q = q.filter(engagements::logical_address.eq(v));
    }
    if let Some(v) = &query.business_object_instance_identifier {
        q = q.filter(engagements::business_object_instance_identifier.eq(v));
    }
    if let Some(v) = &query.clinical_process_interest_id {
        q = q.filter(engagements::clinical_process_interest_id.eq(v));
    }
    if let Some(v) = &query.most_recent_content {
        q = q.filter(engagements::most_recent_content.ge(v.as_str()));
    }
    if let Some(v) = &query.source_system {
        q = q.filter(engagements::source_system.eq(v));
    }
    if let Some(v) = &query.data_controller {
        q = q.filter(engagements::data_controller.eq(v));
    }
    if let Some(v) = &query.owner {
        q = q.filter(engagements::owner.eq(v));
    }
    q.order((engagements::creation_time.asc(), engagements::id.asc()))
        .load(conn)
}

/// Number of engagements stored.
pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    engagements::table.count().get_result(conn)
}

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection could be had.
    #[error("no database connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] DieselError),
    /// The system clock is outside the years a time stamp can carry.
    #[error("the system clock is not usable for time stamps")]
    Clock,
}

/// The engagement index's database: a pool and a write lock (one writer at a time in
/// this process, which SQLite needs anyway and which keeps read-then-write
/// transactions free of races; across processes a unique violation is retried).
#[derive(Debug, Clone)]
pub struct EngagementStore {
    pool: DbPool,
    write_lock: Arc<Mutex<()>>,
}

impl EngagementStore {
    /// Opens the database at `url` with at most `pool_size` connections (waiting at
    /// most `timeout` for one), running the pending migrations first when `migrate` is
    /// set.
    pub fn open(
        url: &str,
        pool_size: u32,
        timeout: std::time::Duration,
        migrate: bool,
    ) -> Result<Self, DbError> {
        if migrate {
            let mut conn = db::DbManager::new(url).open()?;
            let applied = db::run_migrations(&mut conn)?;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "engagement index database migrated");
            }
        }
        Ok(EngagementStore {
            pool: db::pool(url, pool_size, timeout)?,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    /// The pool.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// Runs `query` on a pooled connection.
    pub fn read<T>(
        &self,
        query: impl FnOnce(&mut DbConn) -> QueryResult<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        Ok(query(&mut conn)?)
    }

    /// Runs `change` in one transaction, committed before this returns. Retried (up to
    /// three times in all) when another process got in the way: it inserted the same
    /// key meanwhile (PostgreSQL), or held SQLite's write lock past the busy timeout.
    pub fn write<T>(
        &self,
        mut change: impl FnMut(&mut DbConn) -> QueryResult<T>,
    ) -> Result<T, StoreError> {
        let _guard = self
            .write_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut conn = self.pool.get()?;
        let mut attempt: u32 = 1;
        loop {
            match conn.transaction(|conn| change(conn)) {
                Err(e) if attempt < 3 && is_transient(&e) => {
                    tracing::debug!(attempt, error = %e, "engagement write raced another writer; retrying");
                    std::thread::sleep(std::time::Duration::from_millis(50 * u64::from(attempt)));
                    attempt += 1;
                }
                result => return Ok(result?),
            }
        }
    }
}

/// Whether a failed write transaction may succeed when run again.
fn is_transient(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
        | DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("database is locked") || message.contains("database is busy")
        }
        _ => false,
    }
}

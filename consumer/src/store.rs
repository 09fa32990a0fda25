//! Queries: the staff copy, PDL registrations (care relations, consents, emergency
//! accesses, blocks) and the append-only access log. Every function takes `&mut
//! DbConn`; times are Unix seconds (UTC).
//!
//! The access log has an insert and reads only: there is no update or delete path
//! here, and triggers in both backends refuse UPDATE and DELETE.

use diesel::prelude::*;

use crate::config::StaffConfig;
use crate::db::DbConn;
use crate::schema::{access_log, blocks, care_relations, consents, emergency_accesses, staff};

/// A fresh row id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A fresh access-log id that sorts by time (microseconds, then a UUID): rows written
/// within one second keep their order.
pub fn new_log_id() -> String {
    let micros = chrono::Utc::now().timestamp_micros().max(0);
    format!("{micros:019}-{}", uuid::Uuid::new_v4().simple())
}

/// Copies the configured directory into `staff` (people no longer configured are
/// kept, marked inactive, so old log rows still name them). One transaction.
pub fn sync_staff(conn: &mut DbConn, people: &[StaffConfig], now: i64) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(staff::table)
            .set(staff::active.eq(false))
            .execute(conn)?;
        for person in people {
            let updated = diesel::update(staff::table.find(&person.hsa_id))
                .set((
                    staff::username.eq(&person.username),
                    staff::name.eq(&person.name),
                    staff::role.eq(person.role.as_str()),
                    staff::active.eq(true),
                    staff::synced_at.eq(now),
                ))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(staff::table)
                    .values((
                        staff::hsa_id.eq(&person.hsa_id),
                        staff::username.eq(&person.username),
                        staff::name.eq(&person.name),
                        staff::role.eq(person.role.as_str()),
                        staff::active.eq(true),
                        staff::synced_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// A registered care relation.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = care_relations)]
pub struct CareRelation {
    /// Row id.
    pub id: String,
    /// The pupil (12 digits).
    pub patient_id: String,
    /// Who has the relation.
    pub user_hsa_id: String,
    /// Commission care giver.
    pub care_giver: String,
    /// Commission care unit.
    pub care_unit: String,
    /// Why.
    pub reason: String,
    /// When registered.
    pub created_at: i64,
}

/// A registered consent.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct Consent {
    /// Row id.
    pub id: String,
    /// The pupil.
    pub patient_id: String,
    /// `pupil` or `guardian`.
    pub given_by: String,
    /// The guardian's name when a guardian gave it.
    pub guardian_name: Option<String>,
    /// `care_unit` or `user`.
    pub scope: String,
    /// The care unit's or the user's HSA-ID.
    pub scope_hsa_id: String,
    /// The care giver of the registering commission.
    pub care_giver: String,
    /// Who registered it.
    pub registered_by: String,
    /// Valid from.
    pub valid_from: i64,
    /// Valid until (inclusive); none: until withdrawn.
    pub valid_to: Option<i64>,
    /// When withdrawn.
    pub withdrawn_at: Option<i64>,
    /// Who withdrew it.
    pub withdrawn_by: Option<String>,
    /// When registered.
    pub created_at: i64,
}

impl Consent {
    /// Valid at `now` for `user` acting at `care_unit`.
    pub fn covers(&self, user: &str, care_unit: &str, now: i64) -> bool {
        let in_scope = match self.scope.as_str() {
            "care_unit" => self.scope_hsa_id.eq_ignore_ascii_case(care_unit),
            "user" => self.scope_hsa_id.eq_ignore_ascii_case(user),
            _ => false,
        };
        in_scope && self.is_valid(now)
    }

    /// Not withdrawn and within its validity at `now`.
    pub fn is_valid(&self, now: i64) -> bool {
        self.withdrawn_at.is_none()
            && self.valid_from <= now
            && self.valid_to.is_none_or(|to| now <= to)
    }
}

/// A registered emergency access.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = emergency_accesses)]
pub struct EmergencyAccess {
    /// Row id.
    pub id: String,
    /// The pupil.
    pub patient_id: String,
    /// Who.
    pub user_hsa_id: String,
    /// At which care unit.
    pub care_unit: String,
    /// Why (required).
    pub reason: String,
    /// When.
    pub created_at: i64,
    /// Until when.
    pub expires_at: i64,
}

/// A block (spärr).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = blocks)]
pub struct Block {
    /// Row id.
    pub id: String,
    /// The pupil.
    pub patient_id: String,
    /// `care_giver` or `care_unit`.
    pub kind: String,
    /// The blocked care giver or care unit.
    pub blocked_hsa_id: String,
    /// Who registered it.
    pub registered_by: String,
    /// When.
    pub created_at: i64,
}

/// One access-log row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_log)]
pub struct LogEntry {
    /// Row id.
    pub id: String,
    /// When (before the page was sent).
    pub created_at: i64,
    /// Correlation id (also sent to the platform as `x-skltp-correlation-id`).
    pub correlation_id: String,
    /// The user.
    pub user_hsa_id: String,
    /// The user's name.
    pub user_name: String,
    /// The user's role.
    pub role: String,
    /// Commission care giver.
    pub care_giver: String,
    /// Commission care unit.
    pub care_unit: String,
    /// Commission purpose.
    pub purpose: String,
    /// The pupil.
    pub patient_id: String,
    /// The page.
    pub page: String,
    /// Care givers whose information was shown (comma separated).
    pub care_givers_shown: String,
    /// Information types (comma separated).
    pub info_types: String,
    /// The applied time windows.
    pub time_window: String,
    /// Shown under emergency access.
    pub emergency: bool,
}

/// Everything registered for one pupil.
#[derive(Debug, Clone, Default)]
pub struct PupilState {
    /// Care relations (every user).
    pub relations: Vec<CareRelation>,
    /// Consents, newest first.
    pub consents: Vec<Consent>,
    /// Emergency accesses, newest first.
    pub emergencies: Vec<EmergencyAccess>,
    /// Blocks.
    pub blocks: Vec<Block>,
}

/// Loads everything registered for `patient`.
pub fn pupil_state(conn: &mut DbConn, patient: &str) -> QueryResult<PupilState> {
    Ok(PupilState {
        relations: care_relations::table
            .filter(care_relations::patient_id.eq(patient))
            .order(care_relations::created_at.desc())
            .select(CareRelation::as_select())
            .load(conn)?,
        consents: consents::table
            .filter(consents::patient_id.eq(patient))
            .order(consents::created_at.desc())
            .select(Consent::as_select())
            .load(conn)?,
        emergencies: emergency_accesses::table
            .filter(emergency_accesses::patient_id.eq(patient))
            .order(emergency_accesses::created_at.desc())
            .select(EmergencyAccess::as_select())
            .load(conn)?,
        blocks: blocks::table
            .filter(blocks::patient_id.eq(patient))
            .order(blocks::created_at.desc())
            .select(Block::as_select())
            .load(conn)?,
    })
}

/// Whether `user` has a care relation with `patient`.
pub fn has_relation(conn: &mut DbConn, patient: &str, user: &str) -> QueryResult<bool> {
    let n: i64 = care_relations::table
        .filter(care_relations::patient_id.eq(patient))
        .filter(care_relations::user_hsa_id.eq(user))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Registers a care relation.
pub fn insert_relation(conn: &mut DbConn, row: &CareRelation) -> QueryResult<()> {
    diesel::insert_into(care_relations::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Registers a consent.
pub fn insert_consent(conn: &mut DbConn, row: &Consent) -> QueryResult<()> {
    diesel::insert_into(consents::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Withdraws a consent of `patient` (history kept). Returns whether one was withdrawn.
pub fn withdraw_consent(
    conn: &mut DbConn,
    patient: &str,
    id: &str,
    by: &str,
    now: i64,
) -> QueryResult<bool> {
    let n = diesel::update(
        consents::table
            .filter(consents::id.eq(id))
            .filter(consents::patient_id.eq(patient))
            .filter(consents::withdrawn_at.is_null()),
    )
    .set((
        consents::withdrawn_at.eq(Some(now)),
        consents::withdrawn_by.eq(Some(by)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Registers an emergency access.
pub fn insert_emergency(conn: &mut DbConn, row: &EmergencyAccess) -> QueryResult<()> {
    diesel::insert_into(emergency_accesses::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Registers a block.
pub fn insert_block(conn: &mut DbConn, row: &Block) -> QueryResult<()> {
    diesel::insert_into(blocks::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Appends an access-log row.
pub fn append_log(conn: &mut DbConn, row: &LogEntry) -> QueryResult<()> {
    diesel::insert_into(access_log::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Filters of the log follow-up.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only this user (HSA-ID).
    pub user_hsa_id: Option<String>,
    /// Only this pupil (12 digits).
    pub patient_id: Option<String>,
    /// From this time (inclusive).
    pub from: Option<i64>,
    /// Before this time (exclusive).
    pub until: Option<i64>,
    /// Only emergency accesses.
    pub emergency_only: bool,
}

/// Log rows matching `filter`, newest first, at most `limit`.
pub fn search_log(conn: &mut DbConn, filter: &LogFilter, limit: i64) -> QueryResult<Vec<LogEntry>> {
    let mut query = access_log::table.into_boxed();
    if let Some(user) = &filter.user_hsa_id {
        query = query.filter(access_log::user_hsa_id.eq(user.clone()));
    }
    if let Some(patient) = &filter.patient_id {
        query = query.filter(access_log::patient_id.eq(patient.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(access_log::created_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(access_log::created_at.lt(until));
    }
    if filter.emergency_only {
        query = query.filter(access_log::emergency.eq(true));
    }
    query
        .order((access_log::created_at.desc(), access_log::id.desc()))
        .limit(limit)
        .select(LogEntry::as_select())
        .load(conn)
}

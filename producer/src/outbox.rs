//! The engagement-index outbox: every change of an engagement (a patient's information
//! of one kind, in one source system, under one care giver) is written as a row of
//! `engagement_outbox` in the same transaction as the journal change that causes it
//! ([`enqueue`]); the [`OutboxWorker`] sends the rows, oldest first, as EI Update 1
//! through the platform and marks them delivered only when the index answered
//! `ResultCode` OK. A failed call is retried with an exponential backoff per row;
//! no row is ever dropped.
//!
//! Order: rows are taken strictly from the head of the queue (lowest id first), and a
//! row is never sent before an older undelivered row of the same engagement, so the
//! index always ends with the newest state. One Update never carries the same
//! engagement twice (EI002): a later row of an engagement already in the batch waits
//! for the next one. A batch is claimed (its rows' `next_attempt_at` moved past the
//! call's time limit) before it is sent, so several producer instances sharing one
//! database do not send the same rows at once, and a crash mid-call only delays them.
//!
//! Logs carry counts and outbox row ids, never a personnummer.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use npo_contracts::engagement_index::{
    EngagementTransactionType, EngagementType, RegisteredResidentIdentification, Ts, Update,
};
use npo_contracts::soap::{self, Operation, SoapError};
use npo_contracts::types::ResultCode;

use crate::config::{EngagementIndexConfig, TlsConfig};
use crate::db::{DbConn, DbPool};

diesel::table! {
    /// Engagement changes waiting for (or done with) delivery to the engagement index.
    engagement_outbox (id) {
        id -> BigInt,
        registered_resident_identification -> Text,
        service_domain -> Text,
        categorization -> Text,
        logical_address -> Text,
        business_object_instance_identifier -> Text,
        clinical_process_interest_id -> Text,
        source_system -> Text,
        data_controller -> Text,
        owner -> Nullable<Text>,
        most_recent_content -> Nullable<Text>,
        delete_flag -> Bool,
        attempts -> Integer,
        next_attempt_at -> BigInt,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

/// One engagement change: the EngagementType fields plus `deleteFlag`.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = engagement_outbox)]
pub struct EngagementChange {
    /// The patient's personnummer or samordningsnummer, 12 digits.
    pub registered_resident_identification: String,
    /// The contract's domain, e.g. `riv:clinicalprocess:healthcond:description`.
    pub service_domain: String,
    /// The contract's categorization, e.g. `dia`.
    pub categorization: String,
    /// Where to ask: the source system's logical address.
    pub logical_address: String,
    /// `NA`.
    pub business_object_instance_identifier: String,
    /// `NA`.
    pub clinical_process_interest_id: String,
    /// HSA-ID of the source system.
    pub source_system: String,
    /// HSA-ID of the care giver responsible for the information.
    pub data_controller: String,
    /// HSA-ID sent as `owner`; `None`: the worker's configured owner.
    pub owner: Option<String>,
    /// Author time of the newest record (`YYYYMMDDhhmmss`); `None` for a removal.
    pub most_recent_content: Option<String>,
    /// Whether the engagement is removed (its last record is gone).
    pub delete_flag: bool,
}

type EngagementKeyRef<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);

/// A stored outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = engagement_outbox)]
pub struct OutboxRow {
    /// Position in the queue.
    pub id: i64,
    /// See [`EngagementChange`].
    pub registered_resident_identification: String,
    /// See [`EngagementChange`].
    pub service_domain: String,
    /// See [`EngagementChange`].
    pub categorization: String,
    /// See [`EngagementChange`].
    pub logical_address: String,
    /// See [`EngagementChange`].
    pub business_object_instance_identifier: String,
    /// See [`EngagementChange`].
    pub clinical_process_interest_id: String,
    /// See [`EngagementChange`].
    pub source_system: String,
    /// See [`EngagementChange`].
    pub data_controller: String,
    /// See [`EngagementChange`].
    pub owner: Option<String>,
    /// See [`EngagementChange`].
    pub most_recent_content: Option<String>,
    /// See [`EngagementChange`].
    pub delete_flag: bool,
    /// Failed delivery attempts so far.
    pub attempts: i32,
    /// Not to be sent before this time (ms since the epoch).
    pub next_attempt_at: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the index accepted it (ms since the epoch).
    pub delivered_at: Option<i64>,
    /// When the change was made (ms since the epoch).
    pub created_at: i64,
}

impl OutboxRow {
    /// The change the row carries.
    pub fn change(&self) -> EngagementChange {
        EngagementChange {
            registered_resident_identification: self.registered_resident_identification.clone(),
            service_domain: self.service_domain.clone(),
            categorization: self.categorization.clone(),
            logical_address: self.logical_address.clone(),
            business_object_instance_identifier: self.business_object_instance_identifier.clone(),
            clinical_process_interest_id: self.clinical_process_interest_id.clone(),
            source_system: self.source_system.clone(),
            data_controller: self.data_controller.clone(),
            owner: self.owner.clone(),
            most_recent_content: self.most_recent_content.clone(),
            delete_flag: self.delete_flag,
        }
    }

    fn key(&self) -> EngagementKeyRef<'_> {
        (
            &self.registered_resident_identification,
            &self.service_domain,
            &self.categorization,
            &self.logical_address,
            &self.source_system,
            &self.data_controller,
        )
    }

    /// The EI transaction; `None` when a stored value does not fit the EI schema (never
    /// for rows written by the import, which validates them).
    fn transaction(&self, default_owner: &str) -> Option<EngagementTransactionType> {
        let most_recent_content = match &self.most_recent_content {
            Some(time) => Some(Ts::parse(time)?),
            None => None,
        };
        Some(EngagementTransactionType {
            delete_flag: self.delete_flag,
            engagement: EngagementType {
                registered_resident_identification: RegisteredResidentIdentification::parse(
                    &self.registered_resident_identification,
                )?,
                service_domain: self.service_domain.clone(),
                categorization: self.categorization.clone(),
                logical_address: self.logical_address.clone(),
                business_object_instance_identifier: self
                    .business_object_instance_identifier
                    .clone(),
                clinical_process_interest_id: self.clinical_process_interest_id.clone(),
                most_recent_content,
                source_system: self.source_system.clone(),
                creation_time: None,
                update_time: None,
                data_controller: self.data_controller.clone(),
                owner: Some(
                    self.owner
                        .clone()
                        .unwrap_or_else(|| default_owner.to_owned()),
                ),
            },
        })
    }
}

/// Milliseconds since 1970-01-01 UTC.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Queues a change (call inside the transaction that makes the change).
pub fn enqueue(conn: &mut DbConn, change: &EngagementChange) -> QueryResult<()> {
    let now = now_ms();
    diesel::insert_into(engagement_outbox::table)
        .values((
            change,
            engagement_outbox::attempts.eq(0),
            engagement_outbox::next_attempt_at.eq(now),
            engagement_outbox::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every row, oldest first (for operators and tests).
pub fn all_rows(conn: &mut DbConn) -> QueryResult<Vec<OutboxRow>> {
    engagement_outbox::table
        .order(engagement_outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

/// How many rows wait for delivery.
pub fn pending_count(conn: &mut DbConn) -> QueryResult<i64> {
    engagement_outbox::table
        .filter(engagement_outbox::delivered_at.is_null())
        .count()
        .get_result(conn)
}

/// Runs `f` in a transaction that holds the database's write lock from its first
/// statement, so that read-then-write transactions (the import, the worker's claim)
/// run one after the other: on SQLite a deferred transaction that reads first fails
/// with "database is locked" when another writer commits in between; on PostgreSQL it
/// keeps the engagement state an import computes consistent with concurrent imports.
pub fn write_transaction<T, E>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        let lock = match conn {
            DbConn::Sqlite(_) => "UPDATE engagement_outbox SET id = id WHERE 1 = 0",
            DbConn::Pg(_) => "LOCK TABLE engagement_outbox IN SHARE ROW EXCLUSIVE MODE",
        };
        conn.batch_execute(lock)?;
        f(conn)
    })
}

/// What the head of the queue allows.
#[derive(Debug)]
enum Claim {
    /// Nothing to send.
    Empty,
    /// The oldest row may be sent at this time (ms), not before.
    NotBefore(i64),
    /// These rows are claimed until the lease ends: send them.
    Batch(Vec<OutboxRow>),
}

/// Takes up to `limit` rows from the head of the queue and claims them until `lease_until`.
fn claim(conn: &mut DbConn, now: i64, limit: usize, lease_until: i64) -> QueryResult<Claim> {
    write_transaction(conn, |conn| {
        let head: Vec<OutboxRow> = engagement_outbox::table
            .filter(engagement_outbox::delivered_at.is_null())
            .order(engagement_outbox::id.asc())
            .limit(i64::try_from(limit).unwrap_or(1000))
            .select(OutboxRow::as_select())
            .load(conn)?;
        let Some(first) = head.first() else {
            return Ok(Claim::Empty);
        };
        if first.next_attempt_at > now {
            return Ok(Claim::NotBefore(first.next_attempt_at));
        }
        // Keep per-engagement order: once a row of an engagement is held back (already
        // in the batch, or not yet due), every later row of it is held back too.
        let mut in_batch: HashSet<EngagementKeyRef<'_>> = HashSet::new();
        let mut held: HashSet<EngagementKeyRef<'_>> = HashSet::new();
        let mut ids = Vec::new();
        for row in &head {
            let key = row.key();
            if held.contains(&key) || in_batch.contains(&key) || row.next_attempt_at > now {
                held.insert(key);
            } else {
                in_batch.insert(key);
                ids.push(row.id);
            }
        }
        diesel::update(engagement_outbox::table.filter(engagement_outbox::id.eq_any(&ids)))
            .set(engagement_outbox::next_attempt_at.eq(lease_until))
            .execute(conn)?;
        let ids: HashSet<i64> = ids.into_iter().collect();
        Ok(Claim::Batch(
            head.into_iter().filter(|r| ids.contains(&r.id)).collect(),
        ))
    })
}

/// Marks rows delivered.
fn mark_delivered(conn: &mut DbConn, ids: &[i64], at: i64) -> QueryResult<usize> {
    diesel::update(engagement_outbox::table.filter(engagement_outbox::id.eq_any(ids)))
        .set((
            engagement_outbox::delivered_at.eq(at),
            engagement_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

/// Records a failed attempt for `rows` and schedules each one's next attempt.
fn mark_failed(
    conn: &mut DbConn,
    rows: &[(i64, i32)],
    error: &str,
    now: i64,
    backoff: &Backoff,
) -> QueryResult<()> {
    let mut attempts: Vec<i32> = rows.iter().map(|(_, a)| *a).collect();
    attempts.sort_unstable();
    attempts.dedup();
    conn.transaction(|conn| {
        for previous in attempts {
            let ids: Vec<i64> = rows
                .iter()
                .filter(|(_, a)| *a == previous)
                .map(|(id, _)| *id)
                .collect();
            let failed = previous.saturating_add(1);
            diesel::update(engagement_outbox::table.filter(engagement_outbox::id.eq_any(&ids)))
                .set((
                    engagement_outbox::attempts.eq(failed),
                    engagement_outbox::next_attempt_at
                        .eq(now.saturating_add(backoff.after(failed))),
                    engagement_outbox::last_error.eq(error),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Exponential backoff: `initial` after the first failure, doubled after each further
/// one, at most `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Wait after the first failure (ms).
    pub initial_ms: u64,
    /// Longest wait (ms).
    pub max_ms: u64,
}

impl Backoff {
    /// The wait (ms) after the `failures`-th failure in a row.
    pub fn after(&self, failures: i32) -> i64 {
        let doublings = u32::try_from(failures.saturating_sub(1))
            .unwrap_or(0)
            .min(62);
        let wait = self
            .initial_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_ms);
        i64::try_from(wait).unwrap_or(i64::MAX)
    }
}

/// Why an Update call did not deliver.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request could not be sent or no answer came (connection refused, TLS
    /// handshake, timeout, connection dropped).
    #[error("sending failed: {0}")]
    Transport(String),
    /// The answer's body could not be read (connection dropped, too large).
    #[error("reading the answer failed (HTTP {status}): {reason}")]
    Body {
        /// HTTP status.
        status: u16,
        /// The cause.
        reason: String,
    },
    /// A SOAP Fault (from the platform or the index).
    #[error("SOAP Fault (HTTP {status}): {fault}")]
    Fault {
        /// HTTP status.
        status: u16,
        /// The fault.
        fault: soap::Fault,
    },
    /// The index answered, but not OK.
    #[error("the index answered {code}: {comment}")]
    NotOk {
        /// `ResultCode`.
        code: String,
        /// `comment`.
        comment: String,
    },
    /// Not an UpdateResponse, or a non-200 status without a fault.
    #[error("unexpected answer (HTTP {status}): {reason}")]
    Unexpected {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// A row's stored values do not fit the EI schema.
    #[error("outbox row {0} does not fit the engagement index schema; correct or remove it")]
    BadRow(i64),
}

impl SendError {
    /// A short category for logs (no text from the other side, which might carry
    /// personal data).
    pub fn kind(&self) -> &'static str {
        match self {
            SendError::Transport(_) => "transport",
            SendError::Body { .. } => "answer unreadable",
            SendError::Fault { .. } => "SOAP fault",
            SendError::NotOk { .. } => "result not OK",
            SendError::Unexpected { .. } => "unexpected answer",
            SendError::BadRow(_) => "bad row",
        }
    }
}

/// The background task that delivers the outbox.
#[derive(Debug, Clone)]
pub struct OutboxWorker {
    pool: DbPool,
    config: EngagementIndexConfig,
    tls: TlsConfig,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing waits.
    Idle,
    /// The oldest row is not due yet.
    Waiting,
    /// This many rows were delivered.
    Delivered(usize),
    /// The call failed for this many rows (they will be retried).
    Failed(usize),
    /// The database could not be used.
    DatabaseError,
}

impl OutboxWorker {
    /// A worker over `pool`, sending as configured with the producer's own certificate.
    pub fn new(pool: DbPool, config: EngagementIndexConfig, tls: TlsConfig) -> Self {
        OutboxWorker { pool, config, tls }
    }

    fn backoff(&self) -> Backoff {
        Backoff {
            initial_ms: self.config.initial_backoff_ms,
            max_ms: self.config.max_backoff_secs.saturating_mul(1000),
        }
    }

    /// The HTTPS client presenting the producer's certificate and trusting only the CA.
    pub fn client(&self) -> anyhow::Result<awc::Client> {
        let connector = npo_pki::mtls_connector(&self.tls.cert, &self.tls.key, &self.tls.ca)?;
        let timeout = Duration::from_secs(self.config.timeout_secs);
        Ok(awc::Client::builder()
            .connector(
                awc::Connector::new()
                    .openssl(connector)
                    .timeout(timeout.min(Duration::from_secs(5))),
            )
            .timeout(timeout)
            .disable_redirects()
            .finish())
    }

    /// Starts the worker on the current actix runtime (call inside it, e.g. from
    /// [`crate::startup::Application::build`]).
    pub fn spawn(self) -> anyhow::Result<actix_web::rt::task::JoinHandle<()>> {
        if actix_web::rt::System::try_current().is_none() {
            anyhow::bail!("the engagement-index worker needs a running actix system");
        }
        // Fail at start on unusable TLS files rather than at the first send.
        npo_pki::mtls_connector(&self.tls.cert, &self.tls.key, &self.tls.ca)?;
        tracing::info!(
            url = %self.config.update_url(),
            batch_size = self.config.batch_size,
            "engagement-index outbox worker started"
        );
        Ok(actix_web::rt::spawn(self.run()))
    }

    /// Runs forever.
    pub async fn run(self) {
        let client = match self.client() {
            Ok(client) => client,
            Err(e) => {
                tracing::error!(error = %e, "engagement-index worker cannot build its HTTPS client");
                return;
            }
        };
        let poll = Duration::from_millis(self.config.poll_interval_ms);
        loop {
            let (step, wait) = self.step(&client).await;
            match step {
                Step::Delivered(_) | Step::Failed(_) => {}
                Step::Idle | Step::DatabaseError => actix_web::rt::time::sleep(poll).await,
                Step::Waiting => actix_web::rt::time::sleep(wait.min(poll)).await,
            }
        }
    }

    /// Sends one batch if one is due; returns what happened and, when waiting, how long
    /// until the head of the queue is due.
    pub async fn step(&self, client: &awc::Client) -> (Step, Duration) {
        let now = now_ms();
        let lease_ms = i64::try_from(self.config.timeout_secs.saturating_mul(1000))
            .unwrap_or(i64::MAX)
            .saturating_add(5_000);
        let limit = self.config.batch_size;
        let claimed = self
            .with_conn(move |conn| claim(conn, now, limit, now.saturating_add(lease_ms)))
            .await;
        let rows = match claimed {
            Err(e) => {
                tracing::warn!(error = %e, "engagement-index outbox: database unavailable");
                return (Step::DatabaseError, Duration::ZERO);
            }
            Ok(Claim::Empty) => return (Step::Idle, Duration::ZERO),
            Ok(Claim::NotBefore(at)) => {
                let wait = u64::try_from(at.saturating_sub(now)).unwrap_or(0).max(1);
                return (Step::Waiting, Duration::from_millis(wait));
            }
            Ok(Claim::Batch(rows)) => rows,
        };
        let first_id = rows.first().map_or(0, |r| r.id);
        let last_id = rows.last().map_or(0, |r| r.id);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        match self.send(client, &rows).await {
            Ok(()) => {
                let count = rows.len();
                let ids_for_db = ids.clone();
                match self
                    .with_conn(move |conn| mark_delivered(conn, &ids_for_db, now_ms()))
                    .await
                {
                    Ok(_) => tracing::info!(
                        rows = count,
                        first_id,
                        last_id,
                        "engagement updates delivered"
                    ),
                    Err(e) => tracing::error!(
                        rows = count, first_id, last_id, error = %e,
                        "engagement updates delivered but not marked; they will be sent again"
                    ),
                }
                (Step::Delivered(count), Duration::ZERO)
            }
            Err(error) => {
                let count = rows.len();
                let attempts: Vec<(i64, i32)> = rows.iter().map(|r| (r.id, r.attempts)).collect();
                let head_attempts = rows.first().map_or(0, |r| r.attempts).saturating_add(1);
                let text: String = error.to_string().chars().take(2000).collect();
                let backoff = self.backoff();
                let retry_in_ms = backoff.after(head_attempts);
                let stored = self
                    .with_conn(move |conn| mark_failed(conn, &attempts, &text, now_ms(), &backoff))
                    .await;
                tracing::warn!(
                    rows = count,
                    first_id,
                    last_id,
                    attempts = head_attempts,
                    retry_in_ms,
                    error = error.kind(),
                    detail = %redact(&error.to_string()),
                    "engagement update failed; will retry"
                );
                if let Err(e) = stored {
                    tracing::error!(error = %e, "engagement-index outbox: cannot record the failure");
                }
                (Step::Failed(count), Duration::ZERO)
            }
        }
    }

    /// One Update call with `rows`.
    async fn send(&self, client: &awc::Client, rows: &[OutboxRow]) -> Result<(), SendError> {
        let mut transactions = Vec::with_capacity(rows.len());
        for row in rows {
            transactions.push(
                row.transaction(&self.config.owner)
                    .ok_or(SendError::BadRow(row.id))?,
            );
        }
        let update = Update {
            engagement_transaction: transactions,
        };
        let body = soap::encode_request(&self.config.logical_address, &update);
        let mut response = client
            .post(self.config.update_url())
            .insert_header(("content-type", "text/xml; charset=utf-8"))
            .insert_header(("SOAPAction", format!("\"{}\"", Update::SOAP_ACTION)))
            .send_body(body)
            .await
            .map_err(|e| SendError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let bytes = response
            .body()
            .limit(4 * 1024 * 1024)
            .await
            .map_err(|e| SendError::Body {
                status,
                reason: e.to_string(),
            })?;
        match soap::decode_response::<Update>(&bytes) {
            Ok(envelope) if status == 200 => {
                if envelope.body.result_code == ResultCode::Ok {
                    Ok(())
                } else {
                    Err(SendError::NotOk {
                        code: envelope.body.result_code.as_str().to_owned(),
                        comment: envelope.body.comment.unwrap_or_default(),
                    })
                }
            }
            Ok(_) => Err(SendError::Unexpected {
                status,
                reason: "an UpdateResponse with a non-200 status".into(),
            }),
            Err(SoapError::Fault(fault)) => Err(SendError::Fault { status, fault }),
            Err(e) => Err(SendError::Unexpected {
                status,
                reason: e.to_string(),
            }),
        }
    }

    async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, String> {
        let pool = self.pool.clone();
        match actix_web::web::block(move || {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let result = f(&mut conn);
            conn.note(result).map_err(|e| e.to_string())
        })
        .await
        {
            Ok(result) => result,
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Replaces every run of 6 or more digits (a personnummer, with or without century or
/// hyphen, is one or two such runs) so that text from the other side can be logged.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 6 {
            out.push_str("[digits]");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            initial_ms: 100,
            max_ms: 1000,
        };
        assert_eq!(
            [1, 2, 3, 4, 5, 60].map(|n| b.after(n)),
            [100, 200, 400, 800, 1000, 1000]
        );
        assert_eq!(
            Backoff {
                initial_ms: u64::MAX,
                max_ms: u64::MAX
            }
            .after(i32::MAX),
            i64::MAX
        );
    }

    #[test]
    fn redaction_hides_personal_numbers() {
        assert_eq!(
            redact("EI004 201403129800 invalid"),
            "EI004 [digits] invalid"
        );
        assert_eq!(redact("20140312-9800"), "[digits]-9800");
        assert_eq!(redact("HTTP 500 at port 8443"), "HTTP 500 at port 8443");
    }

    fn change(patient: &str, category: &str) -> EngagementChange {
        EngagementChange {
            registered_resident_identification: patient.into(),
            service_domain: "riv:clinicalprocess:healthcond:description".into(),
            categorization: category.into(),
            logical_address: "SE2120009994-EH7S".into(),
            business_object_instance_identifier: "NA".into(),
            clinical_process_interest_id: "NA".into(),
            source_system: "SE2120009994-EH7S".into(),
            data_controller: "SE2120009994-0001".into(),
            owner: None,
            most_recent_content: Some("20250110080000".into()),
            delete_flag: false,
        }
    }

    #[test]
    fn claims_keep_one_row_per_engagement_and_the_order() {
        let mut conn = crate::db::DbManager::new(":memory:")
            .open()
            .expect("sqlite");
        crate::db::run_migrations(&mut conn).expect("migrations");
        for c in [
            change("201403129800", "dia"),
            change("201403129800", "voo"),
            change("201403129800", "dia"),
            change("201508079819", "dia"),
        ] {
            enqueue(&mut conn, &c).expect("enqueue");
        }
        let now = now_ms();
        let Claim::Batch(rows) = claim(&mut conn, now, 10, now + 60_000).expect("claim") else {
            panic!("expected a batch");
        };
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 2, 4]);
        // Claimed rows are leased; the head (row 1) is not due again before the lease ends.
        assert!(
            matches!(claim(&mut conn, now, 10, now + 60_000).expect("claim"), Claim::NotBefore(t) if t == now + 60_000)
        );
        mark_delivered(&mut conn, &[1, 2, 4], now).expect("delivered");
        let Claim::Batch(rows) = claim(&mut conn, now, 10, now + 60_000).expect("claim") else {
            panic!("expected a batch");
        };
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [3]);
        // A failure reschedules with the backoff and never drops the row.
        let backoff = Backoff {
            initial_ms: 1000,
            max_ms: 10_000,
        };
        mark_failed(&mut conn, &[(3, 0)], "HTTP 500", now, &backoff).expect("failed");
        assert!(
            matches!(claim(&mut conn, now, 10, now).expect("claim"), Claim::NotBefore(t) if t == now + 1000)
        );
        let row = all_rows(&mut conn)
            .expect("rows")
            .into_iter()
            .find(|r| r.id == 3)
            .expect("row 3");
        assert_eq!(
            (row.attempts, row.last_error.as_deref(), row.delivered_at),
            (1, Some("HTTP 500"), None)
        );
        assert_eq!(pending_count(&mut conn).expect("count"), 1);
    }

    #[test]
    fn rows_become_ei_transactions() {
        let mut conn = crate::db::DbManager::new(":memory:")
            .open()
            .expect("sqlite");
        crate::db::run_migrations(&mut conn).expect("migrations");
        let mut removal = change("201403129800", "dia");
        removal.delete_flag = true;
        removal.most_recent_content = None;
        removal.owner = Some("SE2120009994-OWN1".into());
        enqueue(&mut conn, &change("201403129800", "dia")).expect("enqueue");
        enqueue(&mut conn, &removal).expect("enqueue");
        let rows = all_rows(&mut conn).expect("rows");
        assert_eq!(rows[1].change(), removal);
        let t = rows[0].transaction("SE2120009994-EH7S").expect("fits");
        assert!(!t.delete_flag);
        assert_eq!(t.engagement.owner.as_deref(), Some("SE2120009994-EH7S"));
        assert_eq!(
            t.engagement
                .most_recent_content
                .map(|t| t.to_string())
                .as_deref(),
            Some("20250110080000")
        );
        let t = rows[1].transaction("SE2120009994-EH7S").expect("fits");
        assert!(t.delete_flag);
        assert_eq!(t.engagement.owner.as_deref(), Some("SE2120009994-OWN1"));
        let update = Update {
            engagement_transaction: vec![t],
        };
        let xml = soap::encode_request("SE5599000014-EI4R", &update);
        let decoded = soap::decode_request::<Update>(xml.as_bytes()).expect("decodes");
        assert_eq!(
            decoded.header.logical_address.as_deref(),
            Some("SE5599000014-EI4R")
        );
        assert_eq!(decoded.body, update);
    }
}

//! ProcessNotification to subscribers: an outbox written in the same transaction as
//! the change, and a worker that delivers it.
//!
//! Each subscriber gets the changes its filters admit, as one ProcessNotification
//! addressed to its logical address. The worker (a thread of its own with an actix
//! runtime, so it works whichever runtime the caller uses) POSTs them in order per
//! subscriber: a message that fails is retried after `retry_delay_ms`, doubled per
//! attempt (at most ten minutes), and the subscriber's later messages wait behind it,
//! so a deletion never overtakes the registration it undoes. After `max_attempts`
//! the message is marked failed and stays in the table for inspection. Messages
//! survive a restart. Logs name the subscriber, the message id and counts, never
//! personal data.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::prelude::*;
use npo_contracts::engagement_index::{
    EngagementTransactionType, MAX_TRANSACTIONS, PROCESS_NOTIFICATION_NS, ProcessNotification,
};
use npo_contracts::soap::{SoapError, decode_response, encode_request};
use npo_contracts::types::ResultCode;
use openssl::ssl::SslConnector;

use super::config::{EngagementIndexConfig, SubscriberConfig};
use super::store::{EngagementStore, engagement_notifications as outbox};
use crate::db::DbConn;

/// Longest wait between two looks at the outbox when nothing is due.
const IDLE_WAIT_MS: i64 = 30_000;
/// Longest retry delay.
const MAX_RETRY_DELAY_MS: u64 = 600_000;
/// Rows looked at per pass.
const BATCH: i64 = 200;

/// A message in the outbox.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    /// Sequence number.
    pub id: i64,
    /// The subscriber's logical address.
    pub subscriber: String,
    /// The whole SOAP envelope to POST.
    pub payload: String,
    /// Number of engagement transactions in it.
    pub transactions: i32,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// When it was written (Unix ms).
    pub created_at: i64,
    /// Not before (Unix ms).
    pub next_attempt_at: i64,
    /// Given up after `max_attempts`.
    pub failed: bool,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewOutboxRow<'a> {
    subscriber: &'a str,
    payload: &'a str,
    transactions: i32,
    attempts: i32,
    created_at: i64,
    next_attempt_at: i64,
    failed: bool,
}

/// How many messages wait and how many were given up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting for (re)delivery.
    pub pending: i64,
    /// Given up after `max_attempts`.
    pub failed: i64,
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Writes one message per subscriber whose filters admit any of `changes` (in the
/// caller's transaction); returns how many were written.
pub fn enqueue(
    conn: &mut DbConn,
    subscribers: &[SubscriberConfig],
    changes: &[EngagementTransactionType],
    now: i64,
) -> QueryResult<usize> {
    let mut written = 0;
    for subscriber in subscribers {
        let admitted: Vec<EngagementTransactionType> = changes
            .iter()
            .filter(|t| {
                subscriber.admits(&t.engagement.service_domain, &t.engagement.categorization)
            })
            .cloned()
            .collect();
        for chunk in admitted.chunks(MAX_TRANSACTIONS) {
            let payload = encode_request(
                &subscriber.logical_address,
                &ProcessNotification {
                    engagement_transaction: chunk.to_vec(),
                },
            );
            diesel::insert_into(outbox::table)
                .values(NewOutboxRow {
                    subscriber: &subscriber.logical_address,
                    payload: &payload,
                    transactions: i32::try_from(chunk.len()).unwrap_or(i32::MAX),
                    attempts: 0,
                    created_at: now,
                    next_attempt_at: now,
                    failed: false,
                })
                .execute(conn)?;
            written += 1;
        }
    }
    Ok(written)
}

/// The oldest messages not given up, in order.
pub fn pending(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::failed.eq(false))
        .order(outbox::id.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Every message of the outbox (for tests and status pages).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .order(outbox::id.asc())
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Pending and failed counts.
pub fn counts(conn: &mut DbConn) -> QueryResult<OutboxCounts> {
    let failed: i64 = outbox::table
        .filter(outbox::failed.eq(true))
        .count()
        .get_result(conn)?;
    let pending: i64 = outbox::table
        .filter(outbox::failed.eq(false))
        .count()
        .get_result(conn)?;
    Ok(OutboxCounts { pending, failed })
}

/// Takes a message for delivery until `lease_until` unless another worker has it.
fn claim(conn: &mut DbConn, row: &OutboxRow, lease_until: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        outbox::table
            .filter(outbox::id.eq(row.id))
            .filter(outbox::attempts.eq(row.attempts))
            .filter(outbox::next_attempt_at.eq(row.next_attempt_at))
            .filter(outbox::failed.eq(false)),
    )
    .set(outbox::next_attempt_at.eq(lease_until))
    .execute(conn)?;
    Ok(updated == 1)
}

fn delivered(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::id.eq(id))).execute(conn)
}

fn attempt_failed(
    conn: &mut DbConn,
    id: i64,
    attempts: i32,
    next_attempt_at: i64,
    give_up: bool,
    error: &str,
) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::id.eq(id)))
        .set((
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(next_attempt_at),
            outbox::failed.eq(give_up),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
}

/// The running delivery worker; stops when dropped (messages left are delivered by
/// the next worker on the same database).
#[derive(Debug)]
pub struct Notifier {
    wake: mpsc::Sender<()>,
}

impl Notifier {
    /// Starts the worker. `tls` is the client certificate for `https://` subscribers.
    pub fn start(
        store: EngagementStore,
        config: Arc<EngagementIndexConfig>,
        tls: Option<SslConnector>,
    ) -> std::io::Result<Notifier> {
        let (wake, wakes) = mpsc::channel();
        std::thread::Builder::new()
            .name("ei-notifier".to_owned())
            .spawn(move || Worker::new(store, config, tls).run(&wakes))?;
        Ok(Notifier { wake })
    }

    /// Tells the worker that messages were written.
    pub fn wake(&self) {
        // A closed channel means the worker ended; the messages wait for the next one.
        let _ = self.wake.send(());
    }
}

struct Worker {
    store: EngagementStore,
    config: Arc<EngagementIndexConfig>,
    tls: Option<SslConnector>,
}

/// What a pass over the outbox found.
enum Pass {
    /// A full batch was handled: look again at once.
    More,
    /// Nothing more to do before this time (Unix ms), if ever.
    WaitUntil(Option<i64>),
}

impl Worker {
    fn new(
        store: EngagementStore,
        config: Arc<EngagementIndexConfig>,
        tls: Option<SslConnector>,
    ) -> Self {
        Worker { store, config, tls }
    }

    fn run(self, wakes: &mpsc::Receiver<()>) {
        let system = actix_rt::System::new();
        let timeout = Duration::from_millis(self.config.notification.timeout_ms);
        let tls = self.tls.clone();
        let client = system.block_on(async move {
            let connector = match tls {
                Some(tls) => awc::Connector::new().openssl(tls),
                None => awc::Connector::new(),
            };
            awc::Client::builder()
                .connector(connector.timeout(timeout))
                .timeout(timeout)
                .finish()
        });
        tracing::debug!("engagement index notifier started");
        loop {
            let wait_ms = match self.pass(&system, &client) {
                Ok(Pass::More) => 0,
                Ok(Pass::WaitUntil(Some(at))) => (at - now_ms()).clamp(0, IDLE_WAIT_MS),
                Ok(Pass::WaitUntil(None)) => IDLE_WAIT_MS,
                Err(e) => {
                    tracing::error!(error = %e, "notification outbox unreadable; will retry");
                    i64::try_from(self.config.notification.retry_delay_ms)
                        .unwrap_or(IDLE_WAIT_MS)
                        .clamp(100, IDLE_WAIT_MS)
                }
            };
            let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0));
            match wakes.recv_timeout(wait) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => while wakes.try_recv().is_ok() {},
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        tracing::debug!("engagement index notifier stopped");
    }

    /// Delivers what is due, oldest first, one subscriber's messages strictly in order.
    fn pass(
        &self,
        system: &actix_rt::SystemRunner,
        client: &awc::Client,
    ) -> Result<Pass, super::store::StoreError> {
        let rows = self.store.read(|conn| pending(conn, BATCH))?;
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= BATCH;
        let mut blocked: HashSet<String> = HashSet::new();
        let mut next_wake: Option<i64> = None;
        let mut wake_at = |at: i64| next_wake = Some(next_wake.map_or(at, |w| w.min(at)));
        let mut settled: HashMap<String, usize> = HashMap::new();
        for row in rows {
            let key = row.subscriber.to_ascii_lowercase();
            if blocked.contains(&key) {
                continue;
            }
            let now = now_ms();
            if row.next_attempt_at > now {
                wake_at(row.next_attempt_at);
                blocked.insert(key);
                continue;
            }
            let lease = now
                + i64::try_from(self.config.notification.timeout_ms).unwrap_or(IDLE_WAIT_MS)
                + 1000;
            if !self.store.write(|conn| claim(conn, &row, lease))? {
                wake_at(lease);
                blocked.insert(key);
                continue;
            }
            let outcome = match self.config.subscriber(&row.subscriber) {
                None => Err(Failure::NotConfigured),
                Some(subscriber) => {
                    system.block_on(deliver(client, &subscriber.url, row.payload.clone()))
                }
            };
            match outcome {
                Ok(()) => {
                    self.store.write(|conn| delivered(conn, row.id))?;
                    *settled.entry(key).or_default() += 1;
                    tracing::info!(
                        subscriber = %row.subscriber,
                        message = row.id,
                        transactions = row.transactions,
                        attempt = row.attempts + 1,
                        "ProcessNotification delivered"
                    );
                }
                Err(failure) => {
                    let attempts = row.attempts.saturating_add(1);
                    let give_up = matches!(failure, Failure::NotConfigured)
                        || u32::try_from(attempts).unwrap_or(u32::MAX)
                            >= self.config.notification.max_attempts;
                    let delay = self.retry_delay(attempts);
                    let next = now_ms().saturating_add(delay);
                    let detail = failure.detail();
                    self.store.write(|conn| {
                        attempt_failed(conn, row.id, attempts, next, give_up, &detail)
                    })?;
                    if give_up {
                        tracing::error!(
                            subscriber = %row.subscriber,
                            message = row.id,
                            transactions = row.transactions,
                            attempts,
                            reason = %failure.log_reason(),
                            "ProcessNotification given up"
                        );
                    } else {
                        tracing::warn!(
                            subscriber = %row.subscriber,
                            message = row.id,
                            attempts,
                            retry_in_ms = delay,
                            reason = %failure.log_reason(),
                            "ProcessNotification failed; will retry"
                        );
                        wake_at(next);
                        blocked.insert(key);
                    }
                }
            }
        }
        Ok(if full {
            Pass::More
        } else {
            Pass::WaitUntil(next_wake)
        })
    }

    fn retry_delay(&self, attempts: i32) -> i64 {
        let exponent = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(20);
        let delay = self
            .config
            .notification
            .retry_delay_ms
            .saturating_mul(1u64 << exponent)
            .min(MAX_RETRY_DELAY_MS);
        i64::try_from(delay).unwrap_or(i64::MAX)
    }
}

/// Why a delivery failed.
#[derive(Debug)]
enum Failure {
    /// The subscriber is no longer in the configuration.
    NotConfigured,
    /// No answer (connect error, timeout, broken body).
    Transport(String),
    /// An HTTP error status, with the SOAP Fault string if one came.
    Status(u16, Option<String>),
    /// HTTP 200 but not a ProcessNotificationResponse with ResultCode OK.
    Answer(String),
}

impl Failure {
    /// The full reason, stored with the message (the database holds the engagements
    /// anyway).
    fn detail(&self) -> String {
        match self {
            Failure::NotConfigured => "subscriber no longer configured".to_owned(),
            Failure::Transport(e) => format!("no answer: {e}"),
            Failure::Status(status, Some(fault)) => format!("HTTP {status}: {fault}"),
            Failure::Status(status, None) => format!("HTTP {status}"),
            Failure::Answer(e) => format!("unexpected answer: {e}"),
        }
    }

    /// The reason as logged: no text from the other side beyond an error code.
    fn log_reason(&self) -> String {
        match self {
            Failure::Status(status, Some(fault)) => match error_code(fault) {
                Some(code) => format!("HTTP {status}, SOAP Fault {code}"),
                None => format!("HTTP {status}, SOAP Fault"),
            },
            Failure::Answer(_) => "unexpected answer".to_owned(),
            other => other.detail(),
        }
    }
}

/// A leading platform error code (`EI004`, `VP009`...) of a fault string.
fn error_code(fault: &str) -> Option<&str> {
    let code = fault.trim_start().get(..5)?;
    let b = code.as_bytes();
    (b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit))
        .then_some(code)
}

/// POSTs one ProcessNotification envelope.
async fn deliver(client: &awc::Client, url: &str, payload: String) -> Result<(), Failure> {
    let soap_action = format!("\"{PROCESS_NOTIFICATION_NS}:ProcessNotification\"");
    let mut response = client
        .post(url)
        .insert_header(("content-type", "text/xml; charset=UTF-8"))
        .insert_header(("SOAPAction", soap_action))
        .insert_header((
            "x-skltp-correlation-id",
            uuid::Uuid::new_v4().hyphenated().to_string(),
        ))
        .send_body(payload)
        .await
        .map_err(|e| Failure::Transport(e.to_string()))?;
    let status = response.status();
    let body = response
        .body()
        .limit(4 * 1024 * 1024)
        .await
        .map_err(|e| Failure::Transport(e.to_string()))?;
    if !status.is_success() {
        let fault = match decode_response::<ProcessNotification>(&body) {
            Err(SoapError::Fault(fault)) => Some(fault.string),
            _ => None,
        };
        return Err(Failure::Status(status.as_u16(), fault));
    }
    match decode_response::<ProcessNotification>(&body) {
        Ok(envelope) if envelope.body.result_code == ResultCode::Ok => Ok(()),
        Ok(envelope) => Err(Failure::Answer(format!(
            "ResultCode {:?}",
            envelope.body.result_code
        ))),
        Err(e) => Err(Failure::Answer(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_error_codes_of_foreign_faults_are_logged() {
        assert_eq!(error_code("EI004: The payload..."), Some("EI004"));
        assert_eq!(error_code("VP009 [x] fel"), Some("VP009"));
        assert_eq!(error_code("191212121212 not found"), None);
        assert_eq!(error_code("Eä"), None);
    }
}

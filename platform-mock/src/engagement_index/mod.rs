//! The engagement index (EI, `itintegration:engagementindex` 1.0): Update,
//! FindContent and ProcessNotification, validated and answered as the real SKLTP
//! index does (error codes EI000–EI006 as SOAP Faults), persisted in SQLite or
//! PostgreSQL, and passing its changes on to subscribers with ProcessNotification.
//!
//! The platform's routing hands a request here when it is addressed to the index's
//! logical address with an EI contract namespace ([`EngagementIndex::handle`]); the
//! aggregating services may ask it directly ([`EngagementIndex::find_content`]).
//!
//! An Update is committed before it is answered, so FindContent sees it at once; the
//! notifications it causes are written in the same transaction and delivered
//! afterwards by a worker ([`notify`]).

pub mod config;
pub mod error;
pub mod find_content;
pub mod notify;
pub mod process_notification;
pub mod store;
pub mod update;
pub mod validate;

use std::sync::Arc;

use npo_contracts::engagement_index::{
    FindContent, FindContentResponse, ProcessNotification, ProcessNotificationResponse, Ts, Update,
    UpdateResponse,
};
use npo_contracts::registry::Contract;
use npo_contracts::soap::{Envelope, Operation, SoapError, decode_request, encode};
use npo_contracts::types::{ResultCode, TimeStamp};
use npo_contracts::xml::XmlError;
use openssl::ssl::SslConnector;

pub use config::{
    DEFAULT_LOGICAL_ADDRESS, EngagementIndexConfig, EngagementIndexConfigError, NotificationConfig,
    SubscriberConfig, SubscriberFilter,
};
pub use error::{EiErrorCode, EiFault};
pub use notify::OutboxCounts;
pub use store::{EngagementStore, StoreError};

use crate::db::{DbConn, DbError};

/// Why the index could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] EngagementIndexConfigError),
    /// The database could not be opened or migrated.
    #[error("engagement index database: {0}")]
    Db(#[from] DbError),
    /// The notification worker could not be started.
    #[error("cannot start the notification worker: {0}")]
    Worker(#[from] std::io::Error),
}

/// The engagement index. Cheap to clone (shared state); the notification worker stops
/// when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct EngagementIndex {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Arc<EngagementIndexConfig>,
    store: EngagementStore,
    notifier: Option<notify::Notifier>,
}

impl EngagementIndex {
    /// Validates `config`, opens (and, when configured, migrates) the database and
    /// starts the notification worker when there are subscribers. `tls` is the client
    /// certificate presented to `https://` subscribers (the platform's, as the real
    /// index sends through the platform); required when any subscriber URL is HTTPS.
    pub fn open(
        config: EngagementIndexConfig,
        tls: Option<SslConnector>,
    ) -> Result<EngagementIndex, OpenError> {
        config.validate()?;
        if let (None, Some(s)) = (
            &tls,
            config
                .subscribers
                .iter()
                .find(|s| s.url.starts_with("https://")),
        ) {
            return Err(EngagementIndexConfigError(format!(
                "subscriber {} has an https:// url but no client certificate was given",
                s.logical_address
            ))
            .into());
        }
        let store = EngagementStore::open(
            &config.database_url,
            config.pool_size,
            std::time::Duration::from_millis(config.database_timeout_ms),
            config.migrate_on_start,
        )?;
        let config = Arc::new(config);
        let notifier = if config.subscribers.is_empty() {
            None
        } else {
            Some(notify::Notifier::start(
                store.clone(),
                Arc::clone(&config),
                tls,
            )?)
        };
        tracing::info!(
            logical_address = %config.logical_address,
            subscribers = config.subscribers.len(),
            "engagement index open"
        );
        Ok(EngagementIndex {
            inner: Arc::new(Inner {
                config,
                store,
                notifier,
            }),
        })
    }

    /// Applies the pending migrations of `config`'s database (the explicit step when
    /// `migrate_on_start` is off); returns their names.
    pub fn migrate(config: &EngagementIndexConfig) -> Result<Vec<String>, OpenError> {
        config.validate()?;
        let mut conn = crate::db::DbManager::new(&config.database_url)
            .open()
            .map_err(DbError::from)?;
        Ok(crate::db::run_migrations(&mut conn)?)
    }

    /// The configuration in force.
    pub fn config(&self) -> &EngagementIndexConfig {
        &self.inner.config
    }

    /// The index's own logical address (and owner HSA-ID).
    pub fn logical_address(&self) -> &str {
        &self.inner.config.logical_address
    }

    /// Whether `logical_address` is one of the index's (own or alternative; exact).
    pub fn is_addressed_to(&self, logical_address: &str) -> bool {
        self.inner.config.accepts_logical_address(logical_address)
    }

    /// The contracts the index answers.
    pub const CONTRACTS: [Contract; 3] = [
        Contract::Update,
        Contract::FindContent,
        Contract::ProcessNotification,
    ];

    /// Whether `contract` is one the index answers.
    pub fn serves(contract: Contract) -> bool {
        Self::CONTRACTS.contains(&contract)
    }

    /// The database (tests, status pages).
    pub fn store(&self) -> &EngagementStore {
        &self.inner.store
    }

    /// Number of engagements stored.
    pub async fn engagement_count(&self) -> Result<i64, EiFault> {
        self.blocking(|store| store.read(store::count)).await
    }

    /// Notifications waiting and given up.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts, EiFault> {
        self.blocking(|store| store.read(notify::counts)).await
    }

    /// Answers one SOAP request for `contract` from `caller_hsa_id` (the certificate's
    /// HSA-ID, for the log): the SOAP response envelope, or the fault to send as a
    /// SOAP Fault with HTTP 500 ([`EiFault::to_soap`]).
    pub async fn handle(
        &self,
        contract: Contract,
        caller_hsa_id: &str,
        body: &[u8],
    ) -> Result<String, EiFault> {
        let result = self.answer(contract, body).await;
        match &result {
            Ok(_) => tracing::info!(caller = caller_hsa_id, %contract, "EI request answered"),
            Err(fault) => {
                tracing::info!(caller = caller_hsa_id, %contract, code = %fault.code, "EI request refused");
            }
        }
        result
    }

    async fn answer(&self, contract: Contract, body: &[u8]) -> Result<String, EiFault> {
        match contract {
            Contract::Update => {
                let envelope = decode::<Update>(body)?;
                tracing::debug!(
                    transactions = envelope.body.engagement_transaction.len(),
                    "EI Update"
                );
                let response = self
                    .update(envelope.header.logical_address.as_deref(), envelope.body)
                    .await?;
                Ok(encode(&Envelope::bare(response)))
            }
            Contract::FindContent => {
                let envelope = decode::<FindContent>(body)?;
                let response = self.find_content(envelope.body).await?;
                tracing::debug!(engagements = response.engagement.len(), "EI FindContent");
                Ok(encode(&Envelope::bare(response)))
            }
            Contract::ProcessNotification => {
                let envelope = decode::<ProcessNotification>(body)?;
                tracing::debug!(
                    transactions = envelope.body.engagement_transaction.len(),
                    "EI ProcessNotification"
                );
                let response = self.process_notification(envelope.body).await?;
                Ok(encode(&Envelope::bare(response)))
            }
            other => Err(EiFault::schema(format_args!(
                "{other} is not an engagement index contract"
            ))),
        }
    }

    /// Update (already decoded): validated, stored and committed, notifications
    /// queued in the same transaction.
    pub async fn update(
        &self,
        logical_address: Option<&str>,
        request: Update,
    ) -> Result<UpdateResponse, EiFault> {
        validate::transactions(
            &self.inner.config,
            validate::Operation::Update { logical_address },
            &request.engagement_transaction,
        )?;
        let config = Arc::clone(&self.inner.config);
        let queued = self
            .blocking(move |store| {
                let now = now()?;
                store.write(|conn| {
                    let changes = update::apply(conn, &config.logical_address, &request, &now)?;
                    notify::enqueue(conn, &config.subscribers, &changes, notify::now_ms())
                })
            })
            .await?;
        self.wake_notifier(queued);
        Ok(UpdateResponse {
            result_code: ResultCode::Ok,
            comment: None,
        })
    }

    /// FindContent (already decoded).
    pub async fn find_content(&self, request: FindContent) -> Result<FindContentResponse, EiFault> {
        find_content::check(&request)?;
        self.blocking(move |store| store.read(|conn| find_content::run(conn, &request)))
            .await
    }

    /// ProcessNotification (already decoded): validated, circular transactions
    /// dropped, the rest stored and passed on to this index's subscribers.
    pub async fn process_notification(
        &self,
        request: ProcessNotification,
    ) -> Result<ProcessNotificationResponse, EiFault> {
        validate::transactions(
            &self.inner.config,
            validate::Operation::ProcessNotification,
            &request.engagement_transaction,
        )?;
        let transactions = process_notification::remove_circular(
            &self.inner.config.logical_address,
            request.engagement_transaction,
        );
        if !transactions.is_empty() {
            let config = Arc::clone(&self.inner.config);
            let queued = self
                .blocking(move |store| {
                    let now = now()?;
                    store.write(|conn: &mut DbConn| {
                        process_notification::apply(
                            conn,
                            &config.logical_address,
                            &transactions,
                            &now,
                        )?;
                        notify::enqueue(conn, &config.subscribers, &transactions, notify::now_ms())
                    })
                })
                .await?;
            self.wake_notifier(queued);
        }
        Ok(ProcessNotificationResponse {
            result_code: ResultCode::Ok,
            comment: None,
        })
    }

    fn wake_notifier(&self, queued: usize) {
        match &self.inner.notifier {
            Some(notifier) if queued > 0 => notifier.wake(),
            _ => {}
        }
    }

    /// Runs database work off the async executor, keeping the tracing span; any
    /// failure becomes EI000 with a generic text (the cause goes to the log).
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&EngagementStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, EiFault> {
        let store = self.inner.store.clone();
        let span = tracing::Span::current();
        let joined = tokio::task::spawn_blocking(move || span.in_scope(|| work(&store))).await;
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "engagement index database failure");
                Err(EiFault::technical(
                    "the engagement index database is unavailable",
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "engagement index task failed");
                Err(EiFault::technical("internal error"))
            }
        }
    }
}

impl crate::local::LocalService for EngagementIndex {
    fn name(&self) -> &str {
        "engagement-index"
    }

    /// Calls of Update, FindContent or ProcessNotification 1 to the index's logical
    /// address (own or alternative, ignoring ASCII case as routing does; Update then
    /// checks the address exactly and answers EI003 on a mismatch).
    fn handles(&self, logical_address: &str, contract_ns: &str) -> bool {
        let config = &self.inner.config;
        let addressed = std::iter::once(&config.logical_address)
            .chain(&config.alternative_logical_addresses)
            .any(|a| a.eq_ignore_ascii_case(logical_address));
        addressed && Contract::from_namespace(contract_ns).is_some_and(Self::serves)
    }

    fn call<'a>(
        &'a self,
        ctx: &'a crate::local::LocalCall,
        body: actix_web::web::Bytes,
        _worker: crate::local::Worker<'a>,
    ) -> crate::local::LocalBoxFuture<'a, crate::local::LocalReply> {
        self.answer_call(ctx, body)
    }
}

impl EngagementIndex {
    /// What [`LocalService::call`](crate::local::LocalService::call) answers: the
    /// SOAP response, or the EI fault with HTTP 500. The index needs no routing core,
    /// so this future is `Send` and may run anywhere.
    pub fn answer_call(
        &self,
        ctx: &crate::local::LocalCall,
        body: actix_web::web::Bytes,
    ) -> crate::local::BoxFuture<'static, crate::local::LocalReply> {
        let index = self.clone();
        let contract = Contract::from_namespace(&ctx.contract_ns);
        let caller = ctx.sender_hsa_id.clone();
        let span = tracing::info_span!(
            "engagement_index",
            correlation_id = %ctx.correlation_id,
            operation = %ctx.operation
        );
        Box::pin(tracing::Instrument::instrument(
            async move {
                let result = match contract {
                    Some(contract) => index.handle(contract, &caller, &body).await,
                    None => Err(EiFault::schema("not an engagement index contract")),
                };
                match result {
                    Ok(response) => crate::local::LocalReply::soap(200, response),
                    Err(fault) => {
                        crate::local::LocalReply::soap(EiFault::HTTP_STATUS, fault.to_soap())
                    }
                }
            },
            span,
        ))
    }
}

/// The current time as the index stamps it (Swedish local time); `None` outside the
/// years a time stamp can carry.
fn now() -> Result<Ts, StoreError> {
    TimeStamp::from_utc(chrono::Utc::now())
        .map(Ts::from)
        .ok_or(StoreError::Clock)
}

/// Decodes a request envelope, mapping errors to the codes the real index answers
/// with: a missing mandatory engagement field is EI004, a call without transactions
/// or a FindContent without resident or service domain is EI000, anything else that
/// breaks the schema is EI001.
fn decode<Op: Operation>(body: &[u8]) -> Result<Envelope<Op>, EiFault> {
    decode_request::<Op>(body).map_err(|e| match e {
        SoapError::Xml(XmlError::MissingElement {
            parent: "EngagementType",
            element,
        }) => EiFault::missing(element),
        SoapError::Xml(XmlError::MissingElement {
            parent: "UpdateType" | "ProcessNotificationType",
            element: "engagementTransaction",
        }) => validate::too_few(),
        SoapError::Xml(XmlError::MissingElement {
            parent: "FindContentType",
            element,
        }) => EiFault::technical(format_args!("{element} is mandatory but missing")),
        other => EiFault::schema(other),
    })
}

//! The aggregating services: GetDiagnosis 2, GetCareContacts 3, GetMedicationHistory 2,
//! GetVaccinationHistory 2, GetCareDocumentation 3 and GetObservations 1 at the
//! aggregation logical address (default `5565594230`), answered inside the platform
//! as a [`LocalService`], as SKLTP's aggregating services do (see NOTES.md
//! "Aggregating services and the engagement index"):
//!
//! 1. The request is decoded as the contract's (invalid: SOAP Fault `Client`, naming
//!    the element at fault, never its content); the patient id must be a valid
//!    personnummer or samordningsnummer of the stated type.
//! 2. FindContent in the platform's own engagement index for the patient, the
//!    contract's serviceDomain and categorization (and the request's source system, if
//!    given), through the index's own validation and query ([`engagements`]).
//! 3. Engagements at logical addresses the original consumer
//!    (`x-rivta-original-serviceconsumer-hsaid`, else the sender) is not authorised for
//!    in TAK for the contract are dropped; each logical address is asked once.
//! 4. Every source system is called in parallel through the routing core ([`fanout`]),
//!    with the request re-addressed to it, within the per-producer timeout, the whole
//!    within the aggregation timeout.
//! 5. One response of the contract's type: the sources' records concatenated, result
//!    OK, and a `ProcessingStatus` header with one record per source asked
//!    ([`status`]): `DataFromSource`, or `NoDataSynchFailed` with causing agent, code
//!    (the producer's HTTP status for a fault, 504 for a timeout, the contract's error
//!    code for `result` ERROR) and text. Sources cut off by the aggregation timeout are
//!    reported as such and the rest returned. No engagements: an empty OK response
//!    with an empty `ProcessingStatus`.

pub mod config;
pub mod contract;
pub mod engagements;
pub mod error;
pub mod fanout;
pub mod status;

use std::time::Duration;

use actix_web::web::Bytes;
use npo_contracts::get_care_contacts::GetCareContacts;
use npo_contracts::get_care_documentation::GetCareDocumentation;
use npo_contracts::get_diagnosis::GetDiagnosis;
use npo_contracts::get_medication_history::GetMedicationHistory;
use npo_contracts::get_observations::GetObservations;
use npo_contracts::get_vaccination_history::GetVaccinationHistory;
use npo_contracts::registry::Contract;
use npo_contracts::soap::{self, Envelope, Header};
use npo_contracts::types::PatientId;
use tracing::Instrument as _;

pub use config::AggregationConfig;
pub use contract::Aggregated;
pub use error::AggregationError;

use crate::engagement_index::EngagementIndex;
use crate::local::{LocalBoxFuture, LocalCall, LocalReply, LocalService, Worker};
use status::SourceStatus;

/// The aggregating services, sharing the platform's engagement index.
#[derive(Debug, Clone)]
pub struct Aggregation {
    config: AggregationConfig,
    index: EngagementIndex,
}

impl Aggregation {
    /// The services of `config`, searching `index`.
    pub fn new(config: AggregationConfig, index: EngagementIndex) -> Self {
        tracing::info!(logical_address = %config.logical_address, "aggregating services on");
        Aggregation { config, index }
    }

    /// The configuration in force.
    pub fn config(&self) -> &AggregationConfig {
        &self.config
    }

    async fn answer(&self, ctx: &LocalCall, body: &[u8], worker: Worker<'_>) -> LocalReply {
        let result = match Contract::from_namespace(&ctx.contract_ns) {
            Some(Contract::GetDiagnosis) => self.aggregate::<GetDiagnosis>(ctx, body, worker).await,
            Some(Contract::GetCareContacts) => {
                self.aggregate::<GetCareContacts>(ctx, body, worker).await
            }
            Some(Contract::GetMedicationHistory) => {
                self.aggregate::<GetMedicationHistory>(ctx, body, worker)
                    .await
            }
            Some(Contract::GetVaccinationHistory) => {
                self.aggregate::<GetVaccinationHistory>(ctx, body, worker)
                    .await
            }
            Some(Contract::GetCareDocumentation) => {
                self.aggregate::<GetCareDocumentation>(ctx, body, worker)
                    .await
            }
            Some(Contract::GetObservations) => {
                self.aggregate::<GetObservations>(ctx, body, worker).await
            }
            _ => Err(AggregationError::InvalidRequest(
                "the contract is not one the aggregating services answer".into(),
            )),
        };
        match result {
            Ok(xml) => LocalReply::soap(200, xml),
            Err(err) => {
                match &err {
                    AggregationError::InvalidRequest(_) => {
                        tracing::info!(error = %err, "aggregated call refused");
                    }
                    AggregationError::EngagementIndex(_) => {
                        tracing::warn!(error = %err, "aggregated call failed");
                    }
                }
                err.to_reply()
            }
        }
    }

    /// One aggregated call of contract `Op`: the merged response envelope.
    async fn aggregate<Op: Aggregated>(
        &self,
        ctx: &LocalCall,
        body: &[u8],
        worker: Worker<'_>,
    ) -> Result<String, AggregationError> {
        let timeout = Duration::from_millis(self.config.timeout_ms);
        let deadline = tokio::time::Instant::now() + timeout;
        let request = soap::decode_request::<Op>(body)
            .map_err(|e| AggregationError::InvalidRequest(e.to_string()))?
            .body;
        let (number, type_oid) = request.patient();
        let patient = PatientId::from_typed(number.trim(), type_oid.trim())
            .map_err(|e| AggregationError::InvalidRequest(format!("patientId: {e}")))?;
        let contract = Contract::from_namespace(&ctx.contract_ns)
            .ok_or_else(|| AggregationError::InvalidRequest("unknown contract namespace".into()))?;
        let query = engagements::query(contract, &patient, request.source_system())?;

        let tak = worker.router.tak.snapshot();
        let found = engagements::source_systems(
            &self.index,
            query,
            &tak,
            &ctx.original_consumer_hsa_id,
            &ctx.contract_ns,
        )
        .await?;
        drop(tak);
        tracing::info!(
            sources = found.asked.len(),
            unauthorised = found.unauthorised.len(),
            "aggregating"
        );

        let fanout = fanout::Fanout {
            worker,
            ctx,
            producer_timeout: Duration::from_millis(self.config.producer_timeout_ms),
            deadline,
            timeout,
        };
        let answers = fanout::ask_all(fanout, &request, &found.asked).await;

        let mut merged = Op::empty_response();
        let mut statuses = Vec::with_capacity(answers.len());
        for (address, answer) in found.asked.iter().zip(answers) {
            let status = match answer {
                Ok(part) => {
                    Op::merge(&mut merged, part);
                    SourceStatus::Data
                }
                Err(failure) => {
                    // The text may come from the source system: not logged.
                    tracing::warn!(
                        source = %address,
                        causing_agent = %failure.causing_agent,
                        code = %failure.code,
                        "source system gave no data"
                    );
                    SourceStatus::Failed(failure)
                }
            };
            statuses.push((address.as_str(), status));
        }
        let processing_status = status::processing_status(statuses.iter().map(|(a, s)| (*a, s)));
        Ok(soap::encode(&Envelope {
            header: Header {
                logical_address: None,
                processing_status: Some(processing_status),
            },
            body: merged,
        }))
    }
}

impl LocalService for Aggregation {
    fn name(&self) -> &str {
        "aggregating-services"
    }

    /// The six clinical contracts at the aggregation address (ignoring ASCII case).
    fn handles(&self, logical_address: &str, contract_ns: &str) -> bool {
        logical_address.eq_ignore_ascii_case(&self.config.logical_address)
            && Contract::from_namespace(contract_ns)
                .is_some_and(|c| Contract::CLINICAL.contains(&c))
    }

    fn call<'a>(
        &'a self,
        ctx: &'a LocalCall,
        body: Bytes,
        worker: Worker<'a>,
    ) -> LocalBoxFuture<'a, LocalReply> {
        let span = tracing::info_span!(
            "aggregation",
            correlation_id = %ctx.correlation_id,
            operation = %ctx.operation,
            consumer = %ctx.original_consumer_hsa_id,
        );
        Box::pin(async move { self.answer(ctx, &body, worker).await }.instrument(span))
    }
}

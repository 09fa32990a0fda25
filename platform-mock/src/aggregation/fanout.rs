//! Calling every source system in parallel through the routing core
//! ([`crate::routing::call_producer`]: TAK route, authorisation, the worker's pooled
//! mutual-TLS client, correlation id, original-consumer and routing-history headers),
//! each call addressed to its source system, all within one aggregation deadline.

use std::time::Duration;

use actix_web::http::header::HeaderValue;
use npo_contracts::headers::CausingAgent;
use npo_contracts::soap::{self, SoapError};
use tokio::time::Instant;

use super::contract::Aggregated;
use super::status::SourceFailure;
use crate::error::{ProducerFailure, RoutingError};
use crate::local::{LocalCall, Worker};
use crate::routing::{ProducerCall, call_producer};

/// What every call of one aggregation shares.
#[derive(Debug, Clone, Copy)]
pub struct Fanout<'a> {
    /// The worker the consumer's call arrived on.
    pub worker: Worker<'a>,
    /// The consumer's call (correlation id, original consumer, routing history).
    pub ctx: &'a LocalCall,
    /// Time for each source system's call.
    pub producer_timeout: Duration,
    /// When the aggregation gives up on the sources still outstanding.
    pub deadline: Instant,
    /// The aggregation timeout (for the text of the sources it cuts off).
    pub timeout: Duration,
}

/// One answer per address, in the order given: the source's response, or why there
/// is none.
pub async fn ask_all<Op: Aggregated>(
    fanout: Fanout<'_>,
    request: &Op,
    addresses: &[String],
) -> Vec<Result<Op::Response, SourceFailure>> {
    let calls = addresses.iter().map(|address| async move {
        match tokio::time::timeout_at(fanout.deadline, ask_one(fanout, request, address)).await {
            Ok(answer) => answer,
            Err(_) => Err(SourceFailure::new(
                CausingAgent::VirtualizationPlatform,
                504,
                format!(
                    "No answer within the aggregation timeout ({} ms).",
                    fanout.timeout.as_millis()
                ),
            )),
        }
    });
    futures_util::future::join_all(calls).await
}

/// Asks one source system: the consumer's request with `LogicalAddress` = `address`.
async fn ask_one<Op: Aggregated>(
    fanout: Fanout<'_>,
    request: &Op,
    address: &str,
) -> Result<Op::Response, SourceFailure> {
    let ctx = fanout.ctx;
    let body = soap::encode_request(address, request);
    let call = ProducerCall {
        logical_address: address,
        contract_ns: &ctx.contract_ns,
        authorised: &ctx.original_consumer_hsa_id,
        sender: &ctx.sender_hsa_id,
        original_consumer: &ctx.original_consumer_hsa_id,
        routing_history: &ctx.routing_history,
        correlation_id: &ctx.correlation_id,
        content_type: HeaderValue::from_static("text/xml; charset=utf-8"),
        soap_action: HeaderValue::from_str(Op::SOAP_ACTION).ok(),
        timeout: fanout.producer_timeout,
        // Fault rules by patient id apply to each source's call too.
        patient_id: Some(request.patient().0),
    };
    let response = call_producer(
        fanout.worker.router,
        fanout.worker.client,
        &call,
        body.into(),
        None,
    )
    .await
    .map_err(|e| routing_failure(&e))?;
    let status = response.status().as_u16();
    let bytes = actix_web::body::to_bytes(response.into_body())
        .await
        .map_err(|e| {
            let text = e.to_string();
            let lower = text.to_ascii_lowercase();
            let code = if lower.contains("timeout") || lower.contains("timed out") {
                504
            } else {
                500
            };
            SourceFailure::new(
                CausingAgent::VirtualizationPlatform,
                code,
                format!("VP009 The answer could not be received: {text}"),
            )
        })?;
    match soap::decode_response::<Op>(&bytes) {
        Ok(envelope) => match Op::failure(&envelope.body) {
            None => Ok(envelope.body),
            Some((code, text)) => Err(SourceFailure::new(
                CausingAgent::ServiceProducer,
                code,
                text,
            )),
        },
        Err(SoapError::Fault(fault)) => Err(SourceFailure::new(
            CausingAgent::ServiceProducer,
            status,
            fault.string,
        )),
        Err(e) => Err(SourceFailure::new(
            CausingAgent::ServiceProducer,
            502,
            format!("The answer is not a valid {}Response: {e}", Op::CONTRACT),
        )),
    }
}

/// A routing core refusal or failure as a source status: the producer's HTTP status
/// for an HTTP error, 504 for a timeout, else 500 (the VP fault's status).
fn routing_failure(err: &RoutingError) -> SourceFailure {
    let (agent, code) = match err {
        RoutingError::Producer {
            failure: ProducerFailure::Timeout,
            ..
        } => (CausingAgent::VirtualizationPlatform, 504),
        RoutingError::Producer {
            failure: ProducerFailure::HttpStatus(status),
            ..
        } => (CausingAgent::ServiceProducer, *status),
        _ => (CausingAgent::VirtualizationPlatform, 500),
    };
    SourceFailure::new(agent, code, format!("{} {err}", err.code()))
}

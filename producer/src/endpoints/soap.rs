//! What every contract endpoint shares: caller and LogicalAddress checks, decoding,
//! the common field rules, running the journal query off the async runtime, and the
//! mapping of errors to SOAP Faults.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use npo_contracts::soap::{self, Envelope, Fault, Operation, SoapError};
use npo_contracts::types::{DatePeriodType, PatientId, PersonIdType};
use npo_contracts::xml::XmlRoot;

use crate::config::ProducerConfig;
use crate::source::{Filters, JournalSource, Period, SourceError};

/// Shared state of the endpoints.
#[derive(Clone)]
pub struct AppState {
    /// The journal.
    pub source: Arc<dyn JournalSource>,
    /// The validated configuration.
    pub config: Arc<ProducerConfig>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

/// Header carrying the original service consumer's HSA-ID.
pub const ORIGINAL_CONSUMER_HEADER: &str = "x-rivta-original-serviceconsumer-hsaid";

/// Why a call is answered with a SOAP Fault (request-level problems that the contract
/// answers with `result` ERROR are not errors: see [`Answer::Invalid`]).
#[derive(Debug, thiserror::Error)]
pub enum ProducerError {
    /// The message could not be read as the contract's request.
    #[error("Invalid request: {0}")]
    Soap(#[from] SoapError),
    /// No RIV-TA LogicalAddress header.
    #[error(
        "Invalid request: the RIV-TA LogicalAddress header (urn:riv:itintegration:registry:1) is missing"
    )]
    MissingLogicalAddress,
    /// The LogicalAddress is not a source system of this producer.
    #[error("Invalid request: LogicalAddress {0} is not a source system served by this producer")]
    UnknownLogicalAddress(String),
    /// The TLS client is not an allowed caller.
    #[error("The calling system is not allowed to call this producer")]
    CallerNotAllowed,
    /// The body is larger than configured.
    #[error("Invalid request: the message is larger than {0} bytes")]
    TooLarge(usize),
    /// The journal failed.
    #[error("The journal is temporarily unavailable; try again later")]
    Source(#[from] SourceError),
    /// Anything else that went wrong on our side.
    #[error("Internal error in the producer")]
    Internal(String),
}

impl ProducerError {
    /// The SOAP Fault for this error. Server-side causes stay in the log; faults never
    /// carry personal data (our decoding errors never echo field values).
    pub fn to_fault(&self) -> Fault {
        match self {
            ProducerError::Source(_) | ProducerError::Internal(_) => {
                Fault::server(self.to_string())
            }
            _ => Fault::client(self.to_string()),
        }
    }

    /// HTTP status of the fault response (SOAP 1.1 uses 500 for every fault).
    pub fn status(&self) -> StatusCode {
        match self {
            ProducerError::CallerNotAllowed => StatusCode::FORBIDDEN,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response carrying the fault.
    pub fn into_response(self) -> HttpResponse {
        match &self {
            ProducerError::Source(SourceError::Unavailable(cause)) => {
                tracing::error!(error = %cause, "journal query failed");
            }
            ProducerError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            other => tracing::info!(fault = %other, "request refused"),
        }
        HttpResponse::build(self.status())
            .content_type("text/xml; charset=utf-8")
            .body(soap::encode_fault(&self.to_fault()))
    }
}

/// What a caller sent, after the checks every contract shares.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The source system the LogicalAddress names, as configured.
    pub source_system: String,
    /// The original consumer's scope, when one is configured for it.
    pub consumer: Option<crate::source::ConsumerScope>,
}

/// How an endpoint answers a valid envelope.
#[derive(Debug)]
pub enum Answer<R> {
    /// The response.
    Response(R),
    /// The request breaks a field rule: answer with `result` ERROR/INVALID_REQUEST
    /// and this message (built by the endpoint into its response type).
    Invalid(String),
}

/// A fresh log id for a result.
pub fn new_log_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Reads the request body, refusing it as soon as it grows past `limit` bytes.
pub async fn read_body(
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ProducerError> {
    use futures_util::StreamExt as _;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ProducerError::Soap(SoapError::Xml(npo_contracts::XmlError::Malformed {
                position: body.len() as u64,
                reason: e.to_string(),
            }))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ProducerError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads the body, runs the shared checks, decodes `Op`, and runs `answer` on a
/// blocking thread; the response is encoded there too, so the message's strings are
/// allocated and freed on one thread and only the finished bytes cross over.
pub async fn handle<Op, F>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
    answer: F,
) -> HttpResponse
where
    Op: Operation + Send + 'static,
    Op::Response: Send + 'static,
    F: FnOnce(&AppState, Op, CallContext) -> Result<Op::Response, ProducerError> + Send + 'static,
{
    handle_encoded::<Op, _>(req, payload, state, move |state, request, context| {
        answer(state, request, context).map(|response| soap::encode(&Envelope::bare(response)))
    })
    .await
}

/// [`handle`] for an `answer` that writes the response envelope itself (see
/// [`npo_contracts::soap::StreamedEnvelope`]).
pub async fn handle_encoded<Op, F>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
    answer: F,
) -> HttpResponse
where
    Op: Operation + Send + 'static,
    F: FnOnce(&AppState, Op, CallContext) -> Result<String, ProducerError> + Send + 'static,
{
    if let Err(e) = check_caller(req, state) {
        return e.into_response();
    }
    let body = match read_body(payload, state.config.server.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    match prepare::<Op>(req, &body, state) {
        Err(e) => e.into_response(),
        Ok((request, context)) => {
            let state = state.clone();
            let outcome = web::block(move || answer(&state, request, context)).await;
            match outcome {
                Ok(Ok(envelope)) => HttpResponse::Ok()
                    .content_type("text/xml; charset=utf-8")
                    .body(envelope),
                Ok(Err(e)) => e.into_response(),
                Err(e) => ProducerError::Internal(e.to_string()).into_response(),
            }
        }
    }
}

/// The TLS client must be one of the configured callers (the platform).
pub fn check_caller(req: &HttpRequest, state: &AppState) -> Result<(), ProducerError> {
    let caller = npo_pki::peer_identity(req).and_then(|p| p.hsa_id.clone());
    if caller.is_some_and(|c| state.config.allows_caller(&c)) {
        Ok(())
    } else {
        Err(ProducerError::CallerNotAllowed)
    }
}

fn prepare<Op: Operation>(
    req: &HttpRequest,
    body: &[u8],
    state: &AppState,
) -> Result<(Op, CallContext), ProducerError> {
    let envelope = soap::decode_request::<Op>(body)?;
    let address = envelope
        .header
        .logical_address
        .ok_or(ProducerError::MissingLogicalAddress)?;
    let source_system = state
        .config
        .serves(address.trim())
        .ok_or_else(|| ProducerError::UnknownLogicalAddress(address.trim().to_owned()))?
        .to_owned();
    let consumer = req
        .headers()
        .get(ORIGINAL_CONSUMER_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| state.config.consumer_scope(c.trim()));
    Ok((
        envelope.body,
        CallContext {
            source_system,
            consumer,
        },
    ))
}

/// A 200 response with an envelope.
pub fn ok_response<B: XmlRoot>(envelope: &Envelope<B>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(soap::encode(envelope))
}

/// The request fields the common field rules look at.
#[derive(Debug)]
pub struct CommonRequest<'a> {
    /// Patient id number.
    pub patient_id: &'a str,
    /// Its type OID.
    pub patient_id_type: &'a str,
    /// The period filter.
    pub period: Option<&'a DatePeriodType>,
    /// `sourceSystemHSAId` of the request.
    pub source_system_hsa_id: Option<&'a str>,
    /// `careContactId` of the request.
    pub care_contact_ids: &'a [String],
    /// `careUnitHSAId` of the request.
    pub care_unit_hsa_ids: &'a [String],
    /// `careGiverHSAId` of the request.
    pub care_giver_hsa_ids: &'a [String],
}

impl<'a> CommonRequest<'a> {
    /// The patient part of a request with a PersonIdType patient.
    pub fn person(patient: &'a PersonIdType) -> Self {
        CommonRequest {
            patient_id: &patient.id,
            patient_id_type: &patient.r#type,
            period: None,
            source_system_hsa_id: None,
            care_contact_ids: &[],
            care_unit_hsa_ids: &[],
            care_giver_hsa_ids: &[],
        }
    }
}

/// Applies the field rules every contract shares and builds the filters, or returns
/// the INVALID_REQUEST message:
/// - the patient id must be a valid personnummer/samordningsnummer of the stated type;
/// - `sourceSystemHSAId`, when given, must equal the LogicalAddress;
/// - `careContactId` requires `sourceSystemHSAId`;
/// - a period must not end before it starts.
pub fn common_filters(
    request: &CommonRequest<'_>,
    context: &CallContext,
) -> Result<Filters, String> {
    let patient = PatientId::from_typed(request.patient_id.trim(), request.patient_id_type.trim())
        .map_err(|e| format!("patientId: {e}"))?;
    match request.source_system_hsa_id {
        Some(id) if !id.trim().eq_ignore_ascii_case(&context.source_system) => {
            return Err("sourceSystemHSAId must equal the LogicalAddress".into());
        }
        None if !request.care_contact_ids.is_empty() => {
            return Err("careContactId requires sourceSystemHSAId".into());
        }
        _ => {}
    }
    let period = match request.period {
        None => None,
        Some(p) if p.end < p.start => return Err("the period ends before it starts".into()),
        Some(p) => Some(Period {
            start: p.start.start_of_day(),
            end: p.end.end_of_day(),
        }),
    };
    Ok(Filters {
        patient,
        source_system: context.source_system.clone(),
        period,
        care_unit_hsa_ids: request.care_unit_hsa_ids.to_vec(),
        care_giver_hsa_ids: request.care_giver_hsa_ids.to_vec(),
        care_contact_ids: request.care_contact_ids.to_vec(),
        consumer: context.consumer.clone(),
    })
}

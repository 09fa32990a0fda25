//! What the routing handler calls for the tester features: the call recording
//! ([`crate::recording`]), fault injection ([`crate::faults`]) and the metrics
//! ([`crate::metrics`]). Two hook points in [`crate::routing`]: [`Hooks::before_producer`]
//! where the platform is about to call a producer, and [`Hooks::finish`] on every answer
//! of the routing listener.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpResponse;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use chrono::{DateTime, Utc};

use crate::config::PlatformConfig;
use crate::error::{CORRELATION_ID_HEADER, RoutingError};
use crate::faults::{FaultRules, Injection};
use crate::metrics::Metrics;
use crate::recording::{CallInfo, CallRecord, Recorder, StoredBody, TeeBody};
use crate::routing::PRODUCER_TIME_HEADER;
use crate::vp::VpCode;

/// The tester features' shared state.
#[derive(Debug)]
pub struct Hooks {
    /// The call recording.
    pub recorder: Arc<Recorder>,
    /// The fault rules.
    pub faults: Arc<FaultRules>,
    /// The metrics.
    pub metrics: Arc<Metrics>,
}

/// What to do instead of, or before, the producer call.
#[derive(Debug)]
pub enum BeforeProducer {
    /// Call the producer within this (possibly shortened) timeout.
    Proceed(std::time::Duration),
    /// Answer this instead (an injected producer SOAP Fault).
    Answer(HttpResponse),
}

impl Hooks {
    /// From `[recording]` and `[[faults]]`.
    pub fn new(config: &PlatformConfig) -> anyhow::Result<Hooks> {
        Ok(Hooks {
            recorder: Arc::new(Recorder::new(&config.recording)),
            faults: Arc::new(FaultRules::new(&config.faults).map_err(anyhow::Error::msg)?),
            metrics: Arc::new(Metrics::default()),
        })
    }

    /// Applies the fault rule matching the call, if any, where the platform would call
    /// the producer at `url` within `timeout`.
    #[allow(clippy::too_many_arguments)]
    pub async fn before_producer(
        &self,
        recording: Option<&mut CallInfo>,
        logical_address: &str,
        contract_ns: &str,
        patient_id: Option<&str>,
        url: &str,
        timeout: Duration,
        correlation_id: &str,
    ) -> Result<BeforeProducer, RoutingError> {
        let Some(matched) = self
            .faults
            .matching(logical_address, contract_ns, patient_id)
        else {
            return Ok(BeforeProducer::Proceed(timeout));
        };
        self.metrics.injected();
        if let Some(call) = recording {
            call.fault_rule = Some(matched.rule_id);
        }
        tracing::info!(rule = matched.rule_id, action = ?matched.action, "fault rule applied");
        let producer = |failure| RoutingError::Producer {
            url: url.to_owned(),
            failure,
        };
        match matched.action.injection() {
            Injection::Delay(delay) if delay >= timeout => {
                actix_web::rt::time::sleep(timeout).await;
                Err(producer(crate::error::ProducerFailure::Timeout))
            }
            Injection::Delay(delay) => {
                actix_web::rt::time::sleep(delay).await;
                Ok(BeforeProducer::Proceed(timeout - delay))
            }
            Injection::ProducerSoapFault(body) => {
                let mut response = HttpResponse::InternalServerError();
                response.insert_header((CONTENT_TYPE, "text/xml; charset=utf-8"));
                if let Ok(value) = HeaderValue::from_str(correlation_id) {
                    response.insert_header((CORRELATION_ID_HEADER, value));
                }
                response.insert_header((PRODUCER_TIME_HEADER, "0"));
                Ok(BeforeProducer::Answer(response.body(body)))
            }
            Injection::ProducerFailure(failure) => Err(producer(failure)),
            Injection::Vp(code) => Err(RoutingError::Injected {
                code,
                rule: matched.rule_id,
            }),
        }
    }

    /// Counts the answer and, when recording, wraps its body so the call is stored once
    /// the body has been sent.
    pub fn finish(
        &self,
        call: CallInfo,
        correlation_id: &str,
        time: DateTime<Utc>,
        started: Instant,
        vp: Option<VpCode>,
        response: HttpResponse,
    ) -> HttpResponse {
        let elapsed = started.elapsed();
        let status = response.status().as_u16();
        self.metrics
            .observe(call.contract.as_deref().unwrap_or(""), status, vp, elapsed);
        if !self.recorder.enabled() {
            return response;
        }
        let request = match &call.request {
            Some(body) => self.recorder.capture(body),
            None => StoredBody::default(),
        };
        let record = CallRecord {
            id: 0,
            time,
            correlation_id: correlation_id.to_owned(),
            sender: call.sender,
            original_consumer: call.original_consumer,
            logical_address: call.logical_address,
            contract: call.contract,
            status,
            vp_code: vp.map(|c| c.as_str().to_owned()),
            latency_ms: elapsed.as_secs_f64() * 1000.0,
            fault_rule: call.fault_rule,
            complete: false,
            request,
            response: StoredBody::default(),
        };
        let recorder = self.recorder.clone();
        response
            .map_body(move |_, body| TeeBody::new(body, record, recorder))
            .map_into_boxed_body()
    }
}

//! The forwarding handler: every POST to the routing listener, whatever its path.
//!
//! Order of the checks (as SKLTP VP, see NOTES.md "The platform"):
//!
//! 1. `x-skltp-correlation-id`: kept when usable, else a new UUID; returned on every
//!    answer, faults included, and passed to the producer.
//! 2. The sender's HSA-ID: the verified client certificate's subject `serialNumber`, or,
//!    from a trusted proxy only, the certificate in the configured header (VP011 from
//!    any other address, VP002 without a usable HSA-ID).
//! 3. `x-rivta-routing-history`: this instance already in it is a loop (VP014);
//!    otherwise it is passed on with `#<instance>` appended (`<sender>#<instance>` when
//!    the caller sent none).
//! 4. The request body (at most `server.max_body_bytes`), read with
//!    [`npo_contracts::fastpath::scan`], never fully parsed: unreadable is VP015; no
//!    `LogicalAddress` header is VP001, an empty one VP003. The URL path plays no part.
//! 5. `x-rivta-original-serviceconsumer-hsaid`: passed on when sent (VP013 when the
//!    sender is not allowed and enforcement is on), else set to the sender.
//! 6. A [`LocalService`] that handles (logical address, contract) answers after the TAK
//!    authorisation check (VP007). Otherwise ([`call_producer`], which the aggregating
//!    services reuse): TAK route (VP004, VP006, VP010), TAK
//!    authorisation (VP007), then the call to the producer over mutual TLS with the
//!    platform's certificate, through this worker's pooled client, within the
//!    contract's timeout (VP009 on any failure). The producer's answer is streamed back
//!    unchanged with its `Content-Type`, and `x-skltp-prt` (the producer's response time
//!    in ms). A producer SOAP Fault (HTTP 500 with a SOAP body) passes through unchanged.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::{BodyStream, BoxBody, MessageBody, SizedStream};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use npo_contracts::fastpath::{self, RoutingInfo};
use npo_contracts::soap::{SOAP11_NS, SoapError};
use npo_contracts::xml::XmlError;
use openssl::stack::Stack;
use openssl::x509::store::X509Store;
use openssl::x509::{X509, X509StoreContext};
use tracing::Instrument as _;

use crate::config::{OriginalConsumerConfig, PlatformConfig, ProxyConfig};
use crate::error::{CORRELATION_ID_HEADER, ProducerFailure, RoutingError};
use crate::hooks::{BeforeProducer, Hooks};
use crate::local::{LocalCall, LocalService, Worker};
use crate::recording::CallInfo;
use crate::tak::{RouteLookupError, TakStore};

/// Header with the original service consumer's HSA-ID.
pub const ORIGINAL_CONSUMER_HEADER: &str = "x-rivta-original-serviceconsumer-hsaid";
/// Header with the platforms a call has passed.
pub const ROUTING_HISTORY_HEADER: &str = "x-rivta-routing-history";
/// Header with the producer's response time in ms.
pub const PRODUCER_TIME_HEADER: &str = "x-skltp-prt";
/// Header with the sender's HSA-ID (towards plain-HTTP producers only).
pub const SENDER_ID_HEADER: &str = "x-vp-sender-id";
/// Header with this instance's id (towards plain-HTTP producers only).
pub const INSTANCE_ID_HEADER: &str = "x-vp-instance-id";
/// The `SOAPAction` header.
pub const SOAP_ACTION_HEADER: &str = "soapaction";
/// Longest correlation id kept; longer or odd ones are replaced.
const MAX_CORRELATION_ID_LEN: usize = 128;

/// What the routing handler shares across workers.
pub struct RouterState {
    /// This instance's id.
    pub instance_id: String,
    /// The TAK.
    pub tak: Arc<TakStore>,
    /// Services answered inside the platform.
    pub local_services: Vec<Arc<dyn LocalService>>,
    /// Largest request accepted.
    pub max_body_bytes: usize,
    /// Largest producer response passed back.
    pub max_response_bytes: usize,
    /// Contract namespace (lower-cased) → producer timeout.
    pub contract_timeouts: HashMap<String, Duration>,
    /// Producer timeout for other contracts.
    pub default_timeout: Duration,
    /// Retries after a connection-level error.
    pub connect_retries: u32,
    /// Original-consumer header rules.
    pub original_consumer: OriginalConsumerConfig,
    /// Trusted-proxy settings.
    pub proxy: ProxyConfig,
    /// Trust store for forwarded certificates (when they are verified).
    pub forwarded_trust: Option<X509Store>,
    /// Tester features: recording, fault rules, metrics ([`crate::hooks`]).
    pub hooks: Arc<Hooks>,
}

impl std::fmt::Debug for RouterState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterState")
            .field("instance_id", &self.instance_id)
            .field(
                "local_services",
                &self
                    .local_services
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl RouterState {
    /// The state for `config`.
    pub fn new(
        config: &PlatformConfig,
        tak: Arc<TakStore>,
        local_services: Vec<Arc<dyn LocalService>>,
    ) -> anyhow::Result<Self> {
        let (contract_timeouts, default_timeout) = config.producers.timeouts();
        let forwarded_trust = if config.proxy.verify_forwarded_certificate {
            let ca = npo_pki::load_certificate(&config.tls.ca)?;
            let mut store = openssl::x509::store::X509StoreBuilder::new()?;
            store.add_cert(ca)?;
            Some(store.build())
        } else {
            None
        };
        Ok(RouterState {
            instance_id: config.instance_id.clone(),
            tak,
            local_services,
            max_body_bytes: config.server.max_body_bytes,
            max_response_bytes: config.producers.max_response_bytes,
            contract_timeouts,
            default_timeout,
            connect_retries: config.producers.connect_retries,
            original_consumer: config.original_consumer.clone(),
            proxy: config.proxy.clone(),
            forwarded_trust,
            hooks: Arc::new(Hooks::new(config)?),
        })
    }

    fn timeout_for(&self, contract: &str) -> Duration {
        if self.contract_timeouts.is_empty() {
            return self.default_timeout;
        }
        let found = if contract.bytes().any(|b| b.is_ascii_uppercase()) {
            self.contract_timeouts.get(&contract.to_ascii_lowercase())
        } else {
            // Namespaces are lower case as sent: no copy on the common path.
            self.contract_timeouts.get(contract)
        };
        found.copied().unwrap_or(self.default_timeout)
    }
}

/// This worker's HTTP client towards producers (mutual TLS, pooled keep-alive
/// connections). One per worker: awc clients are not shared across threads.
#[derive(Clone)]
pub struct ProducerClient(pub awc::Client);

impl std::fmt::Debug for ProducerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProducerClient")
    }
}

/// The routing handler (registered as the default service of the routing listener).
pub async fn route(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<RouterState>,
    client: web::Data<ProducerClient>,
) -> HttpResponse {
    let correlation_id = correlation_id(req.headers());
    let span = tracing::info_span!(
        "call",
        correlation_id = %correlation_id,
        sender = tracing::field::Empty,
        logical_address = tracing::field::Empty,
        contract = tracing::field::Empty,
    );
    async {
        let started = Instant::now();
        let time = chrono::Utc::now();
        let mut call = CallInfo::default();
        let (response, vp) =
            match handle(&req, payload, &state, &client, &correlation_id, &mut call).await {
                Ok(response) => {
                    tracing::info!(
                        status = response.status().as_u16(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "call answered"
                    );
                    (response, None)
                }
                Err(err) => {
                    let code = err.code();
                    match &err {
                        RoutingError::Producer { .. } => {
                            tracing::warn!(vp = %code, error = %err, "producer call failed");
                        }
                        _ => tracing::info!(vp = %code, error = %err, "call refused"),
                    }
                    (
                        err.to_response(&state.instance_id, &correlation_id),
                        Some(code),
                    )
                }
            };
        // Hook: metrics and call recording of every answer.
        state
            .hooks
            .finish(call, &correlation_id, time, started, vp, response)
    }
    .instrument(span)
    .await
}

/// The caller's correlation id when usable, else a new UUID.
fn correlation_id(headers: &HeaderMap) -> String {
    headers
        .get(CORRELATION_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| {
            !v.is_empty()
                && v.len() <= MAX_CORRELATION_ID_LEN
                && v.bytes().all(|b| b.is_ascii_graphic())
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(
    req: &HttpRequest,
    payload: web::Payload,
    state: &RouterState,
    client: &ProducerClient,
    correlation_id: &str,
    call: &mut CallInfo,
) -> Result<HttpResponse, RoutingError> {
    let sender = sender_hsa_id(req, state)?;
    call.sender = Some(sender.clone());
    tracing::Span::current().record("sender", sender.as_str());
    let routing_history = routing_history(req.headers(), &sender, &state.instance_id)?;

    let body = read_body(payload, state.max_body_bytes).await?;
    call.request = Some(body.clone());
    let info =
        fastpath::scan(&body).map_err(|e| RoutingError::Malformed(describe_scan_error(&e)))?;
    let RoutingInfo {
        logical_address,
        contract_ns,
        operation,
        patient_id,
    } = info;
    call.contract = Some(contract_ns.clone());
    call.logical_address.clone_from(&logical_address);
    let logical_address = logical_address.ok_or(RoutingError::NoRivHeader)?;
    if logical_address.trim().is_empty() {
        return Err(RoutingError::EmptyLogicalAddress);
    }
    let span = tracing::Span::current();
    span.record("logical_address", logical_address.as_str());
    span.record("contract", contract_ns.as_str());

    let original_consumer = original_consumer(req.headers(), &sender, &state.original_consumer)?;
    call.original_consumer = Some(original_consumer.clone());

    let tak = state.tak.snapshot();
    let now = chrono::Utc::now();
    let authorise = || {
        tak.authorise(&sender, &contract_ns, &logical_address, now)
            .ok_or_else(|| RoutingError::NotAuthorised {
                contract: contract_ns.clone(),
                logical_address: logical_address.clone(),
                sender: sender.clone(),
            })
    };

    if let Some(service) = state
        .local_services
        .iter()
        .find(|s| s.handles(&logical_address, &contract_ns))
    {
        authorise()?;
        let call = LocalCall {
            correlation_id: correlation_id.to_owned(),
            sender_hsa_id: sender.clone(),
            original_consumer_hsa_id: original_consumer,
            logical_address: logical_address.clone(),
            contract_ns: contract_ns.clone(),
            operation,
            soap_action: header_str(req.headers(), SOAP_ACTION_HEADER).map(str::to_owned),
            routing_history,
            instance_id: state.instance_id.clone(),
        };
        tracing::debug!(service = service.name(), "answered locally");
        let reply = service.call(&call, body, Worker::new(state, client)).await;
        let status = actix_web::http::StatusCode::from_u16(reply.status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, reply.content_type.as_str()));
        insert(&mut response, CORRELATION_ID_HEADER, correlation_id);
        return Ok(response.body(reply.body));
    }
    drop(tak);

    let producer_call = ProducerCall {
        logical_address: &logical_address,
        contract_ns: &contract_ns,
        authorised: &sender,
        sender: &sender,
        original_consumer: &original_consumer,
        routing_history: &routing_history,
        correlation_id,
        content_type: req
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("text/xml; charset=utf-8")),
        soap_action: req.headers().get(SOAP_ACTION_HEADER).cloned(),
        timeout: state.timeout_for(&contract_ns),
        patient_id: patient_id.as_deref(),
    };
    call_producer(state, client, &producer_call, body, Some(call)).await
}

// --- The reusable core: route, authorise and call one producer -----------------------

/// One call to one producer, as the routing handler makes it for a consumer and the
/// aggregating services make it for each source system.
#[derive(Debug)]
pub struct ProducerCall<'a> {
    /// The receiver (`LogicalAddress`, as sent).
    pub logical_address: &'a str,
    /// The contract (namespace of the Body's first element).
    pub contract_ns: &'a str,
    /// The HSA-ID that must hold a TAK authorisation for (contract, logical address):
    /// the sender for a routed call, the original consumer for an aggregated one.
    pub authorised: &'a str,
    /// The calling system (`x-vp-sender-id` towards plain-HTTP producers).
    pub sender: &'a str,
    /// `x-rivta-original-serviceconsumer-hsaid` to pass on.
    pub original_consumer: &'a str,
    /// `x-rivta-routing-history` to pass on (this instance included).
    pub routing_history: &'a str,
    /// `x-skltp-correlation-id` to pass on.
    pub correlation_id: &'a str,
    /// `Content-Type` of the body.
    pub content_type: HeaderValue,
    /// `SOAPAction` to pass on, if any.
    pub soap_action: Option<HeaderValue>,
    /// Time allowed for the whole producer call.
    pub timeout: Duration,
    /// The request's patient id, if any (matched by fault rules only; never logged).
    pub patient_id: Option<&'a str>,
}

/// Routes and forwards one call: TAK route for (logical address, contract) (VP004,
/// VP006, VP010), TAK authorisation of [`ProducerCall::authorised`] (VP007), then the
/// call over mutual TLS through this worker's pooled `client` within the call's
/// timeout (VP009 on any failure). The answer is the producer's, streamed, with
/// `x-skltp-correlation-id` and `x-skltp-prt`; a producer SOAP Fault passes through.
pub async fn call_producer(
    state: &RouterState,
    client: &ProducerClient,
    call: &ProducerCall<'_>,
    body: Bytes,
    recording: Option<&mut CallInfo>,
) -> Result<HttpResponse, RoutingError> {
    let (logical_address, contract_ns) = (call.logical_address, call.contract_ns);
    let tak = state.tak.snapshot();
    let now = chrono::Utc::now();
    let route = tak
        .route(logical_address, contract_ns, now)
        .map_err(|e| match e {
            RouteLookupError::NoRoute => RoutingError::NoRoute {
                contract: contract_ns.to_owned(),
                logical_address: logical_address.to_owned(),
            },
            RouteLookupError::Several { count, .. } => RoutingError::SeveralRoutes {
                contract: contract_ns.to_owned(),
                logical_address: logical_address.to_owned(),
                count,
            },
            RouteLookupError::EmptyUrl { .. } => RoutingError::EmptyUrl {
                contract: contract_ns.to_owned(),
                logical_address: logical_address.to_owned(),
            },
        })?;
    let matched = tak
        .authorise(call.authorised, contract_ns, logical_address, now)
        .ok_or_else(|| RoutingError::NotAuthorised {
            contract: contract_ns.to_owned(),
            logical_address: logical_address.to_owned(),
            sender: call.authorised.to_owned(),
        })?;
    tracing::debug!(route = route.route.id, route_level = ?route.matched_on,
        authorisation = matched.id, authorisation_level = ?matched.matched_on, "routed");
    let url = route.route.spec.url.trim().to_owned();
    drop(tak);

    // Hook: tester fault rules, where the platform would call the producer (routed
    // calls and every source of an aggregated call alike).
    let timeout = match state
        .hooks
        .before_producer(
            recording,
            logical_address,
            contract_ns,
            call.patient_id,
            &url,
            call.timeout,
            call.correlation_id,
        )
        .await?
    {
        BeforeProducer::Proceed(timeout) => timeout,
        BeforeProducer::Answer(response) => return Ok(response),
    };
    let outgoing = Outgoing {
        url,
        timeout,
        correlation_id: call.correlation_id,
        sender: call.sender,
        original_consumer: call.original_consumer,
        routing_history: call.routing_history,
        content_type: call.content_type.clone(),
        soap_action: call.soap_action.clone(),
    };
    forward(client, state, &outgoing, body).await
}

/// The sender's HSA-ID: from the forwarded certificate (trusted proxies only) or from
/// the connection's verified client certificate.
fn sender_hsa_id(req: &HttpRequest, state: &RouterState) -> Result<String, RoutingError> {
    let proxy = &state.proxy;
    if let Some(value) = req.headers().get(proxy.cert_header.as_str()) {
        let peer = req.peer_addr().map(|a| a.ip().to_canonical());
        if !peer.is_some_and(|ip: IpAddr| proxy.trusted_addresses.contains(&ip)) {
            return Err(RoutingError::UntrustedForwarder {
                peer,
                header: proxy.cert_header.clone(),
            });
        }
        let cert = forwarded_certificate(value.as_bytes()).ok_or_else(|| {
            RoutingError::NoSenderId(format!(
                "The certificate in HTTP header {} could not be read.",
                proxy.cert_header
            ))
        })?;
        if let Some(trust) = &state.forwarded_trust
            && !verifies(trust, &cert)
        {
            return Err(RoutingError::NoSenderId(format!(
                "The certificate in HTTP header {} is not issued by a trusted CA or not \
                 valid now.",
                proxy.cert_header
            )));
        }
        return npo_pki::hsa_id_from_certificate(&cert).ok_or_else(|| {
            RoutingError::NoSenderId(format!(
                "No serialNumber in the certificate in HTTP header {}.",
                proxy.cert_header
            ))
        });
    }
    let peer = npo_pki::peer_identity(req).ok_or_else(|| {
        RoutingError::NoSenderId("No verified client certificate on the connection.".into())
    })?;
    peer.hsa_id.clone().ok_or_else(|| {
        RoutingError::NoSenderId("The client certificate subject has no serialNumber.".into())
    })
}

fn verifies(trust: &X509Store, cert: &X509) -> bool {
    let run = || -> Result<bool, openssl::error::ErrorStack> {
        let chain = Stack::new()?;
        let mut ctx = X509StoreContext::new()?;
        ctx.init(trust, cert, &chain, |c| c.verify_cert())
    };
    run().unwrap_or(false)
}

/// Decodes `%XX` escapes (a `+` stays a `+`: it is a base64 character).
fn percent_decode(input: &[u8]) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'%'
            && let (Some(h), Some(l)) = (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

/// The certificate in a forwarding header: URL-encoded PEM (the `BEGIN`/`END` lines may
/// have their spaces encoded as `+`), or bare base64 DER.
pub fn forwarded_certificate(value: &[u8]) -> Option<X509> {
    let decoded = percent_decode(value);
    let text = std::str::from_utf8(&decoded).ok()?;
    let base64 = match text.find("-----BEGIN") {
        Some(begin) => {
            let after_begin = text.get(begin + "-----BEGIN".len()..)?;
            let body_start = after_begin.find("-----")? + "-----".len();
            let rest = after_begin.get(body_start..)?;
            let end = rest.find("-----END")?;
            rest.get(..end)?
        }
        None => text,
    };
    let base64: String = base64.chars().filter(|c| !c.is_whitespace()).collect();
    let der = openssl::base64::decode_block(&base64).ok()?;
    X509::from_der(&der).ok()
}

/// The routing history to pass on, or VP014 when this instance is in it already.
fn routing_history(
    headers: &HeaderMap,
    sender: &str,
    instance_id: &str,
) -> Result<String, RoutingError> {
    match header_str(headers, ROUTING_HISTORY_HEADER)
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        None => Ok(format!("{sender}#{instance_id}")),
        Some(history) if history.split('#').any(|hop| hop.trim() == instance_id) => {
            Err(RoutingError::RoutingLoop)
        }
        Some(history) => Ok(format!("{history}#{instance_id}")),
    }
}

/// The original consumer to pass on.
fn original_consumer(
    headers: &HeaderMap,
    sender: &str,
    rules: &OriginalConsumerConfig,
) -> Result<String, RoutingError> {
    let Some(value) = headers.get(ORIGINAL_CONSUMER_HEADER) else {
        return Ok(sender.to_owned());
    };
    if !rules.allows(sender) {
        if rules.enforce {
            return Err(RoutingError::OriginalConsumerNotAllowed);
        }
        tracing::warn!(
            sender,
            "sender not in original_consumer.allowed_senders set {ORIGINAL_CONSUMER_HEADER}"
        );
    }
    let value = value.to_str().map(str::trim).unwrap_or_default();
    Ok(if value.is_empty() {
        sender.to_owned()
    } else {
        value.to_owned()
    })
}

async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Bytes, RoutingError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            RoutingError::Malformed(format!("The request body could not be received: {e}."))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(RoutingError::Malformed(format!(
                "The request is larger than {limit} bytes."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A fixed description of why a request could not be read; never echoes content.
fn describe_scan_error(err: &SoapError) -> String {
    match err {
        SoapError::Empty => "The request body is empty.".into(),
        SoapError::Soap12Envelope => {
            "The request is a SOAP 1.2 envelope; RIV-TA BP 2.1 requires SOAP 1.1.".into()
        }
        SoapError::WrongEnvelopeNamespace { .. } => {
            "The Envelope is not in the SOAP 1.1 namespace.".into()
        }
        SoapError::NotAnEnvelope { .. } => "The root element is not a SOAP Envelope.".into(),
        SoapError::MissingBody => "The SOAP envelope has no Body.".into(),
        SoapError::EmptyBody => "The SOAP Body is empty.".into(),
        SoapError::Xml(XmlError::DoctypeNotAllowed | XmlError::EntityDeclarationNotAllowed) => {
            "DTDs and entity declarations are not allowed.".into()
        }
        SoapError::Xml(XmlError::TooDeep { limit }) => {
            format!("The XML is nested deeper than {limit} levels.")
        }
        SoapError::Xml(XmlError::UnboundPrefix { position, .. }) => {
            format!("Undeclared namespace prefix at byte {position}.")
        }
        SoapError::Xml(XmlError::Malformed { position, .. }) => {
            format!("The request is not well-formed XML (at byte {position}).")
        }
        SoapError::Xml(XmlError::UnexpectedEof) => {
            "The request ends before the SOAP envelope is complete.".into()
        }
        _ => "The request is not a well-formed SOAP 1.1 message.".into(),
    }
}

fn insert(response: &mut actix_web::HttpResponseBuilder, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.insert_header((name, value));
    }
}

/// What goes to the producer besides the body.
struct Outgoing<'a> {
    url: String,
    timeout: Duration,
    correlation_id: &'a str,
    sender: &'a str,
    original_consumer: &'a str,
    routing_history: &'a str,
    content_type: HeaderValue,
    soap_action: Option<HeaderValue>,
}

fn classify(err: awc::error::SendRequestError) -> ProducerFailure {
    use awc::error::{ConnectError, SendRequestError};
    match err {
        SendRequestError::Timeout | SendRequestError::Connect(ConnectError::Timeout) => {
            ProducerFailure::Timeout
        }
        SendRequestError::Connect(ConnectError::SslError(e)) => ProducerFailure::Tls(e.to_string()),
        SendRequestError::Connect(ConnectError::Io(e)) if is_tls_error(&e) => {
            ProducerFailure::Tls(e.to_string())
        }
        SendRequestError::Connect(e) => ProducerFailure::Connect(e.to_string()),
        other => ProducerFailure::Io(other.to_string()),
    }
}

fn is_tls_error(err: &std::io::Error) -> bool {
    let text = err.to_string().to_ascii_lowercase();
    ["ssl", "tls", "certificate", "handshake"]
        .iter()
        .any(|needle| text.contains(needle))
}

fn retryable(err: &awc::error::SendRequestError) -> bool {
    use awc::error::{ConnectError, SendRequestError};
    match err {
        SendRequestError::Connect(ConnectError::Io(e)) => !is_tls_error(e),
        SendRequestError::Send(_) => true,
        _ => false,
    }
}

fn payload_failure(err: &awc::error::PayloadError) -> ProducerFailure {
    let text = err.to_string();
    if text.to_ascii_lowercase().contains("timeout")
        || text.to_ascii_lowercase().contains("timed out")
    {
        ProducerFailure::Timeout
    } else {
        ProducerFailure::Io(text)
    }
}

async fn forward(
    client: &ProducerClient,
    state: &RouterState,
    out: &Outgoing<'_>,
    body: Bytes,
) -> Result<HttpResponse, RoutingError> {
    let fail = |failure| RoutingError::Producer {
        url: out.url.clone(),
        failure,
    };
    let started = Instant::now();
    let deadline = started + out.timeout;
    let content_type = out.content_type.clone();
    let plain_http = out.url.starts_with("http://");
    let mut attempt = 0u32;
    let response = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(fail(ProducerFailure::Timeout));
        }
        let mut request = client
            .0
            .post(out.url.as_str())
            .timeout(remaining)
            .no_decompress()
            .insert_header((header::CONTENT_TYPE, content_type.clone()))
            .insert_header((header::ACCEPT_ENCODING, "identity"))
            .insert_header((
                header::USER_AGENT,
                concat!("npo-platform/", env!("CARGO_PKG_VERSION")),
            ))
            .insert_header((CORRELATION_ID_HEADER, out.correlation_id))
            .insert_header((ORIGINAL_CONSUMER_HEADER, out.original_consumer))
            .insert_header((ROUTING_HISTORY_HEADER, out.routing_history));
        if let Some(action) = &out.soap_action {
            request = request.insert_header(("SOAPAction", action.clone()));
        }
        if plain_http {
            request = request
                .insert_header((SENDER_ID_HEADER, out.sender))
                .insert_header((INSTANCE_ID_HEADER, state.instance_id.as_str()));
        }
        match request.send_body(body.clone()).await {
            Ok(response) => break response,
            Err(err) if attempt < state.connect_retries && retryable(&err) => {
                attempt += 1;
                tracing::warn!(attempt, error = %err, "producer connection failed; retrying");
            }
            Err(err) => return Err(fail(classify(err))),
        }
    };
    let status = response.status();
    let remaining = deadline.saturating_duration_since(Instant::now());
    // Only the headers passed back, not a clone of the whole map.
    let head = ProducerHead::of(response.headers());
    let mut response = response.timeout(remaining.max(Duration::from_millis(1)));

    if !status.is_success() {
        let body = response
            .body()
            .limit(state.max_response_bytes)
            .await
            .map_err(|e| fail(payload_failure(&e)))?;
        let is_soap = status == actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
            && contains(&body, SOAP11_NS.as_bytes());
        if !is_soap {
            return Err(fail(ProducerFailure::HttpStatus(status.as_u16())));
        }
        let prt = started.elapsed().as_millis().to_string();
        let mut builder = answer(status, &head, out.correlation_id, &prt);
        return Ok(builder.body(body));
    }

    // The first non-empty chunk: an empty answer is VP009, not an empty 200.
    let first = loop {
        match response.next().await {
            None => return Err(fail(ProducerFailure::Empty(status.as_u16()))),
            Some(Err(e)) => return Err(fail(payload_failure(&e))),
            Some(Ok(chunk)) if chunk.is_empty() => continue,
            Some(Ok(chunk)) => break chunk,
        }
    };
    let max = state.max_response_bytes;
    if first.len() > max {
        return Err(fail(ProducerFailure::TooLarge(max)));
    }
    let prt = started.elapsed().as_millis().to_string();
    let mut sent = 0usize;
    let stream = futures_util::stream::once(std::future::ready(Ok(first)))
        .chain(response)
        .map(move |chunk| {
            let chunk = chunk.map_err(|e| std::io::Error::other(e.to_string()))?;
            sent += chunk.len();
            if sent > max {
                tracing::warn!(max, "producer response too large; aborting the answer");
                return Err(std::io::Error::other("producer response too large"));
            }
            Ok::<Bytes, std::io::Error>(chunk)
        });
    let body: BoxBody = match head.content_length {
        Some(length) => SizedStream::new(length, stream).boxed(),
        None => BodyStream::new(stream).boxed(),
    };
    let mut builder = answer(status, &head, out.correlation_id, &prt);
    Ok(builder.body(body))
}

/// The producer's headers that the answer carries on.
struct ProducerHead {
    content_type: Option<HeaderValue>,
    content_encoding: Option<HeaderValue>,
    content_length: Option<u64>,
}

impl ProducerHead {
    fn of(headers: &HeaderMap) -> ProducerHead {
        ProducerHead {
            content_type: headers.get(header::CONTENT_TYPE).cloned(),
            content_encoding: headers.get(header::CONTENT_ENCODING).cloned(),
            content_length: headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok()),
        }
    }
}

/// The answer's head: status, the producer's content headers, ours.
fn answer(
    status: actix_web::http::StatusCode,
    producer: &ProducerHead,
    correlation_id: &str,
    prt: &str,
) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    if let Some(value) = &producer.content_type {
        builder.insert_header((header::CONTENT_TYPE, value.clone()));
    }
    if let Some(value) = &producer.content_encoding {
        builder.insert_header((header::CONTENT_ENCODING, value.clone()));
    }
    insert(&mut builder, CORRELATION_ID_HEADER, correlation_id);
    insert(&mut builder, PRODUCER_TIME_HEADER, prt);
    builder
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                header::HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn routing_history_appends_or_detects_loops() {
        assert_eq!(
            routing_history(&headers(&[]), "SE1-C", "TP1").unwrap(),
            "SE1-C#TP1"
        );
        assert_eq!(
            routing_history(
                &headers(&[(ROUTING_HISTORY_HEADER, "SE1-C#TP0")]),
                "X",
                "TP1"
            )
            .unwrap(),
            "SE1-C#TP0#TP1"
        );
        assert_eq!(
            routing_history(
                &headers(&[(ROUTING_HISTORY_HEADER, "SE1-C# TP1 #TP0")]),
                "X",
                "TP1"
            ),
            Err(RoutingError::RoutingLoop)
        );
    }

    #[test]
    fn correlation_id_is_kept_or_created() {
        assert_eq!(
            correlation_id(&headers(&[(CORRELATION_ID_HEADER, "abc-123")])),
            "abc-123"
        );
        let created = correlation_id(&headers(&[(CORRELATION_ID_HEADER, "has space")]));
        assert!(uuid::Uuid::parse_str(&created).is_ok());
    }

    #[test]
    fn percent_decoding_keeps_plus() {
        assert_eq!(percent_decode(b"a%2Bb+c%0A%zz"), b"a+b+c\n%zz");
    }

    #[test]
    fn scan_errors_name_no_content() {
        let err = fastpath::scan(b"<x:Envelope xmlns:x=\"urn:19121212-1212\"/>").unwrap_err();
        let text = describe_scan_error(&err);
        assert!(!text.contains("19121212"), "{text}");
    }
}

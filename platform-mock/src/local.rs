//! Services answered inside the platform instead of being forwarded to a producer: the
//! engagement index and the aggregating services.
//!
//! The routing handler ([`crate::routing`]) checks the caller exactly as for any other
//! call — client certificate (VP002/VP011), routing history (VP014), a readable request
//! (VP015), the RIV header (VP001/VP003), the original-consumer header (VP013) and the
//! TAK authorisation for (sender, contract, logical address) (VP007) — and then, instead
//! of looking up a route, asks each registered [`LocalService`] in turn whether it
//! [`handles`](LocalService::handles) the call's logical address and contract namespace.
//! The first that does gets the request body, unchanged, and its [`LocalReply`] is sent
//! back with the usual `x-skltp-correlation-id` header. No TAK route is needed for a
//! local service, but the authorisation is.
//!
//! A service runs on the worker that received the call and gets that worker's
//! [`Worker`]: the routing core with the worker's pooled producer client, through
//! which a service may call producers itself as routed calls are made (the aggregating
//! services do). Producer clients are per worker and not `Send`, so the future a
//! service returns need not be `Send` either ([`LocalBoxFuture`]).
//!
//! Register services in [`crate::startup::local_services`] (built from the
//! configuration) or pass them to [`crate::startup::Application::build_with`] (tests).
//!
//! ```
//! use npo_platform::local::{LocalBoxFuture, LocalCall, LocalReply, LocalService, Worker};
//! use actix_web::web::Bytes;
//!
//! #[derive(Debug)]
//! struct Echo {
//!     address: String,
//! }
//!
//! impl LocalService for Echo {
//!     fn name(&self) -> &str {
//!         "echo"
//!     }
//!     fn handles(&self, logical_address: &str, contract_ns: &str) -> bool {
//!         logical_address.eq_ignore_ascii_case(&self.address)
//!             && contract_ns.starts_with("urn:riv:itintegration:engagementindex:")
//!     }
//!     fn call<'a>(
//!         &'a self,
//!         _ctx: &'a LocalCall,
//!         body: Bytes,
//!         _worker: Worker<'a>,
//!     ) -> LocalBoxFuture<'a, LocalReply> {
//!         Box::pin(async move { LocalReply::soap(200, body) })
//!     }
//! }
//! ```

use std::future::Future;
use std::pin::Pin;

use actix_web::web::Bytes;

use crate::routing::{ProducerClient, RouterState};

/// A boxed, sendable future (as `futures::future::BoxFuture`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed future bound to the worker thread (as `futures::future::LocalBoxFuture`).
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The worker a call arrived on: the routing state and this worker's pooled producer
/// client (mutual TLS with the platform's certificate). Services that call producers
/// go through [`crate::routing::call_producer`] with it, so their calls get the same
/// TAK route lookup, authorisation, headers, timeouts and VP faults as routed calls.
#[derive(Clone, Copy)]
pub struct Worker<'a> {
    pub(crate) router: &'a RouterState,
    pub(crate) client: &'a ProducerClient,
}

impl<'a> Worker<'a> {
    pub(crate) fn new(router: &'a RouterState, client: &'a ProducerClient) -> Self {
        Worker { router, client }
    }
}

impl std::fmt::Debug for Worker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("instance_id", &self.router.instance_id)
            .finish_non_exhaustive()
    }
}

/// What the platform knows about a call handed to a [`LocalService`]. Nothing in it is
/// personal data; the patient id, if any, is only in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCall {
    /// `x-skltp-correlation-id` (received or created).
    pub correlation_id: String,
    /// The calling system's HSA-ID (certificate serialNumber), already authorised.
    pub sender_hsa_id: String,
    /// `x-rivta-original-serviceconsumer-hsaid` as received, else the sender.
    pub original_consumer_hsa_id: String,
    /// The `LogicalAddress` header as sent (not trimmed).
    pub logical_address: String,
    /// Namespace of the Body's first element.
    pub contract_ns: String,
    /// Local name of the Body's first element, e.g. `Update`.
    pub operation: String,
    /// The `SOAPAction` header, if any.
    pub soap_action: Option<String>,
    /// `x-rivta-routing-history` including this instance.
    pub routing_history: String,
    /// This platform instance's id (for faults the service builds itself).
    pub instance_id: String,
}

/// The answer of a [`LocalService`], sent to the caller as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReply {
    /// HTTP status (200 for a response, 500 for a SOAP Fault).
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: Bytes,
}

impl LocalReply {
    /// A SOAP 1.1 message (`text/xml; charset=utf-8`) with `status`.
    pub fn soap(status: u16, body: impl Into<Bytes>) -> Self {
        LocalReply {
            status,
            content_type: "text/xml; charset=utf-8".into(),
            body: body.into(),
        }
    }
}

/// A service the platform answers itself. Implementations must be cheap to ask
/// ([`handles`](LocalService::handles) runs on every call) and must not put personal
/// data in logs or faults.
pub trait LocalService: Send + Sync + std::fmt::Debug {
    /// A short name for logs and `/status`, e.g. `engagement-index`.
    fn name(&self) -> &str;

    /// Whether this service answers calls of `contract_ns` (the body element's
    /// namespace, as sent) to `logical_address` (as sent, not trimmed). Compare
    /// case-insensitively, as TAK lookups do.
    fn handles(&self, logical_address: &str, contract_ns: &str) -> bool;

    /// Answers the call on the worker that received it. `body` is the request exactly
    /// as received; `worker` gives access to the routing core (services that answer on
    /// their own ignore it).
    fn call<'a>(
        &'a self,
        ctx: &'a LocalCall,
        body: Bytes,
        worker: Worker<'a>,
    ) -> LocalBoxFuture<'a, LocalReply>;
}

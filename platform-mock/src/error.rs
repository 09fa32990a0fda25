//! Errors of the platform, each with an explicit mapping: routing errors to a VP code and
//! a SOAP 1.1 Fault (HTTP 500), admin errors to an HTTP status and a JSON body.
//!
//! Fault details name the contract, the logical address, the sender's HSA-ID and the
//! producer URL where SKLTP does, and never the message content or a patient id.

use std::net::IpAddr;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use npo_contracts::soap;

use crate::vp::VpCode;

/// Header with the call's correlation id.
pub const CORRELATION_ID_HEADER: &str = "x-skltp-correlation-id";

/// How a call to a producer failed (VP009).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProducerFailure {
    /// No connection (refused, unreachable, DNS, connect timeout).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The TLS handshake failed (certificate not trusted, wrong host, no shared cipher).
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// No complete answer within the contract's timeout.
    #[error("Timeout when waiting on response from producer.")]
    Timeout,
    /// The connection broke while sending or receiving.
    #[error("connection error: {0}")]
    Io(String),
    /// An HTTP error status without a SOAP body.
    #[error("the producer answered HTTP {0} without a SOAP body")]
    HttpStatus(u16),
    /// An empty body.
    #[error("Empty message when server responded with status code: {0}")]
    Empty(u16),
    /// The answer is larger than `producers.max_response_bytes`.
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
}

/// Why the platform answers a call with a VP fault instead of the producer's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// No RIV-TA `LogicalAddress` header (VP001).
    #[error("no RIV-TA LogicalAddress header")]
    NoRivHeader,
    /// No usable HSA-ID in the caller's certificate (VP002).
    #[error("no sender id: {0}")]
    NoSenderId(String),
    /// The `LogicalAddress` is empty (VP003).
    #[error("empty LogicalAddress")]
    EmptyLogicalAddress,
    /// No route (VP004).
    #[error("no route for {contract} to {logical_address:?}")]
    NoRoute {
        /// Contract namespace.
        contract: String,
        /// Logical address as sent.
        logical_address: String,
    },
    /// Several routes (VP006).
    #[error("{count} routes for {contract} to {logical_address:?}")]
    SeveralRoutes {
        /// Contract namespace.
        contract: String,
        /// Logical address as sent.
        logical_address: String,
        /// How many.
        count: usize,
    },
    /// Not authorised (VP007).
    #[error("{sender} not authorised for {contract} to {logical_address:?}")]
    NotAuthorised {
        /// Contract namespace.
        contract: String,
        /// Logical address as sent.
        logical_address: String,
        /// The caller's HSA-ID.
        sender: String,
    },
    /// The producer call failed (VP009).
    #[error("producer at {url}: {failure}")]
    Producer {
        /// The producer URL.
        url: String,
        /// What went wrong.
        failure: ProducerFailure,
    },
    /// The route has no URL (VP010).
    #[error("route for {contract} to {logical_address:?} has no URL")]
    EmptyUrl {
        /// Contract namespace.
        contract: String,
        /// Logical address as sent.
        logical_address: String,
    },
    /// A forwarded certificate from an address that is not a trusted proxy (VP011).
    #[error("forwarded certificate from untrusted address {peer:?}")]
    UntrustedForwarder {
        /// The peer address.
        peer: Option<IpAddr>,
        /// The header that caused the check.
        header: String,
    },
    /// The sender may not set the original-consumer header (VP013).
    #[error("sender may not set x-rivta-original-serviceconsumer-hsaid")]
    OriginalConsumerNotAllowed,
    /// This instance is already in the routing history (VP014).
    #[error("routing loop")]
    RoutingLoop,
    /// The request could not be read (VP015). The reason names no content.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// A tester's fault rule asked for this VP code ([`crate::faults`]).
    #[error("{code} injected by fault rule {rule}")]
    Injected {
        /// The code raised.
        code: VpCode,
        /// The rule's id.
        rule: u64,
    },
}

fn summary(contract: &str, logical_address: &str) -> String {
    format!("serviceNamespace: {contract}, receiverId: {logical_address}")
}

impl RoutingError {
    /// The VP code.
    pub fn code(&self) -> VpCode {
        match self {
            RoutingError::NoRivHeader => VpCode::Vp001,
            RoutingError::NoSenderId(_) => VpCode::Vp002,
            RoutingError::EmptyLogicalAddress => VpCode::Vp003,
            RoutingError::NoRoute { .. } => VpCode::Vp004,
            RoutingError::SeveralRoutes { .. } => VpCode::Vp006,
            RoutingError::NotAuthorised { .. } => VpCode::Vp007,
            RoutingError::Producer { .. } => VpCode::Vp009,
            RoutingError::EmptyUrl { .. } => VpCode::Vp010,
            RoutingError::UntrustedForwarder { .. } => VpCode::Vp011,
            RoutingError::OriginalConsumerNotAllowed => VpCode::Vp013,
            RoutingError::RoutingLoop => VpCode::Vp014,
            RoutingError::Malformed(_) => VpCode::Vp015,
            RoutingError::Injected { code, .. } => *code,
        }
    }

    /// What follows the code's English details text in the fault's `detail`.
    pub fn detail_suffix(&self) -> String {
        match self {
            RoutingError::NoRivHeader => {
                "(the request has no LogicalAddress header in urn:riv:itintegration:registry:1; \
                 only RIVTABP21 is supported)"
                    .into()
            }
            RoutingError::NoSenderId(reason) => reason.clone(),
            RoutingError::EmptyLogicalAddress => String::new(),
            RoutingError::NoRoute {
                contract,
                logical_address,
            } => {
                let mut text = summary(contract, logical_address);
                if logical_address.trim() != logical_address {
                    text.push_str(". Whitespace detected in incoming request!");
                }
                text
            }
            RoutingError::SeveralRoutes {
                contract,
                logical_address,
                ..
            }
            | RoutingError::EmptyUrl {
                contract,
                logical_address,
            } => summary(contract, logical_address),
            RoutingError::NotAuthorised {
                contract,
                logical_address,
                sender,
            } => format!("{}, senderId: {sender}", summary(contract, logical_address)),
            RoutingError::Producer { url, failure } => format!("{url}. {failure}"),
            RoutingError::UntrustedForwarder { peer, header } => format!(
                "IP-address: {}. HTTP header that caused checking: {header}",
                peer.map_or_else(|| "unknown".to_owned(), |p| p.to_string())
            ),
            RoutingError::OriginalConsumerNotAllowed | RoutingError::RoutingLoop => String::new(),
            RoutingError::Malformed(reason) => reason.clone(),
            RoutingError::Injected { rule, .. } => format!("(injected by fault rule {rule})"),
        }
    }

    /// The SOAP Fault response (HTTP 500) from platform `instance_id`, carrying the
    /// call's correlation id.
    pub fn to_response(&self, instance_id: &str, correlation_id: &str) -> HttpResponse {
        let code = self.code();
        let fault = code.fault(instance_id, &self.detail_suffix());
        let mut response = HttpResponse::InternalServerError();
        response.content_type("text/xml; charset=utf-8");
        if let Ok(value) = HeaderValue::from_str(correlation_id) {
            response.insert_header((CORRELATION_ID_HEADER, value));
        }
        response.body(soap::encode_fault(&fault))
    }
}

/// Why an admin request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No or wrong bearer token.
    #[error("a valid bearer token is required")]
    Unauthorised,
    /// No entry with that id.
    #[error("no {0} with that id")]
    NotFound(&'static str),
    /// The request is not acceptable.
    #[error("{0}")]
    BadRequest(String),
    /// Reloading the TAK failed (the previous TAK stays in use).
    #[error("reload failed, the previous TAK stays in use: {0}")]
    Reload(String),
    /// An admin page without valid credentials (asks the browser for Basic auth).
    #[error("the admin token is required (as the Basic auth password)")]
    PageUnauthorised,
    /// An unexpected failure; the cause goes to the log, the body stays generic.
    #[error("internal error")]
    Internal(String),
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            AdminError::Unauthorised => StatusCode::UNAUTHORIZED,
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AdminError::Reload(_) | AdminError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AdminError::PageUnauthorised => StatusCode::UNAUTHORIZED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AdminError::Unauthorised => {
                response.insert_header(("www-authenticate", "Bearer"));
            }
            AdminError::PageUnauthorised => {
                response.insert_header((
                    "www-authenticate",
                    "Basic realm=\"npo-platform admin\", charset=\"UTF-8\"",
                ));
                return response
                    .insert_header((
                        CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; charset=utf-8"),
                    ))
                    .body("Administratörstoken krävs (som lösenord).");
            }
            AdminError::Internal(cause) => tracing::error!(cause, "admin request failed"),
            _ => {}
        }
        response
            .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
            .body(serde_json::json!({ "error": self.to_string() }).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_its_code() {
        let e = RoutingError::NoRoute {
            contract: "urn:x".into(),
            logical_address: " SE1 ".into(),
        };
        assert_eq!(e.code(), VpCode::Vp004);
        assert!(
            e.detail_suffix()
                .ends_with("Whitespace detected in incoming request!")
        );
        let e = RoutingError::NoRoute {
            contract: "urn:x".into(),
            logical_address: "SE1".into(),
        };
        assert!(!e.detail_suffix().contains("Whitespace"));
        let e = RoutingError::Producer {
            url: "https://p/x".into(),
            failure: ProducerFailure::HttpStatus(503),
        };
        assert_eq!(e.code(), VpCode::Vp009);
        assert_eq!(
            e.detail_suffix(),
            "https://p/x. the producer answered HTTP 503 without a SOAP body"
        );
    }
}

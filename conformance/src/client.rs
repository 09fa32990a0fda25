//! The SOAP client: HTTPS with a client certificate (mutual TLS), a timeout per call,
//! and transport failures as readable reasons (never a panic).

use std::path::PathBuf;
use std::time::Duration;

use awc::error::SendRequestError;
use npo_contracts::registry::Contract;

/// Header carrying the original service consumer's HSA-ID.
pub const ORIGINAL_CONSUMER_HEADER: &str = "x-rivta-original-serviceconsumer-hsaid";

/// Largest response read (bytes); the platform's default message limit.
pub const MAX_RESPONSE_BYTES: usize = 15 * 1024 * 1024;

/// The producer to test.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL, `https://host:port` (a path prefix is kept); the contract's
    /// `/<Contract>/<major>/rivtabp21` is appended.
    pub url: String,
    /// Client certificate (PEM).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// The CA that issued the producer's certificate (PEM); only it is trusted.
    pub ca: PathBuf,
    /// Per call (connect + answer).
    pub timeout: Duration,
}

/// Why the runner cannot start at all.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The URL is unusable.
    #[error("--url {url}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The certificate, key or CA cannot be used.
    #[error("client TLS settings: {0}")]
    Tls(#[from] npo_pki::PkiError),
}

/// An HTTPS client for one target.
pub struct Client {
    http: awc::Client,
    base: String,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish()
    }
}

impl Client {
    /// A client presenting `target`'s certificate and trusting only its CA.
    pub fn new(target: &Target) -> Result<Client, SetupError> {
        let url = target.url.trim();
        if !url.starts_with("https://") {
            return Err(SetupError::Url {
                url: url.to_owned(),
                reason: "must start with https:// (producers are called over mutual TLS)",
            });
        }
        if url.contains('?') || url.contains('#') {
            return Err(SetupError::Url {
                url: url.to_owned(),
                reason: "must be a base URL without query or fragment",
            });
        }
        let connector = npo_pki::mtls_connector(&target.cert, &target.key, &target.ca)?;
        let http = awc::Client::builder()
            .connector(
                awc::Connector::new()
                    .openssl(connector)
                    .timeout(target.timeout),
            )
            .timeout(target.timeout)
            .finish();
        Ok(Client {
            http,
            base: url.trim_end_matches('/').to_owned(),
            timeout: target.timeout,
        })
    }

    /// The endpoint URL of `contract`.
    pub fn endpoint(&self, contract: Contract) -> String {
        format!("{}{}", self.base, contract.endpoint_path())
    }

    /// POSTs `envelope` to `contract`'s endpoint; the HTTP status and body, or why
    /// there is none.
    pub async fn call(
        &self,
        contract: Contract,
        envelope: String,
        original_consumer: Option<&str>,
    ) -> Result<(u16, Vec<u8>), String> {
        let url = self.endpoint(contract);
        let mut request = self
            .http
            .post(&url)
            .insert_header(("content-type", "text/xml; charset=utf-8"))
            .insert_header(("SOAPAction", format!("\"{}\"", contract.soap_action())));
        if let Some(consumer) = original_consumer {
            request = request.insert_header((ORIGINAL_CONSUMER_HEADER, consumer));
        }
        let mut response = request.send_body(envelope).await.map_err(|e| match e {
            SendRequestError::Connect(e) => format!("cannot connect to {url}: {e}"),
            SendRequestError::Timeout => {
                format!("no answer from {url} within {} s", self.timeout.as_secs())
            }
            e => format!("request to {url} failed: {e}"),
        })?;
        let status = response.status().as_u16();
        let body = response
            .body()
            .limit(MAX_RESPONSE_BYTES)
            .await
            .map_err(|e| format!("HTTP {status}: cannot read the response body: {e}"))?;
        Ok((status, body.to_vec()))
    }
}

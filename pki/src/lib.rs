//! Test PKI for the NPÖ-style setup, and mutual-TLS helpers for its services.
//!
//! [`init`] creates a CA and one certificate per [`Party`]; every certificate carries the
//! party's HSA-ID in the subject `serialNumber`, is valid for `localhost` and `127.0.0.1` and
//! may be used both as TLS server and client. [`mtls_acceptor`], [`mtls_connector`] and
//! [`peer_identity_on_connect`] wire those certificates into actix-web and awc.
//!
//! ```no_run
//! use std::path::Path;
//!
//! use actix_web::{App, HttpServer, web};
//! use npo_pki::{PeerIdentity, mtls_acceptor, mtls_connector, peer_identity_on_connect};
//!
//! async fn whoami(peer: PeerIdentity) -> String {
//!     peer.hsa_id.unwrap_or_default()
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let pki = Path::new("data/pki"); // written by `npo certs init --dir data/pki`
//! let ca = pki.join(npo_pki::CA_CERT_FILE);
//!
//! // Server: only clients with a certificate from the test CA get in.
//! let tls = mtls_acceptor(pki.join("platform.cert.pem"), pki.join("platform.key.pem"), &ca)?;
//! let server = HttpServer::new(|| App::new().route("/whoami", web::get().to(whoami)))
//!     .on_connect(peer_identity_on_connect)
//!     .bind_openssl(("127.0.0.1", 8443), tls)?
//!     .run();
//!
//! // Client: present the consumer's certificate.
//! let connector = mtls_connector(pki.join("consumer.cert.pem"), pki.join("consumer.key.pem"), &ca)?;
//! let client = awc::Client::builder()
//!     .connector(awc::Connector::new().openssl(connector))
//!     .finish();
//! # let _ = (server, client);
//! # Ok(())
//! # }
//! ```
//!
//! Everything here is for tests and demos only: keys are unencrypted and the HSA-IDs are
//! fictitious.

mod error;
mod generate;
mod manifest;
mod mtls;
mod party;

pub use error::PkiError;
pub use generate::{DEFAULT_VALIDITY_DAYS, InitOptions, KEY_ALGORITHM, init};
pub use manifest::{CA_CERT_FILE, CA_KEY_FILE, CaEntry, MANIFEST_FILE, Manifest, PartyEntry};
pub use mtls::{
    PeerIdentity, hsa_id_from_certificate, load_certificate, load_private_key, mtls_acceptor,
    mtls_connector, peer_identity, peer_identity_on_connect, subject_to_string,
};
pub use party::{
    CONSUMER_HSA_ID, ENGAGEMENT_INDEX_HSA_ID, MUNICIPALITY_ORG_NUMBER, PLATFORM_HSA_ID,
    PLATFORM_ORG_NUMBER, PRODUCER_BVC_HSA_ID, PRODUCER_SCHOOL_HSA_ID, Party, REGION_ORG_NUMBER,
    TESTER_HSA_ID, TESTER_ORG_NUMBER,
};

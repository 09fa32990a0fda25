//! Mutual TLS for the services: acceptor, connector and the caller's identity.

use std::any::Any;
use std::future::{Ready, ready};
use std::path::Path;

use actix_tls::accept::openssl::TlsStream;
use actix_web::dev::{Extensions, Payload};
use actix_web::rt::net::TcpStream;
use actix_web::{FromRequest, HttpRequest};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{
    SslAcceptor, SslAcceptorBuilder, SslConnector, SslMethod, SslVerifyMode, SslVersion,
};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::{X509, X509NameRef, X509Ref, X509VerifyResult};

use crate::PkiError;

/// The verified client certificate of a connection, as seen by the server.
///
/// Inserted into the connection data by [`peer_identity_on_connect`]; read it with
/// [`peer_identity`] or use it as an extractor in a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// HSA-ID from the subject's `serialNumber`, if present.
    pub hsa_id: Option<String>,
    /// The certificate subject, e.g. `C=SE, O=Testkommunen, CN=..., serialNumber=...`.
    pub subject: String,
}

impl PeerIdentity {
    /// Identity of the holder of `cert`.
    pub fn from_certificate(cert: &X509Ref) -> Self {
        Self {
            hsa_id: hsa_id_from_certificate(cert),
            subject: subject_to_string(cert.subject_name()),
        }
    }
}

/// The HSA-ID in a certificate: its subject `serialNumber` (OID 2.5.4.5), trimmed.
///
/// `None` when the attribute is missing, empty, repeated, not valid text or contains control
/// characters.
pub fn hsa_id_from_certificate(cert: &X509Ref) -> Option<String> {
    let mut entries = cert.subject_name().entries_by_nid(Nid::SERIALNUMBER);
    let entry = entries.next()?;
    if entries.next().is_some() {
        return None;
    }
    let text = entry.data().to_string().ok()?;
    let trimmed = text.trim();
    let usable = !trimmed.is_empty() && !trimmed.chars().any(char::is_control);
    usable.then(|| trimmed.to_owned())
}

/// Renders a distinguished name as `SN=value, ...` in certificate order.
pub fn subject_to_string(name: &X509NameRef) -> String {
    name.entries()
        .map(|entry| {
            let key = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_else(|_| "?".to_owned());
            let value: String = value
                .chars()
                .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
                .collect();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a PEM certificate from a file.
pub fn load_certificate(path: &Path) -> Result<X509, PkiError> {
    let pem = std::fs::read(path).map_err(|e| PkiError::io(path, e))?;
    X509::from_pem(&pem).map_err(|source| PkiError::Pem {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a PEM private key (PKCS#8 or traditional) from a file.
pub fn load_private_key(path: &Path) -> Result<PKey<Private>, PkiError> {
    let pem = std::fs::read(path).map_err(|e| PkiError::io(path, e))?;
    PKey::private_key_from_pem(&pem).map_err(|source| PkiError::Pem {
        path: path.to_path_buf(),
        source,
    })
}

/// A certificate store that trusts only the CA in `ca`.
fn trust_only(ca: &X509) -> Result<X509Store, PkiError> {
    let mut store = X509StoreBuilder::new()?;
    store.add_cert(ca.clone())?;
    Ok(store.build())
}

/// TLS server settings that require a client certificate issued by the CA in `ca_pem`.
///
/// TLS 1.2 or later; peers without a certificate, or with one from another CA, fail the
/// handshake. Only the given CA is trusted (not the system store). Pass the result to
/// `HttpServer::bind_openssl`/`listen_openssl` together with
/// `.on_connect(`[`peer_identity_on_connect`]`)`.
pub fn mtls_acceptor(
    cert_pem: impl AsRef<Path>,
    key_pem: impl AsRef<Path>,
    ca_pem: impl AsRef<Path>,
) -> Result<SslAcceptorBuilder, PkiError> {
    let cert = load_certificate(cert_pem.as_ref())?;
    let key = load_private_key(key_pem.as_ref())?;
    let ca = load_certificate(ca_pem.as_ref())?;

    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
    builder.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    builder.set_certificate(&cert)?;
    builder.set_private_key(&key)?;
    builder.check_private_key()?;
    builder.set_cert_store(trust_only(&ca)?);
    builder.add_client_ca(&ca)?;
    builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    builder.set_session_id_context(b"npo-pki-mtls")?;
    Ok(builder)
}

/// TLS client settings presenting `client_cert`/`client_key` and trusting only the CA in `ca`.
///
/// TLS 1.2 or later; the server certificate is verified against `ca` and the host name or
/// IP address being connected to. Use with `awc::Connector::new().openssl(..)`.
pub fn mtls_connector(
    client_cert: impl AsRef<Path>,
    client_key: impl AsRef<Path>,
    ca: impl AsRef<Path>,
) -> Result<SslConnector, PkiError> {
    let cert = load_certificate(client_cert.as_ref())?;
    let key = load_private_key(client_key.as_ref())?;
    let ca = load_certificate(ca.as_ref())?;

    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    builder.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    builder.set_certificate(&cert)?;
    builder.set_private_key(&key)?;
    builder.check_private_key()?;
    builder.set_cert_store(trust_only(&ca)?);
    builder.set_verify(SslVerifyMode::PEER);
    Ok(builder.build())
}

/// `HttpServer::on_connect` hook: stores the verified client certificate's [`PeerIdentity`]
/// in the connection data.
///
/// Does nothing for plain TCP connections, connections without a peer certificate, or when
/// certificate verification did not succeed.
pub fn peer_identity_on_connect(connection: &dyn Any, data: &mut Extensions) {
    let Some(tls) = connection.downcast_ref::<TlsStream<TcpStream>>() else {
        tracing::debug!("connection is not openssl TLS over TCP; no peer identity");
        return;
    };
    let ssl = tls.ssl();
    let Some(cert) = ssl.peer_certificate() else {
        tracing::debug!("TLS connection without a client certificate");
        return;
    };
    if ssl.verify_result() != X509VerifyResult::OK {
        tracing::warn!(
            error = %ssl.verify_result().error_string(),
            "client certificate not verified; ignoring it"
        );
        return;
    }
    let identity = PeerIdentity::from_certificate(&cert);
    tracing::debug!(hsa_id = ?identity.hsa_id, subject = %identity.subject, "mTLS peer");
    data.insert(identity);
}

/// The [`PeerIdentity`] of the connection a request came in on, if any.
pub fn peer_identity(req: &HttpRequest) -> Option<&PeerIdentity> {
    req.conn_data::<PeerIdentity>()
}

/// Extracts the caller's [`PeerIdentity`]; answers 403 Forbidden when there is none.
impl FromRequest for PeerIdentity {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            peer_identity(req)
                .cloned()
                .ok_or_else(|| actix_web::error::ErrorForbidden("client certificate required")),
        )
    }
}

#[cfg(test)]
mod tests {
    use openssl::ec::{EcGroup, EcKey};

    use super::*;
    use crate::generate::{Subject, issue_ca, issue_leaf_with_key};

    fn key() -> PKey<Private> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
    }

    /// A certificate from a fresh CA with the given `serialNumber` attribute (if any).
    fn cert_with(hsa_id: Option<&str>) -> X509 {
        let ca = issue_ca(1).unwrap();
        let subject = Subject {
            common_name: "Skolsköterskans webbapp",
            organization: "Testkommunen",
            hsa_id,
        };
        issue_leaf_with_key(&ca.cert, &ca.key, &key(), &subject, 1).unwrap()
    }

    #[test]
    fn hsa_id_is_the_trimmed_serial_number() {
        let cert = cert_with(Some("  SE2120009994-SK9W "));
        assert_eq!(
            hsa_id_from_certificate(&cert).as_deref(),
            Some("SE2120009994-SK9W")
        );
        let identity = PeerIdentity::from_certificate(&cert);
        assert_eq!(identity.hsa_id.as_deref(), Some("SE2120009994-SK9W"));
        assert_eq!(
            identity.subject,
            "C=SE, O=Testkommunen, CN=Skolsköterskans webbapp, serialNumber=  SE2120009994-SK9W "
        );
    }

    #[test]
    fn missing_or_blank_serial_number_gives_none() {
        assert_eq!(hsa_id_from_certificate(&cert_with(None)), None);
        assert_eq!(hsa_id_from_certificate(&cert_with(Some("   "))), None);
    }
}

//! Black-box test of the mTLS helpers: a real actix-web HTTPS server on port 0, real clients.

// Test helpers outside #[test] functions are not covered by clippy.toml `allow-*-in-tests`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use npo_pki::{
    CA_CERT_FILE, InitOptions, Manifest, PRODUCER_SCHOOL_HSA_ID, PeerIdentity, TESTER_HSA_ID, init,
    mtls_acceptor, mtls_connector, peer_identity_on_connect,
};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};

/// Answers with the caller's HSA-ID as seen from its client certificate.
async fn whoami(peer: PeerIdentity) -> HttpResponse {
    match peer.hsa_id {
        Some(hsa_id) => HttpResponse::Ok().body(hsa_id),
        None => HttpResponse::Forbidden().body("no HSA-ID in client certificate"),
    }
}

struct TestServer {
    addr: SocketAddr,
    handle: actix_web::dev::ServerHandle,
    task: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    fn start(pki: &Path, manifest: &Manifest) -> TestServer {
        let platform = manifest.party("platform").unwrap();
        let acceptor = mtls_acceptor(
            platform.cert_path(pki),
            platform.key_path(pki),
            platform.ca_path(pki),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new(|| App::new().route("/whoami", web::get().to(whoami)))
            .on_connect(peer_identity_on_connect)
            .workers(1)
            .disable_signals()
            .shutdown_timeout(1)
            .listen_openssl(listener, acceptor)
            .unwrap()
            .run();
        let handle = server.handle();
        let task = actix_web::rt::spawn(server);
        TestServer { addr, handle, task }
    }

    async fn stop(self) {
        self.handle.stop(false).await;
        self.task.await.unwrap().unwrap();
    }
}

/// GET /whoami over `connector`; the status and body, or the error text.
async fn call(addr: SocketAddr, connector: SslConnector) -> Result<(u16, String), String> {
    let client = awc::Client::builder()
        .connector(
            awc::Connector::new()
                .openssl(connector)
                .timeout(Duration::from_secs(5)),
        )
        .timeout(Duration::from_secs(10))
        .finish();
    let mut res = client
        .get(format!("https://127.0.0.1:{}/whoami", addr.port()))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body = res.body().await.map_err(|e| e.to_string())?;
    Ok((
        res.status().as_u16(),
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

fn connector_for(pki: &Path, manifest: &Manifest, party: &str, trusted_ca: &Path) -> SslConnector {
    let entry = manifest.party(party).unwrap();
    mtls_connector(entry.cert_path(pki), entry.key_path(pki), trusted_ca).unwrap()
}

#[actix_rt::test]
async fn mtls_server_identifies_clients_and_rejects_strangers() {
    let pki = tempfile::tempdir().unwrap();
    let manifest = init(pki.path(), &InitOptions::default()).unwrap();
    let other_pki = tempfile::tempdir().unwrap();
    let other_manifest = init(other_pki.path(), &InitOptions::default()).unwrap();
    let ca = pki.path().join(CA_CERT_FILE);

    let server = TestServer::start(pki.path(), &manifest);

    // (a) Clients with certificates from our CA get 200 and their own HSA-ID.
    let tester = call(
        server.addr,
        connector_for(pki.path(), &manifest, "tester", &ca),
    )
    .await;
    let producer = call(
        server.addr,
        connector_for(pki.path(), &manifest, "producer-school", &ca),
    )
    .await;

    // (b) A certificate from another CA is rejected. The client trusts our CA, so the
    // failure can only come from the server refusing the client certificate.
    let stranger = call(
        server.addr,
        connector_for(other_pki.path(), &other_manifest, "tester", &ca),
    )
    .await;

    // (c) No client certificate at all is rejected.
    let mut anonymous = SslConnector::builder(SslMethod::tls_client()).unwrap();
    anonymous.set_ca_file(&ca).unwrap();
    anonymous.set_verify(SslVerifyMode::PEER);
    let anonymous = call(server.addr, anonymous.build()).await;

    // Sanity check of the rejection cases: the same client setup, with a valid
    // certificate, does get through.
    let control = call(
        server.addr,
        connector_for(pki.path(), &manifest, "consumer", &ca),
    )
    .await;

    server.stop().await;

    assert_eq!(tester, Ok((200, TESTER_HSA_ID.to_owned())));
    assert_eq!(producer, Ok((200, PRODUCER_SCHOOL_HSA_ID.to_owned())));
    assert_eq!(control, Ok((200, npo_pki::CONSUMER_HSA_ID.to_owned())));
    assert!(
        stranger.is_err(),
        "certificate from another CA was accepted: {stranger:?}"
    );
    assert!(
        anonymous.is_err(),
        "client without certificate was accepted: {anonymous:?}"
    );
    eprintln!("rejected: other CA: {stranger:?}; no certificate: {anonymous:?}");
}

//! Building and running the app: open (and, when asked, migrate) the database, sync
//! the staff directory, bind the browser listener (port 0 allowed), serve.

use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use openssl::ssl::{SslAcceptor, SslAcceptorBuilder, SslMethod, SslVerifyMode, SslVersion};

use crate::config::{BrowserTlsConfig, ConsumerConfig};
use crate::db;
use crate::error::ConsumerError;
use crate::fetch::PlatformClient;
use crate::session::Sessions;
use crate::store;
use crate::web::AppState;

/// A bound, not yet running app.
pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// HTTPS towards the browser; with `client_ca`, a client certificate is asked for
/// (not required: password login stays possible) and verified against that CA.
fn browser_acceptor(tls: &BrowserTlsConfig) -> anyhow::Result<SslAcceptorBuilder> {
    let cert = npo_pki::load_certificate(&tls.cert)?;
    let key = npo_pki::load_private_key(&tls.key)?;
    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
    builder.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    builder.set_certificate(&cert)?;
    builder.set_private_key(&key)?;
    builder.check_private_key()?;
    if let Some(ca_path) = &tls.client_ca {
        let ca = npo_pki::load_certificate(ca_path)?;
        let mut store = openssl::x509::store::X509StoreBuilder::new()?;
        store.add_cert(ca.clone())?;
        builder.set_cert_store(store.build());
        builder.add_client_ca(&ca)?;
        builder.set_verify(SslVerifyMode::PEER);
        builder.set_session_id_context(b"npo-consumer")?;
    }
    Ok(builder)
}

impl Application {
    /// Opens the database (migrating when `database.migrate_on_start`), syncs the
    /// staff table and binds. Call inside an actix system.
    pub fn build(config: ConsumerConfig) -> anyhow::Result<Self> {
        // The BVC programme is data: checked once, here, before anything is served.
        let bvc = Arc::new(config.bvc_programme()?);
        let pool = db::pool(
            &config.database.url,
            config.database.pool_size,
            std::time::Duration::from_secs(5),
        )?;
        {
            let mut conn = pool.get()?;
            if config.database.migrate_on_start {
                let applied = db::run_migrations(&mut conn)?;
                if !applied.is_empty() {
                    tracing::info!(count = applied.len(), "applied database migrations");
                }
            }
            store::sync_staff(&mut conn, &config.staff, chrono::Utc::now().timestamp()).map_err(
                |e| {
                    anyhow::anyhow!(
                        "cannot sync the staff directory (run `npo consumer migrate`?): {e}"
                    )
                },
            )?;
        }
        let config = Arc::new(config);
        let platform = Arc::new(config.platform.clone());
        let connector = npo_pki::mtls_connector(&platform.cert, &platform.key, &platform.ca)?;
        let state = web::Data::new(AppState {
            config: config.clone(),
            pool,
            sessions: Arc::new(Sessions::new(config.session.idle_timeout())),
            secure_cookies: config.server.tls.is_some(),
            bvc,
        });
        let listen = config.server.listen;
        let mut server = HttpServer::new(move || {
            // One platform client (and connection pool) per worker.
            let client = PlatformClient::new(connector.clone(), platform.clone());
            App::new()
                .app_data(state.clone())
                .app_data(web::Data::new(client))
                .app_data(web::FormConfig::default().limit(64 * 1024).error_handler(|_, _| {
                    ConsumerError::BadInput("Formuläret kunde inte läsas.".to_owned()).into()
                }))
                .app_data(web::QueryConfig::default().error_handler(|_, _| {
                    ConsumerError::BadInput("Adressen innehåller felaktiga parametrar.".to_owned())
                        .into()
                }))
                .app_data(web::PathConfig::default().error_handler(|_, _| {
                    ConsumerError::NotFound.into()
                }))
                .wrap(
                    DefaultHeaders::new()
                        .add((
                            "content-security-policy",
                            "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                        ))
                        .add(("x-content-type-options", "nosniff"))
                        .add(("referrer-policy", "no-referrer"))
                        .add(("x-frame-options", "DENY")),
                )
                .wrap(
                    // Path only: query strings (free-text filters) stay out of the log.
                    actix_web::middleware::Logger::new("%{METHOD}xi %U %s %Dms")
                        .custom_request_replace("METHOD", |req| req.method().to_string())
                        .exclude_regex("^/static/")
                        .log_target("npo_consumer::http"),
                )
                .configure(crate::web::config)
                .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ConsumerError::NotFound) }))
        });
        if config.server.workers > 0 {
            server = server.workers(config.server.workers);
        }
        let server = match &config.server.tls {
            Some(tls) => server
                .on_connect(npo_pki::peer_identity_on_connect)
                .bind_openssl(listen, browser_acceptor(tls)?)?,
            None => server.bind(listen)?,
        };
        let port = server
            .addrs()
            .first()
            .map(|a| a.port())
            .unwrap_or(listen.port());
        tracing::info!(%listen, port, tls = config.server.tls.is_some(), "school-nurse app listening");
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    /// The listener's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// The server (for tests that run it in the background).
    pub fn into_server(self) -> Server {
        self.server
    }
}

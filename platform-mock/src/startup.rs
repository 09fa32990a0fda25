//! Building and running the platform: load the TAK, bind the routing listener (HTTPS,
//! client certificate required) and the admin listener (loopback HTTP), report their
//! ports (port 0 allowed), serve.

use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

use crate::admin::{self, AdminState};
use crate::config::{PlatformConfig, Secret};
use crate::local::LocalService;
use crate::routing::{self, ProducerClient, RouterState};
use crate::tak::{Sources, TakStore};

/// The local services the configuration asks for, asked in this order on every call.
///
/// - `[engagement_index]`: the engagement index
///   ([`crate::engagement_index::EngagementIndex`]), its relative paths taken from the
///   configuration file's folder; it presents the platform's certificate to `https://`
///   subscribers.
/// - `[aggregation]`: the aggregating services ([`crate::aggregation::Aggregation`]),
///   searching that engagement index.
pub fn local_services(config: &PlatformConfig) -> anyhow::Result<Vec<Arc<dyn LocalService>>> {
    let mut services: Vec<Arc<dyn LocalService>> = Vec::new();
    let mut index = None;
    if let Some(section) = &config.engagement_index {
        use crate::engagement_index::{EngagementIndex, EngagementIndexConfig};
        let mut ei =
            EngagementIndexConfig::from_parts(&section.logical_address, &section.settings)?;
        if let Some(dir) = &config.config_dir {
            ei.resolve_paths(dir);
        }
        let tls = npo_pki::mtls_connector(&config.tls.cert, &config.tls.key, &config.tls.ca)?;
        let ei = EngagementIndex::open(ei, Some(tls))?;
        services.push(Arc::new(ei.clone()));
        index = Some(ei);
    }
    if let Some(section) = &config.aggregation {
        let index = index.ok_or_else(|| {
            anyhow::anyhow!("[aggregation] needs [engagement_index] in the configuration")
        })?;
        services.push(Arc::new(crate::aggregation::Aggregation::new(
            section.clone(),
            index,
        )));
    }
    Ok(services)
}

/// `on_connect` of the routing listener: `TCP_NODELAY`, then the peer identity. An answer
/// leaves in several writes (head, then the producer's chunks as they stream in); with
/// Nagle's algorithm the second write waits for the consumer's delayed ACK (~40 ms).
fn on_connect(connection: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
    use actix_tls::accept::openssl::TlsStream;
    if let Some(tls) = connection.downcast_ref::<TlsStream<actix_web::rt::net::TcpStream>>()
        && let Err(e) = tls.get_ref().set_nodelay(true)
    {
        tracing::debug!(error = %e, "could not set TCP_NODELAY");
    }
    npo_pki::peer_identity_on_connect(connection, data);
}

/// A bound, not yet running platform.
pub struct Application {
    port: u16,
    admin_port: u16,
    server: Server,
    admin: Server,
    tak: Arc<TakStore>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .field("admin_port", &self.admin_port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Loads the TAK, builds the configured local services and binds both listeners.
    pub fn build(config: PlatformConfig) -> anyhow::Result<Self> {
        let services = local_services(&config)?;
        Self::build_with(config, services)
    }

    /// Like [`build`](Self::build) with the given local services (tests, embedding).
    pub fn build_with(
        config: PlatformConfig,
        local_services: Vec<Arc<dyn LocalService>>,
    ) -> anyhow::Result<Self> {
        let tak = Arc::new(TakStore::load(Sources {
            tak_file: config.tak.file.clone(),
            hsa_file: config.tak.hsa_file.clone(),
        })?);
        let names = local_services
            .iter()
            .map(|s| s.name().to_owned())
            .collect::<Vec<_>>();
        let router = web::Data::new(RouterState::new(&config, tak.clone(), local_services)?);
        let hooks = router.hooks.clone();

        let acceptor = npo_pki::mtls_acceptor(&config.tls.cert, &config.tls.key, &config.tls.ca)?;
        // Towards producers the platform presents its own certificate and trusts the CA.
        let connector = npo_pki::mtls_connector(&config.tls.cert, &config.tls.key, &config.tls.ca)?;
        let connect_timeout = config.producers.connect_timeout();
        let listen = config.server.listen;
        let mut server = HttpServer::new(move || {
            // One client (and connection pool) per worker, reused for every call.
            let client = awc::Client::builder()
                .connector(
                    awc::Connector::new()
                        .openssl(connector.clone())
                        .timeout(connect_timeout)
                        .handshake_timeout(connect_timeout),
                )
                .disable_timeout()
                .disable_redirects()
                .finish();
            // No access-log middleware here: the routing handler writes the one line per
            // call ("call answered" / "call refused" / "producer call failed", with the
            // correlation id, sender, logical address, contract, status and time), so a
            // call costs one formatted line and one write, not two.
            App::new()
                .app_data(router.clone())
                .app_data(web::Data::new(ProducerClient(client)))
                .default_service(web::to(routing::route))
        })
        .on_connect(on_connect);
        if config.server.workers > 0 {
            server = server.workers(config.server.workers);
        }
        let server = server.bind_openssl(listen, acceptor)?;
        let port = server
            .addrs()
            .first()
            .map(|a| a.port())
            .unwrap_or(listen.port());

        let routing_addr = server.addrs().first().copied().unwrap_or(listen);
        let admin_state = web::Data::new(AdminState {
            tak: tak.clone(),
            token: config
                .admin
                .token
                .clone()
                .unwrap_or_else(|| Secret::new(uuid::Uuid::new_v4().to_string())),
            instance_id: config.instance_id.clone(),
            started_at: chrono::Utc::now(),
            local_services: names,
            hooks,
            routing_addr,
        });
        let admin_listen = config.admin.listen;
        if !admin_listen.ip().is_loopback() {
            tracing::warn!(%admin_listen, "admin API (plain HTTP) listens beyond loopback");
        }
        let admin = HttpServer::new(move || {
            App::new()
                .app_data(admin_state.clone())
                .wrap(
                    actix_web::middleware::Logger::new("%r %s %Dms")
                        .log_target("npo_platform::admin"),
                )
                .configure(admin::config)
        })
        .workers(1)
        .bind(admin_listen)?;
        let admin_port = admin
            .addrs()
            .first()
            .map(|a| a.port())
            .unwrap_or(admin_listen.port());
        tracing::info!(
            %listen, port, %admin_listen, admin_port, instance_id = %config.instance_id,
            "platform listening (HTTPS, client certificates required; admin on loopback)"
        );
        Ok(Application {
            port,
            admin_port,
            server: server.run(),
            admin: admin.run(),
            tak,
        })
    }

    /// The routing listener's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The admin listener's port.
    pub fn admin_port(&self) -> u16 {
        self.admin_port
    }

    /// The TAK in use.
    pub fn tak(&self) -> Arc<TakStore> {
        self.tak.clone()
    }

    /// Runs both listeners until stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        futures_util::future::try_join(self.server, self.admin)
            .await
            .map(|_| ())
    }

    /// The routing and admin servers (for tests that run them in the background).
    pub fn into_servers(self) -> (Server, Server) {
        (self.server, self.admin)
    }
}

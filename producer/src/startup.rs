//! Building and running the producer: bind (port 0 allowed), report the port, serve.

use std::sync::Arc;

use actix_web::{App, HttpServer, dev::Server, web};

use crate::admin::AdminState;
use crate::config::ProducerConfig;
use crate::db;
use crate::endpoints::{self, AppState};
use crate::import::ImportOptions;
use crate::outbox::OutboxWorker;
use crate::source::JournalSource;
use crate::store::DieselJournal;

/// Extra routes mounted next to the contract endpoints by
/// [`Application::build_with_extra_routes`] (called once per worker).
pub type ExtraRoutes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A bound, not yet running producer.
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

impl Application {
    /// Opens the database (migrating it when configured), binds the HTTPS listener with
    /// client-certificate verification, mounts the admin API when `[admin]` is
    /// configured, and starts the engagement-index outbox worker when
    /// `[engagement_index]` is (both need the diesel store). Call inside an actix
    /// system (`actix_web::rt::System`), which runs the worker.
    pub fn build(config: ProducerConfig) -> anyhow::Result<Self> {
        Self::build_inner(config, None)
    }

    /// Like [`Application::build`], with `extra` routes mounted in the same server (same
    /// TLS, middleware and workers) after the contract endpoints. For benchmarks and
    /// tests only (e.g. a static-bytes baseline); `npo producer serve` never uses it, so
    /// the production routes are exactly those of `build`.
    pub fn build_with_extra_routes(
        config: ProducerConfig,
        extra: ExtraRoutes,
    ) -> anyhow::Result<Self> {
        Self::build_inner(config, Some(extra))
    }

    fn build_inner(config: ProducerConfig, extra: Option<ExtraRoutes>) -> anyhow::Result<Self> {
        let pool = db::pool(&config.database.url, config.database.pool_size)?;
        if config.database.migrate_on_start {
            let mut conn = pool.get()?;
            let applied = db::run_migrations(&mut conn)?;
            if !applied.is_empty() {
                tracing::info!(count = applied.len(), "applied database migrations");
            }
        }
        let admin = config
            .admin
            .as_ref()
            .map(|admin| AdminState::new(pool.clone(), admin, ImportOptions::from_config(&config)));
        let worker = config
            .engagement_index
            .clone()
            .map(|ei| OutboxWorker::new(pool.clone(), ei, config.tls.clone()));
        let source: Arc<dyn JournalSource> = Arc::new(DieselJournal::new(pool));
        let app = Self::bind(config, source, admin, extra)?;
        if let Some(worker) = worker {
            worker.spawn()?;
        }
        Ok(app)
    }

    /// Binds with another journal implementation (a vendor's own [`JournalSource`]);
    /// without the diesel store there is no admin import and no outbox worker.
    pub fn build_with_source(
        config: ProducerConfig,
        source: Arc<dyn JournalSource>,
    ) -> anyhow::Result<Self> {
        Self::bind(config, source, None, None)
    }

    fn bind(
        config: ProducerConfig,
        source: Arc<dyn JournalSource>,
        admin: Option<AdminState>,
        extra: Option<ExtraRoutes>,
    ) -> anyhow::Result<Self> {
        let acceptor = npo_pki::mtls_acceptor(&config.tls.cert, &config.tls.key, &config.tls.ca)?;
        let listen = config.server.listen;
        let workers = config.server.workers;
        let state = web::Data::new(AppState {
            source,
            config: Arc::new(config),
        });
        let admin = admin.map(web::Data::new);
        let mut server = HttpServer::new(move || {
            let admin = admin.clone();
            let extra = extra.clone();
            App::new()
                .app_data(state.clone())
                .wrap(tracing_actix())
                .configure(move |cfg| {
                    if let Some(admin) = admin {
                        crate::admin::config(cfg, admin);
                    }
                })
                .configure(endpoints::config)
                .configure(move |cfg| {
                    if let Some(extra) = extra {
                        extra(cfg);
                    }
                })
        })
        .on_connect(npo_pki::peer_identity_on_connect)
        // Request/response traffic: without TCP_NODELAY the last segment of a response
        // larger than one segment waits for the caller's delayed ACK (~40 ms on Linux).
        .tcp_nodelay(true);
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.bind_openssl(listen, acceptor)?;
        let port = server
            .addrs()
            .first()
            .map(|a| a.port())
            .unwrap_or(listen.port());
        tracing::info!(%listen, port, "producer listening (HTTPS, client certificates required)");
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    /// The port bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// The server handle (for tests that run it in the background).
    pub fn into_server(self) -> Server {
        self.server
    }
}

fn tracing_actix() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%r %s %Dms").log_target("npo_producer::http")
}

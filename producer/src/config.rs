//! Producer configuration (TOML), validated once at start and passed down.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use npo_contracts::types::HsaId;
use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerConfig {
    /// Where and how to listen.
    pub server: ServerConfig,
    /// TLS material (PEM files).
    pub tls: TlsConfig,
    /// HSA-IDs (certificate serialNumber) allowed to call: the platform's.
    pub allowed_callers: Vec<String>,
    /// Logical addresses (source system HSA-IDs) this producer answers for.
    pub source_systems: Vec<String>,
    /// The journal database.
    pub database: DatabaseConfig,
    /// Per original-consumer restrictions (`x-rivta-original-serviceconsumer-hsaid`).
    #[serde(default)]
    pub consumer_scopes: Vec<ConsumerScopeConfig>,
    /// Registration of engagements in the engagement index through the platform
    /// (absent: changes are queued in the outbox but not sent).
    #[serde(default)]
    pub engagement_index: Option<EngagementIndexConfig>,
    /// The admin API (`POST /admin/import`); absent: disabled.
    #[serde(default)]
    pub admin: Option<AdminConfig>,
}

/// Listener settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to bind, e.g. `127.0.0.1:8443` (port 0: any free port).
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Worker threads (0: one per core).
    #[serde(default)]
    pub workers: usize,
}

fn default_max_body_bytes() -> usize {
    1024 * 1024
}

/// TLS files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The producer's certificate.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// CA whose client certificates are accepted.
    pub ca: PathBuf,
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://...` for PostgreSQL; otherwise a SQLite file path.
    pub url: String,
    /// Largest number of pooled connections.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    /// Run pending migrations when `serve` starts.
    #[serde(default)]
    pub migrate_on_start: bool,
}

fn default_pool_size() -> u32 {
    8
}

/// Restrictions for one original service consumer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerScopeConfig {
    /// The consumer's HSA-ID.
    pub consumer: String,
    /// Only records approved for the patient.
    #[serde(default)]
    pub only_approved_for_patient: bool,
    /// Only records of these care givers (empty: all).
    #[serde(default)]
    pub care_giver_hsa_ids: Vec<String>,
}

/// `[engagement_index]`: where and how the outbox worker sends EI Update.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngagementIndexConfig {
    /// The platform's HTTPS address. With an empty path (`https://host:port`) the
    /// worker posts to `/Update/1/rivtabp21` on it; otherwise to the URL as given.
    pub platform_url: String,
    /// The engagement index's logical address (sent in the LogicalAddress header).
    pub logical_address: String,
    /// This producer's HSA-ID, sent as each engagement's `owner`.
    pub owner: String,
    /// Most engagement transactions per Update call (1–1000).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Longest wait between two attempts for an undelivered row, in seconds.
    #[serde(default = "default_max_backoff_secs")]
    pub max_backoff_secs: u64,
    /// Wait after a row's first failed attempt, in milliseconds; doubled after each
    /// further failure up to `max_backoff_secs`.
    #[serde(default = "default_initial_backoff_ms")]
    pub initial_backoff_ms: u64,
    /// How often an empty outbox is looked at again, in milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Time limit of one Update call (connect, send, answer), in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_batch_size() -> usize {
    500
}

fn default_max_backoff_secs() -> u64 {
    3600
}

fn default_initial_backoff_ms() -> u64 {
    1000
}

fn default_poll_interval_ms() -> u64 {
    1000
}

fn default_timeout_secs() -> u64 {
    30
}

impl EngagementIndexConfig {
    /// The URL the Update calls go to.
    pub fn update_url(&self) -> String {
        let url = self.platform_url.trim_end_matches('/');
        let has_path = url
            .strip_prefix("https://")
            .is_some_and(|rest| rest.contains('/'));
        if has_path {
            url.to_owned()
        } else {
            format!(
                "{url}{}",
                npo_contracts::registry::Contract::Update.endpoint_path()
            )
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        match self.platform_url.parse::<actix_web::http::Uri>() {
            Ok(uri) if uri.scheme_str() == Some("https") && uri.host().is_some() => {}
            _ => {
                return invalid(
                    "engagement_index.platform_url must be an https:// URL of the platform".into(),
                );
            }
        }
        let address = self.logical_address.trim();
        if address.is_empty() || address != self.logical_address {
            return invalid(
                "engagement_index.logical_address must be the index's logical address, without spaces"
                    .into(),
            );
        }
        if let Err(e) = HsaId::parse(&self.owner) {
            return invalid(format!(
                "engagement_index.owner `{}` is not an HSA-ID: {e}",
                self.owner
            ));
        }
        if !(1..=npo_contracts::engagement_index::MAX_TRANSACTIONS).contains(&self.batch_size) {
            return invalid("engagement_index.batch_size must be between 1 and 1000".into());
        }
        if self.max_backoff_secs == 0 || self.initial_backoff_ms == 0 {
            return invalid(
                "engagement_index.max_backoff_secs and initial_backoff_ms must be at least 1"
                    .into(),
            );
        }
        if self.poll_interval_ms == 0 || self.timeout_secs == 0 {
            return invalid(
                "engagement_index.poll_interval_ms and timeout_secs must be at least 1".into(),
            );
        }
        Ok(())
    }
}

/// `[admin]`: the admin API on the HTTPS listener. Callers still need a client
/// certificate of the trusted CA (any HSA-ID), plus `Authorization: Bearer <token>`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// The bearer token (at least 32 characters; keep it out of version control).
    pub token: String,
    /// Largest import document accepted, in bytes.
    #[serde(default = "default_admin_max_body_bytes")]
    pub max_body_bytes: usize,
}

fn default_admin_max_body_bytes() -> usize {
    64 * 1024 * 1024
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminConfig")
            .field("token", &"<redacted>")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl AdminConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.token.chars().count() < 32 || self.token.trim() != self.token {
            return Err(ConfigError::Invalid(
                "admin.token must be at least 32 characters, without surrounding spaces".into(),
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "admin.max_body_bytes must be at least 1024".into(),
            ));
        }
        Ok(())
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid configuration {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<toml::de::Error>,
    },
    /// A value is not acceptable.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl ProducerConfig {
    /// Reads and validates a configuration file; relative paths in it are taken
    /// relative to the file's folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: ProducerConfig =
            toml::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.to_owned(),
                source: Box::new(source),
            })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        config.validate()?;
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        for file in [&mut self.tls.cert, &mut self.tls.key, &mut self.tls.ca] {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        if crate::db::Backend::of(&self.database.url) == crate::db::Backend::Sqlite {
            let path = Path::new(
                self.database
                    .url
                    .strip_prefix("sqlite://")
                    .unwrap_or(&self.database.url),
            );
            if path.is_relative() && self.database.url != ":memory:" {
                self.database.url = base.join(path).to_string_lossy().into_owned();
            }
        }
    }

    /// Checks every value that can be checked without connecting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.source_systems.is_empty() {
            return invalid("source_systems must list at least one logical address".into());
        }
        if self.allowed_callers.is_empty() {
            return invalid("allowed_callers must list the platform's HSA-ID".into());
        }
        let ids = self
            .source_systems
            .iter()
            .chain(&self.allowed_callers)
            .chain(self.consumer_scopes.iter().map(|s| &s.consumer))
            .chain(
                self.consumer_scopes
                    .iter()
                    .flat_map(|s| &s.care_giver_hsa_ids),
            );
        for id in ids {
            if let Err(e) = HsaId::parse(id) {
                return invalid(format!("`{id}` is not an HSA-ID: {e}"));
            }
        }
        for file in [&self.tls.cert, &self.tls.key, &self.tls.ca] {
            if !file.is_file() {
                return invalid(format!("TLS file {} does not exist", file.display()));
            }
        }
        if self.server.max_body_bytes < 1024 {
            return invalid("server.max_body_bytes must be at least 1024".into());
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size must be at least 1".into());
        }
        if let Some(ei) = &self.engagement_index {
            ei.validate()?;
        }
        if let Some(admin) = &self.admin {
            admin.validate()?;
        }
        Ok(())
    }

    /// Whether `logical_address` is one of the source systems served (case-insensitive).
    pub fn serves(&self, logical_address: &str) -> Option<&str> {
        self.source_systems
            .iter()
            .find(|s| s.eq_ignore_ascii_case(logical_address))
            .map(String::as_str)
    }

    /// Whether a caller's HSA-ID may call.
    pub fn allows_caller(&self, hsa_id: &str) -> bool {
        self.allowed_callers
            .iter()
            .any(|c| c.eq_ignore_ascii_case(hsa_id))
    }

    /// The restrictions for an original consumer, if any are configured.
    pub fn consumer_scope(&self, consumer: &str) -> Option<crate::source::ConsumerScope> {
        self.consumer_scopes
            .iter()
            .find(|s| s.consumer.eq_ignore_ascii_case(consumer))
            .map(|s| crate::source::ConsumerScope {
                consumer_hsa_id: s.consumer.clone(),
                only_approved_for_patient: s.only_approved_for_patient,
                care_giver_hsa_ids: s.care_giver_hsa_ids.clone(),
            })
    }
}

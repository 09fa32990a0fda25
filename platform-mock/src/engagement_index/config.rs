//! The `[engagement_index]` configuration section, validated once at start.

use std::path::Path;

use npo_contracts::types::HsaId;
use serde::Deserialize;

use crate::db::Backend;

/// Default logical address (and owner HSA-ID) of the index: the test PKI's engagement
/// index party.
pub const DEFAULT_LOGICAL_ADDRESS: &str = npo_pki::ENGAGEMENT_INDEX_HSA_ID;

/// The engagement index's settings. Every field has a default, so an empty
/// `[engagement_index]` section (or none) gives a working index on a SQLite file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngagementIndexConfig {
    /// The index's own HSA-ID: the logical address Update must be sent to (rule R7,
    /// else EI003) and the `owner` written into every engagement it registers (R6).
    #[serde(default = "default_logical_address")]
    pub logical_address: String,
    /// Further logical addresses Update accepts (the real index's
    /// `ei.alternative.hsa.id`). Owner is still [`Self::logical_address`].
    #[serde(default)]
    pub alternative_logical_addresses: Vec<String>,
    /// HSA-IDs that may not appear as an engagement's `logicalAddress` (EI005) or
    /// `sourceSystem` (EI006), so that no aggregating service is tricked into calling
    /// itself. The index's own addresses are always reserved; the default adds the
    /// test PKI's platform HSA-ID (the real index reserves its own and the VP's).
    #[serde(default = "default_reserved_hsa_ids")]
    pub reserved_hsa_ids: Vec<String>,
    /// `postgres://...` for PostgreSQL; otherwise a SQLite file path (relative paths
    /// are taken relative to the configuration file, see [`Self::resolve_paths`]).
    #[serde(default = "default_database_url")]
    pub database_url: String,
    /// Largest number of pooled database connections.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    /// How long a call waits for a database connection, and (SQLite) for a lock held
    /// by another connection or process, before it fails with EI000 (a write tries
    /// three times before it gives up).
    #[serde(default = "default_database_timeout_ms")]
    pub database_timeout_ms: u64,
    /// Run pending migrations when the index opens (else `migrate` must have run).
    #[serde(default = "default_true")]
    pub migrate_on_start: bool,
    /// Who receives ProcessNotification after a change.
    #[serde(default)]
    pub subscribers: Vec<SubscriberConfig>,
    /// Delivery of notifications (retries, timeouts).
    #[serde(default)]
    pub notification: NotificationConfig,
}

/// One subscriber of ProcessNotification (typically another engagement index).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberConfig {
    /// The subscriber's logical address (sent in the `LogicalAddress` header).
    pub logical_address: String,
    /// Where to POST the notification (`http://` or `https://`; HTTPS uses the client
    /// certificate handed to [`super::EngagementIndex::open`]).
    pub url: String,
    /// Only engagements matching one of these filters (none: every engagement), like
    /// the real index's per-subscriber filters from the service catalogue.
    #[serde(default)]
    pub filters: Vec<SubscriberFilter>,
}

/// A subscriber filter: a service domain, optionally narrowed to categorizations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberFilter {
    /// `serviceDomain`, compared ignoring ASCII case.
    pub service_domain: String,
    /// `categorization` values (empty: all of the domain), compared ignoring ASCII case.
    #[serde(default)]
    pub categorizations: Vec<String>,
}

impl SubscriberFilter {
    /// Whether an engagement of `service_domain`/`categorization` passes.
    pub fn admits(&self, service_domain: &str, categorization: &str) -> bool {
        self.service_domain.eq_ignore_ascii_case(service_domain)
            && (self.categorizations.is_empty()
                || self
                    .categorizations
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(categorization)))
    }
}

impl SubscriberConfig {
    /// Whether an engagement passes this subscriber's filters.
    pub fn admits(&self, service_domain: &str, categorization: &str) -> bool {
        self.filters.is_empty()
            || self
                .filters
                .iter()
                .any(|f| f.admits(service_domain, categorization))
    }
}

/// Delivery settings for notifications.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationConfig {
    /// Attempts per message before it is marked failed (kept in the outbox table).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Delay before the first retry; doubled per attempt, at most 10 minutes.
    #[serde(default = "default_retry_delay_ms")]
    pub retry_delay_ms: u64,
    /// Time allowed for one delivery (connect + answer).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl Default for NotificationConfig {
    fn default() -> Self {
        NotificationConfig {
            max_attempts: default_max_attempts(),
            retry_delay_ms: default_retry_delay_ms(),
            timeout_ms: default_timeout_ms(),
        }
    }
}

impl Default for EngagementIndexConfig {
    fn default() -> Self {
        EngagementIndexConfig {
            logical_address: default_logical_address(),
            alternative_logical_addresses: Vec::new(),
            reserved_hsa_ids: default_reserved_hsa_ids(),
            database_url: default_database_url(),
            pool_size: default_pool_size(),
            database_timeout_ms: default_database_timeout_ms(),
            migrate_on_start: true,
            subscribers: Vec::new(),
            notification: NotificationConfig::default(),
        }
    }
}

fn default_logical_address() -> String {
    DEFAULT_LOGICAL_ADDRESS.to_owned()
}

fn default_reserved_hsa_ids() -> Vec<String> {
    vec![npo_pki::PLATFORM_HSA_ID.to_owned()]
}

fn default_database_url() -> String {
    "engagement-index.sqlite".to_owned()
}

fn default_pool_size() -> u32 {
    4
}

fn default_database_timeout_ms() -> u64 {
    5_000
}

fn default_true() -> bool {
    true
}

fn default_max_attempts() -> u32 {
    5
}

fn default_retry_delay_ms() -> u64 {
    1000
}

fn default_timeout_ms() -> u64 {
    10_000
}

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid [engagement_index] configuration: {0}")]
pub struct EngagementIndexConfigError(pub String);

impl EngagementIndexConfig {
    /// Reads the `[engagement_index]` section from its TOML table (unknown keys are
    /// refused); call [`Self::resolve_paths`] and [`Self::validate`] afterwards.
    pub fn from_table(table: toml::Table) -> Result<Self, EngagementIndexConfigError> {
        table
            .try_into()
            .map_err(|e: toml::de::Error| EngagementIndexConfigError(e.message().to_owned()))
    }

    /// The same, from the platform configuration's view of the section: its
    /// `logical_address` and the other keys.
    pub fn from_parts(
        logical_address: &str,
        settings: &toml::Table,
    ) -> Result<Self, EngagementIndexConfigError> {
        let mut table = settings.clone();
        table.insert(
            "logical_address".to_owned(),
            toml::Value::String(logical_address.to_owned()),
        );
        Self::from_table(table)
    }

    /// Makes a relative SQLite path relative to `base` (the configuration file's folder).
    pub fn resolve_paths(&mut self, base: &Path) {
        if Backend::of(&self.database_url) == Backend::Sqlite {
            let path = Path::new(
                self.database_url
                    .strip_prefix("sqlite://")
                    .unwrap_or(&self.database_url),
            );
            if path.is_relative() && self.database_url != ":memory:" {
                self.database_url = base.join(path).to_string_lossy().into_owned();
            }
        }
    }

    /// Checks every value that can be checked without connecting.
    pub fn validate(&self) -> Result<(), EngagementIndexConfigError> {
        let invalid = |m: String| Err(EngagementIndexConfigError(m));
        let ids = std::iter::once(&self.logical_address)
            .chain(&self.alternative_logical_addresses)
            .chain(&self.reserved_hsa_ids)
            .chain(self.subscribers.iter().map(|s| &s.logical_address));
        for id in ids {
            if let Err(e) = HsaId::parse(id) {
                return invalid(format!("`{id}` is not an HSA-ID: {e}"));
            }
        }
        if self.database_url.trim().is_empty() {
            return invalid("database_url is empty".into());
        }
        if self.database_url == ":memory:" {
            return invalid(
                "database_url `:memory:` would give each pooled connection its own database; \
                 use a file"
                    .into(),
            );
        }
        if self.pool_size == 0 {
            return invalid("pool_size must be at least 1".into());
        }
        for s in &self.subscribers {
            if !(s.url.starts_with("http://") || s.url.starts_with("https://")) {
                return invalid(format!(
                    "subscriber {}: url must start with http:// or https://",
                    s.logical_address
                ));
            }
            if s.filters.iter().any(|f| f.service_domain.trim().is_empty()) {
                return invalid(format!(
                    "subscriber {}: a filter has an empty service_domain",
                    s.logical_address
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for s in &self.subscribers {
            if !seen.insert(s.logical_address.to_ascii_lowercase()) {
                return invalid(format!("subscriber {} is listed twice", s.logical_address));
            }
        }
        if self.database_timeout_ms == 0 {
            return invalid("database_timeout_ms must be at least 1".into());
        }
        if self.notification.max_attempts == 0 {
            return invalid("notification.max_attempts must be at least 1".into());
        }
        if self.notification.timeout_ms == 0 {
            return invalid("notification.timeout_ms must be at least 1".into());
        }
        Ok(())
    }

    /// Whether Update may be addressed to `logical_address` (R7: exact comparison, as
    /// the real index does).
    pub fn accepts_logical_address(&self, logical_address: &str) -> bool {
        logical_address == self.logical_address
            || self
                .alternative_logical_addresses
                .iter()
                .any(|a| a == logical_address)
    }

    /// Whether an HSA-ID is reserved (the index's own addresses and
    /// [`Self::reserved_hsa_ids`]; ignoring ASCII case).
    pub fn is_reserved(&self, hsa_id: &str) -> bool {
        std::iter::once(&self.logical_address)
            .chain(&self.alternative_logical_addresses)
            .chain(&self.reserved_hsa_ids)
            .any(|r| r.eq_ignore_ascii_case(hsa_id))
    }

    /// The subscriber with this logical address.
    pub fn subscriber(&self, logical_address: &str) -> Option<&SubscriberConfig> {
        self.subscribers
            .iter()
            .find(|s| s.logical_address.eq_ignore_ascii_case(logical_address))
    }
}

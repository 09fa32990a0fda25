//! Consumer configuration (TOML), validated once at start and passed down.
//!
//! Relative paths are taken relative to the configuration file's folder. An annotated
//! example is `config/consumer.toml`; every option is described in `consumer/README.md`.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use npo_contracts::types::HsaId;
use serde::Deserialize;

use crate::info::InfoType;
use crate::window::Span;

/// The aggregating services' logical address (national aggregation).
pub const DEFAULT_AGGREGATION_ADDRESS: &str = "5565594230";

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerConfig {
    /// The browser-facing listener.
    pub server: ServerConfig,
    /// How the app calls the platform's aggregating services.
    pub platform: PlatformConfig,
    /// The app's own database (PDL registrations and the access log).
    #[serde(default)]
    pub database: DatabaseConfig,
    /// Sessions and logins.
    #[serde(default)]
    pub session: SessionConfig,
    /// Which login modes are offered.
    #[serde(default)]
    pub login: LoginConfig,
    /// Emergency access (nödåtkomst).
    #[serde(default)]
    pub emergency: EmergencyConfig,
    /// Known care givers and care units: names for display and unit kinds for views.
    #[serde(default)]
    pub units: Vec<UnitConfig>,
    /// The staff directory.
    pub staff: Vec<StaffConfig>,
    /// Time window per information type.
    #[serde(default)]
    pub time_window: TimeWindowConfig,
    /// Rule-based views.
    #[serde(default)]
    pub views: Vec<ViewConfig>,
    /// BVC page settings.
    #[serde(default)]
    pub bvc: BvcConfig,
}

/// Browser-side listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to bind (port 0: any free port).
    pub listen: SocketAddr,
    /// Worker threads (0: one per core).
    #[serde(default)]
    pub workers: usize,
    /// HTTPS towards the browser (optional; without it cookies are not `Secure`).
    #[serde(default)]
    pub tls: Option<BrowserTlsConfig>,
}

/// HTTPS towards the browser.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserTlsConfig {
    /// Server certificate (PEM).
    pub cert: PathBuf,
    /// Its key (PEM).
    pub key: PathBuf,
    /// CA of staff client certificates (SITHS-style login); when set, the server asks
    /// the browser for a certificate (optional at TLS level).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

/// Calls to the platform.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// Base URL of the platform, e.g. `https://localhost:9443/vp`; the contract's
    /// endpoint path (`/GetDiagnosis/2/rivtabp21`) is appended.
    pub url: String,
    /// LogicalAddress of the aggregating services.
    #[serde(default = "default_aggregation_address")]
    pub logical_address: String,
    /// The consumer system's HSA-ID, sent as `x-rivta-original-serviceconsumer-hsaid`.
    pub consumer_hsa_id: String,
    /// The consumer's function certificate (PEM).
    pub cert: PathBuf,
    /// Its key (PEM).
    pub key: PathBuf,
    /// The CA the platform's certificate must chain to.
    pub ca: PathBuf,
    /// Timeout of one call, in milliseconds (the aggregation itself waits 28 s).
    #[serde(default = "default_platform_timeout_ms")]
    pub timeout_ms: u64,
    /// `interactionAgreementId` sent in GetObservations (a version 4 UUID).
    #[serde(default = "default_interaction_agreement")]
    pub interaction_agreement_id: String,
}

fn default_aggregation_address() -> String {
    DEFAULT_AGGREGATION_ADDRESS.to_owned()
}

fn default_platform_timeout_ms() -> u64 {
    30_000
}

fn default_interaction_agreement() -> String {
    "8f1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b".to_owned()
}

impl PlatformConfig {
    /// The call timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// A SQLite file path (default) or a `postgres://` URL.
    #[serde(default = "default_database_url")]
    pub url: String,
    /// Run pending migrations when `serve` starts.
    #[serde(default)]
    pub migrate_on_start: bool,
    /// Largest number of pooled connections.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: default_database_url(),
            migrate_on_start: false,
            pool_size: default_pool_size(),
        }
    }
}

fn default_database_url() -> String {
    "consumer.sqlite".to_owned()
}

fn default_pool_size() -> u32 {
    4
}

/// Session settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// A session unused this long is ended (seconds).
    #[serde(default = "default_idle_seconds")]
    pub idle_timeout_seconds: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_timeout_seconds: default_idle_seconds(),
        }
    }
}

fn default_idle_seconds() -> u64 {
    15 * 60
}

impl SessionConfig {
    /// The idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_seconds)
    }
}

/// Login modes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginConfig {
    /// Username and password from the directory (argon2 hashes).
    #[serde(default = "yes")]
    pub password: bool,
    /// Client certificate (SITHS-style): HSA-ID from the certificate `serialNumber`.
    /// Needs `[server.tls]` with `client_ca`.
    #[serde(default)]
    pub certificate: bool,
}

fn yes() -> bool {
    true
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            password: true,
            certificate: false,
        }
    }
}

/// Emergency access settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyConfig {
    /// How long an emergency access lasts (minutes).
    #[serde(default = "default_emergency_minutes")]
    pub duration_minutes: u32,
}

fn default_emergency_minutes() -> u32 {
    120
}

impl Default for EmergencyConfig {
    fn default() -> Self {
        EmergencyConfig {
            duration_minutes: default_emergency_minutes(),
        }
    }
}

/// A care giver or care unit known by name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitConfig {
    /// HSA-ID.
    pub hsa_id: String,
    /// Display name.
    pub name: String,
    /// Kind, used by views, e.g. `bvc`, `elevhalsa`, `vardcentral`.
    #[serde(default)]
    pub kind: Option<String>,
}

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// School nurse.
    Skolskoterska,
    /// School doctor.
    Skolakare,
    /// Log follow-up / administrator: reads the access log, never patient data.
    Logguppfoljare,
}

impl Role {
    /// Stable name (database, log).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Skolskoterska => "skolskoterska",
            Role::Skolakare => "skolakare",
            Role::Logguppfoljare => "logguppfoljare",
        }
    }

    /// Swedish display name.
    pub fn label(self) -> &'static str {
        match self {
            Role::Skolskoterska => "Skolsköterska",
            Role::Skolakare => "Skolläkare",
            Role::Logguppfoljare => "Logguppföljare",
        }
    }

    /// Whether the role works in care (may see patient data).
    pub fn is_care(self) -> bool {
        matches!(self, Role::Skolskoterska | Role::Skolakare)
    }
}

/// The purpose of a commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Care and treatment: the only purpose that gives access to patient data.
    VardOchBehandling,
    /// Follow-up of the access log.
    Uppfoljning,
}

impl Purpose {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VardOchBehandling => "vard_och_behandling",
            Purpose::Uppfoljning => "uppfoljning",
        }
    }

    /// Swedish display name.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::VardOchBehandling => "Vård och behandling",
            Purpose::Uppfoljning => "Uppföljning",
        }
    }
}

/// A member of staff.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffConfig {
    /// Personal HSA-ID (also the certificate `serialNumber` for certificate login).
    pub hsa_id: String,
    /// Login name for password login.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Argon2 PHC hash of the password (`npo consumer hash-password`); without it the
    /// person can only log in with a certificate.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// Medarbetaruppdrag.
    pub commissions: Vec<CommissionConfig>,
}

/// A medarbetaruppdrag.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CommissionConfig {
    /// Care giver HSA-ID.
    pub care_giver: String,
    /// Care unit HSA-ID.
    pub care_unit: String,
    /// Purpose.
    pub purpose: Purpose,
}

/// Time-window policy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowConfig {
    /// Policies per type; types not listed get the built-in defaults (current year and
    /// three years back; maximum the same, except for the BVC types, whose maximum
    /// reaches back to birth).
    #[serde(default)]
    pub types: BTreeMap<InfoType, TypeWindowConfig>,
}

/// Policy for one information type.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeWindowConfig {
    /// The window a page opens with.
    #[serde(default)]
    pub default: Option<Span>,
    /// How far back the user may widen it.
    #[serde(default)]
    pub max: Option<Span>,
}

impl TimeWindowConfig {
    /// The default and maximum span of `kind`.
    pub fn policy(&self, kind: InfoType) -> (Span, Span) {
        let entry = self.types.get(&kind);
        let default = entry.and_then(|e| e.default).unwrap_or(Span::YearsBack(3));
        let builtin_max = if kind.is_bvc() {
            Span::FromBirth
        } else {
            Span::YearsBack(3)
        };
        let max = entry.and_then(|e| e.max).unwrap_or(builtin_max);
        (default, max)
    }
}

/// A rule-based view.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewConfig {
    /// URL name (`/elev/{handle}/vy/{slug}`): lower-case letters, digits, `-`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Information types shown.
    pub types: Vec<InfoType>,
    /// Only records whose code starts with one of these (empty: all).
    #[serde(default)]
    pub code_prefixes: Vec<String>,
    /// Only records from care units of these kinds (see `[[units]]`; empty: all).
    #[serde(default)]
    pub unit_kinds: Vec<String>,
    /// The window the view opens with (clamped to each type's maximum).
    #[serde(default)]
    pub window: Option<Span>,
    /// Only ongoing medication (no end of treatment, or an end in the future).
    #[serde(default)]
    pub current_only: bool,
}

/// The BVC page (`[bvc]`): the programme the summary is measured against and which
/// care units count as child health care.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BvcConfig {
    /// A programme file (vaccination programme, basprogram, growth measures, child-health
    /// markers) instead of the embedded `config/bvc-programme.toml`; relative to the
    /// configuration file's folder. Loaded and checked once, at start.
    #[serde(default)]
    pub programme_file: Option<PathBuf>,
    /// Kinds of `[[units]]` that are child health care: their notes are BVC notes and
    /// their visits count for the basprogram, besides the programme's name markers.
    #[serde(default = "default_bvc_kinds")]
    pub unit_kinds: Vec<String>,
}

fn default_bvc_kinds() -> Vec<String> {
    vec!["bvc".to_owned()]
}

impl Default for BvcConfig {
    fn default() -> Self {
        BvcConfig {
            programme_file: None,
            unit_kinds: default_bvc_kinds(),
        }
    }
}

impl ConsumerConfig {
    /// The BVC programme named by `[bvc]`, validated, with the configured units of the
    /// `[bvc] unit_kinds` kinds marked as child health care.
    pub fn bvc_programme(&self) -> Result<crate::bvc::BvcProgramme, ConfigError> {
        let mut programme = crate::bvc::BvcProgramme::load(self.bvc.programme_file.as_deref())
            .map_err(|e| invalid(format!("bvc.programme_file: {e}")))?;
        programme.child_health.unit_hsa_ids = self
            .units
            .iter()
            .filter(|u| {
                u.kind
                    .as_deref()
                    .is_some_and(|k| self.bvc.unit_kinds.iter().any(|b| b == k))
            })
            .map(|u| u.hsa_id.clone())
            .collect();
        Ok(programme)
    }
}

/// Why the configuration cannot be used.
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
    /// The TOML is wrong.
    #[error("cannot parse {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<toml::de::Error>,
    },
    /// A value is wrong.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid(message.into())
}

impl ConsumerConfig {
    /// Reads, resolves relative paths against the file's folder, and validates.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::parse(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        config.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML text (no path resolution, no validation).
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Makes relative paths relative to `base` (the SQLite file too).
    pub fn resolve_paths(&mut self, base: &Path) {
        let mut files = vec![
            &mut self.platform.cert,
            &mut self.platform.key,
            &mut self.platform.ca,
        ];
        if let Some(tls) = &mut self.server.tls {
            files.push(&mut tls.cert);
            files.push(&mut tls.key);
            if let Some(ca) = &mut tls.client_ca {
                files.push(ca);
            }
        }
        if let Some(programme) = &mut self.bvc.programme_file {
            files.push(programme);
        }
        for file in files {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        let url = &self.database.url;
        if crate::db::Backend::of(url) == crate::db::Backend::Sqlite {
            let path = Path::new(url.strip_prefix("sqlite://").unwrap_or(url));
            if path.is_relative() && url != ":memory:" {
                self.database.url = base.join(path).to_string_lossy().into_owned();
            }
        }
    }

    /// Checks every value that can be checked without I/O.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let platform = &self.platform;
        if !(platform.url.starts_with("https://")) {
            return Err(invalid(
                "platform.url must be an https:// URL (the platform requires mutual TLS)",
            ));
        }
        if platform.logical_address.trim().is_empty()
            || platform.logical_address.trim() != platform.logical_address
        {
            return Err(invalid(
                "platform.logical_address must be non-empty without surrounding spaces",
            ));
        }
        HsaId::parse(&platform.consumer_hsa_id)
            .map_err(|e| invalid(format!("platform.consumer_hsa_id: {e}")))?;
        if platform.timeout_ms == 0 {
            return Err(invalid("platform.timeout_ms must be above 0"));
        }
        if npo_contracts::healthcond_basic::Uuid::parse(&platform.interaction_agreement_id)
            .is_none()
        {
            return Err(invalid(
                "platform.interaction_agreement_id must be a version 4 UUID",
            ));
        }
        if self.database.pool_size == 0 {
            return Err(invalid("database.pool_size must be at least 1"));
        }
        if self.session.idle_timeout_seconds == 0 {
            return Err(invalid("session.idle_timeout_seconds must be above 0"));
        }
        if self.emergency.duration_minutes == 0 {
            return Err(invalid("emergency.duration_minutes must be above 0"));
        }
        if !self.login.password && !self.login.certificate {
            return Err(invalid("login: enable password or certificate login"));
        }
        if self.login.certificate
            && self
                .server
                .tls
                .as_ref()
                .and_then(|t| t.client_ca.as_ref())
                .is_none()
        {
            return Err(invalid(
                "login.certificate needs [server.tls] with client_ca (the CA of staff certificates)",
            ));
        }
        let mut units = HashSet::new();
        for unit in &self.units {
            HsaId::parse(&unit.hsa_id).map_err(|e| invalid(format!("units: {e}")))?;
            if !units.insert(unit.hsa_id.to_ascii_lowercase()) {
                return Err(invalid(format!("units: {} listed twice", unit.hsa_id)));
            }
        }
        if self.staff.is_empty() {
            return Err(invalid("staff: the directory is empty"));
        }
        let (mut ids, mut names) = (HashSet::new(), HashSet::new());
        for person in &self.staff {
            HsaId::parse(&person.hsa_id)
                .map_err(|e| invalid(format!("staff {}: {e}", person.username)))?;
            if !ids.insert(person.hsa_id.to_ascii_lowercase()) {
                return Err(invalid(format!("staff: HSA-ID {} twice", person.hsa_id)));
            }
            if person.username.trim().is_empty() || !names.insert(person.username.clone()) {
                return Err(invalid(format!(
                    "staff: username {:?} empty or twice",
                    person.username
                )));
            }
            if person.name.trim().is_empty() {
                return Err(invalid(format!("staff {}: name is empty", person.username)));
            }
            if let Some(hash) = &person.password_hash {
                let parsed = argon2::PasswordHash::new(hash).map_err(|e| {
                    invalid(format!(
                        "staff {}: password_hash is not a PHC string: {e}",
                        person.username
                    ))
                })?;
                argon2::Algorithm::try_from(parsed.algorithm).map_err(|_| {
                    invalid(format!(
                        "staff {}: password_hash is not an argon2 hash",
                        person.username
                    ))
                })?;
            }
            if person.commissions.is_empty() {
                return Err(invalid(format!(
                    "staff {}: at least one commission (medarbetaruppdrag) is needed",
                    person.username
                )));
            }
            for commission in &person.commissions {
                for id in [&commission.care_giver, &commission.care_unit] {
                    HsaId::parse(id).map_err(|e| {
                        invalid(format!("staff {} commission: {e}", person.username))
                    })?;
                }
            }
        }
        for kind in self.time_window.types.keys() {
            let (default, max) = self.time_window.policy(*kind);
            if default.reaches_further_than(max) {
                return Err(invalid(format!(
                    "time_window.types.{}: default reaches further back than max",
                    kind.slug()
                )));
            }
        }
        let mut slugs = HashSet::new();
        for view in &self.views {
            let slug_ok = !view.slug.is_empty()
                && view
                    .slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !slug_ok || !slugs.insert(view.slug.clone()) {
                return Err(invalid(format!(
                    "views: slug {:?} must be unique, lower-case letters, digits and '-'",
                    view.slug
                )));
            }
            if view.types.is_empty() {
                return Err(invalid(format!("views.{}: no types", view.slug)));
            }
        }
        if self.bvc.unit_kinds.iter().any(|k| k.trim().is_empty()) {
            return Err(invalid("bvc.unit_kinds: a kind is empty"));
        }
        Ok(())
    }

    /// The staff member with this login name.
    pub fn staff_by_username(&self, username: &str) -> Option<&StaffConfig> {
        self.staff.iter().find(|s| s.username == username)
    }

    /// The staff member with this HSA-ID (case-insensitive).
    pub fn staff_by_hsa_id(&self, hsa_id: &str) -> Option<&StaffConfig> {
        self.staff
            .iter()
            .find(|s| s.hsa_id.eq_ignore_ascii_case(hsa_id))
    }

    /// The configured unit with this HSA-ID.
    pub fn unit(&self, hsa_id: &str) -> Option<&UnitConfig> {
        self.units
            .iter()
            .find(|u| u.hsa_id.eq_ignore_ascii_case(hsa_id))
    }

    /// A display name for an HSA-ID: the configured name, else the id.
    pub fn unit_name(&self, hsa_id: &str) -> String {
        self.unit(hsa_id)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| hsa_id.to_owned())
    }

    /// The view with this slug.
    pub fn view(&self, slug: &str) -> Option<&ViewConfig> {
        self.views.iter().find(|v| v.slug == slug)
    }
}

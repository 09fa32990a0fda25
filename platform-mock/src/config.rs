//! Platform configuration (TOML), validated once at start and passed down.
//!
//! Relative paths are taken relative to the configuration file's folder. The admin token
//! may come from the environment (`NPO_PLATFORM_ADMIN_TOKEN`, which wins over the file).
//! An annotated example is in `platform-mock/README.md`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use npo_contracts::types::HsaId;
use serde::Deserialize;

/// Environment variable that overrides `admin.token`.
pub const ADMIN_TOKEN_ENV: &str = "NPO_PLATFORM_ADMIN_TOKEN";
/// Default largest request and response, as SKLTP (15 MiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 15 * 1024 * 1024;
/// Default producer timeout, as SKLTP (29 s).
pub const DEFAULT_PRODUCER_TIMEOUT_MS: u64 = 29_000;
/// Default producer connect timeout, as SKLTP (2 s).
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 2_000;
/// Shortest admin token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// This platform instance's id: in fault strings (`VP004 [id] ...`) and in
    /// `x-rivta-routing-history`. Letters, digits, `-`, `_`, `.`.
    pub instance_id: String,
    /// The routing listener (HTTPS, client certificate required).
    pub server: ServerConfig,
    /// The platform's certificate (served to consumers and presented to producers) and
    /// the CA it trusts on both sides.
    pub tls: TlsConfig,
    /// The admin listener (`/status`, `/resetcache`, `/admin/...`).
    pub admin: AdminConfig,
    /// Where the TAK and the HSA tree are read from.
    pub tak: TakConfig,
    /// Calls to producers.
    #[serde(default)]
    pub producers: ProducersConfig,
    /// Who may set `x-rivta-original-serviceconsumer-hsaid`.
    #[serde(default)]
    pub original_consumer: OriginalConsumerConfig,
    /// Trusted TLS-terminating proxies forwarding the client certificate in a header.
    #[serde(default)]
    pub proxy: ProxyConfig,
    /// Call recording for testers (see [`crate::recording`]).
    #[serde(default)]
    pub recording: crate::recording::RecordingConfig,
    /// Fault and latency injection rules in force from the start (see [`crate::faults`]).
    #[serde(default)]
    pub faults: Vec<crate::faults::FaultRuleSpec>,
    /// The engagement index served inside the platform (see [`crate::local`]).
    #[serde(default)]
    pub engagement_index: Option<EngagementIndexSection>,
    /// The aggregating services served inside the platform (needs `[engagement_index]`).
    #[serde(default)]
    pub aggregation: Option<crate::aggregation::AggregationConfig>,
    /// The folder of the configuration file (set by [`PlatformConfig::load`]), for
    /// modules that resolve relative paths of their own section.
    #[serde(skip)]
    pub config_dir: Option<PathBuf>,
}

/// Routing listener settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to bind, e.g. `127.0.0.1:8443` (port 0: any free port).
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes (larger: VP015).
    #[serde(default = "default_max_message_bytes")]
    pub max_body_bytes: usize,
    /// Worker threads (0: one per core). Each worker has its own producer client and
    /// connection pool.
    #[serde(default)]
    pub workers: usize,
}

fn default_max_message_bytes() -> usize {
    DEFAULT_MAX_MESSAGE_BYTES
}

/// TLS files (PEM).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The platform's certificate.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// The CA whose certificates consumers and producers must present.
    pub ca: PathBuf,
}

/// A secret that is never printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Admin listener settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Address to bind (plain HTTP). Default `127.0.0.1:8444`. Must be a loopback
    /// address unless `allow_remote` is set.
    #[serde(default = "default_admin_listen")]
    pub listen: SocketAddr,
    /// Allow a non-loopback `listen` (the token then crosses the network in clear text:
    /// only behind a TLS-terminating proxy or on an isolated test network).
    #[serde(default)]
    pub allow_remote: bool,
    /// Bearer token every admin request must carry (`Authorization: Bearer ...`); at
    /// least 16 characters. `NPO_PLATFORM_ADMIN_TOKEN` overrides it.
    #[serde(default)]
    pub token: Option<Secret>,
}

fn default_admin_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8444))
}

/// TAK sources.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakConfig {
    /// The TAK file (TOML).
    pub file: PathBuf,
    /// The HSA tree file (TOML); without it every unit's parent is the root `SE`.
    #[serde(default)]
    pub hsa_file: Option<PathBuf>,
}

/// Producer call settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducersConfig {
    /// Connect timeout including the TLS handshake, in ms (default 2000).
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Time allowed for the whole producer call, in ms (default 29000).
    #[serde(default = "default_producer_timeout_ms")]
    pub timeout_ms: u64,
    /// Per-contract timeouts overriding `timeout_ms`.
    #[serde(default)]
    pub contract_timeouts: Vec<ContractTimeout>,
    /// Retries after a connection-level error (refused, reset before the request was
    /// sent). Default 1, as SKLTP.
    #[serde(default = "default_connect_retries")]
    pub connect_retries: u32,
    /// Largest producer response passed back, in bytes (default 15 MiB).
    #[serde(default = "default_max_message_bytes")]
    pub max_response_bytes: usize,
}

impl Default for ProducersConfig {
    fn default() -> Self {
        ProducersConfig {
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            timeout_ms: DEFAULT_PRODUCER_TIMEOUT_MS,
            contract_timeouts: Vec::new(),
            connect_retries: default_connect_retries(),
            max_response_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

fn default_connect_timeout_ms() -> u64 {
    DEFAULT_CONNECT_TIMEOUT_MS
}

fn default_producer_timeout_ms() -> u64 {
    DEFAULT_PRODUCER_TIMEOUT_MS
}

fn default_connect_retries() -> u32 {
    1
}

/// A timeout for one contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractTimeout {
    /// The contract's Responder namespace.
    pub contract: String,
    /// Timeout in ms.
    pub timeout_ms: u64,
}

impl ProducersConfig {
    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// Contract namespace (lower-cased) → timeout, and the default.
    pub fn timeouts(&self) -> (HashMap<String, Duration>, Duration) {
        let map = self
            .contract_timeouts
            .iter()
            .map(|t| {
                (
                    t.contract.to_ascii_lowercase(),
                    Duration::from_millis(t.timeout_ms),
                )
            })
            .collect();
        (map, Duration::from_millis(self.timeout_ms))
    }
}

/// Rules for `x-rivta-original-serviceconsumer-hsaid`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginalConsumerConfig {
    /// Senders (HSA-IDs) that may set the header. Empty: everyone may.
    #[serde(default)]
    pub allowed_senders: Vec<String>,
    /// Refuse (VP013) a sender not in `allowed_senders` that sets the header; otherwise
    /// the header is passed on and a warning logged (SKLTP's default).
    #[serde(default)]
    pub enforce: bool,
}

impl OriginalConsumerConfig {
    /// Whether `sender` may set the header.
    pub fn allows(&self, sender: &str) -> bool {
        self.allowed_senders.is_empty()
            || self
                .allowed_senders
                .iter()
                .any(|s| s.eq_ignore_ascii_case(sender))
    }
}

/// Trusted-proxy mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Peer addresses whose forwarded certificate header is believed. A request carrying
    /// the header from any other address is refused with VP011. Empty (default): the
    /// header is never accepted.
    #[serde(default)]
    pub trusted_addresses: Vec<IpAddr>,
    /// The header carrying the caller's certificate (PEM, URL-encoded).
    #[serde(default = "default_cert_header")]
    pub cert_header: String,
    /// Check that the forwarded certificate was issued by `tls.ca` and is within its
    /// validity period (default true).
    #[serde(default = "default_true")]
    pub verify_forwarded_certificate: bool,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            trusted_addresses: Vec::new(),
            cert_header: default_cert_header(),
            verify_forwarded_certificate: true,
        }
    }
}

fn default_cert_header() -> String {
    "x-vp-auth-cert".into()
}

fn default_true() -> bool {
    true
}

/// The engagement index inside the platform. Only `logical_address` is read here; the
/// other keys of the section are for the engagement index module.
#[derive(Debug, Clone, Deserialize)]
pub struct EngagementIndexSection {
    /// The logical address the engagement index answers on.
    #[serde(default = "default_ei_address")]
    pub logical_address: String,
    /// Every other key of `[engagement_index]`, parsed by the engagement index module.
    #[serde(flatten)]
    pub settings: toml::Table,
}

fn default_ei_address() -> String {
    npo_pki::ENGAGEMENT_INDEX_HSA_ID.to_owned()
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

impl PlatformConfig {
    /// Reads the file, applies the environment override, resolves relative paths and
    /// validates.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: PlatformConfig =
            toml::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.to_owned(),
                source: Box::new(source),
            })?;
        if let Some(token) = std::env::var(ADMIN_TOKEN_ENV)
            .ok()
            .filter(|t| !t.is_empty())
        {
            config.admin.token = Some(Secret::new(token));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        config.config_dir = Some(base.to_owned());
        config.validate()?;
        Ok(config)
    }

    /// Makes relative paths relative to `base`.
    pub fn resolve_paths(&mut self, base: &Path) {
        let files = [
            Some(&mut self.tls.cert),
            Some(&mut self.tls.key),
            Some(&mut self.tls.ca),
            Some(&mut self.tak.file),
            self.tak.hsa_file.as_mut(),
        ];
        for file in files.into_iter().flatten() {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
    }

    /// Checks every value that can be checked without loading the TAK.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.instance_id.is_empty()
            || !self
                .instance_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return invalid(format!(
                "instance_id `{}` must be letters, digits, '-', '_' or '.'",
                self.instance_id
            ));
        }
        for file in [&self.tls.cert, &self.tls.key, &self.tls.ca] {
            if !file.is_file() {
                return invalid(format!("TLS file {} does not exist", file.display()));
            }
        }
        if !self.tak.file.is_file() {
            return invalid(format!(
                "tak.file {} does not exist",
                self.tak.file.display()
            ));
        }
        if let Some(hsa) = &self.tak.hsa_file
            && !hsa.is_file()
        {
            return invalid(format!("tak.hsa_file {} does not exist", hsa.display()));
        }
        if self.server.max_body_bytes < 1024 {
            return invalid("server.max_body_bytes must be at least 1024".into());
        }
        if !self.admin.listen.ip().is_loopback() && !self.admin.allow_remote {
            return invalid(format!(
                "admin.listen {} must be a loopback address (the admin API is plain HTTP); \
                 set admin.allow_remote = true to override",
                self.admin.listen
            ));
        }
        if self.admin.listen == self.server.listen && self.server.listen.port() != 0 {
            return invalid("admin.listen must differ from server.listen".into());
        }
        match &self.admin.token {
            None => {
                return invalid(format!("admin.token (or {ADMIN_TOKEN_ENV}) must be set"));
            }
            Some(token)
                if token.expose().len() < MIN_TOKEN_LEN
                    || token
                        .expose()
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control()) =>
            {
                return invalid(format!(
                    "admin.token must be at least {MIN_TOKEN_LEN} characters without whitespace"
                ));
            }
            Some(_) => {}
        }
        let producers = &self.producers;
        if producers.connect_timeout_ms == 0 || producers.timeout_ms == 0 {
            return invalid("producers timeouts must be at least 1 ms".into());
        }
        if producers.max_response_bytes < 1024 {
            return invalid("producers.max_response_bytes must be at least 1024".into());
        }
        for t in &producers.contract_timeouts {
            if t.contract.trim().is_empty() || t.timeout_ms == 0 {
                return invalid(
                    "producers.contract_timeouts need a contract and a timeout_ms > 0".into(),
                );
            }
        }
        for sender in &self.original_consumer.allowed_senders {
            if let Err(e) = HsaId::parse(sender) {
                return invalid(format!(
                    "original_consumer.allowed_senders: `{sender}` is not an HSA-ID: {e}"
                ));
            }
        }
        if actix_web::http::header::HeaderName::from_bytes(self.proxy.cert_header.as_bytes())
            .is_err()
        {
            return invalid(format!(
                "proxy.cert_header `{}` is not an HTTP header name",
                self.proxy.cert_header
            ));
        }
        // Tester features: recording bounds and fault rules.
        self.recording.validate().map_err(ConfigError::Invalid)?;
        for (i, rule) in self.faults.iter().enumerate() {
            rule.validate()
                .map_err(|e| ConfigError::Invalid(format!("faults[{i}]: {e}")))?;
        }
        if let Some(ei) = &self.engagement_index
            && let Err(e) = HsaId::parse(&ei.logical_address)
        {
            return invalid(format!(
                "engagement_index.logical_address `{}`: {e}",
                ei.logical_address
            ));
        }
        if let Some(aggregation) = &self.aggregation {
            aggregation.validate().map_err(ConfigError::Invalid)?;
            match &self.engagement_index {
                None => {
                    return invalid(
                        "[aggregation] needs [engagement_index]: the aggregating services \
                         search the platform's engagement index"
                            .into(),
                    );
                }
                Some(ei)
                    if ei
                        .logical_address
                        .eq_ignore_ascii_case(&aggregation.logical_address) =>
                {
                    return invalid(
                        "aggregation.logical_address must differ from the engagement index's"
                            .into(),
                    );
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_not_printed() {
        let s = Secret::new("0123456789abcdef");
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    fn valid(dir: &Path) -> PlatformConfig {
        for file in ["cert.pem", "key.pem", "ca.pem", "tak.toml"] {
            std::fs::write(dir.join(file), "").unwrap();
        }
        let text = "instance_id = \"TP-1\"\n\
             [server]\nlisten = \"127.0.0.1:0\"\n\
             [tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nca = \"ca.pem\"\n\
             [admin]\ntoken = \"0123456789abcdef\"\n\
             [tak]\nfile = \"tak.toml\"\n";
        let path = dir.join("platform.toml");
        std::fs::write(&path, text).unwrap();
        PlatformConfig::load(&path).unwrap()
    }

    #[test]
    fn validation_refuses_unsafe_or_odd_values() {
        let dir = tempfile::tempdir().unwrap();
        let config = valid(dir.path());
        assert_eq!(
            config.tls.cert,
            dir.path().join("cert.pem"),
            "relative to the file"
        );
        assert_eq!(config.producers.timeout_ms, DEFAULT_PRODUCER_TIMEOUT_MS);
        assert_eq!(
            config.producers.connect_timeout_ms,
            DEFAULT_CONNECT_TIMEOUT_MS
        );
        assert_eq!(config.admin.listen, default_admin_listen());
        assert!(!format!("{config:?}").contains("0123456789abcdef"));

        let refused = |change: &dyn Fn(&mut PlatformConfig), needle: &str| {
            let mut c = config.clone();
            change(&mut c);
            let err = c.validate().unwrap_err().to_string();
            assert!(err.contains(needle), "{needle:?} not in {err}");
        };
        refused(&|c| c.instance_id = "TP#1".into(), "instance_id");
        refused(
            &|c| c.admin.listen = "0.0.0.0:9444".parse().unwrap(),
            "loopback",
        );
        refused(
            &|c| c.admin.token = Some(Secret::new("short")),
            "admin.token",
        );
        refused(&|c| c.admin.token = None, "admin.token");
        refused(&|c| c.tak.file = "missing.toml".into(), "tak.file");
        refused(&|c| c.producers.timeout_ms = 0, "timeouts");
        refused(
            &|c| c.original_consumer.allowed_senders = vec![" SE1".into()],
            "allowed_senders",
        );
        refused(
            &|c| c.proxy.cert_header = "bad header".into(),
            "cert_header",
        );
        refused(
            &|c| c.aggregation = Some(Default::default()),
            "needs [engagement_index]",
        );
        refused(
            &|c| {
                c.engagement_index = Some(toml::from_str("").unwrap());
                c.aggregation = Some(crate::aggregation::AggregationConfig {
                    timeout_ms: 0,
                    ..Default::default()
                });
            },
            "aggregation.timeout_ms",
        );
        let mut remote = config.clone();
        remote.admin.listen = "0.0.0.0:9444".parse().unwrap();
        remote.admin.allow_remote = true;
        remote.validate().unwrap();
    }

    #[test]
    fn engagement_index_section_keeps_other_keys() {
        let section: EngagementIndexSection =
            toml::from_str("database_url = \"ei.sqlite\"\n").unwrap();
        assert_eq!(section.logical_address, npo_pki::ENGAGEMENT_INDEX_HSA_ID);
        assert_eq!(
            section
                .settings
                .get("database_url")
                .and_then(|v| v.as_str()),
            Some("ei.sqlite")
        );
    }
}

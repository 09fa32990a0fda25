//! The TAK (tjänsteadresseringskatalogen): logical addresses, contracts, routes
//! (vägval) and authorisations (anropsbehörigheter), loaded from a file into in-memory
//! hash indexes, reloadable (`/resetcache`) and editable at run time (admin API).
//!
//! Lookups follow SKLTP (skltp/takcache, skltp/vp) and compare case-insensitively:
//!
//! - route for (logical address, contract): the exact logical address, then each parent
//!   in the HSA tree up to the root `SE`, then the default `*`. The first level with an
//!   entry valid now wins; two or more valid entries on that level is an error (VP006),
//!   an empty URL too (VP010); no level matching is VP004.
//! - authorisation for (consumer, contract, logical address): the exact logical address,
//!   then `*`, then the parents in the HSA tree.
//!
//! Entries outside their validity window (`valid_from` .. `valid_to`, both inclusive)
//! are ignored. File format: see `platform-mock/README.md` and [`TakFile`].

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use npo_contracts::types::HsaId;
use serde::{Deserialize, Serialize};

use crate::hsa::HsaTree;

/// The default (wildcard) logical address.
pub const DEFAULT_ADDRESS: &str = "*";

/// Why a TAK or HSA file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for its schema.
    #[error("invalid file {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<toml::de::Error>,
    },
    /// An entry is not acceptable.
    #[error("invalid file {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Checks that `value` is an HSA-ID (exactly as written: no padding).
pub(crate) fn check_hsa_id(field: &str, value: &str) -> Result<(), String> {
    HsaId::parse(value)
        .map(|_| ())
        .map_err(|e| format!("{field} `{value}` is not an HSA-ID: {e}"))
}

fn check_address(field: &str, value: &str) -> Result<(), String> {
    if value == DEFAULT_ADDRESS {
        Ok(())
    } else {
        check_hsa_id(field, value)
    }
}

fn check_contract(value: &str) -> Result<(), String> {
    if value.trim().is_empty() || value.chars().any(char::is_whitespace) {
        Err(format!(
            "contract `{value}` must be a namespace without whitespace"
        ))
    } else {
        Ok(())
    }
}

fn check_url(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        // Allowed: a route without URL answers VP010, as in SKLTP.
        return Ok(());
    }
    let uri: actix_web::http::Uri = value
        .parse()
        .map_err(|e| format!("url `{value}` is not a URL: {e}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) => Ok(()),
        _ => Err(format!("url `{value}` must be an http:// or https:// URL")),
    }
}

/// A validity window, both ends inclusive; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Validity {
    /// First instant the entry is valid.
    pub from: Option<DateTime<Utc>>,
    /// Last instant the entry is valid.
    pub to: Option<DateTime<Utc>>,
}

impl Validity {
    /// Parses `valid_from`/`valid_to`: `YYYY-MM-DD` (a whole day, Swedish time),
    /// `YYYY-MM-DDThh:mm:ss` (Swedish time) or RFC 3339 with an offset.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, String> {
        let validity = Validity {
            from: from
                .map(|s| parse_instant(s, false).map_err(|e| format!("valid_from: {e}")))
                .transpose()?,
            to: to
                .map(|s| parse_instant(s, true).map_err(|e| format!("valid_to: {e}")))
                .transpose()?,
        };
        if let (Some(from), Some(to)) = (validity.from, validity.to)
            && from > to
        {
            return Err("valid_from is after valid_to".into());
        }
        Ok(validity)
    }

    /// Whether `now` lies in the window.
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        self.from.is_none_or(|from| now >= from) && self.to.is_none_or(|to| now <= to)
    }
}

fn swedish_local(naive: NaiveDateTime) -> DateTime<Utc> {
    chrono_tz::Europe::Stockholm
        .from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

fn parse_instant(text: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Ok(swedish_local(t));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is not YYYY-MM-DD, YYYY-MM-DDThh:mm:ss or RFC 3339"))?;
    if end_of_day {
        let next = date
            .succ_opt()
            .ok_or_else(|| format!("`{text}` is out of range"))?;
        Ok(
            swedish_local(next.and_time(chrono::NaiveTime::MIN))
                - chrono::TimeDelta::nanoseconds(1),
        )
    } else {
        Ok(swedish_local(date.and_time(chrono::NaiveTime::MIN)))
    }
}

/// A logical address listed in the TAK file (informational: routes and authorisations
/// may name addresses that are not listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogicalAddressSpec {
    /// The logical address (an HSA-ID).
    pub address: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A contract listed in the TAK file (informational, like [`LogicalAddressSpec`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractSpec {
    /// The Responder namespace, e.g.
    /// `urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2`.
    pub namespace: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A route (vägval): calls of `contract` to `logical_address` go to `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// Logical address (HSA-ID of the receiver, a unit higher up the HSA tree, or `*`).
    pub logical_address: String,
    /// Contract (Responder namespace).
    pub contract: String,
    /// The producer's URL (`https://` or `http://`). Empty: calls answer VP010.
    pub url: String,
    /// First day/instant the route is valid (inclusive); missing: always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Last day/instant the route is valid (inclusive); missing: for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

/// An authorisation (anropsbehörighet): `consumer` may call `contract` at
/// `logical_address`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorisationSpec {
    /// The consumer's HSA-ID (its certificate serialNumber).
    pub consumer: String,
    /// Contract (Responder namespace).
    pub contract: String,
    /// Logical address (an HSA-ID, a unit higher up the HSA tree, or `*`).
    pub logical_address: String,
    /// First day/instant valid (inclusive); missing: always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Last day/instant valid (inclusive); missing: for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

/// The TAK file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakFile {
    /// Logical addresses (optional listing).
    #[serde(default)]
    pub logical_addresses: Vec<LogicalAddressSpec>,
    /// Contracts (optional listing).
    #[serde(default)]
    pub contracts: Vec<ContractSpec>,
    /// Routes.
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// Authorisations.
    #[serde(default)]
    pub authorisations: Vec<AuthorisationSpec>,
}

/// Where an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The TAK file.
    File,
    /// Added through the admin API (gone after the next `/resetcache`).
    Admin,
}

/// A loaded route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// Identifier for the admin API (unique for the process's lifetime).
    pub id: u64,
    /// The entry as written.
    #[serde(flatten)]
    pub spec: RouteSpec,
    /// Where it came from.
    pub origin: Origin,
    #[serde(skip)]
    validity: Validity,
}

impl Route {
    /// Checks `spec` and makes it a route.
    pub fn new(id: u64, spec: RouteSpec, origin: Origin) -> Result<Self, String> {
        check_address("logical_address", &spec.logical_address)?;
        check_contract(&spec.contract)?;
        check_url(&spec.url)?;
        let validity = Validity::parse(spec.valid_from.as_deref(), spec.valid_to.as_deref())?;
        Ok(Route {
            id,
            spec,
            origin,
            validity,
        })
    }

    /// Whether the route is valid at `now`.
    pub fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.validity.contains(now)
    }
}

/// A loaded authorisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Authorisation {
    /// Identifier for the admin API (unique for the process's lifetime).
    pub id: u64,
    /// The entry as written.
    #[serde(flatten)]
    pub spec: AuthorisationSpec,
    /// Where it came from.
    pub origin: Origin,
    #[serde(skip)]
    validity: Validity,
}

impl Authorisation {
    /// Checks `spec` and makes it an authorisation.
    pub fn new(id: u64, spec: AuthorisationSpec, origin: Origin) -> Result<Self, String> {
        check_hsa_id("consumer", &spec.consumer)?;
        check_contract(&spec.contract)?;
        check_address("logical_address", &spec.logical_address)?;
        let validity = Validity::parse(spec.valid_from.as_deref(), spec.valid_to.as_deref())?;
        Ok(Authorisation {
            id,
            spec,
            origin,
            validity,
        })
    }

    /// Whether the authorisation is valid at `now`.
    pub fn valid_at(&self, now: DateTime<Utc>) -> bool {
        self.validity.contains(now)
    }
}

/// On which level of the lookup an entry matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "level", content = "address")]
pub enum MatchedOn {
    /// The logical address itself.
    Exact,
    /// A parent in the HSA tree (lower-cased).
    Parent(String),
    /// The default address `*`.
    Default,
}

/// A route found for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch<'a> {
    /// The route.
    pub route: &'a Route,
    /// Where it matched.
    pub matched_on: MatchedOn,
}

/// Why no single usable route was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteLookupError {
    /// No valid route on any level (VP004).
    NoRoute,
    /// Several valid routes on the first level that has any (VP006).
    Several {
        /// How many.
        count: usize,
        /// The level.
        matched_on: MatchedOn,
    },
    /// The route found has no URL (VP010).
    EmptyUrl {
        /// The level.
        matched_on: MatchedOn,
    },
}

/// An authorisation found for a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorisationMatch {
    /// The authorisation's id.
    pub id: u64,
    /// Where it matched.
    pub matched_on: MatchedOn,
}

/// Entry counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Distinct logical addresses, listed or named by an entry (`*` not counted).
    pub logical_addresses: usize,
    /// Distinct contracts, listed or named by an entry.
    pub contracts: usize,
    /// Routes.
    pub routes: usize,
    /// Authorisations.
    pub authorisations: usize,
    /// Units in the HSA tree.
    pub hsa_units: usize,
}

/// One immutable state of the TAK and the HSA tree, with hash indexes. Lookups work on
/// an `Arc` of it, so reloads and admin changes never block calls in flight.
#[derive(Debug, Clone)]
pub struct Tak {
    logical_addresses: Vec<LogicalAddressSpec>,
    contracts: Vec<ContractSpec>,
    routes: Vec<Route>,
    authorisations: Vec<Authorisation>,
    hsa: HsaTree,
    /// `address|contract` (lower-cased) → positions in `routes`.
    route_index: HashMap<String, Vec<usize>>,
    /// `consumer|contract|address` (lower-cased) → positions in `authorisations`.
    authorisation_index: HashMap<String, Vec<usize>>,
    /// When the files were read.
    pub loaded_at: DateTime<Utc>,
    /// Admin API changes since then.
    pub runtime_changes: u64,
}

fn route_key(address: &str, contract: &str) -> String {
    let mut key = String::with_capacity(address.len() + contract.len() + 1);
    key.push_str(address);
    key.push('|');
    key.push_str(contract);
    key.make_ascii_lowercase();
    key
}

fn authorisation_key(consumer: &str, contract: &str, address: &str) -> String {
    let mut key = String::with_capacity(consumer.len() + contract.len() + address.len() + 2);
    key.push_str(consumer);
    key.push('|');
    key.push_str(contract);
    key.push('|');
    key.push_str(address);
    key.make_ascii_lowercase();
    key
}

impl Tak {
    fn build(
        logical_addresses: Vec<LogicalAddressSpec>,
        contracts: Vec<ContractSpec>,
        routes: Vec<Route>,
        authorisations: Vec<Authorisation>,
        hsa: HsaTree,
        loaded_at: DateTime<Utc>,
        runtime_changes: u64,
    ) -> Self {
        let mut route_index: HashMap<String, Vec<usize>> = HashMap::with_capacity(routes.len());
        for (i, route) in routes.iter().enumerate() {
            route_index
                .entry(route_key(&route.spec.logical_address, &route.spec.contract))
                .or_default()
                .push(i);
        }
        let mut authorisation_index: HashMap<String, Vec<usize>> =
            HashMap::with_capacity(authorisations.len());
        for (i, auth) in authorisations.iter().enumerate() {
            authorisation_index
                .entry(authorisation_key(
                    &auth.spec.consumer,
                    &auth.spec.contract,
                    &auth.spec.logical_address,
                ))
                .or_default()
                .push(i);
        }
        Tak {
            logical_addresses,
            contracts,
            routes,
            authorisations,
            hsa,
            route_index,
            authorisation_index,
            loaded_at,
            runtime_changes,
        }
    }

    /// Checks a parsed TAK file and builds the indexes; ids are taken from `ids`.
    pub fn from_file(file: TakFile, hsa: HsaTree, ids: &AtomicU64) -> Result<Self, String> {
        for entry in &file.logical_addresses {
            check_hsa_id("logical_addresses.address", &entry.address)?;
        }
        for entry in &file.contracts {
            check_contract(&entry.namespace)?;
        }
        let routes = file
            .routes
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                Route::new(ids.fetch_add(1, Ordering::Relaxed), spec, Origin::File)
                    .map_err(|e| format!("routes[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let authorisations = file
            .authorisations
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                Authorisation::new(ids.fetch_add(1, Ordering::Relaxed), spec, Origin::File)
                    .map_err(|e| format!("authorisations[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Tak::build(
            file.logical_addresses,
            file.contracts,
            routes,
            authorisations,
            hsa,
            Utc::now(),
            0,
        ))
    }

    fn valid_routes(&self, address: &str, contract: &str, now: DateTime<Utc>) -> Vec<&Route> {
        self.route_index
            .get(&route_key(address, contract))
            .map(|positions| {
                positions
                    .iter()
                    .filter_map(|&i| self.routes.get(i))
                    .filter(|r| r.valid_at(now))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The route for a call of `contract` to `address` at `now`: exact address, then
    /// HSA-tree parents, then `*`.
    pub fn route(
        &self,
        address: &str,
        contract: &str,
        now: DateTime<Utc>,
    ) -> Result<RouteMatch<'_>, RouteLookupError> {
        let levels = std::iter::once((address.to_owned(), MatchedOn::Exact))
            .chain(
                self.hsa
                    .ancestors(address)
                    .map(|parent| (parent.clone(), MatchedOn::Parent(parent))),
            )
            .chain(std::iter::once((
                DEFAULT_ADDRESS.to_owned(),
                MatchedOn::Default,
            )));
        for (level_address, matched_on) in levels {
            let valid = self.valid_routes(&level_address, contract, now);
            match valid.as_slice() {
                [] => continue,
                [route] if route.spec.url.trim().is_empty() => {
                    return Err(RouteLookupError::EmptyUrl { matched_on });
                }
                [route] => return Ok(RouteMatch { route, matched_on }),
                several => {
                    return Err(RouteLookupError::Several {
                        count: several.len(),
                        matched_on,
                    });
                }
            }
        }
        Err(RouteLookupError::NoRoute)
    }

    fn valid_authorisation(
        &self,
        consumer: &str,
        contract: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Option<u64> {
        self.authorisation_index
            .get(&authorisation_key(consumer, contract, address))?
            .iter()
            .filter_map(|&i| self.authorisations.get(i))
            .find(|a| a.valid_at(now))
            .map(|a| a.id)
    }

    /// Whether `consumer` may call `contract` at `address` at `now`: exact address, then
    /// `*`, then HSA-tree parents.
    pub fn authorise(
        &self,
        consumer: &str,
        contract: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Option<AuthorisationMatch> {
        if let Some(id) = self.valid_authorisation(consumer, contract, address, now) {
            return Some(AuthorisationMatch {
                id,
                matched_on: MatchedOn::Exact,
            });
        }
        if let Some(id) = self.valid_authorisation(consumer, contract, DEFAULT_ADDRESS, now) {
            return Some(AuthorisationMatch {
                id,
                matched_on: MatchedOn::Default,
            });
        }
        self.hsa.ancestors(address).find_map(|parent| {
            self.valid_authorisation(consumer, contract, &parent, now)
                .map(|id| AuthorisationMatch {
                    id,
                    matched_on: MatchedOn::Parent(parent),
                })
        })
    }

    /// Every route.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Every authorisation.
    pub fn authorisations(&self) -> &[Authorisation] {
        &self.authorisations
    }

    /// The entry counts.
    pub fn counts(&self) -> Counts {
        let addresses: BTreeSet<String> = self
            .logical_addresses
            .iter()
            .map(|a| a.address.as_str())
            .chain(self.routes.iter().map(|r| r.spec.logical_address.as_str()))
            .chain(
                self.authorisations
                    .iter()
                    .map(|a| a.spec.logical_address.as_str()),
            )
            .filter(|a| *a != DEFAULT_ADDRESS)
            .map(str::to_ascii_lowercase)
            .collect();
        let contracts: BTreeSet<String> = self
            .contracts
            .iter()
            .map(|c| c.namespace.as_str())
            .chain(self.routes.iter().map(|r| r.spec.contract.as_str()))
            .chain(self.authorisations.iter().map(|a| a.spec.contract.as_str()))
            .map(str::to_ascii_lowercase)
            .collect();
        Counts {
            logical_addresses: addresses.len(),
            contracts: contracts.len(),
            routes: self.routes.len(),
            authorisations: self.authorisations.len(),
            hsa_units: self.hsa.len(),
        }
    }

    fn changed(&self, routes: Vec<Route>, authorisations: Vec<Authorisation>) -> Tak {
        Tak::build(
            self.logical_addresses.clone(),
            self.contracts.clone(),
            routes,
            authorisations,
            self.hsa.clone(),
            self.loaded_at,
            self.runtime_changes + 1,
        )
    }
}

/// The files the TAK is read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sources {
    /// The TAK file.
    pub tak_file: PathBuf,
    /// The HSA tree file, if any.
    pub hsa_file: Option<PathBuf>,
}

/// A failed `/resetcache`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReloadFailure {
    /// When (RFC 3339).
    pub at: String,
    /// Why (file name and problem; no message content).
    pub error: String,
}

/// The TAK of a running platform: the current [`Tak`], how to reload it, and admin
/// changes. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct TakStore {
    sources: Sources,
    current: RwLock<Arc<Tak>>,
    /// Serialises changes (reloads and admin edits) so none is lost.
    writer: Mutex<()>,
    ids: AtomicU64,
    last_failure: Mutex<Option<ReloadFailure>>,
}

fn read_tak(sources: &Sources, ids: &AtomicU64) -> Result<Tak, LoadError> {
    let hsa = match &sources.hsa_file {
        Some(path) => HsaTree::load(path)?,
        None => HsaTree::default(),
    };
    let path = &sources.tak_file;
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
        path: path.clone(),
        source,
    })?;
    let file: TakFile = toml::from_str(&text).map_err(|source| LoadError::Parse {
        path: path.clone(),
        source: Box::new(source),
    })?;
    Tak::from_file(file, hsa, ids).map_err(|reason| LoadError::Invalid {
        path: path.clone(),
        reason,
    })
}

impl TakStore {
    /// Loads the files; fails when either cannot be used (the platform does not start
    /// without TAK data).
    pub fn load(sources: Sources) -> Result<Self, LoadError> {
        let ids = AtomicU64::new(1);
        let tak = read_tak(&sources, &ids)?;
        tracing::info!(
            tak_file = %sources.tak_file.display(),
            counts = ?tak.counts(),
            "TAK loaded"
        );
        Ok(TakStore {
            sources,
            current: RwLock::new(Arc::new(tak)),
            writer: Mutex::new(()),
            ids,
            last_failure: Mutex::new(None),
        })
    }

    /// The current TAK.
    pub fn snapshot(&self) -> Arc<Tak> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The files read.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// The last failed reload, if it is newer than the last successful one.
    pub fn last_failure(&self) -> Option<ReloadFailure> {
        self.last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, tak: Tak) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(tak);
    }

    /// Re-reads the files (`/resetcache`). On failure the current TAK stays in use.
    /// Admin changes are dropped: the files are the source of truth.
    pub fn reload(&self) -> Result<Counts, LoadError> {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        match read_tak(&self.sources, &self.ids) {
            Ok(tak) => {
                let counts = tak.counts();
                self.replace(tak);
                *self
                    .last_failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
                tracing::info!(?counts, "TAK reloaded");
                Ok(counts)
            }
            Err(err) => {
                tracing::warn!(error = %err, "TAK reload failed; keeping the current TAK");
                *self
                    .last_failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(ReloadFailure {
                    at: Utc::now().to_rfc3339(),
                    error: err.to_string(),
                });
                Err(err)
            }
        }
    }

    /// Adds a route (until the next reload).
    pub fn add_route(&self, spec: RouteSpec) -> Result<Route, String> {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let route = Route::new(
            self.ids.fetch_add(1, Ordering::Relaxed),
            spec,
            Origin::Admin,
        )?;
        let tak = self.snapshot();
        let mut routes = tak.routes.clone();
        routes.push(route.clone());
        self.replace(tak.changed(routes, tak.authorisations.clone()));
        tracing::info!(id = route.id, logical_address = %route.spec.logical_address,
            contract = %route.spec.contract, "route added");
        Ok(route)
    }

    /// Removes a route; `None` when there is none with that id.
    pub fn remove_route(&self, id: u64) -> Option<Route> {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tak = self.snapshot();
        let position = tak.routes.iter().position(|r| r.id == id)?;
        let mut routes = tak.routes.clone();
        let removed = routes.remove(position);
        self.replace(tak.changed(routes, tak.authorisations.clone()));
        tracing::info!(id, "route removed");
        Some(removed)
    }

    /// Adds an authorisation (until the next reload).
    pub fn add_authorisation(&self, spec: AuthorisationSpec) -> Result<Authorisation, String> {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let auth = Authorisation::new(
            self.ids.fetch_add(1, Ordering::Relaxed),
            spec,
            Origin::Admin,
        )?;
        let tak = self.snapshot();
        let mut authorisations = tak.authorisations.clone();
        authorisations.push(auth.clone());
        self.replace(tak.changed(tak.routes.clone(), authorisations));
        tracing::info!(id = auth.id, consumer = %auth.spec.consumer,
            contract = %auth.spec.contract, "authorisation added");
        Ok(auth)
    }

    /// Removes an authorisation; `None` when there is none with that id.
    pub fn remove_authorisation(&self, id: u64) -> Option<Authorisation> {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tak = self.snapshot();
        let position = tak.authorisations.iter().position(|a| a.id == id)?;
        let mut authorisations = tak.authorisations.clone();
        let removed = authorisations.remove(position);
        self.replace(tak.changed(tak.routes.clone(), authorisations));
        tracing::info!(id, "authorisation removed");
        Some(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hsa::{HsaFile, HsaUnit};

    const NS: &str = "urn:riv:clinicalprocess:healthcond:description:GetDiagnosisResponder:2";

    fn route(address: &str, url: &str) -> RouteSpec {
        RouteSpec {
            logical_address: address.into(),
            contract: NS.into(),
            url: url.into(),
            valid_from: None,
            valid_to: None,
        }
    }

    fn auth(address: &str) -> AuthorisationSpec {
        AuthorisationSpec {
            consumer: "SE1-CONSUMER".into(),
            contract: NS.into(),
            logical_address: address.into(),
            valid_from: None,
            valid_to: None,
        }
    }

    fn tree() -> HsaTree {
        HsaTree::from_file(&HsaFile {
            units: vec![
                HsaUnit {
                    hsa_id: "SE1-LEAF".into(),
                    parent: Some("SE1-TOP".into()),
                    name: None,
                },
                HsaUnit {
                    hsa_id: "SE1-TOP".into(),
                    parent: None,
                    name: None,
                },
            ],
        })
        .unwrap()
    }

    fn tak(routes: Vec<RouteSpec>, authorisations: Vec<AuthorisationSpec>) -> Tak {
        let file = TakFile {
            routes,
            authorisations,
            ..TakFile::default()
        };
        Tak::from_file(file, tree(), &AtomicU64::new(1)).unwrap()
    }

    #[test]
    fn route_order_is_exact_then_tree_then_default() {
        let now = Utc::now();
        let all = tak(
            vec![
                route("*", "https://default"),
                route("SE1-TOP", "https://top"),
                route("se1-leaf", "https://leaf"),
            ],
            vec![],
        );
        let found = all.route("SE1-LEAF", &NS.to_uppercase(), now).unwrap();
        assert_eq!(found.route.spec.url, "https://leaf");
        assert_eq!(found.matched_on, MatchedOn::Exact);

        let no_exact = tak(
            vec![
                route("*", "https://default"),
                route("SE1-TOP", "https://top"),
            ],
            vec![],
        );
        let found = no_exact.route("SE1-LEAF", NS, now).unwrap();
        assert_eq!(found.route.spec.url, "https://top");
        assert_eq!(found.matched_on, MatchedOn::Parent("se1-top".into()));
        let found = no_exact.route("SE9-OTHER", NS, now).unwrap();
        assert_eq!(found.matched_on, MatchedOn::Default);
        assert_eq!(
            no_exact.route("SE9-OTHER", "urn:other", now).unwrap_err(),
            RouteLookupError::NoRoute
        );
    }

    #[test]
    fn several_routes_empty_url_and_validity() {
        let now = Utc::now();
        let two = tak(
            vec![
                route("SE1-LEAF", "https://a"),
                route("SE1-LEAF", "https://b"),
            ],
            vec![],
        );
        assert!(matches!(
            two.route("SE1-LEAF", NS, now),
            Err(RouteLookupError::Several { count: 2, .. })
        ));
        let empty = tak(vec![route("SE1-LEAF", " ")], vec![]);
        assert!(matches!(
            empty.route("SE1-LEAF", NS, now),
            Err(RouteLookupError::EmptyUrl { .. })
        ));
        let mut expired = route("SE1-LEAF", "https://old");
        expired.valid_to = Some("2001-12-31".into());
        let mut future = route("SE1-LEAF", "https://future");
        future.valid_from = Some("2999-01-01".into());
        let dated = tak(vec![expired, future, route("*", "https://default")], vec![]);
        assert_eq!(
            dated.route("SE1-LEAF", NS, now).unwrap().matched_on,
            MatchedOn::Default
        );
    }

    #[test]
    fn authorisation_order_is_exact_then_default_then_tree() {
        let now = Utc::now();
        let all = tak(vec![], vec![auth("SE1-TOP"), auth("*"), auth("SE1-LEAF")]);
        let exact = all.authorise("se1-consumer", NS, "SE1-LEAF", now).unwrap();
        assert_eq!(exact.matched_on, MatchedOn::Exact);
        let star_and_tree = tak(vec![], vec![auth("SE1-TOP"), auth("*")]);
        assert_eq!(
            star_and_tree
                .authorise("SE1-CONSUMER", NS, "SE1-LEAF", now)
                .unwrap()
                .matched_on,
            MatchedOn::Default
        );
        let tree_only = tak(vec![], vec![auth("SE1-TOP")]);
        assert_eq!(
            tree_only
                .authorise("SE1-CONSUMER", NS, "SE1-LEAF", now)
                .unwrap()
                .matched_on,
            MatchedOn::Parent("se1-top".into())
        );
        assert!(
            tree_only
                .authorise("SE1-OTHER", NS, "SE1-LEAF", now)
                .is_none()
        );
    }

    #[test]
    fn validity_parsing() {
        let v = Validity::parse(Some("2024-01-01"), Some("2024-01-31")).unwrap();
        let inside = DateTime::parse_from_rfc3339("2024-01-31T22:30:00Z").unwrap();
        assert!(
            v.contains(inside.with_timezone(&Utc)),
            "end day is inclusive (CET)"
        );
        let after = DateTime::parse_from_rfc3339("2024-01-31T23:00:00Z").unwrap();
        assert!(!v.contains(after.with_timezone(&Utc)));
        assert!(Validity::parse(Some("2024-02-01"), Some("2024-01-01")).is_err());
        assert!(Validity::parse(Some("yesterday"), None).is_err());
        assert!(Validity::parse(Some("2024-01-01T08:00:00+01:00"), None).is_ok());
        assert!(Validity::parse(None, Some("2024-01-01T08:00:00")).is_ok());
    }

    #[test]
    fn refuses_bad_entries() {
        let ids = AtomicU64::new(1);
        for (spec, needle) in [
            (route(" SE1-A", "https://x"), "HSA-ID"),
            (route("SE1-A", "ftp://x"), "http"),
            (
                RouteSpec {
                    contract: "urn: x".into(),
                    ..route("SE1-A", "https://x")
                },
                "namespace",
            ),
        ] {
            let file = TakFile {
                routes: vec![spec],
                ..TakFile::default()
            };
            let err = Tak::from_file(file, HsaTree::default(), &ids).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}

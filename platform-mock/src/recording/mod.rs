//! Call recording for testers: every exchange on the routing listener, kept in a bounded
//! in-memory store (oldest dropped first when `recording.max_calls` or
//! `recording.max_bytes` would be exceeded), browsable on an HTML page and exported as
//! JSON on the admin listener.
//!
//! | Method and path | What |
//! |---|---|
//! | `GET /admin/calls` | JSON, newest first; filters `logical_address`, `contract`, `consumer` (sender or original consumer), `vp_code` (`VP009`, or `none`), `status`, `since` (RFC 3339), `limit` (default 100, at most 10000) |
//! | `DELETE /admin/calls` | empties the store; answers how many were dropped |
//! | `GET /admin/calls/view` | the same as an HTML page with a filter form (Basic auth with the admin token as password, or the bearer token) |
//!
//! The response body is captured while it streams to the consumer (the chunks are
//! reference-counted [`Bytes`], so teeing costs a pointer copy per chunk up to
//! `recording.max_body_bytes`, and one copy into the store at the end), and the call is
//! stored when the last chunk has been sent (or the consumer went away).
//!
//! Personal identity numbers are masked when `recording.mask_personal_ids` is on (the
//! default), see [`mask`], on every way out of the store: the JSON export and the HTML
//! page both go through [`CallRecord::export`]. The store itself holds the bytes as they
//! passed, in memory only (never on disk or in a log); masking there, on the hot path,
//! cost a fifth of the platform's CPU in the routing benchmark (BENCHMARKS.md).

mod clear;
mod list;
pub mod mask;
mod tee;
mod view;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::web::{self, Bytes};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use tee::TeeBody;

use crate::vp::VpCode;

/// Default most calls kept.
pub const DEFAULT_MAX_CALLS: usize = 1_000;
/// Default most bytes kept (bodies and the fixed fields).
pub const DEFAULT_MAX_BYTES: usize = 16 * 1024 * 1024;
/// Default most bytes kept of each body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// Estimated fixed size of one record besides its bodies, for the byte bound.
const RECORD_OVERHEAD: usize = 512;

/// `[recording]` in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingConfig {
    /// Record calls at all (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Most calls kept (default 1000).
    #[serde(default = "default_max_calls")]
    pub max_calls: usize,
    /// Most bytes kept over all records (default 16 MiB).
    #[serde(default = "default_max_bytes")]
    pub max_bytes: usize,
    /// Most bytes kept of each request and each response body (default 64 KiB); longer
    /// bodies are cut and marked `truncated`.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Replace the digits of personnummer and samordningsnummer in stored bodies with
    /// `X` (default true).
    #[serde(default = "default_true")]
    pub mask_personal_ids: bool,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        RecordingConfig {
            enabled: true,
            max_calls: DEFAULT_MAX_CALLS,
            max_bytes: DEFAULT_MAX_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            mask_personal_ids: true,
        }
    }
}

fn default_true() -> bool {
    true
}
fn default_max_calls() -> usize {
    DEFAULT_MAX_CALLS
}
fn default_max_bytes() -> usize {
    DEFAULT_MAX_BYTES
}
fn default_max_body_bytes() -> usize {
    DEFAULT_MAX_BODY_BYTES
}

impl RecordingConfig {
    /// Checks the bounds.
    pub fn validate(&self) -> Result<(), String> {
        if self.enabled && (self.max_calls == 0 || self.max_bytes < 1024) {
            return Err(
                "recording.max_calls must be at least 1 and recording.max_bytes at least 1024 \
                 (or set recording.enabled = false)"
                    .into(),
            );
        }
        if self.max_body_bytes > self.max_bytes {
            return Err("recording.max_body_bytes must not exceed recording.max_bytes".into());
        }
        Ok(())
    }
}

/// A body as stored: the bytes as they passed, cut to `max_body_bytes`. Its `Debug`
/// shows sizes only (the bytes are not masked yet).
#[derive(Clone, Default)]
pub struct StoredBody {
    /// The kept bytes.
    pub bytes: Bytes,
    /// The full length as sent.
    pub size: usize,
}

impl std::fmt::Debug for StoredBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredBody")
            .field("kept", &self.bytes.len())
            .field("size", &self.size)
            .finish()
    }
}

impl StoredBody {
    /// Keeps (a copy of) at most `cap` bytes of `body`.
    pub fn capture(body: &[u8], cap: usize) -> StoredBody {
        let kept = body.get(..cap.min(body.len())).unwrap_or_default();
        StoredBody {
            bytes: Bytes::copy_from_slice(kept),
            size: body.len(),
        }
    }

    /// As shown: text, masked when asked.
    pub fn shown(&self, mask: bool) -> RecordedBody {
        RecordedBody::from_kept(self.bytes.to_vec(), self.size, mask)
    }
}

/// A body as exported (possibly cut to `max_body_bytes`, possibly masked).
#[derive(Debug, Clone, Serialize)]
pub struct RecordedBody {
    /// The body as text (invalid UTF-8 replaced).
    pub text: String,
    /// Its full length in bytes as sent.
    pub size: usize,
    /// Whether `text` is only the start.
    pub truncated: bool,
}

impl RecordedBody {
    /// `kept` (already cut) out of `size` bytes, masked in place when asked.
    pub fn from_kept(mut kept: Vec<u8>, size: usize, mask: bool) -> RecordedBody {
        if mask {
            mask::mask_personal_ids(&mut kept);
        }
        let truncated = size > kept.len();
        let text = match String::from_utf8(kept) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        RecordedBody {
            text,
            size,
            truncated,
        }
    }
}

fn rfc3339<S: serde::Serializer>(time: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// One recorded exchange.
#[derive(Debug, Clone, Serialize)]
pub struct CallRecord {
    /// Sequence number (1 for the first call since start).
    pub id: u64,
    /// When the request arrived.
    #[serde(serialize_with = "rfc3339")]
    pub time: DateTime<Utc>,
    /// `x-skltp-correlation-id`.
    pub correlation_id: String,
    /// The sender's HSA-ID (from the certificate), when known.
    pub sender: Option<String>,
    /// The original consumer's HSA-ID, when known.
    pub original_consumer: Option<String>,
    /// The `LogicalAddress`, when read.
    pub logical_address: Option<String>,
    /// The contract namespace, when read.
    pub contract: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// The VP code when the platform answered with a VP fault.
    pub vp_code: Option<String>,
    /// Milliseconds until the answer's head was ready (the producer's first bytes
    /// included).
    pub latency_ms: f64,
    /// The fault rule applied, if any.
    pub fault_rule: Option<u64>,
    /// Whether the whole answer reached the consumer.
    pub complete: bool,
    /// The request body.
    #[serde(skip)]
    pub request: StoredBody,
    /// The response body.
    #[serde(skip)]
    pub response: StoredBody,
}

/// A call as exported: its fields and its bodies as text, masked when configured.
#[derive(Debug, Serialize)]
pub struct CallExport<'a> {
    /// The call.
    #[serde(flatten)]
    pub call: &'a CallRecord,
    /// The request body.
    pub request: RecordedBody,
    /// The response body.
    pub response: RecordedBody,
}

impl CallRecord {
    fn weight(&self) -> usize {
        RECORD_OVERHEAD + self.request.bytes.len() + self.response.bytes.len()
    }

    /// The call with its bodies as text, personal ids masked when `mask`.
    pub fn export(&self, mask: bool) -> CallExport<'_> {
        CallExport {
            call: self,
            request: self.request.shown(mask),
            response: self.response.shown(mask),
        }
    }
}

/// Which recorded calls to show.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallFilter {
    /// Exact logical address (ignoring case and surrounding whitespace).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub logical_address: Option<String>,
    /// Exact contract namespace (ignoring case).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub contract: Option<String>,
    /// Sender or original consumer HSA-ID (ignoring case).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub consumer: Option<String>,
    /// A VP code (`VP009`), or `none` for calls answered without a VP fault.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub vp_code: Option<String>,
    /// HTTP status.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub status: Option<String>,
    /// Calls at or after this time (RFC 3339).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub since: Option<String>,
    /// Most calls returned, newest first (default 100).
    #[serde(default, deserialize_with = "blank_is_none")]
    pub limit: Option<String>,
}

fn blank_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(d)?;
    Ok(value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
}

/// Default and largest `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest `limit` accepted.
pub const MAX_LIMIT: usize = 10_000;

/// A [`CallFilter`] checked and parsed.
#[derive(Debug, Clone)]
pub struct ParsedFilter {
    filter: CallFilter,
    vp: Option<Option<VpCode>>,
    status: Option<u16>,
    since: Option<DateTime<Utc>>,
    limit: usize,
}

impl CallFilter {
    /// Checks the values; the message says which one is wrong.
    pub fn parse(self) -> Result<ParsedFilter, String> {
        let vp = match self.vp_code.as_deref() {
            None => None,
            Some(v) if v.eq_ignore_ascii_case("none") => Some(None),
            Some(v) => {
                Some(Some(VpCode::parse(v).ok_or_else(|| {
                    format!("vp_code `{v}` is not VP001..VP015 or none")
                })?))
            }
        };
        let status = match self.status.as_deref() {
            None => None,
            Some(s) => Some(
                s.parse::<u16>()
                    .map_err(|_| format!("status `{s}` is not an HTTP status"))?,
            ),
        };
        let since = match self.since.as_deref() {
            None => None,
            Some(s) => Some(
                DateTime::parse_from_rfc3339(s)
                    .map_err(|_| format!("since `{s}` is not an RFC 3339 time"))?
                    .with_timezone(&Utc),
            ),
        };
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(l) => match l.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(format!("limit must be 1..{MAX_LIMIT}")),
            },
        };
        Ok(ParsedFilter {
            filter: self,
            vp,
            status,
            since,
            limit,
        })
    }
}

fn same(field: Option<&str>, wanted: Option<&str>) -> bool {
    match wanted {
        None => true,
        Some(w) => field.is_some_and(|f| f.trim().eq_ignore_ascii_case(w)),
    }
}

impl ParsedFilter {
    /// The filter as given (for the form).
    pub fn given(&self) -> &CallFilter {
        &self.filter
    }

    /// Whether `call` passes.
    pub fn admits(&self, call: &CallRecord) -> bool {
        let f = &self.filter;
        same(
            call.logical_address.as_deref(),
            f.logical_address.as_deref(),
        ) && same(call.contract.as_deref(), f.contract.as_deref())
            && (f.consumer.is_none()
                || same(call.sender.as_deref(), f.consumer.as_deref())
                || same(call.original_consumer.as_deref(), f.consumer.as_deref()))
            && self
                .vp
                .is_none_or(|vp| call.vp_code.as_deref() == vp.map(VpCode::as_str))
            && self.status.is_none_or(|s| call.status == s)
            && self.since.is_none_or(|s| call.time >= s)
    }
}

#[derive(Debug, Default)]
struct Ring {
    calls: VecDeque<std::sync::Arc<CallRecord>>,
    bytes: usize,
}

/// The bounded store.
#[derive(Debug)]
pub struct Recorder {
    config: RecordingConfig,
    next_id: AtomicU64,
    ring: Mutex<Ring>,
}

impl Recorder {
    /// An empty store for `config`.
    pub fn new(config: &RecordingConfig) -> Recorder {
        Recorder {
            config: config.clone(),
            next_id: AtomicU64::new(1),
            ring: Mutex::new(Ring::default()),
        }
    }

    /// Whether calls are recorded.
    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// The settings.
    pub fn config(&self) -> &RecordingConfig {
        &self.config
    }

    /// Captures a body that is at hand in full.
    pub fn capture(&self, body: &[u8]) -> StoredBody {
        StoredBody::capture(body, self.config.max_body_bytes)
    }

    /// Whether exports mask personal ids.
    pub fn masks(&self) -> bool {
        self.config.mask_personal_ids
    }

    /// Stores `call` (its `id` is assigned here), dropping the oldest calls as needed.
    pub fn push(&self, mut call: CallRecord) {
        if !self.config.enabled {
            return;
        }
        call.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let weight = call.weight();
        let call = std::sync::Arc::new(call);
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.bytes += weight;
        ring.calls.push_back(call);
        while ring.calls.len() > self.config.max_calls
            || (ring.bytes > self.config.max_bytes && ring.calls.len() > 1)
        {
            match ring.calls.pop_front() {
                Some(old) => ring.bytes = ring.bytes.saturating_sub(old.weight()),
                None => break,
            }
        }
    }

    /// The calls `filter` admits, newest first, at most its limit.
    pub fn select(&self, filter: &ParsedFilter) -> Vec<std::sync::Arc<CallRecord>> {
        let all: Vec<_> = {
            let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
            ring.calls.iter().cloned().collect()
        };
        all.into_iter()
            .rev()
            .filter(|c| filter.admits(c))
            .take(filter.limit)
            .collect()
    }

    /// How many calls and bytes are held.
    pub fn usage(&self) -> (usize, usize) {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        (ring.calls.len(), ring.bytes)
    }

    /// Empties the store; returns how many calls were dropped.
    pub fn clear(&self) -> usize {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        let n = ring.calls.len();
        ring.calls.clear();
        ring.bytes = 0;
        n
    }
}

/// What the routing handler learnt about a call, for the recording and the metrics.
#[derive(Default)]
pub struct CallInfo {
    /// The sender's HSA-ID.
    pub sender: Option<String>,
    /// The original consumer.
    pub original_consumer: Option<String>,
    /// The `LogicalAddress` as sent.
    pub logical_address: Option<String>,
    /// The contract namespace.
    pub contract: Option<String>,
    /// The request body as received.
    pub request: Option<Bytes>,
    /// The fault rule applied.
    pub fault_rule: Option<u64>,
}

impl std::fmt::Debug for CallInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The request body may hold personal data: its size only.
        f.debug_struct("CallInfo")
            .field("sender", &self.sender)
            .field("logical_address", &self.logical_address)
            .field("contract", &self.contract)
            .field("request_bytes", &self.request.as_ref().map(Bytes::len))
            .field("fault_rule", &self.fault_rule)
            .finish_non_exhaustive()
    }
}

/// Registers the recording's admin routes.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/calls", web::get().to(list::list))
        .route("/admin/calls", web::delete().to(clear::clear))
        .route("/admin/calls/view", web::get().to(view::view));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(address: &str, body_len: usize) -> CallRecord {
        CallRecord {
            id: 0,
            time: Utc::now(),
            correlation_id: "c".into(),
            sender: Some("SE1".into()),
            original_consumer: None,
            logical_address: Some(address.into()),
            contract: Some("urn:x".into()),
            status: 200,
            vp_code: None,
            latency_ms: 1.0,
            fault_rule: None,
            complete: true,
            request: StoredBody::capture(&vec![b'a'; body_len], body_len),
            response: StoredBody::default(),
        }
    }

    #[test]
    fn evicts_by_count_and_bytes() {
        let config = RecordingConfig {
            max_calls: 3,
            max_bytes: 4096,
            ..RecordingConfig::default()
        };
        let store = Recorder::new(&config);
        for i in 0..5 {
            store.push(call(&format!("A{i}"), 10));
        }
        let all = store.select(&CallFilter::default().parse().unwrap());
        let addresses: Vec<_> = all
            .iter()
            .map(|c| c.logical_address.clone().unwrap())
            .collect();
        assert_eq!(addresses, ["A4", "A3", "A2"]);
        store.push(call("big", 3500));
        assert_eq!(store.usage().0, 1, "bytes bound drops the rest");
    }
}

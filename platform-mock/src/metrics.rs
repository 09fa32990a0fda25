//! Prometheus metrics of the routing listener, served as text exposition format 0.0.4 on
//! the admin listener's `GET /metrics`.
//!
//! - `npo_platform_calls_total{contract, status, vp_code}`: answered calls by contract
//!   namespace, HTTP status and VP code (`none` when the platform raised no VP fault).
//! - `npo_platform_call_duration_seconds{contract}`: histogram of the time until the
//!   answer's head was ready (producer time included).
//! - `npo_platform_fault_injections_total`, `npo_platform_fault_rules`,
//!   `npo_platform_recorded_calls`, `npo_platform_recorded_bytes`,
//!   `npo_platform_uptime_seconds`.
//!
//! Hand-rolled on atomics rather than a metrics crate: two metric families with fixed
//! buckets need no registry, the hot path costs a read lock, a hash lookup and three
//! relaxed atomic adds, and no dependency pulls in its own global state. The contract
//! label comes from requests, so at most [`MAX_CONTRACTS`] distinct values are kept;
//! further contracts count as `other`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::vp::VpCode;

/// Most distinct contract labels.
pub const MAX_CONTRACTS: usize = 64;
/// Histogram bucket upper bounds in seconds.
pub const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Statuses counted one by one (100..=599); others count as 599.
const STATUSES: usize = 500;

struct ContractMetrics {
    /// Index: HTTP status - 100.
    by_status: Box<[AtomicU64]>,
    /// Index: position in [`VpCode::ALL`].
    by_vp: [AtomicU64; 15],
    /// Per bucket (not cumulative), the last one +Inf.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl ContractMetrics {
    fn new() -> ContractMetrics {
        ContractMetrics {
            by_status: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            by_vp: Default::default(),
            buckets: Default::default(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

/// The counters.
pub struct Metrics {
    contracts: RwLock<HashMap<String, Arc<ContractMetrics>>>,
    injections: AtomicU64,
    started: Instant,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            contracts: RwLock::new(HashMap::new()),
            injections: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

fn vp_index(code: VpCode) -> usize {
    VpCode::ALL.iter().position(|c| *c == code).unwrap_or(0)
}

impl Metrics {
    fn contract(&self, contract: &str) -> Arc<ContractMetrics> {
        let key = if contract.is_empty() {
            "unknown"
        } else {
            contract
        };
        if let Some(m) = self
            .contracts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
        {
            return m.clone();
        }
        let mut map = self.contracts.write().unwrap_or_else(|p| p.into_inner());
        let key = if map.len() >= MAX_CONTRACTS && !map.contains_key(key) {
            "other"
        } else {
            key
        };
        map.entry(key.to_owned())
            .or_insert_with(|| Arc::new(ContractMetrics::new()))
            .clone()
    }

    /// Counts one answered call.
    pub fn observe(&self, contract: &str, status: u16, vp: Option<VpCode>, elapsed: Duration) {
        let m = self.contract(contract);
        match vp {
            Some(code) => {
                if let Some(c) = m.by_vp.get(vp_index(code)) {
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
            None => {
                let at = usize::from(status.clamp(100, 599) - 100);
                if let Some(c) = m.by_status.get(at) {
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        if let Some(b) = m.buckets.get(bucket) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        m.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        m.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an applied fault rule.
    pub fn injected(&self) {
        self.injections.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text; `gauges` are extra (name, help, value) lines.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut contracts: Vec<(String, Arc<ContractMetrics>)> = self
            .contracts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        contracts.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = String::with_capacity(4096);
        out.push_str(
            "# HELP npo_platform_calls_total Calls answered by the routing listener.\n\
             # TYPE npo_platform_calls_total counter\n",
        );
        for (name, m) in &contracts {
            let contract = escape(name);
            for (i, c) in m.by_status.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "npo_platform_calls_total{{contract=\"{contract}\",status=\"{}\",vp_code=\"none\"}} {n}",
                        i + 100
                    );
                }
            }
            for (code, c) in VpCode::ALL.iter().zip(&m.by_vp) {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "npo_platform_calls_total{{contract=\"{contract}\",status=\"500\",vp_code=\"{code}\"}} {n}"
                    );
                }
            }
        }
        out.push_str(
            "# HELP npo_platform_call_duration_seconds Time until the answer's head was ready.\n\
             # TYPE npo_platform_call_duration_seconds histogram\n",
        );
        for (name, m) in &contracts {
            let contract = escape(name);
            let mut cumulative = 0u64;
            for (i, b) in m.buckets.iter().enumerate() {
                cumulative += b.load(Ordering::Relaxed);
                let le = BUCKETS
                    .get(i)
                    .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
                let _ = writeln!(
                    out,
                    "npo_platform_call_duration_seconds_bucket{{contract=\"{contract}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let sum = m.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "npo_platform_call_duration_seconds_sum{{contract=\"{contract}\"}} {sum}"
            );
            let _ = writeln!(
                out,
                "npo_platform_call_duration_seconds_count{{contract=\"{contract}\"}} {}",
                m.count.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP npo_platform_fault_injections_total Calls a fault rule applied to.\n\
             # TYPE npo_platform_fault_injections_total counter\n\
             npo_platform_fault_injections_total {}",
            self.injections.load(Ordering::Relaxed)
        );
        let uptime = self.started.elapsed().as_secs_f64();
        for (name, help, value) in gauges.iter().copied().chain([(
            "npo_platform_uptime_seconds",
            "Seconds since start.",
            uptime,
        )]) {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// A label value escaped as the exposition format wants.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("urn:x", 200, None, Duration::from_millis(3));
        m.observe("urn:x", 500, Some(VpCode::Vp009), Duration::from_millis(40));
        let text = m.render(&[]);
        assert!(text.contains(
            "npo_platform_calls_total{contract=\"urn:x\",status=\"200\",vp_code=\"none\"} 1"
        ));
        assert!(text.contains(
            "npo_platform_calls_total{contract=\"urn:x\",status=\"500\",vp_code=\"VP009\"} 1"
        ));
        assert!(text.contains(
            "npo_platform_call_duration_seconds_bucket{contract=\"urn:x\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "npo_platform_call_duration_seconds_bucket{contract=\"urn:x\",le=\"+Inf\"} 2"
        ));
        assert_eq!(escape("a\"b\\"), "a\\\"b\\\\");
    }

    #[test]
    fn contract_labels_are_bounded() {
        let m = Metrics::default();
        for i in 0..(MAX_CONTRACTS + 10) {
            m.observe(&format!("urn:{i}"), 200, None, Duration::ZERO);
        }
        let text = m.render(&[]);
        assert!(text.contains("contract=\"other\",status=\"200\",vp_code=\"none\"} 10"));
    }
}

//! `[aggregation]`: the aggregating services' logical address and timeouts.

use serde::Deserialize;

/// The national aggregation address (the one load tests and NPÖ use).
pub const DEFAULT_LOGICAL_ADDRESS: &str = "5565594230";
/// Default time for a whole aggregated call, as the real aggregating services (28 s).
pub const DEFAULT_TIMEOUT_MS: u64 = 28_000;
/// Default time for each source system's call (27 s).
pub const DEFAULT_PRODUCER_TIMEOUT_MS: u64 = 27_000;
/// Longest timeout accepted (10 min): anything longer is a typo.
pub const MAX_TIMEOUT_MS: u64 = 600_000;

/// The aggregating services (the six clinical contracts) at one logical address.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregationConfig {
    /// The logical address consumers call (default `5565594230`).
    #[serde(default = "default_logical_address")]
    pub logical_address: String,
    /// Time for the whole call, in ms (default 28000). Sources that have not answered
    /// by then are reported as `NoDataSynchFailed` with code 504, and what arrived is
    /// returned.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Time for each source system's call, in ms (default 27000). Above `timeout_ms`,
    /// the aggregation timeout decides.
    #[serde(default = "default_producer_timeout_ms")]
    pub producer_timeout_ms: u64,
}

impl Default for AggregationConfig {
    fn default() -> Self {
        AggregationConfig {
            logical_address: default_logical_address(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
            producer_timeout_ms: DEFAULT_PRODUCER_TIMEOUT_MS,
        }
    }
}

fn default_logical_address() -> String {
    DEFAULT_LOGICAL_ADDRESS.to_owned()
}

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

fn default_producer_timeout_ms() -> u64 {
    DEFAULT_PRODUCER_TIMEOUT_MS
}

impl AggregationConfig {
    /// Checks the values; the message names the key at fault.
    pub fn validate(&self) -> Result<(), String> {
        let address = &self.logical_address;
        if address.is_empty()
            || address.len() > 64
            || !address
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(format!(
                "aggregation.logical_address `{address}` must be 1 to 64 letters, digits, \
                 '-', '_' or '.'"
            ));
        }
        for (key, value) in [
            ("timeout_ms", self.timeout_ms),
            ("producer_timeout_ms", self.producer_timeout_ms),
        ] {
            if value == 0 || value > MAX_TIMEOUT_MS {
                return Err(format!(
                    "aggregation.{key} must be between 1 and {MAX_TIMEOUT_MS} ms"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_national_ones() {
        let config: AggregationConfig = toml::from_str("").unwrap();
        assert_eq!(config, AggregationConfig::default());
        assert_eq!(config.logical_address, "5565594230");
        assert_eq!(config.timeout_ms, 28_000);
        assert_eq!(config.producer_timeout_ms, 27_000);
        config.validate().unwrap();
    }

    #[test]
    fn odd_values_are_refused() {
        assert!(toml::from_str::<AggregationConfig>("timeout = 5").is_err());
        let refused = |config: AggregationConfig, needle: &str| {
            let err = config.validate().unwrap_err();
            assert!(err.contains(needle), "{needle:?} not in {err}");
        };
        let base = AggregationConfig::default();
        refused(
            AggregationConfig {
                logical_address: " 5565594230".into(),
                ..base.clone()
            },
            "logical_address",
        );
        refused(
            AggregationConfig {
                timeout_ms: 0,
                ..base.clone()
            },
            "timeout_ms",
        );
        refused(
            AggregationConfig {
                producer_timeout_ms: MAX_TIMEOUT_MS + 1,
                ..base
            },
            "producer_timeout_ms",
        );
    }
}

//! Fault and latency injection for testers: rules matched by logical address, contract
//! namespace and patient id, applied where the platform would call the producer, so the
//! consumer sees what the platform does when a producer misbehaves that way.
//!
//! | Action (`type`) | The producer ... | The consumer gets |
//! |---|---|---|
//! | `delay` (`ms`) | answers `ms` later | the producer's answer `ms` later; VP009 (timeout) when `ms` reaches the contract's timeout |
//! | `soap_fault` (`faultstring`, `faultcode` `Server`/`Client`) | answers a SOAP Fault | that SOAP Fault, HTTP 500, passed through |
//! | `http_error` (`status` 500–599, `body`) | answers HTTP 5xx with a text body | VP009 (HTTP error without a SOAP body) |
//! | `empty_body` | answers HTTP 200 with no body | VP009 (empty message) |
//! | `drop_connection` | closes the connection without answering | VP009 (connection error) |
//! | `vp` (`code`) | – | the platform's own fault for that VP code |
//!
//! A rule's criteria are optional (absent: any); all given must match: `logical_address`
//! (ignoring case and surrounding whitespace), `contract` (ignoring case) and
//! `patient_id` (the request's patient id as the routing fast path finds it, ignoring `-`
//! and `+`). The rule with the lowest id that matches and has uses left applies; `times`
//! limits how often (absent: every time). Rules come from `[[faults]]` in the
//! configuration and from the admin API:
//!
//! | Method and path | What |
//! |---|---|
//! | `POST /admin/faults` | add a rule (JSON as a `[[faults]]` entry); 201 with its `id` |
//! | `GET /admin/faults` | every rule with `remaining` and `applied` |
//! | `DELETE /admin/faults/{id}` | remove one rule; 404 when unknown |
//! | `DELETE /admin/faults` | remove every rule |
//!
//! The patient id is never logged; it is shown only to admin API callers.
//!
//! Rules are met in [`crate::routing::call_producer`], the one place the platform calls a
//! producer: routed calls and each source system an aggregating service asks alike.

mod add;
mod list;
mod remove;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::web::{self, Bytes};
use npo_contracts::soap::{self, Fault, FaultCode};
use serde::{Deserialize, Serialize};

use crate::error::ProducerFailure;
use crate::vp::VpCode;

/// Longest delay accepted (10 minutes).
pub const MAX_DELAY_MS: u64 = 600_000;

/// `faultcode` of an injected SOAP Fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum InjectedFaultCode {
    /// `soap:Server` (default).
    #[default]
    Server,
    /// `soap:Client`.
    Client,
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Wait, then call the producer (the wait counts against the contract's timeout).
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// The producer answers this SOAP Fault.
    SoapFault {
        /// The `faultstring`.
        faultstring: String,
        /// The `faultcode` (default `Server`).
        #[serde(default)]
        faultcode: InjectedFaultCode,
    },
    /// The producer answers an HTTP 5xx with a text body.
    HttpError {
        /// 500–599.
        status: u16,
        /// The text body.
        #[serde(default)]
        body: String,
    },
    /// The producer answers HTTP 200 without a body.
    EmptyBody,
    /// The producer closes the connection without answering.
    DropConnection,
    /// The platform raises this VP code.
    Vp {
        /// `VP001` … `VP015`.
        code: String,
    },
}

/// What an action means where the platform calls a producer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Injection {
    /// Wait this long, then call the producer.
    Delay(Duration),
    /// Answer as if the producer had sent this SOAP Fault (HTTP 500, SOAP 1.1 body).
    ProducerSoapFault(Bytes),
    /// The producer call fails this way (VP009).
    ProducerFailure(ProducerFailure),
    /// The platform answers with this VP code's fault.
    Vp(VpCode),
}

impl FaultAction {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            FaultAction::Delay { ms } if *ms > MAX_DELAY_MS => {
                Err(format!("delay ms must be at most {MAX_DELAY_MS}"))
            }
            FaultAction::SoapFault { faultstring, .. } if faultstring.trim().is_empty() => {
                Err("soap_fault needs a faultstring".into())
            }
            FaultAction::HttpError { status, .. } if !(500..=599).contains(status) => {
                Err(format!("http_error status {status} is not 500..599"))
            }
            FaultAction::Vp { code } if VpCode::parse(code).is_none() => {
                Err(format!("vp code `{code}` is not VP001..VP015"))
            }
            _ => Ok(()),
        }
    }

    /// What the action means for the producer call.
    pub fn injection(&self) -> Injection {
        match self {
            FaultAction::Delay { ms } => Injection::Delay(Duration::from_millis(*ms)),
            FaultAction::SoapFault {
                faultstring,
                faultcode,
            } => {
                let fault = Fault {
                    code: match faultcode {
                        InjectedFaultCode::Server => FaultCode::Server,
                        InjectedFaultCode::Client => FaultCode::Client,
                    },
                    string: faultstring.clone(),
                    actor: None,
                    detail: None,
                };
                Injection::ProducerSoapFault(Bytes::from(soap::encode_fault(&fault)))
            }
            FaultAction::HttpError { status, .. } => {
                Injection::ProducerFailure(ProducerFailure::HttpStatus(*status))
            }
            FaultAction::EmptyBody => Injection::ProducerFailure(ProducerFailure::Empty(200)),
            FaultAction::DropConnection => Injection::ProducerFailure(ProducerFailure::Io(
                "the producer closed the connection without answering (fault rule)".into(),
            )),
            // Validated: the code parses.
            FaultAction::Vp { code } => Injection::Vp(VpCode::parse(code).unwrap_or(VpCode::Vp009)),
        }
    }
}

/// A rule as configured or posted.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRuleSpec {
    /// Only calls to this logical address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logical_address: Option<String>,
    /// Only calls of this contract (Responder namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// Only calls about this patient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
    /// What to do.
    pub action: FaultAction,
    /// Apply this many times, then expire (absent: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
}

impl std::fmt::Debug for FaultRuleSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultRuleSpec")
            .field("logical_address", &self.logical_address)
            .field("contract", &self.contract)
            .field("patient_id", &self.patient_id.as_ref().map(|_| "***"))
            .field("action", &self.action)
            .field("times", &self.times)
            .finish()
    }
}

fn normalise_patient(id: &str) -> String {
    id.chars()
        .filter(|c| !matches!(c, '-' | '+') && !c.is_whitespace())
        .collect()
}

impl FaultRuleSpec {
    /// Checks the values.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("logical_address", &self.logical_address),
            ("contract", &self.contract),
            ("patient_id", &self.patient_id),
        ] {
            if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
                return Err(format!(
                    "{name} must not be blank (leave it out to match any)"
                ));
            }
        }
        if self.times == Some(0) {
            return Err("times must be at least 1 (leave it out for always)".into());
        }
        self.action.validate()
    }
}

/// A rule in force.
#[derive(Debug)]
pub struct FaultRule {
    /// Its id.
    pub id: u64,
    /// As given.
    pub spec: FaultRuleSpec,
    logical_address: Option<String>,
    contract: Option<String>,
    patient_id: Option<String>,
    remaining: Option<AtomicU64>,
    applied: AtomicU64,
}

impl FaultRule {
    fn matches(&self, logical_address: &str, contract_ns: &str, patient_id: Option<&str>) -> bool {
        self.logical_address
            .as_deref()
            .is_none_or(|a| a.eq_ignore_ascii_case(logical_address.trim()))
            && self
                .contract
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(contract_ns.trim()))
            && self
                .patient_id
                .as_deref()
                .is_none_or(|p| patient_id.is_some_and(|given| normalise_patient(given) == p))
    }

    /// Takes one use; false when none are left.
    fn take(&self) -> bool {
        let ok = match &self.remaining {
            None => true,
            Some(left) => left
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok(),
        };
        if ok {
            self.applied.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Uses left (None: unlimited).
    pub fn remaining(&self) -> Option<u64> {
        self.remaining.as_ref().map(|r| r.load(Ordering::Acquire))
    }

    /// How often it applied.
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }
}

/// The rule that applies to a call.
#[derive(Debug, Clone)]
pub struct Matched {
    /// The rule's id (for the recording and the log).
    pub rule_id: u64,
    /// What to do.
    pub action: FaultAction,
}

/// The rules in force (shared by the routing workers and the admin API).
#[derive(Debug, Default)]
pub struct FaultRules {
    rules: RwLock<Vec<Arc<FaultRule>>>,
    next_id: AtomicU64,
}

impl FaultRules {
    /// The rules of the configuration (already validated).
    pub fn new(configured: &[FaultRuleSpec]) -> Result<FaultRules, String> {
        let rules = FaultRules {
            rules: RwLock::new(Vec::new()),
            next_id: AtomicU64::new(1),
        };
        for spec in configured {
            rules.add(spec.clone())?;
        }
        Ok(rules)
    }

    /// Adds a rule; returns it.
    pub fn add(&self, spec: FaultRuleSpec) -> Result<Arc<FaultRule>, String> {
        spec.validate()?;
        let rule = Arc::new(FaultRule {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            logical_address: spec.logical_address.as_deref().map(|a| a.trim().to_owned()),
            contract: spec.contract.as_deref().map(|c| c.trim().to_owned()),
            patient_id: spec.patient_id.as_deref().map(normalise_patient),
            remaining: spec.times.map(AtomicU64::new),
            applied: AtomicU64::new(0),
            spec,
        });
        self.write().push(rule.clone());
        Ok(rule)
    }

    /// Removes a rule; None when unknown.
    pub fn remove(&self, id: u64) -> Option<Arc<FaultRule>> {
        let mut rules = self.write();
        let at = rules.iter().position(|r| r.id == id)?;
        Some(rules.remove(at))
    }

    /// Removes every rule; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut rules = self.write();
        let n = rules.len();
        rules.clear();
        n
    }

    /// Every rule, in id order.
    pub fn list(&self) -> Vec<Arc<FaultRule>> {
        self.rules.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Arc<FaultRule>>> {
        self.rules.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The rule that applies to a call to `logical_address` with contract `contract_ns`
    /// about `patient_id` (from [`npo_contracts::fastpath::scan`]), taking one of its
    /// uses. None: call the producer as usual.
    pub fn matching(
        &self,
        logical_address: &str,
        contract_ns: &str,
        patient_id: Option<&str>,
    ) -> Option<Matched> {
        let rules = self.rules.read().unwrap_or_else(|p| p.into_inner());
        if rules.is_empty() {
            return None;
        }
        rules
            .iter()
            .find(|r| r.matches(logical_address, contract_ns, patient_id) && r.take())
            .map(|r| Matched {
                rule_id: r.id,
                action: r.spec.action.clone(),
            })
    }
}

/// Registers the fault rules' admin routes.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/faults", web::get().to(list::list))
        .route("/admin/faults", web::post().to(add::add))
        .route("/admin/faults", web::delete().to(remove::remove_all))
        .route("/admin/faults/{id}", web::delete().to(remove::remove));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> FaultRuleSpec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn matching_honours_criteria_order_and_times() {
        let rules = FaultRules::new(&[]).unwrap();
        rules
            .add(spec(serde_json::json!({
                "patient_id": "19121212-1212",
                "action": {"type": "empty_body"},
                "times": 1
            })))
            .unwrap();
        rules
            .add(spec(serde_json::json!({
                "logical_address": "se1", "contract": "URN:X",
                "action": {"type": "vp", "code": "VP004"}
            })))
            .unwrap();
        let first = rules
            .matching(" SE1 ", "urn:x", Some("191212121212"))
            .unwrap();
        assert_eq!(first.rule_id, 1);
        let second = rules
            .matching("SE1", "urn:x", Some("191212121212"))
            .unwrap();
        assert_eq!(second.rule_id, 2, "rule 1 expired");
        assert!(rules.matching("SE2", "urn:x", None).is_none());
        assert!(rules.matching("SE1", "urn:y", None).is_none());
        assert_eq!(second.action.injection(), Injection::Vp(VpCode::Vp004));
    }

    #[test]
    fn bad_rules_are_refused() {
        let rules = FaultRules::new(&[]).unwrap();
        for bad in [
            serde_json::json!({"action": {"type": "http_error", "status": 404}}),
            serde_json::json!({"action": {"type": "vp", "code": "VP099"}}),
            serde_json::json!({"action": {"type": "soap_fault", "faultstring": " "}}),
            serde_json::json!({"action": {"type": "empty_body"}, "times": 0}),
            serde_json::json!({"contract": "", "action": {"type": "empty_body"}}),
        ] {
            assert!(rules.add(spec(bad)).is_err());
        }
        let debug = format!(
            "{:?}",
            spec(
                serde_json::json!({"patient_id": "191212121212", "action": {"type": "empty_body"}})
            )
        );
        assert!(!debug.contains("191212121212"), "{debug}");
    }
}

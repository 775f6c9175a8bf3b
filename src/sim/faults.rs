//! Fault injection (`POST /_sim/faults`) and per-operation call counters.
//!
//! `{"throttle_tps": N, "error_rate": 0.0-1.0, "latency_ms": N, "operations": [...]}`:
//! - `throttle_tps`: a token bucket in real time (clients send in real time); calls over the
//!   rate answer `ThrottlingException` exactly as AWS does, so SDK retry/backoff is exercised;
//! - `error_rate`: that share of calls answers `ServerException` (HTTP 500);
//! - `latency_ms`: the HTTP server waits this long before answering (beyond SDK timeouts to
//!   test them);
//! - `operations`: limit all of the above to these operation names (empty = every operation).
//!
//! Counters (`GET /_sim/state` → `counters`) record every call per operation, including the
//! faulted ones, so tests can prove "zero mutating calls" or measure an API budget.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ApiError;

/// Fault settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Allowed calls per second (token bucket, burst = one second's worth).
    #[serde(default)]
    pub throttle_tps: Option<f64>,
    /// Share of calls that fail with ServerException.
    #[serde(default)]
    pub error_rate: f64,
    /// Added latency per call.
    #[serde(default)]
    pub latency_ms: u64,
    /// Operations the faults apply to; empty = all.
    #[serde(default)]
    pub operations: Vec<String>,
    /// Operations answered with AccessDeniedException.
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(skip)]
    bucket: Option<(f64, Instant)>,
    #[serde(skip)]
    rng: u64,
    #[serde(skip)]
    counters: Counters,
}

/// Calls per operation.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    calls: BTreeMap<String, u64>,
    throttled: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
}

impl Faults {
    fn applies(&self, operation: &str) -> bool {
        self.operations.is_empty() || self.operations.iter().any(|o| o == operation)
    }

    /// Count the call, then decide whether it is throttled or fails.
    pub fn check(&mut self, operation: &str, _now_ms: i64) -> Result<(), ApiError> {
        *self.counters.calls.entry(operation.to_owned()).or_default() += 1;
        if self.deny.iter().any(|o| o == operation) {
            return Err(ApiError::client(
                "AccessDeniedException",
                format!(
                    "User: arn:aws:sts::123456789012:assumed-role/ci/ecspress is not authorized to perform: ecs:{operation} because no identity-based policy allows the ecs:{operation} action"
                ),
            ));
        }
        if !self.applies(operation) {
            return Ok(());
        }
        if let Some(tps) = self.throttle_tps.filter(|t| *t > 0.0) {
            let now = Instant::now();
            let (tokens, last) = self.bucket.unwrap_or((tps, now));
            let refilled =
                (tokens + now.duration_since(last).as_secs_f64() * tps).min(tps.max(1.0));
            if refilled < 1.0 {
                self.bucket = Some((refilled, now));
                *self
                    .counters
                    .throttled
                    .entry(operation.to_owned())
                    .or_default() += 1;
                return Err(ApiError::throttling());
            }
            self.bucket = Some((refilled - 1.0, now));
        }
        if self.error_rate > 0.0 && self.next_unit() < self.error_rate {
            *self
                .counters
                .errors
                .entry(operation.to_owned())
                .or_default() += 1;
            return Err(ApiError::server("injected fault (ecspress sim)"));
        }
        Ok(())
    }

    /// Latency to add for `operation`.
    pub fn latency_for(&self, operation: &str) -> Option<Duration> {
        (self.latency_ms > 0 && self.applies(operation))
            .then(|| Duration::from_millis(self.latency_ms))
    }

    /// splitmix64 → [0, 1).
    fn next_unit(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Take the counters out (to carry them across a settings change).
    pub fn into_counters(self) -> Counters {
        self.counters
    }

    /// These settings with existing counters.
    pub fn with_counters(mut self, counters: Counters) -> Self {
        self.counters = counters;
        self
    }

    /// Counters as JSON: `{"calls": {op: n}, "throttled": {...}, "errors": {...}}`.
    pub fn counters(&self) -> Value {
        serde_json::json!({
            "calls": self.counters.calls,
            "throttled": self.counters.throttled,
            "errors": self.counters.errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_bucket_limits_bursts() {
        let mut f = Faults {
            throttle_tps: Some(5.0),
            ..Faults::default()
        };
        let results: Vec<bool> = (0..20)
            .map(|_| f.check("DescribeServices", 0).is_ok())
            .collect();
        let ok = results.iter().filter(|r| **r).count();
        assert!(
            (5..=6).contains(&ok),
            "burst of 20 at 5 TPS lets ~5 through, got {ok}"
        );
        let err = f.check("DescribeServices", 0).unwrap_err();
        assert_eq!(err.code, "ThrottlingException");
        assert_eq!(f.counters()["calls"]["DescribeServices"], 21);
    }

    #[test]
    fn error_rate_and_operation_filter() {
        let mut f = Faults {
            error_rate: 1.0,
            operations: vec!["UpdateService".into()],
            ..Faults::default()
        };
        assert!(f.check("DescribeServices", 0).is_ok());
        let e = f.check("UpdateService", 0).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (500, "ServerException"));
        let mut half = Faults {
            error_rate: 0.5,
            ..Faults::default()
        };
        let fails = (0..1000).filter(|_| half.check("X", 0).is_err()).count();
        assert!((400..600).contains(&fails), "≈50% fail, got {fails}");
    }

    #[test]
    fn denied_operations_answer_access_denied() {
        let mut f: Faults =
            serde_json::from_str(r#"{"deny": ["ListServiceDeployments"]}"#).unwrap();
        let e = f.check("ListServiceDeployments", 0).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "AccessDeniedException"));
        assert!(e.message.contains("ecs:ListServiceDeployments"));
        assert!(f.check("DescribeServices", 0).is_ok());
    }

    #[test]
    fn unknown_fault_keys_are_rejected() {
        assert!(serde_json::from_str::<Faults>(r#"{"throttle": 1}"#).is_err());
        let f: Faults = serde_json::from_str(r#"{"latency_ms": 30}"#).unwrap();
        assert_eq!(f.latency_for("X"), Some(Duration::from_millis(30)));
    }
}

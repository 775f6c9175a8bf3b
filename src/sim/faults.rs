//! Fault injection (`POST /_sim/faults`) and per-operation call counters.
//!
//! `{"throttle_tps": N, "error_rate": 0.0-1.0, "latency_ms": N, "operations": [...]}`:
//! - `throttle_tps`: a token bucket in real time (clients send in real time); calls over the
//!   rate answer `ThrottlingException` exactly as AWS does, so SDK retry/backoff is exercised;
//! - `error_rate`: that share of calls answers `ServerException` (HTTP 500);
//! - `latency_ms`: the HTTP server waits this long before processing the call (beyond SDK
//!   timeouts to test them: the call had no effect when the client gives up);
//! - `delay_response_ms`: the call is processed at once, then the answer waits this long: the
//!   "late success" a client cannot tell from a lost request (a retried RegisterTaskDefinition
//!   would register a second revision);
//! - `max_faulted_calls`: stop injecting after this many faults (each throttled or failed call,
//!   each latency or delay counts), e.g. one slow UpdateService then normal service;
//! - `operations`: limit all of the above to these operation names (empty = every operation);
//! - `reject_expired_keys`: reject calls signed with an access key id of the form
//!   `...EXP<epoch seconds>` once that time has passed (`ExpiredTokenException`, as AWS answers
//!   for expired temporary credentials), so a client that does not refresh them fails.
//!
//! Counters (`GET /_sim/state` → `counters`) record every call per operation, including the
//! faulted ones, so tests can prove "zero mutating calls" or measure an API budget;
//! `delayed` counts latency and late answers; `access_keys` counts calls per signing access
//! key id (credential refresh is visible).

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
    /// Processed at once, answered this much later.
    #[serde(default)]
    pub delay_response_ms: u64,
    /// Stop injecting faults after this many.
    #[serde(default)]
    pub max_faulted_calls: Option<u64>,
    /// Reject access keys `...EXP<epoch seconds>` past that time.
    #[serde(default)]
    pub reject_expired_keys: bool,
    #[serde(skip)]
    faulted: u64,
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
    delayed: BTreeMap<String, u64>,
    access_keys: BTreeMap<String, u64>,
    expired_keys: BTreeMap<String, u64>,
}

/// The access key id of a SigV4 `Authorization` header
/// (`AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...`).
pub fn access_key_of(authorization: &str) -> Option<&str> {
    let rest = authorization.split("Credential=").nth(1)?;
    rest.split('/').next().filter(|k| !k.is_empty())
}

/// The expiry (epoch seconds) a test key id carries: `...EXP<digits>`.
fn key_expiry(key: &str) -> Option<u64> {
    key.rsplit_once("EXP")?.1.parse().ok()
}

impl Faults {
    fn applies(&self, operation: &str) -> bool {
        let budget_left = self.max_faulted_calls.is_none_or(|m| self.faulted < m);
        budget_left
            && (self.operations.is_empty() || self.operations.iter().any(|o| o == operation))
    }

    /// Count a call's signing key; with `reject_expired_keys`, refuse a key past its expiry
    /// (`now_epoch_s`: wall clock, as credential expirations are).
    pub fn check_access_key(
        &mut self,
        key: Option<&str>,
        now_epoch_s: u64,
    ) -> Result<(), ApiError> {
        let Some(key) = key else { return Ok(()) };
        *self.counters.access_keys.entry(key.to_owned()).or_default() += 1;
        if self.reject_expired_keys && key_expiry(key).is_some_and(|exp| now_epoch_s >= exp) {
            *self
                .counters
                .expired_keys
                .entry(key.to_owned())
                .or_default() += 1;
            return Err(ApiError::client(
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ));
        }
        Ok(())
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
                self.faulted += 1;
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
            self.faulted += 1;
            *self
                .counters
                .errors
                .entry(operation.to_owned())
                .or_default() += 1;
            return Err(ApiError::server("injected fault (ecspress sim)"));
        }
        Ok(())
    }

    /// Latency to add before processing `operation` (counted as a fault).
    pub fn latency_for(&mut self, operation: &str) -> Option<Duration> {
        let ms = self.latency_ms;
        self.take_fault(ms, operation)
    }

    /// Delay to add after processing `operation`, before answering (counted as a fault).
    pub fn response_delay_for(&mut self, operation: &str) -> Option<Duration> {
        let ms = self.delay_response_ms;
        self.take_fault(ms, operation)
    }

    fn take_fault(&mut self, ms: u64, operation: &str) -> Option<Duration> {
        if ms == 0 || !self.applies(operation) {
            return None;
        }
        self.faulted += 1;
        *self
            .counters
            .delayed
            .entry(operation.to_owned())
            .or_default() += 1;
        Some(Duration::from_millis(ms))
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
            "delayed": self.counters.delayed,
            "access_keys": self.counters.access_keys,
            "expired_keys": self.counters.expired_keys,
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
    fn response_delay_and_fault_budget() {
        let mut f: Faults = serde_json::from_str(
            r#"{"delay_response_ms": 2000, "max_faulted_calls": 1, "operations": ["RegisterTaskDefinition"]}"#,
        )
        .unwrap();
        assert_eq!(f.latency_for("RegisterTaskDefinition"), None);
        assert_eq!(f.response_delay_for("DescribeServices"), None);
        assert_eq!(
            f.response_delay_for("RegisterTaskDefinition"),
            Some(Duration::from_millis(2000))
        );
        assert_eq!(
            f.response_delay_for("RegisterTaskDefinition"),
            None,
            "the budget of one fault is spent"
        );
        assert_eq!(f.counters()["delayed"]["RegisterTaskDefinition"], 1);
        let mut errors = Faults {
            error_rate: 1.0,
            max_faulted_calls: Some(2),
            ..Faults::default()
        };
        let failed = (0..5).filter(|_| errors.check("X", 0).is_err()).count();
        assert_eq!(failed, 2);
    }

    #[test]
    fn expired_access_keys_are_rejected_when_asked() {
        let auth = "AWS4-HMAC-SHA256 Credential=ASIA1EXP1000/20261124/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=00";
        assert_eq!(access_key_of(auth), Some("ASIA1EXP1000"));
        assert_eq!(access_key_of("Bearer x"), None);
        let mut f = Faults::default();
        assert!(
            f.check_access_key(Some("ASIA1EXP1000"), 2000).is_ok(),
            "not asked"
        );
        f.reject_expired_keys = true;
        assert!(f.check_access_key(Some("ASIA1EXP1000"), 999).is_ok());
        let e = f.check_access_key(Some("ASIA1EXP1000"), 1000).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "ExpiredTokenException"));
        assert!(f.check_access_key(Some("test"), 5000).is_ok(), "no expiry");
        assert_eq!(f.counters()["access_keys"]["ASIA1EXP1000"], 3);
        assert_eq!(f.counters()["expired_keys"]["ASIA1EXP1000"], 1);
    }

    #[test]
    fn unknown_fault_keys_are_rejected() {
        assert!(serde_json::from_str::<Faults>(r#"{"throttle": 1}"#).is_err());
        let mut f: Faults = serde_json::from_str(r#"{"latency_ms": 30}"#).unwrap();
        assert_eq!(f.latency_for("X"), Some(Duration::from_millis(30)));
    }
}

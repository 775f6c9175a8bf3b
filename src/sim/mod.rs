//! `ecspress sim`: a local simulator of the ECS and CodeDeploy control planes.
//!
//! Why it exists: there is no AWS here, and moto never progresses an ECS or CodeDeploy
//! deployment and lacks the service-deployment API (../shared/reference/moto.md §7). A watcher
//! whose whole value is telling success from rollback needs deployments that really move.
//!
//! One model, served two ways:
//! - in-process: [`Sim::call`] with a [`Clock::manual`] clock that tests advance with
//!   [`Sim::advance`] (fast, deterministic, no sockets);
//! - over HTTP ([`server`]): the awsJson1_1 wire protocol (`POST /` + `X-Amz-Target`), so the
//!   real binary, the AWS SDK or the AWS CLI talk to it via `AWS_ENDPOINT_URL`, with a
//!   [`Clock::scaled`] clock (`--time-scale 0.02` → one simulated second lasts 20 ms).
//!
//! The world is advanced lazily: before every call it is stepped (in fixed one-second ticks)
//! up to the clock's current time, so what a client observes is exactly what the dynamics
//! produced by then.
//!
//! - [`clock`]: simulated time.
//! - [`error`]: AWS-shaped errors (`{"__type", "message"}` + HTTP status).
//! - [`faults`]: throttling, injected server errors, latency, late answers and expired
//!   credentials (`POST /_sim/faults`).
//! - `world`: the state and its time stepping; `ecs` and `codedeploy` hold the operations.

pub mod clock;
mod codedeploy;
mod ecs;
pub mod error;
pub mod faults;
pub mod server;
mod tasks;
mod world;

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

pub use clock::Clock;
pub use error::ApiError;
pub use faults::Faults;
use world::World;

/// `X-Amz-Target` prefix of ECS operations.
pub const ECS_TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113.";
/// `X-Amz-Target` prefix of CodeDeploy operations.
pub const CODEDEPLOY_TARGET_PREFIX: &str = "CodeDeploy_20141006.";

/// Simulator settings.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Account id in ARNs.
    pub account: String,
    /// Region in ARNs.
    pub region: String,
    /// Seed for every random choice (ids, jitter), so runs are reproducible.
    pub seed: u64,
    /// Deregistration delay of tasks behind a load balancer, ms (the target group's
    /// `deregistration_delay.timeout_seconds`; ELB's default is 300 s, the simulator's 5 s so
    /// tests stay fast).
    pub lb_drain_ms: i64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            seed: 1,
            lb_drain_ms: ecs::deploy::timing::LB_DRAIN_MS,
        }
    }
}

/// A simulator instance; cheap to clone (shared state).
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Mutex<Inner>>,
    clock: Clock,
}

struct Inner {
    options: SimOptions,
    world: World,
    faults: Faults,
}

impl Sim {
    /// A fresh simulator on `clock`.
    pub fn new(options: SimOptions, clock: Clock) -> Sim {
        let world = World::new(&options, clock.now());
        Sim {
            inner: Arc::new(Mutex::new(Inner {
                options,
                world,
                faults: Faults::default(),
            })),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock is a simulator bug; keep serving the state as it is.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Handle one API call: `target` is the full `X-Amz-Target` value, `body` the JSON input.
    /// Faults are applied first (throttling, injected errors), then the world is stepped to now.
    pub fn call(&self, target: &str, body: &Value) -> Result<Value, ApiError> {
        let now = self.clock.now();
        let mut inner = self.lock();
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        inner.faults.check(&operation, now)?;
        inner.world.advance_to(now);
        if let Some(op) = target.strip_prefix(ECS_TARGET_PREFIX) {
            ecs::handle(&mut inner.world, op, body)
        } else if let Some(op) = target.strip_prefix(CODEDEPLOY_TARGET_PREFIX) {
            codedeploy::handle(&mut inner.world, op, body)
        } else {
            Err(ApiError::unknown_operation(target))
        }
    }

    /// Manual clocks only: move time forward and step the world (tests).
    pub fn advance(&self, by: std::time::Duration) {
        self.clock.advance(by);
        let now = self.clock.now();
        self.lock().world.advance_to(now);
    }

    /// Drop all state (keeps the clock and options).
    pub fn reset(&self) {
        let now = self.clock.now();
        let mut inner = self.lock();
        let options = inner.options.clone();
        inner.world = World::new(&options, now);
        inner.faults = Faults::default();
    }

    /// A JSON dump of the whole state (`GET /_sim/state`).
    pub fn state(&self) -> Value {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.world.advance_to(now);
        let clock = self.clock.clone();
        let mut v = inner.world.dump(&move |ms| clock.wall_ms_at(ms));
        if let Value::Object(m) = &mut v {
            m.insert(
                "faults".into(),
                serde_json::to_value(&inner.faults).unwrap_or(Value::Null),
            );
            m.insert("counters".into(), inner.faults.counters());
        }
        v
    }

    /// Replace the fault settings (`POST /_sim/faults`).
    pub fn set_faults(&self, faults: Faults) {
        let mut inner = self.lock();
        let counters = std::mem::take(&mut inner.faults).into_counters();
        inner.faults = faults.with_counters(counters);
    }

    /// Injected latency for `operation`, if any (the server sleeps it before processing).
    pub fn latency_for(&self, operation: &str) -> Option<std::time::Duration> {
        self.lock().faults.latency_for(operation)
    }

    /// Injected response delay for `operation`, if any (the server sleeps it after processing).
    pub fn response_delay_for(&self, operation: &str) -> Option<std::time::Duration> {
        self.lock().faults.response_delay_for(operation)
    }

    /// Count the signing access key of a call; refuse it when expired and the faults say so.
    pub fn check_access_key(&self, key: Option<&str>) -> Result<(), ApiError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.lock().faults.check_access_key(key, now)
    }

    /// Set a CloudWatch alarm's state (`POST /_sim/alarms`): deployments that list the alarm
    /// in `deploymentConfiguration.alarms` fail (and roll back if configured) while it is ALARM.
    pub fn set_alarm(&self, name: &str, state: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        let mut inner = self.lock();
        inner.world.advance_to(now);
        inner.world.set_alarm(name, state)
    }
}

//! The simulated world: all state, ids, and the fixed-tick time stepping.
//!
//! Operations (`ecs`, `codedeploy`) mutate the world; `advance_to` steps it in one-second
//! ticks: tasks first (lifecycle, health), then ECS deployments, then CodeDeploy deployments.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::SimOptions;
use super::codedeploy::CodeDeployState;
use super::ecs::EcsState;
use super::error::ApiError;
use super::tasks::Tasks;

/// One simulation tick.
pub(crate) const TICK_MS: i64 = 1_000;

/// Everything the simulator knows.
pub(crate) struct World {
    /// Account id in ARNs.
    pub account: String,
    /// Region in ARNs.
    pub region: String,
    /// Simulated now (epoch ms); only moves forward.
    pub now_ms: i64,
    /// The last tick boundary dynamics ran at (epoch ms): ticks stay on a 1 s grid however
    /// often the clock is read in between.
    ticked_ms: i64,
    /// Ticks run so far.
    pub ticks: u64,
    rng: u64,
    seq: u64,
    /// Tasks of every kind (service, task set, RunTask).
    pub tasks: Tasks,
    /// ECS state (clusters, task definitions, services, deployments, revisions, tags).
    pub ecs: EcsState,
    /// CodeDeploy state (applications, groups, deployments).
    pub codedeploy: CodeDeployState,
    /// CloudWatch alarm states set through `/_sim/alarms` (name → OK | ALARM | INSUFFICIENT_DATA).
    pub alarms: BTreeMap<String, String>,
    /// Deregistration delay behind a load balancer, ms ([`super::SimOptions::lb_drain_ms`]).
    pub lb_drain_ms: i64,
}

impl World {
    pub fn new(options: &SimOptions, now_ms: i64) -> World {
        World {
            account: options.account.clone(),
            region: options.region.clone(),
            now_ms,
            ticked_ms: now_ms,
            ticks: 0,
            rng: options.seed,
            lb_drain_ms: options.lb_drain_ms,
            seq: 0,
            tasks: Tasks::default(),
            ecs: EcsState::default(),
            codedeploy: CodeDeployState::default(),
            alarms: BTreeMap::new(),
        }
    }

    /// Now in epoch seconds (wire timestamps).
    pub fn now_secs(&self) -> f64 {
        self.now_ms as f64 / 1000.0
    }

    /// Step the world in ticks up to `target_ms`.
    ///
    /// Ticks are counted from the last tick boundary, not from the last call: a partial step
    /// moves only `now_ms` (exact timestamps), so clients that call more often than once per
    /// simulated second still see the dynamics run every second (they used to never run then:
    /// each call restarted the 1 s count).
    pub fn advance_to(&mut self, target_ms: i64) {
        while self.ticked_ms + TICK_MS <= target_ms {
            self.ticked_ms += TICK_MS;
            self.now_ms = self.now_ms.max(self.ticked_ms);
            self.tick();
        }
        if target_ms > self.now_ms {
            self.now_ms = target_ms;
        }
    }

    fn tick(&mut self) {
        self.ticks += 1;
        super::tasks::step(self);
        super::ecs::step(self);
        super::codedeploy::step(self);
    }

    /// A pseudo-random u64 (splitmix64; reproducible from `--seed`).
    pub fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A fresh 32-hex-digit id (task ids look like this in AWS).
    pub fn hex_id(&mut self) -> String {
        self.seq += 1;
        let a = self.next_u64();
        format!("{:016x}{:016x}", a, self.seq)
    }

    /// A fresh numeric id (ECS deployment ids are `ecs-svc/` + 19 digits).
    pub fn numeric_id(&mut self) -> String {
        self.seq += 1;
        let n = self.next_u64() % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000;
        format!("{n}")
    }

    /// `arn:aws:<service>:<region>:<account>:<resource>`
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region, self.account
        )
    }

    /// Set an alarm state.
    pub fn set_alarm(&mut self, name: &str, state: &str) -> Result<(), ApiError> {
        match state {
            "OK" | "ALARM" | "INSUFFICIENT_DATA" => {
                self.alarms.insert(name.to_owned(), state.to_owned());
                Ok(())
            }
            other => Err(ApiError::invalid_parameter(format!(
                "alarm state must be OK, ALARM or INSUFFICIENT_DATA, not {other}"
            ))),
        }
    }

    /// Whether any of `names` is in ALARM.
    pub fn alarms_firing(&self, names: &[String]) -> Vec<String> {
        names
            .iter()
            .filter(|n| self.alarms.get(*n).map(String::as_str) == Some("ALARM"))
            .cloned()
            .collect()
    }

    /// The whole state as JSON (`GET /_sim/state`); `wall_ms` maps a simulated instant to
    /// the wall clock (`terminalAt` of finished deployments, see [`super::Clock::wall_ms_at`]).
    pub fn dump(&self, wall_ms: &dyn Fn(i64) -> i64) -> Value {
        json!({
            "now": self.now_secs(),
            "ecs": super::ecs::dump(self, wall_ms),
            "tasks": self.tasks.dump(),
            "codedeploy": self.codedeploy.dump(wall_ms),
            "alarms": self.alarms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_stay_on_a_one_second_grid_however_often_the_clock_is_read() {
        let options = SimOptions::default();
        for step in [300, 600, 999, 1000, 2500] {
            let mut w = World::new(&options, 1_000_000);
            let mut t = 1_000_000;
            while t < 1_000_000 + 10_000 {
                t += step;
                w.advance_to(t);
                assert_eq!(w.now_ms, t, "timestamps are exact");
            }
            assert_eq!(
                w.ticks,
                ((t - 1_000_000) / TICK_MS) as u64,
                "reads every {step} ms"
            );
        }
    }
}

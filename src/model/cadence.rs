//! Adaptive poll cadence: fast when the verdict can come any second, slow while nothing moves.
//!
//! Why: issue #9 asks for both ≤ 1 s typical detection latency and ≤ ~15 API calls per minute
//! per watched service. A fixed interval T cannot give both (mean latency T/2 needs T ≤ 2 s,
//! which is ≥ 30 polls/min). But an ECS rollout is not uniform: long quiet stretches (tasks
//! provisioning, health-check grace, a bake time) alternate with short bursts of change, and
//! the terminal state follows a recognisable situation — the new revision is at its count and
//! the old tasks are draining (rolling: ECS marks the deployment COMPLETED once they stopped,
//! after the target group's deregistration delay; ecs-platform-and-peers.md §6.3), or the
//! lifecycle is in CLEAN_UP / a bake whose length `deploymentConfiguration` tells (§6.4).
//!
//! The rules ([`AdaptiveCadence::next`]):
//! - **known end** (`ends_in`: the rest of BAKE_TIME, or of the target group's deregistration
//!   delay while old tasks drain): never sleep past one fastest interval before it (then poll
//!   at the fastest interval); it replaces the imminent rule, the quiet rule still bounds it;
//! - **imminent** (the verdict can come any moment, but nothing says when): the fastest interval
//!   for [`IMMINENT_FAST`], then slowly longer (1/8 of the time beyond it) — a 5 s drain costs
//!   five polls, a 300 s ELB default drain does not cost 300;
//! - **otherwise**: a quarter of the time since the last change, so a change after a quiet
//!   stretch of Q is seen within Q/4; right after a change that is the fastest interval.
//!
//! Always within `[fastest, slowest]` (`--poll-interval`, `--max-poll-interval`); equal bounds
//! give the fixed cadence of earlier versions. Jitter and throttling backoff are applied on top
//! by the watcher (`ops::watch::Cadence`). Pure: the caller passes its monotonic clock.

use std::time::Duration;

/// How long an imminent finish is polled at the fastest interval before slowing down.
pub const IMMINENT_FAST: Duration = Duration::from_secs(15);

/// The longest wait while [`Observation::soon`].
pub const SOON: Duration = Duration::from_secs(3);

/// The default `--max-poll-interval`: the AWS SDK's ServicesStable waiter's fixed 15 s. Only
/// reached after a minute without change, or while a known end (a deregistration delay) is
/// far; predicted ends are still polled at the fastest interval.
pub const DEFAULT_SLOWEST: Duration = Duration::from_secs(15);

/// What the last poll showed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observation {
    /// Something the user sees moved: a status, stage, count, event or hook.
    pub changed: bool,
    /// The verdict can come at any moment (see the module docs).
    pub imminent: bool,
    /// The deployment is expected to move on in this long (a known bake time or drain).
    pub ends_in: Option<Duration>,
    /// `ends_in` comes from a setting of the environment itself (a target group's
    /// deregistration delay, read from ELBv2), so the quiet rule does not bound it. A bake
    /// time is measured on our clock from when we first saw the stage, so it stays bounded.
    pub firm: bool,
    /// The next step is near but unannounced (new tasks all running, their health checks
    /// pending): wait at most [`SOON`].
    pub soon: bool,
}

/// The cadence state.
#[derive(Debug, Clone)]
pub struct AdaptiveCadence {
    fastest: Duration,
    slowest: Duration,
    last_change: Option<Duration>,
    imminent_since: Option<Duration>,
}

impl AdaptiveCadence {
    /// `slowest` below `fastest` is raised to it (fixed cadence).
    pub fn new(fastest: Duration, slowest: Duration) -> Self {
        AdaptiveCadence {
            fastest,
            slowest: slowest.max(fastest),
            last_change: None,
            imminent_since: None,
        }
    }

    /// Whether the interval can vary at all.
    pub fn is_adaptive(&self) -> bool {
        self.slowest > self.fastest
    }

    /// The interval before the next poll, given what the poll at `now` (time since the watch
    /// started, any monotonic origin) showed.
    pub fn next(&mut self, now: Duration, obs: &Observation) -> Duration {
        if obs.changed || self.last_change.is_none() {
            self.last_change = Some(now);
        }
        if obs.imminent {
            self.imminent_since.get_or_insert(now);
        } else {
            self.imminent_since = None;
        }
        let clamp = |d: Duration| d.clamp(self.fastest, self.slowest);
        let mut quiet = clamp(now.saturating_sub(self.last_change.unwrap_or(now)) / 4);
        if obs.soon {
            quiet = quiet.min(clamp(SOON));
        }
        match (obs.ends_in, self.imminent_since) {
            // A known end replaces the imminent rule; the quiet rule still bounds the wait, so
            // a clock that runs faster than the configured times (a scaled simulator) is
            // followed too.
            (Some(left), _) if obs.firm => clamp(left.saturating_sub(self.fastest)),
            (Some(left), _) => quiet.min(clamp(left.saturating_sub(self.fastest))),
            (None, Some(since)) => {
                clamp(now.saturating_sub(since).saturating_sub(IMMINENT_FAST) / 8)
            }
            (None, None) => quiet,
        }
    }
}

/// The time left of a phase expected to last `expected` that has run `elapsed` (a bake time,
/// a deregistration delay), for [`Observation::ends_in`]: None once it is overdue by more than
/// [`IMMINENT_FAST`] — the estimate was wrong, and the other rules take over rather than
/// polling at the fastest interval for ever.
pub fn ends_in(expected: Duration, elapsed: Duration) -> Option<Duration> {
    (elapsed <= expected + IMMINENT_FAST).then(|| expected.saturating_sub(elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64) -> Duration {
        Duration::from_secs_f64(x)
    }

    /// Drive the cadence poll by poll: `timeline(t)` says what a poll at t (seconds) sees.
    /// Returns the poll instants.
    fn polls(
        fastest: f64,
        slowest: f64,
        until: f64,
        timeline: impl Fn(f64) -> Observation,
    ) -> Vec<f64> {
        let mut c = AdaptiveCadence::new(s(fastest), s(slowest));
        let mut t = 0.0;
        let mut out = Vec::new();
        while t <= until {
            out.push(t);
            t += c.next(s(t), &timeline(t)).as_secs_f64();
        }
        out
    }

    #[test]
    fn rules_table() {
        let quiet = Observation::default();
        let changed = Observation {
            changed: true,
            ..quiet
        };
        let imminent = Observation {
            imminent: true,
            ..quiet
        };
        let bake = |left: f64| Observation {
            ends_in: Some(s(left)),
            ..quiet
        };
        // (history of (now, observation), expected next interval)
        type History = Vec<(f64, Observation)>;
        let cases: Vec<(&str, History, f64)> = vec![
            ("first poll", vec![(0.0, quiet)], 1.0),
            (
                "right after a change",
                vec![(0.0, quiet), (7.0, changed)],
                1.0,
            ),
            (
                "quiet for 8 s: 2 s",
                vec![(0.0, changed), (8.0, quiet)],
                2.0,
            ),
            (
                "quiet for 20 s: 5 s",
                vec![(0.0, changed), (20.0, quiet)],
                5.0,
            ),
            (
                "quiet for 5 min: capped",
                vec![(0.0, changed), (300.0, quiet)],
                10.0,
            ),
            (
                "imminent: fastest at once",
                vec![(0.0, changed), (60.0, imminent)],
                1.0,
            ),
            (
                "imminent for 15 s: still fastest",
                vec![(0.0, changed), (60.0, imminent), (75.0, imminent)],
                1.0,
            ),
            (
                "imminent for 39 s: 3 s",
                vec![(0.0, changed), (60.0, imminent), (99.0, imminent)],
                3.0,
            ),
            (
                "no longer imminent: quiet rule again",
                vec![(0.0, changed), (60.0, imminent), (99.0, quiet)],
                10.0,
            ),
            (
                "bake with 50 s left",
                vec![(0.0, changed), (100.0, bake(50.0))],
                10.0,
            ),
            (
                "bake with 6 s left",
                vec![(0.0, changed), (100.0, bake(6.0))],
                5.0,
            ),
            (
                "bake with 0.5 s left",
                vec![(0.0, changed), (100.0, bake(0.5))],
                1.0,
            ),
            (
                "bake just started",
                vec![(0.0, changed), (4.0, bake(60.0))],
                1.0,
            ),
            (
                "soon: at most 3 s",
                vec![
                    (0.0, changed),
                    (
                        100.0,
                        Observation {
                            soon: true,
                            ..quiet
                        },
                    ),
                ],
                3.0,
            ),
            (
                "known end replaces the imminent rule",
                vec![
                    (0.0, changed),
                    (60.0, imminent),
                    (
                        100.0,
                        Observation {
                            ends_in: Some(s(200.0)),
                            ..imminent
                        },
                    ),
                ],
                10.0,
            ),
        ];
        for (name, history, want) in cases {
            let mut c = AdaptiveCadence::new(s(1.0), s(10.0));
            let mut got = Duration::ZERO;
            for (t, obs) in &history {
                got = c.next(s(*t), obs);
            }
            assert_eq!(got, s(want), "{name}");
        }
    }

    #[test]
    fn ends_in_gives_up_when_overdue() {
        assert_eq!(ends_in(s(300.0), s(100.0)), Some(s(200.0)));
        assert_eq!(ends_in(s(300.0), s(310.0)), Some(Duration::ZERO));
        assert_eq!(ends_in(s(300.0), s(315.0)), Some(Duration::ZERO));
        assert_eq!(ends_in(s(300.0), s(316.0)), None);
    }

    /// A 300 s deregistration delay that the watcher knows (target group attribute): ~10 s
    /// polls while it runs, the fastest interval at its end.
    #[test]
    fn a_known_drain_is_cheap_and_its_end_is_seen_fast() {
        let finish = 301.5;
        for (firm, most) in [(true, 35), (false, 45)] {
            let p = polls(1.0, 10.0, finish + 5.0, |t| Observation {
                changed: t < 1.0,
                imminent: t < finish,
                ends_in: ends_in(s(300.0), s(t)),
                firm,
                soon: false,
            });
            let seen = p.iter().copied().find(|t| *t >= finish).unwrap();
            assert!(
                seen - finish <= 1.0,
                "seen {:.1} s late (firm {firm})",
                seen - finish
            );
            let before = p.iter().filter(|t| **t < finish).count();
            assert!(
                before < most,
                "{before} polls during a 300 s drain (firm {firm})"
            );
        }
    }

    #[test]
    fn equal_bounds_are_the_fixed_cadence() {
        let mut c = AdaptiveCadence::new(s(10.0), s(1.0));
        assert!(!c.is_adaptive());
        for t in [0.0, 50.0, 500.0] {
            assert_eq!(c.next(s(t), &Observation::default()), s(10.0));
        }
        assert!(AdaptiveCadence::new(s(1.0), DEFAULT_SLOWEST).is_adaptive());
    }

    /// A rolling deployment shaped like ECS's: a change every few seconds while tasks start,
    /// a quiet minute (health-check grace), the new revision at its count, then a 20 s drain
    /// before COMPLETED. The finish is seen within the fastest interval, and the whole watch
    /// costs far fewer polls than polling every second.
    #[test]
    fn a_rollout_is_cheap_and_its_finish_is_seen_fast() {
        let finish = 120.0;
        let timeline = |t: f64| Observation {
            changed: matches!(t as u64, 0..=6 | 70..=80),
            imminent: (100.0..finish).contains(&t),
            ..Observation::default()
        };
        let p = polls(1.0, 10.0, finish + 30.0, timeline);
        let seen = p.iter().copied().find(|t| *t >= finish).unwrap();
        assert!(
            seen - finish <= 1.0,
            "finish seen {:.1} s late",
            seen - finish
        );
        let before = p.iter().filter(|t| **t < finish).count();
        assert!(before < 70, "{before} polls in {finish} s (fixed 1 s: 120)");
    }

    /// A long default ELB drain (300 s): fastest for 15 s, then it slows to the cap.
    #[test]
    fn a_long_drain_does_not_cost_one_poll_a_second() {
        let p = polls(1.0, 10.0, 300.0, |_| Observation {
            imminent: true,
            ..Observation::default()
        });
        assert!(p.len() < 80, "{} polls in 300 s (fixed 1 s: 300)", p.len());
        let last = p[p.len() - 1] - p[p.len() - 2];
        assert!((last - 10.0).abs() < 1e-9, "slowed to the cap: {last}");
        assert!(p.windows(2).all(|w| w[1] - w[0] <= 10.0 + 1e-9));
    }
}

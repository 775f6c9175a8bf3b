//! Simulated time.
//!
//! Wire timestamps are epoch seconds (awsJson1_1), so the clock counts milliseconds since the
//! Unix epoch. A scaled clock starts at the real wall-clock time and runs `1 / time_scale`
//! times as fast as real time; a manual clock only moves when told to.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of simulated "now", in epoch milliseconds.
#[derive(Clone, Debug)]
pub struct Clock {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Scaled {
        start_ms: i64,
        started: Instant,
        time_scale: f64,
        offset_ms: Arc<AtomicI64>,
    },
    Manual {
        now_ms: Arc<AtomicI64>,
    },
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    /// Real time scaled: with `time_scale = 0.02` one simulated second lasts 20 real ms.
    pub fn scaled(time_scale: f64) -> Clock {
        let time_scale = if time_scale.is_finite() && time_scale > 0.0 {
            time_scale
        } else {
            1.0
        };
        Clock {
            kind: Kind::Scaled {
                start_ms: wall_ms(),
                started: Instant::now(),
                time_scale,
                offset_ms: Arc::new(AtomicI64::new(0)),
            },
        }
    }

    /// A clock that starts at `start_ms` and moves only with [`Clock::advance`].
    pub fn manual(start_ms: i64) -> Clock {
        Clock {
            kind: Kind::Manual {
                now_ms: Arc::new(AtomicI64::new(start_ms)),
            },
        }
    }

    /// Now, in epoch milliseconds.
    pub fn now(&self) -> i64 {
        match &self.kind {
            Kind::Scaled {
                start_ms,
                started,
                time_scale,
                offset_ms,
            } => {
                let real = started.elapsed().as_secs_f64() * 1000.0;
                start_ms + (real / time_scale) as i64 + offset_ms.load(Ordering::SeqCst)
            }
            Kind::Manual { now_ms } => now_ms.load(Ordering::SeqCst),
        }
    }

    /// Jump forward (both kinds: a scaled clock keeps running from the new point).
    pub fn advance(&self, by: Duration) {
        let ms = by.as_millis() as i64;
        match &self.kind {
            Kind::Scaled { offset_ms, .. } => offset_ms.fetch_add(ms, Ordering::SeqCst),
            Kind::Manual { now_ms } => now_ms.fetch_add(ms, Ordering::SeqCst),
        };
    }

    /// The wall-clock instant (epoch ms) at which this clock read `sim_ms`: what
    /// `/_sim/state`'s `terminalAt` reports, so a benchmark can tell how long after a
    /// deployment became terminal a client noticed. A scaled clock maps back through its
    /// scale (jumps made with [`Clock::advance`] are taken as made before `sim_ms`); a manual
    /// clock has no wall time and returns `sim_ms` unchanged.
    pub fn wall_ms_at(&self, sim_ms: i64) -> i64 {
        match &self.kind {
            Kind::Scaled {
                start_ms,
                time_scale,
                offset_ms,
                ..
            } => {
                let sim_elapsed = (sim_ms - start_ms - offset_ms.load(Ordering::SeqCst)) as f64;
                start_ms + (sim_elapsed * time_scale).round() as i64
            }
            Kind::Manual { .. } => sim_ms,
        }
    }

    /// Real duration of `simulated` on this clock (manual clocks: zero).
    pub fn real_duration(&self, simulated: Duration) -> Duration {
        match &self.kind {
            Kind::Scaled { time_scale, .. } => simulated.mul_f64(*time_scale),
            Kind::Manual { .. } => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = Clock::manual(1_000);
        assert_eq!(c.now(), 1_000);
        c.advance(Duration::from_secs(2));
        assert_eq!(c.now(), 3_000);
    }

    #[test]
    fn scaled_clock_runs_faster() {
        let c = Clock::scaled(0.001); // one simulated second per real millisecond
        let a = c.now();
        std::thread::sleep(Duration::from_millis(20));
        let b = c.now();
        assert!(
            b - a >= 15_000,
            "20 real ms should be ≥ 15 simulated s, got {} ms",
            b - a
        );
        assert_eq!(
            c.real_duration(Duration::from_secs(10)),
            Duration::from_millis(10)
        );
    }

    #[test]
    fn wall_ms_at_maps_simulated_time_back_to_the_wall_clock() {
        let c = Clock::scaled(0.01);
        let Kind::Scaled { start_ms, .. } = &c.kind else {
            unreachable!("scaled clock")
        };
        let start = *start_ms;
        assert_eq!(c.wall_ms_at(start), start);
        // 100 simulated seconds at scale 0.01 last one real second.
        assert_eq!(c.wall_ms_at(start + 100_000), start + 1_000);
        // A jump of 50 simulated seconds happened before: it took no wall time.
        c.advance(Duration::from_secs(50));
        assert_eq!(c.wall_ms_at(start + 150_000), start + 1_000);
        let m = Clock::manual(7_000);
        assert_eq!(m.wall_ms_at(9_000), 9_000);
    }
}

//! `ecspress sim --listen ADDR [--time-scale F] [--seed N] [--deregistration-delay D]`: serve
//! the simulator over HTTP.

use anyhow::{Context, bail};

use crate::cli::SimArgs;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::sim::{Clock, Sim, SimOptions, server};

/// Start the simulator and serve until interrupted. Prints exactly one line to stdout when
/// ready: `ecspress sim listening on http://ADDR` (scripts wait for it).
pub async fn run(args: &SimArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        bail!(
            "--time-scale must be a positive number (got {}); 0.02 makes one simulated second last 20 ms",
            args.time_scale
        );
    }
    let drain = humantime::parse_duration(&args.deregistration_delay).with_context(|| {
        format!(
            "--deregistration-delay {}: expected a duration such as 5s or 300s",
            args.deregistration_delay
        )
    })?;
    let drain_ms = i64::try_from(drain.as_millis()).unwrap_or(i64::MAX);
    let sim = Sim::new(
        SimOptions {
            seed: args.seed,
            lb_drain_ms: drain_ms,
            ..SimOptions::default()
        },
        Clock::scaled(args.time_scale),
    );
    let (addr, serve) = server::bind(sim, args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    printer.data(&format!("ecspress sim listening on http://{addr}"));
    serve.await.context("simulator server failed")?;
    Ok(ExitStatus::Success)
}

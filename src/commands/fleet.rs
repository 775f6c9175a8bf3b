//! A command over several configs (`deploy`, `diff`, `wait`, `status`): one scoped printer
//! per service, each service's own verdict, the summary table and the run's verdict (the
//! worst), and one API rate limiter for the whole run.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use crate::aws::ratelimit::RateLimiter;
use crate::settings::FleetSettings;

use crate::exit::ExitStatus;
use crate::model::fleet::{FleetRow, labels, summary_message, worst};
use crate::model::rollout::closing_verdict;
use crate::output::{Event, Printer, render_error};
use crate::settings::GlobalSettings;

/// Run `work` for the run's configs: with one (or none: the default config), as a plain
/// single-service command (`limiter` None); with several, once per config through [`run`], all
/// sharing one limiter (`--max-api-rps`).
pub(crate) async fn each_config<F, Fut>(
    command: &str,
    fleet: &crate::cli::FleetArgs,
    settings: &GlobalSettings,
    printer: &Printer,
    work: F,
) -> anyhow::Result<ExitStatus>
where
    F: Fn(GlobalSettings, Printer, Option<Arc<RateLimiter>>) -> Fut,
    Fut: Future<Output = anyhow::Result<ExitStatus>>,
{
    // Flags first (also for one config): a bad `--concurrency` is reported as such.
    let fleet = FleetSettings::from_args(fleet)?;
    let configs = settings.config_list()?;
    if configs.len() <= 1 {
        let one = settings.single_config(command)?;
        return work(one, printer.clone(), None).await;
    }
    let limiter = fleet.limiter();
    run(configs, fleet.concurrency, settings, printer, |s, p| {
        work(s, p, Some(limiter.clone()))
    })
    .await
}

/// Run `work` once per config (settings and printer scoped to it), at most `concurrency` at
/// once; the run's status is the worst service status ([`crate::model::fleet::worst`]).
pub(crate) async fn run<F, Fut>(
    configs: Vec<PathBuf>,
    concurrency: usize,
    settings: &GlobalSettings,
    printer: &Printer,
    work: F,
) -> anyhow::Result<ExitStatus>
where
    F: Fn(GlobalSettings, Printer) -> Fut,
    Fut: Future<Output = anyhow::Result<ExitStatus>>,
{
    let names = labels(&configs);
    let items: Vec<(String, String, PathBuf)> = names
        .iter()
        .zip(&configs)
        .map(|(l, p)| (l.clone(), p.display().to_string(), p.clone()))
        .collect();
    let results =
        crate::ops::fleet::run_all(items.clone(), concurrency, |(label, config, path)| {
            let scoped = printer.scoped(&label, &config);
            let fut = work(settings.for_config(&path), scoped.clone());
            async move {
                let (status, message) = match fut.await {
                    Ok(status) => (status, None),
                    Err(err) => {
                        render_error(&scoped, &err, ExitStatus::Error);
                        (ExitStatus::Error, Some(err.to_string()))
                    }
                };
                let verdict = scoped.finish_service(status, message.as_deref());
                (verdict.status, verdict)
            }
        })
        .await;
    let mut statuses = Vec::new();
    let mut rows = Vec::new();
    for ((label, config, _), (status, verdict)) in items.into_iter().zip(results) {
        statuses.push(status);
        rows.push(FleetRow {
            label,
            config,
            exit_code: verdict.exit_code,
            outcome: verdict.outcome,
            message: verdict.message,
        });
    }
    let status = worst(statuses);
    let message = summary_message(&rows);
    printer.event(&Event::FleetSummary { services: rows });
    printer.event(&Event::Verdict(closing_verdict(status, Some(&message))));
    Ok(status)
}

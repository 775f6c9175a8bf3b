//! `ecspress wait`: attach to the service's current deployment and wait for its verdict.

use crate::cli::WaitArgs;
use crate::exit::ExitStatus;
use crate::ops::render::load_project;
use crate::ops::watch::{WatchOptions, attach};
use crate::output::Printer;
use crate::settings::{GlobalSettings, WatchSettings};

/// Run the command: cluster and service from the config, `--timeout` else the config's
/// `timeout`; the exit status is the verdict's (with several configs: the worst).
pub async fn run(
    args: &WaitArgs,
    settings: &GlobalSettings,
    printer: &Printer,
) -> anyhow::Result<ExitStatus> {
    WatchSettings::from_args(&args.watch)?;
    super::fleet::each_config(
        "wait",
        &args.fleet,
        settings,
        printer,
        |settings, printer, limiter| async move {
            run_one(args, &settings, &printer, limiter.as_ref()).await
        },
    )
    .await
}

async fn run_one(
    args: &WaitArgs,
    settings: &GlobalSettings,
    printer: &Printer,
    limiter: Option<&std::sync::Arc<crate::aws::ratelimit::RateLimiter>>,
) -> anyhow::Result<ExitStatus> {
    let watch = WatchSettings::from_args(&args.watch)?;
    let mut project = load_project(&settings.project).await?;
    if let Some(limiter) = limiter {
        project.map_clients(|c| c.rate_limited(limiter));
    }
    for w in project.warnings() {
        printer.warn(w);
    }
    let config = project.config();
    let Some(service) = config.service.as_deref().filter(|s| !s.is_empty()) else {
        anyhow::bail!(
            "{}: `service` is not set; ecspress wait needs the service to attach to",
            project.config_path().display()
        );
    };
    let opts = WatchOptions {
        timeout: watch.timeout.unwrap_or(config.timeout),
        poll_interval: watch.poll_interval,
        max_poll_interval: watch.max_poll_interval,
        wait_until: watch.wait_until,
    };
    let notifications =
        crate::ops::notify::begin(&project, "wait", &settings.metadata, printer, true).await;
    let sink = notifications.sink(printer);
    let result = follow(&project, service, &opts, sink.as_ref()).await;
    drop(sink);
    notifications.finish(&result, printer).await;
    result
}

/// Attach through CodeDeploy (CODE_DEPLOY services) or ECS.
async fn follow(
    project: &crate::ops::render::Project,
    service: &str,
    opts: &WatchOptions,
    sink: &dyn crate::output::EventSink,
) -> anyhow::Result<ExitStatus> {
    let config = project.config();
    // CODE_DEPLOY services are followed through CodeDeploy.
    let live = project
        .clients()
        .ecs
        .describe_service(&config.cluster, service)
        .await
        .map_err(anyhow::Error::from)?;
    if live
        .as_ref()
        .is_some_and(|l| crate::model::revision::controller_of(l) == "CODE_DEPLOY")
    {
        return crate::ops::codedeploy::attach(project, opts, sink).await;
    }
    attach(
        project.clients().ecs.as_ref(),
        &config.cluster,
        service,
        opts,
        sink,
    )
    .await
}

//! `ecspress status`: read the service, its current service deployment and its auto scaling,
//! and reduce them to one [`ServiceStatus`] report. Read-only.
//!
//! Only DescribeServices is required. The service-deployment API and Application Auto Scaling
//! are extras: a role without `ecs:DescribeServiceDeployments` or
//! `application-autoscaling:Describe*` (common for CodeBuild roles), or an endpoint that does
//! not serve them (`ecspress sim` has no Application Auto Scaling), gets the rest of the
//! report with a note saying what could not be read.

use anyhow::anyhow;
use serde_json::Value;

use crate::aws::AwsError;
use crate::model::status::{self, ServiceStatus};
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;

fn unavailable(e: &AwsError) -> String {
    format!(
        "unavailable ({} failed: {})",
        e.operation,
        e.code.as_deref().unwrap_or(&e.message)
    )
}

/// Build the status report with the last `events` service events.
pub async fn status(project: &Project, events: usize) -> anyhow::Result<ServiceStatus> {
    let target = ServiceRef::of(project)?;
    let clients = project.clients();
    let live = target
        .describe(clients.ecs.as_ref())
        .await?
        .ok_or_else(|| {
            anyhow!(
                "service {} not found in cluster {}",
                target.service,
                target.cluster
            )
        })?;
    let mut report = ServiceStatus::from_service(&live, &target.cluster, events);
    if let Some(arn) = live.get("currentServiceDeployment").and_then(Value::as_str) {
        match clients
            .ecs
            .describe_service_deployments(&[arn.to_owned()])
            .await
        {
            Ok(list) => {
                report.service_deployment = list.first().map(status::service_deployment_summary);
            }
            Err(e) => report.service_deployment_note = Some(unavailable(&e)),
        }
    }
    match clients
        .autoscaling
        .describe(&target.cluster, &target.service)
        .await
    {
        Ok(Some(v)) => report.auto_scaling = Some(status::auto_scaling(&v)),
        Ok(None) => {}
        Err(e) => report.auto_scaling_note = Some(unavailable(&e)),
    }
    Ok(report)
}

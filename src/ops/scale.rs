//! The auto scaling flags of `deploy`, `scale` and `refresh` (reference ecspresso.md §1.4 step
//! 9, §1.5): one RegisterScalableTarget for `service/<cluster>/<service>`.
//!
//! Applied right after the CreateService/UpdateService call and before the watch (ecspresso
//! applies them before the update): a deploy refused or failing at the update leaves auto
//! scaling as it was, and `--resume-auto-scaling` never re-enables scaling for a service whose
//! update did not go through.

use anyhow::Context;

use crate::aws::autoscaling::ScalableTargetChange;
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;
use crate::output::{Event, EventSink};

/// What the change does, in words ("suspend scaling, min 1, max 4").
pub fn describe_change(change: &ScalableTargetChange) -> String {
    let mut parts = Vec::new();
    match change.suspend {
        Some(true) => parts.push("suspend dynamic and scheduled scaling".to_owned()),
        Some(false) => parts.push("resume dynamic and scheduled scaling".to_owned()),
        None => {}
    }
    if let Some(n) = change.min {
        parts.push(format!("min capacity {n}"));
    }
    if let Some(n) = change.max {
        parts.push(format!("max capacity {n}"));
    }
    parts.join(", ")
}

/// Apply the flags (nothing when none was given).
pub(crate) async fn apply_auto_scaling(
    project: &Project,
    target: &ServiceRef,
    change: &ScalableTargetChange,
    sink: &dyn EventSink,
) -> anyhow::Result<()> {
    if change.is_empty() {
        return Ok(());
    }
    project
        .clients()
        .autoscaling
        .register(&target.cluster, &target.service, change)
        .await
        .with_context(|| {
            format!(
                "cannot change the auto scaling of service {} in cluster {} (RegisterScalableTarget service/{}/{})",
                target.service, target.cluster, target.cluster, target.service
            )
        })?;
    sink.emit(Event::Info {
        message: format!(
            "auto scaling of service/{}/{}: {}",
            target.cluster,
            target.service,
            describe_change(change)
        ),
    });
    Ok(())
}

/// `--dry-run`: say what the flags would change.
pub(crate) fn report_dry_run(
    target: &ServiceRef,
    change: &ScalableTargetChange,
    sink: &dyn EventSink,
) {
    if change.is_empty() {
        return;
    }
    sink.emit(Event::Info {
        message: format!(
            "would change the auto scaling of service/{}/{}: {}",
            target.cluster,
            target.service,
            describe_change(change)
        ),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_each_flag() {
        let cases = [
            (ScalableTargetChange::default(), ""),
            (
                ScalableTargetChange {
                    suspend: Some(true),
                    ..Default::default()
                },
                "suspend dynamic and scheduled scaling",
            ),
            (
                ScalableTargetChange {
                    suspend: Some(false),
                    min: Some(1),
                    max: Some(4),
                },
                "resume dynamic and scheduled scaling, min capacity 1, max capacity 4",
            ),
        ];
        for (change, want) in cases {
            assert_eq!(describe_change(&change), want, "{change:?}");
            assert_eq!(change.is_empty(), want.is_empty());
        }
    }
}

//! Application Auto Scaling (the ECS service's scalable target and policies): read for
//! `status`, changed by the `--suspend-auto-scaling / --resume-auto-scaling /
//! --auto-scaling-min / --auto-scaling-max` flags of deploy, scale and refresh.

use serde_json::{Value, json};

use super::{AwsError, AwsResult};

/// What `status` shows about a service's auto scaling.
#[async_trait::async_trait]
pub trait AutoScalingApi: Send + Sync {
    /// DescribeScalableTargets + DescribeScalingPolicies for `service/<cluster>/<service>`:
    /// `{"minCapacity", "maxCapacity", "suspendedState", "policies": [{"policyName",
    /// "policyType"}]}`, or None when the service has no scalable target.
    async fn describe(&self, cluster: &str, service: &str) -> AwsResult<Option<Value>>;

    /// RegisterScalableTarget for `service/<cluster>/<service>` (`ecs:service:DesiredCount`):
    /// updates an existing target (or creates one when both capacities are given). `suspend`
    /// sets DynamicScalingIn, DynamicScalingOut and ScheduledScaling together, as ecspresso does
    /// (reference ecspresso.md §1.4 step 9).
    async fn register(
        &self,
        cluster: &str,
        service: &str,
        change: &ScalableTargetChange,
    ) -> AwsResult<()>;
}

/// What the auto scaling flags change; all `None` = nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScalableTargetChange {
    /// `Some(true)`: `--suspend-auto-scaling`; `Some(false)`: `--resume-auto-scaling`.
    pub suspend: Option<bool>,
    /// `--auto-scaling-min`.
    pub min: Option<i32>,
    /// `--auto-scaling-max`.
    pub max: Option<i32>,
}

impl ScalableTargetChange {
    /// No flag given.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// [`AutoScalingApi`] over aws-sdk-applicationautoscaling.
pub struct SdkAutoScaling {
    client: aws_sdk_applicationautoscaling::Client,
}

impl SdkAutoScaling {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkAutoScaling {
            client: aws_sdk_applicationautoscaling::Client::new(cfg),
        }
    }
}

#[async_trait::async_trait]
impl AutoScalingApi for SdkAutoScaling {
    async fn describe(&self, cluster: &str, service: &str) -> AwsResult<Option<Value>> {
        use aws_sdk_applicationautoscaling::types::ServiceNamespace;
        let resource = format!("service/{cluster}/{service}");
        let targets = self
            .client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_ids(&resource)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeScalableTargets", resource.clone(), e))?;
        let Some(t) = targets.scalable_targets().first() else {
            return Ok(None);
        };
        let policies = self
            .client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&resource)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeScalingPolicies", resource.clone(), e))?;
        let suspended = t.suspended_state().map(|s| {
            json!({
                "dynamicScalingInSuspended": s.dynamic_scaling_in_suspended(),
                "dynamicScalingOutSuspended": s.dynamic_scaling_out_suspended(),
                "scheduledScalingSuspended": s.scheduled_scaling_suspended(),
            })
        });
        Ok(Some(json!({
            "resourceId": resource,
            "minCapacity": t.min_capacity(),
            "maxCapacity": t.max_capacity(),
            "suspendedState": suspended,
            "policies": policies.scaling_policies().iter().map(|p| json!({
                "policyName": p.policy_name(),
                "policyType": p.policy_type().as_str(),
            })).collect::<Vec<_>>(),
        })))
    }

    async fn register(
        &self,
        cluster: &str,
        service: &str,
        change: &ScalableTargetChange,
    ) -> AwsResult<()> {
        use aws_sdk_applicationautoscaling::types::{
            ScalableDimension, ServiceNamespace, SuspendedState,
        };
        let resource = format!("service/{cluster}/{service}");
        let mut req = self
            .client
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&resource)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .set_min_capacity(change.min)
            .set_max_capacity(change.max);
        if let Some(s) = change.suspend {
            req = req.suspended_state(
                SuspendedState::builder()
                    .dynamic_scaling_in_suspended(s)
                    .dynamic_scaling_out_suspended(s)
                    .scheduled_scaling_suspended(s)
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| AwsError::from_sdk("RegisterScalableTarget", resource, e))?;
        Ok(())
    }
}

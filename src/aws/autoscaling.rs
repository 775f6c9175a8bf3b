//! Application Auto Scaling (the ECS service's scalable target and policies), for `status`.

use serde_json::{Value, json};

use super::{AwsError, AwsResult};

/// What `status` shows about a service's auto scaling.
#[async_trait::async_trait]
pub trait AutoScalingApi: Send + Sync {
    /// DescribeScalableTargets + DescribeScalingPolicies for `service/<cluster>/<service>`:
    /// `{"minCapacity", "maxCapacity", "suspendedState", "policies": [{"policyName",
    /// "policyType"}]}`, or None when the service has no scalable target.
    async fn describe(&self, cluster: &str, service: &str) -> AwsResult<Option<Value>>;
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
}

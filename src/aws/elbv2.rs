//! ELBv2 target group lookups: `ecspress verify` checks them; the watcher reads the
//! deregistration delay (how long old tasks drain before a rolling deployment completes).

use std::time::Duration;

use serde_json::{Value, json};

use super::{AwsError, AwsResult};

/// Target group lookups.
#[async_trait::async_trait]
pub trait TargetGroupApi: Send + Sync {
    /// DescribeTargetGroups for one ARN: `{targetGroupArn, targetGroupName, targetType,
    /// protocol, port, loadBalancerArns}` (camelCase), or None when it does not exist (`TargetGroupNotFound`).
    async fn describe_target_group(&self, arn: &str) -> AwsResult<Option<Value>>;

    /// DescribeTargetGroupAttributes: `deregistration_delay.timeout_seconds` (ELB default
    /// 300), or None when the attribute is absent.
    async fn deregistration_delay(&self, _arn: &str) -> AwsResult<Option<Duration>> {
        Ok(None)
    }
}

/// No target groups known (tests, and callers without an ELBv2 client).
pub struct NoTargetGroups;

#[async_trait::async_trait]
impl TargetGroupApi for NoTargetGroups {
    async fn describe_target_group(&self, _arn: &str) -> AwsResult<Option<Value>> {
        Ok(None)
    }
}

/// [`TargetGroupApi`] over aws-sdk-elasticloadbalancingv2.
pub struct SdkTargetGroups {
    client: aws_sdk_elasticloadbalancingv2::Client,
}

impl SdkTargetGroups {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkTargetGroups {
            client: aws_sdk_elasticloadbalancingv2::Client::new(cfg),
        }
    }
}

#[async_trait::async_trait]
impl TargetGroupApi for SdkTargetGroups {
    async fn deregistration_delay(&self, arn: &str) -> AwsResult<Option<Duration>> {
        let out = self
            .client
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeTargetGroupAttributes", arn, e))?;
        Ok(out
            .attributes()
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value())
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs))
    }

    async fn describe_target_group(&self, arn: &str) -> AwsResult<Option<Value>> {
        match self
            .client
            .describe_target_groups()
            .target_group_arns(arn)
            .send()
            .await
        {
            Ok(out) => Ok(out.target_groups().first().map(|tg| {
                json!({
                    "targetGroupArn": tg.target_group_arn(),
                    "targetGroupName": tg.target_group_name(),
                    "targetType": tg.target_type().map(|t| t.as_str()),
                    "protocol": tg.protocol().map(|p| p.as_str()),
                    "port": tg.port(),
                    "loadBalancerArns": tg.load_balancer_arns(),
                })
            })),
            Err(e) => {
                let err = AwsError::from_sdk("DescribeTargetGroups", arn, e);
                if err.code.as_deref() == Some("TargetGroupNotFound") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}

//! ELBv2 target group lookups for `ecspress verify`.

use serde_json::{Value, json};

use super::{AwsError, AwsResult};

/// Target group lookups.
#[async_trait::async_trait]
pub trait TargetGroupApi: Send + Sync {
    /// DescribeTargetGroups for one ARN: `{targetGroupArn, targetGroupName, targetType,
    /// protocol, port, loadBalancerArns}` (camelCase), or None when it does not exist (`TargetGroupNotFound`).
    async fn describe_target_group(&self, arn: &str) -> AwsResult<Option<Value>>;
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

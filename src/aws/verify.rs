//! Read-only lookups `ecspress verify` needs beyond the deploy clients: IAM roles and
//! CloudWatch Logs log groups.
//!
//! Kept apart from [`super::Clients`] because only `verify` uses them: the deploy path never
//! pays for (or needs permissions on) IAM.

use super::{AwsError, AwsResult};

/// IAM role lookups.
#[async_trait::async_trait]
pub trait RoleApi: Send + Sync {
    /// GetRole: the role's `AssumeRolePolicyDocument` (URL-encoded JSON, as IAM returns it),
    /// or None when the role does not exist (`NoSuchEntity`).
    async fn assume_role_policy(&self, role_name: &str) -> AwsResult<Option<String>>;
}

/// [`RoleApi`] over aws-sdk-iam.
pub struct SdkRoles {
    client: aws_sdk_iam::Client,
}

impl SdkRoles {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkRoles {
            client: aws_sdk_iam::Client::new(cfg),
        }
    }
}

#[async_trait::async_trait]
impl RoleApi for SdkRoles {
    async fn assume_role_policy(&self, role_name: &str) -> AwsResult<Option<String>> {
        match self.client.get_role().role_name(role_name).send().await {
            Ok(out) => Ok(Some(
                out.role()
                    .and_then(|r| r.assume_role_policy_document())
                    .unwrap_or_default()
                    .to_owned(),
            )),
            Err(e) => {
                let err = AwsError::from_sdk("GetRole", role_name, e);
                if err.code.as_deref() == Some("NoSuchEntity") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}

/// CloudWatch Logs lookups.
#[async_trait::async_trait]
pub trait LogGroupApi: Send + Sync {
    /// DescribeLogGroups with `logGroupNamePrefix`: whether a group with exactly this name
    /// exists (the prefix filter also matches longer names, so compare, and page on).
    async fn log_group_exists(&self, name: &str) -> AwsResult<bool>;
}

/// [`LogGroupApi`] over aws-sdk-cloudwatchlogs.
pub struct SdkLogGroups {
    client: aws_sdk_cloudwatchlogs::Client,
}

impl SdkLogGroups {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkLogGroups {
            client: aws_sdk_cloudwatchlogs::Client::new(cfg),
        }
    }
}

#[async_trait::async_trait]
impl LogGroupApi for SdkLogGroups {
    async fn log_group_exists(&self, name: &str) -> AwsResult<bool> {
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .describe_log_groups()
                .log_group_name_prefix(name)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeLogGroups", name, e))?;
            if out
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(name))
            {
                return Ok(true);
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(false),
            }
        }
    }
}

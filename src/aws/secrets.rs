//! Secrets Manager adapter.

use super::{AwsError, AwsResult, SecretStore};

/// [`SecretStore`] over aws-sdk-secretsmanager.
pub struct SdkSecretStore {
    client: aws_sdk_secretsmanager::Client,
}

impl SdkSecretStore {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkSecretStore {
            client: aws_sdk_secretsmanager::Client::new(cfg),
        }
    }
}

#[async_trait::async_trait]
impl SecretStore for SdkSecretStore {
    async fn secret_arn(&self, id: &str) -> AwsResult<String> {
        let out = self
            .client
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeSecret", id, e))?;
        out.arn.ok_or_else(|| AwsError {
            kind: super::AwsErrorKind::Service,
            operation: "DescribeSecret",
            target: id.to_owned(),
            code: None,
            message: "response carried no ARN".into(),
            request_id: None,
        })
    }

    async fn secret_string(&self, id: &str) -> AwsResult<String> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetSecretValue", id, e))?;
        out.secret_string.ok_or_else(|| AwsError {
            kind: super::AwsErrorKind::Service,
            operation: "GetSecretValue",
            target: id.to_owned(),
            code: None,
            message: "the secret has no SecretString (binary secrets are not supported)".into(),
            request_id: None,
        })
    }
}

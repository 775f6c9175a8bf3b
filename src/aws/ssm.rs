//! SSM Parameter Store adapter.

use aws_sdk_ssm::types::ParameterType;

use super::{AwsError, AwsResult, Parameter, ParameterKind, ParameterStore};

/// [`ParameterStore`] over aws-sdk-ssm.
pub struct SdkParameterStore {
    client: aws_sdk_ssm::Client,
}

impl SdkParameterStore {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkParameterStore {
            client: aws_sdk_ssm::Client::new(cfg),
        }
    }
}

#[async_trait::async_trait]
impl ParameterStore for SdkParameterStore {
    async fn get_parameter(&self, name: &str) -> AwsResult<Parameter> {
        let out = self
            .client
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetParameter", name, e))?;
        let Some(p) = out.parameter else {
            return Err(AwsError {
                kind: super::AwsErrorKind::Service,
                operation: "GetParameter",
                target: name.to_owned(),
                code: None,
                message: "response carried no parameter".into(),
                request_id: None,
            });
        };
        let kind = match p.r#type {
            Some(ParameterType::StringList) => ParameterKind::StringList,
            Some(ParameterType::SecureString) => ParameterKind::SecureString,
            _ => ParameterKind::String,
        };
        Ok(Parameter {
            value: p.value.unwrap_or_default(),
            kind,
        })
    }
}

//! The only module that imports `aws_sdk_*`.
//!
//! Everything above this layer talks to AWS through small, domain-shaped traits
//! ([`ObjectStore`], [`ParameterStore`], [`SecretStore`], ...) so that orchestration can run
//! against fakes and the simulator, and so that SDK types never leak into `ops/` or `model/`
//! (the mountpoint-s3 client-trait pattern). Each adapter maps SDK errors to [`AwsError`], which
//! keeps the error code, message and request id that users need when they open an AWS case.

pub mod autoscaling;
pub mod codec;
pub mod codedeploy;
mod config;
pub mod dynamodb;
pub mod ecr;
pub mod ecs;
pub mod elbv2;
mod error;
pub mod logs;
pub mod ratelimit;
pub mod registry;
mod s3;
mod secrets;
mod ssm;
pub mod verify;

use std::sync::Arc;

pub use config::{AwsOptions, Timeouts, check_timeout_env, load_sdk_config};
pub use error::{AwsError, AwsErrorKind};
pub use s3::SdkObjectStore;
pub use secrets::SdkSecretStore;
pub use ssm::SdkParameterStore;

/// Result alias for adapter calls.
pub type AwsResult<T> = Result<T, AwsError>;

/// S3 object reads (tfstate).
#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync {
    /// GetObject `s3://bucket/key`, whole body. A missing key is [`AwsErrorKind::NotFound`].
    async fn get_object(&self, bucket: &str, key: &str) -> AwsResult<Vec<u8>>;

    /// GetObject with other credentials than the run's: an s3 backend pointer's `profile` and/or
    /// `assume_role` (the role is assumed for this read only). Stores that cannot switch
    /// credentials (test fakes) answer an error.
    async fn get_object_with(
        &self,
        bucket: &str,
        key: &str,
        access: &crate::model::tfstate_backend::S3Access,
    ) -> AwsResult<Vec<u8>> {
        let _ = access;
        Err(AwsError {
            kind: AwsErrorKind::Service,
            operation: "GetObject",
            target: format!("s3://{bucket}/{key}"),
            code: None,
            message: "this object store cannot switch credentials".into(),
            request_id: None,
        })
    }
}

/// The SSM parameter types that change how a value is used in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterKind {
    /// `String`
    String,
    /// `StringList`: comma-separated; templates must pick an element with `index=N`.
    StringList,
    /// `SecureString`: always read decrypted.
    SecureString,
}

/// One SSM parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// The (decrypted) value.
    pub value: String,
    /// Its type.
    pub kind: ParameterKind,
}

/// SSM Parameter Store reads.
#[async_trait::async_trait]
pub trait ParameterStore: Send + Sync {
    /// GetParameter with decryption. A missing name is [`AwsErrorKind::NotFound`].
    async fn get_parameter(&self, name: &str) -> AwsResult<Parameter>;
}

/// Secrets Manager reads.
#[async_trait::async_trait]
pub trait SecretStore: Send + Sync {
    /// DescribeSecret, returning the secret's full ARN (with AWS's random 6-character suffix).
    async fn secret_arn(&self, id: &str) -> AwsResult<String>;
    /// GetSecretValue's `SecretString` (Slack credentials, the ChatOps signing secret). Stores
    /// that cannot read values (test fakes) answer an error.
    async fn secret_string(&self, id: &str) -> AwsResult<String> {
        Err(AwsError {
            kind: AwsErrorKind::Service,
            operation: "GetSecretValue",
            target: id.to_owned(),
            code: None,
            message: "this secret store cannot read secret values".into(),
            request_id: None,
        })
    }
}

/// The AWS clients one run uses, behind their traits.
#[derive(Clone)]
pub struct Clients {
    /// S3 (tfstate).
    pub s3: Arc<dyn ObjectStore>,
    /// SSM Parameter Store.
    pub ssm: Arc<dyn ParameterStore>,
    /// Secrets Manager.
    pub secrets: Arc<dyn SecretStore>,
    /// ECS.
    pub ecs: Arc<dyn ecs::EcsApi>,
    /// Application Auto Scaling.
    pub autoscaling: Arc<dyn autoscaling::AutoScalingApi>,
    /// CodeDeploy (CODE_DEPLOY-controller services).
    pub codedeploy: Arc<dyn codedeploy::CodeDeployApi>,
    /// ELBv2 target groups (the watcher's drain estimate).
    pub target_groups: Arc<dyn elbv2::TargetGroupApi>,
}

impl Clients {
    /// Real SDK clients from one loaded [`aws_types::SdkConfig`].
    pub fn from_sdk(cfg: &aws_types::SdkConfig) -> Self {
        Clients {
            s3: Arc::new(SdkObjectStore::new(cfg)),
            ssm: Arc::new(SdkParameterStore::new(cfg)),
            secrets: Arc::new(SdkSecretStore::new(cfg)),
            ecs: Arc::new(ecs::SdkEcs::new(cfg)),
            autoscaling: Arc::new(autoscaling::SdkAutoScaling::new(cfg)),
            codedeploy: Arc::new(codedeploy::SdkCodeDeploy::new(cfg)),
            target_groups: Arc::new(elbv2::SdkTargetGroups::new(cfg)),
        }
    }
}

//! Test doubles for the AWS traits the render pipeline uses, counting every call so tests can
//! prove the once-per-run caching. Each fake awaits a task spawned on the runtime and a short
//! timer before answering, so a render that blocked a runtime worker would hang (and the tests
//! time out) instead of passing by luck.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::aws::{
    AwsError, AwsErrorKind, AwsResult, Clients, ObjectStore, Parameter, ParameterKind,
    ParameterStore, SecretStore,
};

/// Yield to the runtime the way a real SDK call does: a spawned task and a timer.
async fn like_a_network_call() {
    let _ = tokio::spawn(async { tokio::time::sleep(Duration::from_millis(2)).await }).await;
}

fn not_found(operation: &'static str, target: &str) -> AwsError {
    AwsError {
        kind: AwsErrorKind::NotFound,
        operation,
        target: target.to_owned(),
        code: Some("NotFound".into()),
        message: "not found".into(),
        request_id: None,
    }
}

/// SSM with fixed parameters.
#[derive(Default)]
pub(crate) struct FakeSsm {
    pub params: HashMap<String, Parameter>,
    pub calls: AtomicUsize,
}

impl FakeSsm {
    pub fn with(params: &[(&str, &str, ParameterKind)]) -> Self {
        FakeSsm {
            params: params
                .iter()
                .map(|(n, v, k)| {
                    (
                        (*n).to_owned(),
                        Parameter {
                            value: (*v).to_owned(),
                            kind: *k,
                        },
                    )
                })
                .collect(),
            calls: AtomicUsize::new(0),
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl ParameterStore for FakeSsm {
    async fn get_parameter(&self, name: &str) -> AwsResult<Parameter> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        like_a_network_call().await;
        self.params
            .get(name)
            .cloned()
            .ok_or_else(|| not_found("GetParameter", name))
    }
}

/// Secrets Manager with fixed ARNs.
#[derive(Default)]
pub(crate) struct FakeSecrets {
    pub arns: HashMap<String, String>,
    pub calls: AtomicUsize,
}

impl FakeSecrets {
    pub fn with(arns: &[(&str, &str)]) -> Self {
        FakeSecrets {
            arns: arns
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            calls: AtomicUsize::new(0),
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl SecretStore for FakeSecrets {
    async fn secret_arn(&self, id: &str) -> AwsResult<String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        like_a_network_call().await;
        self.arns
            .get(id)
            .cloned()
            .ok_or_else(|| not_found("DescribeSecret", id))
    }
}

/// S3 with fixed objects (`bucket/key` → bytes).
#[derive(Default)]
pub(crate) struct FakeS3 {
    pub objects: HashMap<String, Vec<u8>>,
    pub calls: AtomicUsize,
}

#[async_trait::async_trait]
impl ObjectStore for FakeS3 {
    async fn get_object(&self, bucket: &str, key: &str) -> AwsResult<Vec<u8>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        like_a_network_call().await;
        let k = format!("{bucket}/{key}");
        self.objects
            .get(&k)
            .cloned()
            .ok_or_else(|| not_found("GetObject", &format!("s3://{k}")))
    }
}

/// The three fakes, and [`Clients`] over them.
pub(crate) struct Fakes {
    pub ssm: Arc<FakeSsm>,
    pub secrets: Arc<FakeSecrets>,
    pub s3: Arc<FakeS3>,
}

impl Fakes {
    /// The parameters and secrets the fixtures under `tests/fixtures/render` use.
    pub fn standard() -> Self {
        Fakes {
            ssm: Arc::new(FakeSsm::with(&[
                ("/app/db/host", "db.internal", ParameterKind::String),
                (
                    "/app/db/password",
                    "p@ss\"word",
                    ParameterKind::SecureString,
                ),
                (
                    "/app/hosts",
                    "a.internal,b.internal",
                    ParameterKind::StringList,
                ),
                ("/app/region", "ap-northeast-1", ParameterKind::String),
            ])),
            secrets: Arc::new(FakeSecrets::with(&[(
                "app/db",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf",
            )])),
            s3: Arc::new(FakeS3::default()),
        }
    }

    pub fn clients(&self) -> Clients {
        Clients {
            s3: self.s3.clone(),
            ssm: self.ssm.clone(),
            secrets: self.secrets.clone(),
            ecs: Arc::new(NoEcs),
            autoscaling: Arc::new(NoEcs),
            codedeploy: Arc::new(crate::aws::codedeploy::NoCodeDeploy),
            target_groups: Arc::new(crate::aws::elbv2::NoTargetGroups),
        }
    }
}

#[async_trait::async_trait]
impl crate::aws::autoscaling::AutoScalingApi for NoEcs {
    async fn describe(&self, _: &str, _: &str) -> AwsResult<Option<serde_json::Value>> {
        panic!("render must not call Application Auto Scaling")
    }
    async fn register(
        &self,
        _: &str,
        _: &str,
        _: &crate::aws::autoscaling::ScalableTargetChange,
    ) -> AwsResult<()> {
        panic!("render must not call Application Auto Scaling")
    }
}

/// The render pipeline never calls ECS; any call fails the test loudly.
struct NoEcs;

#[async_trait::async_trait]
impl crate::aws::ecs::EcsApi for NoEcs {
    async fn describe_service(&self, _: &str, _: &str) -> AwsResult<Option<serde_json::Value>> {
        panic!("render must not call ECS")
    }
    async fn describe_task_definition(&self, _: &str) -> AwsResult<serde_json::Value> {
        panic!("render must not call ECS")
    }
    async fn list_task_definitions(&self, _: &str) -> AwsResult<Vec<String>> {
        panic!("render must not call ECS")
    }
    async fn register_task_definition(
        &self,
        _: &serde_json::Value,
    ) -> AwsResult<serde_json::Value> {
        panic!("render must not call ECS")
    }
    async fn deregister_task_definition(&self, _: &str) -> AwsResult<()> {
        panic!("render must not call ECS")
    }
    async fn create_service(&self, _: &serde_json::Value) -> AwsResult<serde_json::Value> {
        panic!("render must not call ECS")
    }
    async fn update_service(&self, _: &serde_json::Value) -> AwsResult<serde_json::Value> {
        panic!("render must not call ECS")
    }
    async fn tag_resource(&self, _: &str, _: &[(String, String)]) -> AwsResult<()> {
        panic!("render must not call ECS")
    }
    async fn untag_resource(&self, _: &str, _: &[String]) -> AwsResult<()> {
        panic!("render must not call ECS")
    }
    async fn list_service_deployments(
        &self,
        _: &str,
        _: &str,
        _: Option<f64>,
        _: &[&str],
    ) -> AwsResult<Vec<serde_json::Value>> {
        panic!("render must not call ECS")
    }
    async fn describe_service_deployments(
        &self,
        _: &[String],
    ) -> AwsResult<Vec<serde_json::Value>> {
        panic!("render must not call ECS")
    }
    async fn stop_service_deployment(&self, _: &str, _: &str) -> AwsResult<()> {
        panic!("render must not call ECS")
    }
    async fn continue_service_deployment(&self, _: &str, _: &str, _: &str) -> AwsResult<()> {
        panic!("render must not call ECS")
    }
    async fn list_tasks(&self, _: &str, _: &crate::aws::ecs::TaskFilter) -> AwsResult<Vec<String>> {
        panic!("render must not call ECS")
    }
    async fn describe_tasks(&self, _: &str, _: &[String]) -> AwsResult<Vec<serde_json::Value>> {
        panic!("render must not call ECS")
    }
}

/// `tests/fixtures/render/<name>`.
pub(crate) fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/render")
        .join(name)
}

/// An environment from pairs.
pub(crate) fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

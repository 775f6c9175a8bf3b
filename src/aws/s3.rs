//! S3 adapter (tfstate objects).
//!
//! Bucket region: a state bucket often lives in another region than the deploy target, and S3
//! answers a wrong-region request with `301 PermanentRedirect` + `x-amz-bucket-region`. Like
//! tfstate-lookup we ask HeadBucket once per bucket and use a client for the bucket's region.
//! With an endpoint override (tests, MinIO, moto) the detection is skipped and path-style
//! addressing is forced, because `bucket.127.0.0.1` does not resolve.
//!
//! An s3 backend pointer may name other credentials for the state than the run's own: `profile`
//! and the `assume_role {}` block (Terraform ≥ 1.6) or legacy `role_arn` (reference §6.1:
//! tfstate-lookup supports only `role_arn`), keys (`access_key`/`secret_key`/`token`) and
//! endpoints (`endpoints.s3`/`.sts`, `use_path_style`). [`ObjectStore::get_object_with`] builds
//! a config for that one read; the run's clients keep their credentials. The bucket region is then the
//! backend's `region` (Terraform requires it), so no HeadBucket probe is made.

use std::collections::HashMap;

use tokio::sync::Mutex;

use aws_config::BehaviorVersion;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::region::Region;

use super::{AwsError, AwsResult, ObjectStore};
use crate::model::tfstate_backend::S3Access;

/// STS session name when the backend config gives none (Terraform leaves it to the SDK,
/// which generates one; a fixed name is easier to find in CloudTrail).
const DEFAULT_SESSION_NAME: &str = "ecspress-tfstate";

/// [`ObjectStore`] over aws-sdk-s3, with per-bucket region detection.
pub struct SdkObjectStore {
    base: aws_types::SdkConfig,
    overridden: bool,
    clients: Mutex<HashMap<String, aws_sdk_s3::Client>>,
}

impl SdkObjectStore {
    /// A store from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkObjectStore {
            base: cfg.clone(),
            overridden: super::config::endpoint_overridden(cfg, "S3"),
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client_for(&self, region: Option<String>) -> aws_sdk_s3::Client {
        let mut b = aws_sdk_s3::config::Builder::from(&self.base);
        if self.overridden {
            b = b.force_path_style(true);
        }
        if let Some(r) = region {
            b = b.region(aws_types::region::Region::new(r));
        }
        aws_sdk_s3::Client::from_conf(b.build())
    }

    async fn bucket_client(&self, bucket: &str) -> aws_sdk_s3::Client {
        let mut clients = self.clients.lock().await;
        if let Some(c) = clients.get(bucket) {
            return c.clone();
        }
        let default = self.client_for(None);
        let client = if self.overridden {
            default
        } else {
            let region = match default.head_bucket().bucket(bucket).send().await {
                Ok(out) => out.bucket_region,
                Err(e) => e
                    .raw_response()
                    .and_then(|r| r.headers().get("x-amz-bucket-region"))
                    .map(str::to_owned),
            };
            match region {
                Some(r) if Some(r.as_str()) != self.base.region().map(|x| x.as_ref()) => {
                    self.client_for(Some(r))
                }
                _ => default,
            }
        };
        clients.insert(bucket.to_owned(), client.clone());
        client
    }

    /// A client whose credentials are `access`'s profile and/or assumed role.
    async fn access_client(&self, access: &S3Access) -> aws_sdk_s3::Client {
        let mut cfg = self.base.clone();
        let region = access
            .region
            .clone()
            .map(Region::new)
            .or_else(|| self.base.region().cloned());
        if let Some(profile) = &access.profile {
            // The profile is authoritative for its credentials: the default chain would prefer
            // AWS_ACCESS_KEY_ID & co. from the environment over the profile the backend names.
            let credentials = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .build();
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .profile_name(profile)
                .credentials_provider(credentials);
            if let Some(t) = self.base.timeout_config() {
                loader = loader.timeout_config(t.clone());
            }
            if let Some(r) = self.base.retry_config() {
                loader = loader.retry_config(r.clone());
            }
            if let Some(r) = &region {
                loader = loader.region(r.clone());
            }
            cfg = loader.load().await;
        }
        if let Some(keys) = &access.static_credentials {
            // Terraform: keys written in the backend config beat every other source.
            let credentials = aws_credential_types::Credentials::new(
                keys.access_key_id.clone(),
                keys.secret_access_key.clone(),
                keys.session_token.clone(),
                None,
                "tfstate-backend-config",
            );
            cfg = cfg
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(credentials))
                .build();
        }
        if let Some(role) = &access.assume_role {
            let mut b = aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone())
                .session_name(
                    role.session_name
                        .clone()
                        .unwrap_or_else(|| DEFAULT_SESSION_NAME.to_owned()),
                );
            if let Some(id) = &role.external_id {
                b = b.external_id(id.clone());
            }
            if let Some(d) = role.duration {
                b = b.session_length(d);
            }
            if let Some(p) = &role.policy {
                b = b.policy(p.clone());
            }
            if !role.policy_arns.is_empty() {
                b = b.policy_arns(role.policy_arns.clone());
            }
            if !role.tags.is_empty() {
                b = b.tags(role.tags.clone());
            }
            match &access.sts_endpoint {
                Some(sts) => b = b.configure(&cfg.clone().into_builder().endpoint_url(sts).build()),
                None => b = b.configure(&cfg),
            }
            if let Some(r) = &region {
                b = b.region(r.clone());
            }
            let provider = b.build().await;
            cfg = cfg
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
        let mut b = aws_sdk_s3::config::Builder::from(&cfg);
        if let Some(endpoint) = &access.endpoint {
            b = b.endpoint_url(endpoint);
        }
        // Like tfstate-lookup: a custom endpoint (MinIO, moto) means path-style addressing.
        if self.overridden || access.endpoint.is_some() || access.path_style {
            b = b.force_path_style(true);
        }
        if let Some(r) = region {
            b = b.region(r);
        }
        aws_sdk_s3::Client::from_conf(b.build())
    }
}

async fn get_with(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> AwsResult<Vec<u8>> {
    let target = format!("s3://{bucket}/{key}");
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetObject", target.clone(), e))?;
    let body = out.body.collect().await.map_err(|e| AwsError {
        kind: super::AwsErrorKind::Transport,
        operation: "GetObject",
        target,
        code: None,
        message: e.to_string(),
        request_id: None,
    })?;
    Ok(body.into_bytes().to_vec())
}

#[async_trait::async_trait]
impl ObjectStore for SdkObjectStore {
    async fn get_object(&self, bucket: &str, key: &str) -> AwsResult<Vec<u8>> {
        let client = self.bucket_client(bucket).await;
        get_with(&client, bucket, key).await
    }

    async fn get_object_with(
        &self,
        bucket: &str,
        key: &str,
        access: &S3Access,
    ) -> AwsResult<Vec<u8>> {
        if access.is_default() {
            return self.get_object(bucket, key).await;
        }
        let client = self.access_client(access).await;
        get_with(&client, bucket, key).await
    }
}

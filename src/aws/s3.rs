//! S3 adapter (tfstate objects).
//!
//! Bucket region: a state bucket often lives in another region than the deploy target, and S3
//! answers a wrong-region request with `301 PermanentRedirect` + `x-amz-bucket-region`. Like
//! tfstate-lookup we ask HeadBucket once per bucket and use a client for the bucket's region.
//! With an endpoint override (tests, MinIO, moto) the detection is skipped and path-style
//! addressing is forced, because `bucket.127.0.0.1` does not resolve.

use std::collections::HashMap;

use tokio::sync::Mutex;

use super::{AwsError, AwsResult, ObjectStore};

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
}

#[async_trait::async_trait]
impl ObjectStore for SdkObjectStore {
    async fn get_object(&self, bucket: &str, key: &str) -> AwsResult<Vec<u8>> {
        let target = format!("s3://{bucket}/{key}");
        let client = self.bucket_client(bucket).await;
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
}

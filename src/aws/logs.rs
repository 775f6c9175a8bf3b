//! CloudWatch Logs reads for `ecspress run`: the watched container's awslogs stream, followed
//! while the one-off task runs.
//!
//! Kept apart from [`super::Clients`] (like [`super::verify`]'s log group lookup) because only
//! `run` reads log events: the deploy path never needs `logs:GetLogEvents`.
//!
//! The awslogs driver may write to another region than the project's (`awslogs-region`), so
//! each call names its region and the adapter keeps one client per region.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::{AwsError, AwsResult};

/// One page of `GetLogEvents`, in the API's camelCase shape:
/// `{"events": [{"timestamp", "message", "ingestionTime"}], "nextForwardToken": "f/..."}`.
pub type LogEventsPage = Value;

/// CloudWatch Logs event reads.
#[async_trait::async_trait]
pub trait LogsApi: Send + Sync {
    /// GetLogEvents with `startFromHead: true` from `next_token` (None = the stream's head),
    /// in `region` (None = the configured one). A stream or group that does not exist (yet)
    /// is [`super::AwsErrorKind::NotFound`] (`ResourceNotFoundException`).
    async fn get_log_events(
        &self,
        region: Option<&str>,
        group: &str,
        stream: &str,
        next_token: Option<&str>,
    ) -> AwsResult<LogEventsPage>;
}

/// [`LogsApi`] over aws-sdk-cloudwatchlogs.
pub struct SdkLogs {
    config: aws_types::SdkConfig,
    clients: Mutex<HashMap<String, aws_sdk_cloudwatchlogs::Client>>,
}

impl SdkLogs {
    /// A client from the shared config (more are made for other regions on demand).
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkLogs {
            config: cfg.clone(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, region: Option<&str>) -> aws_sdk_cloudwatchlogs::Client {
        let key = region.unwrap_or_default().to_owned();
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(key)
            .or_insert_with(|| match region {
                Some(r) => {
                    let cfg = self
                        .config
                        .to_builder()
                        .region(aws_types::region::Region::new(r.to_owned()))
                        .build();
                    aws_sdk_cloudwatchlogs::Client::new(&cfg)
                }
                None => aws_sdk_cloudwatchlogs::Client::new(&self.config),
            })
            .clone()
    }
}

#[async_trait::async_trait]
impl LogsApi for SdkLogs {
    async fn get_log_events(
        &self,
        region: Option<&str>,
        group: &str,
        stream: &str,
        next_token: Option<&str>,
    ) -> AwsResult<LogEventsPage> {
        let target = format!("{group}/{stream}");
        let out = self
            .client(region)
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .set_next_token(next_token.map(str::to_owned))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetLogEvents", target, e))?;
        let events: Vec<Value> = out
            .events()
            .iter()
            .map(|e| {
                json!({
                    "timestamp": e.timestamp(),
                    "message": e.message(),
                    "ingestionTime": e.ingestion_time(),
                })
            })
            .collect();
        Ok(json!({
            "events": events,
            "nextForwardToken": out.next_forward_token(),
        }))
    }
}

//! One API budget for a run: a token bucket shared by every service's ECS and CodeDeploy calls.
//!
//! Why: `deploy` with many configs runs one watcher per service, each polling
//! DescribeServices / ListServiceDeployments / DescribeServiceDeployments / DescribeTasks every
//! `--poll-interval`. ECS throttles per account and region (token buckets per API action,
//! ecs-platform-and-peers.md on API throttling), so N watchers must share one budget instead of
//! each assuming it owns the account's. The limiter paces calls *before* they are sent; a
//! `ThrottlingException` that still happens (other clients in the account) goes through the
//! watcher's existing backoff unchanged.
//!
//! The wrappers ([`RateLimitedEcs`], [`RateLimitedCodeDeploy`]) implement the same traits as
//! the clients they wrap (the mountpoint-s3 client-decorator pattern), so `ops` does not know
//! it is limited. [`TokenBucket`] is the pure arithmetic (time is an argument, table-tested);
//! [`RateLimiter`] puts it behind a mutex and sleeps on the tokio clock (paused in tests).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::AwsResult;
use super::codedeploy::CodeDeployApi;
use super::ecs::{EcsApi, TaskFilter};

/// A token bucket with reservations: `burst` calls may go at once, then `rate` per second.
/// A call that finds no token reserves the next one (tokens go negative) and waits until it
/// is due, so waiting callers are served in arrival order at exactly `rate`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    /// When `tokens` was last brought up to date (time since the limiter's origin).
    last: Duration,
}

impl TokenBucket {
    /// A full bucket at time zero. `rate` calls per second (> 0), `burst` ≥ 1 at once.
    pub fn new(rate: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rate: rate.max(f64::MIN_POSITIVE),
            burst,
            tokens: burst,
            last: Duration::ZERO,
        }
    }

    /// Take a token at `now` (time since the origin, never earlier than a previous call's);
    /// returns how long the caller must wait before sending (zero when a token was there).
    pub fn reserve(&mut self, now: Duration) -> Duration {
        let now = now.max(self.last);
        let refill = (now - self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst) - 1.0;
        self.last = now;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// The run's limiter: one [`TokenBucket`] on the tokio clock. Share it with `Arc`.
#[derive(Debug)]
pub struct RateLimiter {
    bucket: Mutex<TokenBucket>,
    origin: tokio::time::Instant,
}

impl RateLimiter {
    /// `rate` calls per second, bursts of `burst`.
    pub fn new(rate: f64, burst: u32) -> Self {
        RateLimiter {
            bucket: Mutex::new(TokenBucket::new(rate, burst)),
            origin: tokio::time::Instant::now(),
        }
    }

    /// Wait for this call's turn.
    pub async fn acquire(&self) {
        let wait = {
            let now = tokio::time::Instant::now().duration_since(self.origin);
            self.bucket
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .reserve(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// [`EcsApi`] with every call paced by a shared [`RateLimiter`].
pub struct RateLimitedEcs {
    inner: Arc<dyn EcsApi>,
    limiter: Arc<RateLimiter>,
}

impl RateLimitedEcs {
    /// Wrap `inner`.
    pub fn new(inner: Arc<dyn EcsApi>, limiter: Arc<RateLimiter>) -> Self {
        RateLimitedEcs { inner, limiter }
    }
}

#[async_trait::async_trait]
impl EcsApi for RateLimitedEcs {
    async fn describe_service(&self, cluster: &str, service: &str) -> AwsResult<Option<Value>> {
        self.limiter.acquire().await;
        self.inner.describe_service(cluster, service).await
    }
    async fn describe_cluster_status(&self, cluster: &str) -> AwsResult<Option<String>> {
        self.limiter.acquire().await;
        self.inner.describe_cluster_status(cluster).await
    }
    async fn describe_task_definition(&self, task_definition: &str) -> AwsResult<Value> {
        self.limiter.acquire().await;
        self.inner.describe_task_definition(task_definition).await
    }
    async fn list_task_definitions(&self, family: &str) -> AwsResult<Vec<String>> {
        self.limiter.acquire().await;
        self.inner.list_task_definitions(family).await
    }
    async fn register_task_definition(&self, input: &Value) -> AwsResult<Value> {
        self.limiter.acquire().await;
        self.inner.register_task_definition(input).await
    }
    async fn deregister_task_definition(&self, task_definition: &str) -> AwsResult<()> {
        self.limiter.acquire().await;
        self.inner.deregister_task_definition(task_definition).await
    }
    async fn create_service(&self, input: &Value) -> AwsResult<Value> {
        self.limiter.acquire().await;
        self.inner.create_service(input).await
    }
    async fn update_service(&self, input: &Value) -> AwsResult<Value> {
        self.limiter.acquire().await;
        self.inner.update_service(input).await
    }
    async fn tag_resource(&self, arn: &str, tags: &[(String, String)]) -> AwsResult<()> {
        self.limiter.acquire().await;
        self.inner.tag_resource(arn, tags).await
    }
    async fn untag_resource(&self, arn: &str, keys: &[String]) -> AwsResult<()> {
        self.limiter.acquire().await;
        self.inner.untag_resource(arn, keys).await
    }
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
        created_after: Option<f64>,
        statuses: &[&str],
    ) -> AwsResult<Vec<Value>> {
        self.limiter.acquire().await;
        self.inner
            .list_service_deployments(cluster, service, created_after, statuses)
            .await
    }
    async fn describe_service_deployments(&self, arns: &[String]) -> AwsResult<Vec<Value>> {
        self.limiter.acquire().await;
        self.inner.describe_service_deployments(arns).await
    }
    async fn stop_service_deployment(&self, arn: &str, stop_type: &str) -> AwsResult<()> {
        self.limiter.acquire().await;
        self.inner.stop_service_deployment(arn, stop_type).await
    }
    async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        action: &str,
    ) -> AwsResult<()> {
        self.limiter.acquire().await;
        self.inner
            .continue_service_deployment(arn, hook_id, action)
            .await
    }
    async fn list_tasks(&self, cluster: &str, filter: &TaskFilter) -> AwsResult<Vec<String>> {
        self.limiter.acquire().await;
        self.inner.list_tasks(cluster, filter).await
    }
    async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> AwsResult<Vec<Value>> {
        self.limiter.acquire().await;
        self.inner.describe_tasks(cluster, arns).await
    }
    async fn delete_task_definitions(&self, arns: &[String]) -> AwsResult<Vec<(String, String)>> {
        self.limiter.acquire().await;
        self.inner.delete_task_definitions(arns).await
    }
}

/// [`CodeDeployApi`] with every call paced by a shared [`RateLimiter`].
pub struct RateLimitedCodeDeploy {
    inner: Arc<dyn CodeDeployApi>,
    limiter: Arc<RateLimiter>,
}

impl RateLimitedCodeDeploy {
    /// Wrap `inner`.
    pub fn new(inner: Arc<dyn CodeDeployApi>, limiter: Arc<RateLimiter>) -> Self {
        RateLimitedCodeDeploy { inner, limiter }
    }
}

#[async_trait::async_trait]
impl CodeDeployApi for RateLimitedCodeDeploy {
    async fn list_applications(&self) -> AwsResult<Vec<String>> {
        self.limiter.acquire().await;
        self.inner.list_applications().await
    }
    async fn batch_get_applications(&self, names: &[String]) -> AwsResult<Vec<Value>> {
        self.limiter.acquire().await;
        self.inner.batch_get_applications(names).await
    }
    async fn list_deployment_groups(&self, application: &str) -> AwsResult<Vec<String>> {
        self.limiter.acquire().await;
        self.inner.list_deployment_groups(application).await
    }
    async fn batch_get_deployment_groups(
        &self,
        application: &str,
        groups: &[String],
    ) -> AwsResult<Vec<Value>> {
        self.limiter.acquire().await;
        self.inner
            .batch_get_deployment_groups(application, groups)
            .await
    }
    async fn create_deployment(&self, input: &Value) -> AwsResult<String> {
        self.limiter.acquire().await;
        self.inner.create_deployment(input).await
    }
    async fn get_deployment(&self, id: &str) -> AwsResult<Value> {
        self.limiter.acquire().await;
        self.inner.get_deployment(id).await
    }
    async fn list_deployments(
        &self,
        application: &str,
        group: &str,
        statuses: &[&str],
    ) -> AwsResult<Vec<String>> {
        self.limiter.acquire().await;
        self.inner
            .list_deployments(application, group, statuses)
            .await
    }
    async fn get_deployment_target(&self, id: &str, target_id: &str) -> AwsResult<Option<Value>> {
        self.limiter.acquire().await;
        self.inner.get_deployment_target(id, target_id).await
    }
    async fn continue_deployment(&self, id: &str, wait_type: &str) -> AwsResult<()> {
        self.limiter.acquire().await;
        self.inner.continue_deployment(id, wait_type).await
    }
    async fn stop_deployment(&self, id: &str, auto_rollback: bool) -> AwsResult<String> {
        self.limiter.acquire().await;
        self.inner.stop_deployment(id, auto_rollback).await
    }
}

impl super::Clients {
    /// These clients with ECS and CodeDeploy paced by `limiter` (shared by every service of a
    /// multi-config run).
    pub fn rate_limited(&self, limiter: &Arc<RateLimiter>) -> super::Clients {
        super::Clients {
            ecs: Arc::new(RateLimitedEcs::new(self.ecs.clone(), limiter.clone())),
            codedeploy: Arc::new(RateLimitedCodeDeploy::new(
                self.codedeploy.clone(),
                limiter.clone(),
            )),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bucket_with_a_fake_clock() {
        let ms = Duration::from_millis;
        // rate 2/s, burst 2: (time of the call in ms, expected wait in ms)
        let cases: &[(u64, u64)] = &[
            (0, 0),      // burst
            (0, 0),      // burst
            (0, 500),    // reserves the token due at 500ms
            (0, 1000),   // and the one at 1000ms
            (1000, 500), // two tokens refilled, both reserved: due at 1500ms
            (5000, 0),   // long idle: refilled to burst (not beyond)
            (5000, 0),
            (5000, 500),
            (4000, 1000), // a clock going backwards counts as no time passing
        ];
        let mut b = TokenBucket::new(2.0, 2);
        for (i, (at, want)) in cases.iter().enumerate() {
            let got = b.reserve(ms(*at));
            assert_eq!(got.as_millis(), u128::from(*want), "call {i} at {at}ms");
        }
    }

    /// Counts DescribeServices on the tokio clock; every other call is unexpected.
    #[derive(Default)]
    struct Recorder {
        at: Mutex<Vec<tokio::time::Instant>>,
    }

    #[async_trait::async_trait]
    impl EcsApi for Recorder {
        async fn describe_service(&self, _: &str, _: &str) -> AwsResult<Option<Value>> {
            self.at
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(tokio::time::Instant::now());
            Ok(None)
        }
        async fn describe_task_definition(&self, _: &str) -> AwsResult<Value> {
            unreachable!()
        }
        async fn list_task_definitions(&self, _: &str) -> AwsResult<Vec<String>> {
            unreachable!()
        }
        async fn register_task_definition(&self, _: &Value) -> AwsResult<Value> {
            unreachable!()
        }
        async fn deregister_task_definition(&self, _: &str) -> AwsResult<()> {
            unreachable!()
        }
        async fn create_service(&self, _: &Value) -> AwsResult<Value> {
            unreachable!()
        }
        async fn update_service(&self, _: &Value) -> AwsResult<Value> {
            unreachable!()
        }
        async fn tag_resource(&self, _: &str, _: &[(String, String)]) -> AwsResult<()> {
            unreachable!()
        }
        async fn untag_resource(&self, _: &str, _: &[String]) -> AwsResult<()> {
            unreachable!()
        }
        async fn list_service_deployments(
            &self,
            _: &str,
            _: &str,
            _: Option<f64>,
            _: &[&str],
        ) -> AwsResult<Vec<Value>> {
            unreachable!()
        }
        async fn describe_service_deployments(&self, _: &[String]) -> AwsResult<Vec<Value>> {
            unreachable!()
        }
        async fn stop_service_deployment(&self, _: &str, _: &str) -> AwsResult<()> {
            unreachable!()
        }
        async fn continue_service_deployment(&self, _: &str, _: &str, _: &str) -> AwsResult<()> {
            unreachable!()
        }
        async fn list_tasks(&self, _: &str, _: &TaskFilter) -> AwsResult<Vec<String>> {
            unreachable!()
        }
        async fn describe_tasks(&self, _: &str, _: &[String]) -> AwsResult<Vec<Value>> {
            unreachable!()
        }
    }

    /// Three services' clients, each wrapped separately around the same limiter (as
    /// `ops::fleet` does): together they never exceed the one budget, on a paused clock.
    #[tokio::test(start_paused = true)]
    async fn one_budget_shared_by_every_service() {
        const RATE: u32 = 5;
        const SERVICES: usize = 3;
        const CALLS: usize = 20;
        let recorder = Arc::new(Recorder::default());
        let limiter = Arc::new(RateLimiter::new(f64::from(RATE), RATE));
        let start = tokio::time::Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..SERVICES {
            let ecs = RateLimitedEcs::new(recorder.clone(), limiter.clone());
            tasks.spawn(async move {
                for _ in 0..CALLS {
                    ecs.describe_service("c", "s").await.unwrap();
                }
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap();
        }
        let at: Vec<Duration> = recorder
            .at
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.duration_since(start))
            .collect();
        assert_eq!(at.len(), SERVICES * CALLS);
        // In every one-second window: at most the burst plus one second's rate.
        for t in &at {
            let window = at
                .iter()
                .filter(|u| **u >= *t && **u < *t + Duration::from_secs(1))
                .count();
            assert!(
                window <= 2 * RATE as usize,
                "{window} calls in 1s from {t:?}"
            );
        }
        // Shared, not per service: 60 calls at 5/s after a burst of 5 take 11s (each service
        // alone would be done in 3s).
        let last = at.iter().max().copied().unwrap_or_default();
        let want = Duration::from_secs_f64((SERVICES * CALLS - RATE as usize) as f64 / 5.0);
        assert!(
            last >= want && last <= want + Duration::from_millis(50),
            "{last:?}"
        );
    }
}

//! The deploy lock: at most one `deploy`/`rollback` per ECS service at a time, whoever starts it
//! (CI with `--lock dynamodb://TABLE`, or the ChatOps server with `lock:` in chatops.yml).
//!
//! Why DynamoDB: a conditional PutItem is an atomic compare-and-set that every deployer can reach
//! with the credentials it already has, and the table's TTL attribute (`expires_at`) removes the
//! item of a holder that crashed. We do not rely on TTL deletion timing (DynamoDB deletes expired
//! items lazily, typically within days), so acquisition treats an item whose `expires_at` is in
//! the past as free (`attribute_not_exists(lock_id) OR expires_at < :now`). While the operation
//! runs, a heartbeat pushes `expires_at` forward (conditioned on our holder id), so the TTL only
//! has to cover a crash, not the longest deployment.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::aws::dynamodb::{LockItem, LockStore, LockWrite, SdkLockStore};
use crate::aws::{AwsError, load_sdk_config};
use crate::exit::ExitStatus;
use crate::ops::deploy::ServiceRef;
use crate::ops::render::Project;

/// Default lock TTL: long enough to outlive heartbeat hiccups, short enough that a crashed
/// holder does not block the next deploy for long.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// `--lock dynamodb://TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockSpec {
    /// The DynamoDB table (partition key `lock_id`, string).
    pub table: String,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The URL is not `dynamodb://TABLE`.
    #[error(
        "invalid lock URL {0:?}: expected dynamodb://TABLE (3-255 characters: letters, digits, _ - .)"
    )]
    BadUrl(String),
    /// Somebody else holds it: nothing was changed.
    #[error(
        "the deploy lock for {lock_id} is held by {holder_info} since {since} (until {until} unless renewed); nothing was changed"
    )]
    Busy {
        /// `cluster/service`.
        lock_id: String,
        /// Who holds it.
        holder_info: String,
        /// When they took it (RFC 3339).
        since: String,
        /// When it expires without a heartbeat (RFC 3339).
        until: String,
    },
    /// DynamoDB failed.
    #[error("deploy lock: {0}")]
    Aws(#[from] AwsError),
}

impl LockSpec {
    /// Parse `dynamodb://TABLE`.
    pub fn parse(url: &str) -> Result<Self, LockError> {
        let bad = || LockError::BadUrl(url.to_owned());
        let table = url.strip_prefix("dynamodb://").ok_or_else(bad)?;
        // DynamoDB table names: 3-255 of [a-zA-Z0-9_.-].
        let ok = (3..=255).contains(&table.len())
            && table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !ok {
            return Err(bad());
        }
        Ok(LockSpec {
            table: table.to_owned(),
        })
    }
}

/// Seconds since the epoch.
pub fn epoch_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn rfc3339(epoch: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(epoch.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// An id unique to this acquisition (host, pid, time, counter): conditions compare it, so a
/// second request in the same process never releases the first one's lock.
fn holder_id() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{}-{nanos}-{}",
        host(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// The host name, for people reading `holder_info`.
pub fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// A held lock. Release it with [`LockGuard::release`]; dropping it stops the heartbeat and
/// releases in the background when a runtime is still there (best effort: the TTL covers the rest).
pub struct LockGuard {
    store: Arc<dyn LockStore>,
    table: String,
    lock_id: String,
    holder: String,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("table", &self.table)
            .field("lock_id", &self.lock_id)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

/// Take the lock `lock_id` (`cluster/service`) in `spec`'s table, or say who holds it.
pub async fn acquire(
    store: Arc<dyn LockStore>,
    spec: &LockSpec,
    lock_id: &str,
    holder_info: &str,
    ttl: Duration,
) -> Result<LockGuard, LockError> {
    let now = epoch_now();
    let ttl_secs = ttl.as_secs().max(1) as i64;
    let item = LockItem {
        lock_id: lock_id.to_owned(),
        holder: holder_id(),
        holder_info: holder_info.to_owned(),
        acquired_at: now,
        expires_at: now + ttl_secs,
    };
    match store.acquire(&spec.table, &item, now).await? {
        LockWrite::Done => {}
        LockWrite::Refused(current) => {
            let current = current.unwrap_or_else(|| LockItem {
                holder_info: "another deployer (the item vanished while we read it)".into(),
                ..item.clone()
            });
            return Err(LockError::Busy {
                lock_id: lock_id.to_owned(),
                holder_info: current.holder_info,
                since: rfc3339(current.acquired_at),
                until: rfc3339(current.expires_at),
            });
        }
    }
    let heartbeat = {
        let (store, table, lock_id, holder) = (
            store.clone(),
            spec.table.clone(),
            item.lock_id.clone(),
            item.holder.clone(),
        );
        let every = Duration::from_secs((ttl_secs as u64 / 3).max(1));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                // A lost lock (Refused) cannot be won back safely: stop refreshing. Errors are
                // retried on the next beat; the TTL is three beats long.
                if let Ok(LockWrite::Refused(_)) = store
                    .refresh(&table, &lock_id, &holder, epoch_now() + ttl_secs)
                    .await
                {
                    break;
                }
            }
        })
    };
    Ok(LockGuard {
        store,
        table: spec.table.clone(),
        lock_id: item.lock_id,
        holder: item.holder,
        heartbeat: Some(heartbeat),
    })
}

impl LockGuard {
    /// `cluster/service`.
    pub fn lock_id(&self) -> &str {
        &self.lock_id
    }

    /// Stop the heartbeat and delete the item (only if we still hold it).
    pub async fn release(mut self) -> Result<(), LockError> {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let r = self
            .store
            .release(&self.table, &self.lock_id, &self.holder)
            .await;
        // Released: Drop must not try again.
        self.holder.clear();
        r.map(|_| ())?;
        Ok(())
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        if self.holder.is_empty() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (store, table, lock_id, holder) = (
                self.store.clone(),
                std::mem::take(&mut self.table),
                std::mem::take(&mut self.lock_id),
                std::mem::take(&mut self.holder),
            );
            rt.spawn(async move {
                let _ = store.release(&table, &lock_id, &holder).await;
            });
        }
    }
}

/// `holder_info` for a command-line run: `user@host (pid N): ecspress deploy`.
pub fn cli_holder_info(operation: &str) -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!(
        "{user}@{} (pid {}): ecspress {operation}",
        host(),
        std::process::id()
    )
}

/// The lock id of a project's service: `cluster/service`.
pub fn lock_id_of(project: &Project) -> anyhow::Result<String> {
    let target = ServiceRef::of(project)?;
    Ok(format!("{}/{}", target.cluster, target.service))
}

/// The DynamoDB store for a project's AWS settings (`AWS_ENDPOINT_URL_DYNAMODB` applies).
pub async fn store_for(project: &Project) -> Arc<dyn LockStore> {
    Arc::new(SdkLockStore::new(
        &load_sdk_config(project.aws_options()).await,
    ))
}

/// Run `op` holding the lock of `project`'s service when `url` is given (else just run it).
///
/// The lock is released on every way out: success, failure, and Ctrl-C (caught here first, best
/// effort: if the process dies anyway, the TTL frees the lock).
pub async fn locked<Fut>(
    project: &Project,
    url: Option<&str>,
    holder_info: &str,
    op: Fut,
) -> anyhow::Result<ExitStatus>
where
    Fut: Future<Output = anyhow::Result<ExitStatus>>,
{
    let Some(url) = url else {
        return op.await;
    };
    let spec = LockSpec::parse(url)?;
    let lock_id = lock_id_of(project)?;
    let guard = acquire(
        store_for(project).await,
        &spec,
        &lock_id,
        holder_info,
        DEFAULT_TTL,
    )
    .await?;
    let outcome = tokio::select! {
        r = op => r,
        _ = tokio::signal::ctrl_c() => Ok(ExitStatus::Interrupted),
    };
    let released = guard.release().await;
    match (outcome, released) {
        (Ok(status), Err(e)) => {
            // The operation's verdict matters more; the TTL frees the lock.
            Err(anyhow::Error::new(e).context(format!(
                "the operation ended with {status}, but releasing the deploy lock {lock_id} failed (it expires by itself)"
            )))
        }
        (outcome, _) => outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_urls() {
        let cases: &[(&str, Option<&str>)] = &[
            ("dynamodb://locks", Some("locks")),
            (
                "dynamodb://ecspress.locks-prod_1",
                Some("ecspress.locks-prod_1"),
            ),
            ("dynamodb://ab", None),
            ("dynamodb://", None),
            ("s3://locks", None),
            ("dynamodb://lo cks", None),
            ("dynamodb://locks/extra", None),
            ("locks", None),
        ];
        for (url, want) in cases {
            let got = LockSpec::parse(url).ok().map(|s| s.table);
            assert_eq!(got.as_deref(), *want, "{url}");
        }
    }

    #[test]
    fn busy_message_names_the_holder() {
        let e = LockError::Busy {
            lock_id: "c/web".into(),
            holder_info: "alice@ci (pid 1): ecspress deploy".into(),
            since: rfc3339(0),
            until: rfc3339(300),
        };
        let msg = e.to_string();
        assert!(msg.contains("alice@ci (pid 1)"), "{msg}");
        assert!(msg.contains("1970-01-01T00:00:00Z"), "{msg}");
        assert!(msg.contains("nothing was changed"), "{msg}");
    }

    /// An in-memory [`LockStore`] with DynamoDB's conditional semantics, counting calls.
    #[derive(Default)]
    struct MemStore {
        items: std::sync::Mutex<std::collections::HashMap<String, LockItem>>,
        refreshes: AtomicU64,
        releases: AtomicU64,
    }

    #[async_trait::async_trait]
    impl LockStore for MemStore {
        async fn acquire(
            &self,
            _: &str,
            item: &LockItem,
            now: i64,
        ) -> crate::aws::AwsResult<LockWrite> {
            let mut items = self.items.lock().unwrap();
            match items.get(&item.lock_id) {
                Some(cur) if cur.expires_at >= now => Ok(LockWrite::Refused(Some(cur.clone()))),
                _ => {
                    items.insert(item.lock_id.clone(), item.clone());
                    Ok(LockWrite::Done)
                }
            }
        }
        async fn refresh(
            &self,
            _: &str,
            id: &str,
            holder: &str,
            exp: i64,
        ) -> crate::aws::AwsResult<LockWrite> {
            self.refreshes.fetch_add(1, Ordering::SeqCst);
            let mut items = self.items.lock().unwrap();
            match items.get_mut(id) {
                Some(cur) if cur.holder == holder => {
                    cur.expires_at = exp;
                    Ok(LockWrite::Done)
                }
                cur => Ok(LockWrite::Refused(cur.cloned())),
            }
        }
        async fn release(
            &self,
            _: &str,
            id: &str,
            holder: &str,
        ) -> crate::aws::AwsResult<LockWrite> {
            self.releases.fetch_add(1, Ordering::SeqCst);
            let mut items = self.items.lock().unwrap();
            if items.get(id).is_some_and(|c| c.holder == holder) {
                items.remove(id);
                Ok(LockWrite::Done)
            } else {
                Ok(LockWrite::Refused(items.get(id).cloned()))
            }
        }
        async fn get(&self, _: &str, id: &str) -> crate::aws::AwsResult<Option<LockItem>> {
            Ok(self.items.lock().unwrap().get(id).cloned())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn guard_heartbeats_and_releases_on_every_path() {
        let store = Arc::new(MemStore::default());
        let spec = LockSpec::parse("dynamodb://locks").unwrap();
        let ttl = Duration::from_secs(30);
        let g = acquire(store.clone(), &spec, "c/web", "alice: deploy", ttl)
            .await
            .unwrap();
        // Busy while held, naming the holder.
        let busy = acquire(store.clone(), &spec, "c/web", "bob: deploy", ttl)
            .await
            .unwrap_err();
        assert!(busy.to_string().contains("held by alice: deploy"), "{busy}");
        // Heartbeat every ttl/3 (paused clock: sleeping advances it).
        tokio::time::sleep(Duration::from_secs(31)).await;
        assert_eq!(store.refreshes.load(Ordering::SeqCst), 3);
        g.release().await.unwrap();
        assert_eq!(store.releases.load(Ordering::SeqCst), 1);
        assert!(store.items.lock().unwrap().is_empty());
        // No heartbeat after release.
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(store.refreshes.load(Ordering::SeqCst), 3);
        // Dropped (an error path, Ctrl-C): released in the background.
        let g = acquire(store.clone(), &spec, "c/web", "bob: deploy", ttl)
            .await
            .unwrap();
        drop(g);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(store.releases.load(Ordering::SeqCst), 2);
        assert!(store.items.lock().unwrap().is_empty());
    }
}

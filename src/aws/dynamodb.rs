//! DynamoDB adapter for the deploy lock ([`LockStore`]).
//!
//! One item per locked service, keyed by `lock_id` (`cluster/service`). Every write is a
//! conditional write, so DynamoDB itself arbitrates between concurrent deployers: a condition
//! that fails is `ConditionalCheckFailedException`, which we return as a value (not an error)
//! because "somebody else holds it" is an expected answer.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

use super::{AwsError, AwsResult};

/// One lock item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockItem {
    /// `cluster/service`.
    pub lock_id: String,
    /// An opaque id unique to the process/request that holds it (conditions compare it).
    pub holder: String,
    /// Who, where and what, for people (`alice@ci-runner pid 42: deploy`).
    pub holder_info: String,
    /// Epoch seconds.
    pub acquired_at: i64,
    /// Epoch seconds; also the table's TTL attribute, so DynamoDB deletes crashed holders' items.
    pub expires_at: i64,
}

/// The outcome of a conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockWrite {
    /// The write happened.
    Done,
    /// The condition failed; the current item, when it could be read.
    Refused(Option<LockItem>),
}

/// Conditional lock item writes.
#[async_trait::async_trait]
pub trait LockStore: Send + Sync {
    /// PutItem unless a live item exists (`attribute_not_exists(lock_id) OR expires_at < :now`).
    async fn acquire(&self, table: &str, item: &LockItem, now: i64) -> AwsResult<LockWrite>;
    /// Push `expires_at` forward, only while `holder` still holds it (heartbeat).
    async fn refresh(
        &self,
        table: &str,
        lock_id: &str,
        holder: &str,
        expires_at: i64,
    ) -> AwsResult<LockWrite>;
    /// DeleteItem, only when `holder` holds it.
    async fn release(&self, table: &str, lock_id: &str, holder: &str) -> AwsResult<LockWrite>;
    /// The current item (consistent read), if any.
    async fn get(&self, table: &str, lock_id: &str) -> AwsResult<Option<LockItem>>;
}

/// [`LockStore`] over aws-sdk-dynamodb.
pub struct SdkLockStore {
    client: aws_sdk_dynamodb::Client,
}

impl SdkLockStore {
    /// A client from the shared config.
    pub fn new(cfg: &aws_types::SdkConfig) -> Self {
        SdkLockStore {
            client: aws_sdk_dynamodb::Client::new(cfg),
        }
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn decode(item: &HashMap<String, AttributeValue>) -> Option<LockItem> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    let num = |k: &str| {
        item.get(k)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
    };
    Some(LockItem {
        lock_id: text("lock_id")?,
        holder: text("holder").unwrap_or_default(),
        holder_info: text("holder_info").unwrap_or_default(),
        acquired_at: num("acquired_at").unwrap_or(0),
        expires_at: num("expires_at").unwrap_or(0),
    })
}

/// Whether the error is a failed condition (an answer, not a failure).
fn condition_failed<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.as_service_error()
        .and_then(|s| s.code())
        .is_some_and(|c| c == "ConditionalCheckFailedException")
}

#[async_trait::async_trait]
impl LockStore for SdkLockStore {
    async fn acquire(&self, table: &str, item: &LockItem, now: i64) -> AwsResult<LockWrite> {
        let r = self
            .client
            .put_item()
            .table_name(table)
            .item("lock_id", s(&item.lock_id))
            .item("holder", s(&item.holder))
            .item("holder_info", s(&item.holder_info))
            .item("acquired_at", n(item.acquired_at))
            .item("expires_at", n(item.expires_at))
            .condition_expression("attribute_not_exists(lock_id) OR expires_at < :now")
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match r {
            Ok(_) => Ok(LockWrite::Done),
            Err(e) if condition_failed(&e) => {
                Ok(LockWrite::Refused(self.get(table, &item.lock_id).await?))
            }
            Err(e) => Err(AwsError::from_sdk(
                "PutItem",
                format!("{table}/{}", item.lock_id),
                e,
            )),
        }
    }

    async fn refresh(
        &self,
        table: &str,
        lock_id: &str,
        holder: &str,
        expires_at: i64,
    ) -> AwsResult<LockWrite> {
        let r = self
            .client
            .update_item()
            .table_name(table)
            .key("lock_id", s(lock_id))
            .update_expression("SET expires_at = :e")
            .condition_expression("holder = :h")
            .expression_attribute_values(":e", n(expires_at))
            .expression_attribute_values(":h", s(holder))
            .send()
            .await;
        match r {
            Ok(_) => Ok(LockWrite::Done),
            Err(e) if condition_failed(&e) => {
                Ok(LockWrite::Refused(self.get(table, lock_id).await?))
            }
            Err(e) => Err(AwsError::from_sdk(
                "UpdateItem",
                format!("{table}/{lock_id}"),
                e,
            )),
        }
    }

    async fn release(&self, table: &str, lock_id: &str, holder: &str) -> AwsResult<LockWrite> {
        let r = self
            .client
            .delete_item()
            .table_name(table)
            .key("lock_id", s(lock_id))
            .condition_expression("holder = :h")
            .expression_attribute_values(":h", s(holder))
            .send()
            .await;
        match r {
            Ok(_) => Ok(LockWrite::Done),
            Err(e) if condition_failed(&e) => {
                Ok(LockWrite::Refused(self.get(table, lock_id).await?))
            }
            Err(e) => Err(AwsError::from_sdk(
                "DeleteItem",
                format!("{table}/{lock_id}"),
                e,
            )),
        }
    }

    async fn get(&self, table: &str, lock_id: &str) -> AwsResult<Option<LockItem>> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .key("lock_id", s(lock_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", format!("{table}/{lock_id}"), e))?;
        Ok(out.item.as_ref().and_then(decode))
    }
}

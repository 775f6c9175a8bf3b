//! Posting to Slack: a request's `response_url`, or one thread through the Web API.
//!
//! A `response_url` accepts at most five posts within 30 minutes
//! (../shared/reference/ecs-platform-and-peers.md §8.2), so a run plans its posts: one when the
//! deployment starts, one per pause (with buttons), and the verdict; the last slot is reserved
//! for the verdict, so the outcome is never the post that gets dropped. With a bot token there
//! is no such limit: chat.postMessage starts a thread and later posts reply in it.
//!
//! Retries only on 429 (honouring Retry-After, capped) and 5xx, with capped exponential backoff.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// Slack's limit per response_url.
pub const RESPONSE_URL_POSTS: u8 = 5;

const ATTEMPTS: u32 = 4;
const MAX_BACKOFF: Duration = Duration::from_secs(4);

/// A small Slack HTTP client.
#[derive(Clone)]
pub struct SlackHttp {
    http: reqwest::Client,
    api_url: String,
    bot_token: Option<String>,
}

impl SlackHttp {
    /// `api_url` like `https://slack.com/api`.
    pub fn new(api_url: String, bot_token: Option<String>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("cannot build the Slack HTTP client")?;
        Ok(SlackHttp {
            http,
            api_url,
            bot_token,
        })
    }

    /// Whether posts go to a thread (a bot token is configured).
    pub fn has_bot_token(&self) -> bool {
        self.bot_token.is_some()
    }

    async fn post(&self, url: &str, body: &Value, token: Option<&str>) -> anyhow::Result<Value> {
        let mut backoff = Duration::from_millis(250);
        for attempt in 1..=ATTEMPTS {
            let mut req = self
                .http
                .post(url)
                .header("content-type", "application/json; charset=utf-8")
                .body(body.to_string());
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let last = attempt == ATTEMPTS;
            match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        let text = resp.text().await.unwrap_or_default();
                        return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
                    }
                    let retryable = status.as_u16() == 429 || status.is_server_error();
                    if !retryable || last {
                        bail!("Slack answered {status} to a post");
                    }
                    let wait = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(Duration::from_secs)
                        .unwrap_or(backoff)
                        .min(MAX_BACKOFF);
                    tokio::time::sleep(wait).await;
                }
                // Transport errors: the post may or may not have arrived; a duplicate message is
                // better than a lost verdict.
                Err(_) if !last => tokio::time::sleep(backoff).await,
                Err(e) => return Err(anyhow::Error::new(e).context("cannot post to Slack")),
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        bail!("Slack post failed")
    }
}

/// Whether a response_url that took `used` posts may take another (non-final posts keep the
/// last slot for the verdict).
pub fn slot_free(used: u8, is_final: bool) -> bool {
    let limit = if is_final {
        RESPONSE_URL_POSTS
    } else {
        RESPONSE_URL_POSTS - 1
    };
    used < limit
}

/// One message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Fallback / notification text.
    pub text: String,
    /// Block Kit blocks, if any.
    pub blocks: Option<Value>,
}

/// Where one run's posts go.
pub enum Reply {
    /// The request's response_url with its post budget.
    ResponseUrl {
        /// The URL.
        url: String,
        /// Posts made so far.
        used: u8,
    },
    /// A thread in `channel` (bot token); `ts` of its first message once posted.
    Thread {
        /// Channel id.
        channel: String,
        /// Thread parent.
        ts: Option<String>,
    },
}

impl Reply {
    /// Post `msg`. Non-final posts leave the last response_url slot free for the verdict.
    /// Returns whether it was sent.
    pub async fn post(&mut self, slack: &SlackHttp, msg: &Message, is_final: bool) -> bool {
        match self {
            Reply::ResponseUrl { url, used } => {
                if !slot_free(*used, is_final) {
                    return false;
                }
                *used += 1;
                let mut body = json!({
                    "response_type": "in_channel",
                    "replace_original": false,
                    "text": msg.text,
                });
                if let Some(b) = &msg.blocks {
                    body["blocks"] = b.clone();
                }
                slack.post(url, &body, None).await.is_ok()
            }
            Reply::Thread { channel, ts } => {
                let mut body = json!({ "channel": channel, "text": msg.text });
                if let Some(b) = &msg.blocks {
                    body["blocks"] = b.clone();
                }
                if let Some(ts) = ts {
                    body["thread_ts"] = json!(ts);
                }
                let url = format!("{}/chat.postMessage", slack.api_url.trim_end_matches('/'));
                match slack.post(&url, &body, slack.bot_token.as_deref()).await {
                    Ok(v) => {
                        if ts.is_none() {
                            *ts = v["ts"].as_str().map(str::to_owned);
                        }
                        v["ok"].as_bool().unwrap_or(false)
                    }
                    Err(_) => false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_url_budget_reserves_the_last_post_for_the_verdict() {
        let cases = [
            (0, false, true),
            (3, false, true),
            (4, false, false),
            (4, true, true),
            (5, true, false),
            (5, false, false),
        ];
        for (used, is_final, want) in cases {
            assert_eq!(slot_free(used, is_final), want, "{used} {is_final}");
        }
        // A run that pauses many times: at most 5 posts, the verdict among them.
        let mut used = 0;
        let mut sent = Vec::new();
        for i in 0..10 {
            if slot_free(used, false) {
                used += 1;
                sent.push(i);
            }
        }
        assert!(slot_free(used, true));
        assert_eq!(sent.len(), 4);
    }
}

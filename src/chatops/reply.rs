//! Posting to Slack: a request's `response_url`, or one thread through the Web API.
//!
//! A `response_url` accepts at most five posts within 30 minutes
//! (../shared/reference/ecs-platform-and-peers.md §8.2), so a run plans its posts: one when the
//! deployment starts, one per pause (with buttons), and the verdict; the last slot is reserved
//! for the verdict, so the outcome is never the post that gets dropped. With a bot token there
//! is no such limit: chat.postMessage starts a thread and later posts reply in it.
//!
//! Delivery (retries only on 429, honouring Retry-After, and 5xx) is [`crate::slack::http`]'s.

use serde_json::{Value, json};

use crate::slack::http::{SlackClient, SlackTarget};

/// Slack's limit per response_url.
pub const RESPONSE_URL_POSTS: u8 = 5;

/// Where a server posts: the Web API base and the bot token, if configured. Transport and retry
/// policy are the shared [`crate::slack::http`] ones (a response_url is posted to like an
/// incoming webhook).
#[derive(Clone)]
pub struct SlackHttp {
    api_url: String,
    bot_token: Option<String>,
}

impl SlackHttp {
    /// `api_url` like `https://slack.com/api`.
    pub fn new(api_url: String, bot_token: Option<String>) -> anyhow::Result<Self> {
        Ok(SlackHttp { api_url, bot_token })
    }

    /// Whether posts go to a thread (a bot token is configured).
    pub fn has_bot_token(&self) -> bool {
        self.bot_token.is_some()
    }

    fn bot(&self, channel: &str) -> Option<SlackClient> {
        self.bot_token.as_ref().map(|token| {
            SlackClient::new(SlackTarget::Bot {
                token: token.clone(),
                channel: channel.to_owned(),
                api_base: self.api_url.clone(),
            })
        })
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
                SlackClient::new(SlackTarget::Webhook { url: url.clone() })
                    .post_webhook(&body)
                    .await
                    .is_ok()
            }
            Reply::Thread { channel, ts } => {
                let Some(client) = slack.bot(channel) else {
                    return false;
                };
                let mut body = json!({ "text": msg.text });
                if let Some(b) = &msg.blocks {
                    body["blocks"] = b.clone();
                }
                match client.post_message(&body, ts.as_deref()).await {
                    Ok(posted) => {
                        if ts.is_none() {
                            *ts = Some(posted.ts);
                        }
                        true
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

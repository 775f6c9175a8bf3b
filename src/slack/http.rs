//! The Slack HTTP transport: incoming webhooks and the Web API (`chat.postMessage`,
//! `chat.update`) with a bot token.
//!
//! Retry policy (../shared/reference/ecs-platform-and-peers.md §8.3): Slack rate-limits with
//! HTTP 429 and a `Retry-After` header (seconds) — honour it; 5xx is transient — back off
//! (capped). Everything else is final: webhooks answer 4xx with a plain-text reason
//! (`400 invalid_payload`, `403 action_prohibited`, `404 no_service`, `410 channel_is_archived`),
//! the Web API answers HTTP 200 with `{"ok": false, "error": "..."}`. Retrying those would only
//! repeat the failure.
//!
//! The webhook URL and the bot token are credentials: they never appear in an error or log
//! text (reqwest errors are stripped of their URL).

use std::time::Duration;

use serde_json::Value;

/// At most this many attempts per message.
pub const MAX_ATTEMPTS: u32 = 4;
/// Longest single wait (a larger `Retry-After` is capped: we are best effort).
pub const MAX_DELAY: Duration = Duration::from_secs(10);

/// A Slack delivery failure (no URL, no token in the text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack answered an HTTP error (webhook reasons such as `no_service` are the body).
    #[error("Slack answered HTTP {status}: {reason}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The body (trimmed, shortened).
        reason: String,
    },
    /// The Web API answered `{"ok": false, "error": ...}`.
    #[error("Slack API {method} failed: {error}")]
    Api {
        /// `chat.postMessage`, ...
        method: String,
        /// Slack's error code (`channel_not_found`, `invalid_auth`, ...).
        error: String,
    },
    /// No answer (connection refused, DNS, timeout).
    #[error("cannot reach Slack: {0}")]
    Transport(String),
}

/// How long to wait before the next attempt after an HTTP `status`, or None: do not retry.
/// `attempt` counts from 1 (the attempt that just failed).
pub fn retry_delay(status: u16, retry_after: Option<&str>, attempt: u32) -> Option<Duration> {
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    let backoff = || {
        Duration::from_millis(500)
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(MAX_DELAY)
    };
    match status {
        429 => Some(
            retry_after
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .unwrap_or_else(backoff)
                .min(MAX_DELAY),
        ),
        500..=599 => Some(backoff()),
        _ => None,
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum SlackTarget {
    /// An incoming webhook URL.
    Webhook {
        /// The URL (a credential).
        url: String,
    },
    /// The Web API with a bot token.
    Bot {
        /// `xoxb-...` (a credential).
        token: String,
        /// Channel id or name.
        channel: String,
        /// Web API base, `https://slack.com/api` (tests point it elsewhere).
        api_base: String,
    },
}

impl std::fmt::Debug for SlackTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlackTarget::Webhook { .. } => f.write_str("Webhook(<redacted>)"),
            SlackTarget::Bot { channel, .. } => write!(f, "Bot(<redacted>, {channel})"),
        }
    }
}

/// A posted Web API message: where it is, to reply in its thread or update it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The channel id Slack answered (chat.update needs the id).
    pub channel: String,
    /// The message timestamp (its id).
    pub ts: String,
}

/// The HTTP client.
#[derive(Debug, Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    target: SlackTarget,
}

impl SlackClient {
    /// A client for `target`.
    pub fn new(target: SlackTarget) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        SlackClient { http, target }
    }

    /// Whether this posts through the Web API (threads and updates possible).
    pub fn is_bot(&self) -> bool {
        matches!(self.target, SlackTarget::Bot { .. })
    }

    /// Webhook: post `message` (`{"text", "blocks"}`).
    pub async fn post_webhook(&self, message: &Value) -> Result<(), SlackError> {
        let SlackTarget::Webhook { url } = &self.target else {
            return Err(SlackError::Transport("not a webhook target".into()));
        };
        self.send(url, None, message, "webhook").await.map(|_| ())
    }

    /// Web API `chat.postMessage` (a reply when `thread_ts` is set).
    pub async fn post_message(
        &self,
        message: &Value,
        thread_ts: Option<&str>,
    ) -> Result<Posted, SlackError> {
        let SlackTarget::Bot {
            token,
            channel,
            api_base,
        } = &self.target
        else {
            return Err(SlackError::Transport("not a bot token target".into()));
        };
        let mut body = message.clone();
        body["channel"] = Value::String(channel.clone());
        if let Some(ts) = thread_ts {
            body["thread_ts"] = Value::String(ts.to_owned());
        }
        let url = format!("{}/chat.postMessage", api_base.trim_end_matches('/'));
        let answer = self
            .send(&url, Some(token), &body, "chat.postMessage")
            .await?;
        api_result(&answer, "chat.postMessage")
    }

    /// Web API `chat.update` of a posted message.
    pub async fn update_message(&self, at: &Posted, message: &Value) -> Result<(), SlackError> {
        let SlackTarget::Bot {
            token, api_base, ..
        } = &self.target
        else {
            return Err(SlackError::Transport("not a bot token target".into()));
        };
        let mut body = message.clone();
        body["channel"] = Value::String(at.channel.clone());
        body["ts"] = Value::String(at.ts.clone());
        let url = format!("{}/chat.update", api_base.trim_end_matches('/'));
        let answer = self.send(&url, Some(token), &body, "chat.update").await?;
        api_result(&answer, "chat.update").map(|_| ())
    }

    /// POST JSON with the retry policy; returns the body of a 2xx answer.
    async fn send(
        &self,
        url: &str,
        token: Option<&str>,
        body: &Value,
        what: &str,
    ) -> Result<String, SlackError> {
        let mut attempt = 1;
        loop {
            let mut req = self
                .http
                .post(url)
                .header("content-type", "application/json; charset=utf-8")
                // Slack texts are output too: registered secrets never leave in them.
                .body(crate::output::secrets::mask(&body.to_string()));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| SlackError::Transport(format!("{what}: {}", e.without_url())))?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let text = resp.text().await.unwrap_or_default();
            if (200..300).contains(&status) {
                return Ok(text);
            }
            match retry_delay(status, retry_after.as_deref(), attempt) {
                Some(delay) => {
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                None => {
                    let mut reason: String = text.trim().chars().take(200).collect();
                    if reason.is_empty() {
                        reason = "(no body)".into();
                    }
                    return Err(SlackError::Http { status, reason });
                }
            }
        }
    }
}

/// A Web API answer: `{"ok": true, "channel", "ts"}` or `{"ok": false, "error"}`.
fn api_result(answer: &str, method: &str) -> Result<Posted, SlackError> {
    let v: Value = serde_json::from_str(answer).map_err(|_| SlackError::Api {
        method: method.to_owned(),
        error: "invalid JSON answer".into(),
    })?;
    if v["ok"].as_bool() != Some(true) {
        return Err(SlackError::Api {
            method: method.to_owned(),
            error: v["error"].as_str().unwrap_or("unknown_error").to_owned(),
        });
    }
    Ok(Posted {
        channel: v["channel"].as_str().unwrap_or_default().to_owned(),
        ts: v["ts"].as_str().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn retry_policy_table() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        let cases: &[(u16, Option<&str>, u32, Option<Duration>)] = &[
            (429, Some("3"), 1, Some(s(3))),
            (429, Some("0"), 1, Some(s(0))),
            (429, Some("600"), 1, Some(MAX_DELAY)),
            (429, None, 2, Some(ms(1000))),
            (429, Some("soon"), 1, Some(ms(500))),
            (500, None, 1, Some(ms(500))),
            (503, None, 3, Some(ms(2000))),
            (500, None, MAX_ATTEMPTS, None),
            (429, Some("1"), MAX_ATTEMPTS, None),
            (400, None, 1, None),
            (403, None, 1, None),
            (404, None, 1, None),
            (410, None, 1, None),
            (200, None, 1, None),
        ];
        for (status, after, attempt, want) in cases {
            assert_eq!(
                retry_delay(*status, *after, *attempt),
                *want,
                "{status} {after:?} attempt {attempt}"
            );
        }
    }

    #[test]
    fn api_answers() {
        assert_eq!(
            api_result(
                r#"{"ok":true,"channel":"C1","ts":"1.2"}"#,
                "chat.postMessage"
            ),
            Ok(Posted {
                channel: "C1".into(),
                ts: "1.2".into()
            })
        );
        assert_eq!(
            api_result(
                r#"{"ok":false,"error":"channel_not_found"}"#,
                "chat.postMessage"
            ),
            Err(SlackError::Api {
                method: "chat.postMessage".into(),
                error: "channel_not_found".into()
            })
        );
    }

    /// A local server answering `statuses` in order (then 200 `ok`); counts requests.
    async fn server(statuses: Vec<(u16, &'static str)>) -> (String, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let app = axum::Router::new().fallback(move || {
            let c = c.clone();
            let statuses = statuses.clone();
            async move {
                let n = c.fetch_add(1, Ordering::SeqCst);
                let (status, body) = statuses.get(n).copied().unwrap_or((200, "ok"));
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [("retry-after", "0")],
                    body,
                )
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, count)
    }

    #[tokio::test]
    async fn transport_retries_429_and_5xx_then_delivers_but_not_4xx() {
        let msg = serde_json::json!({"text": "t"});
        let (url, count) = server(vec![(429, "rate_limited"), (500, "oops")]).await;
        let c = SlackClient::new(SlackTarget::Webhook {
            url: format!("{url}/services/T/B/s3cr3t"),
        });
        c.post_webhook(&msg).await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 3);

        for (status, reason) in [
            (404, "no_service"),
            (410, "channel_is_archived"),
            (400, "invalid_payload"),
        ] {
            let (url, count) = server(vec![(status, reason)]).await;
            let c = SlackClient::new(SlackTarget::Webhook {
                url: format!("{url}/services/T/B/s3cr3t"),
            });
            let e = c.post_webhook(&msg).await.unwrap_err();
            assert_eq!(
                e,
                SlackError::Http {
                    status,
                    reason: reason.into()
                }
            );
            assert_eq!(count.load(Ordering::SeqCst), 1, "{status} is not retried");
            assert!(!e.to_string().contains("s3cr3t"), "{e}");
        }

        // Nothing listens: a transport error without the URL.
        let c = SlackClient::new(SlackTarget::Webhook {
            url: "http://127.0.0.1:9/services/T/B/s3cr3t".into(),
        });
        let e = c.post_webhook(&msg).await.unwrap_err();
        assert!(matches!(e, SlackError::Transport(_)), "{e:?}");
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }

    #[test]
    fn debug_redacts_credentials() {
        let t = SlackTarget::Bot {
            token: "xoxb-secret".into(),
            channel: "C1".into(),
            api_base: "https://slack.com/api".into(),
        };
        assert!(!format!("{t:?}").contains("xoxb"));
        let w = SlackTarget::Webhook {
            url: "https://hooks.slack.com/services/T/B/secret".into(),
        };
        assert!(!format!("{w:?}").contains("secret"));
    }
}

//! Slack: Block Kit messages, the HTTP transport (webhooks and the Web API) and the
//! deployment notifier that turns watch events into a Slack conversation.
//!
//! Why a module of its own: it is a second network peer next to AWS, with its own retry rules
//! and its own credentials (a webhook URL or a bot token) that must never be printed.

pub mod blocks;
pub mod http;
pub mod notify;

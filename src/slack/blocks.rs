//! A small Block Kit builder: just the blocks ecspress posts (header, section with mrkdwn text
//! or fields, context, divider, actions with buttons). Serialises to Slack's JSON shape
//! (../shared/reference/ecs-platform-and-peers.md §8.3); values are escaped for mrkdwn so a
//! service name cannot inject formatting or mentions.

use serde::Serialize;
use serde_json::{Value, json};

/// One Block Kit block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// A bold title line (plain text, ≤150 characters).
    Header {
        /// `{"type":"plain_text","text":...}`.
        text: Value,
    },
    /// A paragraph and/or two-column fields (mrkdwn).
    Section {
        /// The paragraph.
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Value>,
        /// Up to 10 short fields.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Value>,
    },
    /// Small grey lines (mrkdwn elements).
    Context {
        /// The elements.
        elements: Vec<Value>,
    },
    /// A rule.
    Divider,
    /// Interactive elements (buttons).
    Actions {
        /// The buttons.
        elements: Vec<Value>,
    },
}

/// Slack limits: header text 150, section text 3000, field 2000 characters.
const HEADER_MAX: usize = 150;
const TEXT_MAX: usize = 3000;
const FIELD_MAX: usize = 2000;

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Escape `&`, `<`, `>` (Slack's only mrkdwn control characters in text).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `<url|label>`, with the label escaped.
pub fn link(url: &str, label: &str) -> String {
    format!(
        "<{}|{}>",
        url.replace('>', "%3E").replace('|', "%7C"),
        escape(label)
    )
}

/// A header block.
pub fn header(text: &str) -> Block {
    Block::Header {
        text: json!({"type": "plain_text", "text": truncate(text, HEADER_MAX), "emoji": true}),
    }
}

/// A section with mrkdwn text (already escaped by the caller where needed).
pub fn section(mrkdwn: &str) -> Block {
    Block::Section {
        text: Some(json!({"type": "mrkdwn", "text": truncate(mrkdwn, TEXT_MAX)})),
        fields: Vec::new(),
    }
}

/// A section of `*label*\nvalue` fields (mrkdwn; values already escaped).
pub fn fields(pairs: &[(&str, String)]) -> Block {
    Block::Section {
        text: None,
        fields: pairs
            .iter()
            .take(10)
            .map(|(k, v)| {
                json!({"type": "mrkdwn", "text": truncate(&format!("*{k}*\n{v}"), FIELD_MAX)})
            })
            .collect(),
    }
}

/// A context block of mrkdwn lines.
pub fn context(lines: &[String]) -> Block {
    Block::Context {
        elements: lines
            .iter()
            .take(10)
            .map(|l| json!({"type": "mrkdwn", "text": truncate(l, TEXT_MAX)}))
            .collect(),
    }
}

/// A divider.
pub fn divider() -> Block {
    Block::Divider
}

/// A button: `style` is `primary`, `danger` or none; `confirm` asks "are you sure" first.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    /// The label.
    pub text: String,
    /// The `action_id` the interactivity payload carries.
    pub action_id: String,
    /// The `value` the interactivity payload carries.
    pub value: String,
    /// `primary` | `danger`.
    pub style: Option<&'static str>,
    /// Confirmation dialog `(title, text)`.
    pub confirm: Option<(String, String)>,
}

impl Button {
    fn to_json(&self) -> Value {
        let mut b = json!({
            "type": "button",
            "text": {"type": "plain_text", "text": truncate(&self.text, 75)},
            "action_id": self.action_id,
            "value": self.value,
        });
        if let Some(style) = self.style {
            b["style"] = json!(style);
        }
        if let Some((title, text)) = &self.confirm {
            b["confirm"] = json!({
                "title": {"type": "plain_text", "text": truncate(title, 100)},
                "text": {"type": "mrkdwn", "text": truncate(text, 300)},
                "confirm": {"type": "plain_text", "text": "Yes"},
                "deny": {"type": "plain_text", "text": "Cancel"},
            });
        }
        b
    }
}

/// An actions block of buttons.
pub fn actions(buttons: &[Button]) -> Block {
    Block::Actions {
        elements: buttons.iter().take(25).map(Button::to_json).collect(),
    }
}

/// A message body: `text` is the notification fallback, `blocks` the layout.
pub fn message(text: &str, blocks: &[Block]) -> Value {
    json!({"text": truncate(text, TEXT_MAX), "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_serialise_to_block_kit() {
        let blocks = vec![
            header("Deploying web"),
            fields(&[("Service", "web".into()), ("Cluster", "prod".into())]),
            section("*bold* <b>"),
            context(&["by ana".into()]),
            divider(),
            actions(&[Button {
                text: "Roll back".into(),
                action_id: "rollback".into(),
                value: "prod/web".into(),
                style: Some("danger"),
                confirm: Some(("Roll back?".into(), "really".into())),
            }]),
        ];
        insta::assert_json_snapshot!(message("fallback", &blocks));
    }

    #[test]
    fn escaping_and_limits() {
        assert_eq!(escape("<!channel> & co"), "&lt;!channel&gt; &amp; co");
        assert_eq!(link("https://x/y?a|b", "a<b"), "<https://x/y?a%7Cb|a&lt;b>");
        let long = "x".repeat(200);
        let Block::Header { text } = header(&long) else {
            unreachable!()
        };
        assert_eq!(text["text"].as_str().map(|t| t.chars().count()), Some(150));
    }
}

//! Strict parsing of slash commands and button values.
//!
//! Slack users type free text; we accept only a tiny grammar and treat everything else as a
//! refusal with a usage line. Nothing a user types reaches a shell, a template or an AWS call
//! except the validated tokens themselves: environment and service names select a *configured*
//! target, and an image tag is handed to the templates as the value of one named variable.
//! Tokens are checked against tight ASCII patterns, so injection attempts (`web; rm -rf /`,
//! `$(id)`, `{{ env }}`), control characters, newlines and Unicode look-alikes all fail here.

use serde::{Deserialize, Serialize};

/// What a request does (also the key of per-command authorisation overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `/deploy`
    Deploy,
    /// `/diff`
    Diff,
    /// `/rollback`, and the Roll back button.
    Rollback,
    /// `/status`
    Status,
    /// The Approve button (`continue`).
    Continue,
}

impl Action {
    /// `deploy`, `diff`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Deploy => "deploy",
            Action::Diff => "diff",
            Action::Rollback => "rollback",
            Action::Status => "status",
            Action::Continue => "continue",
        }
    }

    /// Whether it changes the service (takes the deploy lock when one is configured).
    pub fn mutates(self) -> bool {
        matches!(self, Action::Deploy | Action::Rollback | Action::Continue)
    }
}

/// `/deploy`'s optional third token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Version {
    /// An existing task definition revision (`--skip-task-definition --revision N`).
    Revision(u32),
    /// An image tag for the templates (the target's `image_tag_env` variable).
    ImageTag(String),
}

/// A parsed slash command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// What to do.
    pub action: Action,
    /// The environment (`prod`).
    pub env: String,
    /// The service key in chatops.yml (`web`).
    pub service: String,
    /// `/deploy`'s revision or image tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
}

impl Request {
    /// `prod/web`.
    pub fn target(&self) -> String {
        format!("{}/{}", self.env, self.service)
    }
}

/// Why a command was refused (shown to the user, ephemeral).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not one of ours.
    #[error("unknown command {0:?}; use /deploy, /diff, /rollback or /status")]
    UnknownCommand(String),
    /// Characters outside printable ASCII (newlines, control or Unicode characters).
    #[error(
        "only plain ASCII letters, digits and - _ . separated by spaces are accepted\nusage: {0}"
    )]
    Characters(&'static str),
    /// Wrong number of words.
    #[error("usage: {0}")]
    Usage(&'static str),
    /// A word does not match its pattern.
    #[error("invalid {what} {shown}: {rule}\nusage: {usage}")]
    Token {
        /// `environment`, `service`, `image tag`, `revision`.
        what: &'static str,
        /// The token, quoted and shortened for display.
        shown: String,
        /// The pattern in words.
        rule: &'static str,
        /// The usage line.
        usage: &'static str,
    },
}

const MAX_TEXT: usize = 300;

fn usage(action: Action) -> &'static str {
    match action {
        Action::Deploy => "/deploy <env> <service> [revision|image-tag]",
        Action::Diff => "/diff <env> <service>",
        Action::Rollback => "/rollback <env> <service>",
        Action::Status => "/status <env> <service>",
        Action::Continue => "(button)",
    }
}

fn shown(token: &str) -> String {
    let short: String = token.chars().take(40).collect();
    if short.len() < token.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

/// Environment names: `[a-z0-9][a-z0-9-]{0,31}`.
pub fn valid_env(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=32).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Service keys: `[A-Za-z0-9][A-Za-z0-9_-]{0,63}` (ECS allows 255; chatops targets are short).
pub fn valid_service(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=64).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
}

/// Image tags (Docker's grammar): `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn valid_tag(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=128).contains(&b.len())
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn token_error(what: &'static str, t: &str, rule: &'static str, action: Action) -> ParseError {
    ParseError::Token {
        what,
        shown: shown(t),
        rule,
        usage: usage(action),
    }
}

/// Check env and service tokens.
pub fn check_target(env: &str, service: &str, action: Action) -> Result<(), ParseError> {
    if !valid_env(env) {
        return Err(token_error(
            "environment",
            env,
            "lower-case letters, digits and -, at most 32",
            action,
        ));
    }
    if !valid_service(service) {
        return Err(token_error(
            "service",
            service,
            "letters, digits, - and _, at most 64",
            action,
        ));
    }
    Ok(())
}

/// Parse `command` (`/deploy`) with `text` (`prod web v1.2.3`).
pub fn parse(command: &str, text: &str) -> Result<Request, ParseError> {
    let action = match command {
        "/deploy" => Action::Deploy,
        "/diff" => Action::Diff,
        "/rollback" => Action::Rollback,
        "/status" => Action::Status,
        other => return Err(ParseError::UnknownCommand(shown(other))),
    };
    let usage_line = usage(action);
    if text.len() > MAX_TEXT || !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(ParseError::Characters(usage_line));
    }
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let max = if action == Action::Deploy { 3 } else { 2 };
    if words.len() < 2 || words.len() > max {
        return Err(ParseError::Usage(usage_line));
    }
    check_target(words[0], words[1], action)?;
    let version = match words.get(2) {
        None => None,
        Some(w) if w.bytes().all(|b| b.is_ascii_digit()) => match w.parse::<u32>() {
            Ok(n) if n > 0 && w.len() <= 9 => Some(Version::Revision(n)),
            _ => {
                return Err(token_error(
                    "revision",
                    w,
                    "a task definition revision from 1 to 999999999",
                    action,
                ));
            }
        },
        Some(w) if valid_tag(w) => Some(Version::ImageTag((*w).to_owned())),
        Some(w) => {
            return Err(token_error(
                "image tag",
                w,
                "letters, digits, _ . and -, not starting with . or -, at most 128",
                action,
            ));
        }
    };
    Ok(Request {
        action,
        env: words[0].to_owned(),
        service: words[1].to_owned(),
        version,
    })
}

/// What a button carries (its `value`, JSON). Built by us, but it comes back from the client, so
/// it is validated like typed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonValue {
    /// `continue` or `rollback`.
    pub action: Action,
    /// Environment.
    pub env: String,
    /// Service key.
    pub service: String,
    /// The paused deployment (service deployment ARN or CodeDeploy id), for the audit and the
    /// messages.
    pub deployment: String,
}

/// Decode and validate a button value.
pub fn parse_button(value: &str) -> Result<ButtonValue, ParseError> {
    let bad = || ParseError::Usage("(button value not understood)");
    if value.len() > 1000 {
        return Err(bad());
    }
    let v: ButtonValue = serde_json::from_str(value).map_err(|_| bad())?;
    if !matches!(v.action, Action::Continue | Action::Rollback) {
        return Err(bad());
    }
    check_target(&v.env, &v.service, v.action)?;
    // An ARN or a CodeDeploy id: printable ASCII without spaces or quotes.
    let ok = (1..=512).contains(&v.deployment.len())
        && v.deployment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'-' | b'_' | b'.'));
    if !ok {
        return Err(bad());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(action: Action, env: &str, service: &str, version: Option<Version>) -> Request {
        Request {
            action,
            env: env.into(),
            service: service.into(),
            version,
        }
    }

    #[test]
    fn accepted() {
        let cases = [
            (
                "/deploy",
                "prod web",
                req(Action::Deploy, "prod", "web", None),
            ),
            (
                "/deploy",
                "  prod   web  v1.2.3 ",
                req(
                    Action::Deploy,
                    "prod",
                    "web",
                    Some(Version::ImageTag("v1.2.3".into())),
                ),
            ),
            (
                "/deploy",
                "staging api_v2 42",
                req(
                    Action::Deploy,
                    "staging",
                    "api_v2",
                    Some(Version::Revision(42)),
                ),
            ),
            (
                "/deploy",
                "prod web 1.27",
                req(
                    Action::Deploy,
                    "prod",
                    "web",
                    Some(Version::ImageTag("1.27".into())),
                ),
            ),
            (
                "/diff",
                "dev-2 web",
                req(Action::Diff, "dev-2", "web", None),
            ),
            (
                "/rollback",
                "prod web",
                req(Action::Rollback, "prod", "web", None),
            ),
            (
                "/status",
                "prod Web-1",
                req(Action::Status, "prod", "Web-1", None),
            ),
        ];
        for (cmd, text, want) in cases {
            assert_eq!(parse(cmd, text), Ok(want), "{cmd} {text}");
        }
    }

    #[test]
    fn refused() {
        let long = "a".repeat(65);
        let long_tag = format!("prod web {}", "t".repeat(129));
        let long_env = format!("{} web", "e".repeat(33));
        let huge = format!("prod web {}", "x ".repeat(200));
        let cases: Vec<(&str, String, &str)> = vec![
            ("/deploy", "".into(), "usage"),
            ("/deploy", "prod".into(), "usage"),
            ("/deploy", "prod web v1 extra".into(), "usage"),
            ("/diff", "prod web v1".into(), "usage"),
            ("/status", "prod web 3".into(), "usage"),
            ("/deploy", "prod web; rm -rf /".into(), "usage"),
            ("/deploy", "prod web;rm".into(), "service"),
            ("/deploy", "prod $(id)".into(), "service"),
            ("/deploy", "prod web $(id)".into(), "image tag"),
            ("/deploy", "prod web `id`".into(), "image tag"),
            ("/deploy", "prod web {{env}}".into(), "image tag"),
            ("/deploy", "prod web {{ env }}".into(), "usage"),
            ("/deploy", "prod web ${IMAGE}".into(), "image tag"),
            ("/deploy", "prod web ../../etc".into(), "image tag"),
            ("/deploy", "prod web -rf".into(), "image tag"),
            ("/deploy", "prod web .hidden".into(), "image tag"),
            ("/deploy", "prod web\nv2".into(), "ASCII"),
            ("/deploy", "prod\tweb".into(), "ASCII"),
            ("/deploy", "prod web\r".into(), "ASCII"),
            ("/deploy", "prod w\u{0435}b".into(), "ASCII"), // Cyrillic е
            ("/deploy", "pr\u{043e}d web".into(), "ASCII"), // Cyrillic о
            ("/deploy", "prod web\u{00a0}v1".into(), "ASCII"), // no-break space
            ("/deploy", "prod web v1\u{200b}".into(), "ASCII"), // zero-width space
            ("/deploy", "prod web v\u{0131}".into(), "ASCII"), // dotless i
            ("/deploy", "Prod web".into(), "environment"),
            ("/deploy", "-prod web".into(), "environment"),
            ("/deploy", "prod/x web".into(), "environment"),
            ("/deploy", long_env, "environment"),
            ("/deploy", format!("prod {long}"), "service"),
            ("/deploy", "prod _web".into(), "service"),
            ("/deploy", "prod web.x".into(), "service"),
            ("/deploy", long_tag, "image tag"),
            ("/deploy", "prod web 0".into(), "revision"),
            ("/deploy", "prod web 99999999999".into(), "revision"),
            ("/deploy", huge, "ASCII"),
            ("/deploy", "prod web v1\0".into(), "ASCII"),
            ("/shell", "prod web".into(), "unknown command"),
            ("/deploy;", "prod web".into(), "unknown command"),
        ];
        for (cmd, text, want) in cases {
            let err = parse(cmd, &text).expect_err(&format!("{cmd} {text:?} must be refused"));
            let msg = err.to_string();
            assert!(msg.contains(want), "{cmd} {text:?}: {msg}");
        }
    }

    #[test]
    fn buttons() {
        let ok = r#"{"action":"continue","env":"prod","service":"web","deployment":"arn:aws:ecs:us-east-1:123456789012:service-deployment/c/web/abc"}"#;
        assert_eq!(parse_button(ok).map(|b| b.action), Ok(Action::Continue));
        let bad = [
            r#"{"action":"deploy","env":"prod","service":"web","deployment":"x"}"#,
            r#"{"action":"continue","env":"prod","service":"web; id","deployment":"x"}"#,
            r#"{"action":"continue","env":"prod","service":"web","deployment":"x y"}"#,
            r#"{"action":"continue","env":"prod","service":"web","deployment":"x","extra":1}"#,
            r#"{"action":"rollback","env":"PROD","service":"web","deployment":"x"}"#,
            "not json",
        ];
        for b in bad {
            assert!(parse_button(b).is_err(), "{b}");
        }
    }
}

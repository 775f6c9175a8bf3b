//! The HTTP side: `POST /slack/commands`, `POST /slack/interactions`, `GET /healthz`.
//!
//! Slack wants an answer within 3 seconds (§8.2), so handlers only verify, parse, authorise and
//! audit (all local, no AWS call) and answer with an ephemeral acknowledgement; the work runs
//! in a spawned task and reports through `response_url` (or the bot thread).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::Server;
use super::audit::AuditRecord;
use super::authz::{Decision, authorize};
use super::command::{Action, Version, parse, parse_button};
use super::reply::Reply;
use super::runner::{Job, run};
use super::signing::verify;
use crate::ops::lock::epoch_now;

/// The routes.
pub fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/slack/commands", post(commands))
        .route("/slack/interactions", post(interactions))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(server)
}

fn ephemeral(text: &str) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({ "response_type": "ephemeral", "text": text })),
    )
        .into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Verify the signature; on failure audit and return the 401 answer (nothing else happens).
fn check_signature(
    server: &Server,
    headers: &HeaderMap,
    body: &[u8],
    kind: &str,
    request_id: &str,
) -> Option<Response> {
    verify(
        &server.secret,
        header(headers, "x-slack-request-timestamp"),
        header(headers, "x-slack-signature"),
        body,
        epoch_now(),
    )
    .map_err(|e| {
        server.audit.record(AuditRecord {
            request_id: request_id.to_owned(),
            kind: kind.to_owned(),
            decision: "bad_signature".into(),
            reason: Some(e.to_string()),
            ..AuditRecord::default()
        });
        (StatusCode::UNAUTHORIZED, "invalid request signature\n").into_response()
    })
    .err()
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Everything the handlers need to accept a request.
struct Caller {
    user_id: String,
    user_name: String,
    channel_id: String,
    response_url: String,
}

impl Server {
    fn next_id(&self) -> String {
        format!(
            "{}-{}",
            epoch_now(),
            self.seq.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn refuse(&self, base: AuditRecord, decision: &str, reason: &str) -> Response {
        self.audit.record(AuditRecord {
            decision: decision.into(),
            reason: Some(reason.to_owned()),
            ..base
        });
        ephemeral(&format!("Refused: {reason}"))
    }

    fn reply_for(&self, caller: &Caller) -> Reply {
        if self.slack.has_bot_token() {
            Reply::Thread {
                channel: caller.channel_id.clone(),
                ts: None,
            }
        } else {
            Reply::ResponseUrl {
                url: caller.response_url.clone(),
                used: 0,
            }
        }
    }

    /// Resolve the target, authorise, audit, spawn. Returns the refusal, or `None` when
    /// accepted.
    #[allow(clippy::too_many_arguments)]
    fn accept(
        self: &Arc<Self>,
        base: AuditRecord,
        caller: Caller,
        action: Action,
        env: &str,
        service: &str,
        version: Option<Version>,
        deployment: Option<String>,
        label: String,
    ) -> Option<Response> {
        let target = match self.config.target(env, service) {
            Ok(t) => t.clone(),
            Err(why) => return Some(self.refuse(base, "refused", &why)),
        };
        if matches!(version, Some(Version::ImageTag(_))) && target.image_tag_env.is_none() {
            return Some(self.refuse(
                base,
                "refused",
                &format!("{env}/{service} does not take an image tag (no image_tag_env in chatops.yml); give a revision number or nothing"),
            ));
        }
        if let Decision::Denied(why) = authorize(
            &self.config.environments,
            env,
            action,
            &caller.user_id,
            &caller.channel_id,
        ) {
            return Some(self.refuse(base, "unauthorized", &why));
        }
        if caller.response_url.is_empty() && !self.slack.has_bot_token() {
            return Some(self.refuse(base, "refused", "the request carries no response_url"));
        }
        self.audit.record(AuditRecord {
            decision: "accepted".into(),
            ..base.clone()
        });
        let job = Job {
            request_id: base.request_id,
            action,
            env: env.to_owned(),
            service: service.to_owned(),
            version,
            target,
            reply: self.reply_for(&caller),
            user_id: caller.user_id,
            user_name: caller.user_name,
            channel_id: caller.channel_id,
            deployment,
            label,
        };
        tokio::spawn(run(self.clone(), job));
        None
    }
}

async fn commands(State(server): State<Arc<Server>>, headers: HeaderMap, body: Bytes) -> Response {
    let request_id = server.next_id();
    if let Some(r) = check_signature(&server, &headers, &body, "command", &request_id) {
        return r;
    }
    let f = form(&body);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (command, text) = (get("command"), get("text"));
    let label = format!("{command} {text}");
    let caller = Caller {
        user_id: get("user_id"),
        user_name: get("user_name"),
        channel_id: get("channel_id"),
        response_url: get("response_url"),
    };
    let base = AuditRecord {
        request_id,
        kind: "command".into(),
        user_id: Some(caller.user_id.clone()),
        user_name: Some(caller.user_name.clone()),
        channel_id: Some(caller.channel_id.clone()),
        text: Some(label.clone()),
        ..AuditRecord::default()
    };
    let req = match parse(&command, &text) {
        Ok(r) => r,
        Err(e) => return server.refuse(base, "refused", &e.to_string()),
    };
    let base = AuditRecord {
        target: Some(req.target()),
        ..base
    };
    let label = match &req.version {
        Some(Version::ImageTag(t)) => format!("{command} {} {} {t}", req.env, req.service),
        Some(Version::Revision(n)) => format!("{command} {} {} {n}", req.env, req.service),
        None => format!("{command} {} {}", req.env, req.service),
    };
    match server.accept(
        base,
        caller,
        req.action,
        &req.env,
        &req.service,
        req.version.clone(),
        None,
        label.clone(),
    ) {
        Some(refusal) => refusal,
        None => ephemeral(&format!("Working on it: `{label}`")),
    }
}

async fn interactions(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = server.next_id();
    if let Some(r) = check_signature(&server, &headers, &body, "interaction", &request_id) {
        return r;
    }
    let f = form(&body);
    let payload: Value = f
        .get("payload")
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let caller = Caller {
        user_id: s(&payload["user"]["id"]),
        user_name: payload["user"]["username"]
            .as_str()
            .or(payload["user"]["name"].as_str())
            .unwrap_or_default()
            .to_owned(),
        channel_id: s(&payload["channel"]["id"]),
        response_url: s(&payload["response_url"]),
    };
    let value = s(&payload["actions"][0]["value"]);
    let base = AuditRecord {
        request_id,
        kind: "interaction".into(),
        user_id: Some(caller.user_id.clone()),
        user_name: Some(caller.user_name.clone()),
        channel_id: Some(caller.channel_id.clone()),
        text: Some(format!("button {}", s(&payload["actions"][0]["action_id"]))),
        ..AuditRecord::default()
    };
    if payload["type"] != "block_actions" {
        return server.refuse(
            base,
            "refused",
            "only block_actions interactions are handled",
        );
    }
    let button = match parse_button(&value) {
        Ok(b) => b,
        Err(e) => return server.refuse(base, "refused", &e.to_string()),
    };
    let base = AuditRecord {
        target: Some(format!("{}/{}", button.env, button.service)),
        text: Some(format!(
            "button {} {}",
            button.action.as_str(),
            button.deployment
        )),
        ..base
    };
    let label = format!(
        "{} {}/{}",
        if button.action == Action::Continue {
            "approve"
        } else {
            "roll back"
        },
        button.env,
        button.service
    );
    match server.accept(
        base,
        caller,
        button.action,
        &button.env,
        &button.service,
        None,
        Some(button.deployment.clone()),
        label.clone(),
    ) {
        Some(refusal) => refusal,
        None => ephemeral(&format!("Working on it: {label}")),
    }
}

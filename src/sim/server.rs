//! The simulator over HTTP: awsJson1_1 on `POST /` plus `/_sim/*` control endpoints.
//!
//! Any signed request with any credentials is accepted (signatures are not checked, like
//! moto), so clients only need `AWS_ENDPOINT_URL=http://127.0.0.1:PORT` and dummy keys. Only
//! the access key id is read from `Authorization`: counted per key, and refused once expired
//! when the faults ask for it (`reject_expired_keys`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{ApiError, Faults, Sim};

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

fn request_id() -> String {
    let n = REQUEST_IDS.fetch_add(1, Ordering::Relaxed);
    format!("5e1d0000-0000-4000-8000-{n:012x}")
}

/// The axum router for `sim`.
pub fn router(sim: Sim) -> Router {
    Router::new()
        .route("/", post(api))
        .route("/_sim/reset", post(reset))
        .route("/_sim/state", get(state))
        .route("/_sim/faults", post(faults))
        .route("/_sim/alarms", post(alarms))
        .with_state(sim)
}

/// Bind `addr` and serve until the process ends. Returns the bound address once listening.
pub async fn bind(
    sim: Sim,
    addr: SocketAddr,
) -> std::io::Result<(
    SocketAddr,
    impl std::future::Future<Output = std::io::Result<()>>,
)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(sim);
    Ok((local, async move { axum::serve(listener, app).await }))
}

fn aws_json(status: StatusCode, body: &Value, error_code: Option<&str>) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        headers.insert("x-amzn-requestid", v);
    }
    if let Some(code) = error_code.and_then(|c| HeaderValue::from_str(c).ok()) {
        headers.insert("x-amzn-errortype", code);
    }
    resp
}

fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    aws_json(status, &e.body(), Some(&e.code))
}

async fn api(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(target) = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return error_response(&ApiError::client(
            "MissingAction",
            "missing X-Amz-Target header (ecspress sim speaks awsJson1_1)",
        ));
    };
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error_response(&ApiError::client(
                    "SerializationException",
                    format!("request body is not JSON: {e}"),
                ));
            }
        }
    };
    let operation = target.rsplit('.').next().unwrap_or(&target).to_owned();
    let key = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(super::faults::access_key_of);
    if let Err(e) = sim.check_access_key(key) {
        return error_response(&e);
    }
    if let Some(latency) = sim.latency_for(&operation) {
        tokio::time::sleep(latency).await;
    }
    let answer = match sim.call(&target, &input) {
        Ok(out) => aws_json(StatusCode::OK, &out, None),
        Err(e) => error_response(&e),
    };
    // The call has taken effect; only its answer is late (a client timing out here cannot
    // tell whether it did).
    if let Some(delay) = sim.response_delay_for(&operation) {
        tokio::time::sleep(delay).await;
    }
    answer
}

async fn reset(State(sim): State<Sim>) -> Response {
    sim.reset();
    (StatusCode::OK, Json(json!({"reset": true}))).into_response()
}

async fn state(State(sim): State<Sim>) -> Response {
    Json(sim.state()).into_response()
}

async fn faults(State(sim): State<Sim>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(f) => {
            sim.set_faults(f);
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!("invalid faults: {e}")})),
        )
            .into_response(),
    }
}

async fn alarms(State(sim): State<Sim>, body: Bytes) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct AlarmState {
        name: String,
        state: String,
    }
    let parsed: AlarmState = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("invalid alarm: {e}")})),
            )
                .into_response();
        }
    };
    match sim.set_alarm(&parsed.name, &parsed.state) {
        Ok(()) => Json(json!({"ok": true})).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e.message}))).into_response(),
    }
}

use axum::Json;

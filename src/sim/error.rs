//! AWS-shaped API errors: awsJson1_1 answers `{"__type": "...", "message": "..."}` with an HTTP
//! status; client faults are 400, `ServerException` is 500. SDKs read `__type` for the code.

use serde_json::{Value, json};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Error code, e.g. `ClientException`.
    pub code: String,
    /// Human message.
    pub message: String,
}

impl ApiError {
    /// A 400 with `code`.
    pub fn client(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: code.into(),
            message: message.into(),
        }
    }
    /// ECS `ClientException`.
    pub fn client_exception(message: impl Into<String>) -> Self {
        Self::client("ClientException", message)
    }
    /// ECS `InvalidParameterException`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::client("InvalidParameterException", message)
    }
    /// `ServerException` (500).
    pub fn server(message: impl Into<String>) -> Self {
        ApiError {
            status: 500,
            code: "ServerException".into(),
            message: message.into(),
        }
    }
    /// `ThrottlingException` (400, as AWS sends it).
    pub fn throttling() -> Self {
        Self::client("ThrottlingException", "Rate exceeded")
    }
    /// Unknown operation.
    pub fn unknown_operation(target: &str) -> Self {
        Self::client(
            "UnknownOperationException",
            format!("operation {target} is not supported by ecspress sim"),
        )
    }
    /// The wire body.
    pub fn body(&self) -> Value {
        json!({"__type": self.code, "message": self.message})
    }
}

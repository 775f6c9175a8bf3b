//! [`AwsError`]: an AWS failure reduced to what callers branch on and what users need to read.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure, for callers that branch (not found → create, throttled → slow down).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// The named resource does not exist (NoSuchKey, ParameterNotFound, ResourceNotFoundException, ...).
    NotFound,
    /// ThrottlingException and friends.
    Throttled,
    /// AccessDenied / not authorized.
    AccessDenied,
    /// The request never got an answer: connection refused, DNS, timeout.
    Transport,
    /// Anything else the service answered.
    Service,
}

/// An AWS call that failed: operation, target, error code, message and request id.
#[derive(Debug, thiserror::Error)]
pub struct AwsError {
    /// Branchable kind.
    pub kind: AwsErrorKind,
    /// The API operation, e.g. `GetParameter`.
    pub operation: &'static str,
    /// The resource the call was about (ARN, name, `s3://bucket/key`).
    pub target: String,
    /// The AWS error code (`ParameterNotFound`), when the service answered.
    pub code: Option<String>,
    /// The service's message, or the transport error text.
    pub message: String,
    /// The request id, when the service answered.
    pub request_id: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} failed", self.operation, self.target)?;
        match &self.code {
            Some(code) => write!(f, ": {code}: {}", self.message)?,
            None => write!(f, ": {}", self.message)?,
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchKey",
    "NoSuchBucket",
    "NotFound",
    "ParameterNotFound",
    "ResourceNotFoundException",
];
const THROTTLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
];
const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
];

impl AwsError {
    /// Classify an AWS error code.
    pub fn kind_for_code(code: &str) -> AwsErrorKind {
        if NOT_FOUND_CODES.contains(&code) {
            AwsErrorKind::NotFound
        } else if THROTTLE_CODES.contains(&code) {
            AwsErrorKind::Throttled
        } else if DENIED_CODES.contains(&code) {
            AwsErrorKind::AccessDenied
        } else {
            AwsErrorKind::Service
        }
    }

    /// Convert an SDK error, keeping code, message and request id.
    pub fn from_sdk<E>(
        operation: &'static str,
        target: impl Into<String>,
        err: SdkError<E, aws_smithy_runtime_api::http::Response>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let target = target.into();
        match &err {
            SdkError::ServiceError(service) => {
                let meta = service.err().meta();
                let status = service.raw().status().as_u16();
                let code = meta.code().map(str::to_owned);
                let mut kind = code
                    .as_deref()
                    .map(Self::kind_for_code)
                    .unwrap_or(AwsErrorKind::Service);
                // S3 HeadObject/GetObject 404 without a body carries no code.
                if code.is_none() && status == 404 {
                    kind = AwsErrorKind::NotFound;
                }
                let request_id = service
                    .raw()
                    .headers()
                    .get("x-amzn-requestid")
                    .or_else(|| service.raw().headers().get("x-amz-request-id"))
                    .map(str::to_owned)
                    .or_else(|| meta.extra("aws_request_id").map(str::to_owned));
                AwsError {
                    kind,
                    operation,
                    target,
                    code: code.clone().or_else(|| Some(format!("HTTP {status}"))),
                    message: meta
                        .message()
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("HTTP status {status}")),
                    request_id,
                }
            }
            SdkError::TimeoutError(_) => AwsError {
                kind: AwsErrorKind::Transport,
                operation,
                target,
                code: None,
                message: timeout_message(&err),
                request_id: None,
            },
            _ => AwsError {
                kind: AwsErrorKind::Transport,
                operation,
                target,
                code: None,
                message: aws_smithy_types::error::display::DisplayErrorContext(&err).to_string(),
                request_id: None,
            },
        }
    }
}

/// A timeout in words (the SDK's text plus its Debug dump is noise): which limit, and the
/// variables that change it (src/aws/config.rs).
fn timeout_message(err: &dyn std::error::Error) -> String {
    let mut why = Vec::new();
    let mut source = err.source();
    while let Some(s) = source {
        why.push(s.to_string());
        source = s.source();
    }
    let why = if why.is_empty() {
        "timed out".to_owned()
    } else {
        why.join(": ")
    };
    format!(
        "no answer in time: {why} (ECSPRESS_AWS_ATTEMPT_TIMEOUT / ECSPRESS_AWS_OPERATION_TIMEOUT change the limits)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_say_which_limit_and_how_to_change_it() {
        #[derive(Debug)]
        struct Limit;
        impl std::fmt::Display for Limit {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("operation attempt timeout (single attempt) occurred after 1s")
            }
        }
        impl std::error::Error for Limit {}
        let err: SdkError<
            aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionError,
            aws_smithy_runtime_api::http::Response,
        > = SdkError::timeout_error(Limit);
        let e = AwsError::from_sdk("RegisterTaskDefinition", "hello", err);
        assert_eq!(e.kind, AwsErrorKind::Transport);
        assert_eq!(
            e.to_string(),
            "RegisterTaskDefinition hello failed: no answer in time: operation attempt timeout (single attempt) occurred after 1s (ECSPRESS_AWS_ATTEMPT_TIMEOUT / ECSPRESS_AWS_OPERATION_TIMEOUT change the limits)"
        );
    }

    #[test]
    fn codes_classify() {
        for (code, kind) in [
            ("NoSuchKey", AwsErrorKind::NotFound),
            ("ParameterNotFound", AwsErrorKind::NotFound),
            ("ResourceNotFoundException", AwsErrorKind::NotFound),
            ("ThrottlingException", AwsErrorKind::Throttled),
            ("AccessDeniedException", AwsErrorKind::AccessDenied),
            ("InvalidParameterException", AwsErrorKind::Service),
        ] {
            assert_eq!(AwsError::kind_for_code(code), kind, "{code}");
        }
    }

    #[test]
    fn display_has_code_message_and_request_id() {
        let e = AwsError {
            kind: AwsErrorKind::NotFound,
            operation: "GetParameter",
            target: "/app/db".into(),
            code: Some("ParameterNotFound".into()),
            message: "no such parameter".into(),
            request_id: Some("abc-123".into()),
        };
        assert_eq!(
            e.to_string(),
            "GetParameter /app/db failed: ParameterNotFound: no such parameter (request id abc-123)"
        );
    }
}

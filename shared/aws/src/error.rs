//! The adapter's error and the one place where an SDK error is classified.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use warden_rules::outcome::FailureKind;

/// An AWS call that did not succeed, after the SDK's own retries.
///
/// `kind` is decided by [`classify`] from the error code and HTTP status before anything is
/// turned into text; `code` keeps the AWS error code for logs and reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} on {resource_arn} failed with {code} ({kind:?})")]
pub struct AwsError {
    /// The API operation, e.g. `GetPolicy`.
    pub operation: &'static str,
    /// The resource the call was about: the function ARN (qualified when the call carried a
    /// `Qualifier`) or the SNS topic ARN; for a listing, what was listed: the Region of
    /// `ListFunctions`, the policy ARN of `ListEntitiesForPolicy`.
    pub resource_arn: String,
    /// The failure class, which decides whether the event is retried.
    pub kind: FailureKind,
    /// The AWS error code (e.g. `AccessDeniedException`), `HTTP <status>` for an error response
    /// without a code, or `dispatch`, `timeout`, `response`, `construction` when no usable
    /// response came back (see [`error_code`]).
    pub code: String,
}

impl AwsError {
    /// Builds the error for `operation` on `resource_arn` from an SDK error, classifying it with
    /// [`classify`] and logging the SDK's full error chain at `debug` level (not-found answers
    /// are routine, so the caller decides what deserves a warning).
    pub fn from_sdk<E>(
        operation: &'static str,
        resource_arn: impl Into<String>,
        err: &SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let resource_arn = resource_arn.into();
        let kind = classify(err);
        let code = error_code(err);
        tracing::debug!(
            operation,
            resource_arn = %resource_arn,
            kind = %crate::runtime::log_value(&kind),
            code = %code,
            error = %DisplayErrorContext(err),
            "aws call failed"
        );
        Self {
            operation,
            resource_arn,
            kind,
            code,
        }
    }
}

/// Classifies an SDK error. The only function that decides a [`FailureKind`]:
///
/// - `ServiceError` (AWS answered with an error): [`classify_code`] of the error code
///   (`ProvideErrorMetadata::code`) and the raw HTTP status.
/// - `DispatchFailure` (connection refused or reset, I/O error, connect timeout),
///   `TimeoutError` (operation or attempt timeout) and `ResponseError` (a response that could
///   not be read or parsed): [`FailureKind::Transient`].
/// - `ConstructionFailure` (the request could not be built: a missing required parameter):
///   [`FailureKind::Invalid`].
///
/// The SDK has already retried what its retry strategy considers retryable (the `SdkConfig`'s
/// retry configuration; by default the standard mode with 3 attempts,
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>), so this
/// classifies the final failure.
pub fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> FailureKind {
    match err {
        SdkError::ServiceError(service) => {
            classify_code(service.err().code(), Some(service.raw().status().as_u16()))
        }
        SdkError::ConstructionFailure(_) => FailureKind::Invalid,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            FailureKind::Transient
        }
        // `SdkError` is non-exhaustive: a failure of a kind this version does not know is
        // retried rather than dropped.
        _ => FailureKind::Transient,
    }
}

/// The decision table behind [`classify`], for an error response with AWS error `code` and
/// HTTP `status`. The code decides when it is known; otherwise the status does.
///
/// | code | status | kind |
/// |---|---|---|
/// | `ThrottlingException`, `Throttling`, `TooManyRequestsException`, `Throttled`, `KMSThrottling` | 429 | `Throttled` |
/// | `ServiceException`, `InternalError`, `InternalFailure`, `ServiceUnavailable` | 5xx | `Transient` |
/// | `AccessDeniedException`, `AccessDenied`, `UnauthorizedOperation`, `AuthorizationError`, `KMSAccessDenied` | 403 | `AccessDenied` |
/// | `ResourceNotFoundException`, `NotFound` | 404 | `NotFound` |
/// | `PreconditionFailedException`, `ResourceConflictException` | 412, 409 | `Conflict` |
/// | anything else | anything else | `Invalid` |
///
/// Sources: the Errors sections of the Lambda API reference (e.g.
/// <https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html#API_AddPermission_Errors>:
/// `PreconditionFailedException` 412, `ResourceConflictException` 409,
/// `ResourceNotFoundException` 404, `ServiceException` 500, `TooManyRequestsException` 429),
/// the SNS `Publish` errors
/// (<https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors>:
/// `AuthorizationError` 403, `NotFound` 404, `InternalError` 500, `KMSAccessDenied`,
/// `KMSThrottling`; SNS's `ThrottledException` has the code `Throttled`) and the common errors
/// (<https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html>: `AccessDeniedException`
/// 403, `InternalFailure` 500, `ServiceUnavailable` 503, `ThrottlingException` 400). The code
/// comes first because a throttling code can arrive with status 400.
pub fn classify_code(code: Option<&str>, status: Option<u16>) -> FailureKind {
    match code {
        Some(
            "ThrottlingException"
            | "Throttling"
            | "TooManyRequestsException"
            | "Throttled"
            | "KMSThrottling"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "ThrottlingError",
        ) => FailureKind::Throttled,
        Some("ServiceException" | "InternalError" | "InternalFailure" | "ServiceUnavailable") => {
            FailureKind::Transient
        }
        Some(
            "AccessDeniedException"
            | "AccessDenied"
            | "UnauthorizedOperation"
            | "AuthorizationError"
            | "KMSAccessDenied",
        ) => FailureKind::AccessDenied,
        Some("ResourceNotFoundException" | "NotFound") => FailureKind::NotFound,
        Some("PreconditionFailedException" | "ResourceConflictException") => FailureKind::Conflict,
        _ => match status {
            Some(429) => FailureKind::Throttled,
            Some(500..=599) => FailureKind::Transient,
            Some(403) => FailureKind::AccessDenied,
            Some(404) => FailureKind::NotFound,
            Some(409 | 412) => FailureKind::Conflict,
            _ => FailureKind::Invalid,
        },
    }
}

/// The text recorded as an error's code: the AWS error code of an error response,
/// `HTTP <status>` for an error response without one, `dispatch` (no response: connection or
/// I/O failure), `timeout`, `response` (unreadable response) or `construction` (the request
/// could not be built).
pub fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> String {
    match err {
        SdkError::ServiceError(service) => match service.err().code() {
            Some(code) => code.to_owned(),
            None => format!("HTTP {}", service.raw().status().as_u16()),
        },
        SdkError::ConstructionFailure(_) => "construction".to_owned(),
        SdkError::DispatchFailure(_) => "dispatch".to_owned(),
        SdkError::TimeoutError(_) => "timeout".to_owned(),
        SdkError::ResponseError(_) => "response".to_owned(),
        _ => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_lambda::operation::get_policy::GetPolicyError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    #[test]
    fn classification_table() {
        use FailureKind::*;
        let rows: &[(Option<&str>, Option<u16>, FailureKind)] = &[
            (Some("ThrottlingException"), Some(400), Throttled),
            (Some("TooManyRequestsException"), Some(429), Throttled),
            (Some("Throttling"), Some(400), Throttled),
            (Some("Throttled"), Some(429), Throttled),
            (Some("KMSThrottling"), Some(400), Throttled),
            (None, Some(429), Throttled),
            (Some("SomethingNew"), Some(429), Throttled),
            (Some("ServiceException"), Some(500), Transient),
            (Some("InternalError"), Some(500), Transient),
            (None, Some(502), Transient),
            (None, Some(503), Transient),
            (Some("AccessDeniedException"), Some(403), AccessDenied),
            (Some("AccessDenied"), Some(403), AccessDenied),
            (Some("UnauthorizedOperation"), Some(403), AccessDenied),
            (Some("AuthorizationError"), Some(403), AccessDenied),
            (Some("KMSAccessDenied"), Some(400), AccessDenied),
            (None, Some(403), AccessDenied),
            (Some("ResourceNotFoundException"), Some(404), NotFound),
            (Some("NotFound"), Some(404), NotFound),
            (None, Some(404), NotFound),
            (Some("PreconditionFailedException"), Some(412), Conflict),
            (Some("ResourceConflictException"), Some(409), Conflict),
            (None, Some(412), Conflict),
            (None, Some(409), Conflict),
            (Some("InvalidParameterValueException"), Some(400), Invalid),
            (Some("PolicyLengthExceededException"), Some(400), Invalid),
            (Some("PublicPolicyException"), Some(400), Invalid),
            (None, Some(400), Invalid),
            (None, None, Invalid),
        ];
        for (code, status, expected) in rows {
            assert_eq!(
                classify_code(*code, *status),
                *expected,
                "code {code:?}, status {status:?}"
            );
        }
    }

    fn service_error(code: Option<&str>, status: u16) -> SdkError<GetPolicyError, HttpResponse> {
        let mut meta = ErrorMetadata::builder();
        if let Some(code) = code {
            meta = meta.code(code);
        }
        let status = StatusCode::try_from(status).expect("valid status");
        SdkError::service_error(
            GetPolicyError::generic(meta.build()),
            HttpResponse::new(status, SdkBody::empty()),
        )
    }

    #[test]
    fn sdk_errors_are_classified_from_code_and_status() {
        let denied = service_error(Some("AccessDeniedException"), 403);
        assert_eq!(classify(&denied), FailureKind::AccessDenied);
        assert_eq!(error_code(&denied), "AccessDeniedException");

        let bare_503 = service_error(None, 503);
        assert_eq!(classify(&bare_503), FailureKind::Transient);
        assert_eq!(error_code(&bare_503), "HTTP 503");

        let stale = service_error(Some("PreconditionFailedException"), 412);
        assert_eq!(classify(&stale), FailureKind::Conflict);

        let dispatch: SdkError<GetPolicyError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io("connection refused".into()));
        assert_eq!(classify(&dispatch), FailureKind::Transient);
        assert_eq!(error_code(&dispatch), "dispatch");

        let timeout: SdkError<GetPolicyError, HttpResponse> =
            SdkError::timeout_error("operation timeout");
        assert_eq!(classify(&timeout), FailureKind::Transient);
        assert_eq!(error_code(&timeout), "timeout");

        let unreadable: SdkError<GetPolicyError, HttpResponse> = SdkError::response_error(
            "truncated body",
            HttpResponse::new(
                StatusCode::try_from(200).expect("valid status"),
                SdkBody::empty(),
            ),
        );
        assert_eq!(classify(&unreadable), FailureKind::Transient);
        assert_eq!(error_code(&unreadable), "response");

        let unbuilt: SdkError<GetPolicyError, HttpResponse> =
            SdkError::construction_failure("FunctionName is required");
        assert_eq!(classify(&unbuilt), FailureKind::Invalid);
        assert_eq!(error_code(&unbuilt), "construction");
    }
}

//! The harness's one error type.

use std::path::PathBuf;

use aws_sdk_lambda::error::DisplayErrorContext;
use thiserror::Error;

/// Why the harness could not start moto, seed it, or read something back.
#[derive(Debug, Error)]
pub enum HarnessError {
    /// A program the harness runs (Python for moto, `cargo lambda`) could not be started.
    #[error("could not start {program}: {source} ({hint})")]
    Spawn {
        /// The command line, e.g. `python3 tests/moto/launch.py`.
        program: String,
        /// How to install what is missing.
        hint: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// No free TCP port on 127.0.0.1 could be found.
    #[error("could not find a free port on 127.0.0.1: {source}")]
    FreePort {
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// moto exited before it answered on its port.
    #[error("moto exited ({status}) before answering on {endpoint}; its stderr:\n{stderr}")]
    MotoExited {
        /// The endpoint it should have served.
        endpoint: String,
        /// The exit status.
        status: std::process::ExitStatus,
        /// What moto wrote to stderr.
        stderr: String,
    },
    /// moto did not answer on its port in time.
    #[error("moto did not answer on {endpoint} within {waited_ms} ms; its stderr:\n{stderr}")]
    MotoNeverAnswered {
        /// The endpoint it should have served.
        endpoint: String,
        /// How long the harness waited, in milliseconds.
        waited_ms: u128,
        /// What moto wrote to stderr.
        stderr: String,
    },
    /// The local Lambda runtime (`cargo lambda watch`) failed to come up.
    #[error("local Lambda runtime on {endpoint}: {what}; its log:\n{log}")]
    LocalLambdaFailed {
        /// The Invoke API endpoint it should have served.
        endpoint: String,
        /// What went wrong.
        what: String,
        /// What `cargo lambda watch` and the function wrote.
        log: String,
    },
    /// A file the harness needs could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON document (an event file, a policy, an SNS envelope) did not parse.
    #[error("{what} is not the JSON expected: {source}")]
    Json {
        /// Which document, e.g. `events/x.json` or `policy of orders-api`.
        what: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A response lacked a field the harness needs.
    #[error("{operation} on {resource}: the response has no {field}")]
    MissingField {
        /// The API operation, e.g. `CreateTopic`.
        operation: &'static str,
        /// What it was called on.
        resource: String,
        /// The missing response field, e.g. `TopicArn`.
        field: &'static str,
    },
    /// An AWS call to moto failed.
    #[error("{operation} on {resource} failed: {}", DisplayErrorContext(&**source))]
    Aws {
        /// The API operation, e.g. `CreateFunction`.
        operation: &'static str,
        /// What it was called on (a name or ARN).
        resource: String,
        /// The SDK's error, unchanged.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl HarnessError {
    /// Wraps an SDK error of `operation` on `resource`.
    pub fn aws(
        operation: &'static str,
        resource: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        HarnessError::Aws {
            operation,
            resource: resource.into(),
            source: Box::new(source),
        }
    }
}

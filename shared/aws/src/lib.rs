//! # warden-aws
//!
//! The AWS adapter of lambda-warden: the only code that calls AWS. It reads a function's live
//! state into a [`FunctionSnapshot`](warden_rules::snapshot::FunctionSnapshot)
//! ([`Aws::fetch_snapshot`]), carries out a remediation plan ([`Aws::execute`]), and publishes
//! alerts ([`Aws::publish_alert`]), and undoes a remediation from its audit record
//! ([`Aws::restore`]).
//!
//! Every failure is classified once, from the SDK error's code and HTTP status, by
//! [`error::classify`]. Retries of throttled and transient failures are the SDK's: the
//! `SdkConfig` given to [`Aws::new`] decides them (by default the standard retry mode, 3
//! attempts with exponential backoff,
//! <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>); the adapter
//! sees and classifies only the final failure. Every request sent, retries included, is counted
//! in a [`CallLog`].

#![warn(missing_docs)]

use std::sync::Arc;

pub mod alert;
pub mod calls;
pub mod error;
pub mod execute;
pub mod remediate;
pub mod restore;
pub mod snapshot;

pub use calls::CallLog;
pub use error::{classify, classify_code, AwsError};
pub use snapshot::Fetched;

use calls::CallCounter;

/// The AWS clients lambda-warden uses, built once per cold start, and the count of the requests
/// sent through them.
#[derive(Debug, Clone)]
pub struct Aws {
    lambda: aws_sdk_lambda::Client,
    sns: aws_sdk_sns::Client,
    calls: Arc<CallLog>,
}

impl Aws {
    /// Builds the Lambda and SNS clients from `config` (region, credentials, endpoint, retry and
    /// timeout configuration all come from it) and registers the request counter on both.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        let calls = Arc::new(CallLog::default());
        let lambda = aws_sdk_lambda::config::Builder::from(config)
            .interceptor(CallCounter::new(Arc::clone(&calls)))
            .build();
        let sns = aws_sdk_sns::config::Builder::from(config)
            .interceptor(CallCounter::new(Arc::clone(&calls)))
            .build();
        Self {
            lambda: aws_sdk_lambda::Client::from_conf(lambda),
            sns: aws_sdk_sns::Client::from_conf(sns),
            calls,
        }
    }

    /// Every request sent through this `Aws` (and its clones), SDK retries included.
    pub fn calls(&self) -> &CallLog {
        &self.calls
    }
}

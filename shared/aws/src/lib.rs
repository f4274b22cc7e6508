//! # warden-aws
//!
//! The AWS adapter of lambda-warden: the only code that calls AWS. It reads a function's live
//! state into a [`FunctionSnapshot`](warden_rules::snapshot::FunctionSnapshot)
//! ([`Aws::fetch_snapshot`]), carries out a remediation plan ([`Aws::execute`]), and publishes
//! alerts ([`Aws::publish_alert`]).
//!
//! Every failure is classified once, from the SDK error's code and HTTP status, by
//! [`error::classify`]. Retries of throttled and transient failures are the SDK's: the
//! `SdkConfig` given to [`Aws::new`] decides them (by default the standard retry mode, 3
//! attempts with exponential backoff,
//! <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>); the adapter
//! sees and classifies only the final failure. Every request sent, retries included, is counted
//! in a [`CallLog`].

#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub mod accounts;
pub mod alert;
pub mod calls;
pub mod error;
pub mod execute;
pub mod inventory;
pub mod remediate;
pub mod snapshot;
pub mod sweep;

pub use calls::CallLog;
pub use error::{classify, classify_code, AwsError};
pub use snapshot::Fetched;

use aws_config::{Region, SdkConfig};
use calls::CallCounter;

/// The AWS clients lambda-warden uses, built once per cold start, and the count of the requests
/// sent through them.
#[derive(Debug, Clone)]
pub struct Aws {
    lambda: aws_sdk_lambda::Client,
    sns: aws_sdk_sns::Client,
    calls: Arc<CallLog>,
    /// The configuration the clients were built from, kept to build the same clients for
    /// another Region ([`Aws::in_region`]) or another account ([`Aws::assume_role`]).
    sdk: SdkConfig,
    /// Clients for roles already assumed, by role ARN ([`Aws::assume_role_cached`]).
    assumed: Arc<Mutex<BTreeMap<String, Aws>>>,
}

impl Aws {
    /// Builds the Lambda and SNS clients from `config` (region, credentials, endpoint, retry and
    /// timeout configuration all come from it) and registers the request counter on both.
    pub fn new(config: &SdkConfig) -> Self {
        Self::with_call_log(config, Arc::new(CallLog::default()))
    }

    /// As [`Aws::new`], counting requests in `calls` (shared with other `Aws` values, e.g. one
    /// per Region of a scan).
    pub fn with_call_log(config: &SdkConfig, calls: Arc<CallLog>) -> Self {
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
            sdk: config.clone(),
            assumed: Arc::default(),
        }
    }

    /// The same clients (credentials, endpoint, retries, request count) for `region`, e.g.
    /// `eu-west-1`: Lambda functions are regional, so a scan of several Regions uses one `Aws`
    /// per Region.
    pub fn in_region(&self, region: &str) -> Aws {
        let config = self
            .sdk
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        Self::with_call_log(&config, Arc::clone(&self.calls))
    }

    /// The Region the clients call, e.g. `us-east-1`; `None` when the configuration has none.
    pub fn region(&self) -> Option<&str> {
        self.sdk.region().map(Region::as_ref)
    }

    /// The configuration the clients were built from.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// Every request sent through this `Aws` (and its clones), SDK retries included.
    pub fn calls(&self) -> &CallLog {
        &self.calls
    }

    /// The shared request count, to build further `Aws` values that count into it.
    pub fn call_log(&self) -> Arc<CallLog> {
        Arc::clone(&self.calls)
    }
}

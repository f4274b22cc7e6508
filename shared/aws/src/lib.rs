//! # warden-aws
//!
//! The AWS adapter of lambda-warden: the only code that calls AWS. It reads a function's live
//! state into a [`FunctionSnapshot`](warden_rules::snapshot::FunctionSnapshot)
//! ([`Aws::fetch_snapshot`]), carries out a remediation plan ([`Aws::execute`]), publishes
//! alerts ([`Aws::publish_alert`]), finds the functions an IAM change applies to
//! ([`Aws::roles_with_policy`], [`Aws::functions_using_role`]), and undoes a remediation from
//! its audit record ([`Aws::restore`]).
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
pub mod caller;
pub mod calls;
pub mod deadline;
pub mod discover;
pub mod error;
pub mod execute;
pub mod inventory;
pub mod pace;
pub mod remediate;
pub mod restore;
pub mod role;
pub mod runtime;
pub mod snapshot;
pub mod store;
pub mod sweep;
pub mod tagging;
pub mod work;

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
    iam: aws_sdk_iam::Client,
    sns: aws_sdk_sns::Client,
    calls: Arc<CallLog>,
    /// The configuration the clients were built from, kept to build the same clients for
    /// another Region ([`Aws::in_region`]) or another account ([`Aws::assume_role`]).
    sdk: SdkConfig,
    /// Clients for roles already assumed, by role ARN ([`Aws::assume_role_cached`]).
    assumed: Arc<Mutex<BTreeMap<String, Aws>>>,
    /// The state table, when one is configured ([`Aws::with_state_table`]). It stays the same
    /// when the adapter moves to another Region or account: the table is the deployment's.
    store: Option<store::StateStore>,
    /// The roles and managed policies read during the current sweep, when this adapter is a
    /// sweep's ([`Aws::with_role_cache`]).
    roles: Option<Arc<role::RoleCache>>,
    /// The execution role each function had when this adapter last read its configuration
    /// (by the function's ARN as read): which role to start reading early, a guess checked
    /// against the configuration of every read ([`Aws::fetch_snapshot`]).
    roles_seen: Arc<Mutex<std::collections::HashMap<String, String>>>,
}

impl Aws {
    /// Builds the Lambda, IAM and SNS clients from `config` (region, credentials, endpoint,
    /// retry and timeout configuration all come from it) and registers the request counter on
    /// each. IAM is a global service: its client uses the same configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Self::with_call_log(config, Arc::new(CallLog::default()))
    }

    /// As [`Aws::new`], counting requests in `calls` (shared with other `Aws` values, e.g. one
    /// per Region of a scan).
    ///
    /// Timeouts `config` leaves unset get the defaults of [`runtime::with_default_timeouts`]
    /// (5 s per attempt, 15 s per call), so no call waits without bound for an answer.
    pub fn with_call_log(config: &SdkConfig, calls: Arc<CallLog>) -> Self {
        let config = &runtime::with_default_timeouts(config);
        let lambda = aws_sdk_lambda::config::Builder::from(config)
            .interceptor(CallCounter::new(Arc::clone(&calls)))
            .build();
        let iam = aws_sdk_iam::config::Builder::from(config)
            .interceptor(CallCounter::new(Arc::clone(&calls)))
            .build();
        let sns = aws_sdk_sns::config::Builder::from(config)
            .interceptor(CallCounter::new(Arc::clone(&calls)))
            .build();
        Self {
            lambda: aws_sdk_lambda::Client::from_conf(lambda),
            iam: aws_sdk_iam::Client::from_conf(iam),
            sns: aws_sdk_sns::Client::from_conf(sns),
            calls,
            sdk: config.clone(),
            assumed: Arc::default(),
            store: None,
            roles: None,
            roles_seen: Arc::default(),
        }
    }

    /// The same adapter with the state table `table` (name or ARN, `WARDEN_STATE_TABLE`),
    /// reached with this adapter's configuration; `retention_days` is
    /// `WARDEN_AUDIT_RETENTION_DAYS`.
    pub fn with_state_table(mut self, table: &str, retention_days: Option<u32>) -> Self {
        self.store = Some(store::StateStore::new(
            &self.sdk,
            Arc::clone(&self.calls),
            table,
            retention_days,
        ));
        self
    }

    /// The same adapter with `store` as its state table: for a table reached with another
    /// configuration than the adapter's (e.g. in another Region than the functions read;
    /// DynamoDB tables are regional:
    /// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.CoreComponents.html>).
    pub fn with_state_store(mut self, store: store::StateStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The adapter for a deployment's settings: [`Aws::new`], with the state table of
    /// `WARDEN_STATE_TABLE` when it is set.
    pub fn configured(sdk: &SdkConfig, config: &warden_rules::config::Config) -> Self {
        let aws = Aws::new(sdk);
        match &config.state_table {
            Some(table) => aws.with_state_table(table, config.audit_retention_days),
            None => aws,
        }
    }

    /// The state table, when one is configured.
    pub fn store(&self) -> Option<&store::StateStore> {
        self.store.as_ref()
    }

    /// The Region of the `SdkConfig` the adapter was built from (or moved to with
    /// [`Aws::in_region`]), e.g. `us-east-1`; `None` when it has none.
    pub fn region(&self) -> Option<&str> {
        self.sdk.region().map(Region::as_ref)
    }

    /// The same adapter with its Lambda client in `region`: every Lambda call (reading a
    /// function, tightening its policy, tagging it) goes to that Region's endpoint, as Lambda
    /// requires for a function of that Region
    /// (<https://docs.aws.amazon.com/general/latest/gr/lambda-service.html>). The SNS client
    /// (the alert topic lives in the adapter's own Region), the IAM client (IAM is global) and
    /// the [`CallLog`] are shared with `self`.
    pub fn in_region(&self, region: &str) -> Aws {
        if self.region() == Some(region) {
            return self.clone();
        }
        Aws {
            lambda: self.lambda_client(region),
            sdk: self
                .sdk
                .to_builder()
                .region(Region::new(region.to_owned()))
                .build(),
            ..self.clone()
        }
    }

    /// A Lambda client for `region`, built from the adapter's configuration, counting its
    /// requests in the same [`CallLog`].
    fn lambda_client(&self, region: &str) -> aws_sdk_lambda::Client {
        let config = aws_sdk_lambda::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_owned()))
            .interceptor(CallCounter::new(Arc::clone(&self.calls)))
            .build();
        aws_sdk_lambda::Client::from_conf(config)
    }

    /// The configuration the clients were built from.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk
    }

    /// Every request sent through this `Aws` (and its clones), SDK retries included.
    pub fn calls(&self) -> &CallLog {
        &self.calls
    }

    /// The organization sweep's work queue and dead-letter queue (queue URLs), reached with
    /// this adapter's configuration and counted in its [`CallLog`].
    pub fn work_queue(&self, queue_url: &str, dead_letter_url: &str) -> work::WorkQueue {
        work::WorkQueue::new(&self.sdk, self.call_log(), queue_url, dead_letter_url)
    }

    /// The shared request count, to build further `Aws` values that count into it.
    pub fn call_log(&self) -> Arc<CallLog> {
        Arc::clone(&self.calls)
    }
}

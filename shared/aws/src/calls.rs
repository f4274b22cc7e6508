//! Counting every request the adapter sends to AWS, SDK retries included.
//!
//! [`CallLog`] is fed by `CallCounter`, an SDK interceptor registered on every client the
//! adapter builds. Its `read_before_transmit` hook runs once per attempt, just before the request
//! goes on the wire, so a call that the SDK retries twice counts three times
//! (<https://docs.rs/aws-smithy-runtime-api/latest/aws_smithy_runtime_api/client/interceptors/trait.Intercept.html#method.read_before_transmit>).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The operations the adapter calls, by their API names; IAM's carry the prefix `iam:` (IAM
/// and Lambda both have a `GetPolicy`). [`CallLog::by_operation`] keys are taken from this
/// list; any other operation is counted under [`OTHER_OPERATION`].
pub const OPERATIONS: &[&str] = &[
    "GetFunctionConfiguration",
    "ListTags",
    "GetFunctionConcurrency",
    "GetPolicy",
    "GetFunctionUrlConfig",
    "GetFunctionEventInvokeConfig",
    "GetFunctionCodeSigningConfig",
    "GetLayerVersionPolicy",
    "GetLayerVersion",
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "ListAliases",
    "RemovePermission",
    "AddPermission",
    "UpdateFunctionUrlConfig",
    "TagResource",
    "Publish",
    "ListFunctions",
    "GetResources",
    "iam:ListEntitiesForPolicy",
    "Invoke",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:Scan",
    "dynamodb:GetItem",
    "sqs:SendMessage",
    "sqs:SendMessageBatch",
    "sqs:ChangeMessageVisibility",
];

/// The [`CallLog::by_operation`] key of an operation not in [`OPERATIONS`].
pub const OTHER_OPERATION: &str = "Other";

#[derive(Debug, Default)]
struct Counts {
    reads: usize,
    writes: usize,
    store: usize,
    throttled: usize,
    by_operation: BTreeMap<&'static str, usize>,
}

/// How many requests were sent to AWS, per operation.
///
/// A *read* is an operation whose name starts with `Get` or `List` (`GetFunctionConfiguration`,
/// `GetPolicy`, `GetFunctionUrlConfig`); every other operation is a *write*. Each attempt
/// counts, so SDK retries are included. The state table's requests (`dynamodb:Query`, ...) and
/// the organization sweep's work queue requests (`sqs:SendMessageBatch`, ...) are
/// lambda-warden's own bookkeeping, not calls about the account's functions: they are counted
/// per operation and in [`CallLog::store_calls`], not in [`CallLog::reads`] or
/// [`CallLog::writes`].
#[derive(Debug, Default)]
pub struct CallLog {
    counts: Mutex<Counts>,
}

impl CallLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // A panic while holding this lock cannot leave the counts half-updated (each update is
        // two additions), so a poisoned lock is still usable.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records one request of `operation` (its API name, e.g. `GetPolicy`, with `iam:` before
    /// IAM's).
    pub(crate) fn record(&self, operation: &str) {
        let key = OPERATIONS
            .iter()
            .copied()
            .find(|known| *known == operation)
            .unwrap_or(OTHER_OPERATION);
        let mut counts = self.lock();
        if operation.starts_with("dynamodb:") || operation.starts_with("sqs:") {
            counts.store += 1;
        } else if is_read(operation) {
            counts.reads += 1;
        } else {
            counts.writes += 1;
        }
        *counts.by_operation.entry(key).or_insert(0) += 1;
    }

    /// Requests of read operations (`Get*`, `List*`) sent so far.
    pub fn reads(&self) -> usize {
        self.lock().reads
    }

    /// Requests of all other operations sent so far.
    pub fn writes(&self) -> usize {
        self.lock().writes
    }

    /// Answers so far that said the request was throttled (HTTP 429, or an error type
    /// starting with `TooManyRequests` or `Throttling`), SDK retries included.
    pub fn throttled(&self) -> usize {
        self.lock().throttled
    }

    /// Requests to the state table (DynamoDB) and the work queues (SQS) sent so far.
    pub fn store_calls(&self) -> usize {
        self.lock().store
    }

    /// Requests sent so far per operation name; operations never called are absent.
    pub fn by_operation(&self) -> BTreeMap<&'static str, usize> {
        self.lock().by_operation.clone()
    }

    /// Forgets every count.
    pub fn reset(&self) {
        *self.lock() = Counts::default();
    }
}

fn is_read(operation: &str) -> bool {
    let name = operation.strip_prefix("iam:").unwrap_or(operation);
    name.starts_with("Get") || name.starts_with("List")
}

/// The SDK interceptor that feeds a [`CallLog`]: it records the operation name the SDK stores
/// in the request's config bag ([`Metadata`]) before each transmission.
#[derive(Debug, Clone)]
pub(crate) struct CallCounter {
    log: Arc<CallLog>,
}

impl CallCounter {
    pub(crate) fn new(log: Arc<CallLog>) -> Self {
        Self { log }
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "WardenCallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Metadata>() {
            Some(m) if m.service().eq_ignore_ascii_case("iam") => {
                self.log.record(&format!("iam:{}", m.name()));
            }
            Some(m) if m.service().eq_ignore_ascii_case("dynamodb") => {
                self.log.record(&format!("dynamodb:{}", m.name()));
            }
            Some(m) if m.service().eq_ignore_ascii_case("sqs") => {
                self.log.record(&format!("sqs:{}", m.name()));
            }
            Some(m) => self.log.record(m.name()),
            None => self.log.record(OTHER_OPERATION),
        }
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Lambda answers throttling with HTTP 429 `TooManyRequestsException`; IAM, SNS and
        // DynamoDB with 400 `Throttling`/`ThrottlingException`/`ProvisionedThroughputExceededException`
        // (<https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html#API_GetPolicy_Errors>).
        let response = context.response();
        let code = response
            .headers()
            .get("x-amzn-errortype")
            .unwrap_or_default();
        if response.status().as_u16() == 429
            || code.starts_with("TooManyRequests")
            || code.starts_with("Throttling")
        {
            self.log.lock().throttled += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_are_told_apart_by_operation_name() {
        let log = CallLog::default();
        for op in [
            "GetFunctionConfiguration",
            "GetPolicy",
            "GetPolicy",
            "AddPermission",
            "Publish",
        ] {
            log.record(op);
        }
        log.record("ListTags");
        log.record("DeleteFunction");
        log.record("iam:GetPolicy");
        log.record("dynamodb:Query");
        log.record("dynamodb:PutItem");
        assert_eq!(log.reads(), 5);
        assert_eq!(log.writes(), 3);
        assert_eq!(log.store_calls(), 2);
        let by_op = log.by_operation();
        assert_eq!(by_op.get("GetPolicy"), Some(&2));
        assert_eq!(by_op.get("GetFunctionConfiguration"), Some(&1));
        assert_eq!(by_op.get("ListTags"), Some(&1));
        assert_eq!(by_op.get("iam:GetPolicy"), Some(&1));
        // DeleteFunction alone: ListTags is an operation the adapter calls.
        assert_eq!(by_op.get(OTHER_OPERATION), Some(&1));
        assert_eq!(by_op.get("TagResource"), None);
        log.reset();
        assert_eq!((log.reads(), log.writes()), (0, 0));
        assert!(log.by_operation().is_empty());
    }
}

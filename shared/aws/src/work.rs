//! The organization sweep's queue and records: the work queue and its dead-letter queue
//! (Amazon SQS), and the run's records in the state table (DynamoDB). Shapes and decisions
//! are [`warden_rules::work`]'s.
//!
//! Run records, in the state table beside the functions' items:
//!
//! | item | `pk` | `sk` | attributes |
//! |---|---|---|---|
//! | summary of a run | `RUN#` + run id | `SUMMARY` | `planned` (list of `ACCOUNT/REGION`), `started_at`, `sent`, `done`, `failed`, `functions`, `targets`, `non_compliant`, `function_failures`, `accounts_covered`, `regions_covered`, `failures` (string sets) |
//! | one work item | `RUN#` + run id | `ITEM#ACCOUNT/REGION` | `item_status` (`in_progress`, `done`, `failed`), `after` (checkpoint), `lease_owner`, `lease_until` (ms), `continuations`, `reason` |
//!
//! Every run item carries `expires_at` (the table's TTL attribute): the audit retention when
//! `WARDEN_AUDIT_RETENTION_DAYS` is set, otherwise [`RUN_RETENTION_DAYS`].
//!
//! A worker *claims* an item with a conditional update (it is new, or its lease has expired,
//! or the worker already holds it), keeps its checkpoint under the same condition, and ends
//! it in one transaction with the summary's totals
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html>),
//! so an item redelivered after it ended adds nothing twice.

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use warden_rules::outcome::FailureKind;
use warden_rules::work::{Claim, ItemCounts, RunSummary};

use crate::calls::{CallCounter, CallLog};
use crate::store::StateStore;
use crate::AwsError;

/// How long run records are kept when no audit retention is set, in days.
pub const RUN_RETENTION_DAYS: u32 = 90;

/// The most entries of one `SendMessageBatch` request (SQS's limit:
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html>).
pub const SEND_BATCH: usize = 10;

/// The longest reason attached to a dead-lettered message, in characters.
pub const MAX_REASON_CHARS: usize = 1_000;

/// The work queue and its dead-letter queue.
#[derive(Debug, Clone)]
pub struct WorkQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    dead_letter_url: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl WorkQueue {
    /// Clients for `queue_url` and `dead_letter_url` (queue URLs, `WARDEN_SWEEP_QUEUE_URL` and
    /// `WARDEN_SWEEP_DEAD_LETTER_URL`), counting their requests in `calls` as `sqs:*`.
    pub fn new(
        sdk: &SdkConfig,
        calls: Arc<CallLog>,
        queue_url: &str,
        dead_letter_url: &str,
    ) -> Self {
        let config = aws_sdk_sqs::config::Builder::from(sdk)
            .interceptor(CallCounter::new(calls))
            .build();
        WorkQueue {
            client: aws_sdk_sqs::Client::from_conf(config),
            queue_url: queue_url.to_owned(),
            dead_letter_url: dead_letter_url.to_owned(),
        }
    }

    /// Sends `bodies` to the work queue with `SendMessageBatch`, [`SEND_BATCH`] at a time;
    /// entries SQS refuses are sent once more. Returns how many were sent.
    ///
    /// # Errors
    /// [`AwsError`] (operation `SendMessageBatch`) when a request fails as a whole; the
    /// bodies sent before it stay sent (workers ignore an item twice delivered).
    pub async fn send(&self, bodies: &[String]) -> Result<usize, AwsError> {
        const OP: &str = "SendMessageBatch";
        let mut sent = 0;
        for chunk in bodies.chunks(SEND_BATCH) {
            let mut pending: Vec<(usize, &String)> = chunk.iter().enumerate().collect();
            for _round in 0..2 {
                if pending.is_empty() {
                    break;
                }
                let entries: Vec<SendMessageBatchRequestEntry> = pending
                    .iter()
                    .filter_map(|(i, body)| {
                        SendMessageBatchRequestEntry::builder()
                            .id(format!("m{i}"))
                            .message_body(body.as_str())
                            .build()
                            .ok()
                    })
                    .collect();
                let out = self
                    .client
                    .send_message_batch()
                    .queue_url(&self.queue_url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(OP, &self.queue_url, &e))?;
                sent += out.successful().len();
                let failed: Vec<&str> = out.failed().iter().map(|f| f.id()).collect();
                if !failed.is_empty() {
                    tracing::warn!(
                        failed = failed.len(),
                        "work items refused; sending them again"
                    );
                }
                pending.retain(|(i, _)| failed.contains(&format!("m{i}").as_str()));
            }
        }
        Ok(sent)
    }

    /// Sends `body` to the dead-letter queue with the message attribute `reason` (at most
    /// [`MAX_REASON_CHARS`]) and `source` = `lambda-warden`
    /// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html>).
    ///
    /// # Errors
    /// [`AwsError`] (operation `SendMessage`).
    pub async fn dead_letter(&self, body: &str, reason: &str) -> Result<(), AwsError> {
        const OP: &str = "SendMessage";
        let text = |v: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
        };
        let reason: String = reason.chars().take(MAX_REASON_CHARS).collect();
        let reason = if reason.is_empty() {
            "unknown".to_owned()
        } else {
            reason
        };
        let mut request = self
            .client
            .send_message()
            .queue_url(&self.dead_letter_url)
            .message_body(if body.is_empty() { "(empty)" } else { body });
        for (name, value) in [("reason", reason.as_str()), ("source", "lambda-warden")] {
            if let Ok(v) = text(value) {
                request = request.message_attributes(name, v);
            }
        }
        request
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, &self.dead_letter_url, &e))?;
        Ok(())
    }
}

fn run_pk(run_id: &str) -> String {
    format!("RUN#{run_id}")
}

fn item_sk(key: &str) -> String {
    format!("ITEM#{key}")
}

const SUMMARY_SK: &str = "SUMMARY";

fn key_of(pk: String, sk: String) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn num(item: &HashMap<String, AttributeValue>, k: &str) -> u64 {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn set(item: &HashMap<String, AttributeValue>, k: &str) -> Vec<String> {
    let mut v = item
        .get(k)
        .and_then(|v| v.as_ss().ok())
        .cloned()
        .unwrap_or_default();
    v.sort();
    v
}

/// The expression attribute names of the totals (`functions` is a DynamoDB reserved word:
/// <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html>),
/// with `#co` (`continuations`) when `continuations`.
fn count_names(continuations: bool) -> HashMap<String, String> {
    let mut names = vec![
        ("#fn", "functions"),
        ("#tg", "targets"),
        ("#nc", "non_compliant"),
        ("#ff", "function_failures"),
    ];
    if continuations {
        names.push(("#co", "continuations"));
    }
    names
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn counts_of(item: &HashMap<String, AttributeValue>) -> ItemCounts {
    ItemCounts {
        functions: num(item, "functions"),
        targets: num(item, "targets"),
        non_compliant: num(item, "non_compliant"),
        failures: num(item, "function_failures"),
    }
}

/// Whether a conditional write was refused because its condition failed.
fn condition_failed(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        UpdateItemError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool {
    e.as_service_error()
        .is_some_and(UpdateItemError::is_conditional_check_failed_exception)
}

/// Whether a transaction was cancelled by a failed condition (and nothing else).
fn transaction_condition_failed(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        TransactWriteItemsError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
            let reasons = c.cancellation_reasons();
            reasons.is_empty()
                || reasons
                    .iter()
                    .any(|r| r.code() == Some("ConditionalCheckFailed"))
        }
        _ => false,
    }
}

impl StateStore {
    fn run_expiry(&self, now_secs: i64) -> i64 {
        let days = self.retention_days().unwrap_or(RUN_RETENTION_DAYS);
        now_secs + i64::from(days) * 86_400
    }

    /// Records the start of run `run_id` with its `planned` items (`ACCOUNT/REGION`), unless
    /// it is recorded already (a scheduled event delivered twice). Returns whether it was new.
    ///
    /// # Errors
    /// [`AwsError`] (operation `PutItem`).
    pub async fn begin_run(
        &self,
        run_id: &str,
        started_at: i64,
        planned: &[String],
    ) -> Result<bool, AwsError> {
        const OP: &str = "PutItem";
        let mut item = key_of(run_pk(run_id), SUMMARY_SK.to_owned());
        item.insert("kind".into(), s("run"));
        item.insert("started_at".into(), n(started_at));
        item.insert(
            "planned".into(),
            AttributeValue::L(planned.iter().map(|p| s(p.as_str())).collect()),
        );
        item.insert("expires_at".into(), n(self.run_expiry(started_at)));
        match self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error().is_some_and(
                    aws_sdk_dynamodb::operation::put_item::PutItemError::is_conditional_check_failed_exception,
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(AwsError::from_sdk(OP, run_id, &e)),
        }
    }

    /// Adds `count` to the run's `sent` total.
    ///
    /// # Errors
    /// [`AwsError`] (operation `UpdateItem`).
    pub async fn record_sent(&self, run_id: &str, count: usize) -> Result<(), AwsError> {
        self.client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_of(run_pk(run_id), SUMMARY_SK.to_owned())))
            .update_expression("ADD #sent :n")
            .expression_attribute_names("#sent", "sent")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", n(count))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", run_id, &e))?;
        Ok(())
    }

    /// The run's summary record, read strongly consistent; `None` when the run is unknown.
    ///
    /// # Errors
    /// [`AwsError`] (operation `GetItem`).
    pub async fn run_summary(&self, run_id: &str) -> Result<Option<RunSummary>, AwsError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table())
            .set_key(Some(key_of(run_pk(run_id), SUMMARY_SK.to_owned())))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", run_id, &e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let planned = item
            .get("planned")
            .and_then(|v| v.as_l().ok())
            .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
            .unwrap_or_default();
        Ok(Some(RunSummary {
            run_id: run_id.to_owned(),
            started_at: i64::try_from(num(&item, "started_at")).unwrap_or(0),
            planned,
            sent: num(&item, "sent"),
            done: num(&item, "done"),
            failed: num(&item, "failed"),
            accounts_covered: set(&item, "accounts_covered"),
            regions_covered: set(&item, "regions_covered"),
            counts: counts_of(&item),
            failures: set(&item, "failures"),
        }))
    }

    /// Claims item `key` of run `run_id` for `owner` (e.g. the SQS message id) until
    /// `lease_until_ms` (ms since the Unix epoch; the worker's deadline): granted when the item
    /// is new, or in progress with a lease expired at `now_ms` or already `owner`'s. Returns
    /// where to resume, or `None` when another live worker holds it or it has ended.
    ///
    /// # Errors
    /// [`AwsError`] (operation `UpdateItem`).
    pub async fn claim_item(
        &self,
        run_id: &str,
        key: &str,
        owner: &str,
        now_ms: u64,
        lease_until_ms: u64,
        now_secs: i64,
    ) -> Result<Option<Claim>, AwsError> {
        let out = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_of(run_pk(run_id), item_sk(key))))
            .update_expression(
                "SET #st = :progress, lease_owner = :owner, lease_until = :until, expires_at = if_not_exists(expires_at, :expires)",
            )
            .condition_expression(
                "attribute_not_exists(sk) OR (#st = :progress AND (lease_until < :now OR lease_owner = :owner))",
            )
            .expression_attribute_names("#st", "item_status")
            .expression_attribute_values(":progress", s("in_progress"))
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":until", n(lease_until_ms))
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":expires", n(self.run_expiry(now_secs)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(Some(Claim {
                    after: item
                        .get("after")
                        .and_then(|v| v.as_s().ok())
                        .filter(|a| !a.is_empty())
                        .cloned(),
                    continuations: u32::try_from(num(&item, "continuations")).unwrap_or(u32::MAX),
                    counts: counts_of(&item),
                }))
            }
            Err(e) if condition_failed(&e) => Ok(None),
            Err(e) => Err(AwsError::from_sdk("UpdateItem", key, &e)),
        }
    }

    /// Moves the checkpoint of an item `owner` holds to `after` (the last function name done)
    /// and adds `done` (what the functions since the last checkpoint gave) to the item's
    /// totals, in one conditional update. `release` also gives the lease up (the item waits
    /// for its next delivery), and `handed_over` counts one more continuation. Returns `false`
    /// when `owner` no longer holds the item (nothing written: the worker must stop).
    ///
    /// # Errors
    /// [`AwsError`] (operation `UpdateItem`).
    #[allow(clippy::too_many_arguments)]
    pub async fn checkpoint_item(
        &self,
        run_id: &str,
        key: &str,
        owner: &str,
        after: Option<&str>,
        done: &ItemCounts,
        release: bool,
        handed_over: bool,
    ) -> Result<bool, AwsError> {
        let mut set = vec!["#af = :after"];
        if release {
            set.push("lease_until = :zero");
        }
        let mut update = format!(
            "SET {} ADD #fn :functions, #tg :targets, #nc :nc, #ff :ff",
            set.join(", ")
        );
        if handed_over {
            update.push_str(", #co :one");
        }
        let mut request = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_of(run_pk(run_id), item_sk(key))))
            .update_expression(update)
            .condition_expression("#st = :progress AND lease_owner = :owner")
            .set_expression_attribute_names(Some(count_names(handed_over)))
            .expression_attribute_names("#st", "item_status")
            .expression_attribute_names("#af", "after")
            .expression_attribute_values(":progress", s("in_progress"))
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":after", s(after.unwrap_or_default()))
            .expression_attribute_values(":functions", n(done.functions))
            .expression_attribute_values(":targets", n(done.targets))
            .expression_attribute_values(":nc", n(done.non_compliant))
            .expression_attribute_values(":ff", n(done.failures));
        if release {
            request = request.expression_attribute_values(":zero", n(0));
        }
        if handed_over {
            request = request.expression_attribute_values(":one", n(1));
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(AwsError::from_sdk("UpdateItem", key, &e)),
        }
    }

    /// Ends item `key` (`ACCOUNT/REGION`) of run `run_id`: done (when `failure` is `None`),
    /// its totals `counts` (everything checkpointed before plus what came since) added to the
    /// run's summary, or failed with that reason, in one
    /// transaction. `owner`: the worker holding it (`None` for an item failed before it was
    /// claimed). Returns `false` when the item had already ended (nothing written).
    ///
    /// # Errors
    /// [`AwsError`] (operation `TransactWriteItems`).
    pub async fn end_item(
        &self,
        run_id: &str,
        key: &str,
        owner: Option<&str>,
        counts: &ItemCounts,
        failure: Option<&str>,
    ) -> Result<bool, AwsError> {
        const OP: &str = "TransactWriteItems";
        let (account, region) = key.split_once('/').unwrap_or((key, ""));
        let bad = |e: aws_sdk_dynamodb::error::BuildError| AwsError {
            operation: OP,
            resource_arn: key.to_owned(),
            kind: FailureKind::Invalid,
            code: format!("BuildError: {e}"),
        };
        let mut set = vec!["#st = :ended"];
        if owner.is_some() {
            set.push("lease_until = :zero");
        }
        if failure.is_some() {
            set.push("#reason = :reason");
        }
        let mut item = Update::builder()
            .table_name(self.table())
            .set_key(Some(key_of(run_pk(run_id), item_sk(key))))
            .update_expression(format!("SET {}", set.join(", ")))
            .expression_attribute_names("#st", "item_status")
            .expression_attribute_values(
                ":ended",
                s(if failure.is_some() { "failed" } else { "done" }),
            )
            .expression_attribute_values(":progress", s("in_progress"));
        item = match owner {
            Some(owner) => item
                .condition_expression("#st = :progress AND lease_owner = :owner")
                .expression_attribute_values(":owner", s(owner))
                .expression_attribute_values(":zero", n(0)),
            None => item.condition_expression("attribute_not_exists(sk) OR #st = :progress"),
        };
        if let Some(reason) = failure {
            item = item
                .expression_attribute_names("#reason", "reason")
                .expression_attribute_values(":reason", s(reason));
        }
        let summary = Update::builder()
            .table_name(self.table())
            .set_key(Some(key_of(run_pk(run_id), SUMMARY_SK.to_owned())))
            .condition_expression("attribute_exists(pk)");
        let summary = match failure {
            Some(reason) => summary
                .update_expression("ADD #failed :one, #failures :failure")
                .expression_attribute_names("#failed", "failed")
                .expression_attribute_names("#failures", "failures")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(
                    ":failure",
                    AttributeValue::Ss(vec![format!("{key}: {reason}")]),
                ),
            None => summary
                .update_expression(
                    "ADD #done :one, #fn :functions, #tg :targets, #nc :nc, #ff :ff, #ac :account, #rc :region",
                )
                .set_expression_attribute_names(Some(count_names(false)))
                .expression_attribute_names("#done", "done")
                .expression_attribute_names("#ac", "accounts_covered")
                .expression_attribute_names("#rc", "regions_covered")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":functions", n(counts.functions))
                .expression_attribute_values(":targets", n(counts.targets))
                .expression_attribute_values(":nc", n(counts.non_compliant))
                .expression_attribute_values(":ff", n(counts.failures))
                .expression_attribute_values(":account", AttributeValue::Ss(vec![account.to_owned()]))
                .expression_attribute_values(":region", AttributeValue::Ss(vec![region.to_owned()])),
        };
        let items = vec![
            TransactWriteItem::builder()
                .update(item.build().map_err(bad)?)
                .build(),
            TransactWriteItem::builder()
                .update(summary.build().map_err(bad)?)
                .build(),
        ];
        match self
            .client()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if transaction_condition_failed(&e) => Ok(false),
            Err(e) => Err(AwsError::from_sdk(OP, key, &e)),
        }
    }
}

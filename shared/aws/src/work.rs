//! The organization sweep's queue and records: the work queue and its dead-letter queue
//! (Amazon SQS), and the run's records in the state table (DynamoDB). Shapes and decisions
//! are [`warden_rules::work`]'s.
//!
//! Run records, in the state table beside the functions' items:
//!
//! | item | `pk` | `sk` | attributes |
//! |---|---|---|---|
//! | a run | `RUN#` + run id | `SUMMARY` | `kind` = `run`, `started_at`, `planned_count`, `sent` |
//! | one work item | `RUN#` + run id | `ITEM#ACCOUNT/REGION` | `item_status` (`planned`, `in_progress`, `done`, `failed`), `after` (checkpoint), `lease_owner`, `lease_until` (ms), `continuations`, `functions`, `targets`, `non_compliant`, `function_failures`, `reason` |
//!
//! Every run item carries `expires_at` (the table's TTL attribute): the audit retention when
//! `WARDEN_AUDIT_RETENTION_DAYS` is set, otherwise [`RUN_RETENTION_DAYS`].
//!
//! The fan-out writes one item record per planned (account, Region), `planned`. A worker
//! *claims* one with a conditional update (it is planned, or in progress with its lease expired
//! or already the worker's; an item the run did not plan has no record and cannot be claimed),
//! keeps its checkpoint and totals under the same condition, and ends it the same way, so an
//! item delivered again after it ended adds nothing twice
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html>).
//! Each worker writes only its own item: no item is written by every worker, so none grows with
//! the organization or is contended. The run's summary ([`StateStore::run_summary`]) is the
//! aggregate of its items, read with one `Query`.

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use futures::stream::{self, StreamExt};
use warden_rules::work::{Claim, ClaimRefused, ItemCounts, RunSummary};

use crate::calls::{CallCounter, CallLog};
use crate::store::{get_n, get_s, n, s, StateStore};
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
    /// entries SQS refuses are sent once more. Returns how many were sent: all of them.
    ///
    /// # Errors
    /// [`AwsError`] (operation `SendMessageBatch`) when a request fails as a whole, or SQS
    /// refused an entry twice (code `EntriesRefused`); the bodies sent before stay sent
    /// (workers drop an item delivered again after it ended).
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
            if !pending.is_empty() {
                return Err(AwsError {
                    operation: OP,
                    resource_arn: self.queue_url.clone(),
                    kind: warden_rules::outcome::FailureKind::Transient,
                    code: format!(
                        "EntriesRefused ({} of {})",
                        pending.len(),
                        bodies.len() - sent
                    ),
                });
            }
        }
        Ok(sent)
    }

    /// Makes the message of `receipt_handle` visible again in `seconds` (at most 43,200)
    /// rather than after the queue's visibility timeout: the back-off of a work item delivered
    /// again (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html>).
    ///
    /// # Errors
    /// [`AwsError`] (operation `ChangeMessageVisibility`).
    pub async fn retry_after(&self, receipt_handle: &str, seconds: u32) -> Result<(), AwsError> {
        const OP: &str = "ChangeMessageVisibility";
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds.min(43_200)).unwrap_or(43_200))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, &self.queue_url, &e))?;
        Ok(())
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

/// Work item records written at once by [`StateStore::begin_run`].
const PLAN_IN_FLIGHT: usize = 16;

fn key_of(pk: String, sk: String) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// A count attribute of `item`: 0 when absent (nothing counted yet) or negative.
fn num(item: &HashMap<String, AttributeValue>, k: &str) -> u64 {
    get_n(item, k)
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(0)
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
        ("#st", "item_status"),
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

/// The values of [`count_names`]' totals: `done`.
fn count_values(done: &ItemCounts) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (":functions".to_owned(), n(done.functions)),
        (":targets".to_owned(), n(done.targets)),
        (":nc".to_owned(), n(done.non_compliant)),
        (":ff".to_owned(), n(done.failures)),
    ])
}

const ADD_COUNTS: &str = "ADD #fn :functions, #tg :targets, #nc :nc, #ff :ff";

/// Whether a conditional update was refused because its condition failed.
fn condition_failed(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        UpdateItemError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool {
    e.as_service_error()
        .is_some_and(UpdateItemError::is_conditional_check_failed_exception)
}

impl StateStore {
    fn run_expiry(&self, now_secs: i64) -> i64 {
        let days = self.retention_days().unwrap_or(RUN_RETENTION_DAYS);
        now_secs + i64::from(days) * 86_400
    }

    /// Puts `item` unless an item with its key exists; `Ok(false)` when one does.
    async fn put_new(
        &self,
        item: HashMap<String, AttributeValue>,
        what: &str,
    ) -> Result<bool, AwsError> {
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
                if e.as_service_error()
                    .is_some_and(PutItemError::is_conditional_check_failed_exception) =>
            {
                Ok(false)
            }
            Err(e) => Err(AwsError::from_sdk("PutItem", what, &e)),
        }
    }

    /// Records run `run_id` and each of its `planned` items (`ACCOUNT/REGION`) as `planned`,
    /// each only if it is not recorded yet: a scheduled event delivered twice changes nothing
    /// of a run under way, and completes one whose recording was cut short. Returns whether the
    /// run was new.
    ///
    /// # Errors
    /// [`AwsError`] (operation `PutItem`).
    pub async fn begin_run(
        &self,
        run_id: &str,
        started_at: i64,
        planned: &[String],
    ) -> Result<bool, AwsError> {
        let expires = n(self.run_expiry(started_at));
        let mut run = key_of(run_pk(run_id), SUMMARY_SK.to_owned());
        run.insert("kind".into(), s("run"));
        run.insert("started_at".into(), n(started_at));
        run.insert("planned_count".into(), n(planned.len()));
        run.insert("expires_at".into(), expires.clone());
        let new = self.put_new(run, run_id).await?;
        let results: Vec<Result<bool, AwsError>> = stream::iter(planned)
            .map(|key| {
                let mut item = key_of(run_pk(run_id), item_sk(key));
                item.insert("kind".into(), s("work_item"));
                item.insert("item_status".into(), s("planned"));
                item.insert("expires_at".into(), expires.clone());
                async move { self.put_new(item, key).await }
            })
            .buffer_unordered(PLAN_IN_FLIGHT)
            .collect()
            .await;
        for r in results {
            r?;
        }
        Ok(new)
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

    /// The run's summary: its record and the aggregate of its items, read with one strongly
    /// consistent `Query` of the run's partition (every page); `None` when the run is unknown.
    ///
    /// # Errors
    /// [`AwsError`] (operation `Query`).
    pub async fn run_summary(&self, run_id: &str) -> Result<Option<RunSummary>, AwsError> {
        let items = self.query_all(&run_pk(run_id)).await?;
        let Some(run) = items.iter().find(|i| get_s(i, "sk") == Some(SUMMARY_SK)) else {
            return Ok(None);
        };
        let mut summary = RunSummary {
            run_id: run_id.to_owned(),
            started_at: get_n(run, "started_at").unwrap_or(0),
            sent: num(run, "sent"),
            ..RunSummary::default()
        };
        for item in &items {
            let Some(key) = get_s(item, "sk").and_then(|k| k.strip_prefix("ITEM#")) else {
                continue;
            };
            summary.absorb(
                key,
                get_s(item, "item_status").unwrap_or_default(),
                counts_of(item),
                get_s(item, "reason"),
            );
        }
        summary.sort();
        Ok(Some(summary))
    }

    /// Claims item `key` of run `run_id` for `owner` (the invocation's request id) until
    /// `lease_until_ms` (ms since the Unix epoch; the worker's deadline): granted when the item
    /// is planned, or in progress with a lease expired at `now_ms` or already `owner`'s.
    /// Returns where to resume, or why the claim was refused.
    ///
    /// # Errors
    /// [`AwsError`] (operation `UpdateItem`, or `GetItem` when telling why it was refused).
    pub async fn claim_item(
        &self,
        run_id: &str,
        key: &str,
        owner: &str,
        now_ms: u64,
        lease_until_ms: u64,
    ) -> Result<Result<Claim, ClaimRefused>, AwsError> {
        let out = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_of(run_pk(run_id), item_sk(key))))
            .update_expression("SET #st = :progress, lease_owner = :owner, lease_until = :until")
            .condition_expression(
                "#st = :planned OR (#st = :progress AND (lease_until < :now OR lease_owner = :owner))",
            )
            .expression_attribute_names("#st", "item_status")
            .expression_attribute_values(":planned", s("planned"))
            .expression_attribute_values(":progress", s("in_progress"))
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":until", n(lease_until_ms))
            .expression_attribute_values(":now", n(now_ms))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(Ok(Claim {
                    after: get_s(&item, "after")
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned),
                    continuations: u32::try_from(num(&item, "continuations")).unwrap_or(u32::MAX),
                }))
            }
            Err(e) if condition_failed(&e) => Ok(Err(self.why_refused(run_id, key).await?)),
            Err(e) => Err(AwsError::from_sdk("UpdateItem", key, &e)),
        }
    }

    /// Why a claim of `key` was refused, from its record (and the run's, when it has none).
    async fn why_refused(&self, run_id: &str, key: &str) -> Result<ClaimRefused, AwsError> {
        let get = |sk: String| {
            self.client()
                .get_item()
                .table_name(self.table())
                .set_key(Some(key_of(run_pk(run_id), sk)))
                .consistent_read(true)
                .send()
        };
        let item = get(item_sk(key))
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", key, &e))?
            .item;
        Ok(match item.as_ref().and_then(|i| get_s(i, "item_status")) {
            Some("done" | "failed") => ClaimRefused::Ended,
            Some(_) => ClaimRefused::Held {
                until_ms: item.as_ref().map_or(0, |i| num(i, "lease_until")),
            },
            None => {
                let run = get(SUMMARY_SK.to_owned())
                    .await
                    .map_err(|e| AwsError::from_sdk("GetItem", run_id, &e))?
                    .item;
                if run.is_some() {
                    ClaimRefused::NotPlanned
                } else {
                    ClaimRefused::UnknownRun
                }
            }
        })
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
        let mut update = format!("SET {} {ADD_COUNTS}", set.join(", "));
        if handed_over {
            update.push_str(", #co :one");
        }
        let mut values = count_values(done);
        values.insert(":progress".into(), s("in_progress"));
        values.insert(":owner".into(), s(owner));
        values.insert(":after".into(), s(after.unwrap_or_default()));
        if release {
            values.insert(":zero".into(), n(0));
        }
        if handed_over {
            values.insert(":one".into(), n(1));
        }
        let mut names = count_names(handed_over);
        names.insert("#af".into(), "after".into());
        self.owned_update(run_id, key, update, names, values).await
    }

    /// Ends item `key` (`ACCOUNT/REGION`) of run `run_id`, which `owner` holds: done (when
    /// `failure` is `None`) or failed with that reason, with `done` (what came since the last
    /// checkpoint) added to its totals. Returns `false` when `owner` no longer holds it
    /// (nothing written).
    ///
    /// # Errors
    /// [`AwsError`] (operation `UpdateItem`).
    pub async fn end_item(
        &self,
        run_id: &str,
        key: &str,
        owner: &str,
        done: &ItemCounts,
        failure: Option<&str>,
    ) -> Result<bool, AwsError> {
        let mut set = vec!["#st = :ended", "lease_until = :zero"];
        let mut values = count_values(done);
        values.insert(":progress".into(), s("in_progress"));
        values.insert(":owner".into(), s(owner));
        values.insert(":zero".into(), n(0));
        values.insert(
            ":ended".into(),
            s(if failure.is_some() { "failed" } else { "done" }),
        );
        let mut names = count_names(false);
        if let Some(reason) = failure {
            set.push("#reason = :reason");
            names.insert("#reason".into(), "reason".into());
            values.insert(":reason".into(), s(reason));
        }
        let update = format!("SET {} {ADD_COUNTS}", set.join(", "));
        self.owned_update(run_id, key, update, names, values).await
    }

    /// `update` of item `key`, on condition that it is in progress and held by the value of
    /// `:owner`; `Ok(false)` when it is not.
    async fn owned_update(
        &self,
        run_id: &str,
        key: &str,
        update: String,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    ) -> Result<bool, AwsError> {
        match self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_of(run_pk(run_id), item_sk(key))))
            .update_expression(update)
            .condition_expression("#st = :progress AND lease_owner = :owner")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(AwsError::from_sdk("UpdateItem", key, &e)),
        }
    }
}

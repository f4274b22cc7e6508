//! The organization sweep: the scheduled run fans out one work item per (account, Region) to
//! the work queue ([`fan_out`]); worker invocations of the same function, fed by an SQS event
//! source mapping, sweep one item each through the member role ([`work`]).
//!
//! # A worker's item
//! 1. The record must come from the work queue (`eventSourceARN`), and its body must be a
//!    [`WorkItem`] naming an item its run planned (the fan-out recorded one item record per
//!    planned (account, Region)); otherwise the message goes to the dead-letter queue with its
//!    reason.
//! 2. The worker claims the item: a lease until its own deadline, owned by its invocation's
//!    request id. A claim refused because another live worker holds the item (a message SQS
//!    delivered twice) or because it has ended drops the message. A worker that died leaves
//!    its lease to expire at its deadline, long before SQS delivers the message again (the
//!    visibility timeout is six times the function's timeout).
//! 3. It sweeps the item's Region from the checkpoint, writing the checkpoint (the last
//!    function done, and the totals so far) at most every `WARDEN_SWEEP_CHECKPOINT_SECONDS`.
//!    A worker killed mid-way is replaced, when SQS delivers the message again after its
//!    visibility timeout, by one that resumes from that checkpoint: the functions before it
//!    are not evaluated again, and the ones after are evaluated once more, which writes
//!    nothing they already hold (status tags, alerts and fixes are driven by the recorded
//!    state).
//! 4. When its time runs short it records the checkpoint, releases the lease and sends the
//!    item again (a new message, so the receive count does not grow), at most
//!    `WARDEN_SWEEP_MAX_CONTINUATIONS` times.
//! 5. At the end it marks the item done, with its totals, on the same condition (it still
//!    holds it), so an item delivered again after it ended counts once. An item that cannot
//!    be swept (the member role refuses, the Region cannot be listed) is retried by SQS until
//!    its receive count reaches `WARDEN_SWEEP_MAX_ATTEMPTS`,
//!    then marked failed in the summary and sent to the dead-letter queue with its reason;
//!    a permanent refusal (`AccessDenied`, ...) is not retried. So is an item delivered more
//!    often than that whose workers never answered (each ran out of time, or crashed).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use thiserror::Error;
use tokio::sync::Notify;
use tracing::{info, warn};
use warden_aws::remediate::{Cause, Resolution};
use warden_aws::store::StateStore;
use warden_aws::sweep::{self, Apply, Budget, Cursor, Evaluation, Failure, Progress, SweepOptions};
use warden_aws::work::WorkQueue;
use warden_aws::{Aws, AwsError};
use warden_rules::ids::{AccountId, FunctionArn};
use warden_rules::work::{plan_work, ClaimRefused, ItemCounts, WorkItem};

use crate::{Deadline, Deps, SweepAccounts};

/// The fan-out could not be done; the invocation fails: Lambda retries it (twice, in the
/// template's fan-out mode; repeating a fan-out records only what is not recorded yet), then
/// sends the scheduled event to the function's on-failure destination.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FanOutError {
    /// A setting the fan-out needs is missing.
    #[error("the organization sweep needs {0}")]
    NotConfigured(&'static str),
    /// An AWS call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// What the scheduled run of an organization sweep did (its log record and response).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FanOut {
    /// `lambda-warden.fan-out/1`.
    pub schema: &'static str,
    /// The run id (the scheduled event's id).
    pub run_id: String,
    /// Accounts planned.
    pub accounts: usize,
    /// Regions planned.
    pub regions: Vec<String>,
    /// Work items planned.
    pub items: usize,
    /// Work items sent to the queue.
    pub sent: usize,
    /// `false` when the run was recorded already (the scheduled event delivered again): its
    /// items are sent again and the workers drop those that ended.
    pub new_run: bool,
}

fn queue_of(deps: &Deps) -> Result<WorkQueue, FanOutError> {
    let settings = &deps.settings;
    let queue = settings
        .queue_url
        .as_deref()
        .ok_or(FanOutError::NotConfigured("WARDEN_SWEEP_QUEUE_URL"))?;
    let dead_letter = settings
        .dead_letter_url
        .as_deref()
        .ok_or(FanOutError::NotConfigured("WARDEN_SWEEP_DEAD_LETTER_URL"))?;
    Ok(deps.aws.work_queue(queue, dead_letter))
}

fn store_of(deps: &Deps) -> Result<&StateStore, FanOutError> {
    deps.aws
        .store()
        .ok_or(FanOutError::NotConfigured("WARDEN_STATE_TABLE"))
}

/// Fans run `run_id` out: the accounts of `WARDEN_SWEEP_ACCOUNTS` (AWS Organizations
/// `ListAccounts` for `organization`) × `WARDEN_REGIONS`, recorded in the state table (the
/// run, and one `planned` record per item), then sent to the work queue. `now`: seconds since the Unix epoch.
///
/// # Errors
/// [`FanOutError`] when a setting is missing, the accounts cannot be listed, or the run
/// cannot be recorded or its items sent.
pub async fn fan_out(run_id: &str, deps: &Deps, now: i64) -> Result<FanOut, FanOutError> {
    let queue = queue_of(deps)?;
    let store = store_of(deps)?;
    let accounts = match &deps.settings.accounts {
        SweepAccounts::Own => return Err(FanOutError::NotConfigured("WARDEN_SWEEP_ACCOUNTS")),
        SweepAccounts::Organization => deps.aws.organization_accounts().await?,
        SweepAccounts::List(list) => list.clone(),
    };
    let items = plan_work(run_id, &accounts, &deps.config.regions);
    let keys: Vec<String> = items.iter().map(WorkItem::key).collect();
    let new_run = store.begin_run(run_id, now, &keys).await?;
    let bodies: Vec<String> = items.iter().map(WorkItem::body).collect();
    let sent = queue.send(&bodies).await?;
    store.record_sent(run_id, sent).await?;
    let accounts: std::collections::BTreeSet<&AccountId> =
        items.iter().map(|i| &i.account).collect();
    Ok(FanOut {
        schema: "lambda-warden.fan-out/1",
        run_id: run_id.to_owned(),
        accounts: accounts.len(),
        regions: deps.config.regions.clone(),
        items: items.len(),
        sent,
        new_run,
    })
}

/// How one message ended for the event source mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// Done with it (swept, handed over, dropped, or dead-lettered): SQS deletes it.
    Ack,
    /// Deliver it again, after the back-off of its receive count.
    Retry,
    /// Deliver it again in this many seconds.
    RetryIn(u32),
}

/// Handles an SQS event of the work queue (the event source mapping reports batch item
/// failures: `FunctionResponseTypes=ReportBatchItemFailures`,
/// <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting>).
/// Returns `{"batchItemFailures": [{"itemIdentifier": MESSAGE_ID}, ...]}` naming the
/// messages to deliver again. `own_function`: this function's ARN (its account is the
/// central one, swept with the function's own credentials).
pub async fn work<F: Fn() -> u64 + Sync>(
    event: &Value,
    request_id: &str,
    own_function: &str,
    deps: &Deps,
    budget: &Deadline<F>,
    now: i64,
) -> Value {
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let invocation = Invocation {
        request_id,
        own_function,
        now,
    };
    // Built once per invocation, for every record of it.
    let queue = queue_of(deps).ok();
    let store = store_of(deps).ok();
    let mut failures = Vec::new();
    for record in records {
        let id = record
            .get("messageId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let delivery = if !from_work_queue(record, deps.settings.queue_url.as_deref()) {
            warn!(message_id = %id, source = ?record.get("eventSourceARN"), "record not from the work queue; ignored");
            Delivery::Ack
        } else if let (Some(queue), Some(store)) = (&queue, store) {
            Box::pin(work_on(record, id, &invocation, queue, store, budget, deps)).await
        } else {
            warn!("work item received, but the work queue or the state table is not configured");
            Delivery::Retry
        };
        let wait = match delivery {
            Delivery::Ack => continue,
            Delivery::Retry => back_off_seconds(receives_of(record)),
            Delivery::RetryIn(seconds) => seconds,
        };
        if let Some(queue) = &queue {
            back_off(record, queue, wait).await;
        }
        failures.push(json!({ "itemIdentifier": id }));
    }
    json!({ "batchItemFailures": failures })
}

/// The back-off before a work item that failed is delivered again: 60 s after its first
/// delivery, doubling with each (at most 15 minutes), instead of the queue's visibility
/// timeout (which must outlast a worker that died, and is 90 minutes in the template).
pub fn back_off_seconds(receives: u32) -> u32 {
    60u32
        .saturating_mul(1 << receives.saturating_sub(1).min(4))
        .min(900)
}

/// How many times SQS has delivered `record` (`attributes.ApproximateReceiveCount`; 1 when
/// absent).
fn receives_of(record: &Value) -> u32 {
    record
        .pointer("/attributes/ApproximateReceiveCount")
        .and_then(Value::as_str)
        .and_then(|c| c.parse().ok())
        .unwrap_or(1)
}

/// Makes `record`'s message visible again in `seconds`.
async fn back_off(record: &Value, queue: &WorkQueue, seconds: u32) {
    let Some(receipt) = record.get("receiptHandle").and_then(Value::as_str) else {
        return;
    };
    if let Err(e) = queue.retry_after(receipt, seconds).await {
        warn!(error = %e, "back-off not set; the item waits for the visibility timeout");
    }
}

/// Whether `record` comes from the queue at `queue_url`: its `eventSourceARN`
/// (`arn:PARTITION:sqs:REGION:ACCOUNT:NAME`) names the account and queue name that end the URL
/// (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`).
fn from_work_queue(record: &Value, queue_url: Option<&str>) -> bool {
    let (Some(arn), Some(url)) = (
        record.get("eventSourceARN").and_then(Value::as_str),
        queue_url,
    ) else {
        return false;
    };
    let mut url = url.trim_end_matches('/').rsplit('/');
    let (Some(name), Some(account)) = (url.next(), url.next()) else {
        return false;
    };
    let mut arn = arn.rsplit(':');
    arn.next() == Some(name) && arn.next() == Some(account)
}

/// The invocation a work item arrived in.
struct Invocation<'a> {
    /// Its request id: the owner of the items it claims.
    request_id: &'a str,
    /// This function's ARN.
    own_function: &'a str,
    /// The evaluation time, seconds since the Unix epoch.
    now: i64,
}

/// What a worker saw of the functions done since its last checkpoint.
#[derive(Default)]
struct Tracked {
    /// The last function name done (functions finish in name order).
    last: Option<String>,
    /// What the functions since the last checkpoint gave.
    pending: ItemCounts,
}

/// The worker's [`Progress`]: it keeps what the checkpoint needs.
#[derive(Default)]
struct Tracker {
    state: Mutex<Tracked>,
    changed: Notify,
    stop: Notify,
    stopped: AtomicBool,
    /// Set when a checkpoint found the item held by another worker.
    lost: AtomicBool,
}

impl Tracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tracked> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The last function done and what came since the last checkpoint, taken.
    fn take(&self) -> (Option<String>, ItemCounts) {
        let mut s = self.lock();
        (s.last.clone(), std::mem::take(&mut s.pending))
    }

    /// Puts back what a failed checkpoint did not record.
    fn put_back(&self, counts: ItemCounts) {
        let mut s = self.lock();
        s.pending = s.pending.plus(counts);
    }
}

impl Progress for Tracker {
    fn finished(&self, function: &FunctionArn, evaluations: &[Evaluation], failures: &[Failure]) {
        let non_compliant = evaluations
            .iter()
            .filter(|e| e.resolution != Resolution::Exempt && !e.open_findings.is_empty())
            .count();
        {
            let mut s = self.lock();
            s.last = Some(function.name.as_str().to_owned());
            s.pending = s.pending.plus(ItemCounts {
                functions: 1,
                targets: evaluations.len() as u64,
                non_compliant: non_compliant as u64,
                failures: failures.len() as u64,
            });
        }
        self.changed.notify_one();
    }
}

/// The worker's budget: the invocation's, and none at all once the item was lost.
struct WorkBudget<'a, F: Fn() -> u64 + Sync> {
    deadline: &'a Deadline<F>,
    tracker: &'a Tracker,
}

impl<F: Fn() -> u64 + Sync> Budget for WorkBudget<'_, F> {
    fn exhausted(&self) -> bool {
        self.tracker.lost.load(Ordering::Relaxed) || self.deadline.exhausted()
    }
}

/// A message being worked on: what rejecting or giving it up needs.
struct Message<'a> {
    queue: &'a WorkQueue,
    body: &'a str,
    id: &'a str,
    receives: u32,
}

impl Message<'_> {
    /// Sends the message to the dead-letter queue with `reason`.
    async fn reject(&self, reason: &str) -> Delivery {
        warn!(message_id = self.id, reason = %reason, "work item rejected to the dead-letter queue");
        match self.queue.dead_letter(self.body, reason).await {
            Ok(()) => Delivery::Ack,
            Err(e) => {
                warn!(error = %e, "dead-letter queue unreachable");
                Delivery::Retry
            }
        }
    }
}

/// A claimed item.
struct Claimed<'a> {
    message: Message<'a>,
    /// The request id of the invocation that holds the item.
    owner: &'a str,
    store: &'a StateStore,
    item: WorkItem,
    key: String,
    claim: warden_rules::work::Claim,
}

impl Claimed<'_> {
    /// [`StateStore::checkpoint_item`] of this item, as its holder.
    async fn checkpoint(
        &self,
        after: Option<&str>,
        done: &ItemCounts,
        release: bool,
        handed_over: bool,
    ) -> Result<bool, warden_aws::AwsError> {
        self.store
            .checkpoint_item(
                &self.item.run_id,
                &self.key,
                self.owner,
                after,
                done,
                release,
                handed_over,
            )
            .await
    }

    /// Dead-letters the message with `reason` and records the item failed.
    async fn give_up(&self, reason: &str) -> Delivery {
        if self.message.reject(reason).await == Delivery::Retry {
            return Delivery::Retry;
        }
        match self
            .store
            .end_item(
                &self.item.run_id,
                &self.key,
                self.owner,
                &ItemCounts::default(),
                Some(reason),
            )
            .await
        {
            Ok(_) => Delivery::Ack,
            Err(e) => {
                warn!(error = %e, "failed work item not recorded; delivered again");
                Delivery::Retry
            }
        }
    }

    /// Lets SQS deliver the message again (lease released), unless the failure is permanent
    /// or the message was delivered `WARDEN_SWEEP_MAX_ATTEMPTS` times: then gives it up.
    async fn retry_or_give_up(&self, retryable: bool, reason: &str, max_attempts: u32) -> Delivery {
        let receives = self.message.receives;
        if !retryable || receives >= max_attempts {
            return self
                .give_up(&format!("{reason} (after {receives} deliveries)"))
                .await;
        }
        if let Err(e) = self
            .checkpoint(
                self.claim.after.as_deref(),
                &ItemCounts::default(),
                true,
                false,
            )
            .await
        {
            warn!(error = %e, "lease not released; the next delivery waits for it");
        }
        warn!(item = %self.key, reason = %reason, receives, "work item delivered again");
        Delivery::Retry
    }
}

/// One work item: see the module documentation.
async fn work_on<F: Fn() -> u64 + Sync>(
    record: &Value,
    message_id: &str,
    invocation: &Invocation<'_>,
    queue: &WorkQueue,
    store: &StateStore,
    budget: &Deadline<F>,
    deps: &Deps,
) -> Delivery {
    let message = Message {
        queue,
        body: record
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        id: message_id,
        receives: receives_of(record),
    };
    let item = match WorkItem::parse(message.body) {
        Ok(item) => item,
        Err(e) => return message.reject(&e.to_string()).await,
    };
    let key = item.key();
    let claim = match store
        .claim_item(
            &item.run_id,
            &key,
            invocation.request_id,
            (budget.now_ms)(),
            budget.deadline_ms,
        )
        .await
    {
        Ok(Ok(claim)) => claim,
        Ok(Err(ClaimRefused::Ended)) => {
            info!(item = %key, "work item ended already; dropped");
            return Delivery::Ack;
        }
        Ok(Err(ClaimRefused::Held { until_ms })) => {
            let wait = until_ms.saturating_sub((budget.now_ms)()) / 1000 + 5;
            info!(item = %key, wait, "work item held by another invocation; delivered again after its lease");
            return Delivery::RetryIn(u32::try_from(wait).unwrap_or(u32::MAX));
        }
        Ok(Err(ClaimRefused::NotPlanned)) => {
            let reason = format!("{key} was not planned by run {}", item.run_id);
            return message.reject(&reason).await;
        }
        Ok(Err(ClaimRefused::UnknownRun)) => {
            let reason = format!(
                "run {} is not recorded (a work item lambda-warden did not send, or an expired run)",
                item.run_id
            );
            return message.reject(&reason).await;
        }
        Err(e) => {
            warn!(error = %e, "work item could not be claimed; delivered again");
            return Delivery::Retry;
        }
    };
    let claimed = Claimed {
        message,
        owner: invocation.request_id,
        store,
        item,
        key,
        claim,
    };
    sweep_claimed(&claimed, invocation, deps, budget).await
}

/// Sweeps a claimed item from its checkpoint and ends, hands over or retries it.
async fn sweep_claimed<F: Fn() -> u64 + Sync>(
    c: &Claimed<'_>,
    invocation: &Invocation<'_>,
    deps: &Deps,
    budget: &Deadline<F>,
) -> Delivery {
    let (own_function, now) = (invocation.own_function, invocation.now);
    let max_attempts = deps.settings.max_attempts;
    // A worker that answers retries at most `max_attempts` deliveries; more mean the workers
    // before never answered (out of time, or crashed): give it up rather than die again.
    if c.message.receives > max_attempts {
        let reason = format!(
            "delivered {} times and never finished (its workers ran out of time or crashed; last checkpoint {:?})",
            c.message.receives, c.claim.after
        );
        return c.give_up(&reason).await;
    }
    if c.claim.continuations > deps.settings.max_continuations {
        let reason = format!(
            "handed over {} times: WARDEN_SWEEP_MAX_CONTINUATIONS ({}) reached",
            c.claim.continuations, deps.settings.max_continuations
        );
        return c.give_up(&reason).await;
    }
    let access = match access_to(&c.item.account, own_function, deps).await {
        Ok(aws) => aws,
        Err((retryable, reason)) => {
            return c.retry_or_give_up(retryable, &reason, max_attempts).await
        }
    };
    let regional = [access.in_region(&c.item.region)];
    let cursor = Cursor {
        region: c.item.region.clone(),
        after: c.claim.after.clone(),
    };
    let options = SweepOptions {
        config: &deps.config,
        apply: Apply::Remediate,
        concurrency: deps.settings.concurrency,
        cause: Cause::new(&c.item.run_id, "Sweep"),
        now,
    };
    let tracker = Tracker::default();
    let work_budget = WorkBudget {
        deadline: budget,
        tracker: &tracker,
    };
    let swept = async {
        // Boxed: the sweep's future is deep (see `handle`).
        let report = Box::pin(sweep::sweep(
            &regional,
            &options,
            Some(&cursor),
            &work_budget,
            &tracker,
        ))
        .await;
        tracker.stopped.store(true, Ordering::SeqCst);
        tracker.stop.notify_one();
        report
    };
    let checkpoints = checkpoints(c, &tracker, deps.settings.checkpoint_seconds);
    let (report, ()) = tokio::join!(swept, checkpoints);

    if tracker.lost.load(Ordering::SeqCst) {
        info!(item = %c.key, "work item taken over by another worker; this one stops");
        return Delivery::Ack;
    }
    if let Some(f) = report.failures.iter().find(|f| f.function_arn.is_none()) {
        // The Region itself could not be listed: nothing of it was swept.
        let reason = format!("{} refused in {}: {}", f.operation, f.region, f.code);
        return c
            .retry_or_give_up(f.kind.is_retryable(), &reason, max_attempts)
            .await;
    }
    let (after, pending) = tracker.take();
    let Some(stopped) = report.stopped_at else {
        return match c
            .store
            .end_item(&c.item.run_id, &c.key, c.owner, &pending, None)
            .await
        {
            Ok(true) => {
                info!(item = %c.key, "work item done");
                Delivery::Ack
            }
            Ok(false) => {
                info!(item = %c.key, "work item taken over by another worker; this one stops");
                Delivery::Ack
            }
            Err(e) => {
                warn!(error = %e, "work item end not recorded; delivered again");
                Delivery::Retry
            }
        };
    };
    let after = stopped.after.or(after).or(c.claim.after.clone());
    if c.claim.continuations >= deps.settings.max_continuations {
        // Record how far it got, then give the rest up: no further hand-over is allowed.
        if let Err(e) = c.checkpoint(after.as_deref(), &pending, false, false).await {
            warn!(error = %e, "checkpoint not written before giving the item up");
        }
        let reason = format!(
            "handed over {} times: WARDEN_SWEEP_MAX_CONTINUATIONS ({}) reached after {:?}",
            c.claim.continuations, deps.settings.max_continuations, after
        );
        return c.give_up(&reason).await;
    }
    match c.checkpoint(after.as_deref(), &pending, true, true).await {
        Ok(true) => {}
        Ok(false) => return Delivery::Ack,
        Err(e) => {
            warn!(error = %e, "checkpoint not written; the item is delivered again");
            return Delivery::Retry;
        }
    }
    match c.message.queue.send(&[c.item.body()]).await {
        Ok(1) => {
            info!(item = %c.key, after = ?after, "time ran short; work item handed over");
            Delivery::Ack
        }
        Ok(_) | Err(_) => {
            warn!(item = %c.key, "work item not handed over; delivered again instead");
            Delivery::Retry
        }
    }
}

/// Writes the checkpoint while the sweep runs, at most every `interval_seconds`, until the
/// sweep stops.
async fn checkpoints(c: &Claimed<'_>, tracker: &Tracker, interval_seconds: u64) {
    let interval = Duration::from_secs(interval_seconds);
    loop {
        tokio::select! {
            () = tracker.changed.notified() => {}
            () = tracker.stop.notified() => return,
        }
        if tracker.stopped.load(Ordering::SeqCst) {
            return;
        }
        if !interval.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = tracker.stop.notified() => return,
            }
        }
        let (after, pending) = tracker.take();
        if pending.functions == 0 {
            continue;
        }
        match c.checkpoint(after.as_deref(), &pending, false, false).await {
            Ok(true) => {}
            Ok(false) => {
                tracker.lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(e) => {
                warn!(error = %e, "checkpoint not written; kept for the next one");
                tracker.put_back(pending);
            }
        }
    }
}

/// The adapter for `account`: this function's own for its own account, the member role's
/// otherwise. `Err((retryable, reason))` when the role cannot be assumed.
async fn access_to(
    account: &AccountId,
    own_function: &str,
    deps: &Deps,
) -> Result<Aws, (bool, String)> {
    let own = FunctionArn::parse(own_function).ok();
    if own.as_ref().map(|f| &f.account) == Some(account) {
        return Ok(deps.aws.clone());
    }
    let Some(role_name) = deps.config.member_role_name.as_deref() else {
        return Err((false, "WARDEN_MEMBER_ROLE_NAME is not set".to_owned()));
    };
    let partition = own.as_ref().map_or("aws", |f| f.partition.as_str());
    deps.aws
        .member_access(
            partition,
            account,
            role_name,
            deps.config.member_external_id.as_deref(),
        )
        .await
        .map_err(|e| {
            warn!(role = %e.role_arn, error = %e, "member role not assumed");
            (
                e.kind.is_retryable(),
                format!("AssumeRole {} refused: {}", e.role_arn, e.code),
            )
        })
}

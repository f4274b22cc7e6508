//! Evaluating and remediating one function, the whole imperative loop the functions and the
//! CLI share: fetch the snapshot → the state table (reconcile an interrupted plan, record an
//! approver's exemption change, honour a recorded exemption) → evaluate → plan → write-ahead
//! audit record → execute (re-read and re-plan after `PreconditionFailedException`, bounded;
//! a replacement whose `AddPermission` fails after its `RemovePermission` has the original
//! statement put back at once; no write starts past the deadline) → audit record finished →
//! alert (de-duplicated by the recorded state) → state written, conditional on the read time
//! (a later read wins; the loser evaluates again) → status tags, a display of that state.
//! Every decision in it is a pure function of `warden-rules`; this module only sequences the
//! AWS calls.

mod exemption;
mod outcome;
mod reconcile;
mod trail;

pub use exemption::recorded_exemption;
pub use outcome::{Cause, RemediateError, Remediated, Resolution};

use tracing::{info, warn};
use warden_rules::config::Config;
use warden_rules::findings::Finding;
use warden_rules::ids::{FunctionArn, LayerVersionArn};
use warden_rules::outcome::{ActionResult, ActionStatus, FailureKind, Outcome};
use warden_rules::plan::{self, FixDecision, Plan, Withheld};
use warden_rules::report::{self, AuditRecord};
use warden_rules::restore;
use warden_rules::rules::{self, RuleConfig};
use warden_rules::snapshot::{FunctionSnapshot, Readable};
use warden_rules::state::{self, AuditStatus, ResourceState, StoredAudit};
use warden_rules::tags::ComplianceStatus;

use crate::deadline::{Clock, Deadline};
use crate::runtime::log_value;
use crate::store::{StateWrite, Stored};
use crate::{Aws, AwsError, Fetched};
use trail::{log_decision, publish};

/// How many times an evaluation whose state write lost to a later read evaluates again.
const MAX_STALE_RETRIES: u32 = 3;

/// Evaluates `arn` at `now` (seconds since the Unix epoch, read by the caller) and carries
/// out the plan `config` allows.
///
/// `GetFunction` refused (`AccessDeniedException`) yields an all-unverified snapshot: the
/// function is reported `unverified` and alerted, never taken as compliant.
///
/// # Errors
/// [`RemediateError`] for throttling, transient failures, a policy that changed under every
/// re-plan (`WARDEN_MAX_REPLANS`), or a retryable failure of a fix or of the alert. Permanent
/// refusals of writes (e.g. `AccessDeniedException` on `RemovePermission`) are not errors:
/// they are in the audit record and the alert.
pub async fn remediate(
    aws: &Aws,
    config: &Config,
    arn: &FunctionArn,
    cause: Cause<'_>,
    now: i64,
) -> Result<Remediated, RemediateError> {
    remediate_from(aws, config, arn, None, cause, now).await
}

/// As [`remediate`], starting from `first` when the caller has just read the function's state
/// (a sweep reads every function before it decides what to evaluate): the first evaluation
/// uses it instead of reading again; a re-plan after `PreconditionFailedException` reads again.
/// `first` is the snapshot and a time no later than its read (milliseconds since the Unix
/// epoch), so it can only lose to a later read. `now` is the evaluation time (seconds since
/// the Unix epoch); writer deadlines are judged by `now` moved on by the time elapsed since
/// the call ([`Clock`]).
///
/// With a state table ([`Aws::with_state_table`]):
/// - its state decides whether an alert is due (never a tag), and the evaluation's state is
///   written conditionally on the read time: an evaluation that read earlier than the stored
///   state evaluates again ([`StateWrite::Stale`]);
/// - an exemption counts only as recorded there ([`ExemptionChange`] from `cause` records or
///   revokes one first); an honoured exemption is alerted once;
/// - before the first write of a plan the audit record (every statement to remove, verbatim)
///   is stored `in_progress`, and after the writes `done` or `failed`; an `in_progress`
///   record left by an interrupted invocation is reconciled first ([`state::reconcile`]).
///   When this call fails (or ends) after storing its record and before finishing it, the
///   record is released: left `in_progress` with a writer deadline of now, so the next
///   evaluation reconciles it at once.
///
/// Without one, every evaluation with alertable findings alerts and no exemption is honoured;
/// the audit record goes to the log only.
///
/// # Errors
/// As [`remediate`]; also [`RemediateError::Deadline`] and [`RemediateError::Superseded`]
/// (both retryable), and a state table that cannot be read or written for a retryable reason.
/// A plan is never executed when its write-ahead record could not be stored.
pub async fn remediate_from(
    aws: &Aws,
    config: &Config,
    arn: &FunctionArn,
    first: Option<(FunctionSnapshot, i64)>,
    cause: Cause<'_>,
    now: i64,
) -> Result<Remediated, RemediateError> {
    let clock = Clock::at(now);
    let mut open: Option<StoredAudit> = None;
    let result = evaluate_and_fix(aws, config, arn, first, cause, &clock, &mut open).await;
    if let Some(audit) = open {
        // This invocation stored the record `in_progress` and stops without finishing it:
        // nothing of its plan runs any more, so the next evaluation may reconcile it now
        // rather than wait for this invocation's deadline.
        let why = match &result {
            Ok(_) => "the evaluation ended before finishing its plan".to_owned(),
            Err(e) => format!("the invocation failed before finishing its plan: {e}"),
        };
        reconcile::release(aws, audit, &why, &clock).await;
    }
    result
}

/// The loop of [`remediate_from`]. `open` holds the write-ahead record this invocation stored
/// `in_progress` and has not finished yet.
async fn evaluate_and_fix(
    aws: &Aws,
    config: &Config,
    arn: &FunctionArn,
    mut first: Option<(FunctionSnapshot, i64)>,
    cause: Cause<'_>,
    clock: &Clock,
    open: &mut Option<StoredAudit>,
) -> Result<Remediated, RemediateError> {
    let now = clock.started_secs();
    let rule_config = RuleConfig::from(config);
    let resource = arn.to_string();
    // No write starts after this: the invocation's deadline less WARDEN_WRITE_MARGIN_MS.
    let write_deadline = Deadline::current().write_cutoff();
    let mut history: Vec<ActionResult> = Vec::new();
    let mut replans = 0;
    let mut stale = 0;
    // Whether an attempt abandoned for a re-plan changed anything: the alert must say so
    // even when the last plan has nothing left to do.
    let mut earlier_writes = false;
    let mut audit: Option<StoredAudit> = None;
    let mut exemption_applied = false;
    loop {
        let (fetched, read_at_ms) = match first.take() {
            Some((s, read_at_ms)) => (Ok(Fetched::Found(s)), read_at_ms),
            None => {
                let read_at_ms = now_unix_millis();
                let reads = warden_rules::reads::Reads::for_rules(&rule_config);
                (aws.fetch_snapshot_of(arn, reads).await, read_at_ms)
            }
        };
        let snapshot = match fetched {
            Ok(Fetched::Found(s)) => s,
            Ok(Fetched::Gone) => {
                info!(outcome = "gone", function_arn = %arn, "function not found (deleted since the event, or never created)");
                return Ok(Remediated::GONE);
            }
            Err(e) if e.kind == FailureKind::AccessDenied => unreadable(arn, &e),
            Err(e) => return Err(e.into()),
        };
        let mut stored = load(aws, &resource).await?;
        if let Some(id) = stored.pending_audit.take() {
            // After a re-plan the pointer names this invocation's own write-ahead record:
            // that plan was not interrupted, it is carried on by this loop (its results are
            // in `history`). Reconciling it would alert a second time and count a human's
            // edit between read and write as lambda-warden's own write.
            let own = audit.as_ref().is_some_and(|a| a.id == id);
            if !own && reconcile::pending(aws, config, cause, &snapshot, &id, clock).await? {
                // Something was completed: read the function again before judging it.
                continue;
            }
        }
        if !exemption_applied {
            exemption_applied = true;
            stored.exemption =
                exemption::apply_change(aws, arn, cause, &snapshot, stored.exemption).await?;
        }
        if let Some(e) = stored.exemption.as_ref().filter(|e| e.in_force(now)) {
            return exemption::exempt(aws, config, arn, &snapshot, e).await;
        }
        let findings = rules::evaluate(&snapshot, &rule_config, now);
        let plan = plan::plan(findings, &snapshot, config);
        if !plan.actions.is_empty() {
            let record = begin(
                aws, cause, config, &plan, &history, &resource, read_at_ms, clock, &mut audit,
            )
            .await?;
            open.clone_from(&audit);
            log_decision(
                "write-ahead",
                &record,
                audit.as_ref().map(|a| a.id.as_str()),
            )?;
        }
        let (outcome, stopped) = aws.execute_before(&plan.actions, write_deadline).await;
        history.extend(outcome.results.iter().cloned());
        // A replacement whose AddPermission failed after its RemovePermission: put the
        // original back at once, so no caller is left without access while the event waits
        // for its retry.
        let rollback = restore::rollback_actions(&outcome);
        if !rollback.is_empty() {
            warn!(
                function_arn = %arn,
                statements = rollback.len(),
                "replacement failed; re-adding the original statement"
            );
            history.extend(aws.execute(&rollback).await.results);
        }
        let conflict = matches!(
            outcome.first_failure(),
            Some((
                _,
                ActionStatus::Failed {
                    kind: FailureKind::Conflict,
                    ..
                }
            ))
        );
        if conflict && replans < config.max_replans && !stopped {
            replans += 1;
            earlier_writes |= history.iter().any(|r| r.status == ActionStatus::Done);
            info!(replans, function_arn = %arn, "policy changed since it was read; re-planning");
            continue;
        }
        if conflict {
            warn!(
                replans,
                function_arn = %arn,
                "policy changed under every attempt; the event will be retried"
            );
        }
        let attempts = Attempts {
            history: std::mem::take(&mut history),
            replans,
            exhausted: conflict,
            earlier_writes,
            stopped,
            read_at_ms,
            recorded: stored.state,
            audit: audit.take(),
        };
        match finish(
            aws, config, cause, &snapshot, &plan, &outcome, attempts, clock, open,
        )
        .await?
        {
            Finished::Done(done) => return Ok(done),
            Finished::Stale {
                history: h,
                audit: a,
            } if stale < MAX_STALE_RETRIES => {
                stale += 1;
                history = h;
                audit = a;
                earlier_writes |= history.iter().any(|r| r.status == ActionStatus::Done);
                info!(stale, function_arn = %arn, "a later evaluation stored its state first; evaluating again");
            }
            Finished::Stale { .. } => {
                return Err(RemediateError::Superseded {
                    function_arn: resource,
                })
            }
        }
    }
}

/// The current time in milliseconds since the Unix epoch: when an evaluation begins reading.
fn now_unix_millis() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since_epoch.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What the state table holds about `resource` (nothing without a table).
async fn load(aws: &Aws, resource: &str) -> Result<Stored, RemediateError> {
    match aws.store() {
        None => Ok(Stored::default()),
        Some(store) => Ok(store.load(resource).await?),
    }
}

/// Stores (or updates, after a re-plan) the write-ahead record of `plan` before its first
/// write: every earlier result in `history`, then each planned action `not_attempted`.
#[allow(clippy::too_many_arguments)]
async fn begin(
    aws: &Aws,
    cause: Cause<'_>,
    config: &Config,
    plan: &Plan,
    history: &[ActionResult],
    resource: &str,
    read_at_ms: i64,
    clock: &Clock,
    audit: &mut Option<StoredAudit>,
) -> Result<AuditRecord, RemediateError> {
    let now = clock.now_secs();
    let mut planned = history.to_vec();
    planned.extend(plan.actions.iter().map(|a| ActionResult {
        action: a.clone(),
        status: ActionStatus::NotAttempted,
    }));
    let record = report::audit_record(
        cause.event_id,
        cause.event_name,
        config.mode,
        plan,
        &planned,
        ComplianceStatus::of(plan.findings.iter()),
    );
    let Some(store) = aws.store() else {
        return Ok(record);
    };
    let entry = match audit.take() {
        Some(a) => StoredAudit {
            record: record.clone(),
            status: AuditStatus::InProgress,
            updated_at: now,
            ..a
        },
        None => StoredAudit {
            id: state::audit_id(read_at_ms, cause.event_id, resource),
            status: AuditStatus::InProgress,
            created_at: now,
            updated_at: now,
            stopped: None,
            // Until when this invocation may write: its Lambda deadline, else the bound.
            writer_deadline_ms: Some(state::writer_deadline(
                Deadline::current()
                    .deadline_epoch_ms()
                    .and_then(|d| i64::try_from(d).ok()),
                clock.now_ms(),
            )),
            record: record.clone(),
        },
    };
    store.begin_audit(resource, read_at_ms, &entry).await?;
    *audit = Some(entry);
    Ok(record)
}

/// Evaluates layer version `layer` (a layer event): reads its policy, runs the layer rules
/// (LW018, and LW006 when the policy cannot be read), logs the audit record and alerts. A
/// layer version that no longer exists is [`Resolution::Gone`], with no record.
/// Layers cannot be tagged and their rules have no executable fix, so nothing is written to
/// the layer. With a state table, the layer version's state is kept there like a function's
/// and alerts are de-duplicated by it; without one, each event with findings at or above
/// `WARDEN_ALERT_MIN_SEVERITY` alerts.
///
/// # Errors
/// [`RemediateError`] for throttling, transient failures, or a retryable failure of the
/// state table or the alert.
pub async fn remediate_layer(
    aws: &Aws,
    config: &Config,
    layer: &LayerVersionArn,
    cause: Cause<'_>,
) -> Result<Remediated, RemediateError> {
    let rule_config = RuleConfig::from(config);
    let resource = layer.to_string();
    for _ in 0..=MAX_STALE_RETRIES {
        let read_at_ms = now_unix_millis();
        let Some(snapshot) = aws.fetch_layer(layer).await? else {
            info!(outcome = "gone", layer_version_arn = %layer, "layer version not found (deleted since the event, or never published)");
            return Ok(Remediated::GONE);
        };
        let stored = load(aws, &resource).await?;
        let findings = rules::evaluate_layer(&snapshot, &rule_config);
        let status = ComplianceStatus::of(findings.iter());
        let record = AuditRecord {
            schema: "lambda-warden.audit/1".to_owned(),
            event_id: cause.event_id.to_owned(),
            event_name: cause.event_name.to_owned(),
            function_arn: resource.clone(),
            mode: config.mode,
            status,
            fixes: findings
                .iter()
                .map(|_| FixDecision::Withhold {
                    reason: Withheld::ManualOnly,
                })
                .collect(),
            findings,
            actions: Vec::new(),
            removed_statements: Vec::new(),
            url_auth_changes: Vec::new(),
            missing_permissions: Vec::new(),
            replans: 0,
            replans_exhausted: false,
            reconciliation: None,
        };
        let resolution = match status {
            ComplianceStatus::Unverified => Resolution::Unverified,
            ComplianceStatus::NonCompliant => Resolution::NonCompliant,
            ComplianceStatus::Compliant => Resolution::Compliant,
        };
        log_decision(&log_value(&resolution), &record, None)?;
        let open: Vec<&Finding> = record.findings.iter().collect();
        if state::alert_due(
            stored.state.as_ref(),
            &open,
            false,
            config.alert_min_severity,
        ) {
            publish(aws, config, &record).await?;
        }
        let written = match aws.store() {
            None => StateWrite::Written,
            Some(store) => {
                let new_state = ResourceState::of(&resource, read_at_ms, &open, cause.event_id);
                store.put_state(&new_state).await?
            }
        };
        if written == StateWrite::Written {
            return Ok(Remediated {
                resolution,
                exempt_reason: None,
                open_findings: record.findings.clone(),
                record: Some(record),
                audit_id: None,
            });
        }
        info!(layer_version_arn = %layer, "a later evaluation stored its state first; evaluating again");
    }
    Err(RemediateError::Superseded {
        function_arn: resource,
    })
}

/// The snapshot of a function whose `GetFunction` was refused: everything unverified (LW006),
/// each part naming the refused operation and error code.
pub fn unreadable(arn: &FunctionArn, e: &AwsError) -> FunctionSnapshot {
    FunctionSnapshot {
        policy: unreadable_part(e),
        url: unreadable_part(e),
        configuration: unreadable_part(e),
        event_invoke_config: unreadable_part(e),
        code_signing_config_arn: unreadable_part(e),
        execution_role: unreadable_part(e),
        ..FunctionSnapshot::empty(arn.clone())
    }
}

fn unreadable_part<T>(e: &AwsError) -> Readable<T> {
    Readable::Unreadable {
        operation: e.operation.to_owned(),
        error_code: e.code.clone(),
    }
}

/// Every action result of one event across re-plans, how the re-planning ended, and what the
/// state table held when the last attempt read it.
struct Attempts {
    history: Vec<ActionResult>,
    replans: u32,
    exhausted: bool,
    earlier_writes: bool,
    /// The deadline stopped the plan before all its writes.
    stopped: bool,
    read_at_ms: i64,
    recorded: Option<ResourceState>,
    audit: Option<StoredAudit>,
}

/// How [`finish`] ended.
enum Finished {
    /// The evaluation is complete.
    Done(Remediated),
    /// Its state lost to a later read: evaluate again, keeping what was done so far.
    Stale {
        history: Vec<ActionResult>,
        audit: Option<StoredAudit>,
    },
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    aws: &Aws,
    config: &Config,
    cause: Cause<'_>,
    snapshot: &FunctionSnapshot,
    plan: &Plan,
    outcome: &Outcome,
    attempts: Attempts,
    clock: &Clock,
    unfinished: &mut Option<StoredAudit>,
) -> Result<Finished, RemediateError> {
    let now = clock.now_secs();
    let history = attempts.history;
    let open: Vec<&Finding> = plan.open_findings(outcome);
    let status = ComplianceStatus::of(open.iter().copied());
    let any_done = history.iter().any(|r| r.status == ActionStatus::Done);
    let mut record: AuditRecord = report::audit_record(
        cause.event_id,
        cause.event_name,
        config.mode,
        plan,
        &history,
        status,
    );
    record.replans = attempts.replans;
    record.replans_exhausted = attempts.exhausted;
    for permission in &record.missing_permissions {
        warn!(
            function_arn = %plan.function_arn,
            missing_permission = %permission,
            "lambda-warden's role was refused an action"
        );
    }
    let resolution = match status {
        ComplianceStatus::Unverified => Resolution::Unverified,
        ComplianceStatus::NonCompliant => Resolution::NonCompliant,
        ComplianceStatus::Compliant if any_done => Resolution::Remediated,
        ComplianceStatus::Compliant => Resolution::Compliant,
    };
    let stopped = attempts.stopped.then(|| {
        format!(
            "{} of {} actions not started: less than WARDEN_WRITE_MARGIN_MS ({} ms) was left before the invocation's deadline",
            outcome
                .results
                .iter()
                .filter(|r| r.status == ActionStatus::NotAttempted)
                .count(),
            outcome.results.len(),
            config.write_margin_ms
        )
    });
    let mut audit = attempts.audit;
    if let (Some(store), Some(a)) = (aws.store(), audit.as_mut()) {
        a.record = record.clone();
        // The last plan's results decide: an attempt refused with
        // PreconditionFailedException and then re-planned is in the record's actions, but
        // the re-plan carried the work on. A remediation that succeeded after a re-plan is
        // `done`; a policy that moved under every attempt, a deadline stop or a failed
        // action (its rollback included) leaves a failure or a `not_attempted` in the last
        // plan's results, so `failed`.
        a.status = AuditStatus::of(&outcome.results);
        a.updated_at = now;
        a.stopped.clone_from(&stopped);
        store.save_audit(&plan.function_arn.to_string(), a).await?;
        *unfinished = None;
    }
    let audit_id = audit.as_ref().map(|a| a.id.clone());
    log_decision(&log_value(&resolution), &record, audit_id.as_deref())?;
    let attempted = attempts.earlier_writes
        || outcome
            .results
            .iter()
            .any(|r| r.status != ActionStatus::NotAttempted);
    if state::alert_due(
        attempts.recorded.as_ref(),
        &open,
        attempted,
        config.alert_min_severity,
    ) {
        publish(aws, config, &record).await?;
    }
    if let Some(reason) = stopped {
        return Err(RemediateError::Deadline {
            function_arn: plan.function_arn.to_string(),
            reason,
        });
    }
    if let Some((action, ActionStatus::Failed { kind, code, .. })) = outcome.first_failure() {
        if kind.is_retryable() {
            // Nothing further is written: the next delivery re-reads and completes the plan.
            return Err(RemediateError::Action {
                operation: action.operation().to_owned(),
                function_arn: plan.function_arn.to_string(),
                kind: *kind,
                code: code.clone(),
            });
        }
    }
    if let Some(store) = aws.store() {
        let resource = plan.function_arn.to_string();
        let new_state = ResourceState::of(&resource, attempts.read_at_ms, &open, cause.event_id);
        if store.put_state(&new_state).await? == StateWrite::Stale {
            return Ok(Finished::Stale { history, audit });
        }
    }
    if let Some(tag) = plan.tag_update(snapshot, outcome, config) {
        let tagged = aws.execute(std::slice::from_ref(&tag)).await;
        if let Some((_, ActionStatus::Failed { kind, code, .. })) = tagged.first_failure() {
            warn!(kind = %log_value(kind), code = %code, "status tags not written");
        }
    }
    let open_findings = open.into_iter().cloned().collect();
    Ok(Finished::Done(Remediated {
        resolution,
        exempt_reason: None,
        record: Some(record),
        open_findings,
        audit_id,
    }))
}

//! Write-ahead records left `in_progress`: reconciling one an earlier invocation could not
//! finish, and releasing this invocation's own when it stops without finishing it.

use tracing::warn;
use warden_rules::config::Config;
use warden_rules::outcome::{ActionResult, ActionStatus};
use warden_rules::report::{self, AuditRecord};
use warden_rules::restore;
use warden_rules::snapshot::FunctionSnapshot;
use warden_rules::state::{self, AuditStatus, StoredAudit};

use super::outcome::{Cause, RemediateError};
use super::trail::{log_decision, publish};
use crate::deadline::{Clock, Deadline};
use crate::Aws;

/// Reconciles the audit record `id` when it is still `in_progress` (an earlier invocation
/// stopped between its write-ahead record and its end): reads what happened from `snapshot`,
/// completes each half-done replacement, stores the record `reconciled` and alerts. `true`
/// when anything was written to the function (the caller reads it again).
///
/// A record that fails its checks is not completed: it is stored `reconciled` with what the
/// live function shows of each action and the reason in `stopped`, and alerted.
///
/// # Errors
/// [`RemediateError::PlanInProgress`] while the record's writer may still run (judged by
/// `clock`, the current time); [`RemediateError::Aws`] when the table cannot be read or
/// written, or the alert failed for a retryable reason.
pub(crate) async fn pending(
    aws: &Aws,
    config: &Config,
    cause: Cause<'_>,
    snapshot: &FunctionSnapshot,
    id: &str,
    clock: &Clock,
) -> Result<bool, RemediateError> {
    let Some(store) = aws.store() else {
        return Ok(false);
    };
    let Some(mut audit) = store.audit(id).await? else {
        warn!(audit_id = %id, "pending audit record not found");
        return Ok(false);
    };
    if audit.status != AuditStatus::InProgress {
        return Ok(false);
    }
    if state::writer_may_run(&audit, clock.now_ms()) {
        warn!(
            audit_id = %id,
            function_arn = %audit.record.function_arn,
            "the plan of an in_progress audit record may still be running; not reconciling it yet"
        );
        return Err(RemediateError::PlanInProgress {
            function_arn: audit.record.function_arn.clone(),
            audit_id: id.to_owned(),
            writer_deadline_ms: state::writer_deadline_ms(&audit),
        });
    }
    let reconciliation = state::reconcile(&audit.record, snapshot);
    let (wrote, stopped) = match checks(&audit, snapshot, &reconciliation) {
        Err(e) => {
            warn!(
                audit_id = %id,
                error = %e,
                "an in_progress audit record fails its checks; nothing of it is completed"
            );
            // What the live function shows of each action is still the truth to record.
            audit.record.actions = reconciliation.results;
            (
                false,
                format!(
                    "not completed by event {}: the record fails its checks ({e})",
                    cause.event_id
                ),
            )
        }
        Ok(()) => {
            let results = complete(aws, &audit.record, reconciliation, id).await;
            let wrote = results.iter().any(|r| r.status == ActionStatus::Done);
            audit.record.actions = results;
            (
                wrote,
                format!(
                    "reconciled by event {} after the invocation that stored it stopped",
                    cause.event_id
                ),
            )
        }
    };
    audit.record = report::refresh(&audit.record);
    audit.status = AuditStatus::Reconciled;
    audit.updated_at = clock.now_secs();
    audit.record.reconciliation = Some(stopped.clone());
    audit.stopped = Some(stopped);
    store.save_audit(&audit.record.function_arn, &audit).await?;
    log_decision("reconciled", &audit.record, Some(id))?;
    publish(aws, config, &audit.record).await?;
    Ok(wrote)
}

/// Whether the record may be completed on `snapshot`'s function: it must be a record of that
/// very function, alias or version (the pointer that led here is the resource's, the record
/// is data), and the record as completion would leave it must pass the checks a restore makes
/// ([`restore::restore_actions`]: a statement naming another function, a replacement that is
/// more than its original with a pin, an `AddPermission` that replaces nothing it lists).
///
/// A replacement is completed only on the function the plan read: when the live function's
/// `LastModified` ("the date and time that the function was last updated", so created again
/// under the same name, or its code or configuration changed;
/// <https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html>) is later
/// than the record, the grant is not added to what may be another owner's function. The
/// removal stands (the safe side) and the alert says how to restore it.
fn checks(
    audit: &StoredAudit,
    snapshot: &FunctionSnapshot,
    reconciliation: &state::Reconciliation,
) -> Result<(), String> {
    let record = &audit.record;
    let evaluated = snapshot.arn.to_string();
    if record.function_arn != evaluated {
        return Err(format!(
            "the record is of {}, not of {evaluated}",
            record.function_arn
        ));
    }
    let completed = state::with_completions(record, &reconciliation.complete)
        .map_err(|sid| format!("AddPermission of Sid {sid:?} replaces no statement it lists"))?;
    restore::restore_actions(&completed).map_err(|e| e.to_string())?;
    let changed = snapshot
        .configuration
        .value()
        .and_then(|c| c.last_modified)
        .filter(|t| *t > audit.created_at);
    if let (Some(changed), false) = (changed, reconciliation.complete.is_empty()) {
        return Err(format!(
            "the function was created or updated at {changed} (LastModified, seconds since the Unix epoch), after the record was stored at {}: a replacement is completed only on the function the plan read",
            audit.created_at
        ));
    }
    Ok(())
}

/// What became of each action of the interrupted `record` (its id `id`): `reconciliation`'s
/// results, after running the `AddPermission` of each half-done replacement.
async fn complete(
    aws: &Aws,
    record: &AuditRecord,
    reconciliation: state::Reconciliation,
    id: &str,
) -> Vec<ActionResult> {
    warn!(
        audit_id = %id,
        function_arn = %record.function_arn,
        to_complete = reconciliation.complete.len(),
        "an earlier invocation stopped in the middle of its plan; reconciling its record"
    );
    let (completed, _) = aws
        .execute_before(&reconciliation.complete, Deadline::current().write_cutoff())
        .await;
    let mut results = reconciliation.results;
    // Each completed AddPermission takes the place of its not-attempted entry.
    for done in completed.results {
        if let Some(r) = results
            .iter_mut()
            .find(|r| r.action == done.action && r.status == ActionStatus::NotAttempted)
        {
            r.status = done.status;
        }
    }
    results
}

/// Marks this invocation's own `in_progress` record `audit` as no longer written to: its
/// writer deadline becomes now (`clock`) and `why` goes into `stopped`, so the next
/// evaluation reconciles it at once instead of waiting for this invocation's Lambda deadline
/// (up to 900 s), longer than Lambda's asynchronous retries wait
/// (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html>).
/// The record stays `in_progress`: what its writes did is read from the function by the
/// reconciliation, never assumed. Best effort: a table that cannot be written is logged, and
/// the record then waits for its deadline as before.
pub(crate) async fn release(aws: &Aws, mut audit: StoredAudit, why: &str, clock: &Clock) {
    let Some(store) = aws.store() else {
        return;
    };
    audit.writer_deadline_ms = Some(clock.now_ms());
    audit.updated_at = clock.now_secs();
    audit.stopped = Some(why.to_owned());
    let resource = audit.record.function_arn.clone();
    match store.save_audit(&resource, &audit).await {
        Ok(()) => warn!(
            audit_id = %audit.id,
            function_arn = %resource,
            reason = %why,
            "plan stopped unfinished; its record is left for the next evaluation to reconcile"
        ),
        Err(e) => warn!(
            audit_id = %audit.id,
            function_arn = %resource,
            error = %e,
            "plan stopped unfinished and its record could not be released; it waits for its writer's deadline"
        ),
    }
}

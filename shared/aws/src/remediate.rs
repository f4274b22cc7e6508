//! Evaluating and remediating one function, the whole imperative loop the functions and the
//! CLI share: fetch the snapshot → exemption → evaluate → plan → execute (re-read and re-plan
//! after `PreconditionFailedException`, bounded; a replacement whose `AddPermission` fails
//! after its `RemovePermission` has the original statement put back at once) → audit record
//! → alert → status tags.
//! Every decision in it is a pure function of `warden-rules`; this module only sequences the
//! AWS calls.

use serde::Serialize;
use thiserror::Error;
use tracing::{info, warn};
use warden_rules::config::Config;
use warden_rules::findings::Finding;
use warden_rules::gate;
use warden_rules::ids::{FunctionArn, LayerVersionArn};
use warden_rules::outcome::{ActionResult, ActionStatus, FailureKind, Outcome};
use warden_rules::plan::{self, FixDecision, Plan, Withheld};
use warden_rules::report::{self, AuditRecord};
use warden_rules::restore;
use warden_rules::rules::{self, RuleConfig};
use warden_rules::snapshot::{FunctionSnapshot, Readable};
use warden_rules::tags::ComplianceStatus;

use crate::runtime::log_value;
use crate::{Aws, AwsError, Fetched};

/// The event that caused an evaluation, for the audit record.
#[derive(Debug, Clone, Copy)]
pub struct Cause<'a> {
    /// The CloudTrail `eventID` (or a sweep's run id).
    pub event_id: &'a str,
    /// The CloudTrail `eventName`, suffix included.
    pub event_name: &'a str,
}

/// How one function's evaluation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The function was deleted before it could be read.
    Gone,
    /// The function carries `lambda-warden:exempt`.
    Exempt,
    /// No open finding.
    Compliant,
    /// Open findings remain.
    NonCompliant,
    /// Fixes were applied and nothing remains open.
    Remediated,
    /// Part of the state could not be read.
    Unverified,
}

/// The result of [`remediate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Remediated {
    /// How it ended.
    pub resolution: Resolution,
    /// The exemption reason, for [`Resolution::Exempt`].
    pub exempt_reason: Option<String>,
    /// The audit record (absent for `Gone` and `Exempt`).
    pub record: Option<AuditRecord>,
    /// The findings still open after the actions taken (all of them when nothing was fixed).
    pub open_findings: Vec<Finding>,
}

impl Remediated {
    /// The resource was not found: nothing was evaluated, recorded or written.
    pub const GONE: Remediated = Remediated {
        resolution: Resolution::Gone,
        exempt_reason: None,
        record: None,
        open_findings: Vec::new(),
    };
}

/// A failure that a later attempt can overcome (or that must not be hidden).
#[derive(Debug, Error)]
pub enum RemediateError {
    /// A read or the alert failed.
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// A fix action failed; the actions before it are in the audit record, and a retry
    /// re-reads and plans the rest.
    #[error("{operation} on {function_arn} failed with {code} ({kind:?})")]
    Action {
        /// The API operation, e.g. `RemovePermission`.
        operation: String,
        /// The function.
        function_arn: String,
        /// The failure class.
        kind: FailureKind,
        /// The AWS error code.
        code: String,
    },
    /// The alert could not be serialised.
    #[error("alert could not be serialised: {0}")]
    Alert(#[from] serde_json::Error),
}

impl RemediateError {
    /// Whether delivering the same event again can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RemediateError::Aws(AwsError { kind, .. }) | RemediateError::Action { kind, .. } => {
                kind.is_retryable()
            }
            RemediateError::Alert(_) => false,
        }
    }
}

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
/// `now` is the evaluation time (seconds since the Unix epoch).
///
/// # Errors
/// As [`remediate`].
pub async fn remediate_from(
    aws: &Aws,
    config: &Config,
    arn: &FunctionArn,
    mut first: Option<FunctionSnapshot>,
    cause: Cause<'_>,
    now: i64,
) -> Result<Remediated, RemediateError> {
    let rule_config = RuleConfig::from(config);
    let mut history: Vec<ActionResult> = Vec::new();
    let mut replans = 0;
    // Whether an attempt abandoned for a re-plan changed anything: the alert must say so
    // even when the last plan has nothing left to do.
    let mut earlier_writes = false;
    loop {
        let fetched = match first.take() {
            Some(s) => Ok(Fetched::Found(s)),
            None => aws.fetch_snapshot(arn).await,
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
        if let Some(reason) = gate::exemption(&snapshot.tags) {
            info!(outcome = "exempt", function_arn = %arn, reason = %reason, "exempt by tag");
            return Ok(Remediated {
                resolution: Resolution::Exempt,
                exempt_reason: Some(reason),
                record: None,
                open_findings: Vec::new(),
            });
        }
        let findings = rules::evaluate(&snapshot, &rule_config, now);
        let plan = plan::plan(findings, &snapshot, config);
        let outcome = aws.execute(&plan.actions).await;
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
        if conflict && replans < config.max_replans {
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
            history,
            replans,
            exhausted: conflict,
            earlier_writes,
        };
        return finish(aws, config, cause, &snapshot, &plan, &outcome, attempts).await;
    }
}

/// Evaluates layer version `layer` (a layer event): reads its policy, runs the layer rules
/// (LW018, and LW006 when the policy cannot be read), writes the audit record and alerts. A
/// layer version that no longer exists is [`Resolution::Gone`], with no record.
/// Layers cannot be tagged and their rules have no executable fix, so nothing is written to
/// the layer; with no tag to remember what was alerted, each event with findings at or above
/// `WARDEN_ALERT_MIN_SEVERITY` alerts (layer permission changes are rare).
///
/// # Errors
/// [`RemediateError`] for throttling, transient failures, or a retryable failure of the
/// alert.
pub async fn remediate_layer(
    aws: &Aws,
    config: &Config,
    layer: &LayerVersionArn,
    cause: Cause<'_>,
) -> Result<Remediated, RemediateError> {
    let rule_config = RuleConfig::from(config);
    let Some(snapshot) = aws.fetch_layer(layer).await? else {
        info!(outcome = "gone", layer_version_arn = %layer, "layer version not found (deleted since the event, or never published)");
        return Ok(Remediated::GONE);
    };
    let findings = rules::evaluate_layer(&snapshot, &rule_config);
    let status = ComplianceStatus::of(findings.iter());
    let record = AuditRecord {
        schema: "lambda-warden.audit/1".to_owned(),
        event_id: cause.event_id.to_owned(),
        event_name: cause.event_name.to_owned(),
        function_arn: layer.to_string(),
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
    };
    let resolution = match status {
        ComplianceStatus::Unverified => Resolution::Unverified,
        ComplianceStatus::NonCompliant => Resolution::NonCompliant,
        ComplianceStatus::Compliant => Resolution::Compliant,
    };
    info!(
        outcome = %log_value(&resolution),
        layer_version_arn = %layer,
        rule_ids = %log_value(&record.findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>()),
        audit = %serde_json::to_string(&record)?,
        "decision"
    );
    let alertable = record
        .findings
        .iter()
        .any(|f| f.severity >= config.alert_min_severity);
    if alertable {
        publish(aws, config, &record).await?;
    }
    Ok(Remediated {
        resolution,
        exempt_reason: None,
        open_findings: record.findings.clone(),
        record: Some(record),
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

/// Every action result of one event across re-plans, and how the re-planning ended.
struct Attempts {
    history: Vec<ActionResult>,
    replans: u32,
    exhausted: bool,
    earlier_writes: bool,
}

async fn finish(
    aws: &Aws,
    config: &Config,
    cause: Cause<'_>,
    snapshot: &FunctionSnapshot,
    plan: &Plan,
    outcome: &Outcome,
    attempts: Attempts,
) -> Result<Remediated, RemediateError> {
    let history = attempts.history;
    let open: Vec<&Finding> = plan.open_findings(outcome);
    let status = ComplianceStatus::of(open.iter().copied());
    let earlier_writes = attempts.earlier_writes;
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
    info!(
        outcome = %log_value(&resolution),
        function_arn = %plan.function_arn,
        rule_ids = %log_value(&plan.findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>()),
        audit = %serde_json::to_string(&record)?,
        "decision"
    );
    if plan.alert_due(snapshot, outcome, config) || earlier_writes {
        publish(aws, config, &record).await?;
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
    if let Some(tag) = plan.tag_update(snapshot, outcome, config) {
        let tagged = aws.execute(std::slice::from_ref(&tag)).await;
        if let Some((_, ActionStatus::Failed { kind, code, .. })) = tagged.first_failure() {
            warn!(kind = %log_value(kind), code = %code, "status tags not written");
        }
    }
    let open_findings = open.into_iter().cloned().collect();
    Ok(Remediated {
        resolution,
        exempt_reason: None,
        record: Some(record),
        open_findings,
    })
}

/// Publishes the alert(s) for `record` to `WARDEN_ALERT_TOPIC_ARN` (none when unset). A record
/// too big for one SNS message goes out in parts ([`report::alerts`]).
///
/// # Errors
/// [`RemediateError::Aws`] when a retryable failure (throttling, 5xx) stopped delivery, so the
/// event is delivered again; a permanent refusal is logged and not an error.
async fn publish(aws: &Aws, config: &Config, record: &AuditRecord) -> Result<(), RemediateError> {
    let Some(topic) = &config.alert_topic_arn else {
        return Ok(());
    };
    for alert in report::alerts(record)? {
        if let Err(e) = aws.publish_alert(topic, &alert).await {
            warn!(error = %e, "alert not delivered");
            if e.kind.is_retryable() {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

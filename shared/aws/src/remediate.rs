//! Evaluating and remediating one function, the whole imperative loop the functions and the
//! CLI share: fetch the snapshot → exemption → evaluate → plan → execute (re-read and re-plan
//! after `PreconditionFailedException`, bounded) → audit record → alert → status tags.
//! Every decision in it is a pure function of `warden-rules`; this module only sequences the
//! AWS calls.

use serde::Serialize;
use thiserror::Error;
use tracing::{info, warn};
use warden_rules::config::Config;
use warden_rules::findings::Finding;
use warden_rules::gate;
use warden_rules::ids::FunctionArn;
use warden_rules::outcome::{ActionResult, ActionStatus, FailureKind, Outcome};
use warden_rules::plan::{self, Plan};
use warden_rules::report::{self, AuditRecord};
use warden_rules::rules::{self, RuleConfig};
use warden_rules::snapshot::{FunctionSnapshot, Readable};
use warden_rules::tags::ComplianceStatus;

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

/// Evaluates `arn` and carries out the plan `config` allows.
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
) -> Result<Remediated, RemediateError> {
    remediate_from(aws, config, arn, None, cause).await
}

/// As [`remediate`], starting from `first` when the caller has just read the function's state
/// (a sweep reads every function before it decides what to evaluate): the first evaluation
/// uses it instead of reading again; a re-plan after `PreconditionFailedException` reads again.
///
/// # Errors
/// As [`remediate`].
pub async fn remediate_from(
    aws: &Aws,
    config: &Config,
    arn: &FunctionArn,
    mut first: Option<FunctionSnapshot>,
    cause: Cause<'_>,
) -> Result<Remediated, RemediateError> {
    let rule_config = RuleConfig::from(config);
    let mut history: Vec<ActionResult> = Vec::new();
    let mut replans = 0;
    loop {
        let fetched = match first.take() {
            Some(s) => Ok(Fetched::Found(s)),
            None => aws.fetch_snapshot(arn).await,
        };
        let snapshot = match fetched {
            Ok(Fetched::Found(s)) => s,
            Ok(Fetched::Gone) => {
                info!(outcome = "gone", function_arn = %arn, "function deleted before it was read");
                return Ok(Remediated {
                    resolution: Resolution::Gone,
                    exempt_reason: None,
                    record: None,
                    open_findings: Vec::new(),
                });
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
        let findings = rules::evaluate(&snapshot, &rule_config);
        let plan = plan::plan(findings, &snapshot, config);
        let outcome = aws.execute(&plan.actions).await;
        history.extend(outcome.results.iter().cloned());
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
            info!(replans, function_arn = %arn, "policy changed since it was read; re-planning");
            continue;
        }
        return finish(aws, config, cause, &snapshot, &plan, &outcome, history).await;
    }
}

/// The snapshot of a function whose `GetFunction` was refused: everything unverified (LW006),
/// each part naming the refused operation and error code.
pub fn unreadable(arn: &FunctionArn, e: &AwsError) -> FunctionSnapshot {
    FunctionSnapshot {
        policy: unreadable_part(e),
        url: unreadable_part(e),
        ..FunctionSnapshot::empty(arn.clone())
    }
}

fn unreadable_part<T>(e: &AwsError) -> Readable<T> {
    Readable::Unreadable {
        operation: e.operation.to_owned(),
        error_code: e.code.clone(),
    }
}

async fn finish(
    aws: &Aws,
    config: &Config,
    cause: Cause<'_>,
    snapshot: &FunctionSnapshot,
    plan: &Plan,
    outcome: &Outcome,
    history: Vec<ActionResult>,
) -> Result<Remediated, RemediateError> {
    let open: Vec<&Finding> = plan.open_findings(outcome);
    let status = ComplianceStatus::of(open.iter().copied());
    let earlier_attempts = history.len() > outcome.results.len();
    let any_done = history.iter().any(|r| r.status == ActionStatus::Done);
    let record: AuditRecord = report::audit_record(
        cause.event_id,
        cause.event_name,
        config.mode,
        plan,
        &history,
        status,
    );
    let resolution = match status {
        ComplianceStatus::Unverified => Resolution::Unverified,
        ComplianceStatus::NonCompliant => Resolution::NonCompliant,
        ComplianceStatus::Compliant if any_done => Resolution::Remediated,
        ComplianceStatus::Compliant => Resolution::Compliant,
    };
    info!(
        outcome = ?resolution,
        function_arn = %plan.function_arn,
        rule_ids = ?plan.findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(),
        audit = %serde_json::to_string(&record)?,
        "decision"
    );
    if plan.alert_due(snapshot, outcome, config) || earlier_attempts {
        if let Some(topic) = &config.alert_topic_arn {
            let alert = report::alert(&record)?;
            if let Err(e) = aws.publish_alert(topic, &alert).await {
                warn!(error = %e, "alert not delivered");
                if e.kind.is_retryable() {
                    return Err(e.into());
                }
            }
        }
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
            warn!(kind = ?kind, code = %code, "status tags not written");
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

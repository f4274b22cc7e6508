//! The handler of lambda-warden's `lambda-events` function: one EventBridge-delivered
//! CloudTrail event in, one decision out.
//!
//! parse → gate → fetch snapshot → exemption → evaluate → plan → execute (re-read and re-plan
//! on `PreconditionFailedException`, bounded) → audit record → alert → status tags.
//! Every step but fetch/execute/publish is a pure function of `warden-rules`.

use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use tracing::{info, warn, Instrument};
use warden_aws::{Aws, AwsError, Fetched};
use warden_rules::config::Config;
use warden_rules::findings::Finding;
use warden_rules::gate::{self, Gate};
use warden_rules::ids::FunctionArn;
use warden_rules::outcome::{ActionResult, ActionStatus, FailureKind, Outcome};
use warden_rules::plan::{self, Plan};
use warden_rules::report::{self, AuditRecord};
use warden_rules::rules::{self, RuleConfig, RuleId};
use warden_rules::snapshot::{FunctionSnapshot, Readable};
use warden_rules::tags::ComplianceStatus;
use warden_rules::trigger::{self, Trigger};

/// What the handler needs, built once per cold start.
pub struct Deps {
    /// The AWS adapter.
    pub aws: Aws,
    /// Settings from the environment.
    pub config: Config,
}

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    /// The event was not malformed but needs no evaluation (see `skip_reason`).
    Skipped,
    /// The function carries `lambda-warden:exempt`.
    Exempt,
    /// The function was deleted before it could be read.
    Gone,
    /// No open finding.
    Compliant,
    /// Open findings remain.
    NonCompliant,
    /// Fixes were applied and nothing remains open.
    Remediated,
    /// Part of the state could not be read.
    Unverified,
    /// The event could never be processed; retrying is pointless.
    IgnoredBadInput,
}

/// The handler's answer (also the function's response payload).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// How the event ended.
    pub outcome: DecisionOutcome,
    /// The CloudTrail `eventID`, when the event parsed.
    pub event_id: Option<String>,
    /// The CloudTrail `eventName`, when the event parsed.
    pub event_name: Option<String>,
    /// The evaluated function.
    pub function_arn: Option<String>,
    /// Why it was skipped or ignored (a stable code, e.g. `failed_call`), with detail.
    pub skip_reason: Option<String>,
    /// The rule ids found, sorted.
    pub findings: Vec<RuleId>,
    /// Every action attempted, with its result.
    pub actions: Vec<ActionResult>,
}

impl Decision {
    fn new(outcome: DecisionOutcome, trigger: Option<&Trigger>) -> Self {
        Decision {
            outcome,
            event_id: trigger.map(|t| t.event_id.clone()),
            event_name: trigger.map(|t| t.event_name.as_str().to_owned()),
            function_arn: trigger
                .and_then(Trigger::function_arn)
                .map(|a| a.to_string()),
            skip_reason: None,
            findings: Vec::new(),
            actions: Vec::new(),
        }
    }

    fn because(mut self, reason: String) -> Self {
        self.skip_reason = Some(reason);
        self
    }
}

/// A failure that should make EventBridge deliver the event again.
#[derive(Debug, Error)]
pub enum HandlerError {
    /// AWS throttled us, failed transiently, or the policy kept changing under us.
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// A fix action failed in a way a later delivery can overcome; the actions before it
    /// are recorded in the audit record, and the retry re-reads and plans the rest.
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

impl HandlerError {
    /// `Retryable` or `Permanent`: the Lambda error type EventBridge's retry sees.
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::Aws(AwsError { kind, .. }) | HandlerError::Action { kind, .. }
                if kind.is_retryable() =>
            {
                "Retryable"
            }
            HandlerError::Aws(_) | HandlerError::Action { .. } | HandlerError::Alert(_) => {
                "Permanent"
            }
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// Handles one event. `_now_unix_seconds` is the evaluation time, read by the caller.
///
/// # Errors
/// [`HandlerError`] only for failures a later delivery can overcome (throttling, 5xx,
/// timeouts, a policy that changed under every re-plan). Malformed events, skips and
/// permanent AWS refusals are logged and answered `Ok`.
pub async fn handle(
    event: Value,
    deps: &Deps,
    _now_unix_seconds: i64,
) -> Result<Decision, HandlerError> {
    let trigger = match trigger::parse(&event) {
        Ok(t) => t,
        Err(e) => {
            warn!(outcome = "ignored_bad_input", error = %e, "event cannot be processed");
            return Ok(Decision::new(DecisionOutcome::IgnoredBadInput, None).because(e.to_string()));
        }
    };
    let span = tracing::info_span!(
        "event",
        event_id = %trigger.event_id,
        event_name = %trigger.event_name.as_str(),
    );
    evaluate_event(trigger, deps).instrument(span).await
}

async fn evaluate_event(trigger: Trigger, deps: &Deps) -> Result<Decision, HandlerError> {
    if let Gate::Skip(reason) = gate::decide(&trigger, &deps.config) {
        info!(outcome = "skipped", reason = reason.code(), detail = %reason, "gate");
        return Ok(Decision::new(DecisionOutcome::Skipped, Some(&trigger))
            .because(format!("{}: {reason}", reason.code())));
    }
    let Some(arn) = trigger.function_arn() else {
        // The gate skips events without a target; this is unreachable in practice.
        return Ok(
            Decision::new(DecisionOutcome::Skipped, Some(&trigger)).because("no_target".to_owned())
        );
    };
    let config = &deps.config;
    let rule_config = RuleConfig::from(config);
    let mut history: Vec<ActionResult> = Vec::new();
    let mut replans = 0;
    loop {
        let snapshot = match deps.aws.fetch_snapshot(&arn).await {
            Ok(Fetched::Found(s)) => s,
            Ok(Fetched::Gone) => {
                info!(outcome = "gone", function_arn = %arn, "function deleted before it was read");
                return Ok(Decision::new(DecisionOutcome::Gone, Some(&trigger)));
            }
            Err(e) if e.kind == FailureKind::AccessDenied => unreadable(&arn, &e),
            Err(e) => return Err(e.into()),
        };
        if let Some(reason) = gate::exemption(&snapshot.tags) {
            info!(outcome = "exempt", function_arn = %arn, reason = %reason, "exempt by tag");
            return Ok(Decision::new(DecisionOutcome::Exempt, Some(&trigger)).because(reason));
        }
        let findings = rules::evaluate(&snapshot, &rule_config);
        let plan = plan::plan(findings, &snapshot, config);
        let outcome = deps.aws.execute(&plan.actions).await;
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
        return finish(&trigger, deps, &snapshot, &plan, &outcome, history).await;
    }
}

/// The snapshot of a function whose `GetFunction` was refused: everything unverified.
fn unreadable(arn: &FunctionArn, e: &AwsError) -> FunctionSnapshot {
    FunctionSnapshot {
        arn: arn.clone(),
        tags: Default::default(),
        policy: unreadable_part(e),
        url: unreadable_part(e),
    }
}

fn unreadable_part<T>(e: &AwsError) -> Readable<T> {
    Readable::Unreadable {
        operation: e.operation.to_owned(),
        error_code: e.code.clone(),
    }
}

async fn finish(
    trigger: &Trigger,
    deps: &Deps,
    snapshot: &FunctionSnapshot,
    plan: &Plan,
    outcome: &Outcome,
    history: Vec<ActionResult>,
) -> Result<Decision, HandlerError> {
    let config = &deps.config;
    let open: Vec<&Finding> = plan.open_findings(outcome);
    let status = ComplianceStatus::of(open.iter().copied());
    let record: AuditRecord = report::audit_record(
        &trigger.event_id,
        trigger.event_name.as_str(),
        config.mode,
        plan,
        &history,
        status,
    );
    let earlier_attempts = history.len() > outcome.results.len();
    let decision_outcome = match status {
        ComplianceStatus::Unverified => DecisionOutcome::Unverified,
        ComplianceStatus::NonCompliant => DecisionOutcome::NonCompliant,
        ComplianceStatus::Compliant if history.iter().any(|r| r.status == ActionStatus::Done) => {
            DecisionOutcome::Remediated
        }
        ComplianceStatus::Compliant => DecisionOutcome::Compliant,
    };
    info!(
        outcome = ?decision_outcome,
        function_arn = %plan.function_arn,
        rule_ids = ?plan.findings.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(),
        audit = %serde_json::to_string(&record)?,
        "decision"
    );
    if plan.alert_due(snapshot, outcome, config) || earlier_attempts {
        if let Some(topic) = &config.alert_topic_arn {
            let alert = report::alert(&record)?;
            if let Err(e) = deps.aws.publish_alert(topic, &alert).await {
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
            return Err(HandlerError::Action {
                operation: action.operation().to_owned(),
                function_arn: plan.function_arn.to_string(),
                kind: *kind,
                code: code.clone(),
            });
        }
    }
    if let Some(tag) = plan.tag_update(snapshot, outcome, config) {
        let tagged = deps.aws.execute(std::slice::from_ref(&tag)).await;
        if let Some((_, ActionStatus::Failed { kind, code, .. })) = tagged.first_failure() {
            warn!(kind = ?kind, code = %code, "status tags not written");
        }
    }
    let mut findings: Vec<RuleId> = plan.findings.iter().map(|f| f.rule_id).collect();
    findings.sort();
    findings.dedup();
    Ok(Decision {
        findings,
        actions: history,
        ..Decision::new(decision_outcome, Some(trigger))
    })
}

//! The handler of lambda-warden's `lambda-events` function: one EventBridge-delivered
//! CloudTrail event in, one decision out.
//!
//! parse → gate → [`warden_aws::remediate::remediate`] (fetch, evaluate, plan, execute, audit,
//! alert, tags). Parsing and gating are pure functions of `warden-rules`.

use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use tracing::{info, warn, Instrument};
use warden_aws::remediate::{remediate, remediate_layer, Cause, RemediateError, Resolution};
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::gate::{self, Gate};
use warden_rules::outcome::ActionResult;
use warden_rules::rules::RuleId;
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

impl From<Resolution> for DecisionOutcome {
    fn from(r: Resolution) -> Self {
        match r {
            Resolution::Gone => DecisionOutcome::Gone,
            Resolution::Exempt => DecisionOutcome::Exempt,
            Resolution::Compliant => DecisionOutcome::Compliant,
            Resolution::NonCompliant => DecisionOutcome::NonCompliant,
            Resolution::Remediated => DecisionOutcome::Remediated,
            Resolution::Unverified => DecisionOutcome::Unverified,
        }
    }
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
    /// The evaluated layer version (layer events).
    pub layer_version_arn: Option<String>,
    /// Why it was skipped, exempt or ignored (a stable code, e.g. `failed_call`, with detail).
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
            layer_version_arn: trigger
                .and_then(|t| t.layer.as_ref())
                .map(|l| l.to_string()),
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

/// A failure that should make EventBridge deliver the event again (or that is reported as a
/// permanent function error).
#[derive(Debug, Error)]
#[error(transparent)]
pub struct HandlerError(#[from] pub RemediateError);

impl HandlerError {
    /// `Retryable` or `Permanent`: the Lambda error type EventBridge's retry sees.
    pub fn error_type(&self) -> &'static str {
        if self.0.is_retryable() {
            "Retryable"
        } else {
            "Permanent"
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

/// Handles one event. `now_unix_seconds` is the evaluation time (seconds since the Unix
/// epoch), read by the caller.
///
/// # Errors
/// [`HandlerError`] only for failures a later delivery can overcome (throttling, 5xx,
/// timeouts, a policy that changed under every re-plan). Malformed events, skips and
/// permanent AWS refusals are logged and answered `Ok`.
pub async fn handle(
    event: Value,
    deps: &Deps,
    now_unix_seconds: i64,
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
    evaluate_event(trigger, deps, now_unix_seconds)
        .instrument(span)
        .await
}

async fn evaluate_event(trigger: Trigger, deps: &Deps, now: i64) -> Result<Decision, HandlerError> {
    if let Gate::Skip(reason) = gate::decide(&trigger, &deps.config) {
        info!(outcome = "skipped", reason = reason.code(), detail = %reason, "gate");
        return Ok(Decision::new(DecisionOutcome::Skipped, Some(&trigger))
            .because(format!("{}: {reason}", reason.code())));
    }
    let cause = Cause {
        event_id: &trigger.event_id,
        event_name: trigger.event_name.as_str(),
    };
    if let Some(layer) = &trigger.layer {
        let done = remediate_layer(&deps.aws, &deps.config, layer, cause).await?;
        return Ok(decision(done, &trigger));
    }
    let Some(arn) = trigger.function_arn() else {
        // The gate skips events without a target; kept for completeness.
        return Ok(
            Decision::new(DecisionOutcome::Skipped, Some(&trigger)).because("no_target".to_owned())
        );
    };
    let done = remediate(&deps.aws, &deps.config, &arn, cause, now).await?;
    Ok(decision(done, &trigger))
}

fn decision(done: warden_aws::remediate::Remediated, trigger: &Trigger) -> Decision {
    let mut decision = Decision::new(done.resolution.into(), Some(trigger));
    decision.skip_reason = done.exempt_reason;
    if let Some(record) = done.record {
        decision.findings = record.findings.iter().map(|f| f.rule_id).collect();
        decision.findings.sort();
        decision.findings.dedup();
        decision.actions = record.actions;
    }
    decision
}

//! The handler of lambda-warden's `lambda-events` function: one EventBridge-delivered
//! CloudTrail event in, one decision out.
//!
//! parse → gate → [`warden_aws::remediate::remediate`] (fetch, evaluate, plan, execute, audit,
//! alert, tags). Parsing and gating are pure functions of `warden-rules`.
//!
//! Events of another account (an organization's member accounts forward theirs to the central
//! event bus) are evaluated through the member role `WARDEN_MEMBER_ROLE_NAME` in that account,
//! and events of another Region through clients for that Region.

use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use tracing::{info, warn, Instrument};
use warden_aws::remediate::{remediate, remediate_layer, Cause, RemediateError, Resolution};
use warden_aws::runtime::log_value;
use warden_aws::{Aws, AwsError};
use warden_rules::config::Config;
use warden_rules::event_name::LambdaApi;
use warden_rules::gate::{self, Gate};
use warden_rules::ids::AccountId;
use warden_rules::outcome::ActionResult;
use warden_rules::report::Alert;
use warden_rules::rules::RuleId;
use warden_rules::state::{self, ExemptionChange};
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
/// epoch), read by the caller. Events are evaluated with `deps.aws` as they are (no other
/// account is told apart): see [`handle_in`].
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
    handle_in(event, deps, now_unix_seconds, None).await
}

/// Handles one event for a function running in `own_account` (the account of its ARN). An
/// event recorded in another account is evaluated as the member role
/// `WARDEN_MEMBER_ROLE_NAME` of that account (`sts:AssumeRole`, with
/// `WARDEN_MEMBER_EXTERNAL_ID`), and skipped (`other_account`) when no member role is set.
/// An event of another Region is evaluated with clients for that Region.
///
/// # Errors
/// As [`handle`]; a member role that cannot be assumed for a retryable reason (throttling,
/// no answer) is an error too, so the event is delivered again.
pub async fn handle_in(
    event: Value,
    deps: &Deps,
    now_unix_seconds: i64,
    own_account: Option<&AccountId>,
) -> Result<Decision, HandlerError> {
    let trigger = match trigger::parse(&event) {
        Ok(t) => t,
        Err(e) => {
            let event_id = trigger::event_id_hint(&event);
            warn!(outcome = "ignored_bad_input", event_id = %log_value(&event_id), error = %e, "event cannot be processed");
            let mut decision =
                Decision::new(DecisionOutcome::IgnoredBadInput, None).because(e.to_string());
            decision.event_id = event_id;
            return Ok(decision);
        }
    };
    let span = tracing::info_span!(
        "event",
        event_id = %trigger.event_id,
        event_name = %trigger.event_name.as_str(),
    );
    evaluate_event(trigger, deps, now_unix_seconds, own_account)
        .instrument(span)
        .await
}

/// The session name of the member-role sessions (CloudTrail records it in member accounts);
/// the gate recognises lambda-warden's own calls in member accounts by it.
pub use warden_rules::gate::MEMBER_SESSION_NAME;

/// The clients for the trigger's account and Region: `Ok(None)` when the account is another
/// one and no member role is configured.
async fn access(
    trigger: &Trigger,
    deps: &Deps,
    own_account: Option<&AccountId>,
) -> Result<Option<Aws>, AwsError> {
    let aws = match (own_account, &deps.config.member_role_name) {
        (Some(own), _) if *own == trigger.account => deps.aws.clone(),
        (None, _) => deps.aws.clone(),
        (Some(_), None) => return Ok(None),
        (Some(_), Some(role_name)) => deps
            .aws
            .member_access(
                &trigger.partition,
                &trigger.account,
                role_name,
                deps.config.member_external_id.as_deref(),
            )
            .await
            .map_err(|e| AwsError {
                operation: "AssumeRole",
                resource_arn: e.role_arn,
                kind: e.kind,
                code: e.code,
            })?,
    };
    Ok(Some(if aws.region() == Some(trigger.region.as_str()) {
        aws
    } else {
        aws.in_region(&trigger.region)
    }))
}

async fn evaluate_event(
    trigger: Trigger,
    deps: &Deps,
    now: i64,
    own_account: Option<&AccountId>,
) -> Result<Decision, HandlerError> {
    if let Gate::Skip(reason) = gate::decide(&trigger, &deps.config) {
        info!(outcome = "skipped", reason = reason.code(), detail = %reason, "gate");
        return Ok(Decision::new(DecisionOutcome::Skipped, Some(&trigger))
            .because(format!("{}: {reason}", reason.code())));
    }
    let aws = match access(&trigger, deps, own_account).await {
        Ok(Some(aws)) => aws,
        Ok(None) => {
            info!(outcome = "skipped", reason = "other_account", account = %trigger.account, "no member role");
            return Ok(Decision::new(DecisionOutcome::Skipped, Some(&trigger)).because(format!(
                "other_account: the event was recorded in account {} and WARDEN_MEMBER_ROLE_NAME is not set",
                trigger.account
            )));
        }
        Err(e) if e.kind.is_retryable() => return Err(HandlerError(RemediateError::Aws(e))),
        Err(e) => {
            warn!(outcome = "unverified", role_arn = %e.resource_arn, code = %e.code, "member role cannot be assumed");
            member_role_alert(deps, &trigger, &e).await;
            return Ok(
                Decision::new(DecisionOutcome::Unverified, Some(&trigger)).because(format!(
                    "member_role: cannot assume {}: {}",
                    e.resource_arn, e.code
                )),
            );
        }
    };
    let exemption = exemption_change(&trigger, &deps.config, now);
    let cause = Cause {
        exemption: exemption.as_ref(),
        ..Cause::new(&trigger.event_id, trigger.event_name.as_str())
    };
    if let Some(layer) = &trigger.layer {
        let done = remediate_layer(&aws, &deps.config, layer, cause).await?;
        return Ok(decision(done, &trigger));
    }
    let Some(arn) = trigger.function_arn() else {
        // The gate skips events without a target; kept for completeness.
        return Ok(
            Decision::new(DecisionOutcome::Skipped, Some(&trigger)).because("no_target".to_owned())
        );
    };
    let done = remediate(&aws, &deps.config, &arn, cause, now).await?;
    Ok(decision(done, &trigger))
}

/// What the event does to its function's exemption: a `TagResource` / `UntagResource`
/// ([`state::exemption_change`]: the caller's ARN and, for a role session, its role's ARN are
/// matched against `WARDEN_EXEMPTION_APPROVERS`), or a `CreateFunction`, after which an
/// exemption approved before the creation is dropped ([`ExemptionChange::Recreated`]). Both
/// are dated by the event's `eventTime` (when the call was made, not when it is handled, so
/// events handled out of order still compare right), else `now`.
fn exemption_change(trigger: &Trigger, config: &Config, now: i64) -> Option<ExemptionChange> {
    let at = trigger
        .event_time
        .as_deref()
        .and_then(state::parse_event_time)
        .unwrap_or(now);
    if trigger.event_name.api() == Some(LambdaApi::CreateFunction) {
        return Some(ExemptionChange::Recreated { created_at: at });
    }
    let change = trigger.tag_change()?;
    let function = trigger.function_arn()?.unqualified().to_string();
    let principals: Vec<&str> = [&trigger.actor.arn, &trigger.actor.role_arn]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    state::exemption_change(
        &change.set,
        &change.removed,
        &principals,
        &config.exemption_approvers,
        &function,
        &trigger.event_id,
        at,
    )
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

/// Tells the alert topic that a member account's function could not be evaluated because its
/// member role could not be assumed (the function is unverified, never compliant).
async fn member_role_alert(deps: &Deps, trigger: &Trigger, e: &AwsError) {
    let Some(topic) = &deps.config.alert_topic_arn else {
        return;
    };
    let message = serde_json::json!({
        "schema": "lambda-warden.member-access/1",
        "event_id": trigger.event_id,
        "event_name": trigger.event_name.as_str(),
        "account": trigger.account,
        "function_arn": trigger.function_arn().map(|a| a.to_string()),
        "role_arn": e.resource_arn,
        "error_code": e.code,
    });
    let alert = Alert {
        subject: format!(
            "lambda-warden HIGH: cannot assume the member role in {}",
            trigger.account
        ),
        message: message.to_string(),
    };
    if let Err(err) = deps.aws.publish_alert(topic, &alert).await {
        warn!(error = %err, "alert not delivered");
    }
}

//! The handler of lambda-warden's `iam-events` function: one EventBridge-delivered `aws.iam`
//! CloudTrail event in, one decision out.
//!
//! parse → gate ([`warden_rules::iam_trigger`]) → the roles affected (the event's role, or
//! every role a changed managed policy is attached to: [`Aws::roles_with_policy`]) → the
//! functions using them in each configured Region ([`Aws::functions_using_roles`]) → for each
//! function, [`warden_aws::remediate::remediate`] through a Lambda client of its Region, at
//! most [`CONCURRENCY`] at a time.
//!
//! IAM events reach EventBridge only in us-east-1; the functions they affect live in the
//! Regions of `WARDEN_REGIONS`, never assumed to be the event's.

use futures::stream::{self, StreamExt};
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use tracing::{info, warn, Instrument};
use warden_aws::remediate::{remediate, Cause, RemediateError, Resolution};
use warden_aws::runtime::log_value;
use warden_aws::{Aws, AwsError};
use warden_rules::config::Config;
use warden_rules::gate::Gate;
use warden_rules::iam_trigger::{self, IamChange, IamTrigger};
use warden_rules::ids::FunctionArn;
use warden_rules::outcome::{ActionResult, FailureKind};
use warden_rules::rules::RuleId;
use warden_rules::trigger;

/// How many functions are evaluated at the same time.
pub const CONCURRENCY: usize = 4;

/// What the handler needs, built once per cold start.
pub struct Deps {
    /// The AWS adapter (its Region is the function's own; the alert topic lives there).
    pub aws: Aws,
    /// Settings from the environment, `regions` included.
    pub config: Config,
}

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    /// Not malformed, but needs no evaluation (see `skip_reason`).
    Skipped,
    /// No function in the configured Regions uses the affected roles.
    NoFunctions,
    /// Every affected function was evaluated (each outcome is in `functions`).
    Evaluated,
    /// The affected functions could not be listed (access denied): nothing is known about
    /// them, which is never reported as compliant.
    Unverified,
    /// The event could never be processed; retrying is pointless.
    IgnoredBadInput,
}

/// How one affected function ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionOutcome {
    /// One of lambda-warden's own functions: left alone.
    Skipped,
    /// Deleted before it could be read.
    Gone,
    /// Tagged `lambda-warden:exempt`.
    Exempt,
    /// No open finding.
    Compliant,
    /// Open findings remain.
    NonCompliant,
    /// Fixes were applied and nothing remains open.
    Remediated,
    /// Part of its state could not be read.
    Unverified,
    /// Its evaluation failed permanently (see `detail`); other functions were still evaluated.
    Failed,
}

impl From<Resolution> for FunctionOutcome {
    fn from(r: Resolution) -> Self {
        match r {
            Resolution::Gone => FunctionOutcome::Gone,
            Resolution::Exempt => FunctionOutcome::Exempt,
            Resolution::Compliant => FunctionOutcome::Compliant,
            Resolution::NonCompliant => FunctionOutcome::NonCompliant,
            Resolution::Remediated => FunctionOutcome::Remediated,
            Resolution::Unverified => FunctionOutcome::Unverified,
        }
    }
}

/// One affected function and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDecision {
    /// The function (unqualified ARN).
    pub function_arn: String,
    /// How it ended.
    pub outcome: FunctionOutcome,
    /// The exemption reason, why it was skipped, or the error it failed with.
    pub detail: Option<String>,
    /// The rule ids found, sorted.
    pub findings: Vec<RuleId>,
    /// Every action attempted, with its result.
    pub actions: Vec<ActionResult>,
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
    /// The role or managed policy the event changed.
    pub change: Option<IamChange>,
    /// Why it was skipped, unverified or ignored (a stable code, e.g. `failed_call`, with
    /// detail).
    pub skip_reason: Option<String>,
    /// The roles whose functions were looked up.
    pub roles: Vec<String>,
    /// The Regions looked in.
    pub regions: Vec<String>,
    /// Every affected function, in the order found.
    pub functions: Vec<FunctionDecision>,
}

impl Decision {
    fn new(outcome: DecisionOutcome, trigger: Option<&IamTrigger>) -> Self {
        Decision {
            outcome,
            event_id: trigger.map(|t| t.event_id.clone()),
            event_name: trigger.map(|t| t.event_name.as_str().to_owned()),
            change: trigger.and_then(|t| t.change.clone()),
            skip_reason: None,
            roles: Vec::new(),
            regions: Vec::new(),
            functions: Vec::new(),
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
    /// Listing the roles or functions failed (throttling, 5xx, no response).
    #[error(transparent)]
    Lookup(#[from] AwsError),
    /// Evaluating some functions failed in a way a later delivery can overcome; the others
    /// were evaluated (a repeated event changes nothing on them).
    #[error("{failed} of {total} functions failed; first: {first}")]
    Functions {
        /// How many failed with a retryable error.
        failed: usize,
        /// How many were evaluated.
        total: usize,
        /// The first such error.
        first: RemediateError,
    },
}

impl HandlerError {
    /// `Retryable` or `Permanent`: the Lambda error type EventBridge's retry sees.
    pub fn error_type(&self) -> &'static str {
        let retryable = match self {
            HandlerError::Lookup(e) => e.kind.is_retryable(),
            HandlerError::Functions { first, .. } => first.is_retryable(),
        };
        if retryable {
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

/// Handles one event. `now_unix_seconds` is the evaluation time, read by the caller.
///
/// # Errors
/// [`HandlerError`] only for failures a later delivery can overcome: throttling, 5xx or no
/// response while listing roles or functions, or while evaluating a function. Malformed
/// events, skips, a deleted policy, refused listings and permanent per-function failures are
/// logged and answered `Ok`.
pub async fn handle(
    event: Value,
    deps: &Deps,
    now_unix_seconds: i64,
) -> Result<Decision, HandlerError> {
    let trigger = match iam_trigger::parse(&event) {
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
    evaluate_event(trigger, deps, now_unix_seconds)
        .instrument(span)
        .await
}

async fn evaluate_event(
    trigger: IamTrigger,
    deps: &Deps,
    now: i64,
) -> Result<Decision, HandlerError> {
    let (aws, config) = (&deps.aws, &deps.config);
    let change = match (iam_trigger::decide(&trigger, config), &trigger.change) {
        (Gate::Go, Some(change)) => change.clone(),
        (gate, _) => {
            let reason = gate.skip_reason().map_or(
                "no_target: the event names no role or policy".to_owned(),
                |r| format!("{}: {r}", r.code()),
            );
            info!(outcome = "skipped", reason = %reason, "gate");
            return Ok(Decision::new(DecisionOutcome::Skipped, Some(&trigger)).because(reason));
        }
    };
    let mut decision = Decision::new(DecisionOutcome::Evaluated, Some(&trigger));
    decision.regions = if config.regions.is_empty() {
        aws.region().map(str::to_owned).into_iter().collect()
    } else {
        config.regions.clone()
    };

    let listed = async {
        let roles = match &change {
            IamChange::Role { role_name } => vec![role_name.as_str().to_owned()],
            IamChange::ManagedPolicy { policy_arn } => {
                aws.roles_with_policy(policy_arn.as_str()).await?
            }
        };
        let functions = if roles.is_empty() {
            Vec::new()
        } else {
            aws.functions_using_roles(&roles, &decision.regions).await?
        };
        Ok::<_, AwsError>((roles, functions))
    };
    let (roles, functions) = match listed.await {
        Ok(found) => found,
        Err(e) if e.kind.is_retryable() => return Err(e.into()),
        Err(e) if e.kind == FailureKind::NotFound => {
            info!(outcome = "no_functions", error = %e, "the policy no longer exists");
            decision.outcome = DecisionOutcome::NoFunctions;
            return Ok(decision.because(format!("not_found: {e}")));
        }
        Err(e) => {
            warn!(outcome = "unverified", error = %e, "the affected functions cannot be listed");
            decision.outcome = DecisionOutcome::Unverified;
            return Ok(decision.because(format!("lookup_failed: {e}")));
        }
    };
    decision.roles = roles;
    if functions.is_empty() {
        decision.outcome = DecisionOutcome::NoFunctions;
    }

    let cause = Cause::new(&trigger.event_id, trigger.event_name.as_str());
    let results: Vec<_> = stream::iter(functions)
        .map(|arn| evaluate_function(aws, config, arn, cause, now))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let total = results.len();
    let mut retryable = Vec::new();
    for result in results {
        match result {
            Ok(f) => decision.functions.push(f),
            Err(e) => retryable.push(e),
        }
    }
    let count = |o: FunctionOutcome| decision.functions.iter().filter(|f| f.outcome == o).count();
    info!(
        outcome = %log_value(&decision.outcome),
        change = %log_value(&change),
        roles = %log_value(&decision.roles),
        regions = %log_value(&decision.regions),
        functions = total,
        non_compliant = count(FunctionOutcome::NonCompliant),
        remediated = count(FunctionOutcome::Remediated),
        unverified = count(FunctionOutcome::Unverified),
        failed = count(FunctionOutcome::Failed) + retryable.len(),
        "iam event summary"
    );
    let failed = retryable.len();
    match retryable.into_iter().next() {
        Some(first) => Err(HandlerError::Functions {
            failed,
            total,
            first,
        }),
        None => Ok(decision),
    }
}

/// Evaluates one function through a Lambda client of its Region. A permanent failure is
/// recorded in the result; only a retryable one is an error.
async fn evaluate_function(
    aws: &Aws,
    config: &Config,
    arn: FunctionArn,
    cause: Cause<'_>,
    now: i64,
) -> Result<FunctionDecision, RemediateError> {
    let mut decision = FunctionDecision {
        function_arn: arn.to_string(),
        outcome: FunctionOutcome::Skipped,
        detail: None,
        findings: Vec::new(),
        actions: Vec::new(),
    };
    if config.self_identity.is_own_function(&arn) {
        decision.detail = Some("own_function: one of lambda-warden's own functions".to_owned());
        info!(function_arn = %arn, outcome = %log_value(&decision.outcome), detail = %log_value(&decision.detail), "function");
        return Ok(decision);
    }
    match remediate(&aws.in_region(&arn.region), config, &arn, cause, now).await {
        Ok(done) => {
            decision.outcome = done.resolution.into();
            decision.detail = done.exempt_reason;
            if let Some(record) = done.record {
                decision.findings = record.findings.iter().map(|f| f.rule_id).collect();
                decision.findings.sort();
                decision.findings.dedup();
                decision.actions = record.actions;
            }
        }
        Err(e) if e.is_retryable() => {
            warn!(function_arn = %arn, error = %e, "evaluation failed; the event will be retried");
            return Err(e);
        }
        Err(e) => {
            decision.outcome = FunctionOutcome::Failed;
            decision.detail = Some(e.to_string());
        }
    }
    info!(
        function_arn = %arn,
        outcome = %log_value(&decision.outcome),
        rule_ids = %log_value(&decision.findings.iter().map(|r| r.as_str()).collect::<Vec<_>>()),
        detail = %log_value(&decision.detail),
        "function"
    );
    Ok(decision)
}

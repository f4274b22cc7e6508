//! LW011 no-failure-destination.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};

declare_rule! {
    /// ## What it flags
    /// A function with neither a dead-letter queue (`DeadLetterConfig.TargetArn`) nor an
    /// on-failure destination in its event invoke configuration
    /// (`GetFunctionEventInvokeConfig`: `DestinationConfig.OnFailure.Destination`). Nothing
    /// is reported while the event invoke configuration is unreadable (LW006 says so).
    ///
    /// ## Why it matters
    /// Asynchronous invocations (S3, SNS, EventBridge, ...) that still fail after Lambda's
    /// retries are dropped silently: the event, and the evidence of the failure, are lost.
    /// Functions invoked only synchronously may disable this rule.
    ///
    /// ## Remediation
    /// Add an on-failure destination (`aws lambda put-function-event-invoke-config
    /// --destination-config '{"OnFailure":{"Destination":"arn:aws:sqs:..."}}'`) or a
    /// dead-letter queue, and allow the execution role to send to it.
    ///
    /// ## Fix safety
    /// `manual`: the destination is a resource a human chooses.
    ///
    /// ## References
    /// - Config `lambda-dlq-check`; Checkov `CKV_AWS_116`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html>
    id: RuleId::LW011,
    slug: "no-failure-destination",
    title: "No dead-letter queue and no on-failure destination",
    severity: Severity::Medium,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "lambda-dlq-check",
    checkov: "CKV_AWS_116",
    prowler: "",
    beyond: "Also accepts an on-failure destination of the event invoke configuration, which the dead-letter-only checks miss.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.configuration() else {
        return Vec::new();
    };
    if c.dead_letter_target_arn
        .as_deref()
        .is_some_and(|t| !t.is_empty())
    {
        return Vec::new();
    }
    let Some(invoke) = cx.snapshot.event_invoke_config.value() else {
        return Vec::new(); // unreadable: LW006
    };
    let on_failure = invoke
        .as_ref()
        .and_then(|i| i.on_failure_destination.as_deref())
        .filter(|d| !d.is_empty());
    if on_failure.is_some() {
        return Vec::new();
    }
    vec![cx.manual_finding(
        &META,
        META.severity,
        None,
        "Failed asynchronous invocations are dropped: no dead-letter queue and no on-failure \
         destination"
            .to_owned(),
        json!({
            "dead_letter_target_arn": null,
            "event_invoke_config": invoke.is_some(),
            "on_failure_destination": null,
        }),
        "Add an on-failure destination (PutFunctionEventInvokeConfig) or a dead-letter queue."
            .to_owned(),
    )]
}

//! LW010 tracing-disabled.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::snapshot::TracingMode;

declare_rule! {
    /// ## What it flags
    /// A function whose `TracingConfig.Mode` is not `Active` (`PassThrough`, the default, or a
    /// value this version does not know).
    ///
    /// ## Why it matters
    /// Without active tracing, Lambda sends X-Ray traces only when the caller asked for
    /// them: an incident investigation loses the request path through the function and the
    /// services it calls.
    ///
    /// ## Remediation
    /// `aws lambda update-function-configuration --tracing-config Mode=Active`, and allow the
    /// execution role `xray:PutTraceSegments` and `xray:PutTelemetryRecords` (the AWS managed
    /// policy `AWSXRayDaemonWriteAccess`).
    ///
    /// ## Fix safety
    /// `manual`: tracing has a cost and needs role permissions.
    ///
    /// ## References
    /// - Security Hub `Lambda.7`; Checkov `CKV_AWS_50`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html>
    id: RuleId::LW010,
    slug: "tracing-disabled",
    title: "Active tracing is off",
    severity: Severity::Low,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "Lambda.7",
    config_rule: "",
    checkov: "CKV_AWS_50",
    prowler: "",
    beyond: "",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.configuration() else {
        return Vec::new();
    };
    match &c.tracing_mode {
        TracingMode::Active => Vec::new(),
        TracingMode::PassThrough | TracingMode::Unknown(_) => vec![cx.manual_finding(
            &META,
            META.severity,
            None,
            format!(
                "Active tracing is off (TracingConfig.Mode {})",
                c.tracing_mode.as_str()
            ),
            json!({ "tracing_mode": c.tracing_mode.as_str() }),
            "Set TracingConfig Mode=Active and allow the execution role to write X-Ray traces."
                .to_owned(),
        )],
    }
}

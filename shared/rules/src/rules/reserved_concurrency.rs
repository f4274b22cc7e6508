//! LW012 no-reserved-concurrency.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};

declare_rule! {
    /// ## What it flags
    /// A function with no reserved concurrency (`GetFunctionConcurrency`'s
    /// `ReservedConcurrentExecutions` absent).
    ///
    /// Off by default: reserved concurrency is carved out of the account's pool, so reserving
    /// it for every function is neither possible nor wise; enable the rule
    /// (`WARDEN_ENABLED_RULES=no-reserved-concurrency`) where every function must have a cap.
    /// A reservation of 0 (the function is throttled entirely) is not flagged.
    ///
    /// ## Why it matters
    /// Without a reservation, one function's burst can use the whole account's concurrency
    /// and throttle every other function (a denial of service of the account), and a
    /// runaway function has no cap on its cost.
    ///
    /// ## Remediation
    /// `aws lambda put-function-concurrency --reserved-concurrent-executions N`.
    ///
    /// ## Fix safety
    /// `manual`: the right number depends on the workload.
    ///
    /// ## References
    /// - Checkov `CKV_AWS_115`; Config `lambda-concurrency-check`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html>
    id: RuleId::LW012,
    slug: "no-reserved-concurrency",
    title: "No reserved concurrency",
    severity: Severity::Low,
    default_on: false,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "lambda-concurrency-check",
    checkov: "CKV_AWS_115",
    prowler: "",
    beyond: "",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.configuration() else {
        return Vec::new();
    };
    if c.reserved_concurrent_executions.is_some() {
        return Vec::new();
    }
    vec![cx.manual_finding(
        &META,
        META.severity,
        None,
        "The function has no reserved concurrency: it can use the whole account's concurrency"
            .to_owned(),
        json!({ "reserved_concurrent_executions": null }),
        "Reserve concurrency for the function (PutFunctionConcurrency).".to_owned(),
    )]
}

//! LW017 required-tags-missing.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};

declare_rule! {
    /// ## What it flags
    /// A function that lacks one or more of the tag keys listed in `WARDEN_REQUIRED_TAGS`
    /// (keys compare case-sensitively, as Lambda's tags do; any value, even empty, counts).
    /// With `WARDEN_REQUIRED_TAGS` empty (the default) the rule reports nothing. One finding
    /// names every missing key.
    ///
    /// ## Why it matters
    /// Ownership, cost and data classification tags are how an incident reaches the right
    /// team and how access policies based on tags (ABAC) decide.
    ///
    /// ## Remediation
    /// `aws lambda tag-resource --resource FUNCTION_ARN --tags KEY=VALUE` for each missing key.
    ///
    /// ## Fix safety
    /// `manual`: the values are known only to the owner.
    ///
    /// ## References
    /// - Security Hub `Lambda.6`; Config `lambda-function-tagged`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html>
    id: RuleId::LW017,
    slug: "required-tags-missing",
    title: "Required tags missing",
    severity: Severity::Low,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "Lambda.6",
    config_rule: "lambda-function-tagged",
    checkov: "",
    prowler: "",
    beyond: "",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let missing: Vec<&String> = cx
        .config
        .required_tags
        .iter()
        .filter(|k| !cx.snapshot.tags.contains_key(*k))
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let list = missing
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    vec![cx.manual_finding(
        &META,
        META.severity,
        None,
        format!("The function lacks required tag(s): {list}"),
        json!({ "missing_tags": missing }),
        format!("Tag the function with {list}."),
    )]
}

//! LW025 unapproved-exemption.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::tags;

declare_rule! {
    /// ## What it flags
    /// A function that carries the `lambda-warden:exempt` tag (any value, even an empty one)
    /// while the state table holds no exemption in force for it. lambda-warden only evaluates a
    /// function that has no recorded exemption, so every evaluated function with the tag is
    /// flagged. An exemption is recorded when an approver (`WARDEN_EXEMPTION_APPROVERS`) sets
    /// the tag, or by `lambda-warden exempt`; a tag set by anyone else, one whose recorded
    /// exemption expired or was revoked, and any tag where no state table is configured,
    /// exempts nothing.
    ///
    /// ## Why it matters
    /// Anyone with `lambda:TagResource` on a function can set a tag. An exemption that its own
    /// developer can grant silences the control it exempts from: the function is evaluated as
    /// if untagged, and this finding says someone tried.
    ///
    /// ## Remediation
    /// Ask an approver to grant the exemption (their `TagResource`, or `lambda-warden exempt
    /// ARN --reason ...`), or remove the tag:
    /// `aws lambda untag-resource --resource FUNCTION_ARN --tag-keys lambda-warden:exempt`.
    ///
    /// ## Fix safety
    /// `manual`: whether the exemption is legitimate is an approver's decision.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html>
    /// - <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_tagging.html>
    id: RuleId::LW025,
    slug: "unapproved-exemption",
    title: "Exemption tag without an approved exemption",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.3.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "",
    beyond: "No peer records who may exempt a resource: their exemption tags are self-service.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(value) = cx.snapshot.tags.get(tags::EXEMPT) else {
        return Vec::new();
    };
    vec![cx.manual_finding(
        &META,
        META.severity,
        None,
        format!(
            "The function is tagged {} but no approver recorded an exemption for it; it is \
             evaluated as if untagged",
            tags::EXEMPT
        ),
        json!({ "tag": tags::EXEMPT, "value_chars": value.chars().count() }),
        "Have an approver grant the exemption, or remove the tag.".to_owned(),
    )]
}

//! LW002 confused-deputy.

use serde_json::json;

use super::public_invoke::record;
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, Fix, FixSafety, Remediation, Severity};
use crate::grant::grant_from_statement;
use crate::policy::VerdictKind;

declare_rule! {
    /// ## What it flags
    /// A statement granting a service principal (`s3.amazonaws.com`, `sns.amazonaws.com`,
    /// `events.amazonaws.com`, ...) with no condition that pins the source resource to a
    /// specific account: no `aws:SourceAccount`, no `aws:SourceArn` naming an account, or only
    /// values that match any account (`*`, an ARN with an empty or wildcard account field, S3
    /// bucket ARNs, which carry no account), or only negated / `IfExists` operators. Values are
    /// checked, not just the presence of a key.
    ///
    /// ## Why it matters
    /// Any other account's bucket, topic or rule can be pointed at the function and drive it:
    /// the confused deputy problem.
    ///
    /// ## Remediation
    /// Add `aws:SourceAccount` (AddPermission's `SourceAccount`) naming the account that owns the
    /// source resource. lambda-warden re-adds the statement under the same `Sid` with
    /// `SourceAccount` set to the function's own account, keeping its `SourceArn`. When the
    /// statement has conditions `AddPermission` cannot write, the fix is withheld (manual).
    /// Alexa skills (`alexa-appkit.amazon.com`, `alexa-connectedhome.amazon.com`) are pinned
    /// with the skill id (`EventSourceToken`), not a source account: for them the fix is manual
    /// (<https://developer.amazon.com/en-US/docs/alexa/custom-skills/host-a-custom-skill-as-an-aws-lambda-function.html>).
    ///
    /// ## Fix safety
    /// `unsafe`: a legitimate source in another account would lose access. Applied in `enforce`
    /// mode only to functions tagged `lambda-warden:auto-fix=true`.
    ///
    /// ## References
    /// - Checkov `CKV_AWS_364` (checks only that a key is present)
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html>
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html>
    id: RuleId::LW002,
    slug: "confused-deputy",
    title: "Service principal not pinned to a source account",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Unsafe,
    since: "0.1.0",
    security_hub: "",
    config_rule: "",
    checkov: "CKV_AWS_364",
    prowler: "",
    beyond: "Checks the value of the pin, not only its presence: an S3 bucket ARN carries no account, so `aws:SourceArn` alone does not pin it; adds the missing `aws:SourceAccount` rather than deleting the grant.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    cx.judged()
        .enumerate()
        .filter_map(|(i, (stmt, v))| match &v.kind {
            VerdictKind::ConfusedDeputy { services } => Some((i, stmt, v, services)),
            _ => None,
        })
        .map(|(i, stmt, v, services)| {
            let original = record(stmt, i);
            let account = cx.snapshot.arn.account.clone();
            let alexa = services.iter().any(|s| s.starts_with("alexa-"));
            let grant = grant_from_statement(stmt, cx.snapshot.arn.qualifier.as_ref());
            let (safety, fix, text) = match grant {
                Ok(_) if alexa => (
                    FixSafety::Manual,
                    Fix::None,
                    format!(
                        "Re-add statement {} with the skill's id as EventSourceToken \
                             (Alexa does not send a source account).",
                        original.sid
                    ),
                ),
                Ok(mut g) => {
                    g.source_account = Some(account.clone());
                    (
                        FixSafety::Unsafe,
                        Fix::ReplaceStatement {
                            original: original.clone(),
                            replacement: Box::new(g),
                        },
                        format!(
                            "Re-add statement {} with SourceAccount {account} (the account \
                                 that owns the source resource).",
                            original.sid
                        ),
                    )
                }
                Err(why) => (
                    FixSafety::Manual,
                    Fix::None,
                    format!(
                        "Add an aws:SourceAccount condition to statement {} by hand: {why}.",
                        original.sid
                    ),
                ),
            };
            Finding {
                rule_id: RuleId::LW002,
                severity: META.severity,
                resource_arn: cx.resource_arn(),
                sid: Some(original.sid.clone()),
                message: format!(
                    "Statement {} lets {} invoke {} on behalf of any account: {}",
                    original.sid,
                    services.join(", "),
                    cx.snapshot.arn.name,
                    v.reason
                ),
                evidence: json!({
                    "statement": stmt.raw(),
                    "services": services,
                    "missing_condition_key": "aws:SourceAccount",
                    "reason": v.reason,
                }),
                remediation: Remediation { safety, fix, text },
            }
        })
        .collect()
}

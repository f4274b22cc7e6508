//! LW018 public-layer-version.

use serde_json::json;

use super::{declare_rule, LayerContext, RuleId};
use crate::findings::{Finding, Fix, FixSafety, Remediation, Severity};
use crate::policy::VerdictKind;

declare_rule! {
    /// ## What it flags
    /// A statement of a layer version's resource-based policy (`GetLayerVersionPolicy`) that
    /// grants everyone: `Principal` `*` with no condition pinning an organization, as
    /// `AddLayerVersionPermission` writes it when called with `Principal=*` and no
    /// `OrganizationId`. Evaluated on `AddLayerVersionPermission` events (with and without
    /// the `20181031` suffix); the statement is judged by the same analysis as function
    /// policies, so a fixed `aws:PrincipalOrgID` pin is not public.
    ///
    /// ## Why it matters
    /// Any AWS account can then download the layer's content (`lambda:GetLayerVersion`) and
    /// use it: code, bundled configuration, and any secret or internal endpoint packed in it.
    ///
    /// ## Remediation
    /// `aws lambda remove-layer-version-permission --layer-name NAME --version-number N
    /// --statement-id SID`, then grant the accounts or the organization that need it
    /// (`--principal ACCOUNT` or `--principal '*' --organization-id o-...`). Layers cannot be
    /// tagged: lambda-warden alerts only.
    ///
    /// ## Fix safety
    /// `manual`: consumers of a published layer would lose access.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/lambda/latest/api/API_AddLayerVersionPermission.html>
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/permissions-layer-cross-account.html>
    id: RuleId::LW018,
    slug: "public-layer-version",
    title: "Layer version shared with everyone",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "",
    beyond: "Not covered by the other tools: reacts to AddLayerVersionPermission and reads the layer version's policy with the same condition analysis as function policies.",
}

pub(crate) fn check(cx: &LayerContext<'_>) -> Vec<Finding> {
    let arn = cx.snapshot.arn.to_string();
    cx.policy
        .judged()
        .enumerate()
        .filter(|(_, (_, v))| v.kind == VerdictKind::Public)
        .map(|(i, (stmt, v))| {
            let sid = stmt.sid.clone().unwrap_or_else(|| format!("#{i}"));
            Finding {
                rule_id: RuleId::LW018,
                severity: META.severity,
                resource_arn: arn.clone(),
                sid: Some(sid.clone()),
                message: format!(
                    "Statement {sid} shares layer version {arn} with everyone: {}",
                    v.reason
                ),
                evidence: json!({ "layer_version_arn": arn, "statement": stmt.raw(), "reason": v.reason }),
                remediation: Remediation {
                    safety: FixSafety::Manual,
                    fix: Fix::None,
                    text: format!(
                        "Remove statement {sid} (RemoveLayerVersionPermission) and grant the \
                         accounts or the organization that need the layer."
                    ),
                },
            }
        })
        .collect()
}

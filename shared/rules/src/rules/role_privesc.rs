//! LW022 execution-role-privilege-escalation.

use serde_json::json;

use super::role::{describe_statement, locator, statement_evidence, ROLE_REMEDIATION_NOTE};
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::policy::identity;

/// Actions that let a principal give itself (or a principal it controls) more permissions
/// when allowed on every resource. Source: Rhino Security Labs, "AWS IAM Privilege
/// Escalation - Methods and Mitigation"
/// (<https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>), the
/// IAM and STS methods and the Lambda code-injection ones; `iam:PassRole` is LW021's.
pub const PRIVILEGE_ESCALATION_ACTIONS: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "sts:AssumeRole",
    "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration",
];

declare_rule! {
    /// ## What it flags
    /// A statement of the execution role's policies that allows, on `Resource` `*`, an
    /// action of the privilege-escalation list: `iam:CreatePolicyVersion`,
    /// `iam:SetDefaultPolicyVersion`, `iam:CreateAccessKey`, `iam:CreateLoginProfile`,
    /// `iam:UpdateLoginProfile`, `iam:AttachUserPolicy`, `iam:AttachGroupPolicy`,
    /// `iam:AttachRolePolicy`, `iam:PutUserPolicy`, `iam:PutGroupPolicy`, `iam:PutRolePolicy`,
    /// `iam:AddUserToGroup`, `iam:UpdateAssumeRolePolicy`, `iam:DeleteRolePermissionsBoundary`,
    /// `iam:DeleteUserPermissionsBoundary`, `sts:AssumeRole`, `lambda:UpdateFunctionCode`,
    /// `lambda:UpdateFunctionConfiguration` (directly or through a pattern such as
    /// `iam:Put*`). One finding per statement lists the actions. `*` and `service:*` are
    /// LW019's and LW020's; an unconditional `Deny` of the action on every resource cancels
    /// it.
    ///
    /// ## Why it matters
    /// Each of these actions lets the function's code widen its own permissions or take
    /// over another principal: attach `AdministratorAccess` to its role, mint access keys for
    /// a user, assume any role that trusts the account, or inject code into a more
    /// privileged function.
    ///
    /// ## Remediation
    /// Remove the actions, or limit them to the specific resources the function manages.
    /// lambda-warden never edits a role: it alerts and tags only.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - Prowler `iam_policy_allows_privilege_escalation`; Checkov `CKV_AWS_286`
    /// - <https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>
    id: RuleId::LW022,
    slug: "execution-role-privilege-escalation",
    title: "Execution role can escalate privileges",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "CKV_AWS_286",
    prowler: "iam_policy_allows_privilege_escalation",
    beyond: "Applied to the role the function actually runs with, across managed and inline policies, with Deny statements taken into account.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(ra) = &cx.role else {
        return Vec::new();
    };
    let denies = ra.denies();
    ra.statements()
        .filter_map(|(p, i, stmt)| {
            let actions: Vec<&str> = PRIVILEGE_ESCALATION_ACTIONS
                .iter()
                .copied()
                .filter(|a| identity::narrow_grant(stmt, a).is_some())
                .filter(|a| !identity::cancelled_by(denies.iter().copied(), a))
                .collect();
            if actions.is_empty() {
                return None;
            }
            Some(cx.manual_finding(
                &META,
                META.severity,
                Some(locator(&p.source, i)),
                format!(
                    "Execution role {}: {} allows privilege escalation on every resource ({})",
                    ra.role.name,
                    describe_statement(&p.source, i, stmt),
                    actions.join(", ")
                ),
                statement_evidence(ra.role, &p.source, i, stmt, json!({ "actions": actions })),
                format!(
                    "Remove {} from {} or limit them to specific resources. \
                     {ROLE_REMEDIATION_NOTE}",
                    actions.join(", "),
                    p.source.describe()
                ),
            ))
        })
        .collect()
}

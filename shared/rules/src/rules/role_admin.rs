//! LW019 execution-role-admin-access.

use serde_json::json;

use super::role::{
    describe_statement, locator, statement_evidence, PolicySource, RoleAnalysis,
    ROLE_REMEDIATION_NOTE,
};
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::policy::identity;

/// AWS managed policies that grant full administrator access by name (reported even when
/// their document could not be read).
pub(crate) const ADMIN_MANAGED_POLICIES: &[&str] = &["AdministratorAccess"];

declare_rule! {
    /// ## What it flags
    /// The function's execution role can do anything: the AWS managed policy
    /// `AdministratorAccess` is attached, or a statement of an attached or inline policy
    /// allows `Action` `*` on `Resource` `*`, or allows everything but a list (`NotAction`)
    /// on every resource (the AWS managed `PowerUserAccess` has that shape). The finding
    /// names the policy (ARN, or inline policy name) and the statement (index and `Sid`).
    ///
    /// An unconditional `Deny` of `*` on `*` in any of the role's policies cancels it;
    /// conditional `Deny` statements, permissions boundaries and service control policies are
    /// not read (see the identity-policy analysis in `policy::identity`).
    ///
    /// ## Why it matters
    /// Code running in the function, or anyone who injects code into it (a dependency, a
    /// layer, a deserialisation bug), holds the account.
    ///
    /// ## Remediation
    /// Replace the policy with one granting only the actions and resources the function
    /// uses (IAM Access Analyzer can generate one from CloudTrail activity). lambda-warden
    /// never detaches or edits a role: it alerts and tags only.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - Security Hub `IAM.1`; Config `iam-policy-no-statements-with-admin-access`; Prowler
    ///   `iam_role_administratoraccess_policy`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege>
    id: RuleId::LW019,
    slug: "execution-role-admin-access",
    title: "Execution role has administrator access",
    severity: Severity::Critical,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "IAM.1",
    config_rule: "iam-policy-no-statements-with-admin-access",
    checkov: "",
    prowler: "iam_role_administratoraccess_policy",
    beyond: "Ties the role to the function that runs with it, reads inline and AWS managed policies alike, treats NotAction on every resource as administrator access, and names the exact policy and statement.",
}

/// Whether the role has administrator access as LW019 judges it (an admin-shaped statement
/// that a function's session can use, or an administrator managed policy attached, with no
/// unconditional `Deny` of everything): LW020 and LW021 then report nothing, since LW019
/// covers them.
pub(crate) fn has_admin_access(ra: &RoleAnalysis<'_>) -> bool {
    if identity::cancelled_by(ra.denies().iter().copied(), "*") {
        return false;
    }
    ra.statements()
        .any(|(_, _, s)| identity::admin_shape(s).is_some())
        || ra
            .role
            .attached
            .value()
            .into_iter()
            .flatten()
            .any(|p| p.is_aws_managed() && ADMIN_MANAGED_POLICIES.contains(&p.name.as_str()))
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(ra) = &cx.role else {
        return Vec::new();
    };
    if !has_admin_access(ra) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (p, i, stmt) in ra.statements() {
        let Some(shape) = identity::admin_shape(stmt) else {
            continue;
        };
        out.push(cx.manual_finding(
            &META,
            META.severity,
            Some(locator(&p.source, i)),
            format!(
                "Execution role {} has administrator access: {} allows {shape}",
                ra.role.name,
                describe_statement(&p.source, i, stmt)
            ),
            statement_evidence(ra.role, &p.source, i, stmt, json!({ "shape": shape })),
            format!(
                "Replace {} with a least-privilege policy. {ROLE_REMEDIATION_NOTE}",
                p.source.describe()
            ),
        ));
    }
    for p in ra.role.attached.value().into_iter().flatten() {
        let named = p.is_aws_managed() && ADMIN_MANAGED_POLICIES.contains(&p.name.as_str());
        let label = PolicySource::Managed(p).label();
        let reported = out.iter().any(|f| {
            f.sid
                .as_deref()
                .is_some_and(|s| s.starts_with(&format!("{label}#")))
        });
        if named && !reported {
            out.push(cx.manual_finding(
                &META,
                META.severity,
                Some(label),
                format!(
                    "Execution role {} has the AWS managed policy {} attached",
                    ra.role.name, p.name
                ),
                json!({ "role_arn": ra.role.arn, "policy_arn": p.arn, "policy_name": p.name }),
                format!(
                    "Detach {} and grant only what the function uses. {ROLE_REMEDIATION_NOTE}",
                    p.arn
                ),
            ));
        }
    }
    out
}

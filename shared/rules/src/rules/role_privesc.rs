//! LW022 execution-role-privilege-escalation.

use serde_json::{json, Value};

use super::role::RoleAnalysis;
use super::role::{describe_statement, locator, ROLE_REMEDIATION_NOTE};
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::policy::escalation::{self, Found, RoleContext, PATHS};
use crate::policy::ResourcePolicy;

declare_rule! {
    /// ## What it flags
    /// A documented privilege-escalation path that the execution role's policies allow
    /// together: every request of the path (e.g. `iam:PassRole` to `lambda.amazonaws.com`,
    /// `lambda:CreateFunction` and `lambda:InvokeFunction`) granted by some statement of the
    /// role's managed or inline policies, whether the grants sit in one statement, one policy
    /// or several, and through any pattern (`iam:*`, `iam:Put*`, `lambda:*`, `NotAction`).
    /// One finding per path, naming the path and every policy and statement that grants a
    /// part of it; a role that opens every path (administrator access) gets one finding,
    /// `path/*`. The paths (Rhino Security Labs' methods, Bishop Fox's additions and the
    /// service documentation) are listed below.
    ///
    /// Judged the way IAM authorises the function's own calls: a `Deny` in any of the role's
    /// policies removes a request when it covers the action and resource and its conditions
    /// hold for every Lambda session (no condition, or "deny unless MFA": a function's
    /// credentials never carry MFA); an `Allow` whose conditions cannot hold for a Lambda
    /// session (`aws:MultiFactorAuthPresent` true, `iam:PassedToService` of another service)
    /// grants nothing; `iam:PassRole` on named roles only is not a path. Conditions the
    /// request context does not decide (source IP, tags) count as met.
    ///
    /// ## Why it matters
    /// Each path lets the function's code, or whoever compromises it or its dependencies, gain
    /// permissions the role does not have: attach `AdministratorAccess` to its own role, mint
    /// access keys for a user, run code as a more privileged role through Lambda, EC2, Glue,
    /// CloudFormation, SageMaker, ECS, CodeBuild or Step Functions, or inject code into a
    /// function with a more privileged role.
    ///
    /// ## Remediation
    /// Remove the actions of the path, limit them to the specific resources the function
    /// manages, or limit `iam:PassRole` to named roles with an `iam:PassedToService`
    /// condition. lambda-warden never edits a role: it alerts and tags only.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - Prowler `iam_policy_allows_privilege_escalation`; Checkov `CKV_AWS_286`
    /// - <https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>
    /// - <https://bishopfox.com/blog/privilege-escalation-in-aws>
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
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
    beyond: "Applied to the role the function actually runs with: paths whose halves sit in different statements or policies, hidden in broad grants and NotAction, with Deny statements and Lambda-session conditions (MFA, iam:PassedToService) evaluated.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(ra) = &cx.role else {
        return Vec::new();
    };
    let policies: Vec<&ResourcePolicy> = ra.policies.iter().map(|p| &p.policy).collect();
    let attached: Vec<&str> = ra
        .role
        .attached
        .value()
        .into_iter()
        .flatten()
        .filter(|p| !p.is_aws_managed())
        .map(|p| p.arn.as_str())
        .collect();
    let role = RoleContext {
        role_arn: &ra.role.arn,
        attached_customer_policies: &attached,
    };
    let found = escalation::find(&policies, &role);
    if found.len() == PATHS.len() {
        return vec![every_path_open(cx, ra, &found)];
    }
    found
        .into_iter()
        .map(|found| {
            let parts: Vec<String> = found
                .grants
                .iter()
                .map(|g| {
                    let p = &ra.policies[g.policy];
                    let stmt = &p.policy.statements[g.statement];
                    format!(
                        "{} on {} by {}",
                        g.action,
                        g.resource,
                        describe_statement(&p.source, g.statement, stmt)
                    )
                })
                .collect();
            let grants: Vec<Value> = found
                .grants
                .iter()
                .map(|g| {
                    let p = &ra.policies[g.policy];
                    let stmt = &p.policy.statements[g.statement];
                    let mut ev = json!({
                        "action": g.action,
                        "resource": g.resource,
                        "locator": locator(&p.source, g.statement),
                        "statement_index": g.statement,
                        "statement_sid": stmt.sid,
                        "statement": stmt.raw(),
                    });
                    if let (Some(obj), Value::Object(src)) =
                        (ev.as_object_mut(), p.source.evidence())
                    {
                        obj.extend(src);
                    }
                    ev
                })
                .collect();
            let mut policies_named: Vec<String> = found
                .grants
                .iter()
                .map(|g| ra.policies[g.policy].source.describe())
                .collect();
            policies_named.dedup();
            let actions: Vec<&str> = found.grants.iter().map(|g| g.action).collect();
            cx.manual_finding(
                &META,
                META.severity,
                Some(format!("path/{}", found.path.name)),
                format!(
                    "Execution role {} can escalate privileges by {}: {} ({})",
                    ra.role.name,
                    found.path.name,
                    found.path.how,
                    parts.join("; ")
                ),
                json!({
                    "role_arn": ra.role.arn,
                    "path": found.path.name,
                    "how": found.path.how,
                    "source": found.path.source,
                    "grants": grants,
                }),
                format!(
                    "Remove {} from {}, or limit them to the resources the function needs \
                     (iam:PassRole to named roles with iam:PassedToService). \
                     {ROLE_REMEDIATION_NOTE}",
                    actions.join(" + "),
                    policies_named.join(" and ")
                ),
            )
        })
        .collect()
}

/// The one finding for a role whose policies open every path (administrator access): one per
/// path would repeat the same statements dozens of times.
fn every_path_open(cx: &Context<'_>, ra: &RoleAnalysis<'_>, found: &[Found]) -> Finding {
    let mut statements: Vec<(usize, usize)> = found
        .iter()
        .flat_map(|f| f.grants.iter().map(|g| (g.policy, g.statement)))
        .collect();
    statements.sort_unstable();
    statements.dedup();
    let described: Vec<String> = statements
        .iter()
        .map(|&(p, i)| {
            let policy = &ra.policies[p];
            describe_statement(&policy.source, i, &policy.policy.statements[i])
        })
        .collect();
    let locators: Vec<String> = statements
        .iter()
        .map(|&(p, i)| locator(&ra.policies[p].source, i))
        .collect();
    cx.manual_finding(
        &META,
        META.severity,
        Some("path/*".to_owned()),
        format!(
            "Execution role {} can escalate privileges by every one of the {} documented paths ({})",
            ra.role.name,
            found.len(),
            described.join("; ")
        ),
        json!({
            "role_arn": ra.role.arn,
            "paths": found.iter().map(|f| f.path.name).collect::<Vec<_>>(),
            "statements": locators,
        }),
        format!(
            "Replace the administrator access of {} with the actions the function needs. \
             {ROLE_REMEDIATION_NOTE}",
            described.join(" and ")
        ),
    )
}

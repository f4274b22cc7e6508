//! LW021 execution-role-passrole-wildcard.

use serde_json::json;

use super::role::{describe_statement, locator, statement_evidence, ROLE_REMEDIATION_NOTE};
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::policy::identity;

declare_rule! {
    /// ## What it flags
    /// A statement of the execution role's policies that allows `iam:PassRole` (directly or
    /// through a pattern such as `iam:Pass*`) on `Resource` `*`, or on a pattern that matches
    /// every role of the account (`arn:aws:iam::*:role/*`). Statements allowing `*` or
    /// `iam:*` are reported by LW019 and LW020 instead. An unconditional `Deny` of
    /// `iam:PassRole` on every role cancels it, and so does administrator access (LW019
    /// reports that); an `Allow` that needs MFA grants a function nothing. Conditions such as `iam:PassedToService`
    /// are not evaluated; they appear in the evidence.
    ///
    /// ## Why it matters
    /// Passing any role lets the function hand a more privileged role to a service it can
    /// drive (a new Lambda function, an EC2 instance, a Glue job) and act with that role's
    /// permissions: privilege escalation.
    ///
    /// ## Remediation
    /// Limit `iam:PassRole` to the ARNs of the roles the function must pass, with an
    /// `iam:PassedToService` condition. lambda-warden never edits a role: it alerts and tags
    /// only.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html>
    /// - <https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>
    id: RuleId::LW021,
    slug: "execution-role-passrole-wildcard",
    title: "Execution role can pass any role",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "",
    beyond: "Not a separate check in the other tools' Lambda sets: reads the function's execution role for iam:PassRole on every resource.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(ra) = &cx.role else {
        return Vec::new();
    };
    if super::role_admin::has_admin_access(ra) {
        return Vec::new(); // LW019 reports it
    }
    let denies = ra.denies();
    let every_role = every_role_of(&ra.role.arn);
    if identity::cancelled_on(denies.iter().copied(), "iam:PassRole", &every_role) {
        return Vec::new();
    }
    ra.statements()
        .filter_map(|(p, i, stmt)| {
            let pattern = identity::passrole_grant(stmt, &every_role)?;
            Some(cx.manual_finding(
                &META,
                META.severity,
                Some(locator(&p.source, i)),
                format!(
                    "Execution role {}: {} allows {pattern} on every resource",
                    ra.role.name,
                    describe_statement(&p.source, i, stmt)
                ),
                statement_evidence(ra.role, &p.source, i, stmt, json!({ "action": pattern })),
                format!(
                    "Limit iam:PassRole in {} to the roles the function passes. \
                     {ROLE_REMEDIATION_NOTE}",
                    p.source.describe()
                ),
            ))
        })
        .collect()
}

/// `arn:PARTITION:iam::ACCOUNT:role/*` for the account of `role_arn`: every role there
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>).
/// `*` when the ARN is not a role ARN.
fn every_role_of(role_arn: &str) -> String {
    role_arn
        .split_once(":role/")
        .map_or_else(|| "*".to_owned(), |(head, _)| format!("{head}:role/*"))
}

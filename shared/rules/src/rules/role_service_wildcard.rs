//! LW020 execution-role-service-wildcard.

use serde_json::json;

use super::role::{
    describe_statement, locator, statement_evidence, PolicySource, ROLE_REMEDIATION_NOTE,
};
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::policy::identity;

/// Whether an AWS managed policy grants full access to a service (or nearly all services) by
/// its name: `PowerUserAccess`, `IAMFullAccess`, and every AWS managed policy whose name ends
/// in `FullAccess` (`AmazonS3FullAccess`, `AmazonDynamoDBFullAccess`, `AWSLambda_FullAccess`,
/// ...) (<https://docs.aws.amazon.com/aws-managed-policy/latest/reference/policy-list.html>).
pub(crate) fn is_full_access_managed_policy(name: &str) -> bool {
    name == "PowerUserAccess" || name.ends_with("FullAccess")
}

declare_rule! {
    /// ## What it flags
    /// A statement of the execution role's policies that allows a whole service
    /// (`service:*`, e.g. `s3:*`, `iam:*`, `dynamodb:*`) on `Resource` `*`, and AWS managed
    /// full-access policies attached to the role: `PowerUserAccess`, `IAMFullAccess` and
    /// every AWS managed policy named `...FullAccess`. A policy's document decides when it
    /// was read (`PowerUserAccess` is then reported as administrator access, LW019, for its
    /// `NotAction`); the name decides when no statement of it was reported. Statements with
    /// `Action` `*` are LW019's, and a role with administrator access (LW019) gets no LW020.
    /// An unconditional `Deny` of the service (or of `*`) on every resource cancels it; a
    /// `Deny` with `NotAction` cancels it only when none of the actions it leaves out is in
    /// the service. An `Allow` that needs MFA grants a function nothing (its credentials never
    /// carry MFA).
    ///
    /// ## Why it matters
    /// `iam:*` is administrator access in two steps; `s3:*` on `*` reads and deletes every
    /// bucket of the account; a function rarely needs more than a few actions on a few
    /// resources.
    ///
    /// ## Remediation
    /// Grant the actions the function calls, on the resources it uses. lambda-warden never
    /// detaches or edits a role: it alerts and tags only.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - Security Hub `IAM.21`; Config `iam-policy-no-statements-with-full-access`
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege>
    id: RuleId::LW020,
    slug: "execution-role-service-wildcard",
    title: "Execution role allows whole services on every resource",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "IAM.21",
    config_rule: "iam-policy-no-statements-with-full-access",
    checkov: "",
    prowler: "",
    beyond: "Checks the function's own execution role, including inline and AWS managed full-access policies, and names the exact statement.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(ra) = &cx.role else {
        return Vec::new();
    };
    if super::role_admin::has_admin_access(ra) {
        return Vec::new(); // LW019 reports it
    }
    let denies = ra.denies();
    let mut out = Vec::new();
    for (p, i, stmt) in ra.statements() {
        if identity::admin_shape(stmt).is_some() {
            continue;
        }
        let services: Vec<String> = identity::service_wildcards(stmt)
            .into_iter()
            .filter(|s| !identity::cancelled_by(denies.iter().copied(), s))
            .collect();
        if services.is_empty() {
            continue;
        }
        out.push(cx.manual_finding(
            &META,
            META.severity,
            Some(locator(&p.source, i)),
            format!(
                "Execution role {}: {} allows {} on every resource",
                ra.role.name,
                describe_statement(&p.source, i, stmt),
                services.join(", ")
            ),
            statement_evidence(
                ra.role,
                &p.source,
                i,
                stmt,
                json!({ "service_wildcards": services }),
            ),
            format!(
                "Narrow {} to the actions and resources the function uses. {ROLE_REMEDIATION_NOTE}",
                p.source.describe()
            ),
        ));
    }
    for p in ra.role.attached.value().into_iter().flatten() {
        if !(p.is_aws_managed() && is_full_access_managed_policy(&p.name)) {
            continue;
        }
        let label = PolicySource::Managed(p).label();
        let prefix = format!("{label}#");
        let admin_reported = ra.policies.iter().any(|rp| {
            matches!(rp.source, PolicySource::Managed(m) if m.arn == p.arn)
                && rp
                    .policy
                    .statements
                    .iter()
                    .any(|s| identity::admin_shape(s).is_some())
        });
        let reported = out
            .iter()
            .any(|f| f.sid.as_deref().is_some_and(|s| s.starts_with(&prefix)));
        if reported || admin_reported {
            continue;
        }
        out.push(cx.manual_finding(
            &META,
            META.severity,
            Some(label),
            format!(
                "Execution role {} has the AWS managed full-access policy {} attached",
                ra.role.name, p.name
            ),
            json!({ "role_arn": ra.role.arn, "policy_arn": p.arn, "policy_name": p.name }),
            format!(
                "Detach {} and grant only what the function uses. {ROLE_REMEDIATION_NOTE}",
                p.arn
            ),
        ));
    }
    out
}

//! LW023 execution-role-untrusted-trust.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::policy::{identity, verdict, Principal, Statement, TrustContext, VerdictKind};

/// The service principals a Lambda execution role is meant to trust: Lambda, and Lambda@Edge
/// for functions replicated to CloudFront
/// (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>,
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-permissions.html>).
pub(crate) const LAMBDA_SERVICES: &[&str] = &["lambda.amazonaws.com", "edgelambda.amazonaws.com"];

/// Whether a trust policy statement lets its principals assume the role.
pub(crate) fn grants_assume(s: &Statement) -> bool {
    identity::is_allow(s)
        && [
            "sts:AssumeRole",
            "sts:AssumeRoleWithWebIdentity",
            "sts:AssumeRoleWithSAML",
        ]
        .iter()
        .any(|a| s.allows_action(a))
}

/// The principals of `s` other than the Lambda services, as written (`*` for everyone,
/// `NotPrincipal` for a statement that uses it).
pub(crate) fn other_principals(s: &Statement) -> Vec<String> {
    if s.not_principal.is_some() || s.principal.is_none() {
        return vec!["* (NotPrincipal or no Principal)".to_owned()];
    }
    match &s.principal {
        Some(Principal::Wildcard) => vec!["*".to_owned()],
        Some(Principal::Map(m)) => m
            .aws
            .iter()
            .chain(&m.federated)
            .chain(&m.canonical_user)
            .cloned()
            .chain(
                m.service
                    .iter()
                    .filter(|svc| !LAMBDA_SERVICES.contains(&svc.to_ascii_lowercase().as_str()))
                    .cloned(),
            )
            .chain(
                m.other
                    .iter()
                    .flat_map(|(k, vs)| vs.iter().map(move |v| format!("{k}:{v}"))),
            )
            .collect(),
        None => Vec::new(),
    }
}

declare_rule! {
    /// ## What it flags
    /// A trust policy (`AssumeRolePolicyDocument`) statement of the execution role that lets
    /// a principal other than `lambda.amazonaws.com` (or `edgelambda.amazonaws.com`, for
    /// Lambda@Edge) assume the role: an AWS account or role, another service, a federated
    /// identity provider, `*`. CRITICAL when the statement lets anyone assume it (the
    /// resource-policy analysis finds it public: `*` without a pinning condition); HIGH
    /// otherwise, even for the function's own account, since every principal of that account
    /// allowed `sts:AssumeRole` then gets the function's permissions. `Deny` statements in
    /// the trust policy are not taken into account.
    ///
    /// ## Why it matters
    /// Whoever can assume the execution role acts with the function's permissions, outside
    /// the function, without deploying anything.
    ///
    /// ## Remediation
    /// Trust only `lambda.amazonaws.com` in the execution role; give other principals their
    /// own roles. lambda-warden never edits a role: it alerts and tags only.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy>
    id: RuleId::LW023,
    slug: "execution-role-untrusted-trust",
    title: "Execution role trusts principals other than Lambda",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "",
    beyond: "Not covered by the other tools: reads the execution role's trust policy with the same principal and condition analysis as function policies.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(ra) = &cx.role else {
        return Vec::new();
    };
    let Ok(trust) = &ra.trust else {
        return Vec::new(); // LW006 reports the parse error
    };
    let ctx = TrustContext::new(cx.snapshot.arn.account.clone());
    trust
        .statements
        .iter()
        .enumerate()
        .filter(|(_, s)| grants_assume(s))
        .filter_map(|(i, s)| {
            let others = other_principals(s);
            if others.is_empty() {
                return None;
            }
            let v = verdict(s, &ctx);
            let severity = if v.kind == VerdictKind::Public {
                Severity::Critical
            } else {
                META.severity
            };
            let label = match &s.sid {
                Some(sid) => format!("statement {i} (Sid {sid:?})"),
                None => format!("statement {i}"),
            };
            Some(cx.manual_finding(
                &META,
                severity,
                Some(format!("trust#{i}")),
                format!(
                    "Execution role {}: trust policy {label} lets {} assume the role",
                    ra.role.name,
                    others.join(", ")
                ),
                json!({
                    "role_arn": ra.role.arn,
                    "statement_index": i,
                    "statement_sid": s.sid,
                    "statement": s.raw(),
                    "principals": others,
                    "verdict": v.kind.as_str(),
                    "reason": v.reason,
                }),
                format!(
                    "Remove {} from the trust policy of {}; trust only lambda.amazonaws.com. \
                     {}",
                    others.join(", "),
                    ra.role.arn,
                    super::role::ROLE_REMEDIATION_NOTE
                ),
            ))
        })
        .collect()
}

//! LW024 execution-role-trust-no-source-account.

use serde_json::json;

use super::role_trust::{grants_assume, LAMBDA_SERVICES};
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::policy::{verdict, Principal, PrincipalMap, TrustContext, VerdictKind};

declare_rule! {
    /// ## What it flags
    /// A trust policy statement that lets `lambda.amazonaws.com` assume the execution role
    /// without a condition pinning the calling account (`aws:SourceAccount`, or an
    /// `aws:SourceArn` naming the function's account, with a fixed value; a wildcard value
    /// pins nothing). INFORMATIONAL: it neither makes the function non-compliant nor alerts
    /// under the default threshold.
    ///
    /// ## Why it matters
    /// AWS recommends the source pins in service trust policies against the confused deputy;
    /// for Lambda only functions of the role's own account can use the role (`iam:PassRole`
    /// in that account is needed), so the risk is low, and the pin is defence in depth.
    ///
    /// ## Remediation
    /// Add `"Condition": {"StringEquals": {"aws:SourceAccount": "ACCOUNT"}}` to the trust
    /// statement. lambda-warden never edits a role.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html>
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>
    id: RuleId::LW024,
    slug: "execution-role-trust-no-source-account",
    title: "Execution role trust policy does not pin the source account",
    severity: Severity::Informational,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "",
    beyond: "Not covered by the other tools; checks the value of the pin, not only its presence.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(ra) = &cx.role else {
        return Vec::new();
    };
    let Ok(trust) = &ra.trust else {
        return Vec::new();
    };
    let ctx = TrustContext::new(cx.snapshot.arn.account.clone());
    trust
        .statements
        .iter()
        .enumerate()
        .filter(|(_, s)| grants_assume(s))
        .filter_map(|(i, s)| {
            let lambda: Vec<String> = match &s.principal {
                Some(Principal::Map(m)) => m
                    .service
                    .iter()
                    .filter(|svc| LAMBDA_SERVICES.contains(&svc.to_ascii_lowercase().as_str()))
                    .cloned()
                    .collect(),
                Some(Principal::Wildcard) | None => Vec::new(),
            };
            if lambda.is_empty() {
                return None;
            }
            // Judge the Lambda part alone: the other principals are LW023's.
            let mut only_lambda = s.clone();
            only_lambda.principal = Some(Principal::Map(PrincipalMap {
                service: lambda.clone(),
                ..PrincipalMap::default()
            }));
            let v = verdict(&only_lambda, &ctx);
            matches!(v.kind, VerdictKind::ConfusedDeputy { .. }).then(|| {
                cx.manual_finding(
                    &META,
                    META.severity,
                    Some(format!("trust#{i}")),
                    format!(
                        "Execution role {}: trust policy statement {i} lets {} assume the role \
                         without an aws:SourceAccount pin",
                        ra.role.name,
                        lambda.join(", ")
                    ),
                    json!({
                        "role_arn": ra.role.arn,
                        "statement_index": i,
                        "statement_sid": s.sid,
                        "statement": s.raw(),
                        "reason": v.reason,
                    }),
                    format!(
                        "Add a StringEquals aws:SourceAccount = {} condition to the trust \
                         statement.",
                        cx.snapshot.arn.account
                    ),
                )
            })
        })
        .collect()
}

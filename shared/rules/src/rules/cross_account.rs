//! LW003 untrusted-cross-account.

use serde_json::json;

use super::public_invoke::record;
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, Fix, FixSafety, Remediation, Severity};
use crate::policy::VerdictKind;

declare_rule! {
    /// ## What it flags
    /// A statement that grants an account that is neither the function's own account, nor one
    /// of `WARDEN_TRUSTED_ACCOUNTS`, nor inside `WARDEN_ORGANIZATION_ID`: an AWS principal in
    /// another account, or a service principal or `*` pinned to another account.
    ///
    /// ## Why it matters
    /// Another account's principals can invoke the function. That may be intended (a partner
    /// account), but it should be a decision written down in configuration.
    ///
    /// ## Remediation
    /// Remove the statement, or add the account to `WARDEN_TRUSTED_ACCOUNTS` if the access is
    /// intended.
    ///
    /// ## Fix safety
    /// `manual`: lambda-warden cannot know whether the partner is legitimate; it alerts and tags.
    ///
    /// ## References
    /// - Prowler `awslambda_function_not_publicly_accessible` (cross-account part)
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html>
    id: RuleId::LW003,
    slug: "untrusted-cross-account",
    title: "Resource-based policy grants an untrusted account",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.1.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "awslambda_function_not_publicly_accessible",
    beyond: "Tells a named foreign account from the public, against the configured trusted accounts and organization.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    cx.judged()
        .enumerate()
        .filter_map(|(i, (stmt, v))| match &v.kind {
            VerdictKind::CrossAccount { accounts } => Some((i, stmt, v, accounts)),
            _ => None,
        })
        .map(|(i, stmt, v, accounts)| {
            let original = record(stmt, i);
            Finding {
                rule_id: RuleId::LW003,
                severity: META.severity,
                resource_arn: cx.resource_arn(),
                sid: Some(original.sid.clone()),
                message: format!(
                    "Statement {} grants untrusted account(s) {}: {}",
                    original.sid,
                    accounts.join(", "),
                    v.reason
                ),
                evidence: json!({ "statement": stmt.raw, "accounts": accounts, "reason": v.reason }),
                remediation: Remediation {
                    safety: FixSafety::Manual,
                    fix: Fix::None,
                    text: format!(
                        "Remove statement {}, or add {} to WARDEN_TRUSTED_ACCOUNTS if the access \
                         is intended.",
                        original.sid,
                        accounts.join(",")
                    ),
                },
            }
        })
        .collect()
}

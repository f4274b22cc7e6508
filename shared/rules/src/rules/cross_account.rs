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
    /// Remove the statement, or, if the access is intended, add the account to
    /// `WARDEN_TRUSTED_ACCOUNTS` (12-digit ids only) or set `WARDEN_ORGANIZATION_ID` to the
    /// organization it names.
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
                evidence: json!({ "statement": stmt.raw(), "accounts": accounts, "reason": v.reason }),
                remediation: Remediation {
                    safety: FixSafety::Manual,
                    fix: Fix::None,
                    text: remediation(&original.sid, accounts),
                },
            }
        })
        .collect()
}

/// The remediation of a grant to `accounts`: each kind of value named with the setting that
/// trusts it. `WARDEN_TRUSTED_ACCOUNTS` takes 12-digit account ids only (anything else stops
/// the function at start-up), an organization id (`o-...`) goes to `WARDEN_ORGANIZATION_ID`;
/// an organization path or other value can only be reviewed.
fn remediation(sid: &str, accounts: &[String]) -> String {
    let is_account = |a: &String| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    let (ids, rest): (Vec<&String>, Vec<&String>) = accounts.iter().partition(|a| is_account(a));
    let (orgs, other): (Vec<&String>, Vec<&String>) = rest
        .into_iter()
        .partition(|a| a.starts_with("o-") && !a.contains('/'));
    let join = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",");
    let mut ways = Vec::new();
    if !ids.is_empty() {
        ways.push(format!("add {} to WARDEN_TRUSTED_ACCOUNTS", join(&ids)));
    }
    if !orgs.is_empty() {
        ways.push(format!("set WARDEN_ORGANIZATION_ID to {}", join(&orgs)));
    }
    let mut text = format!("Remove statement {sid}");
    if !ways.is_empty() {
        text.push_str(&format!(
            ", or {} if the access is intended",
            ways.join(" and ")
        ));
    }
    if !other.is_empty() {
        text.push_str(&format!(
            "; {} is not an account or organization id lambda-warden can trust: review it",
            join(&other)
        ));
    }
    text.push('.');
    text
}

#[cfg(test)]
mod tests {
    use super::remediation;

    #[test]
    fn each_value_is_named_with_the_setting_that_trusts_it() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            remediation("a", &v(&["444455556666"])),
            "Remove statement a, or add 444455556666 to WARDEN_TRUSTED_ACCOUNTS if the access is intended."
        );
        assert_eq!(
            remediation("a", &v(&["o-abc123def4"])),
            "Remove statement a, or set WARDEN_ORGANIZATION_ID to o-abc123def4 if the access is intended."
        );
        let mixed = remediation(
            "a",
            &v(&[
                "444455556666",
                "o-abc123def4",
                "o-abc123def4/r-ab12/ou-ab12-11111111",
            ]),
        );
        assert!(
            mixed.contains("WARDEN_TRUSTED_ACCOUNTS")
                && mixed.contains("WARDEN_ORGANIZATION_ID to o-abc123def4 "),
            "{mixed}"
        );
        assert!(mixed.contains("review it"), "{mixed}");
        assert!(!mixed.contains("444455556666,o-"), "{mixed}");
    }
}

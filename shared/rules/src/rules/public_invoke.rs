//! LW001 public-invoke.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, Fix, FixSafety, Remediation, Severity, StatementRecord};
use crate::grant::grant_from_statement;
use crate::policy::{Statement, VerdictKind};

declare_rule! {
    /// ## What it flags
    /// A resource-based policy statement that lets anyone invoke or manage the function:
    /// `Principal` `"*"`, `{"AWS": "*"}`, an ARN with a wildcard account, or `NotPrincipal`
    /// in an `Allow`, with no condition that pins the caller to known accounts or the
    /// configured organization. Statements scoped to a function URL with
    /// `lambda:FunctionUrlAuthType` `NONE` (or `lambda:InvokedViaFunctionUrl`) are left to
    /// LW004, which judges them together with the URL's auth type. A statement scoped to
    /// `AWS_IAM` URL auth with `Principal` `"*"` still admits every AWS account and is
    /// flagged here at `HIGH`.
    ///
    /// A `Principal` `"*"` limited only by network conditions (`IpAddress aws:SourceIp` with a
    /// bounded range, `aws:SourceVpc`, `aws:SourceVpce` with fixed ids) restricts where a
    /// caller is, not who it is: it is `network_restricted`, reported here at `MEDIUM` and
    /// never fixed automatically. `0.0.0.0/0`, `::/0` and wildcard endpoint ids admit any
    /// network and stay public. This follows IAM Access Analyzer's definition of public
    /// access (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-concepts.html#what-is-public>).
    ///
    /// ## Why it matters
    /// Anyone who knows the function's ARN can run it, with its execution role's permissions,
    /// at the owner's cost.
    ///
    /// ## Remediation
    /// Remove the statement, or name the accounts, organization or service that should invoke
    /// the function. When `WARDEN_ORGANIZATION_ID` is set the statement is re-added pinned to
    /// that organization (`aws:PrincipalOrgID`); otherwise it is removed. The removed statement
    /// is recorded verbatim in the audit record and the alert.
    ///
    /// ## Fix safety
    /// `unsafe`: callers outside the organization lose access. Applied in `enforce` mode only to
    /// functions tagged `lambda-warden:auto-fix=true`.
    ///
    /// ## References
    /// - AWS Security Hub Lambda.1 (Lambda function policies should prohibit public access)
    /// - Prowler `awslambda_function_not_publicly_accessible`; Checkov `CKV_AWS_301`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html>
    id: RuleId::LW001,
    slug: "public-invoke",
    title: "Resource-based policy lets anyone invoke the function",
    severity: Severity::Critical,
    default_on: true,
    fix: FixSafety::Unsafe,
    since: "0.1.0",
    security_hub: "Lambda.1",
    config_rule: "lambda-function-public-access-prohibited",
    checkov: "CKV_AWS_301",
    prowler: "awslambda_function_not_publicly_accessible",
    beyond: "Reads the conditions: a `*` pinned by a fixed `aws:SourceAccount` or `aws:PrincipalOrgID` value is not public, and a wildcard value pins nothing; re-pins to the organization instead of deleting.",
}

/// Whether the statement only concerns calls through a function URL with auth `NONE`.
pub(crate) fn url_scoped(stmt: &Statement) -> bool {
    stmt.function_url_auth_type()
        .is_some_and(|t| t.eq_ignore_ascii_case("NONE"))
        || stmt.invoked_via_function_url()
}

pub(crate) fn record(stmt: &Statement, index: usize) -> StatementRecord {
    StatementRecord {
        sid: stmt.sid.clone().unwrap_or_else(|| format!("#{index}")),
        statement: stmt.raw().clone(),
    }
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = public(cx);
    out.extend(network_restricted(cx));
    out
}

/// `Principal "*"` limited only by network conditions: MEDIUM, never fixed automatically.
fn network_restricted(cx: &Context<'_>) -> Vec<Finding> {
    cx.judged()
        .enumerate()
        .filter(|(_, (stmt, _))| !url_scoped(stmt))
        .filter_map(|(i, (stmt, v))| match &v.kind {
            VerdictKind::NetworkRestricted { networks } => Some((i, stmt, v, networks)),
            _ => None,
        })
        .map(|(i, stmt, v, networks)| {
            let original = record(stmt, i);
            cx.manual_finding(
                &META,
                Severity::Medium,
                Some(original.sid.clone()),
                format!(
                    "Statement {} lets any account's principals invoke {} from {}: {}",
                    original.sid,
                    cx.snapshot.arn.name,
                    networks.join(", "),
                    v.reason
                ),
                json!({
                    "statement": stmt.raw(),
                    "verdict": "network_restricted",
                    "networks": networks,
                    "reason": v.reason,
                }),
                format!(
                    "Statement {} restricts where callers are, not who they are: name the \
                     accounts or organization that should invoke the function (a Principal, \
                     or aws:PrincipalOrgID) besides the network condition.",
                    original.sid
                ),
            )
        })
        .collect()
}

fn public(cx: &Context<'_>) -> Vec<Finding> {
    cx.judged()
        .enumerate()
        .filter(|(_, (stmt, v))| v.kind == VerdictKind::Public && !url_scoped(stmt))
        .map(|(i, (stmt, v))| {
            let iam_url = stmt
                .function_url_auth_type()
                .is_some_and(|t| t.eq_ignore_ascii_case("AWS_IAM"));
            let original = record(stmt, i);
            let (fix, text) = match &cx.trust.organization_id {
                // Lambda removes a statement only by its Sid (RemovePermission StatementId).
                _ if stmt.sid.is_none() => (
                    Fix::None,
                    format!(
                        "Statement {} has no Sid, so RemovePermission cannot remove it: \
                         rewrite the policy by hand.",
                        original.sid
                    ),
                ),
                Some(org) => match grant_from_statement(stmt, cx.snapshot.arn.qualifier.as_ref()) {
                    Ok(mut g) => {
                        g.principal = "*".to_owned();
                        g.principal_org_id = Some(org.clone());
                        (
                            Fix::ReplaceStatement {
                                original: original.clone(),
                                replacement: Box::new(g),
                            },
                            format!(
                                "Re-add statement {} pinned to organization {org} \
                                 (aws:PrincipalOrgID), or remove it.",
                                original.sid
                            ),
                        )
                    }
                    Err(why) => (
                        Fix::RemoveStatement {
                            original: original.clone(),
                        },
                        format!(
                            "Remove statement {} ({why}, so it cannot be re-added pinned to \
                             organization {org}).",
                            original.sid
                        ),
                    ),
                },
                None => (
                    Fix::RemoveStatement {
                        original: original.clone(),
                    },
                    format!(
                        "Remove statement {}, or re-add it naming the accounts, organization \
                         or service that should invoke the function.",
                        original.sid
                    ),
                ),
            };
            Finding {
                rule_id: RuleId::LW001,
                severity: if iam_url {
                    Severity::High
                } else {
                    META.severity
                },
                resource_arn: cx.resource_arn(),
                sid: Some(original.sid.clone()),
                message: format!(
                    "Statement {} lets anyone invoke {}: {}",
                    original.sid, cx.snapshot.arn.name, v.reason
                ),
                evidence: json!({ "statement": stmt.raw(), "verdict": "public", "reason": v.reason }),
                remediation: Remediation {
                    safety: if fix == Fix::None {
                        FixSafety::Manual
                    } else {
                        FixSafety::Unsafe
                    },
                    fix,
                    text,
                },
            }
        })
        .collect()
}

//! LW004 public-function-url.

use serde_json::json;

use super::public_invoke::{record, url_scoped};
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, Fix, FixSafety, Remediation, Severity};
use crate::policy::VerdictKind;
use crate::snapshot::FunctionUrlAuthType;

declare_rule! {
    /// ## What it flags
    /// A function URL whose `AuthType` is `NONE`. With a statement granting `Principal` `"*"`
    /// `lambda:InvokeFunctionUrl` (conditioned on `lambda:FunctionUrlAuthType` `NONE`, as the
    /// console writes it), anyone on the internet can call the URL: `CRITICAL`. Without such a
    /// statement the URL is not reachable yet, but one `AddPermission` makes it so: `HIGH`.
    ///
    /// ## Why it matters
    /// An unauthenticated HTTPS endpoint runs the function with its execution role's
    /// permissions for anyone, at the owner's cost.
    ///
    /// ## Remediation
    /// Set the URL's `AuthType` to `AWS_IAM` (`UpdateFunctionUrlConfig`) and remove the
    /// statements that made it public, or put the function behind API Gateway with an
    /// authorizer. Every removed statement is recorded verbatim.
    ///
    /// ## Fix safety
    /// `unsafe`: unauthenticated callers lose access. Applied in `enforce` mode only to
    /// functions tagged `lambda-warden:auto-fix=true`.
    ///
    /// ## References
    /// - Prowler `awslambda_function_url_public`; Checkov `CKV_AWS_258`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>
    id: RuleId::LW004,
    slug: "public-function-url",
    title: "Function URL without authentication",
    severity: Severity::Critical,
    default_on: true,
    fix: FixSafety::Unsafe,
    since: "0.1.0",
    security_hub: "",
    config_rule: "",
    checkov: "CKV_AWS_258",
    prowler: "awslambda_function_url_public",
    beyond: "Also catches an `AWS_IAM` URL whose policy grants `*`, and switches the URL to `AWS_IAM` auth instead of deleting it.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(url) = cx.snapshot.url.value().and_then(Option::as_ref) else {
        return Vec::new();
    };
    if url.auth_type != FunctionUrlAuthType::None {
        return Vec::new();
    }
    let public: Vec<_> = cx
        .judged()
        .enumerate()
        .filter(|(_, (stmt, v))| v.kind == VerdictKind::Public && url_scoped(stmt))
        .map(|(i, (stmt, _))| record(stmt, i))
        .collect();
    // Lambda removes a statement only by its Sid: one without cannot be in the fix.
    let removable: Vec<_> = cx
        .judged()
        .filter(|(stmt, v)| v.kind == VerdictKind::Public && url_scoped(stmt))
        .map(|(stmt, _)| stmt.sid.is_some())
        .collect();
    let reachable = !public.is_empty();
    let sids: Vec<&str> = public.iter().map(|r| r.sid.as_str()).collect();
    vec![Finding {
        rule_id: RuleId::LW004,
        severity: if reachable {
            Severity::Critical
        } else {
            Severity::High
        },
        resource_arn: cx.resource_arn(),
        sid: None,
        message: if reachable {
            format!(
                "Function URL {} has AuthType NONE and statement(s) {} let anyone call it",
                url.function_url,
                sids.join(", ")
            )
        } else {
            format!(
                "Function URL {} has AuthType NONE (no public statement yet)",
                url.function_url
            )
        },
        evidence: json!({
            "function_url": url.function_url,
            "auth_type": url.auth_type.as_str(),
            "public_statements": public.iter().map(|r| &r.statement).collect::<Vec<_>>(),
        }),
        remediation: Remediation {
            safety: FixSafety::Unsafe,
            text: format!(
                "Set the URL's AuthType to AWS_IAM and remove statement(s) [{}].",
                sids.join(", ")
            ),
            fix: Fix::RequireIamAuthOnUrl {
                remove: public
                    .iter()
                    .zip(&removable)
                    .filter(|(_, ok)| **ok)
                    .map(|(r, _)| r.clone())
                    .collect(),
            },
        },
    }]
}

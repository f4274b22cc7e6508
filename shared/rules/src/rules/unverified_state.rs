//! LW006 unverified-state.

use serde_json::json;

use super::{declare_rule, Context, PolicyView, RuleId};
use crate::findings::{Finding, Fix, FixSafety, Remediation, Severity};
use crate::snapshot::{FunctionUrlAuthType, Readable};

declare_rule! {
    /// ## What it flags
    /// A part of the function's state that lambda-warden could not verify: `GetPolicy` or
    /// `GetFunctionUrlConfig` refused (`AccessDeniedException`), a policy document that does not
    /// parse, or a URL `AuthType` this version does not know. The function is tagged
    /// `lambda-warden:status=unverified`, never `compliant`.
    ///
    /// ## Why it matters
    /// Tools that treat an unreadable policy as "no policy" report exposed functions as
    /// compliant (fail-open). lambda-warden fails closed and says what it could not read.
    ///
    /// ## Remediation
    /// Grant lambda-warden's role the read permission named in the finding
    /// (`lambda:GetPolicy`, `lambda:GetFunctionUrlConfig`), or fix the policy document.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>
    /// - <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>
    id: RuleId::LW006,
    slug: "unverified-state",
    title: "Function state could not be verified",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.1.0",
}

fn finding(
    cx: &Context<'_>,
    message: String,
    evidence: serde_json::Value,
    text: String,
) -> Finding {
    Finding {
        rule_id: RuleId::LW006,
        severity: META.severity,
        resource_arn: cx.resource_arn(),
        sid: None,
        message,
        evidence,
        remediation: Remediation {
            safety: FixSafety::Manual,
            fix: Fix::None,
            text,
        },
    }
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    match &cx.policy {
        PolicyView::Unreadable {
            operation,
            error_code,
        } => out.push(finding(
            cx,
            format!(
                "{operation} failed with {error_code}: the resource-based policy is unverified"
            ),
            json!({ "operation": operation, "error_code": error_code }),
            "Grant lambda-warden's role lambda:GetPolicy on the function.".to_owned(),
        )),
        PolicyView::Unparseable(e) => out.push(finding(
            cx,
            format!("The resource-based policy could not be parsed: {e}"),
            json!({ "operation": "GetPolicy", "parse_error": e.to_string() }),
            "Inspect the policy with `aws lambda get-policy` and fix the statement named."
                .to_owned(),
        )),
        PolicyView::Absent | PolicyView::Parsed { .. } => {}
    }
    match &cx.snapshot.url {
        Readable::Unreadable {
            operation,
            error_code,
        } => out.push(finding(
            cx,
            format!("{operation} failed with {error_code}: the function URL is unverified"),
            json!({ "operation": operation, "error_code": error_code }),
            "Grant lambda-warden's role lambda:GetFunctionUrlConfig on the function.".to_owned(),
        )),
        Readable::Read {
            value: Some(url), ..
        } => {
            if let FunctionUrlAuthType::Unknown(t) = &url.auth_type {
                out.push(finding(
                    cx,
                    format!(
                        "Function URL {} has an unknown AuthType {t:?}",
                        url.function_url
                    ),
                    json!({ "function_url": url.function_url, "auth_type": t }),
                    "Check the URL's AuthType; lambda-warden knows NONE and AWS_IAM.".to_owned(),
                ));
            }
        }
        Readable::Read { value: None } => {}
    }
    out
}

//! LW005 function-url-cors-wildcard.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, Fix, FixSafety, Remediation, Severity};
use crate::snapshot::FunctionUrlAuthType;

declare_rule! {
    /// ## What it flags
    /// A function URL whose CORS `AllowOrigins` contains `*`: any web page may call it from a
    /// visitor's browser and read the response. `MEDIUM` when the URL's auth type is `NONE`,
    /// `LOW` when it is `AWS_IAM` (browsers cannot sign requests without credentials).
    ///
    /// ## Why it matters
    /// A malicious page can drive the function from its visitors' browsers and read what it
    /// returns, bypassing the same-origin protection the browser would otherwise give.
    ///
    /// ## Remediation
    /// List the exact origins that need access in the URL's `Cors.AllowOrigins`
    /// (`UpdateFunctionUrlConfig`).
    ///
    /// ## Fix safety
    /// `manual`: only the owner knows which origins are legitimate.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors>
    /// - <https://docs.aws.amazon.com/lambda/latest/api/API_Cors.html>
    id: RuleId::LW005,
    slug: "function-url-cors-wildcard",
    title: "Function URL CORS allows any origin",
    severity: Severity::Medium,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.1.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "awslambda_function_url_cors_policy",
    beyond: "",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(url) = cx.snapshot.url.value().and_then(Option::as_ref) else {
        return Vec::new();
    };
    let Some(cors) = &url.cors else {
        return Vec::new();
    };
    if !cors.allow_origins.iter().any(|o| o.trim() == "*") {
        return Vec::new();
    }
    vec![Finding {
        rule_id: RuleId::LW005,
        severity: if url.auth_type == FunctionUrlAuthType::AwsIam {
            Severity::Low
        } else {
            META.severity
        },
        resource_arn: cx.resource_arn(),
        sid: None,
        message: format!(
            "Function URL {} allows CORS requests from any origin",
            url.function_url
        ),
        evidence: json!({
            "function_url": url.function_url,
            "allow_origins": cors.allow_origins,
            "allow_credentials": cors.allow_credentials,
            "auth_type": url.auth_type.as_str(),
        }),
        remediation: Remediation {
            safety: FixSafety::Manual,
            fix: Fix::None,
            text: "List the exact origins that need access in Cors.AllowOrigins.".to_owned(),
        },
    }]
}

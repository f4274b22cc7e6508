//! LW006 unverified-state.

use serde_json::json;

use super::{declare_rule, Context, LayerContext, PolicyView, RuleId};
use crate::findings::{Finding, Fix, FixSafety, Remediation, Severity};
use crate::snapshot::{FunctionUrlAuthType, Readable};

declare_rule! {
    /// ## What it flags
    /// A part of the function's state that lambda-warden could not verify: a read refused
    /// (`AccessDeniedException`) of the resource-based policy (`GetPolicy`), the URL
    /// (`GetFunctionUrlConfig`), the configuration (`GetFunction`), the event invoke
    /// configuration (`GetFunctionEventInvokeConfig`), the code signing configuration
    /// (`GetFunctionCodeSigningConfig`), the execution role or any of its policies (`GetRole`,
    /// `ListAttachedRolePolicies`, `GetPolicy`, `GetPolicyVersion`, `ListRolePolicies`,
    /// `GetRolePolicy`), or a layer version's policy (`GetLayerVersionPolicy`); environment
    /// variables Lambda could not decrypt (`Environment.Error`); a policy document (resource,
    /// trust or permission policy) that does not parse; or a URL `AuthType` this version does
    /// not know. The function is tagged `lambda-warden:status=unverified`, never `compliant`.
    /// A policy statement that does not parse is reported here while the other statements are
    /// still judged, so a malformed statement cannot hide a public one beside it. This rule
    /// cannot be disabled.
    ///
    /// ## Why it matters
    /// Tools that treat an unreadable policy as "no policy" report exposed functions as
    /// compliant (fail-open). lambda-warden fails closed and says what it could not read.
    ///
    /// ## Remediation
    /// Grant lambda-warden's role the read permission named in the finding
    /// (`lambda:GetPolicy`, `lambda:GetFunctionUrlConfig`, `lambda:GetFunctionEventInvokeConfig`,
    /// `iam:GetRole`, ...; the template's role has them all), allow it `kms:Decrypt` on the
    /// function's key, or fix the policy document.
    ///
    /// ## Fix safety
    /// `manual`.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>
    /// - <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>
    /// - <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html>
    id: RuleId::LW006,
    slug: "unverified-state",
    title: "Function state could not be verified",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.1.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "",
    beyond: "Fails closed: a part that cannot be read makes the function `unverified`, never compliant.",
}

fn finding(
    cx: &Context<'_>,
    message: String,
    evidence: serde_json::Value,
    text: String,
) -> Finding {
    finding_on(cx.resource_arn(), None, message, evidence, text)
}

fn finding_on(
    resource_arn: String,
    sid: Option<String>,
    message: String,
    evidence: serde_json::Value,
    text: String,
) -> Finding {
    Finding {
        rule_id: RuleId::LW006,
        severity: META.severity,
        resource_arn,
        sid,
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
        PolicyView::Parsed { errors, .. } => {
            for e in errors {
                out.push(finding(
                    cx,
                    format!("A statement of the resource-based policy could not be parsed: {e}"),
                    json!({ "operation": "GetPolicy", "parse_error": e.to_string() }),
                    "Inspect the policy with `aws lambda get-policy` and fix the statement named."
                        .to_owned(),
                ));
            }
        }
        PolicyView::Absent | PolicyView::NotRead => {}
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
        Readable::Read { value: None } | Readable::NotRead => {}
    }
    let refused = |part: &str, operation: &str, code: &str, permission: &str| {
        finding_on(
            cx.resource_arn(),
            Some(part.to_owned()),
            format!("{operation} failed with {code}: the {part} is unverified"),
            json!({ "operation": operation, "error_code": code, "part": part }),
            format!("Grant lambda-warden's role {permission}."),
        )
    };
    let s = cx.snapshot;
    if let Some((op, code)) = s.configuration.failure() {
        // The configuration's own read, or the reserved-concurrency read that is part of it.
        let action = crate::report::iam_action(op).unwrap_or("lambda:GetFunctionConfiguration");
        out.push(refused(
            "configuration",
            op,
            code,
            &format!("{action} on the function"),
        ));
    }
    if let Some((op, code)) = s
        .configuration
        .value()
        .and_then(|c| c.environment.failure())
    {
        out.push(refused(
            "environment",
            op,
            code,
            "kms:Decrypt on the function's KMS key, so the variables can be checked",
        ));
    }
    if let Some((op, code)) = s.event_invoke_config.failure() {
        out.push(refused(
            "event-invoke-config",
            op,
            code,
            "lambda:GetFunctionEventInvokeConfig on the function",
        ));
    }
    if let Some((op, code)) = s.code_signing_config_arn.failure() {
        out.push(refused(
            "code-signing-config",
            op,
            code,
            "lambda:GetFunctionCodeSigningConfig on the function",
        ));
    }
    if let Some((op, code)) = s.execution_role.failure() {
        out.push(refused(
            "execution-role",
            op,
            code,
            "iam:GetRole on the execution role",
        ));
    }
    if let Some(role) = s.execution_role.value().and_then(Option::as_ref) {
        if let Some((op, code)) = role.attached.failure() {
            out.push(refused(
                "execution-role-managed-policies",
                op,
                code,
                "iam:ListAttachedRolePolicies on the execution role",
            ));
        }
        if let Some((op, code)) = role.inline.failure() {
            out.push(refused(
                "execution-role-inline-policies",
                op,
                code,
                "iam:ListRolePolicies on the execution role",
            ));
        }
        for p in role.attached.value().into_iter().flatten() {
            if let Some((op, code)) = p.document.failure() {
                out.push(refused(
                    &format!("policy/{}", p.name),
                    op,
                    code,
                    "iam:GetPolicy and iam:GetPolicyVersion on the policy",
                ));
            }
        }
        for p in role.inline.value().into_iter().flatten() {
            if let Some((op, code)) = p.document.failure() {
                out.push(refused(
                    &format!("inline/{}", p.name),
                    op,
                    code,
                    "iam:GetRolePolicy on the execution role",
                ));
            }
        }
    }
    if let Some(ra) = &cx.role {
        if let Err(e) = &ra.trust {
            out.push(finding_on(
                cx.resource_arn(),
                Some("trust".to_owned()),
                format!(
                    "The trust policy of execution role {} could not be parsed: {e}",
                    ra.role.name
                ),
                json!({ "role_arn": ra.role.arn, "parse_error": e.to_string() }),
                "Inspect the role's trust policy with `aws iam get-role`.".to_owned(),
            ));
        }
        for (source, e) in &ra.unparseable {
            out.push(finding_on(
                cx.resource_arn(),
                Some(source.label()),
                format!("The {} could not be parsed: {e}", source.describe()),
                json!({ "role_arn": ra.role.arn, "policy": source.evidence(), "parse_error": e.to_string() }),
                "Inspect the policy document with the IAM console or CLI.".to_owned(),
            ));
        }
    }
    out
}

/// LW006 for a layer version: its policy could not be read or parsed.
pub(crate) fn check_layer(cx: &LayerContext<'_>) -> Vec<Finding> {
    let arn = cx.snapshot.arn.to_string();
    match &cx.policy {
        PolicyView::Unreadable {
            operation,
            error_code,
        } => vec![finding_on(
            arn,
            None,
            format!(
                "{operation} failed with {error_code}: the layer version's policy is unverified"
            ),
            json!({ "operation": operation, "error_code": error_code }),
            "Grant lambda-warden's role lambda:GetLayerVersionPolicy on the layer.".to_owned(),
        )],
        PolicyView::Unparseable(e) => vec![finding_on(
            arn,
            None,
            format!("The layer version's policy could not be parsed: {e}"),
            json!({ "operation": "GetLayerVersionPolicy", "parse_error": e.to_string() }),
            "Inspect the policy with `aws lambda get-layer-version-policy`.".to_owned(),
        )],
        PolicyView::Parsed { errors, .. } => errors
            .iter()
            .map(|e| {
                finding_on(
                    arn.clone(),
                    None,
                    format!("A statement of the layer version's policy could not be parsed: {e}"),
                    json!({ "operation": "GetLayerVersionPolicy", "parse_error": e.to_string() }),
                    "Inspect the policy with `aws lambda get-layer-version-policy`.".to_owned(),
                )
            })
            .collect(),
        PolicyView::Absent | PolicyView::NotRead => Vec::new(),
    }
}

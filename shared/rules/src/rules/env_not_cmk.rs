//! LW008 environment-not-encrypted-with-cmk.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};

declare_rule! {
    /// ## What it flags
    /// A function with environment variables and no `KMSKeyArn`: Lambda encrypts the
    /// variables at rest with its AWS managed key. A function without variables is not
    /// flagged.
    ///
    /// ## Why it matters
    /// With the AWS managed key, anyone allowed to read the function's configuration reads
    /// the variables; a customer managed key adds a second control (its key policy and
    /// `kms:Decrypt` grants) and an audit trail of every decryption in CloudTrail.
    ///
    /// ## Remediation
    /// Create a customer managed KMS key, allow the execution role `kms:Decrypt` on it, and
    /// set it as the function's `KMSKeyArn` (`aws lambda update-function-configuration
    /// --kms-key-arn ...`).
    ///
    /// ## Fix safety
    /// `manual`: the key and its policy are a human decision.
    ///
    /// ## References
    /// - Checkov `CKV_AWS_173`; Prowler `awslambda_function_env_vars_not_encrypted_with_cmk`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html>
    id: RuleId::LW008,
    slug: "environment-not-encrypted-with-cmk",
    title: "Environment variables not encrypted with a customer managed key",
    severity: Severity::Medium,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "CKV_AWS_173",
    prowler: "awslambda_function_env_vars_not_encrypted_with_cmk",
    beyond: "",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.configuration() else {
        return Vec::new();
    };
    let count = match c.environment.value() {
        Some(vars) if !vars.is_empty() => vars.len(),
        // No variables, or unreadable variables (LW006 reports those).
        Some(_) | None => return Vec::new(),
    };
    if c.kms_key_arn.as_deref().is_some_and(|k| !k.is_empty()) {
        return Vec::new();
    }
    vec![cx.manual_finding(
        &META,
        META.severity,
        None,
        format!(
            "The function's {count} environment variable(s) are encrypted with Lambda's AWS \
             managed key, not a customer managed key"
        ),
        json!({ "variables": count, "kms_key_arn": null }),
        "Set KMSKeyArn to a customer managed KMS key and allow the execution role kms:Decrypt \
         on it."
            .to_owned(),
    )]
}

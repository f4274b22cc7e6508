//! LW013 no-code-signing.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::snapshot::PackageType;

declare_rule! {
    /// ## What it flags
    /// A .zip function with no code signing configuration
    /// (`GetFunctionCodeSigningConfig` answers no `CodeSigningConfigArn`). Container image
    /// functions are skipped: Lambda code signing applies to .zip packages only.
    ///
    /// Off by default: code signing needs AWS Signer profiles and a signing step in the
    /// deployment pipeline, an organisation-wide decision. Enable it
    /// (`WARDEN_ENABLED_RULES=no-code-signing`) once the pipeline signs.
    ///
    /// ## Why it matters
    /// Without code signing, anyone with `lambda:UpdateFunctionCode` can deploy any code; a
    /// code signing configuration makes Lambda refuse code not signed by a trusted publisher.
    ///
    /// ## Remediation
    /// Create a signing profile and a code signing configuration that names it, then
    /// `aws lambda put-function-code-signing-config`.
    ///
    /// ## Fix safety
    /// `manual`: with an enforce policy, unsigned deployments would start failing.
    ///
    /// ## References
    /// - Checkov `CKV_AWS_272`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html>
    id: RuleId::LW013,
    slug: "no-code-signing",
    title: "No code signing configuration",
    severity: Severity::Low,
    default_on: false,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "CKV_AWS_272",
    prowler: "",
    beyond: "Reads the live code signing configuration and skips container images, to which code signing does not apply.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.configuration() else {
        return Vec::new();
    };
    match c.package_type {
        PackageType::Zip => {}
        PackageType::Image | PackageType::Unknown(_) => return Vec::new(),
    }
    match cx.snapshot.code_signing_config_arn.value() {
        Some(None) => vec![cx.manual_finding(
            &META,
            META.severity,
            None,
            "The function has no code signing configuration: any code can be deployed to it"
                .to_owned(),
            json!({ "code_signing_config_arn": null }),
            "Attach a code signing configuration (PutFunctionCodeSigningConfig).".to_owned(),
        )],
        // Configured, or unreadable (LW006).
        Some(Some(_)) | None => Vec::new(),
    }
}

//! LW009 deprecated-runtime.

use serde_json::json;

use super::runtimes::{deprecation, DAY_SECONDS};
use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::snapshot::PackageType;

declare_rule! {
    /// ## What it flags
    /// A function on a runtime that is deprecated (HIGH) or will be within
    /// `WARDEN_RUNTIME_WARNING_DAYS` days (MEDIUM, default window 90 days), judged at the
    /// evaluation time against the dated table in `shared/rules/src/rules/runtimes.rs`
    /// (source: the AWS Lambda runtimes page). A runtime is deprecated from 00:00 UTC on its
    /// deprecation date: on the date itself it counts as deprecated.
    ///
    /// A runtime identifier the table does not list yields an INFORMATIONAL finding
    /// ("unknown runtime"): it is most likely a runtime newer than the table, so it does not
    /// make the function non-compliant, but the table needs an update. Container image
    /// functions (`PackageType` `Image`) have no runtime and are not flagged: their base image
    /// is the owner's to update.
    ///
    /// ## Why it matters
    /// Deprecated runtimes receive no security patches, and after the deprecation date
    /// Lambda blocks creating and then updating functions on them. Tools with a fixed list
    /// go stale; a dated table keeps warning ahead of time.
    ///
    /// ## Remediation
    /// Move the function to a supported runtime of the same language (test first: major
    /// versions are not backward compatible) with `aws lambda update-function-configuration
    /// --runtime ...`.
    ///
    /// ## Fix safety
    /// `manual`: changing the runtime can break the code.
    ///
    /// ## References
    /// - Security Hub `Lambda.2`; Config `lambda-function-settings-check`; Checkov
    ///   `CKV_AWS_363`; Prowler `awslambda_function_using_supported_runtimes`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html>
    id: RuleId::LW009,
    slug: "deprecated-runtime",
    title: "Deprecated or soon-deprecated runtime",
    severity: Severity::High,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "Lambda.2",
    config_rule: "lambda-function-settings-check",
    checkov: "CKV_AWS_363",
    prowler: "awslambda_function_using_supported_runtimes",
    beyond: "Driven by dates and the evaluation time, so it warns a configurable number of days ahead and never goes stale silently: an unlisted runtime is reported.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.configuration() else {
        return Vec::new();
    };
    let runtime = match (&c.package_type, c.runtime.as_deref()) {
        (PackageType::Zip, Some(r)) if !r.is_empty() => r,
        (PackageType::Image | PackageType::Unknown(_), _) | (PackageType::Zip, _) => {
            return Vec::new()
        }
    };
    let fix = format!(
        "Move the function from {runtime} to a supported runtime of the same language, after \
         testing the code on it."
    );
    let Some((at, date)) = deprecation(runtime) else {
        return vec![cx.manual_finding(
            &META,
            Severity::Informational,
            None,
            format!(
                "Runtime {runtime} is not in lambda-warden's runtime table: its deprecation \
                 date is unknown"
            ),
            json!({ "runtime": runtime, "deprecation_date": null }),
            "Check the runtime on the AWS Lambda runtimes page and update lambda-warden's \
             runtime table."
                .to_owned(),
        )];
    };
    let window = i64::from(cx.config.runtime_warning_days) * DAY_SECONDS;
    let (severity, message) = if cx.now >= at {
        (
            Severity::High,
            format!("Runtime {runtime} is deprecated since {date}"),
        )
    } else if cx.now >= at - window {
        let days = (at - cx.now + DAY_SECONDS - 1) / DAY_SECONDS;
        (
            Severity::Medium,
            format!("Runtime {runtime} will be deprecated on {date}, in {days} day(s)"),
        )
    } else {
        return Vec::new();
    };
    vec![cx.manual_finding(
        &META,
        severity,
        None,
        message,
        json!({
            "runtime": runtime,
            "deprecation_date": date,
            "warning_days": cx.config.runtime_warning_days,
        }),
        fix,
    )]
}

//! LW016 untrusted-layer-account.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::ids::LayerVersionArn;

declare_rule! {
    /// ## What it flags
    /// A layer (`Layers[].Arn`) published by an account that is neither the function's own,
    /// nor in `WARDEN_TRUSTED_ACCOUNTS`, nor in `WARDEN_TRUSTED_LAYER_ACCOUNTS`. A layer ARN
    /// that does not parse is reported too (fail closed).
    ///
    /// Layers published by AWS or by vendors (AWS Lambda Powertools, the Parameters and
    /// Secrets extension, Lambda Insights, monitoring agents) are not trusted automatically:
    /// their publishing accounts differ by Region and are not a fixed, documented list, so
    /// they are listed explicitly in `WARDEN_TRUSTED_LAYER_ACCOUNTS` once reviewed.
    ///
    /// ## Why it matters
    /// A layer's code runs inside the function with the execution role's permissions and
    /// sees every event and environment variable. Its publisher can change what a new
    /// version contains; a pinned version of an unknown account is still unreviewed code.
    ///
    /// ## Remediation
    /// Review the layer; then either add its publishing account to
    /// `WARDEN_TRUSTED_LAYER_ACCOUNTS`, or copy the reviewed version into your own account
    /// and use that.
    ///
    /// ## Fix safety
    /// `manual`: removing a layer breaks the function.
    ///
    /// ## References
    /// - Prowler `awslambda_function_using_cross_account_layers`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html>
    id: RuleId::LW016,
    slug: "untrusted-layer-account",
    title: "Layer from an untrusted account",
    severity: Severity::Medium,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "",
    prowler: "awslambda_function_using_cross_account_layers",
    beyond: "Trust is configuration: the function's account, the trusted accounts and a reviewed list of layer publishers.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.configuration() else {
        return Vec::new();
    };
    c.layers
        .iter()
        .filter_map(|arn| {
            let account = LayerVersionArn::parse(arn).ok().map(|l| l.account);
            let trusted = account.as_ref().is_some_and(|a| {
                *a == cx.snapshot.arn.account
                    || cx.config.trusted_accounts.contains(a)
                    || cx.config.trusted_layer_accounts.contains(a)
            });
            (!trusted).then(|| {
                let who = account.as_ref().map_or_else(
                    || "an unrecognised account".to_owned(),
                    |a| format!("account {a}"),
                );
                cx.manual_finding(
                    &META,
                    META.severity,
                    Some(format!("layer/{arn}")),
                    format!("Layer {arn} is published by {who}, which is not trusted"),
                    json!({ "layer_arn": arn, "account": account }),
                    format!(
                        "Review the layer, then add its account to WARDEN_TRUSTED_LAYER_ACCOUNTS \
                         or publish a reviewed copy in your own account ({arn})."
                    ),
                )
            })
        })
        .collect()
}

//! LW014 not-in-vpc.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};

declare_rule! {
    /// ## What it flags
    /// A function not attached to a VPC (no subnet in `VpcConfig`).
    ///
    /// Off by default: most functions need no VPC, and attaching one adds network
    /// dependencies; enable it (`WARDEN_ENABLED_RULES=not-in-vpc`) where policy requires
    /// every function to run in a VPC.
    ///
    /// ## Why it matters
    /// A function outside a VPC reaches the internet directly; inside one, its traffic goes
    /// through security groups, network ACLs, VPC endpoints and flow logs you control.
    ///
    /// ## Remediation
    /// Attach the function to private subnets in two or more Availability Zones with a
    /// security group (`aws lambda update-function-configuration --vpc-config ...`), and add
    /// the VPC endpoints or NAT it needs.
    ///
    /// ## Fix safety
    /// `manual`: attaching a VPC changes what the function can reach.
    ///
    /// ## References
    /// - Security Hub `Lambda.3`; Config `lambda-inside-vpc`; Checkov `CKV_AWS_117`; Prowler
    ///   `awslambda_function_inside_vpc`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html>
    id: RuleId::LW014,
    slug: "not-in-vpc",
    title: "Function not in a VPC",
    severity: Severity::Low,
    default_on: false,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "Lambda.3",
    config_rule: "lambda-inside-vpc",
    checkov: "CKV_AWS_117",
    prowler: "awslambda_function_inside_vpc",
    beyond: "",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.configuration() else {
        return Vec::new();
    };
    if c.vpc.as_ref().is_some_and(|v| !v.subnet_ids.is_empty()) {
        return Vec::new();
    }
    vec![cx.manual_finding(
        &META,
        META.severity,
        None,
        "The function is not attached to a VPC".to_owned(),
        json!({ "vpc_config": null }),
        "Attach the function to private subnets in two or more Availability Zones.".to_owned(),
    )]
}

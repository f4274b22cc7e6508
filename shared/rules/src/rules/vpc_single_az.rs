//! LW015 vpc-single-az.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};

declare_rule! {
    /// ## What it flags
    /// A VPC function attached to a single subnet: a subnet lives in one Availability Zone,
    /// so the function runs in one AZ only.
    ///
    /// Limitation: the Availability Zone of each subnet is not read (that needs EC2
    /// `DescribeSubnets`), so two or more subnets in the same AZ are not detected; Security
    /// Hub `Lambda.5` reads the zones and catches that case.
    ///
    /// ## Why it matters
    /// When that Availability Zone is impaired, the function cannot start new execution
    /// environments: an outage of one zone becomes an outage of the function.
    ///
    /// ## Remediation
    /// Add subnets in at least one more Availability Zone to the function's `VpcConfig`.
    ///
    /// ## Fix safety
    /// `manual`: the subnets are a network design decision.
    ///
    /// ## References
    /// - Security Hub `Lambda.5`; Config `lambda-vpc-multi-az-check`; Prowler
    ///   `awslambda_function_vpc_multi_az`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html>
    id: RuleId::LW015,
    slug: "vpc-single-az",
    title: "VPC function in a single Availability Zone",
    severity: Severity::Medium,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "Lambda.5",
    config_rule: "lambda-vpc-multi-az-check",
    checkov: "",
    prowler: "awslambda_function_vpc_multi_az",
    beyond: "",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(vpc) = cx.configuration().and_then(|c| c.vpc.as_ref()) else {
        return Vec::new();
    };
    if vpc.subnet_ids.len() != 1 {
        return Vec::new();
    }
    vec![cx.manual_finding(
        &META,
        META.severity,
        None,
        format!(
            "The function's VPC configuration has a single subnet ({}), so it runs in one \
             Availability Zone",
            vpc.subnet_ids[0]
        ),
        json!({ "subnet_ids": vpc.subnet_ids, "vpc_id": vpc.vpc_id }),
        "Add subnets in at least one more Availability Zone.".to_owned(),
    )]
}

//! Conditions that limit *where* a caller is or *what kind* of caller it is, without naming
//! its account: network conditions (`aws:SourceIp`, `aws:SourceVpc`, `aws:SourceVpce`) and
//! service-only conditions (`aws:PrincipalIsAWSService`, `aws:PrincipalServiceName`,
//! `aws:PrincipalServiceNamesList`).
//!
//! Sources:
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip>
//!   (`aws:SourceIp`, `aws:SourceVpc`, `aws:SourceVpce`: network properties of the request);
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice>
//!   (`aws:PrincipalIsAWSService` is `true` when a service principal makes the call);
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalservicename>;
//! - IAM Access Analyzer's definition of public access, which counts a policy limited only by
//!   `aws:SourceIp` or `aws:SourceVpc(e)` as not public and one limited by an unbounded range
//!   (`0.0.0.0/0`, `::/0`) or a wildcard as public
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-concepts.html#what-is-public>,
//!   "Resource-based policy evaluation").

use super::condition::{Condition, OperatorBase, SetOperator};
use super::pattern::{has_policy_variable, has_wildcard};

/// What a condition limits besides the caller's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Limit {
    /// The request must come from these networks: CIDR ranges, VPC ids or VPC endpoint ids
    /// (as the policy writes them, with the key: `aws:SourceIp 203.0.113.0/24`).
    Network(Vec<String>),
    /// The caller must be an AWS service principal: one of these, or any service when empty.
    Services(Vec<String>),
}

/// The limit `c` sets, with the sentence fragment that says so; `None` when its key is not a
/// network or service-only key. A limit holds only for a positive operator without
/// `IfExists` or `ForAllValues` (both are true when the key is absent), with values that
/// are fixed: no policy variable, and for networks no wildcard and no unbounded range.
pub(crate) fn analyse_limit(c: &Condition, head: &str) -> Option<(Option<Limit>, String)> {
    let key = c.key.lowercase();
    let network = matches!(key, "aws:sourceip" | "aws:sourcevpc" | "aws:sourcevpce");
    let service = matches!(
        key,
        "aws:principalisawsservice" | "aws:principalservicename" | "aws:principalservicenameslist"
    );
    if !network && !service {
        return None;
    }
    let op = &c.operator;
    let open = |why: &str| Some((None, format!("{head} limits nothing: {why}")));
    if op.if_exists || op.set == Some(SetOperator::ForAllValues) {
        return open("it is also true when the key is absent");
    }
    if op.base.is_negated() {
        return open("a negated operator admits every other value");
    }
    if c.values.is_empty() || c.values.iter().any(|v| has_policy_variable(v)) {
        return open("its values are not fixed");
    }
    if network {
        let fits = match key {
            "aws:sourceip" => op.base == OperatorBase::IpAddress,
            _ => matches!(
                op.base,
                OperatorBase::StringEquals
                    | OperatorBase::StringEqualsIgnoreCase
                    | OperatorBase::StringLike
            ),
        };
        if !fits {
            return open("the operator does not compare network values");
        }
        if let Some(v) = c.values.iter().find(|v| unbounded(key, v)) {
            return open(&format!("value {v:?} admits any network (values are ORed)"));
        }
        let values: Vec<String> = c
            .values
            .iter()
            .map(|v| format!("{} {v}", c.key.as_str()))
            .collect();
        let note = format!(
            "{head} limits where the caller is ({}), not who it is",
            c.values.join(", ")
        );
        return Some((Some(Limit::Network(values)), note));
    }
    // Service-only keys.
    if key == "aws:principalisawsservice" {
        let only_services = op.base == OperatorBase::Bool
            && c.values.iter().all(|v| v.eq_ignore_ascii_case("true"));
        return if only_services {
            Some((
                Some(Limit::Services(Vec::new())),
                format!("{head} admits only AWS service principals, of any service"),
            ))
        } else {
            open("it does not require an AWS service principal")
        };
    }
    let literal = matches!(
        op.base,
        OperatorBase::StringEquals | OperatorBase::StringEqualsIgnoreCase
    );
    if !(literal || op.base == OperatorBase::StringLike) {
        return open("the operator does not compare service names");
    }
    let any = op.base == OperatorBase::StringLike && c.values.iter().any(|v| has_wildcard(v));
    let services = if any { Vec::new() } else { c.values.clone() };
    let note = if any {
        format!("{head} admits only AWS service principals, of any service the pattern matches")
    } else {
        format!(
            "{head} admits only the AWS service principal(s) {}",
            c.values.join(", ")
        )
    };
    Some((Some(Limit::Services(services)), note))
}

/// Whether a network value admits any network: an empty value, a wildcard, or a range whose
/// prefix length is 0 (`0.0.0.0/0`, `::/0`).
fn unbounded(key: &str, v: &str) -> bool {
    if v.is_empty() || has_wildcard(v) {
        return true;
    }
    key == "aws:sourceip"
        && v.rsplit_once('/')
            .is_some_and(|(_, bits)| bits.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::condition::{ConditionKey, ConditionOperator};

    fn limit(op: &str, key: &str, values: &[&str]) -> Option<Limit> {
        let c = Condition {
            operator: ConditionOperator::parse(op),
            key: ConditionKey::new(key),
            values: values.iter().map(|s| s.to_string()).collect(),
        };
        analyse_limit(&c, "h").and_then(|(l, _)| l)
    }

    #[test]
    fn network_values_limit_only_when_fixed_and_bounded() {
        assert!(matches!(
            limit("IpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
            Some(Limit::Network(_))
        ));
        assert!(matches!(
            limit("StringEquals", "aws:SourceVpce", &["vpce-1a2b3c4d"]),
            Some(Limit::Network(_))
        ));
        assert_eq!(limit("IpAddress", "aws:SourceIp", &["0.0.0.0/0"]), None);
        assert_eq!(
            limit("IpAddress", "aws:SourceIp", &["203.0.113.0/24", "::/0"]),
            None
        );
        assert_eq!(limit("StringLike", "aws:SourceVpce", &["vpce-*"]), None);
        assert_eq!(
            limit("NotIpAddress", "aws:SourceIp", &["203.0.113.0/24"]),
            None
        );
        assert_eq!(
            limit("IpAddressIfExists", "aws:SourceIp", &["203.0.113.0/24"]),
            None
        );
        assert_eq!(limit("Null", "aws:SourceVpce", &["false"]), None);
    }

    #[test]
    fn service_only_keys_limit_to_services() {
        assert_eq!(
            limit("Bool", "aws:PrincipalIsAWSService", &["true"]),
            Some(Limit::Services(vec![]))
        );
        assert_eq!(limit("Bool", "aws:PrincipalIsAWSService", &["false"]), None);
        assert_eq!(
            limit(
                "StringEquals",
                "aws:PrincipalServiceName",
                &["s3.amazonaws.com"]
            ),
            Some(Limit::Services(vec!["s3.amazonaws.com".to_owned()]))
        );
        assert_eq!(
            limit(
                "StringLike",
                "aws:PrincipalServiceName",
                &["*.amazonaws.com"]
            ),
            Some(Limit::Services(vec![]))
        );
        assert_eq!(limit("StringEquals", "aws:SourceVpcArn", &["x"]), None);
    }
}

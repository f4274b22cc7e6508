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
        if key == "aws:sourceip" && too_wide(&c.values) {
            return open(&format!(
                "its ranges together span more IPv4 addresses than a /{WIDEST_IPV4_PREFIX} ({WIDEST_IPV4_PREFIX_ADDRESSES}), or an IPv6 range is wider than a /{WIDEST_IPV6_PREFIX}: a large part of the internet"
            ));
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

/// The widest IPv4 range, as a prefix length, that still says where a caller is: a /8 holds
/// 16 777 216 addresses. Wider ranges, or ranges adding up to more, are read as any network.
const WIDEST_IPV4_PREFIX: u32 = 8;
/// `2^(32 - WIDEST_IPV4_PREFIX)`.
const WIDEST_IPV4_PREFIX_ADDRESSES: u64 = 1 << (32 - WIDEST_IPV4_PREFIX);
/// The widest IPv6 range, as a prefix length: a /32 is what a regional registry allocates to
/// one network operator.
const WIDEST_IPV6_PREFIX: u32 = 32;

/// Whether `aws:SourceIp` values (CIDR ranges, or single addresses) together admit too much
/// of the internet to count as a network restriction: IPv4 ranges adding up to more than a
/// /8 (`0.0.0.0/1` and `128.0.0.0/1` together are every address), or any IPv6 range wider
/// than a /32. A value that is not an address is read as too wide (fail closed). IAM
/// documents `IpAddress` values as CIDR blocks
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress>).
fn too_wide(values: &[String]) -> bool {
    let mut ipv4: u64 = 0;
    for v in values {
        let (addr, bits) = match v.trim().split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (v.trim(), None),
        };
        if addr.contains(':') {
            if addr.parse::<std::net::Ipv6Addr>().is_err() {
                return true;
            }
            match bits.map(str::parse::<u32>) {
                None => {}
                Some(Ok(b)) if (WIDEST_IPV6_PREFIX..=128).contains(&b) => {}
                Some(_) => return true,
            }
        } else {
            if addr.parse::<std::net::Ipv4Addr>().is_err() {
                return true;
            }
            let b = match bits.map(str::parse::<u32>) {
                None => 32,
                Some(Ok(b)) if b <= 32 => b,
                Some(_) => return true,
            };
            ipv4 = ipv4.saturating_add(1u64 << (32 - b));
        }
    }
    ipv4 > WIDEST_IPV4_PREFIX_ADDRESSES
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
        // Two halves of the internet, a wide IPv6 range, a value that is not an address.
        assert_eq!(
            limit("IpAddress", "aws:SourceIp", &["0.0.0.0/1", "128.0.0.0/1"]),
            None
        );
        assert_eq!(limit("IpAddress", "aws:SourceIp", &["2000::/3"]), None);
        assert_eq!(limit("IpAddress", "aws:SourceIp", &["office"]), None);
        assert!(matches!(
            limit(
                "IpAddress",
                "aws:SourceIp",
                &["10.0.0.0/9", "2001:db8::/48", "198.51.100.7"]
            ),
            Some(Limit::Network(_))
        ));
        assert_eq!(
            limit("IpAddress", "aws:SourceIp", &["10.0.0.0/8", "11.0.0.0/8"]),
            None
        );
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

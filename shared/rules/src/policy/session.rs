//! What a `Condition` block decides for a request made with a Lambda function's execution-role
//! credentials: the function's code calling an AWS API directly.
//!
//! The request context of such a call is partly known from the credentials alone
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>):
//! - `aws:MultiFactorAuthPresent` is present for temporary credentials and `false`: the
//!   function's role session was not created with MFA ("This key is included in the request
//!   context only when the principal uses temporary credentials"); `aws:MultiFactorAuthAge`
//!   is absent;
//! - `aws:PrincipalType` is `AssumedRole`;
//! - `aws:ViaAWSService` is `false` and `aws:CalledVia` (with `...First`, `...Last`) is
//!   absent: the code calls the API itself;
//! - `iam:PassedToService` is the service principal a role is passed to, present only for
//!   `iam:PassRole` (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService>).
//!
//! Every other key (source IP, VPC, tags, time, ...) is not known: a condition on it is
//! [`Truth::Unknown`]. Absent keys follow IAM's rules
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>):
//! `...IfExists` and the negated operators are true, `Null` is true for `"true"`,
//! `ForAllValues:` is true, `ForAnyValue:` false, anything else false.

use super::condition::{Condition, OperatorBase, SetOperator};
use super::pattern::{wildcard_match, wildcard_match_ignore_case};

/// A three-valued outcome: a condition the known context decides, or one it cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// Holds for every such request.
    True,
    /// Holds for none.
    False,
    /// Depends on what the request context does not tell.
    Unknown,
}

/// The request whose conditions are judged: the action's service principal for
/// `iam:PassRole`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionRequest<'a> {
    /// `iam:PassedToService`: the service principal the role is passed to (e.g.
    /// `lambda.amazonaws.com`), for an `iam:PassRole` request; `None` otherwise.
    pub passed_to_service: Option<&'a str>,
}

/// What the context holds for `key` (lowercase): `Some(None)` when absent, `None` unknown.
fn context_value<'a>(key: &str, request: &SessionRequest<'a>) -> Option<Option<&'a str>> {
    match key {
        "aws:multifactorauthpresent" => Some(Some("false")),
        "aws:principaltype" => Some(Some("AssumedRole")),
        "aws:viaawsservice" => Some(Some("false")),
        "aws:multifactorauthage" | "aws:calledvia" | "aws:calledviafirst" | "aws:calledvialast" => {
            Some(None)
        }
        "iam:passedtoservice" => Some(request.passed_to_service),
        _ => None,
    }
}

/// Whether `values` (the policy's, ORed) match the context value `actual` under `base`,
/// ignoring negation; `None` for an operator this module does not evaluate.
fn matches(base: &OperatorBase, values: &[String], actual: &str) -> Option<bool> {
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    Some(match base {
        OperatorBase::StringEquals | OperatorBase::StringNotEquals => any(&|v| v == actual),
        OperatorBase::StringEqualsIgnoreCase | OperatorBase::StringNotEqualsIgnoreCase => {
            any(&|v| v.eq_ignore_ascii_case(actual))
        }
        OperatorBase::StringLike | OperatorBase::StringNotLike => {
            any(&|v| wildcard_match(v, actual))
        }
        OperatorBase::Bool => any(&|v| v.eq_ignore_ascii_case(actual)),
        OperatorBase::ArnLike
        | OperatorBase::ArnNotLike
        | OperatorBase::ArnEquals
        | OperatorBase::ArnNotEquals => any(&|v| wildcard_match_ignore_case(v, actual)),
        _ => return None,
    })
}

/// What one condition decides for `request`.
pub fn condition_truth(c: &Condition, request: &SessionRequest<'_>) -> Truth {
    let Some(value) = context_value(c.key.lowercase(), request) else {
        return Truth::Unknown;
    };
    let op = &c.operator;
    let truth = |b: bool| if b { Truth::True } else { Truth::False };
    let Some(actual) = value else {
        // The key is absent from the request context.
        return match &op.base {
            OperatorBase::Null => truth(c.values.iter().any(|v| v.eq_ignore_ascii_case("true"))),
            OperatorBase::Unknown(_) => Truth::Unknown,
            _ if op.if_exists => Truth::True,
            _ if op.set == Some(SetOperator::ForAllValues) => Truth::True,
            _ if op.set == Some(SetOperator::ForAnyValue) => Truth::False,
            base => truth(base.is_negated()),
        };
    };
    if op.base == OperatorBase::Null {
        return truth(c.values.iter().any(|v| v.eq_ignore_ascii_case("false")));
    }
    // One context value: ForAnyValue and ForAllValues both reduce to the plain match.
    match matches(&op.base, &c.values, actual) {
        Some(m) => truth(m != op.base.is_negated()),
        None => Truth::Unknown,
    }
}

/// What a statement's `Condition` block (its conditions ANDed) decides for `request`: `True`
/// without conditions.
pub fn conditions_truth<'c>(
    conditions: impl IntoIterator<Item = &'c Condition>,
    request: &SessionRequest<'_>,
) -> Truth {
    let mut all = Truth::True;
    for c in conditions {
        match condition_truth(c, request) {
            Truth::False => return Truth::False,
            Truth::Unknown => all = Truth::Unknown,
            Truth::True => {}
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ResourcePolicy;

    fn conditions(block: &str) -> Vec<Condition> {
        let doc = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{block}}}]}}"#
        );
        ResourcePolicy::parse(&doc)
            .expect("parses")
            .statements
            .remove(0)
            .conditions
    }

    #[test]
    fn a_lambda_session_never_carries_mfa() {
        let none = SessionRequest::default();
        let rows = [
            (
                r#"{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}"#,
                Truth::True,
            ),
            (
                r#"{"Bool":{"aws:MultiFactorAuthPresent":"false"}}"#,
                Truth::True,
            ),
            (
                r#"{"Bool":{"aws:MultiFactorAuthPresent":false}}"#,
                Truth::True,
            ),
            (
                r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
                Truth::False,
            ),
            (r#"{"Null":{"aws:MultiFactorAuthAge":"true"}}"#, Truth::True),
            (
                r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
                Truth::False,
            ),
            (
                r#"{"NumericGreaterThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}"#,
                Truth::True,
            ),
            (
                r#"{"StringNotEquals":{"aws:CalledVia":"cloudformation.amazonaws.com"}}"#,
                Truth::True,
            ),
            (
                r#"{"ForAnyValue:StringEquals":{"aws:CalledVia":"athena.amazonaws.com"}}"#,
                Truth::False,
            ),
            (
                r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
                Truth::Unknown,
            ),
            (
                r#"{"StringEquals":{"aws:ResourceTag/team":"a"}}"#,
                Truth::Unknown,
            ),
        ];
        for (block, want) in rows {
            assert_eq!(conditions_truth(&conditions(block), &none), want, "{block}");
        }
    }

    #[test]
    fn passed_to_service_is_the_service_the_role_goes_to() {
        let to = |s| SessionRequest {
            passed_to_service: Some(s),
        };
        let c = conditions(
            r#"{"StringEquals":{"iam:PassedToService":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]}}"#,
        );
        assert_eq!(conditions_truth(&c, &to("ec2.amazonaws.com")), Truth::True);
        assert_eq!(
            conditions_truth(&c, &to("lambda.amazonaws.com")),
            Truth::False
        );
        assert_eq!(
            conditions_truth(&c, &SessionRequest::default()),
            Truth::False
        );
        let like = conditions(r#"{"StringLike":{"iam:PassedToService":"*.amazonaws.com"}}"#);
        assert_eq!(
            conditions_truth(&like, &to("glue.amazonaws.com")),
            Truth::True
        );
        let both = conditions(
            r#"{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
        );
        assert_eq!(
            conditions_truth(&both, &to("lambda.amazonaws.com")),
            Truth::Unknown
        );
        assert_eq!(
            conditions_truth(&both, &to("ec2.amazonaws.com")),
            Truth::False
        );
    }
}

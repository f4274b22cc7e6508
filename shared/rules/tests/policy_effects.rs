//! Whole-policy verdicts: each `Allow` judged with the policy's `Deny` statements, beside its
//! verdict alone.

use serde_json::{json, Value};
use warden_rules::ids::AccountId;
use warden_rules::policy::{policy_verdicts, ResourcePolicy, TrustContext, VerdictKind};

const OWN: &str = "111122223333";
const ORG: &str = "o-a1b2c3d4e5";
const F: &str = "arn:aws:lambda:us-east-1:111122223333:function:orders-api";

fn trust(org: bool) -> TrustContext {
    let mut t = TrustContext::new(AccountId::parse(OWN).unwrap());
    if org {
        t.organization_id = Some(ORG.to_owned());
    }
    t
}

fn allow_star() -> Value {
    json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:Invoke*", "Resource": "arn:aws:lambda:us-east-1:111122223333:function:*"})
}

fn deny(condition: Value) -> Value {
    json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "lambda:*", "Resource": "*", "Condition": condition})
}

/// The verdicts (alone, effective) of the first statement, and the effective reason.
fn judge(statements: Value, org: bool) -> (VerdictKind, VerdictKind, String) {
    let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let policy = ResourcePolicy::parse(&doc).expect("policy");
    let v = policy_verdicts(&policy.statements, &trust(org))
        .into_iter()
        .next()
        .expect("a statement");
    (v.alone.kind, v.effective.kind, v.effective.reason)
}

#[test]
fn a_deny_outside_the_organization_leaves_the_organization() {
    let statements = json!([
        allow_star(),
        deny(json!({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}))
    ]);
    let (alone, effective, reason) = judge(statements.clone(), true);
    assert_eq!(alone, VerdictKind::Public);
    assert_eq!(effective, VerdictKind::Restricted, "{reason}");
    assert!(reason.contains("Deny \"guard\""), "{reason}");
    // Without the organization trusted, what is left is that organization: cross-account.
    let (_, effective, _) = judge(statements, false);
    assert_eq!(
        effective,
        VerdictKind::CrossAccount {
            accounts: vec![ORG.to_owned()]
        }
    );
}

#[test]
fn deny_shapes_that_leave_known_callers() {
    let cases = [
        (
            deny(json!({"StringNotEqualsIfExists": {"aws:SourceAccount": OWN}})),
            VerdictKind::Restricted,
        ),
        (
            json!({"Sid": "guard", "Effect": "Deny", "NotPrincipal": {"AWS": format!("arn:aws:iam::{OWN}:root")}, "Action": "*", "Resource": "*"}),
            VerdictKind::Restricted,
        ),
        (
            deny(json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
            VerdictKind::NetworkRestricted {
                networks: vec!["aws:SourceIp 203.0.113.0/24".to_owned()],
            },
        ),
        (
            deny(json!({"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}})),
            VerdictKind::ConfusedDeputy {
                services: vec!["any AWS service".to_owned()],
            },
        ),
        (
            json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "lambda:*", "Resource": "arn:aws:lambda:*"}),
            VerdictKind::Restricted,
        ),
    ];
    for (d, want) in cases {
        let (_, effective, reason) = judge(json!([allow_star(), d.clone()]), false);
        assert_eq!(effective, want, "{d}: {reason}");
    }
}

#[test]
fn denies_that_cannot_be_combined_leave_the_allow_as_judged_alone() {
    let cases = [
        // Two conditions, ANDed: the Deny refuses only requests matching both.
        deny(
            json!({"StringNotEquals": {"aws:PrincipalOrgID": ORG}, "IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}),
        ),
        // Not everyone: the Deny covers one account only.
        json!({"Sid": "guard", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "*", "Resource": "*"}),
        // A key that neither pins nor limits the caller.
        deny(json!({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}})),
        // A set operator.
        deny(json!({"ForAnyValue:StringNotEquals": {"aws:PrincipalOrgID": ORG}})),
        // Plain Bool is false when the key is absent, and anonymous requests lack it.
        deny(json!({"Bool": {"aws:PrincipalIsAWSService": "false"}})),
        // What is left is the anonymous internet.
        deny(json!({"StringNotEquals": {"aws:PrincipalAccount": "anonymous"}})),
        // A `?` covers one character, not every action `lambda:Invoke*` grants.
        json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction?", "Resource": "*"}),
        // Nor every function name.
        json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "arn:aws:lambda:us-east-1:111122223333:function:?"}),
    ];
    for d in cases {
        let (_, effective, reason) = judge(json!([allow_star(), d.clone()]), true);
        assert_eq!(effective, VerdictKind::Public, "{d}: {reason}");
    }
    // A Deny on another function does not apply at all: the reason is the statement's own.
    let other = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "arn:aws:lambda:us-east-2:111122223333:function:*"});
    let (_, effective, reason) = judge(json!([allow_star(), other]), true);
    assert_eq!(effective, VerdictKind::Public);
    assert!(!reason.contains("Deny"), "{reason}");
}

#[test]
fn anonymous_callers_are_an_account_value_that_admits_everyone() {
    let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl", "Resource": F, "Condition": {"StringEquals": {"aws:PrincipalAccount": "anonymous"}}});
    assert_eq!(judge(json!([allow]), false).1, VerdictKind::Public);
}

#[test]
fn a_deny_of_some_actions_leaves_the_rest() {
    let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"], "Resource": F});
    let d = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}});
    let (_, effective, reason) = judge(json!([allow, d]), true);
    assert_eq!(effective, VerdictKind::Public);
    assert!(
        reason.contains("lambda:GetFunctionConfiguration"),
        "{reason}"
    );
    // A Deny of lambda:* covers lambda:Invoke* as written.
    let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:Invoke*", "Resource": F});
    let d = deny(json!({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}));
    assert_eq!(judge(json!([allow, d]), true).1, VerdictKind::Restricted);
}

#[test]
fn a_deny_for_all_values_outside_the_organization_paths_leaves_the_organization() {
    let d =
        deny(json!({"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": format!("{ORG}/*")}}));
    let (_, effective, reason) = judge(json!([allow_star(), d]), true);
    assert_eq!(effective, VerdictKind::Restricted, "{reason}");
}

//! Attacks on the whole-policy and network verdicts: policies shaped so that the verdict
//! would be less severe than what IAM allows (a public grant escaping LW001's CRITICAL finding
//! and its fix). Each holds the verdict IAM's documented evaluation gives.

use serde_json::{json, Value};
use warden_rules::ids::AccountId;
use warden_rules::policy::{policy_verdicts, ResourcePolicy, TrustContext, VerdictKind};

const OWN: &str = "111122223333";
const F: &str = "arn:aws:lambda:us-east-1:111122223333:function:orders-api";

fn effective(statements: Value) -> (VerdictKind, String) {
    let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let p = ResourcePolicy::parse(&doc).unwrap();
    let v = policy_verdicts(
        &p.statements,
        &TrustContext::new(AccountId::parse(OWN).unwrap()),
    )
    .into_iter()
    .next()
    .unwrap();
    (v.effective.kind, v.effective.reason)
}

fn url_allow() -> Value {
    json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
           "Resource": F, "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}})
}

// A Deny's `?` is matched against the Allow's literal `*` as if it covered it.
#[test]
fn deny_question_mark_does_not_cover_allow_star_action() {
    let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction*", "Resource": F});
    // Matches only lambda:InvokeFunction + exactly one character: no real action.
    let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "lambda:InvokeFunction?", "Resource": "*"});
    let (k, r) = effective(json!([allow, deny]));
    assert_eq!(k, VerdictKind::Public, "{r}");
}

#[test]
fn deny_question_mark_does_not_cover_allow_star_resource() {
    let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                       "Resource": "arn:aws:lambda:us-east-1:111122223333:function:*"});
    let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "lambda:*",
                      "Resource": "arn:aws:lambda:us-east-1:111122223333:function:?"});
    let (k, r) = effective(json!([allow, deny]));
    assert_eq!(k, VerdictKind::Public, "{r}");
}

// Plain Bool aws:PrincipalIsAWSService=false is false for anonymous requests (key absent),
// so the Deny does not refuse them.
#[test]
fn bool_principal_is_aws_service_false_deny_lets_anonymous_in() {
    let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "lambda:*", "Resource": "*",
                      "Condition": {"Bool": {"aws:PrincipalIsAWSService": "false"}}});
    let (k, r) = effective(json!([url_allow(), deny]));
    assert_eq!(k, VerdictKind::Public, "{r}");
}

// aws:PrincipalAccount is "anonymous" for anonymous requests.
#[test]
fn principal_account_anonymous_admits_anonymous_callers() {
    let mut allow = url_allow();
    allow["Condition"]["StringEquals"]["aws:PrincipalAccount"] = json!("anonymous");
    let (k, r) = effective(json!([allow]));
    assert_eq!(k, VerdictKind::Public, "{r}");
}

#[test]
fn deny_except_anonymous_leaves_anonymous() {
    let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "lambda:*", "Resource": "*",
                      "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "anonymous"}}});
    let (k, r) = effective(json!([url_allow(), deny]));
    assert_eq!(k, VerdictKind::Public, "{r}");
}

// ORed CIDR ranges whose union is the whole address space.
#[test]
fn ip_ranges_covering_everything_are_public() {
    for ranges in [
        json!(["0.0.0.0/1", "128.0.0.0/1"]),
        json!(["::/1", "8000::/1"]),
    ] {
        let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                           "Resource": F, "Condition": {"IpAddress": {"aws:SourceIp": ranges.clone()}}});
        let (k, r) = effective(json!([allow]));
        assert_eq!(k, VerdictKind::Public, "{ranges}: {r}");
        let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                          "Condition": {"NotIpAddress": {"aws:SourceIp": ranges.clone()}}});
        let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": F});
        let (k, r) = effective(json!([allow, deny]));
        assert_eq!(k, VerdictKind::Public, "deny {ranges}: {r}");
    }
}

// Shapes that are read right and must stay so.
#[test]
fn controls_that_hold() {
    // BoolIfExists false does refuse anonymous callers: services-only is right (tool is
    // conservative and says public, which is fine).
    let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "lambda:*", "Resource": "*"});
    let (k, _) = effective(json!([url_allow(), deny]));
    assert_eq!(k, VerdictKind::Restricted); // {"AWS":"*"} = "*" per IAM docs
                                            // Case of actions: IAM action names are case-insensitive.
    let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": F});
    let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "LAMBDA:invokefunction", "Resource": F});
    assert_eq!(
        effective(json!([allow.clone(), deny])).0,
        VerdictKind::Restricted
    );
    // Resource case matters: a Deny on Orders-api does not cover orders-api.
    let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": F.replace("orders", "Orders")});
    assert_eq!(
        effective(json!([allow.clone(), deny])).0,
        VerdictKind::Public
    );
    // StringLike SourceArn shapes.
    for (pat, public) in [
        ("arn:aws:sns:us-east-1:111122223333?*", false),
        ("arn:aws:sns:us-east-1:11112222333?*", true),
        ("arn:aws:sns:*:111122223333*", true),
        ("arn:*:sns:us-east-1:111122223333*", true),
        ("arn:aws:sns:us-east-1:111122223333:*", false),
        ("arn:aws:s3:::111122223333*", true),
    ] {
        let a = json!({"Sid": "s", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": F,
                       "Condition": {"StringLike": {"aws:SourceArn": pat}}});
        let (k, r) = effective(json!([a]));
        assert_eq!(k == VerdictKind::Public, public, "{pat}: {r}");
    }
}

#[test]
fn ipv6_halves_covering_everything_are_public() {
    let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
                       "Resource": F, "Condition": {"IpAddress": {"aws:SourceIp": ["::/1", "8000::/1"]}}});
    let (k, r) = effective(json!([allow]));
    assert_eq!(k, VerdictKind::Public, "{r}");
}

#[test]
fn a_deny_outside_two_halves_of_the_internet_leaves_it_public() {
    let deny = json!({"Sid": "guard", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                      "Condition": {"NotIpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}});
    let allow = json!({"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": F});
    let (k, r) = effective(json!([allow, deny]));
    assert_eq!(k, VerdictKind::Public, "{r}");
}

//! Properties that keep remediation honest: tightening a statement never widens access, and
//! moving a statement through its text or through `AddPermission` keeps its meaning.

use proptest::prelude::*;
use serde_json::{json, Value};
use warden_rules::grant::{grant_from_statement, statement_from_grant};
use warden_rules::ids::{AccountId, FunctionArn};
use warden_rules::policy::{verdict, ResourcePolicy, TrustContext, VerdictKind};

const OWN: &str = "111122223333";
const ORG: &str = "o-a1b2c3d4e5";
const ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:f";

fn trust(with_org: bool) -> TrustContext {
    let mut t = TrustContext::new(AccountId::parse(OWN).expect("account"));
    if with_org {
        t.organization_id = Some(ORG.to_owned());
    }
    t
}

fn principal() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": ["*", "arn:aws:iam::444455556666:root"]}),
        json!({"AWS": "arn:aws:iam::*:root"}),
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
        json!({"AWS": "arn:aws:iam::444455556666:role/x"}),
        json!({"Service": "s3.amazonaws.com"}),
        json!({"Service": ["sns.amazonaws.com", "events.amazonaws.com"]}),
        json!({"Federated": "*"}),
    ])
}

/// Any condition: real pins, wildcards, negations, set operators, unknown operators.
fn condition() -> impl Strategy<Value = (String, String, Value)> {
    let op = prop::sample::select(vec![
        "StringEquals",
        "StringLike",
        "StringNotEquals",
        "ArnLike",
        "ArnNotLike",
        "Bool",
        "Null",
        "StringEqualsIfExists",
        "ForAnyValue:StringEquals",
        "ForAllValues:StringLike",
        "NumericLessThan",
        "StringEqualz",
    ]);
    let key = prop::sample::select(vec![
        "aws:SourceAccount",
        "AWS:SourceArn",
        "aws:SourceOwner",
        "aws:PrincipalOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "lambda:FunctionUrlAuthType",
        "lambda:InvokedViaFunctionUrl",
        "aws:SourceIp",
    ]);
    let value = prop::sample::select(vec![
        json!(OWN),
        json!("444455556666"),
        json!("*"),
        json!(ORG),
        json!("arn:aws:sns:us-east-1:111122223333:t"),
        json!("arn:aws:s3:::bucket"),
        json!("arn:aws:sns:*:*:t"),
        json!("NONE"),
        json!("true"),
        json!([OWN, "444455556666"]),
    ]);
    (op, key, value).prop_map(|(o, k, v)| (o.to_owned(), k.to_owned(), v))
}

/// A pinning condition: one that names the function's own account or the trusted
/// organization with a fixed value.
fn pin() -> impl Strategy<Value = (String, String, Value)> {
    prop::sample::select(vec![
        ("StringEquals", "aws:SourceAccount", json!(OWN)),
        ("StringEquals", "aws:PrincipalAccount", json!(OWN)),
        ("StringEquals", "aws:PrincipalOrgID", json!(ORG)),
        (
            "ArnLike",
            "aws:SourceArn",
            json!("arn:aws:sns:us-east-1:111122223333:t"),
        ),
        (
            "ArnEquals",
            "aws:PrincipalArn",
            json!("arn:aws:iam::111122223333:role/app"),
        ),
    ])
    .prop_map(|(o, k, v)| (o.to_owned(), k.to_owned(), v))
}

fn statement() -> impl Strategy<Value = Value> {
    let effect = prop::sample::select(vec![Some("Allow"), Some("Allow"), Some("Deny"), None]);
    let action = prop::sample::select(vec![
        json!("lambda:InvokeFunction"),
        json!("lambda:InvokeFunctionUrl"),
        json!(["lambda:InvokeFunction", "lambda:GetFunction"]),
    ]);
    (
        effect,
        principal(),
        action,
        prop::collection::vec(condition(), 0..3),
    )
        .prop_map(|(effect, principal, action, conditions)| {
            let mut s =
                json!({"Sid": "s", "Principal": principal, "Action": action, "Resource": ARN});
            if let Some(e) = effect {
                s["Effect"] = json!(e);
            }
            for c in conditions {
                add_condition(&mut s, c);
            }
            s
        })
}

/// Adds a condition, unless the statement already has one with the same operator and key
/// (a JSON object cannot hold the key twice); returns whether it was added.
fn add_condition(s: &mut Value, (op, key, value): (String, String, Value)) -> bool {
    let block = &mut s["Condition"][op.as_str()];
    if block.get(key.as_str()).is_some() {
        return false;
    }
    block[key.as_str()] = value;
    true
}

/// The rank of `VerdictKind::Public`.
const PUBLIC: u8 = VerdictKind::Public.rank();

fn rank(s: &Value, t: &TrustContext) -> u8 {
    let p = ResourcePolicy::parse(&json!({ "Statement": [s] }).to_string()).expect("parses");
    verdict(&p.statements[0], t).kind.rank()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// IAM ANDs a statement's conditions: one more can only narrow who matches. So it never
    /// makes a statement public that was not, and never opens a restricted one. (It may move
    /// a statement between the two middle verdicts: an S3 grant for any account's bucket,
    /// `ConfusedDeputy`, pinned to an untrusted account becomes `CrossAccount`, a narrower
    /// grant that the rank orders higher.)
    #[test]
    fn adding_any_condition_never_makes_a_statement_more_public(s in statement(), c in condition(), org in any::<bool>()) {
        let t = trust(org);
        let before = rank(&s, &t);
        let mut narrowed = s.clone();
        prop_assume!(add_condition(&mut narrowed, c));
        let after = rank(&narrowed, &t);
        prop_assert!(after < PUBLIC || before == PUBLIC, "public only after: {s} -> {narrowed}");
        prop_assert!(before > 1 || after <= 1, "restricted {before} -> {after}: {s} -> {narrowed}");
    }

    /// A pin to the own account or the trusted organization leaves nothing public.
    #[test]
    fn adding_a_pin_never_leaves_a_statement_public(s in statement(), c in pin()) {
        let t = trust(true);
        let before = rank(&s, &t);
        let mut pinned = s.clone();
        prop_assume!(add_condition(&mut pinned, c));
        let after = rank(&pinned, &t);
        prop_assert!(after <= before && after < PUBLIC, "rank {before} -> {after}: {pinned}");
    }

    /// Parse → serialise (compact or pretty) → parse: the same model and the same verdicts.
    #[test]
    fn serialising_a_policy_keeps_its_meaning(statements in prop::collection::vec(statement(), 1..4), pretty in any::<bool>(), org in any::<bool>()) {
        let doc = json!({"Version": "2012-10-17", "Id": "default", "Statement": statements});
        let first = ResourcePolicy::parse(&doc.to_string()).expect("parses");
        let raws: Vec<Value> = first.statements.iter().map(|s| s.raw().clone()).collect();
        let again_doc = json!({"Version": first.version, "Id": first.id, "Statement": raws});
        let text = if pretty {
            serde_json::to_string_pretty(&again_doc).expect("serialises")
        } else {
            again_doc.to_string()
        };
        let again = ResourcePolicy::parse(&text).expect("re-parses");
        let t = trust(org);
        let verdicts = |p: &ResourcePolicy| p.statements.iter().map(|s| verdict(s, &t)).collect::<Vec<_>>();
        prop_assert_eq!(verdicts(&first), verdicts(&again));
        prop_assert_eq!(first, again);
    }

    /// A statement AddPermission can write comes back from AddPermission's statement with the
    /// same arguments and the same verdict: restore re-adds exactly what was removed.
    #[test]
    fn add_permission_round_trip_keeps_meaning(s in statement(), org in any::<bool>()) {
        let p = ResourcePolicy::parse(&json!({ "Statement": [s] }).to_string()).expect("parses");
        let original = &p.statements[0];
        let Ok(grant) = grant_from_statement(original, None) else {
            return Ok(());
        };
        let function = FunctionArn::parse(ARN).expect("arn");
        let written = statement_from_grant(&grant, &function);
        let q = ResourcePolicy::parse(&json!({ "Statement": [written] }).to_string()).expect("parses");
        let back = &q.statements[0];
        prop_assert_eq!(grant_from_statement(back, None), Ok(grant));
        let t = trust(org);
        prop_assert_eq!(verdict(original, &t).kind, verdict(back, &t).kind, "{} vs {}", s, written);
    }
}

//! Table tests for statement verdicts, parse errors, and properties of the policy model.
//!
//! Statements are in the shape `GetPolicy` returns them: accounts as
//! `{"AWS": "arn:aws:iam::ACCOUNT:root"}`, `lambda:FunctionUrlAuthType` under
//! `Condition: {"StringEquals": ...}`, condition keys in mixed case (`AWS:SourceArn`).

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};
use warden_rules::ids::AccountId;
use warden_rules::policy::{
    keys, verdict, Effect, OperatorBase, PolicyParseError, Principal, ResourcePolicy, SetOperator,
    TrustContext, MAX_POLICY_BYTES,
};

const OWN: &str = "111122223333";
const TRUSTED: &str = "222233334444";
const OTHER: &str = "444455556666";
const ORG: &str = "o-a1b2c3d4e5";

/// Which trust configuration a row is judged under.
#[derive(Clone, Copy, Debug)]
enum Ctx {
    /// Only the function's account (111122223333) is trusted; no organization configured.
    Plain,
    /// Also trusts account 222233334444 and organization o-a1b2c3d4e5.
    Trusting,
}

fn ctx(c: Ctx) -> TrustContext {
    let own = AccountId::parse(OWN).unwrap();
    match c {
        Ctx::Plain => TrustContext::new(own),
        Ctx::Trusting => TrustContext {
            function_account: own,
            trusted_accounts: [AccountId::parse(TRUSTED).unwrap()].into_iter().collect(),
            organization_id: Some(ORG.to_owned()),
        },
    }
}

/// One row of `fixtures/policy_verdicts.json`: a statement, the trust it is judged under, the
/// verdict it must get (as `VerdictKind` serialises: `{"type": "cross_account", "accounts":
/// [...]}`), and a part its reason must contain. The same table drives the CLI's
/// `check-policy` tests.
#[derive(Deserialize)]
struct Row {
    name: String,
    context: String,
    statement: Value,
    verdict: Value,
    reason_contains: String,
}

#[derive(Deserialize)]
struct Table {
    rows: Vec<Row>,
}

fn policy_of(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Id":"default","Statement":[{statement}]}}"#)
}

fn rows() -> Vec<Row> {
    let table: Table = serde_json::from_str(include_str!("fixtures/policy_verdicts.json"))
        .expect("fixtures/policy_verdicts.json is a table of rows");
    table.rows
}

fn row_ctx(r: &Row) -> Ctx {
    match r.context.as_str() {
        "plain" => Ctx::Plain,
        "trusting" => Ctx::Trusting,
        other => panic!("[{}] unknown context {other:?}", r.name),
    }
}

/// Set `SHOW_REASONS=1` (with `--nocapture`) to print every row's verdict and reason.
#[test]
fn every_row_gets_its_verdict_and_reason() {
    let show = std::env::var_os("SHOW_REASONS").is_some();
    let rows = rows();
    assert!(rows.len() >= 40, "only {} rows", rows.len());
    let mut names = BTreeSet::new();
    let mut failures = Vec::new();
    for r in &rows {
        assert!(
            names.insert(r.name.as_str()),
            "duplicate row name {:?}",
            r.name
        );
        let policy = match ResourcePolicy::parse(&policy_of(&r.statement.to_string())) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("[{}] does not parse: {e}", r.name));
                continue;
            }
        };
        let v = verdict(&policy.statements[0], &ctx(row_ctx(r)));
        if show {
            println!("[{}] {} :: {}", r.name, v.kind, v.reason);
        }
        let got = serde_json::to_value(&v.kind).expect("verdict kind serialises");
        if got != r.verdict {
            failures.push(format!(
                "[{}] verdict {} but expected {}\n    reason: {}",
                r.name, got, r.verdict, v.reason
            ));
        } else if !v.reason.contains(&r.reason_contains) {
            failures.push(format!(
                "[{}] reason lacks {:?}\n    reason: {}",
                r.name, r.reason_contains, v.reason
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn reasons_name_principal_and_keys() {
    let p = ResourcePolicy::parse(&policy_of(
        r#"{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"*","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::example-upload-bucket"}}}"#,
    ))
    .unwrap();
    let v = verdict(&p.statements[0], &ctx(Ctx::Plain));
    for part in [
        "s3.amazonaws.com",
        "AWS:SourceArn",
        "arn:aws:s3:::example-upload-bucket",
        "ArnLike",
    ] {
        assert!(
            v.reason.contains(part),
            "reason lacks {part:?}: {}",
            v.reason
        );
    }
}

// ---- helpers on statements ------------------------------------------------------------------

#[test]
fn url_helpers_read_aws_shapes() {
    let p = ResourcePolicy::parse(
        r#"{"Version":"2012-10-17","Id":"default","Statement":[
        {"Sid":"FunctionURLAllowPublicAccess","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunctionUrl","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}},
        {"Sid":"FunctionURLAllowInvokeAction","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:111122223333:function:f","Condition":{"Bool":{"lambda:InvokedViaFunctionUrl":"true"}}},
        {"Sid":"iam","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"lambda:InvokeFunctionUrl","Resource":"*","Condition":{"StringEquals":{"Lambda:FunctionURLAuthType":"AWS_IAM"}}},
        {"Sid":"maybe","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*","Condition":{"BoolIfExists":{"lambda:InvokedViaFunctionUrl":true}}},
        {"Sid":"plain","Effect":"Allow","Principal":"*","Action":"lambda:*","Resource":"*"}
        ]}"#,
    )
    .unwrap();
    let s = |sid: &str| {
        p.statement(sid)
            .unwrap_or_else(|| panic!("no statement {sid}"))
    };
    assert_eq!(
        s("FunctionURLAllowPublicAccess").function_url_auth_type(),
        Some("NONE")
    );
    assert_eq!(s("iam").function_url_auth_type(), Some("AWS_IAM"));
    assert_eq!(s("plain").function_url_auth_type(), None);
    assert!(s("FunctionURLAllowInvokeAction").invoked_via_function_url());
    assert!(!s("maybe").invoked_via_function_url());
    assert!(!s("plain").invoked_via_function_url());
    assert!(s("plain").allows_action("lambda:InvokeFunctionUrl"));
    assert!(s("FunctionURLAllowPublicAccess").allows_action("Lambda:InvokeFunctionURL"));
    assert!(!s("FunctionURLAllowPublicAccess").allows_action("lambda:InvokeFunction"));
    assert!(
        p.statement("functionurlallowpublicaccess").is_none(),
        "Sids are case-sensitive"
    );
}

#[test]
fn model_fields_are_read() {
    let p = ResourcePolicy::parse(
        r#"{"Statement":{"Sid":"x","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:root"],"Service":"sns.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be","Weird":"thing"},
        "NotAction":["lambda:GetPolicy"],"NotResource":"arn:aws:lambda:us-east-1:111122223333:function:f",
        "Condition":{"ForAnyValue:StringLikeIfExists":{"aws:PrincipalOrgPaths":["o-a1b2c3d4e5/*", 5]}}}}"#,
    )
    .unwrap();
    let s = &p.statements[0];
    assert_eq!(s.effect, Effect::Deny);
    assert!(s.principal.is_none());
    let Some(Principal::Map(m)) = &s.not_principal else {
        panic!("NotPrincipal not read: {:?}", s.not_principal)
    };
    assert_eq!(m.aws, vec!["arn:aws:iam::111122223333:root"]);
    assert_eq!(m.service, vec!["sns.amazonaws.com"]);
    assert_eq!(m.federated, vec!["cognito-identity.amazonaws.com"]);
    assert_eq!(m.canonical_user.len(), 1);
    assert_eq!(
        m.other,
        vec![("Weird".to_owned(), vec!["thing".to_owned()])]
    );
    assert_eq!(s.not_action, vec!["lambda:GetPolicy"]);
    assert_eq!(s.not_resource.len(), 1);
    let c = &s.conditions[0];
    assert_eq!(c.operator.base, OperatorBase::StringLike);
    assert_eq!(c.operator.set, Some(SetOperator::ForAnyValue));
    assert!(c.operator.if_exists);
    assert!(c.key.is(keys::PRINCIPAL_ORG_PATHS));
    assert_eq!(c.values, vec!["o-a1b2c3d4e5/*", "5"]);
}

// ---- raw --------------------------------------------------------------------------------------

#[test]
fn raw_is_the_statement_verbatim() {
    let statement = json!({
        "Sid": "s3-invoke",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": "arn:aws:lambda:us-east-1:111122223333:function:image-resizer",
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": "111122223333"},
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::example-upload-bucket"}
        },
        "SomethingNew": {"kept": [1, 2, 3]}
    });
    let doc = json!({"Version": "2012-10-17", "Statement": [statement.clone()]});
    let p = ResourcePolicy::parse(&doc.to_string()).unwrap();
    assert_eq!(p.statements[0].raw(), statement);
    assert_eq!(p.statements[0].raw()["SomethingNew"]["kept"][2], 3);
}

// ---- parse errors --------------------------------------------------------------------------

#[test]
fn not_json_reports_line_and_column() {
    let e = ResourcePolicy::parse("{\n  \"Statement\": [,]\n}").unwrap_err();
    match &e {
        PolicyParseError::NotJson {
            line,
            column,
            reason,
        } => {
            assert_eq!(*line, 2);
            assert!(*column > 0);
            assert!(
                !reason.contains(" at line "),
                "position repeated in reason: {reason}"
            );
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
    assert!(e.to_string().contains("line 2"), "{e}");
}

/// Whether an error is the expected variant.
type IsVariant = fn(&PolicyParseError) -> bool;

#[test]
fn each_error_variant_names_what_is_wrong() {
    let cases: Vec<(&str, &str, IsVariant)> = vec![
        ("[1, 2]", "an array", (|e| matches!(e, PolicyParseError::NotAnObject { .. }))),
        (r#"{"Version":"2012-10-17"}"#, "no Statement", (|e| matches!(e, PolicyParseError::MissingStatement))),
        (r#"{"Statement":[{"Effect":"Allow"}, "oops"]}"#, "statement 1", (|e| matches!(e, PolicyParseError::StatementNotObject { index: 1, .. }))),
        (r#"{"Statement":"oops"}"#, "statement 0", (|e| matches!(e, PolicyParseError::StatementNotObject { index: 0, .. }))),
        (
            r#"{"Statement":[{"Sid":"ok","Effect":"Allow"},{"Sid":"numbered","Effect":"Allow","Principal":42}]}"#,
            "statement \"numbered\" (index 1): Principal must be",
            (|e| matches!(e, PolicyParseError::Field { index: 1, field: "Principal", sid: Some(s), .. } if s == "numbered")),
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":["lambda:InvokeFunction", 7]}]}"#,
            "statement 0 (no Sid): Action must be a string or a list of strings, found a number (7) at Action[1]",
            (|e| matches!(e, PolicyParseError::Field { field: "Action", sid: None, .. })),
        ),
        (
            r#"{"Statement":{"Sid":"cond","Effect":"Allow","Condition":{"StringEquals":{"aws:SourceAccount":{"nested":1}}}}}"#,
            "statement \"cond\" (index 0): Condition must be",
            (|e| matches!(e, PolicyParseError::Field { field: "Condition", .. })),
        ),
        (
            r#"{"Statement":{"Sid":"cond","Effect":"Allow","Condition":{"StringEquals":"111122223333"}}}"#,
            "Condition.StringEquals",
            (|e| matches!(e, PolicyParseError::Field { field: "Condition", .. })),
        ),
        (
            r#"{"Statement":{"Sid":"eff","Effect":true}}"#,
            "statement \"eff\" (index 0): Effect must be",
            (|e| matches!(e, PolicyParseError::Field { field: "Effect", .. })),
        ),
        (
            r#"{"Statement":{"Sid":"p","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root", null]}}}"#,
            "null at Principal.AWS[1]",
            (|e| matches!(e, PolicyParseError::Field { field: "Principal", .. })),
        ),
        (
            r#"{"Statement":{"Sid":7,"Effect":"Allow"}}"#,
            "Sid must be a string",
            (|e| matches!(e, PolicyParseError::Field { field: "Sid", sid: None, .. })),
        ),
        (
            r#"{"Version":2012,"Statement":[]}"#,
            "Version must be a string",
            (|e| matches!(e, PolicyParseError::DocumentField { field: "Version", .. })),
        ),
    ];
    for (input, message_part, is_variant) in cases {
        let e = ResourcePolicy::parse(input).expect_err(input);
        assert!(is_variant(&e), "{input}: wrong variant {e:?}");
        assert!(
            e.to_string().contains(message_part),
            "{input}: message {:?} lacks {message_part:?}",
            e.to_string()
        );
    }
}

#[test]
fn oversized_documents_are_refused_before_parsing() {
    let big = format!(
        r#"{{"Statement":[],"Pad":"{}"}}"#,
        "x".repeat(MAX_POLICY_BYTES)
    );
    assert_eq!(
        ResourcePolicy::parse(&big),
        Err(PolicyParseError::TooLarge {
            bytes: big.len(),
            limit: MAX_POLICY_BYTES
        })
    );
    let just_fits = format!(
        r#"{{"Statement":[],"Pad":"{}"}}"#,
        "x".repeat(MAX_POLICY_BYTES - 100)
    );
    assert!(ResourcePolicy::parse(&just_fits).is_ok());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(
        ResourcePolicy::parse(&deep),
        Err(PolicyParseError::NotJson { .. })
    ));
}

// ---- properties -----------------------------------------------------------------------------

fn account_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(OWN.to_owned()),
        Just(TRUSTED.to_owned()),
        Just(OTHER.to_owned()),
        Just("*".to_owned()),
        Just("1111*".to_owned()),
        Just("${aws:PrincipalAccount}".to_owned()),
        Just("abc".to_owned()),
    ]
}

fn condition_value() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        account_value().prop_map(Value::String),
        Just(json!("arn:aws:sns:us-east-1:111122223333:t")),
        Just(json!("arn:aws:sns:us-east-1:444455556666:t")),
        Just(json!("arn:aws:sns:us-east-1:*:t")),
        Just(json!("arn:aws:sns:*:111122223333:t")),
        Just(json!("arn:aws:s3:::bucket")),
        Just(json!("arn:aws:execute-api:us-east-1::*")),
        Just(json!("arn:aws:iam::111122223333:role/*")),
        Just(json!(ORG)),
        Just(json!("o-zzzzzzzzzz")),
        Just(json!("o-a1b2c3d4e5/r-ab12/*")),
        Just(json!("NONE")),
        Just(json!("AWS_IAM")),
        Just(json!(true)),
        Just(json!(111122223333u64)),
    ];
    prop_oneof![
        scalar.clone(),
        prop::collection::vec(scalar, 0..3).prop_map(Value::Array),
    ]
}

fn condition_key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "aws:SourceAccount",
        "AWS:SourceArn",
        "aws:sourcearn",
        "aws:SourceOwner",
        "aws:SourceOrgID",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "lambda:FunctionUrlAuthType",
        "lambda:InvokedViaFunctionUrl",
        "lambda:EventSourceToken",
        "aws:SourceIp",
    ])
    .prop_map(str::to_owned)
}

fn operator() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnLike",
        "ArnNotLike",
        "Bool",
        "Null",
        "NumericLessThan",
        "IpAddress",
        "StringEqualz",
    ]);
    let set = prop::sample::select(vec!["", "", "ForAnyValue:", "ForAllValues:"]);
    (set, base, any::<bool>())
        .prop_map(|(s, b, ie)| format!("{s}{b}{}", if ie { "IfExists" } else { "" }))
}

fn principal_value() -> impl Strategy<Value = Value> {
    let aws = prop::sample::select(vec![
        "*",
        "111122223333",
        "444455556666",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::222233334444:root",
        "arn:aws:iam::444455556666:role/x",
        "arn:aws:iam::*:root",
        "AROAEXAMPLEID1234567",
    ]);
    let service = prop::sample::select(vec![
        "s3.amazonaws.com",
        "sns.amazonaws.com",
        "apigateway.amazonaws.com",
        "alexa-appkit.amazon.com",
    ]);
    prop_oneof![
        Just(json!("*")),
        prop::collection::vec(aws, 0..3).prop_map(|v| json!({ "AWS": v })),
        prop::collection::vec(service.clone(), 1..3).prop_map(|v| json!({ "Service": v })),
        (aws_one(), service).prop_map(|(a, s)| json!({"AWS": a, "Service": s})),
        Just(json!({"Federated": "*"})),
        Just(
            json!({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})
        ),
    ]
}

fn aws_one() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "*",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::444455556666:root",
    ])
    .prop_map(str::to_owned)
}

/// A statement in AWS's shape with random principals and conditions.
fn statement() -> impl Strategy<Value = Value> {
    let effect = prop::sample::select(vec![
        Some("Allow"),
        Some("Allow"),
        Some("Deny"),
        Some("Alow"),
        None,
    ]);
    let principal_field =
        prop::sample::select(vec!["Principal", "Principal", "Principal", "NotPrincipal"]);
    let conditions = prop::collection::vec((operator(), condition_key(), condition_value()), 0..4);
    let sid = prop::option::of("[a-zA-Z0-9-]{1,12}");
    (effect, principal_field, principal_value(), conditions, sid).prop_map(
        |(effect, pf, principal, conds, sid)| {
            let mut s = serde_json::Map::new();
            if let Some(sid) = sid {
                s.insert("Sid".into(), json!(sid));
            }
            if let Some(e) = effect {
                s.insert("Effect".into(), json!(e));
            }
            s.insert(pf.into(), principal);
            s.insert("Action".into(), json!("lambda:InvokeFunction"));
            s.insert(
                "Resource".into(),
                json!("arn:aws:lambda:us-east-1:111122223333:function:f"),
            );
            if !conds.is_empty() {
                let mut block = serde_json::Map::new();
                for (op, key, value) in conds {
                    let entry = block.entry(op).or_insert_with(|| json!({}));
                    if let Value::Object(m) = entry {
                        m.insert(key, value);
                    }
                }
                s.insert("Condition".into(), Value::Object(block));
            }
            Value::Object(s)
        },
    )
}

/// Arbitrary JSON whose object keys are often policy element names.
fn policy_like_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "Statement",
            "Sid",
            "Effect",
            "Principal",
            "NotPrincipal",
            "AWS",
            "Service",
            "Federated",
            "CanonicalUser",
            "Action",
            "NotAction",
            "Resource",
            "Condition",
            "StringEquals",
            "ArnLike",
            "ForAllValues:StringLike",
            "aws:SourceAccount",
            "aws:SourceArn",
            "Version",
            "Id",
        ])
        .prop_map(str::to_owned),
        ".{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        prop_oneof![
            Just("*".to_owned()),
            Just("Allow".to_owned()),
            Just("arn:aws:iam::*:root".to_owned()),
            Just("111122223333".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn worst_rank(statement: &Value, ctx: &TrustContext) -> Option<u8> {
    let p = ResourcePolicy::parse(&json!({ "Statement": [statement] }).to_string()).ok()?;
    Some(verdict(&p.statements[0], ctx).kind.rank())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_strings(s in ".{0,200}") {
        let _ = ResourcePolicy::parse(&s);
    }

    #[test]
    fn parse_and_verdict_never_panic_on_json(v in policy_like_json()) {
        let _ = ResourcePolicy::parse(&v.to_string());
        let wrapped = json!({ "Statement": v });
        if let Ok(p) = ResourcePolicy::parse(&wrapped.to_string()) {
            for s in &p.statements {
                let v = verdict(s, &ctx(Ctx::Trusting));
                prop_assert!(!v.reason.is_empty());
            }
        }
    }

    #[test]
    fn pinning_to_the_own_account_never_makes_a_verdict_worse(s in statement(), trusting in any::<bool>()) {
        let c = ctx(if trusting { Ctx::Trusting } else { Ctx::Plain });
        let before = worst_rank(&s, &c).expect("generated statements parse");
        let mut pinned = s.clone();
        let block = pinned
            .as_object_mut()
            .expect("statement is an object")
            .entry("Condition")
            .or_insert_with(|| json!({}));
        let eq = block
            .as_object_mut()
            .expect("Condition is an object")
            .entry("StringEquals")
            .or_insert_with(|| json!({}));
        eq.as_object_mut()
            .expect("StringEquals is an object")
            .insert("aws:SourceAccount".into(), json!(OWN));
        let after = worst_rank(&pinned, &c).expect("pinned statement parses");
        prop_assert!(after <= before, "before {before}, after {after}: {pinned}");
        // Any Allow (or unknown effect) becomes Restricted, a Deny stays Denies.
        prop_assert!(after <= 1, "pinned statement is still rank {after}: {pinned}");
    }

    #[test]
    fn raw_round_trips_to_the_same_model(statements in prop::collection::vec(statement(), 1..4)) {
        let doc = json!({ "Version": "2012-10-17", "Id": "default", "Statement": statements });
        let first = ResourcePolicy::parse(&doc.to_string()).expect("generated policy parses");
        let raws: Vec<Value> = first.statements.iter().map(|s| s.raw().clone()).collect();
        let again_doc = json!({ "Version": "2012-10-17", "Id": "default", "Statement": raws });
        let again = ResourcePolicy::parse(&serde_json::to_string(&again_doc).expect("serialises")).expect("re-parses");
        prop_assert_eq!(first, again);
    }
}

//! The direct text → model parse of policy documents (`ResourcePolicy::parse`) against the
//! reference that reads the whole document into a `serde_json::Value` first
//! (`ResourcePolicy::parse_through_value`): the same model, statement texts that are the same
//! JSON value, and the same error, for every policy document of the test corpora and
//! fixtures, for hand-written odd shapes, and for generated documents.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{json, Value};
use warden_rules::policy::ResourcePolicy;

fn same(text: &str) {
    let direct = ResourcePolicy::parse(text);
    let reference = ResourcePolicy::parse_through_value(text);
    assert_eq!(direct, reference, "{text}");
    if let (Ok(d), Ok(r)) = (&direct, &reference) {
        for (a, b) in d.statements.iter().zip(&r.statements) {
            assert_eq!(a.raw(), b.raw(), "{text}");
        }
    }
}

/// Every object with a `Statement` member, and every string holding one, in `v`.
fn documents(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if map.contains_key("Statement") {
                out.push(v.to_string());
                out.push(serde_json::to_string_pretty(v).unwrap_or_default());
            }
            map.values().for_each(|x| documents(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| documents(x, out)),
        Value::String(s) if s.contains("Statement") => {
            out.push(s.clone());
            if let Ok(inner) = serde_json::from_str::<Value>(s) {
                documents(&inner, out);
            }
        }
        _ => {}
    }
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[test]
fn every_document_of_the_corpora_and_fixtures_parses_the_same_both_ways() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in [
        "tests/corpus",
        "shared/rules/tests/fixtures",
        "bench",
        "events",
    ] {
        json_files(&root.join(dir), &mut files);
    }
    let mut docs = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            documents(&v, &mut docs);
        }
    }
    // The labelled corpus lists bare statements: each case as a document too.
    let corpus: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("tests/corpus/policies.json")).expect("corpus"),
    )
    .expect("corpus JSON");
    for case in corpus["cases"].as_array().expect("cases") {
        docs.push(json!({"Version": "2012-10-17", "Statement": case["statements"]}).to_string());
    }
    assert!(docs.len() > 300, "only {} documents found", docs.len());
    for d in &docs {
        same(d);
    }
}

#[test]
fn odd_shapes_parse_the_same_both_ways() {
    let cases = [
        // a single statement object; Version and Id null; unknown members kept in the text
        r#"{"Version":null,"Id":null,"Statement":{"Effect":"Allow","Principal":"*","Action":"lambda:*","Extra":{"a":[1,2,{"b":null}]}}}"#,
        // repeated keys: the last wins, at every level
        r#"{"Statement":[{"Sid":"a","Sid":"b","Effect":"Allow","Principal":"*"}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"1","AWS":"2"}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"aws:SourceAccount":"1","aws:SourceAccount":"2"}}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Condition":{"Bool":{"a":"true"},"Bool":{"b":"false"}}}]}"#,
        r#"{"Statement":[],"Statement":[{"Effect":"Deny"}]}"#,
        r#"{"Version":"1","Version":"2012-10-17","Statement":[]}"#,
        // escaped element names and values
        r#"{"Statement":[{"\u0045ffect":"Allow","Action":"lambda:\u0049nvokeFunction","Principal":{"Service":"s3.amazonaws.com"}}]}"#,
        // condition values of every scalar type, and numbers in several spellings
        r#"{"Statement":[{"Effect":"Allow","Condition":{"NumericLessThan":{"n":[1,-2,3.5,1e3,18446744073709551615,18446744073709551616]},"Bool":{"b":true}}}]}"#,
        // wrong types: each is a structured error, the same both ways
        r#"{"Statement":[{"Effect":null}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Action":null}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Action":["a",1]}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":5}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":{"x":1}}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Condition":[]}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":"x"}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"k":{"o":1}}}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"k":null}}}]}"#,
        r#"{"Statement":[{"Sid":3,"Effect":"Allow"}]}"#,
        r#"{"Statement":[1]}"#,
        r#"{"Statement":"x"}"#,
        r#"{"Version":3,"Statement":[]}"#,
        r#"{"Id":[],"Statement":[]}"#,
        r#"{"Version":"2012-10-17"}"#,
        r#"[]"#,
        r#"{"Statement":[]} trailing"#,
        r#"{"Statement":[{"Effect":"Allow"}]"#,
        "",
        // principals as bare strings, and empty lists and objects
        r#"{"Statement":[{"Effect":"Allow","Principal":"sns.amazonaws.com"},{"Effect":"Allow","Principal":"123456789012"},{"Effect":"Allow","Principal":{}},{"Effect":"Allow","Principal":{"AWS":[]},"Condition":{}}]}"#,
        r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"Weird":["x"],"CanonicalUser":"c","Federated":["f"]},"NotAction":["a"],"NotResource":"r","Resource":[]}]}"#,
    ];
    for c in cases {
        same(c);
    }
    // What skipping a member would not check: numbers out of range, lone surrogates, nesting
    // past serde_json's depth limit, in a statement or in the document. Each is not JSON to
    // the value path, so the direct parse must not accept it either.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for bad in ["1e400", r#""\ud800""#, deep.as_str()] {
        for text in [
            format!(
                r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","X":{bad}}}]}}"#
            ),
            format!(r#"{{"Statement":[],"X":{bad}}}"#),
            format!(r#"{{"Statement":{{"Effect":"Allow","X":{bad}}}}}"#),
        ] {
            same(&text);
            assert!(ResourcePolicy::parse(&text).is_err(), "{text}");
        }
    }
    // Many keys in one map: the same result, without comparing every key with every other.
    let many: Vec<String> = (0..5000).map(|i| format!(r#""k{i}":"v""#)).collect();
    same(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Condition":{{"StringEquals":{{{}}}}}}}]}}"#,
        many.join(",")
    ));
    let kinds: Vec<String> = (0..5000).map(|i| format!(r#""T{i}":"v""#)).collect();
    same(&format!(
        r#"{{"Statement":[{{"Effect":"Allow","Principal":{{{}}}}}]}}"#,
        kinds.join(",")
    ));
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[a-zA-Z0-9:*?/._-]{0,12}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        Just(Value::Null),
    ]
}

fn element() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[A-Za-z:]{1,8}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const MEMBERS: [&str; 11] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Extra",
    "Effect",
];

/// A statement's text: members from [`MEMBERS`] (repeats allowed) with arbitrary values,
/// and well-formed values often enough that most statements parse.
fn statement_text() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        element(),
        Just(json!("Allow")),
        Just(json!("*")),
        Just(json!({"AWS": ["111122223333", "*"], "Service": "s3.amazonaws.com"})),
        Just(json!(["lambda:InvokeFunction", "lambda:Get*"])),
        Just(
            json!({"StringEquals": {"aws:SourceAccount": ["1", 2, true]}, "ArnLike": {"aws:SourceArn": "arn:aws:s3:::b"}})
        ),
    ];
    prop::collection::vec((0..MEMBERS.len(), value), 0..8).prop_map(|members| {
        let body: Vec<String> = members
            .into_iter()
            .map(|(i, v)| format!("{}:{}", Value::from(MEMBERS[i]), v))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

proptest! {
    #[test]
    fn generated_documents_parse_the_same_both_ways(
        statements in prop::collection::vec(statement_text(), 0..4),
        single in any::<bool>(),
        version in prop_oneof![Just(String::new()), Just(r#""Version":"2012-10-17","#.to_owned()), Just(r#""Version":7,"#.to_owned())],
    ) {
        let body = if single && !statements.is_empty() {
            statements[0].clone()
        } else {
            format!("[{}]", statements.join(","))
        };
        let text = format!(r#"{{{version}"Statement":{body}}}"#);
        same(&text);
    }
}

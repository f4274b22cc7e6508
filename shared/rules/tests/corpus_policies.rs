//! LW001–LW003's verdicts on the labelled corpus `tests/corpus/policies.json`: the first
//! statement of each policy judged with the whole policy (its `Deny` statements included),
//! compared with its label (kind and the accounts, services or networks named). Prints the
//! score and each miss; holds at least 97% exact.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Value};
use warden_rules::ids::AccountId;
use warden_rules::policy::{policy_verdicts, ResourcePolicy, TrustContext};

#[derive(Deserialize)]
struct Trusting {
    trusted_accounts: Vec<String>,
    organization_id: String,
}

#[derive(Deserialize)]
struct Corpus {
    own_account: String,
    trusting: Trusting,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    context: String,
    statements: Vec<Value>,
    verdict: Value,
    reason: String,
}

#[test]
fn policies_corpus_exact_verdicts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/policies.json");
    let text = std::fs::read_to_string(&path).expect("tests/corpus/policies.json");
    let corpus: Corpus = serde_json::from_str(&text).expect("corpus JSON");
    let own = AccountId::parse(&corpus.own_account).expect("own account");
    let plain = TrustContext::new(own.clone());
    let trusting = TrustContext {
        function_account: own,
        trusted_accounts: corpus
            .trusting
            .trusted_accounts
            .iter()
            .map(|a| AccountId::parse(a).expect("trusted account"))
            .collect::<BTreeSet<_>>(),
        organization_id: Some(corpus.trusting.organization_id.clone()),
    };
    let mut right = 0usize;
    let mut wrong = Vec::new();
    for case in &corpus.cases {
        let ctx = if case.context == "trusting" {
            &trusting
        } else {
            &plain
        };
        let doc = json!({"Version": "2012-10-17", "Statement": case.statements}).to_string();
        let got = match ResourcePolicy::parse(&doc) {
            Ok(policy) => policy_verdicts(&policy.statements, ctx)
                .into_iter()
                .next()
                .map(|v| {
                    (
                        serde_json::to_value(&v.effective.kind).unwrap(),
                        v.effective.reason,
                    )
                }),
            Err(e) => Some((json!({"type": "unparseable"}), e.to_string())),
        };
        let (kind, why) = got.unwrap_or((Value::Null, String::new()));
        if kind == case.verdict {
            right += 1;
        } else {
            wrong.push(format!(
                "{}: got {kind}, labelled {} ({}); reason: {why}",
                case.name, case.verdict, case.reason
            ));
        }
    }
    let n = corpus.cases.len();
    println!("lambda-warden resource-policy verdicts on {n} statements: exact {right} of {n}");
    for w in &wrong {
        println!("  {w}");
    }
    assert!(n >= 150, "the corpus holds at least 150 statements");
    assert!(right * 100 >= n * 97, "{right} of {n}: {wrong:#?}");
}

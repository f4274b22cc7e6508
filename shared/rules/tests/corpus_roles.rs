//! LW019–LW022 on the labelled corpus `tests/corpus/roles.json`: every role evaluated, its
//! label set (admin, service wildcard, PassRole wildcard, escalation) compared with the
//! findings, the scores printed with each miss. Holds the goals: every labelled
//! escalation found, no escalation alarm on a role labelled without one, and the whole label
//! set right on at least 95% of the roles. `bench/peers/roles.sh` runs Cloudsplaining over
//! the same roles.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use warden_rules::ids::FunctionArn;
use warden_rules::rules::{evaluate, RuleConfig, RuleId};
use warden_rules::snapshot::FunctionSnapshot;

#[derive(Deserialize)]
struct Corpus {
    roles: Vec<Case>,
}

#[derive(Deserialize)]
struct Labels {
    admin: bool,
    service_wildcard: bool,
    passrole_wildcard: bool,
    escalation: bool,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    reason: String,
    labels: Labels,
    execution_role: Value,
}

/// 2026-05-28T00:00:00Z, the date the rule fixtures use.
const NOW: i64 = 1_779_926_400;

fn labels_of(l: &Labels) -> BTreeSet<RuleId> {
    [
        (l.admin, RuleId::LW019),
        (l.service_wildcard, RuleId::LW020),
        (l.passrole_wildcard, RuleId::LW021),
        (l.escalation, RuleId::LW022),
    ]
    .into_iter()
    .filter_map(|(on, id)| on.then_some(id))
    .collect()
}

#[test]
fn roles_corpus_label_sets() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/roles.json");
    let text = std::fs::read_to_string(&path).expect("tests/corpus/roles.json");
    let corpus: Corpus = serde_json::from_str(&text).expect("corpus JSON");
    let arn = FunctionArn::parse("arn:aws:lambda:us-east-1:111122223333:function:corpus").unwrap();
    let config = RuleConfig::default();
    let judged = [RuleId::LW019, RuleId::LW020, RuleId::LW021, RuleId::LW022];
    let (mut right, mut esc_labelled, mut esc_found, mut esc_false) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for case in &corpus.roles {
        let snapshot = FunctionSnapshot {
            execution_role: common::execution_role(&case.execution_role),
            ..FunctionSnapshot::empty(arn.clone())
        };
        let got: BTreeSet<RuleId> = evaluate(&snapshot, &config, NOW)
            .into_iter()
            .map(|f| f.rule_id)
            .filter(|id| judged.contains(id))
            .collect();
        let want = labels_of(&case.labels);
        if want.contains(&RuleId::LW022) {
            esc_labelled += 1;
            if got.contains(&RuleId::LW022) {
                esc_found += 1;
            }
        } else if got.contains(&RuleId::LW022) {
            esc_false += 1;
        }
        if got == want {
            right += 1;
        } else {
            wrong.push(format!(
                "{}: found {got:?}, labelled {want:?} ({})",
                case.name, case.reason
            ));
        }
    }
    let n = corpus.roles.len();
    println!(
        "lambda-warden LW019-LW022 on {n} roles: escalation found {esc_found} of {esc_labelled}, {esc_false} escalation false alarm(s), every label right on {right} of {n}"
    );
    for w in &wrong {
        println!("  {w}");
    }
    assert!(n >= 80, "the corpus holds at least 80 roles");
    assert_eq!(esc_found, esc_labelled, "{wrong:#?}");
    assert_eq!(esc_false, 0, "{wrong:#?}");
    assert!(right * 100 >= n * 95, "{right} of {n}: {wrong:#?}");
}

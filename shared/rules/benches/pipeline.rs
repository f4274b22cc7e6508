//! The pure pipeline's cost per event: parse the envelope, gate it, evaluate a snapshot whose
//! policy has N statements, plan. Run with `cargo bench -p warden-rules --bench pipeline`
//! (or `bench/run.sh`); compare medians across N rather than absolute times, since the
//! machines are shared.
//!
//! `evaluate_role_corpus` evaluates a function under each of the 146 execution roles of
//! `tests/corpus/roles.json` (their managed and inline policies in full): the role rules,
//! LW022's escalation analysis the largest of them, on realistic documents.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::{json, Value};
use std::hint::black_box;
use warden_rules::config::{Config, Mode};
use warden_rules::gate;
use warden_rules::ids::FunctionArn;
use warden_rules::plan::plan;
use warden_rules::rules::{evaluate, RuleConfig};
use warden_rules::snapshot::{FunctionSnapshot, PolicyDocument, Readable};
use warden_rules::trigger;

/// 2026-05-28T00:00:00Z: the evaluation time, in seconds since the Unix epoch.
const NOW: i64 = 1_779_926_400;

const EVENT: &str = include_str!("../../../events/add-permission-s3-unpinned-image-resizer.json");

/// A policy of `n` statements mixing every verdict kind.
fn policy(n: usize) -> String {
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:image-resizer";
    let statements: Vec<Value> = (0..n)
        .map(|i| match i % 4 {
            0 => json!({"Sid": format!("s3-{i}"), "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"}, "Action": "lambda:InvokeFunction",
                "Resource": arn,
                "Condition": {"ArnLike": {"AWS:SourceArn": format!("arn:aws:s3:::bucket-{i}")}}}),
            1 => json!({"Sid": format!("own-{i}"), "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "lambda:InvokeFunction", "Resource": arn}),
            2 => json!({"Sid": format!("sns-{i}"), "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"}, "Action": "lambda:InvokeFunction",
                "Resource": arn, "Condition": {"ArnLike": {"AWS:SourceArn":
                    format!("arn:aws:sns:us-east-1:123456789012:topic-{i}")}}}),
            _ => json!({"Sid": format!("pub-{i}"), "Effect": "Allow", "Principal": "*",
                "Action": "lambda:InvokeFunction", "Resource": arn}),
        })
        .collect();
    json!({"Version": "2012-10-17", "Id": "default", "Statement": statements}).to_string()
}

fn snapshot(n: usize) -> FunctionSnapshot {
    FunctionSnapshot {
        arn: FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:image-resizer")
            .expect("valid ARN"),
        tags: [("lambda-warden:auto-fix".to_owned(), "true".to_owned())].into(),
        policy: Readable::read(Some(PolicyDocument {
            json: policy(n),
            revision_id: Some("rev".into()),
        })),
        ..FunctionSnapshot::empty(
            FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:image-resizer")
                .expect("valid ARN"),
        )
    }
}

fn bench(c: &mut Criterion) {
    let event: Value = serde_json::from_str(EVENT).expect("sample event is JSON");
    let config = Config {
        mode: Mode::Enforce,
        ..Config::default()
    };
    let rc = RuleConfig::from(&config);
    c.bench_function("trigger_parse_and_gate", |b| {
        b.iter(|| {
            let t = trigger::parse(black_box(&event)).expect("parses");
            black_box(gate::decide(&t, &config));
        })
    });
    let mut group = c.benchmark_group("evaluate_and_plan");
    for n in [1usize, 10, 100] {
        let s = snapshot(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| {
                let findings = evaluate(black_box(s), &rc, NOW);
                black_box(plan(findings, s, &config));
            })
        });
    }
    group.finish();
    let corpus: Value = serde_json::from_str(include_str!("../../../tests/corpus/roles.json"))
        .expect("the role corpus is JSON");
    let arn = FunctionArn::parse("arn:aws:lambda:us-east-1:111122223333:function:corpus")
        .expect("valid ARN");
    let roles: Vec<FunctionSnapshot> = corpus["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| FunctionSnapshot {
            execution_role: common::execution_role(&r["execution_role"]),
            ..FunctionSnapshot::empty(arn.clone())
        })
        .collect();
    c.bench_function("evaluate_role_corpus", |b| {
        b.iter(|| {
            for s in &roles {
                black_box(evaluate(black_box(s), &rc, NOW));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

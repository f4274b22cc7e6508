//! The engine's cost against a floor: evaluating a compliant function snapshot with the
//! default rules, and judging resource-based policies. Run with
//! `cargo bench -p warden-rules --bench engine`; compare ratios, not absolute times, since
//! the machines are shared.
//!
//! - `evaluate_compliant`: `rules::evaluate` over a snapshot of a function that every default
//!   rule passes (pinned S3 invoke permission, customer managed key, active tracing, a
//!   failure destination, two subnets, reserved concurrency, code signing, a narrow execution
//!   role), about 3 KB as JSON.
//! - `parse_floor`: `serde_json::from_str::<FunctionSnapshot>` of that snapshot's JSON. The
//!   snapshot type rather than `serde_json::Value` is the floor: it is what a handler that
//!   receives the snapshot as JSON must do before any rule runs, and it builds the same owned
//!   strings the evaluation then reads (a `Value` parse is cheaper but yields nothing the
//!   rules accept).
//! - `policy_verdicts`: `ResourcePolicy::parse` and `policy_verdicts` of every policy text of
//!   `bench/policy-verdicts.json` (public, pinned S3 and SNS, cross-account, org-pinned),
//!   judged as lambda-warden does by default (only the function's account trusted).
//!   `bench/peers/policy-checker.sh` runs Cloud Custodian's `PolicyChecker` over the same
//!   texts and prints the paired ratio.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use std::hint::black_box;
use warden_rules::config::Config;
use warden_rules::ids::{AccountId, FunctionArn};
use warden_rules::policy::{policy_verdicts, ResourcePolicy, TrustContext};
use warden_rules::rules::{evaluate, RuleConfig};
use warden_rules::snapshot::{
    AttachedPolicy, EventInvokeConfig, ExecutionRole, FunctionConfiguration, FunctionSnapshot,
    InlinePolicy, PolicyDocument, Readable, Redacted, TracingMode, VpcConfig,
};

/// 2026-05-28T00:00:00Z: the evaluation time, in seconds since the Unix epoch.
const NOW: i64 = 1_779_926_400;

const POLICIES: &str = include_str!("../../../bench/policy-verdicts.json");

const ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:orders-api";
const ROLE: &str = "arn:aws:iam::111122223333:role/service-role/orders-api-role";

/// A function every default rule passes.
fn compliant() -> FunctionSnapshot {
    let arn = FunctionArn::parse(ARN).expect("valid ARN");
    let policy = json!({"Version": "2012-10-17", "Id": "default", "Statement": [
        {"Sid": "s3-uploads", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
         "Action": "lambda:InvokeFunction", "Resource": ARN,
         "Condition": {"StringEquals": {"AWS:SourceAccount": "111122223333"},
                       "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::orders-uploads"}}},
        {"Sid": "sns-orders", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
         "Action": "lambda:InvokeFunction", "Resource": ARN,
         "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:111122223333:orders"}}}
    ]});
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"},
                      "ArnLike": {"aws:SourceArn": ARN}}}]});
    let basic = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*"}]});
    let inline = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Orders", "Effect": "Allow",
         "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
         "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/orders"},
        {"Sid": "Uploads", "Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": "arn:aws:s3:::orders-uploads/*"},
        {"Sid": "Key", "Effect": "Allow", "Action": ["kms:Decrypt"],
         "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    ]});
    FunctionSnapshot {
        tags: [
            ("team".to_owned(), "orders".to_owned()),
            ("lambda-warden:auto-fix".to_owned(), "true".to_owned()),
        ]
        .into(),
        policy: Readable::read(Some(PolicyDocument {
            json: policy.to_string(),
            revision_id: Some("5c1bd4a8-8bd0-4c1b-9b8e-2f2f5e0f7f7a".into()),
        })),
        configuration: Readable::read(FunctionConfiguration {
            runtime: Some("python3.13".into()),
            role: Some(ROLE.into()),
            kms_key_arn: Some(
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into(),
            ),
            environment: Readable::read(
                [
                    ("TABLE_NAME".to_owned(), Redacted::new("orders")),
                    ("LOG_LEVEL".to_owned(), Redacted::new("INFO")),
                    (
                        "POWERTOOLS_SERVICE_NAME".to_owned(),
                        Redacted::new("orders-api"),
                    ),
                ]
                .into(),
            ),
            tracing_mode: TracingMode::Active,
            dead_letter_target_arn: Some("arn:aws:sqs:us-east-1:111122223333:orders-dlq".into()),
            vpc: Some(VpcConfig {
                subnet_ids: vec!["subnet-0a1b2c3d".into(), "subnet-4e5f6a7b".into()],
                security_group_ids: vec!["sg-0123456789abcdef0".into()],
                vpc_id: Some("vpc-0123456789abcdef0".into()),
            }),
            architectures: vec!["arm64".into()],
            reserved_concurrent_executions: Some(50),
            ..FunctionConfiguration::default()
        }),
        event_invoke_config: Readable::read(Some(EventInvokeConfig {
            on_failure_destination: Some("arn:aws:sqs:us-east-1:111122223333:orders-dlq".into()),
            maximum_retry_attempts: Some(2),
            ..EventInvokeConfig::default()
        })),
        code_signing_config_arn: Readable::read(Some(
            "arn:aws:lambda:us-east-1:111122223333:code-signing-config:csc-0a1b2c3d4e5f6a7b8"
                .into(),
        )),
        execution_role: Readable::read(Some(ExecutionRole {
            arn: ROLE.into(),
            name: "orders-api-role".into(),
            trust_policy: trust.to_string(),
            attached: Readable::read(vec![AttachedPolicy {
                arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole".into(),
                name: "AWSLambdaBasicExecutionRole".into(),
                document: Readable::read(basic.to_string()),
            }]),
            inline: Readable::read(vec![InlinePolicy {
                name: "orders-data".into(),
                document: Readable::read(inline.to_string()),
            }]),
        })),
        ..FunctionSnapshot::empty(arn)
    }
}

fn bench(c: &mut Criterion) {
    let rc = RuleConfig::from(&Config::default());
    let snapshot = compliant();
    let findings = evaluate(&snapshot, &rc, NOW);
    assert!(
        findings.is_empty(),
        "the bench snapshot must be compliant: {findings:?}"
    );
    let text = serde_json::to_string(&snapshot).expect("serialises");
    c.bench_function("evaluate_compliant", |b| {
        b.iter(|| black_box(evaluate(black_box(&snapshot), &rc, NOW)))
    });
    c.bench_function("parse_floor", |b| {
        b.iter(|| {
            black_box(serde_json::from_str::<FunctionSnapshot>(black_box(&text)).expect("parses"))
        })
    });

    let set: Value = serde_json::from_str(POLICIES).expect("the policy set is JSON");
    let account =
        AccountId::parse(set["function_account"].as_str().expect("account")).expect("account");
    let trust = TrustContext::new(account);
    let texts: Vec<&str> = set["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| p["policy"].as_str().expect("policy text"))
        .collect();
    let mut group = c.benchmark_group("policy_verdicts");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("set", |b| {
        b.iter(|| {
            for t in &texts {
                let p = ResourcePolicy::parse(black_box(t)).expect("parses");
                black_box(policy_verdicts(&p.statements, &trust));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

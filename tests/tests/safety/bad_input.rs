//! Hostile and malformed input, each with its documented outcome (the table in the README's
//! "Hostile input" section). The handler runs with an adapter whose endpoint refuses every
//! connection, so an outcome that needs no AWS call is shown to make none.

use std::time::{Duration, Instant};

use lambda_events::{handle, Decision, DecisionOutcome, Deps};
use serde_json::{json, Value};
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::ids::FunctionArn;
use warden_rules::policy::ResourcePolicy;
use warden_rules::rules::{evaluate, RuleConfig, RuleId};
use warden_rules::snapshot::{
    EventInvokeConfig, FunctionConfiguration, FunctionSnapshot, PolicyDocument, Readable,
    TracingMode,
};
use warden_rules::trigger::{self, EventError};
use warden_tests::moto::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};

use crate::world::*;

/// An evaluation time for the pure rules (2026-06-01T00:00:00Z).
const EVALUATION_TIME: i64 = 1_780_272_000;

/// Deps whose AWS endpoint has no listener, with a state table configured: any call, the
/// table's included, would fail (and be counted).
fn offline() -> Deps {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("probe a port")
        .port();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(format!("http://127.0.0.1:{closed}"))
        .credentials_provider(aws_sdk_lambda::config::SharedCredentialsProvider::new(
            aws_sdk_lambda::config::Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "t",
            ),
        ))
        .build();
    let config = Config {
        state_table: Some(warden_tests::seed::STATE_TABLE.to_owned()),
        ..Config::default()
    };
    Deps {
        aws: Aws::configured(&sdk, &config),
        config,
    }
}

async fn run(deps: &Deps, event: Value) -> Decision {
    let d = handle(event, deps, NOW)
        .await
        .unwrap_or_else(|e| panic!("bad input must not be an error: {e}"));
    let calls = deps.aws.calls();
    assert_eq!(
        calls.reads() + calls.writes() + calls.store_calls(),
        0,
        "{d:?}"
    );
    d
}

fn reason(d: &Decision) -> &str {
    d.skip_reason.as_deref().unwrap_or("")
}

/// What the Lambda runtime does with the bytes of an invocation before the handler runs:
/// `serde_json::from_slice` into a `Value` (lambda_runtime 1.5, `deserializer.rs`). Bytes that
/// fail it never reach the handler: the runtime reports a `DeserializeError` for the
/// invocation. (Lambda's Invoke API already refuses a payload that is not JSON.)
fn runtime_decode(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(bytes)
}

#[test]
fn bytes_that_are_not_json_never_reach_the_handler() {
    let sample = std::fs::read(
        warden_tests::events::events_dir().join("add-permission-public-orders-api.json"),
    )
    .expect("sample");
    let truncated = &sample[..sample.len() / 2];
    assert!(runtime_decode(truncated).unwrap_err().is_eof());
    let mut not_utf8 = sample.clone();
    let at = sample.iter().position(|b| *b == b'o').expect("an o");
    not_utf8[at] = 0xff;
    assert!(runtime_decode(&not_utf8).is_err());
    let deep = "[".repeat(100_000);
    let started = Instant::now();
    let err = runtime_decode(deep.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("recursion limit"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn malformed_envelopes_are_ignored_without_an_aws_call() {
    let deps = offline();
    let failed_call = event("add-permission-failed-access-denied.json");
    let good = event("add-permission-public-orders-api.json");
    let text = good.to_string();
    let deep_detail = {
        let mut e = good.clone();
        e["detail"] = json!("[".repeat(100_000));
        e
    };
    let ten_mb_detail = {
        let mut e = good.clone();
        e["detail"] = json!(format!("\"{}\"", "x".repeat(10 * 1024 * 1024)));
        e
    };
    let truncated_detail = {
        let mut e = good.clone();
        e["detail"] = json!(text[..text.len() / 2]);
        e
    };
    let unicode_name = {
        let mut e = good.clone();
        e["detail"]["requestParameters"]["functionName"] = json!("café-☕-🚀");
        e
    };
    let records_file = json!({ "Records": [good["detail"].clone()] });
    let cases: Vec<(&str, Value, DecisionOutcome, &str)> = vec![
        (
            "not an object",
            json!([1, 2]),
            DecisionOutcome::IgnoredBadInput,
            "$",
        ),
        (
            "no envelope and no record",
            json!({"hello": 1}),
            DecisionOutcome::IgnoredBadInput,
            "detail",
        ),
        (
            "CloudTrail log file (Records)",
            records_file,
            DecisionOutcome::IgnoredBadInput,
            "detail",
        ),
        (
            "another detail-type",
            json!({"detail-type": "Scheduled Event", "detail": {}}),
            DecisionOutcome::IgnoredBadInput,
            "detail-type",
        ),
        (
            "detail a number",
            json!({"detail-type": "AWS API Call via CloudTrail", "detail": 7}),
            DecisionOutcome::IgnoredBadInput,
            "detail",
        ),
        (
            "detail string, truncated JSON",
            truncated_detail,
            DecisionOutcome::IgnoredBadInput,
            "detail",
        ),
        (
            "detail string, 100k nested [",
            deep_detail,
            DecisionOutcome::IgnoredBadInput,
            "detail",
        ),
        (
            "detail string of 10 MB",
            ten_mb_detail,
            DecisionOutcome::IgnoredBadInput,
            "1048576",
        ),
        (
            "Unicode function name",
            unicode_name,
            DecisionOutcome::IgnoredBadInput,
            "functionName",
        ),
        (
            "failed call, as sent",
            failed_call.clone(),
            DecisionOutcome::Skipped,
            "failed_call",
        ),
        (
            "failed call, detail as a JSON string",
            {
                let mut e = failed_call.clone();
                e["detail"] = json!(failed_call["detail"].to_string());
                e
            },
            DecisionOutcome::Skipped,
            "failed_call",
        ),
        (
            "failed call, bare record (no envelope)",
            failed_call["detail"].clone(),
            DecisionOutcome::Skipped,
            "failed_call",
        ),
    ];
    for (name, input, outcome, mentions) in cases {
        let started = Instant::now();
        let d = run(&deps, input).await;
        assert_eq!(d.outcome, outcome, "{name}: {d:?}");
        assert!(
            reason(&d).contains(mentions),
            "{name}: {:?} lacks {mentions:?}",
            reason(&d)
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_rejected_event_is_answered_with_its_event_id() {
    // GIVEN the public-permission sample event with eventName of the wrong type
    let deps = offline();
    let mut e = event("add-permission-public-orders-api.json");
    let id = e["detail"]["eventID"].clone();
    e["detail"]["eventName"] = json!(["AddPermission20150331v2"]);

    let d = run(&deps, e).await;

    // THEN it is ignored, and the answer still names the event, to find it in CloudTrail
    assert_eq!(d.outcome, DecisionOutcome::IgnoredBadInput, "{d:?}");
    assert_eq!(d.event_id.as_deref(), id.as_str(), "{d:?}");
    assert!(reason(&d).contains("eventName"), "{:?}", reason(&d));
}

#[tokio::test]
async fn a_10_mb_event_is_handled_in_bounded_time() {
    let deps = offline();
    let mut e = event("add-permission-failed-access-denied.json");
    e["detail"]["requestParameters"] = json!({ "padding": "x".repeat(10 * 1024 * 1024) });
    let started = Instant::now();
    let d = run(&deps, e).await;
    assert_eq!(d.outcome, DecisionOutcome::Skipped, "{d:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

/// Every leaf of a real event replaced by each value of another JSON type: the parser either
/// names the path it could not use, or does not use the field (the trigger is unchanged apart
/// from what the field feeds).
#[test]
fn every_field_of_the_wrong_type_is_a_named_error_or_ignored() {
    let original = event("add-permission-public-orders-api.json");
    let baseline = trigger::parse(&original).expect("sample parses");
    let mut paths = Vec::new();
    leaves(&original, String::new(), &mut paths);
    assert!(paths.len() > 30, "{paths:?}");
    let wrong = [
        json!(null),
        json!(true),
        json!(42),
        json!("text"),
        json!([1]),
        json!({"k": "v"}),
    ];
    let (mut errors, mut ignored) = (0, 0);
    for path in &paths {
        let current = get(&original, path);
        for value in wrong.iter().filter(|v| !same_type(v, current)) {
            let mut e = original.clone();
            set(&mut e, path, value.clone());
            match trigger::parse(&e) {
                Err(EventError::NoFunction { .. }) => errors += 1,
                Err(err) => {
                    errors += 1;
                    let at = err.path().unwrap_or("");
                    assert!(
                        path.starts_with(at) || at.starts_with(path.as_str()),
                        "{path} = {value}: error names {at:?}: {err}"
                    );
                }
                Ok(t) => {
                    ignored += 1;
                    assert_eq!(t.event_name, baseline.event_name, "{path} = {value}");
                }
            }
        }
    }
    assert!(
        errors > 0 && ignored > 0,
        "{errors} errors, {ignored} ignored"
    );
}

fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push(p.clone());
                leaves(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                leaves(child, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |cur, part| &cur[part])
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn set(v: &mut Value, path: &str, value: Value) {
    let mut cur = v;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            cur[*part] = value;
            return;
        }
        cur = &mut cur[*part];
    }
}

/// A function with resource-based policy `policy`, active tracing and an on-failure
/// destination, so the policy's findings are the only ones.
fn snapshot(policy: String) -> FunctionSnapshot {
    FunctionSnapshot {
        policy: Readable::read(Some(PolicyDocument {
            json: policy,
            revision_id: Some("r".into()),
        })),
        configuration: Readable::read(FunctionConfiguration {
            tracing_mode: TracingMode::Active,
            ..FunctionConfiguration::default()
        }),
        event_invoke_config: Readable::read(Some(EventInvokeConfig {
            on_failure_destination: Some(
                "arn:aws:sqs:us-east-1:123456789012:failed-events".to_owned(),
            ),
            ..EventInvokeConfig::default()
        })),
        ..FunctionSnapshot::empty(
            FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:f").expect("arn"),
        )
    }
}

fn statement(sid: &str) -> Value {
    json!({"Sid": sid, "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
           "Action": "lambda:InvokeFunction",
           "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
           "Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"},
                         "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}}})
}

#[test]
fn unicode_sids_are_analysed_and_alerts_stay_ascii() {
    let sid = "überprüfung-🔒-公開";
    let doc = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction",
         "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f"}]});
    let findings = evaluate(
        &snapshot(doc.to_string()),
        &RuleConfig::from(&Config::default()),
        EVALUATION_TIME,
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].sid.as_deref(), Some(sid));
    let tags = warden_rules::tags::describe(&findings.iter().collect::<Vec<_>>(), None);
    assert!(tags.values().all(|v| v.is_ascii()), "{tags:?}");
}

#[test]
fn a_policy_at_lambdas_size_limit_is_evaluated_and_a_huge_one_is_unverified() {
    // Lambda's limit on a resource-based policy is 20 KB.
    let mut statements = Vec::new();
    let mut n = 0;
    while json!({"Statement": statements}).to_string().len() < 20 * 1024 {
        statements.push(statement(&format!("s3-{n:04}")));
        n += 1;
    }
    let at_limit = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let started = Instant::now();
    assert!(ResourcePolicy::parse(&at_limit).is_ok());
    let findings = evaluate(
        &snapshot(at_limit),
        &RuleConfig::from(&Config::default()),
        EVALUATION_TIME,
    );
    assert!(findings.is_empty(), "{findings:?}");
    assert!(started.elapsed() < Duration::from_secs(1));

    let huge = format!(
        r#"{{"Statement":[],"Pad":"{}"}}"#,
        "x".repeat(warden_rules::policy::MAX_POLICY_BYTES)
    );
    let findings = evaluate(
        &snapshot(huge),
        &RuleConfig::from(&Config::default()),
        EVALUATION_TIME,
    );
    let ids: Vec<RuleId> = findings.iter().map(|f| f.rule_id).collect();
    assert_eq!(
        ids,
        [RuleId::LW006],
        "an unreadable policy is never compliant"
    );
}

//! Scan time for an account of 500 functions against moto, at concurrency 1 and at the CLI's
//! default (8), and the API calls a scan makes per function. Run with `./bench/scan.sh`.
//!
//! Two servers: moto as it is (answers in a few milliseconds from this machine, one request at
//! a time), and moto with `WARDEN_MOTO_LATENCY_MS=20` (every answer 20 ms late, like a round
//! trip to AWS; see `tests/moto/launch.py`), where waiting, not moto, dominates as it does
//! against AWS.
//!
//! The account: 500 functions; every 10th has a public statement, every 25th an unpinned SNS
//! grant, every 50th a published version and an alias `live` with its own public statement.
//! Each configuration is scanned `RUNS` times (read only, as `lambda-warden scan` without
//! `--fix`) and the median, minimum and maximum wall-clock times are printed. moto answers from
//! one Python process on this machine, so absolute times say more about moto than about AWS;
//! the ratio between the concurrency levels and the calls per function carry over.

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use warden_aws::remediate::Cause;
use warden_aws::sweep::{sweep, Apply, Silent, SweepOptions, Unlimited};
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_tests::seed::EMPTY_ZIP;
use warden_tests::Moto;

const FUNCTIONS: usize = 500;
const RUNS: usize = 5;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn seed(sdk: &aws_config::SdkConfig) {
    let role = aws_sdk_iam::Client::new(sdk)
        .create_role()
        .role_name("bench-role")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("role")
        .arn;
    let lambda = aws_sdk_lambda::Client::new(sdk);
    stream::iter(0..FUNCTIONS)
        .for_each_concurrent(8, |i| {
            let lambda = lambda.clone();
            let role = role.clone();
            async move {
                let name = format!("bench-{i:03}");
                lambda
                    .create_function()
                    .function_name(&name)
                    .runtime(aws_sdk_lambda::types::Runtime::Python312)
                    .role(role)
                    .handler("index.handler")
                    .code(
                        aws_sdk_lambda::types::FunctionCode::builder()
                            .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP.to_vec()))
                            .build(),
                    )
                    .send()
                    .await
                    .expect("CreateFunction");
                let grant =
                    |sid: &'static str, principal: &'static str, q: Option<&'static str>| {
                        lambda
                            .add_permission()
                            .function_name(&name)
                            .statement_id(sid)
                            .action("lambda:InvokeFunction")
                            .principal(principal)
                            .set_qualifier(q.map(str::to_owned))
                            .send()
                    };
                if i % 10 == 0 {
                    grant("open", "*", None).await.expect("AddPermission");
                }
                if i % 25 == 0 {
                    grant("sns", "sns.amazonaws.com", None)
                        .await
                        .expect("AddPermission");
                }
                if i % 50 == 0 {
                    let v = lambda
                        .publish_version()
                        .function_name(&name)
                        .send()
                        .await
                        .expect("PublishVersion")
                        .version
                        .expect("Version");
                    lambda
                        .create_alias()
                        .function_name(&name)
                        .name("live")
                        .function_version(v)
                        .send()
                        .await
                        .expect("CreateAlias");
                    grant("alias-open", "*", Some("live"))
                        .await
                        .expect("AddPermission");
                }
            }
        })
        .await;
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() {
    for latency in ["0", "20"] {
        let moto = match Moto::try_start_with(false, &[("WARDEN_MOTO_LATENCY_MS", latency)]) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        println!("== moto, {latency} ms added to every answer");
        measure(&moto).await;
    }
}

async fn measure(moto: &Moto) {
    let sdk = moto.sdk_config();
    let started = Instant::now();
    seed(&sdk).await;
    println!(
        "seeded {FUNCTIONS} functions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let config = Config {
        regions: vec!["us-east-1".to_owned()],
        ..Config::default()
    };
    let mut medians = Vec::new();
    for concurrency in [1, 8] {
        let mut times = Vec::new();
        let mut calls = None;
        for _ in 0..RUNS {
            let aws = Aws::new(&sdk);
            let options = SweepOptions {
                config: &config,
                apply: Apply::ReadOnly,
                concurrency,
                cause: Cause::new("bench", "Scan"),
                // 2026-06-01T00:00:00Z: the evaluation time of the pure rules.
                now: 1_780_272_000,
            };
            let t = Instant::now();
            let report = sweep(
                std::slice::from_ref(&aws),
                &options,
                None,
                &Unlimited,
                &Silent,
            )
            .await;
            times.push(t.elapsed());
            assert_eq!(report.functions, FUNCTIONS);
            assert!(report.failures.is_empty(), "{:?}", report.failures);
            calls = Some((
                aws.calls().reads(),
                aws.calls().writes(),
                aws.calls().by_operation(),
                report.evaluations.len(),
            ));
        }
        let m = median(times.clone());
        medians.push(m);
        let (reads, writes, by_op, targets) = calls.expect("at least one run");
        println!(
            "concurrency {concurrency}: median {:.2} s (min {:.2}, max {:.2}) over {RUNS} runs; {:.0} functions/s",
            m.as_secs_f64(),
            times.iter().min().copied().unwrap_or_default().as_secs_f64(),
            times.iter().max().copied().unwrap_or_default().as_secs_f64(),
            FUNCTIONS as f64 / m.as_secs_f64(),
        );
        println!(
            "  {reads} reads, {writes} writes for {FUNCTIONS} functions and {targets} targets: {:.2} calls per function",
            (reads + writes) as f64 / FUNCTIONS as f64
        );
        for (op, n) in by_op {
            println!(
                "    {op:24} {n:6}  {:.2} per function",
                n as f64 / FUNCTIONS as f64
            );
        }
    }
    if let [one, eight] = medians[..] {
        println!(
            "speed-up at concurrency 8: {:.2}x",
            one.as_secs_f64() / eight.as_secs_f64()
        );
    }
}

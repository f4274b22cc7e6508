//! What a sweep asks AWS for, against moto: each execution role and managed policy shared by
//! many functions is read once per sweep, parts no enabled rule reads are not read, and the
//! published versions come from the one `ListFunctions` listing (`FunctionVersion=ALL`), not
//! from a `ListVersionsByFunction` per function.

use std::collections::BTreeSet;

use warden_aws::remediate::Cause;
use warden_aws::sweep::{sweep, Apply, Silent, SweepOptions, SweepReport, Unlimited};
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::rules::RuleId;
use warden_tests::moto::sdk_config_at;
use warden_tests::seed::{create_function_role, create_python_function};
use warden_tests::{Fault, FaultProxy, Moto, Rule};

/// The evaluation time of the pure rules (2026-06-01T00:00:00Z).
const NOW: i64 = 1_780_272_000;
const FUNCTIONS: usize = 12;
const LOGS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#;

/// `FUNCTIONS` functions sharing one role (one customer managed policy, one inline policy);
/// `calls-00` has a public statement, and a published version `1` and an alias `live`, each
/// with a public statement of its own.
async fn seed(sdk: &aws_config::SdkConfig) {
    let iam = aws_sdk_iam::Client::new(sdk);
    let role = create_function_role(sdk, "shared-role")
        .await
        .expect("CreateRole");
    let policy = iam
        .create_policy()
        .policy_name("shared-logs")
        .policy_document(LOGS)
        .send()
        .await
        .expect("CreatePolicy")
        .policy
        .and_then(|p| p.arn)
        .expect("policy ARN");
    iam.attach_role_policy()
        .role_name("shared-role")
        .policy_arn(policy)
        .send()
        .await
        .expect("AttachRolePolicy");
    iam.put_role_policy()
        .role_name("shared-role")
        .policy_name("inline-logs")
        .policy_document(LOGS)
        .send()
        .await
        .expect("PutRolePolicy");
    let lambda = aws_sdk_lambda::Client::new(sdk);
    for i in 0..FUNCTIONS {
        create_python_function(&lambda, &format!("calls-{i:02}"), &role)
            .await
            .expect("CreateFunction");
    }
    lambda
        .publish_version()
        .function_name("calls-00")
        .send()
        .await
        .expect("PublishVersion");
    lambda
        .create_alias()
        .function_name("calls-00")
        .name("live")
        .function_version("1")
        .send()
        .await
        .expect("CreateAlias");
    for qualifier in [None, Some("1"), Some("live")] {
        lambda
            .add_permission()
            .function_name("calls-00")
            .set_qualifier(qualifier.map(str::to_owned))
            .statement_id("open")
            .action("lambda:InvokeFunction")
            .principal("*")
            .send()
            .await
            .expect("AddPermission");
    }
}

async fn scan(sdk: &aws_config::SdkConfig, config: &Config) -> (SweepReport, Aws) {
    let aws = Aws::new(sdk);
    let options = SweepOptions {
        config,
        apply: Apply::ReadOnly,
        concurrency: 4,
        cause: Cause::new("calls-test", "Sweep"),
        now: NOW,
    };
    let report = sweep(
        std::slice::from_ref(&aws),
        &options,
        None,
        &Unlimited,
        &Silent,
    )
    .await;
    (report, aws)
}

/// The ARNs with an LW001 finding.
fn public(report: &SweepReport) -> BTreeSet<String> {
    report
        .evaluations
        .iter()
        .filter(|e| e.findings.iter().any(|f| f.rule_id == RuleId::LW001))
        .map(|e| e.arn.to_string())
        .collect()
}

fn expected_public() -> BTreeSet<String> {
    let base = "arn:aws:lambda:us-east-1:123456789012:function:calls-00";
    [base.to_owned(), format!("{base}:1"), format!("{base}:live")].into()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shared_role_is_read_once_and_unneeded_parts_not_at_all() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    seed(&sdk).await;

    let (report, aws) = scan(&sdk, &Config::default()).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(public(&report), expected_public());
    let ops = aws.calls().by_operation();
    let count = |op: &str| ops.get(op).copied().unwrap_or(0);
    // One read of the role, its lists, its managed policy and its inline policy for the whole
    // sweep. The version document may come from the process-wide cache of immutable
    // versions (another test of this binary may have read it first).
    for op in [
        "iam:GetRole",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:GetPolicy",
        "iam:GetRolePolicy",
    ] {
        assert_eq!(count(op), 1, "{op}: {ops:?}");
    }
    assert!(count("iam:GetPolicyVersion") <= 1, "{ops:?}");
    // LW012 and LW013 are off by default: their parts are not read.
    assert_eq!(count("GetFunctionConcurrency"), 0, "{ops:?}");
    assert_eq!(count("GetFunctionCodeSigningConfig"), 0, "{ops:?}");
    // Versions come with the listing.
    assert_eq!(count("ListVersionsByFunction"), 0, "{ops:?}");
    assert_eq!(count("ListFunctions"), 1, "{ops:?}");
    assert_eq!(count("ListAliases"), FUNCTIONS, "{ops:?}");
    assert_eq!(count("GetFunctionConfiguration"), 2, "{ops:?}"); // the version and the alias

    // The resource-policy rules only: no IAM, URL or event invoke configuration reads.
    let only = Config {
        only_rules: Some([RuleId::LW001, RuleId::LW002, RuleId::LW003].into()),
        ..Config::default()
    };
    let (report, aws) = scan(&sdk, &only).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(public(&report), expected_public());
    let ops = aws.calls().by_operation();
    let count = |op: &str| ops.get(op).copied().unwrap_or(0);
    for op in [
        "iam:GetRole",
        "GetFunctionUrlConfig",
        "GetFunctionEventInvokeConfig",
        "GetFunctionConcurrency",
        "GetFunctionCodeSigningConfig",
        "ListVersionsByFunction",
    ] {
        assert_eq!(count(op), 0, "{op}: {ops:?}");
    }
    assert_eq!(count("GetPolicy"), FUNCTIONS + 2, "{ops:?}");
    // Only LW001-LW003 (and LW006) ran.
    let rules: BTreeSet<RuleId> = report
        .evaluations
        .iter()
        .flat_map(|e| e.findings.iter().map(|f| f.rule_id))
        .collect();
    assert!(
        rules.is_subset(&[RuleId::LW001, RuleId::LW002, RuleId::LW003, RuleId::LW006].into()),
        "{rules:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_retried_and_the_sweep_slows_down() {
    let moto = Moto::start();
    seed(&moto.sdk_config()).await;
    let proxy = FaultProxy::start(moto.port()).await;
    // The first four GetPolicy requests (one per function in flight) are throttled, as Lambda
    // answers them: HTTP 429 TooManyRequestsException.
    proxy.add(Rule::range(
        "GetPolicy",
        1,
        4,
        Fault::error(429, "TooManyRequestsException"),
    ));
    // The standard retry mode: the adaptive mode's client-side rate limiter, fed the rate of
    // a nearly idle client, holds the retried requests back past the adapter's 15 s call
    // timeout on this emulator (see the README's sweep section).
    let sdk = sdk_config_at(&proxy.endpoint())
        .into_builder()
        .retry_config(aws_config::retry::RetryConfig::standard())
        .build();
    let (report, aws) = scan(&sdk, &Config::default()).await;
    // The SDK's retries carry every throttled read through: nothing fails, nothing
    // is missed.
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(public(&report), expected_public());
    assert_eq!(aws.calls().throttled(), 4);
    assert_eq!(
        aws.calls().by_operation().get("GetPolicy"),
        Some(&(FUNCTIONS + 2 + 4))
    );
    // And the sweep took fewer functions at once after the throttled answers.
    assert!(
        report.lowest_concurrency.is_some_and(|c| c < 4),
        "{:?}",
        report.lowest_concurrency
    );
}

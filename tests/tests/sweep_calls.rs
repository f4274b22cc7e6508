//! What a sweep asks AWS for, against moto: each execution role and managed policy shared by
//! many functions is read once per sweep, parts no enabled rule reads are not read, the
//! published versions and their configurations come from the one `ListFunctions` listing
//! (`FunctionVersion=ALL`), the tags from one `GetResources` per 100 tagged functions, and
//! aliases are listed only where the setting asks.

use std::collections::BTreeSet;

use warden_aws::remediate::Cause;
use warden_aws::sweep::{sweep, Apply, Silent, SweepOptions, SweepReport, Unlimited};
use warden_aws::Aws;
use warden_rules::config::{Config, SweepAliases, SweepTags};
use warden_rules::rules::RuleId;
use warden_tests::moto::sdk_config_at;
use warden_tests::seed::{create_function_role, create_python_function, make_public};
use warden_tests::{Fault, FaultProxy, Moto, Rule};

/// The evaluation time of the pure rules (2026-06-01T00:00:00Z).
const NOW: i64 = 1_780_272_000;
const FUNCTIONS: usize = 12;
/// `calls-01` declares its own exemption by tag, which nobody approved (LW025).
const SELF_EXEMPT: &str = "arn:aws:lambda:us-east-1:123456789012:function:calls-01";
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
        .tag_resource()
        .resource(SELF_EXEMPT)
        .tags("lambda-warden:exempt", "legacy")
        .tags("team", "payments")
        .send()
        .await
        .expect("TagResource");
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
        make_public(&lambda, "calls-00", qualifier)
            .await
            .expect("AddPermission");
    }
}

/// A read-only sweep of `sdk`'s Region.
async fn scan(sdk: &aws_config::SdkConfig, config: &Config) -> (SweepReport, Aws) {
    sweep_with(sdk, config, Apply::ReadOnly).await
}

async fn sweep_with(
    sdk: &aws_config::SdkConfig,
    config: &Config,
    apply: Apply,
) -> (SweepReport, Aws) {
    let aws = Aws::new(sdk);
    let options = SweepOptions {
        config,
        apply,
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

/// The ARNs with an LW025 finding (an exemption tag nobody approved).
fn self_exempt(report: &SweepReport) -> BTreeSet<String> {
    report
        .evaluations
        .iter()
        .filter(|e| e.findings.iter().any(|f| f.rule_id == RuleId::LW025))
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
    // Versions and their configurations come with the listing (so does the configuration of
    // the version an alias points to); every operation sent is one the adapter names.
    assert_eq!(count("Other"), 0, "{ops:?}");
    assert_eq!(count("ListFunctions"), 1, "{ops:?}");
    assert_eq!(count("GetFunctionConfiguration"), 0, "{ops:?}");
    // Aliases are listed for the one function with a published version.
    assert_eq!(count("ListAliases"), 1, "{ops:?}");
    // Tags come from one GetResources, and they are the functions' tags.
    assert_eq!(
        (count("GetResources"), count("ListTags")),
        (1, 0),
        "{ops:?}"
    );
    assert_eq!(self_exempt(&report), [SELF_EXEMPT.to_owned()].into());
    // Each alias and version: GetPolicy (and the alias GetFunctionUrlConfig, a version has
    // no URL) to see whether it has anything of its own, read once; then, as both have, the
    // rest of their evaluation's reads.
    assert_eq!(count("GetPolicy"), FUNCTIONS + 2, "{ops:?}");
    assert_eq!(count("GetFunctionUrlConfig"), FUNCTIONS + 1, "{ops:?}");
    assert_eq!(
        count("GetFunctionEventInvokeConfig"),
        FUNCTIONS + 2,
        "{ops:?}"
    );

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
        "ListTags",
        "Other",
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

#[tokio::test(flavor = "multi_thread")]
async fn aliases_of_latest_are_swept_with_the_all_setting_only() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    seed(&sdk).await;
    // An alias of $LATEST on a function never published, with a public statement of its own.
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    lambda
        .create_alias()
        .function_name("calls-05")
        .name("edge")
        .function_version("$LATEST")
        .send()
        .await
        .expect("CreateAlias");
    make_public(&lambda, "calls-05", Some("edge"))
        .await
        .expect("AddPermission");
    let edge = "arn:aws:lambda:us-east-1:123456789012:function:calls-05:edge".to_owned();

    // The default leaves it to the event path (the AddPermission with a Qualifier)...
    let (report, _) = scan(&sdk, &Config::default()).await;
    assert_eq!(public(&report), expected_public());
    // ...and `all` lists every function's aliases and finds it, judged with its function's
    // configuration ($LATEST's, from the listing).
    let all = Config {
        sweep_aliases: SweepAliases::All,
        ..Config::default()
    };
    let (report, aws) = scan(&sdk, &all).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let mut want = expected_public();
    want.insert(edge);
    assert_eq!(public(&report), want);
    let ops = aws.calls().by_operation();
    assert_eq!(ops.get("ListAliases"), Some(&FUNCTIONS), "{ops:?}");
    assert_eq!(ops.get("GetFunctionConfiguration"), None, "{ops:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tags_refused_in_bulk_are_read_per_function() {
    let moto = Moto::start();
    seed(&moto.sdk_config()).await;
    let proxy = FaultProxy::start(moto.port()).await;
    proxy.add(Rule::always(
        "GetResources",
        Fault::error(400, "AccessDeniedException"),
    ));
    let sdk = sdk_config_at(&proxy.endpoint());

    let (report, aws) = scan(&sdk, &Config::default()).await;
    // Nothing is missed: the tags are read with ListTags, one per function.
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(public(&report), expected_public());
    assert_eq!(self_exempt(&report), [SELF_EXEMPT.to_owned()].into());
    let ops = aws.calls().by_operation();
    assert_eq!(ops.get("GetResources"), Some(&1), "{ops:?}");
    assert_eq!(ops.get("ListTags"), Some(&FUNCTIONS), "{ops:?}");

    // The per-function setting never asks the tagging API.
    let per_function = Config {
        sweep_tags: SweepTags::PerFunction,
        ..Config::default()
    };
    let (report, aws) = scan(&moto.sdk_config(), &per_function).await;
    assert_eq!(self_exempt(&report), [SELF_EXEMPT.to_owned()].into());
    let ops = aws.calls().by_operation();
    assert_eq!(ops.get("GetResources"), None, "{ops:?}");
    assert_eq!(ops.get("ListTags"), Some(&FUNCTIONS), "{ops:?}");
}

/// The statement ids of `function`'s resource-based policy, straight from moto.
async fn statement_ids(lambda: &aws_sdk_lambda::Client, function: &str) -> BTreeSet<String> {
    // No policy left (moto answers ResourceNotFoundException): no statements.
    let Ok(out) = lambda.get_policy().function_name(function).send().await else {
        return BTreeSet::new();
    };
    let policy = out.policy.unwrap_or_default();
    let doc: serde_json::Value = serde_json::from_str(&policy).expect("policy JSON");
    doc["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["Sid"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fix_is_planned_from_tags_read_again_not_from_the_bulk_answer() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    seed(&sdk).await;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    // calls-02 is public and opted in to fixes...
    make_public(&lambda, "calls-02", None)
        .await
        .expect("AddPermission");
    let calls_02 = "arn:aws:lambda:us-east-1:123456789012:function:calls-02";
    lambda
        .tag_resource()
        .resource(calls_02)
        .tags("lambda-warden:auto-fix", "true")
        .send()
        .await
        .expect("TagResource");
    // ...until its owner opts out just after the tagging API answered (before any function's
    // policy is read), as an eventually consistent GetResources may still show the opt-in.
    let proxy = FaultProxy::start(moto.port()).await;
    let owner = lambda.clone();
    proxy.add(Rule::nth(
        "GetPolicy",
        1,
        Fault::before(move || {
            let owner = owner.clone();
            async move {
                owner
                    .untag_resource()
                    .resource(calls_02)
                    .tag_keys("lambda-warden:auto-fix")
                    .send()
                    .await
                    .expect("UntagResource");
            }
        }),
    ));
    let config = Config {
        mode: warden_rules::config::Mode::Enforce,
        ..Config::default()
    };
    let (report, aws) =
        sweep_with(&sdk_config_at(&proxy.endpoint()), &config, Apply::Remediate).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    // THEN the statement is kept: the fix was planned from the function read again
    assert!(
        statement_ids(&lambda, "calls-02").await.contains("open"),
        "the opted-out function's statement was removed"
    );
    // (each function with status tags to write is read again, tags by ListTags)
    let ops = aws.calls().by_operation();
    assert_eq!(ops.get("GetResources"), Some(&1), "{ops:?}");
    assert!(ops.get("ListTags") >= Some(&1), "{ops:?}");
    // AND its finding stays open
    let open: BTreeSet<String> = report
        .evaluations
        .iter()
        .filter(|e| e.open_findings.iter().any(|f| f.rule_id == RuleId::LW001))
        .map(|e| e.arn.to_string())
        .collect();
    assert!(open.contains(calls_02), "{open:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_execution_role_and_its_policy_lists_are_read_in_one_round_trip() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let moto = Moto::start();
    seed(&moto.sdk_config()).await;
    let proxy = FaultProxy::start(moto.port()).await;
    // ListRolePolicies marks its arrival; GetRole is held until it has arrived (at most 5 s):
    // read one after the other, GetRole would wait in vain.
    let listed = Arc::new(AtomicBool::new(false));
    let overlapped = Arc::new(AtomicBool::new(false));
    let mark = Arc::clone(&listed);
    proxy.add(Rule::always(
        "ListRolePolicies",
        Fault::before(move || {
            let mark = Arc::clone(&mark);
            async move { mark.store(true, Ordering::SeqCst) }
        }),
    ));
    let (seen, flag) = (Arc::clone(&listed), Arc::clone(&overlapped));
    proxy.add(Rule::always(
        "GetRole",
        Fault::before(move || {
            let (seen, flag) = (Arc::clone(&seen), Arc::clone(&flag));
            async move {
                for _ in 0..500 {
                    if seen.load(Ordering::SeqCst) {
                        flag.store(true, Ordering::SeqCst);
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
        }),
    ));
    let aws = Aws::new(&sdk_config_at(&proxy.endpoint()));
    let arn = warden_rules::ids::FunctionArn::parse(
        "arn:aws:lambda:us-east-1:123456789012:function:calls-03",
    )
    .expect("ARN");
    let fetched = aws.fetch_snapshot(&arn).await.expect("read");
    let warden_aws::Fetched::Found(snapshot) = fetched else {
        panic!("calls-03 is there");
    };
    assert!(
        matches!(
            snapshot.execution_role,
            warden_rules::snapshot::Readable::Read { value: Some(_) }
        ),
        "{:?}",
        snapshot.execution_role
    );
    assert!(
        overlapped.load(Ordering::SeqCst),
        "ListRolePolicies was sent only after GetRole answered"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_a_weighted_alias_sends_traffic_to_is_judged_without_a_policy_of_its_own() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    seed(&sdk).await;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    // calls-03: version 1 on a supported runtime, version 2 on a deprecated one, and alias
    // `canary` on version 1 sending 10% of its traffic to version 2. Neither version nor the
    // alias has a policy of its own.
    let publish = || async {
        lambda
            .publish_version()
            .function_name("calls-03")
            .send()
            .await
            .expect("PublishVersion")
            .version
            .expect("version")
    };
    assert_eq!(publish().await, "1");
    lambda
        .update_function_configuration()
        .function_name("calls-03")
        .runtime(aws_sdk_lambda::types::Runtime::Python38)
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    assert_eq!(publish().await, "2");
    lambda
        .create_alias()
        .function_name("calls-03")
        .name("canary")
        .function_version("1")
        .routing_config(
            aws_sdk_lambda::types::AliasRoutingConfiguration::builder()
                .additional_version_weights("2", 0.1)
                .build(),
        )
        .send()
        .await
        .expect("CreateAlias");

    let (report, _) = scan(&sdk, &Config::default()).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let judged: BTreeSet<String> = report
        .evaluations
        .iter()
        .map(|e| e.arn.to_string())
        .collect();
    let base = "arn:aws:lambda:us-east-1:123456789012:function:calls-03";
    let v2 = report
        .evaluations
        .iter()
        .find(|e| e.arn.to_string() == format!("{base}:2"))
        .unwrap_or_else(|| panic!("version 2 is not judged: {judged:?}"));
    assert!(
        v2.findings.iter().any(|f| f.rule_id == RuleId::LW009),
        "{:?}",
        v2.findings
    );
    // Version 1 (the alias's own) and the alias have nothing of their own: not judged apart.
    assert!(!judged.contains(&format!("{base}:1")), "{judged:?}");
    assert!(!judged.contains(&format!("{base}:canary")), "{judged:?}");
}

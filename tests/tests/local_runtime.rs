//! Every sample event of `events/` through the real function binaries under a local Lambda
//! Runtime API (`cargo lambda watch`), against moto seeded with the demo account: before each
//! event the account is put in the state the event records (the alias it created, the policy
//! it attached, ...), then the function's response is checked: no function error, the
//! outcome, and the rules found. The `aws.lambda` events go to `lambda-events` in `enforce`
//! mode, the `aws.iam` events to `iam-events`, as the template routes them.

use std::collections::BTreeSet;
use std::path::PathBuf;

use aws_sdk_lambda::types::{DestinationConfig, Environment, FunctionUrlAuthType, OnSuccess};
use serde_json::{json, Value};
use warden_tests::local_lambda::{demo_function_env, EVENTS_FUNCTION, IAM_EVENTS_FUNCTION};
use warden_tests::seed::*;
use warden_tests::{load_event, seed_demo_account, DemoAccount, LocalLambda, Moto};

/// What a response must show.
struct Expect {
    /// The decision's `outcome`.
    outcome: &'static str,
    /// Rule ids that must be among the findings (of the function, or of any function of an
    /// IAM event).
    found: &'static [&'static str],
    /// Rule ids that must not be among them.
    not_found: &'static [&'static str],
}

const fn expect(
    outcome: &'static str,
    found: &'static [&'static str],
    not_found: &'static [&'static str],
) -> Expect {
    Expect {
        outcome,
        found,
        not_found,
    }
}

/// The rule ids of a `lambda-events` decision, or of every function of an `iam-events` one.
fn findings(decision: &Value) -> BTreeSet<String> {
    let ids = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect()
    };
    let mut all: BTreeSet<String> = ids(decision).into_iter().collect();
    for f in decision["functions"].as_array().into_iter().flatten() {
        all.extend(ids(f));
    }
    all
}

struct Runner {
    events: LocalLambda,
    iam_events: LocalLambda,
    delivered: BTreeSet<String>,
}

impl Runner {
    /// Delivers `events/FILE` to the function the template routes it to, checks the response
    /// against `want`, and returns it.
    async fn deliver(&mut self, file: &str, want: Expect) -> Value {
        let event = load_event(file).unwrap_or_else(|e| panic!("{e}"));
        let local = if event["source"] == "aws.iam" {
            &self.iam_events
        } else {
            &self.events
        };
        let answer = local
            .invoke(&local.client(), &event)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let decision = answer.payload;
        assert_eq!(
            answer.function_error,
            None,
            "{file}: {decision}\n{}",
            local.log()
        );
        assert_eq!(decision["outcome"], want.outcome, "{file}: {decision}");
        let found = findings(&decision);
        for id in want.found {
            assert!(found.contains(*id), "{file}: {id} not found: {decision}");
        }
        for id in want.not_found {
            assert!(!found.contains(*id), "{file}: {id} found: {decision}");
        }
        eprintln!("{file}: {} {found:?}", decision["outcome"]);
        self.delivered.insert(file.to_owned());
        decision
    }
}

/// The outcome of each function of an `iam-events` decision, by function name.
fn function_outcomes(decision: &Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = decision["functions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let arn = f["function_arn"].as_str().unwrap_or_default();
            let name = arn.rsplit(':').next().unwrap_or_default().to_owned();
            (name, f["outcome"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn every_sample_event_through_the_function_binaries() {
    let moto = Moto::start_with_managed_policies();
    let sdk = moto.sdk_config();
    let demo: DemoAccount = seed_demo_account(&sdk)
        .await
        .expect("seed the demo account");
    let lambda = demo.lambda();
    let iam = aws_sdk_iam::Client::new(&sdk);
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut env = demo_function_env(&moto, &demo);
    env.push(("WARDEN_REGIONS", demo.region.clone()));
    let start =
        |function| LocalLambda::start(&workspace, function, &env).unwrap_or_else(|e| panic!("{e}"));
    let mut run = Runner {
        events: start(EVENTS_FUNCTION),
        iam_events: start(IAM_EVENTS_FUNCTION),
        delivered: BTreeSet::new(),
    };

    // Input that is not an event is answered, not failed.
    for local in [&run.events, &run.iam_events] {
        let bad = local
            .invoke(&local.client(), &json!({"hello": "world"}))
            .await
            .expect("invoke");
        assert_eq!(bad.function_error, None, "{}", bad.payload);
        assert_eq!(
            bad.payload["outcome"], "ignored_bad_input",
            "{}",
            bad.payload
        );
    }

    // --- aws.lambda events, in the seeded demo account (enforce mode) ---
    run.deliver(
        "add-permission-failed-access-denied.json",
        expect("skipped", &[], &[]),
    )
    .await;
    run.deliver(
        "remove-permission-by-lambda-warden.json",
        expect("skipped", &[], &[]),
    )
    .await;
    // Not opted in: tagged and alerted, left alone.
    run.deliver(
        "add-permission-public-orders-api.json",
        expect("non_compliant", &["LW001"], &[]),
    )
    .await;
    let orders = demo.state(ORDERS_API).await.expect("state");
    assert_eq!(
        orders.tags.get(TAG_STATUS).map(String::as_str),
        Some("non-compliant")
    );
    assert_eq!(orders.statements.len(), 1, "left alone: {orders:?}");
    // The function binary recorded the finding in the state table (WARDEN_STATE_TABLE), and
    // the display tag shows the recorded fingerprint.
    let recorded = warden_aws::store::StateStore::new(
        &sdk,
        std::sync::Arc::default(),
        &demo.state_table,
        None,
    )
    .load(&demo.function_arn(ORDERS_API))
    .await
    .expect("read the state table")
    .state
    .expect("state recorded");
    assert!(
        recorded.open.iter().any(|f| f.rule_id.as_str() == "LW001"),
        "{recorded:?}"
    );
    assert_eq!(
        orders.tags.get("lambda-warden:fingerprint"),
        Some(&recorded.fingerprint)
    );
    run.deliver(
        "add-permission-public-payments-api.json",
        expect("remediated", &["LW001"], &[]),
    )
    .await;
    assert!(demo
        .state(PAYMENTS_API)
        .await
        .expect("state")
        .statements
        .is_empty());
    run.deliver(
        "add-permission-s3-unpinned-image-resizer.json",
        expect("remediated", &["LW002"], &[]),
    )
    .await;
    let resizer = demo.state(IMAGE_RESIZER).await.expect("state");
    assert_eq!(
        resizer.statements[0]["Condition"]["StringEquals"]["AWS:SourceAccount"], demo.account_id,
        "{resizer:?}"
    );
    run.deliver(
        "add-permission-sns-unpinned-notifier.json",
        expect("non_compliant", &["LW002"], &[]),
    )
    .await;
    // The URL is switched to AWS_IAM and its public statement goes; its CORS `*` (LW005,
    // a manual fix) stays open.
    run.deliver(
        "add-permission-url-public-public-webhook.json",
        expect("non_compliant", &["LW004", "LW005"], &["LW001"]),
    )
    .await;
    assert_eq!(
        demo.state(PUBLIC_WEBHOOK)
            .await
            .expect("state")
            .url_auth_type
            .as_deref(),
        Some("AWS_IAM")
    );
    // GIVEN the URL made public again, as CreateFunctionUrlConfig with AuthType NONE would.
    lambda
        .update_function_url_config()
        .function_name(PUBLIC_WEBHOOK)
        .auth_type(FunctionUrlAuthType::None)
        .send()
        .await
        .expect("UpdateFunctionUrlConfig");
    run.deliver(
        "create-function-url-none-public-webhook.json",
        expect("non_compliant", &["LW004", "LW005"], &[]),
    )
    .await;
    // GIVEN orders-api opted in.
    lambda
        .tag_resource()
        .resource(demo.function_arn(ORDERS_API))
        .tags(TAG_AUTO_FIX, "true")
        .send()
        .await
        .expect("TagResource");
    run.deliver(
        "tag-resource-opt-in-orders-api.json",
        expect("remediated", &["LW001"], &[]),
    )
    .await;
    assert!(demo
        .state(ORDERS_API)
        .await
        .expect("state")
        .statements
        .is_empty());
    // orders-api as created: fixed above, so nothing of the default rules is open.
    run.deliver(
        "create-function-orders-api.json",
        expect("compliant", &[], &["LW001"]),
    )
    .await;
    // GIVEN a developer (no approver) tags notifier exempt: an unapproved exemption, LW025,
    // and notifier is evaluated as if untagged (its SNS statement, LW002).
    lambda
        .tag_resource()
        .resource(demo.function_arn(NOTIFIER))
        .tags(TAG_EXEMPT, "load test this week")
        .send()
        .await
        .expect("TagResource");
    run.deliver(
        "tag-resource-self-exempt-notifier.json",
        expect("non_compliant", &["LW025", "LW002"], &[]),
    )
    .await;
    lambda
        .untag_resource()
        .resource(demo.function_arn(NOTIFIER))
        .tag_keys(TAG_EXEMPT)
        .send()
        .await
        .expect("UntagResource");
    // GIVEN a developer forges orders-api's display tags (a public statement "already
    // alerted"): only display tags changed, so the event is skipped...
    let forged = load_event("tag-resource-forged-display-tags-orders-api.json").expect("event");
    let mut tag = lambda
        .tag_resource()
        .resource(demo.function_arn(ORDERS_API));
    for (k, v) in forged["detail"]["requestParameters"]["tags"]
        .as_object()
        .expect("tags")
    {
        tag = tag.tags(k, v.as_str().unwrap_or_default());
    }
    tag.send().await.expect("TagResource");
    run.deliver(
        "tag-resource-forged-display-tags-orders-api.json",
        expect("skipped", &[], &[]),
    )
    .await;
    // ... and the public statement added next is still found and removed (the state table,
    // not the forged fingerprint, says what was alerted), the display tags rewritten.
    lambda
        .add_permission()
        .function_name(ORDERS_API)
        .statement_id("backdoor")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");
    run.deliver(
        "add-permission-public-orders-api.json",
        expect("remediated", &["LW001"], &[]),
    )
    .await;
    assert_eq!(
        demo.state(ORDERS_API)
            .await
            .expect("state")
            .tags
            .get(TAG_STATUS)
            .map(String::as_str),
        Some("compliant")
    );
    // GIVEN version 1 and the alias `live`.
    lambda
        .publish_version()
        .function_name(ORDERS_API)
        .send()
        .await
        .expect("PublishVersion");
    lambda
        .create_alias()
        .function_name(ORDERS_API)
        .name("live")
        .function_version("1")
        .send()
        .await
        .expect("CreateAlias");
    let alias = run
        .deliver(
            "create-alias-live-orders-api.json",
            expect("compliant", &[], &[]),
        )
        .await;
    assert_eq!(
        alias["function_arn"],
        format!("{}:live", demo.function_arn(ORDERS_API)),
        "{alias}"
    );
    // GIVEN the configuration change the event records, with a database password written
    // into an environment variable: LW007.
    lambda
        .update_function_configuration()
        .function_name(ORDERS_API)
        .timeout(60)
        .memory_size(512)
        .environment(
            Environment::builder()
                .variables(
                    "DATABASE_URL",
                    "postgres://orders:Zq7-wPx2-Lr9k@db.internal:5432/orders",
                )
                .build(),
        )
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    run.deliver(
        "update-function-configuration-orders-api.json",
        expect("non_compliant", &["LW007"], &[]),
    )
    .await;
    // GIVEN an on-success destination only: no failure destination (LW011) stays.
    lambda
        .put_function_event_invoke_config()
        .function_name(ORDERS_API)
        .maximum_retry_attempts(2)
        .destination_config(
            DestinationConfig::builder()
                .on_success(
                    OnSuccess::builder()
                        .destination("arn:aws:sqs:us-east-1:123456789012:orders-done")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("PutFunctionEventInvokeConfig");
    run.deliver(
        "put-function-event-invoke-config-orders-api.json",
        expect("non_compliant", &["LW007", "LW011"], &[]),
    )
    .await;
    // Code signing (LW013) is off by default: the event re-evaluates the function.
    run.deliver(
        "put-function-code-signing-config-orders-api.json",
        expect("non_compliant", &["LW007", "LW011"], &["LW013"]),
    )
    .await;
    // The asynchronous invocation configuration deleted: still no failure destination.
    lambda
        .delete_function_event_invoke_config()
        .function_name(ORDERS_API)
        .send()
        .await
        .expect("DeleteFunctionEventInvokeConfig");
    run.deliver(
        "delete-function-event-invoke-config-orders-api.json",
        expect("non_compliant", &["LW007", "LW011"], &["LW013"]),
    )
    .await;
    share_layer_with_everyone(lambda)
        .await
        .expect("a public layer version");
    let layer = run
        .deliver(
            "add-layer-version-permission-public-shared-deps.json",
            expect("non_compliant", &["LW018"], &[]),
        )
        .await;
    assert_eq!(
        layer["layer_version_arn"],
        "arn:aws:lambda:us-east-1:123456789012:layer:shared-deps:1"
    );

    // --- aws.iam events about demo-function-role, the role of the demo functions ---
    run.deliver(
        "iam-attach-role-policy-failed-access-denied.json",
        expect("skipped", &[], &[]),
    )
    .await;
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
    iam.attach_role_policy()
        .role_name(DEMO_ROLE)
        .policy_arn(ADMIN)
        .send()
        .await
        .expect("AttachRolePolicy");
    let attached = run
        .deliver(
            "iam-attach-role-policy-admin-demo-function-role.json",
            expect("evaluated", &["LW019"], &[]),
        )
        .await;
    let outcomes = function_outcomes(&attached);
    let names: Vec<&str> = outcomes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            IMAGE_RESIZER,
            LEGACY_BATCH,
            NOTIFIER,
            ORDERS_API,
            PAYMENTS_API,
            PUBLIC_WEBHOOK
        ],
        "every function of the role, and no other: {attached}"
    );
    assert!(
        outcomes.contains(&(LEGACY_BATCH.to_owned(), "exempt".to_owned())),
        "exempt by its recorded exemption: {attached}"
    );
    iam.detach_role_policy()
        .role_name(DEMO_ROLE)
        .policy_arn(ADMIN)
        .send()
        .await
        .expect("DetachRolePolicy");
    run.deliver(
        "iam-detach-role-policy-demo-function-role.json",
        expect("evaluated", &[], &["LW019"]),
    )
    .await;
    iam.put_role_policy()
        .role_name(DEMO_ROLE)
        .policy_name("debug-everything")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("PutRolePolicy");
    run.deliver(
        "iam-put-role-policy-wildcard-demo-function-role.json",
        expect("evaluated", &["LW019"], &[]),
    )
    .await;
    iam.delete_role_policy()
        .role_name(DEMO_ROLE)
        .policy_name("debug-everything")
        .send()
        .await
        .expect("DeleteRolePolicy");
    run.deliver(
        "iam-delete-role-policy-demo-function-role.json",
        expect("evaluated", &[], &["LW019"]),
    )
    .await;
    let trust = load_event("iam-update-assume-role-policy-demo-function-role.json").expect("event")
        ["detail"]["requestParameters"]["policyDocument"]
        .as_str()
        .expect("policyDocument")
        .to_owned();
    iam.update_assume_role_policy()
        .role_name(DEMO_ROLE)
        .policy_document(trust)
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");
    run.deliver(
        "iam-update-assume-role-policy-demo-function-role.json",
        expect("evaluated", &["LW023"], &[]),
    )
    .await;
    // GIVEN the managed policy demo-function-access (v1: read one bucket) attached to the
    // role, and its version v2 (s3:* on *) made the default.
    let policy_arn = iam
        .create_policy()
        .policy_name("demo-function-access")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::demo-upload-bucket/*"}]}"#,
        )
        .send()
        .await
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn())
        .expect("policy ARN")
        .to_owned();
    iam.attach_role_policy()
        .role_name(DEMO_ROLE)
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("AttachRolePolicy");
    iam.create_policy_version()
        .policy_arn(&policy_arn)
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        )
        .set_as_default(true)
        .send()
        .await
        .expect("CreatePolicyVersion");
    run.deliver(
        "iam-create-policy-version-demo-function-access.json",
        expect("evaluated", &["LW020"], &[]),
    )
    .await;
    iam.set_default_policy_version()
        .policy_arn(&policy_arn)
        .version_id("v1")
        .send()
        .await
        .expect("SetDefaultPolicyVersion");
    run.deliver(
        "iam-set-default-policy-version-demo-function-access.json",
        expect("evaluated", &[], &["LW020"]),
    )
    .await;

    // Every sample event was delivered: a new one needs its case here.
    let all: BTreeSet<String> = std::fs::read_dir(warden_tests::events::events_dir())
        .expect("events/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(run.delivered, all, "events/ files without a case here");
}

//! End-to-end tests of the rules added for execution roles and layers: the real handler,
//! against moto started with AWS managed policies loaded.

use serde_json::Value;
use warden_aws::store::StateStore;
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_tests::seed::*;
use warden_tests::{load_event, seed_demo_account, DemoAccount, Moto};

use lambda_events::{handle, Deps};

/// 2026-05-28T00:00:00Z, in seconds since the Unix epoch.
const NOW: i64 = 1_779_926_400;

fn deps(sdk: &aws_config::SdkConfig, demo: &DemoAccount) -> Deps {
    let settings = [
        ("WARDEN_MODE", "enforce".to_owned()),
        ("WARDEN_ALERT_TOPIC_ARN", demo.topic_arn.clone()),
        ("WARDEN_SELF_ROLE_ARNS", demo.warden_role_arn.clone()),
        (
            "WARDEN_SELF_FUNCTION_ARNS",
            demo.function_arn(WARDEN_FUNCTION),
        ),
        ("WARDEN_STATE_TABLE", demo.state_table.clone()),
        ("WARDEN_EXEMPTION_APPROVERS", APPROVER_ROLE_ARN.to_owned()),
    ];
    let config = Config::from_lookup(|k| {
        settings
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("valid settings");
    Deps {
        aws: Aws::configured(sdk, &config),
        config,
    }
}

/// The state table, read with a client of its own.
fn store(sdk: &aws_config::SdkConfig, demo: &DemoAccount) -> StateStore {
    StateStore::new(sdk, std::sync::Arc::default(), &demo.state_table, None)
}

const LAYER_VERSION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:layer:shared-deps:1";

async fn deliver(deps: &Deps, event: Value) -> Value {
    let decision = handle(event, deps, NOW)
        .await
        .unwrap_or_else(|e| panic!("handler failed: {e}"));
    serde_json::to_value(&decision).expect("decision serialises")
}

#[tokio::test]
async fn administrator_access_on_the_execution_role_is_a_critical_finding_tag_and_alert() {
    let moto = Moto::start_with_managed_policies();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    aws_sdk_iam::Client::new(&sdk)
        .attach_role_policy()
        .role_name(DEMO_ROLE)
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("AttachRolePolicy");
    let deps = deps(&sdk, &demo);

    let decision = deliver(
        &deps,
        load_event("update-function-configuration-orders-api.json").expect("event"),
    )
    .await;

    assert_eq!(decision["outcome"], "non_compliant", "{decision}");
    let found: Vec<&str> = decision["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(found.contains(&"LW019"), "{decision}");
    let state = demo.state(ORDERS_API).await.expect("state");
    let tagged = state.tags.get(TAG_FINDINGS).cloned().unwrap_or_default();
    assert!(tagged.split(' ').any(|id| id == "LW019"), "{tagged:?}");
    let alerts = demo.read_alerts().await.expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0].0.starts_with("lambda-warden CRITICAL"),
        "{}",
        alerts[0].0
    );
    assert!(
        alerts[0]
            .1
            .contains("arn:aws:iam::aws:policy/AdministratorAccess"),
        "the alert names the policy: {}",
        alerts[0].1
    );
    // The role is never touched.
    let attached = aws_sdk_iam::Client::new(&sdk)
        .list_attached_role_policies()
        .role_name(DEMO_ROLE)
        .send()
        .await
        .expect("ListAttachedRolePolicies");
    assert_eq!(attached.attached_policies().len(), 1);
    // The finding is recorded in the state table, as the tags show it.
    let recorded = store(&sdk, &demo)
        .load(&demo.function_arn(ORDERS_API))
        .await
        .expect("read the state table")
        .state
        .expect("state recorded");
    assert!(
        recorded.open.iter().any(|f| f.rule_id.as_str() == "LW019"),
        "{recorded:?}"
    );
    assert_eq!(
        state.tags.get("lambda-warden:fingerprint"),
        Some(&recorded.fingerprint)
    );
}

#[tokio::test]
async fn a_layer_version_shared_with_everyone_is_alerted_and_nothing_is_written() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    share_layer_with_everyone(demo.lambda())
        .await
        .expect("a public layer version");
    let deps = deps(&sdk, &demo);
    let writes = deps.aws.calls().writes();

    let decision = deliver(
        &deps,
        load_event("add-layer-version-permission-public-shared-deps.json").expect("event"),
    )
    .await;

    assert_eq!(decision["outcome"], "non_compliant", "{decision}");
    assert_eq!(decision["layer_version_arn"], LAYER_VERSION_ARN);
    assert_eq!(decision["findings"], serde_json::json!(["LW018"]));
    let alerts = demo.read_alerts().await.expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].0.contains("shared-deps"), "{}", alerts[0].0);
    // One read, one alert, no other write.
    assert_eq!(deps.aws.calls().writes(), writes + 1);
    assert_eq!(
        deps.aws.calls().by_operation().get("GetLayerVersionPolicy"),
        Some(&1)
    );
    // The layer version's state is recorded in the table under its ARN.
    let state = store(&sdk, &demo)
        .load(LAYER_VERSION_ARN)
        .await
        .expect("read the state table")
        .state
        .expect("layer state recorded");
    assert_eq!(state.resource_arn, LAYER_VERSION_ARN);
    let open: Vec<&str> = state.open.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(open, ["LW018"]);

    // The same event again: evaluated, and de-duplicated by the recorded state.
    let again = deliver(
        &deps,
        load_event("add-layer-version-permission-public-shared-deps.json").expect("event"),
    )
    .await;
    assert_eq!(again["outcome"], "non_compliant", "{again}");
    assert!(demo.read_alerts().await.expect("alerts").is_empty());
    assert_eq!(deps.aws.calls().writes(), writes + 1, "no second alert");
}

#[tokio::test]
async fn a_layer_version_that_no_longer_exists_is_gone_and_alerts_nobody() {
    // GIVEN the demo account, where the layer the sample event names was never published
    // (or was deleted since the event)
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let deps = deps(&sdk, &demo);

    let decision = deliver(
        &deps,
        load_event("add-layer-version-permission-public-shared-deps.json").expect("event"),
    )
    .await;

    // THEN it is gone, not compliant: there is nothing to judge
    assert_eq!(decision["outcome"], "gone", "{decision}");
    assert_eq!(decision["findings"], serde_json::json!([]));
    assert!(demo.read_alerts().await.expect("alerts").is_empty());
    assert_eq!(deps.aws.calls().writes(), 0);
    // Nothing to record either.
    assert_eq!(deps.aws.calls().store_calls(), 0);
    let stored = store(&sdk, &demo)
        .load(LAYER_VERSION_ARN)
        .await
        .expect("read the state table");
    assert_eq!(stored.state, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aws_managed_policy_document_is_kept_a_while_the_attachments_are_read_every_time() {
    // GIVEN the demo role with an AWS managed policy attached (one no other test attaches)
    let moto = Moto::start_with_managed_policies();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let iam = aws_sdk_iam::Client::new(&sdk);
    iam.attach_role_policy()
        .role_name(DEMO_ROLE)
        .policy_arn("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess")
        .send()
        .await
        .expect("AttachRolePolicy");
    let deps = deps(&sdk, &demo);
    let event = load_event("update-function-configuration-orders-api.json").expect("event");
    let count = |op: &str| {
        deps.aws
            .calls()
            .by_operation()
            .get(op)
            .copied()
            .unwrap_or(0)
    };
    deliver(&deps, event.clone()).await;
    let (policies, versions, lists) = (
        count("iam:GetPolicy"),
        count("iam:GetPolicyVersion"),
        count("iam:ListAttachedRolePolicies"),
    );

    // WHEN a second event comes to the same warm process
    deliver(&deps, event.clone()).await;

    // THEN the AWS managed policy is not read again, the role's attachments are
    assert_eq!(count("iam:GetPolicy"), policies);
    assert_eq!(count("iam:GetPolicyVersion"), versions);
    assert_eq!(count("iam:ListAttachedRolePolicies"), lists + 1);

    // AND an AWS managed policy attached since is seen at once
    iam.attach_role_policy()
        .role_name(DEMO_ROLE)
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .expect("AttachRolePolicy");
    let decision = deliver(&deps, event).await;
    assert_eq!(decision["outcome"], "non_compliant", "{decision}");
    assert!(
        decision["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|id| id == "LW019")),
        "{decision}"
    );
}

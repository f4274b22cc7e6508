//! An event about an alias evaluates the alias: its own resource-based policy, findings naming
//! the qualified ARN, fixes in the alias's policy only, status tags under `KEY@QUALIFIER`.

use lambda_events::{handle, Deps};
use warden_aws::store::StateStore;
use warden_aws::Aws;
use warden_rules::config::{Config, Mode};
use warden_rules::tags::ComplianceStatus;
use warden_tests::seed::{ORDERS_API, PAYMENTS_API};
use warden_tests::{load_event, policy_statements, seed_demo_account, DemoAccount, Moto};

/// The handler's dependencies in `mode`, alerts on, with the demo account's state table.
fn deps(sdk: &aws_config::SdkConfig, demo: &DemoAccount, mode: Mode) -> Deps {
    let config = Config {
        mode,
        alert_topic_arn: Some(demo.topic_arn.clone()),
        state_table: Some(demo.state_table.clone()),
        ..Config::default()
    };
    Deps {
        aws: Aws::configured(sdk, &config),
        config,
    }
}

fn store(sdk: &aws_config::SdkConfig, demo: &DemoAccount) -> StateStore {
    StateStore::new(sdk, std::sync::Arc::default(), &demo.state_table, None)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alias_event_is_evaluated_and_fixed_on_the_alias() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let lambda = demo.lambda();
    // GIVEN payments-api (opted in) with an alias `live` whose own policy lets anyone invoke it
    let version = lambda
        .publish_version()
        .function_name(PAYMENTS_API)
        .send()
        .await
        .expect("PublishVersion")
        .version
        .expect("Version");
    lambda
        .create_alias()
        .function_name(PAYMENTS_API)
        .name("live")
        .function_version(version)
        .send()
        .await
        .expect("CreateAlias");
    lambda
        .add_permission()
        .function_name(PAYMENTS_API)
        .qualifier("live")
        .statement_id("alias-public")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");
    let function_policy = policy_statements(lambda, PAYMENTS_API, None)
        .await
        .expect("policy");
    // AND the CloudTrail event of that call (requestParameters.qualifier = live)
    let mut event = load_event("add-permission-public-payments-api.json").expect("event");
    event["detail"]["requestParameters"]["qualifier"] = "live".into();
    event["detail"]["requestParameters"]["statementId"] = "alias-public".into();
    let deps = deps(&sdk, &demo, Mode::Enforce);

    // WHEN the handler gets it
    let decision = handle(event, &deps, 0).await.expect("handled");

    // THEN the alias was evaluated and fixed, and the finding names the alias
    let decision = serde_json::to_value(&decision).expect("serialises");
    let alias_arn = format!("{}:live", demo.function_arn(PAYMENTS_API));
    assert_eq!(decision["function_arn"], alias_arn);
    assert_eq!(decision["outcome"], "remediated", "{decision}");
    assert_eq!(decision["findings"], serde_json::json!(["LW001"]));
    assert_eq!(decision["actions"][0]["action"]["sid"], "alias-public");
    // AND only the alias's policy changed; the function's own public statement is untouched
    assert!(policy_statements(lambda, PAYMENTS_API, Some("live"))
        .await
        .expect("alias policy")
        .is_empty());
    assert_eq!(
        policy_statements(lambda, PAYMENTS_API, None)
            .await
            .expect("policy"),
        function_policy
    );
    // AND the alias's status is recorded under its own keys, beside (not over) the function's
    let tags = demo.state(PAYMENTS_API).await.expect("state").tags;
    assert_eq!(
        tags.get("lambda-warden:status@live").map(String::as_str),
        Some("compliant")
    );
    assert!(!tags.contains_key("lambda-warden:status"), "{tags:?}");
    // AND the state table holds the alias's state under its qualified ARN, and nothing for
    // the function itself
    let stored = store(&sdk, &demo)
        .load(&alias_arn)
        .await
        .expect("read the state table");
    let state = stored.state.expect("alias state recorded");
    assert_eq!(state.resource_arn, alias_arn);
    assert_eq!(
        (state.status, state.open.len()),
        (ComplianceStatus::Compliant, 0)
    );
    assert_eq!(stored.pending_audit, None);
    let function = store(&sdk, &demo)
        .load(&demo.function_arn(PAYMENTS_API))
        .await
        .expect("read the state table");
    assert_eq!(function.state, None);
}

/// Attack 12: a version's evaluation kept no state, so its alert repeated on every delivery.
#[tokio::test(flavor = "multi_thread")]
async fn a_version_event_delivered_twice_alerts_once() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let lambda = demo.lambda();
    // GIVEN orders-api (not opted in) version 1, whose own policy lets anyone invoke it
    let version = lambda
        .publish_version()
        .function_name(ORDERS_API)
        .send()
        .await
        .expect("PublishVersion")
        .version
        .expect("Version");
    lambda
        .add_permission()
        .function_name(ORDERS_API)
        .qualifier(&version)
        .statement_id("version-public")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");
    let mut event = load_event("add-permission-public-orders-api.json").expect("event");
    event["detail"]["requestParameters"]["qualifier"] = version.clone().into();
    event["detail"]["requestParameters"]["statementId"] = "version-public".into();
    let deps = deps(&sdk, &demo, Mode::Tag);
    let version_arn = format!("{}:{version}", demo.function_arn(ORDERS_API));

    // WHEN the event is delivered twice
    let first = handle(event.clone(), &deps, 0).await.expect("handled");
    let first_alerts = demo.read_alerts().await.expect("alerts");
    let second = handle(event, &deps, 0).await.expect("handled");

    // THEN both evaluate the version and find the public statement, and only the first alerts
    for d in [&first, &second] {
        let d = serde_json::to_value(d).expect("serialises");
        assert_eq!(d["function_arn"], version_arn, "{d}");
        assert_eq!(d["outcome"], "non_compliant", "{d}");
        assert!(
            d["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|id| id == "LW001")),
            "{d}"
        );
    }
    assert_eq!(first_alerts.len(), 1, "{first_alerts:?}");
    assert!(
        first_alerts[0].1.contains("version-public"),
        "{first_alerts:?}"
    );
    let again = demo.read_alerts().await.expect("alerts");
    assert!(
        again.is_empty(),
        "the second delivery is de-duplicated: {again:?}"
    );
    // AND the version's state is recorded under its qualified ARN
    let state = store(&sdk, &demo)
        .load(&version_arn)
        .await
        .expect("read the state table")
        .state
        .expect("version state recorded");
    assert_eq!(state.resource_arn, version_arn);
    assert_eq!(state.status, ComplianceStatus::NonCompliant);
    assert!(
        state
            .open
            .iter()
            .any(|f| f.sid.as_deref() == Some("version-public")),
        "{state:?}"
    );
}

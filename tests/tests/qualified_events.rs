//! An event about an alias evaluates the alias: its own resource-based policy, findings naming
//! the qualified ARN, fixes in the alias's policy only, status tags under `KEY@QUALIFIER`.

use lambda_events::{handle, Deps};
use warden_aws::Aws;
use warden_rules::config::{Config, Mode};
use warden_tests::seed::PAYMENTS_API;
use warden_tests::{load_event, policy_statements, seed_demo_account, Moto};

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
    let deps = Deps {
        aws: Aws::new(&sdk),
        config: Config {
            mode: Mode::Enforce,
            ..Config::default()
        },
    };

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
}

//! Events of another account of the organization (forwarded to the central event bus) are
//! evaluated through the member role in that account; without a member role they are skipped.

use lambda_events::{handle_in, Deps};
use serde_json::Value;
use warden_aws::store::StateStore;
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::ids::AccountId;
use warden_tests::seed::{create_state_table, EMPTY_ZIP, STATE_TABLE};
use warden_tests::{load_event, retarget, tags, Moto};

const CENTRAL: &str = "123456789012";
const MEMBER: &str = "111111111111";
/// Lets Lambda assume the role for functions of the member account only.
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}"#;

/// `orders-api` with a public statement, in the member account. Nothing else is found on it:
/// a supported runtime, active tracing, an on-failure destination, and an execution role
/// whose trust is pinned to the account.
async fn seed_member(moto: &Moto) -> aws_sdk_lambda::Client {
    let sdk = moto
        .sdk_config_as(&format!("arn:aws:iam::{MEMBER}:role/seeder"))
        .await;
    let role = aws_sdk_iam::Client::new(&sdk)
        .create_role()
        .role_name("orders-role")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("role")
        .arn;
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    lambda
        .create_function()
        .function_name("orders-api")
        .runtime(aws_sdk_lambda::types::Runtime::Python313)
        .role(role)
        .handler("index.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .tracing_config(
            aws_sdk_lambda::types::TracingConfig::builder()
                .mode(aws_sdk_lambda::types::TracingMode::Active)
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    lambda
        .put_function_event_invoke_config()
        .function_name("orders-api")
        .destination_config(
            aws_sdk_lambda::types::DestinationConfig::builder()
                .on_failure(
                    aws_sdk_lambda::types::OnFailure::builder()
                        .destination(format!("arn:aws:sqs:us-east-1:{MEMBER}:failed-events"))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("PutFunctionEventInvokeConfig");
    lambda
        .add_permission()
        .function_name("orders-api")
        .statement_id("backdoor")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");
    lambda
}

/// The central deployment's dependencies: `settings`, its state table (created in the central
/// account) named by `WARDEN_STATE_TABLE`.
async fn deps(moto: &Moto, settings: &[(&str, &str)]) -> Deps {
    create_state_table(&moto.sdk_config(), STATE_TABLE)
        .await
        .expect("CreateTable");
    let config = Config::from_lookup(|k| {
        if k == "WARDEN_STATE_TABLE" {
            return Some(STATE_TABLE.to_owned());
        }
        settings
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("valid settings");
    Deps {
        aws: Aws::configured(&moto.sdk_config(), &config),
        config,
    }
}

fn member_event() -> Value {
    let event = load_event("add-permission-public-orders-api.json").expect("event");
    retarget(&event, CENTRAL, MEMBER)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_accounts_event_is_evaluated_through_the_member_role() {
    let moto = Moto::start();
    let member = seed_member(&moto).await;
    let deps = deps(
        &moto,
        &[
            ("WARDEN_MODE", "tag"),
            ("WARDEN_MEMBER_ROLE_NAME", "lambda-warden-member"),
            ("WARDEN_MEMBER_EXTERNAL_ID", "central-warden"),
        ],
    )
    .await;
    let central = AccountId::parse(CENTRAL).expect("account");

    let decision = handle_in(member_event(), &deps, 0, Some(&central))
        .await
        .expect("handled");

    let decision = serde_json::to_value(&decision).expect("serialises");
    assert_eq!(decision["outcome"], "non_compliant", "{decision}");
    assert_eq!(
        decision["function_arn"],
        format!("arn:aws:lambda:us-east-1:{MEMBER}:function:orders-api")
    );
    assert_eq!(decision["findings"], serde_json::json!(["LW001"]));
    // The tags were written in the member account, through the member role.
    let t = tags(
        &member,
        &format!("arn:aws:lambda:us-east-1:{MEMBER}:function:orders-api"),
    )
    .await
    .expect("tags");
    assert_eq!(
        t.get("lambda-warden:findings").map(String::as_str),
        Some("LW001")
    );
    // The state is recorded in the central deployment's table (the member account has none),
    // not through the member role.
    let state = StateStore::new(
        &moto.sdk_config(),
        std::sync::Arc::default(),
        STATE_TABLE,
        None,
    )
    .load(&format!(
        "arn:aws:lambda:us-east-1:{MEMBER}:function:orders-api"
    ))
    .await
    .expect("read the central table")
    .state
    .expect("state recorded");
    assert_eq!(t.get("lambda-warden:fingerprint"), Some(&state.fingerprint));
    // The member role's own calls are lambda-warden's: it joined the self identity.
    assert_eq!(
        deps.config.self_identity.member_role.as_deref(),
        Some("lambda-warden-member")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_member_role_other_accounts_are_skipped() {
    let moto = Moto::start();
    let member = seed_member(&moto).await;
    let deps = deps(&moto, &[("WARDEN_MODE", "tag")]).await;
    let central = AccountId::parse(CENTRAL).expect("account");

    let decision = handle_in(member_event(), &deps, 0, Some(&central))
        .await
        .expect("handled");

    assert_eq!(
        serde_json::to_value(decision.outcome).expect("serialises"),
        "skipped"
    );
    assert!(decision
        .skip_reason
        .as_deref()
        .is_some_and(|r| r.starts_with("other_account")));
    assert_eq!(deps.aws.calls().reads() + deps.aws.calls().writes(), 0);
    assert_eq!(deps.aws.calls().store_calls(), 0);
    let t = tags(
        &member,
        &format!("arn:aws:lambda:us-east-1:{MEMBER}:function:orders-api"),
    )
    .await
    .expect("tags");
    assert!(t.is_empty(), "{t:?}");
}

//! The real `lambda-events` binary under a local Lambda Runtime API (`cargo lambda watch`),
//! against moto: the function starts with the demo's settings, answers malformed input without
//! an error, and acts on a sample event (tag and alert).

use std::path::PathBuf;

use serde_json::json;
use warden_tests::local_lambda::demo_function_env;
use warden_tests::seed::{ORDERS_API, TAG_STATUS};
use warden_tests::{load_event, seed_demo_account, LocalLambda, Moto};

#[tokio::test]
async fn the_function_binary_serves_events_under_a_local_lambda_runtime() {
    let moto = Moto::start();
    let demo = seed_demo_account(&moto.sdk_config())
        .await
        .expect("seed the demo account");
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let local = LocalLambda::start(&workspace, &demo_function_env(&moto, &demo))
        .unwrap_or_else(|e| panic!("{e}"));
    let client = local.client();

    let bad = local
        .invoke(&client, &json!({"hello": "world"}))
        .await
        .expect("invoke");
    assert_eq!(bad.function_error, None, "{}\n{}", bad.payload, local.log());
    assert_eq!(
        bad.payload["outcome"], "ignored_bad_input",
        "{}",
        bad.payload
    );

    let event = load_event("add-permission-public-orders-api.json").expect("event");
    let answer = local.invoke(&client, &event).await.expect("invoke");
    assert_eq!(
        answer.function_error,
        None,
        "{}\n{}",
        answer.payload,
        local.log()
    );
    assert_eq!(
        answer.payload["outcome"], "non_compliant",
        "{}",
        answer.payload
    );
    let state = demo.state(ORDERS_API).await.expect("state");
    assert_eq!(
        state.tags.get(TAG_STATUS).map(String::as_str),
        Some("non-compliant")
    );
    assert_eq!(demo.read_alerts().await.expect("alerts").len(), 1);
}

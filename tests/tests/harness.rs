//! Tests of the harness itself, against moto: the seeded account is what `seed_demo_account`
//! says it is, alerts published to the topic can be read back, and the launcher's
//! `RemovePermission` `RevisionId` correction behaves as AWS does.

use serde_json::Value;
use warden_tests::inspect::policy_revision_id;
use warden_tests::seed::*;
use warden_tests::{load_event, seed_demo_account, Moto};

fn sids(statements: &[Value]) -> Vec<&str> {
    statements
        .iter()
        .filter_map(|s| s.get("Sid").and_then(Value::as_str))
        .collect()
}

#[tokio::test]
async fn seeding_creates_the_functions_policies_and_tags_it_documents() {
    let moto = Moto::start();
    let demo = seed_demo_account(&moto.sdk_config()).await.expect("seed");

    let orders = demo.state(ORDERS_API).await.expect("orders-api");
    assert_eq!(sids(&orders.statements), ["backdoor"]);
    assert_eq!(orders.statements[0]["Principal"], "*");
    assert!(
        orders.tags.is_empty(),
        "orders-api is not opted in: {:?}",
        orders.tags
    );

    let payments = demo.state(PAYMENTS_API).await.expect("payments-api");
    assert_eq!(sids(&payments.statements), ["public-invoke"]);
    assert_eq!(
        payments.tags.get(TAG_AUTO_FIX).map(String::as_str),
        Some("true")
    );

    let resizer = demo.state(IMAGE_RESIZER).await.expect("image-resizer");
    assert_eq!(sids(&resizer.statements), ["s3-invoke"]);
    let s3 = &resizer.statements[0];
    assert_eq!(s3["Principal"]["Service"], "s3.amazonaws.com");
    assert_eq!(s3["Condition"]["ArnLike"]["AWS:SourceArn"], DEMO_BUCKET_ARN);
    assert!(
        s3["Condition"].get("StringEquals").is_none(),
        "no SourceAccount must be seeded: {s3}"
    );
    assert_eq!(
        resizer.tags.get(TAG_AUTO_FIX).map(String::as_str),
        Some("true")
    );

    let notifier = demo.state(NOTIFIER).await.expect("notifier");
    assert_eq!(sids(&notifier.statements), ["sns-invoke"]);
    assert!(notifier.statements[0].get("Condition").is_none());
    assert!(notifier.tags.is_empty());

    let webhook = demo.state(PUBLIC_WEBHOOK).await.expect("public-webhook");
    assert_eq!(webhook.url_auth_type.as_deref(), Some("NONE"));
    assert_eq!(sids(&webhook.statements), ["FunctionURLAllowPublicAccess"]);
    assert_eq!(webhook.statements[0]["Action"], "lambda:InvokeFunctionUrl");
    assert_eq!(
        webhook.tags.get(TAG_AUTO_FIX).map(String::as_str),
        Some("true")
    );
    let cors = demo
        .lambda()
        .get_function_url_config()
        .function_name(PUBLIC_WEBHOOK)
        .send()
        .await
        .expect("GetFunctionUrlConfig")
        .cors
        .expect("CORS configured");
    assert_eq!(cors.allow_origins(), ["*"]);

    let legacy = demo.state(LEGACY_BATCH).await.expect("legacy-batch");
    assert_eq!(sids(&legacy.statements), ["legacy-public"]);
    assert_eq!(
        legacy.tags.get(TAG_EXEMPT).map(String::as_str),
        Some("vendor-managed")
    );

    let warden = demo
        .lambda()
        .get_function()
        .function_name(WARDEN_FUNCTION)
        .send()
        .await
        .expect("lambda-warden-events exists");
    let role = warden.configuration().and_then(|c| c.role()).unwrap_or("");
    assert_eq!(role, demo.warden_role_arn);
    assert!(role.ends_with(&format!(":role/{WARDEN_ROLE}")), "{role}");
    for name in DEMO_FUNCTIONS {
        let arn = demo.function_arn(name);
        assert!(
            arn.starts_with("arn:aws:lambda:us-east-1:123456789012:function:"),
            "{arn}"
        );
    }
}

#[tokio::test]
async fn alerts_published_to_the_topic_are_read_back_once() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    assert!(demo.read_alerts().await.expect("empty queue").is_empty());

    let sns = aws_sdk_sns::Client::new(&sdk);
    for (subject, message) in [("first", r#"{"n":1}"#), ("second", r#"{"n":2}"#)] {
        sns.publish()
            .topic_arn(&demo.topic_arn)
            .subject(subject)
            .message(message)
            .send()
            .await
            .expect("Publish");
    }
    let mut alerts = demo.read_alerts().await.expect("read");
    alerts.sort();
    assert_eq!(
        alerts,
        [
            ("first".to_owned(), r#"{"n":1}"#.to_owned()),
            ("second".to_owned(), r#"{"n":2}"#.to_owned()),
        ]
    );
    assert!(
        demo.read_alerts().await.expect("read again").is_empty(),
        "read_alerts drains the queue"
    );
}

#[tokio::test]
async fn remove_permission_honours_the_revision_id() {
    let moto = Moto::start();
    let demo = seed_demo_account(&moto.sdk_config()).await.expect("seed");
    let lambda = demo.lambda();
    let arn = demo.function_arn(ORDERS_API);

    let stale = policy_revision_id(lambda, &arn)
        .await
        .expect("read")
        .expect("policy");
    lambda
        .add_permission()
        .function_name(ORDERS_API)
        .statement_id("second")
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .send()
        .await
        .expect("AddPermission");
    let current = policy_revision_id(lambda, &arn)
        .await
        .expect("read")
        .expect("policy");
    assert_ne!(
        stale, current,
        "AddPermission gives the policy a new RevisionId"
    );

    let refused = lambda
        .remove_permission()
        .function_name(ORDERS_API)
        .statement_id("backdoor")
        .revision_id(&stale)
        .send()
        .await
        .expect_err("a stale RevisionId must be refused");
    assert!(
        refused
            .as_service_error()
            .is_some_and(|e| e.is_precondition_failed_exception()),
        "{refused:?}"
    );

    lambda
        .remove_permission()
        .function_name(ORDERS_API)
        .statement_id("backdoor")
        .revision_id(&current)
        .send()
        .await
        .expect("the current RevisionId is accepted");
    let after = policy_revision_id(lambda, &arn)
        .await
        .expect("read")
        .expect("policy");
    assert_ne!(
        after, current,
        "RemovePermission gives the policy a new RevisionId"
    );
    let left = warden_tests::policy_statements(lambda, &arn, None)
        .await
        .expect("read");
    assert_eq!(sids(&left), ["second"]);
}

#[test]
fn moto_stops_when_dropped() {
    let moto = Moto::start();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], moto.port()));
    assert!(std::net::TcpStream::connect(addr).is_ok());
    drop(moto);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "moto still answers on {addr}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn load_event_names_the_missing_file() {
    let err = load_event("no-such-event.json").expect_err("missing file");
    assert!(err.to_string().contains("no-such-event.json"), "{err}");
}

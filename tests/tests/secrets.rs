//! A secret planted in a function's environment never leaves lambda-warden: the real handler
//! runs end to end against moto (environment variables set on the function, an
//! `UpdateFunctionConfiguration` event delivered), and the planted values are absent from
//! every log line (captured from the tracing subscriber at `debug` level, the SDK's included),
//! every tag on the function, every alert drained from the alert queue, every item of the
//! state table, and the decision.
//! The finding itself must be there, named by variable and detector, so the test cannot pass
//! by reporting nothing.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_lambda::types::Environment;
use lambda_events::{handle, Deps};
use tracing_subscriber::fmt::MakeWriter;
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_tests::seed::*;
use warden_tests::{load_event, seed_demo_account, Moto};

/// 2026-05-28T00:00:00Z, in seconds since the Unix epoch.
const NOW: i64 = 1_779_926_400;

/// Every log line written, shared between the subscriber and the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_planted_secret_appears_in_no_log_line_tag_alert_or_decision() {
    // GIVEN a function whose environment holds a Stripe live key, a password and a database
    // URL with a password (values assembled at run time: no credential-shaped literal in the
    // source)
    let stripe = format!("sk_live_{}", "51HqT9vXk2mPzR8wLb4NcY7e");
    let password = format!("{}-{}", "Correct", "horse-battery-staple-42");
    let db_password = format!("{}{}", "pg", "Pw0rd9zQ");
    let database_url = format!("postgres://orders:{db_password}@db.internal:5432/orders");
    let planted = [
        stripe.clone(),
        password.clone(),
        db_password.clone(),
        database_url.clone(),
    ];

    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    demo.lambda()
        .update_function_configuration()
        .function_name(ORDERS_API)
        .environment(
            Environment::builder()
                .variables("STRIPE_API_KEY", &stripe)
                .variables("ADMIN_PASSWORD", &password)
                .variables("DATABASE_URL", &database_url)
                .variables("TABLE_NAME", "orders")
                .build(),
        )
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    // Opted in, so its public statement (`backdoor`) is removed and the audit record, with
    // every finding and its evidence, is stored in the state table.
    demo.lambda()
        .tag_resource()
        .resource(demo.function_arn(ORDERS_API))
        .tags(TAG_AUTO_FIX, "true")
        .send()
        .await
        .expect("TagResource");
    let settings = [
        ("WARDEN_MODE", "enforce".to_owned()),
        ("WARDEN_ALERT_TOPIC_ARN", demo.topic_arn.clone()),
        ("WARDEN_SELF_ROLE_ARNS", demo.warden_role_arn.clone()),
        (
            "WARDEN_SELF_FUNCTION_ARNS",
            demo.function_arn(WARDEN_FUNCTION),
        ),
        ("WARDEN_STATE_TABLE", demo.state_table.clone()),
    ];
    let config = Config::from_lookup(|k| {
        settings
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("valid settings");
    let deps = Deps {
        aws: Aws::configured(&sdk, &config),
        config,
    };

    // WHEN the real handler receives the UpdateFunctionConfiguration event, with every log
    // line at debug level captured
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(logs.clone())
        .finish();
    let event = load_event("update-function-configuration-orders-api.json").expect("event");
    let decision = {
        let _guard = tracing::subscriber::set_default(subscriber);
        handle(event, &deps, NOW).await.expect("handler")
    };

    // THEN the secrets are found
    let decision = serde_json::to_string(&decision).expect("decision JSON");
    assert!(decision.contains("LW007"), "{decision}");
    let log_text = logs.text();
    assert!(
        log_text.lines().count() >= 2,
        "logs were captured: {log_text}"
    );
    assert!(log_text.contains("LW007"), "the decision is logged");
    let alerts = demo.read_alerts().await.expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert_text = format!("{}\n{}", alerts[0].0, alerts[0].1);
    for name in ["STRIPE_API_KEY", "ADMIN_PASSWORD", "DATABASE_URL"] {
        assert!(alert_text.contains(name), "the alert names {name}");
    }
    assert!(
        alert_text.contains("stripe-secret-key"),
        "the alert names the detector"
    );
    let state = demo.state(ORDERS_API).await.expect("state");
    let tagged = state.tags.get(TAG_FINDINGS).cloned().unwrap_or_default();
    assert!(tagged.split(' ').any(|id| id == "LW007"), "{tagged:?}");

    // AND no planted value appears anywhere lambda-warden wrote
    let tags_text = format!("{:?}", state.tags);
    let table = aws_sdk_dynamodb::Client::new(&sdk)
        .scan()
        .table_name(&demo.state_table)
        .send()
        .await
        .expect("Scan the state table");
    let table_text = format!("{:?}", table.items());
    assert!(
        table_text.contains("LW007") && table_text.contains("AUDIT#"),
        "the finding and the audit record are stored: {table_text}"
    );
    for secret in &planted {
        assert!(
            !log_text.contains(secret.as_str()),
            "a log line shows a planted secret"
        );
        assert!(
            !alert_text.contains(secret.as_str()),
            "the alert shows a planted secret"
        );
        assert!(
            !tags_text.contains(secret.as_str()),
            "a tag shows a planted secret"
        );
        assert!(
            !table_text.contains(secret.as_str()),
            "the state table holds a planted secret"
        );
        assert!(
            !decision.contains(secret.as_str()),
            "the decision shows a planted secret"
        );
    }
}

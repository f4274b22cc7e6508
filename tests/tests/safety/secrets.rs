//! The remediator never logs secret values, credentials or whole environment maps: a full
//! handler run (read, fix, alert, tags) at `TRACE` level, with a function whose environment
//! holds a secret and with session credentials, leaves none of them in the log. The secret is
//! found (LW007) and that finding is logged; by LW007's design it names the variable, never
//! its value, so the environment map is checked with a second, ordinary variable, whose name
//! and value must not appear either.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use aws_config::BehaviorVersion;
use aws_sdk_lambda::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    DestinationConfig, Environment, FunctionCode, OnFailure, Runtime, TracingConfig, TracingMode,
};
use lambda_events::{handle, DecisionOutcome, Deps};
use tracing_subscriber::fmt::MakeWriter;
use warden_aws::Aws;
use warden_rules::outcome::ActionStatus;
use warden_rules::plan::Action;
use warden_rules::rules::RuleId;
use warden_tests::seed::*;
use warden_tests::{retarget, Moto};

use crate::world::*;

const ACCESS_KEY: &str = "ASIAWARDENTESTKEY0001";
const SECRET_KEY: &str = "wardenTestSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEWardenTestSessionToken0123456789abcdef";
const ENV_KEY: &str = "PAYMENT_PROVIDER_API_KEY";
const ENV_SECRET: &str = "sk_live_wardenTestEnvSecret42";
/// An ordinary variable: if the environment map were logged, it would show.
const PLAIN_KEY: &str = "BILLING_LEDGER_TABLE";
const PLAIN_VALUE: &str = "ledger-entries-eu-7f3a";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
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
async fn a_full_run_logs_no_secret_credential_or_environment_map() {
    let moto = Moto::start();
    let demo = warden_tests::seed_demo_account(&moto.sdk_config())
        .await
        .expect("seed");
    pin_demo_role_trust(&moto.sdk_config()).await;
    let lambda = demo.lambda();
    lambda
        .create_function()
        .function_name("billing")
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(&demo.demo_role_arn)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .environment(
            Environment::builder()
                .variables(ENV_KEY, ENV_SECRET)
                .variables(PLAIN_KEY, PLAIN_VALUE)
                .build(),
        )
        .tracing_config(TracingConfig::builder().mode(TracingMode::Active).build())
        .tags(TAG_AUTO_FIX, "true")
        .send()
        .await
        .expect("CreateFunction");
    lambda
        .put_function_event_invoke_config()
        .function_name("billing")
        .destination_config(
            DestinationConfig::builder()
                .on_failure(
                    OnFailure::builder()
                        .destination(FAILED_EVENTS_QUEUE_ARN)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("PutFunctionEventInvokeConfig");
    lambda
        .add_permission()
        .function_name("billing")
        .statement_id("public-invoke")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");

    let sdk = moto
        .sdk_config()
        .to_builder()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY,
            SECRET_KEY,
            Some(SESSION_TOKEN.to_owned()),
            None,
            "test",
        )))
        .build();
    let config = config(&demo, &[]);
    let deps = Deps {
        aws: Aws::configured(&sdk, &config),
        config,
    };
    let event = retarget(
        &event("add-permission-public-payments-api.json"),
        PAYMENTS_API,
        "billing",
    );

    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(log.clone())
        .finish();
    let decision = {
        let _guard = tracing::subscriber::set_default(subscriber);
        handle(event, &deps, NOW).await.expect("handled")
    };
    // The public statement is removed; the secret needs a human (LW007 is manual), so the
    // function stays non-compliant. The variables are on Lambda's AWS managed key (LW008):
    // moto keeps no KMSKeyArn for a function.
    assert_eq!(
        decision.outcome,
        DecisionOutcome::NonCompliant,
        "{decision:?}"
    );
    assert_eq!(
        decision.findings,
        [RuleId::LW001, RuleId::LW007, RuleId::LW008],
        "{decision:?}"
    );
    assert!(
        matches!(
            &decision.actions[..],
            [r] if r.status == ActionStatus::Done
                && matches!(&r.action, Action::RemovePermission { sid, .. } if sid == "public-invoke")
        ),
        "{decision:?}"
    );

    let text =
        String::from_utf8_lossy(&log.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned();
    assert!(
        text.contains("\"decision\"") && text.contains("billing") && text.contains("LW007"),
        "the log was captured, with the finding about the secret: {} bytes",
        text.len()
    );
    for secret in [
        SECRET_KEY,
        SESSION_TOKEN,
        ENV_SECRET,
        PLAIN_KEY,
        PLAIN_VALUE,
    ] {
        assert!(!text.contains(secret), "{secret:?} appears in the log");
    }
    // The SDK signs with the secret key; neither it nor the full Authorization header is
    // logged.
    assert!(
        !text.contains("Signature="),
        "a request signature appears in the log"
    );
}

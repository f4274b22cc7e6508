//! The world every safety test starts from: moto with the demo account, a fault-injecting
//! proxy in front of it, and the handler's dependencies talking to moto through the proxy.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use serde_json::Value;
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::report::AuditRecord;
use warden_tests::seed::*;
use warden_tests::{load_event, seed_demo_account, DemoAccount, FaultProxy, Moto};

use lambda_events::{handle, Decision, Deps, HandlerError};

/// 2026-05-28T00:00:00Z: the handler's "now".
pub const NOW: i64 = 1_779_926_400;

/// SDK attempts per call in these tests (the SDK's standard mode default), with a short
/// backoff so retried faults do not slow the suite.
pub const ATTEMPTS: u32 = 3;

pub struct World {
    pub moto: Moto,
    pub proxy: FaultProxy,
    pub demo: DemoAccount,
    pub deps: Deps,
}

/// The settings of `enforce` mode with alerts on and lambda-warden's own names, plus `extra`.
pub fn config(demo: &DemoAccount, extra: &[(&str, &str)]) -> Config {
    let mut settings = vec![
        ("WARDEN_MODE".to_owned(), "enforce".to_owned()),
        ("WARDEN_ALERT_TOPIC_ARN".to_owned(), demo.topic_arn.clone()),
        ("WARDEN_SELF_ROLE_NAMES".to_owned(), WARDEN_ROLE.to_owned()),
        (
            "WARDEN_SELF_FUNCTION_NAMES".to_owned(),
            WARDEN_FUNCTION.to_owned(),
        ),
    ];
    for (k, v) in extra {
        settings.retain(|(name, _)| name != k);
        settings.push(((*k).to_owned(), (*v).to_owned()));
    }
    Config::from_lookup(|k| {
        settings
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("valid settings")
}

/// moto's SDK configuration pointed at `endpoint`, standard retries with a 5 ms backoff.
pub fn sdk_via(moto: &Moto, endpoint: &str) -> SdkConfig {
    moto.sdk_config()
        .to_builder()
        .endpoint_url(endpoint)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(20))
                .build(),
        )
        .build()
}

pub async fn world() -> World {
    world_with(&[]).await
}

pub async fn world_with(extra: &[(&str, &str)]) -> World {
    let moto = Moto::start();
    let demo = seed_demo_account(&moto.sdk_config())
        .await
        .expect("seed the demo account");
    let proxy = FaultProxy::start(moto.port()).await;
    let deps = Deps {
        aws: Aws::new(&sdk_via(&moto, &proxy.endpoint())),
        config: config(&demo, extra),
    };
    World {
        moto,
        proxy,
        demo,
        deps,
    }
}

impl World {
    /// Runs the handler on `event`.
    pub async fn deliver(&self, event: Value) -> Result<Decision, HandlerError> {
        handle(event, &self.deps, NOW).await
    }

    /// Runs the handler on `event`, which must succeed.
    pub async fn deliver_ok(&self, event: Value) -> Decision {
        self.deliver(event)
            .await
            .unwrap_or_else(|e| panic!("handler failed: {e}"))
    }

    /// The alerts published since the last call, as audit records (SNS `Subject`, record).
    pub async fn alerts(&self) -> Vec<(String, AuditRecord)> {
        self.demo
            .read_alerts()
            .await
            .expect("read alerts")
            .into_iter()
            .map(|(subject, message)| {
                let record = serde_json::from_str(&message)
                    .unwrap_or_else(|e| panic!("alert is not an audit record ({e}): {message}"));
                (subject, record)
            })
            .collect()
    }

    /// (reads, writes) sent through the adapter so far, then forgets them.
    pub fn take_counts(
        &self,
    ) -> (
        usize,
        usize,
        std::collections::BTreeMap<&'static str, usize>,
    ) {
        let calls = self.deps.aws.calls();
        let counts = (calls.reads(), calls.writes(), calls.by_operation());
        calls.reset();
        counts
    }
}

pub fn event(name: &str) -> Value {
    load_event(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The statements of `name`'s policy, by Sid.
pub async fn statements(demo: &DemoAccount, name: &str) -> Vec<Value> {
    demo.state(name).await.expect("state").statements
}

pub fn sids(statements: &[Value]) -> Vec<String> {
    let mut s: Vec<String> = statements
        .iter()
        .filter_map(|s| s["Sid"].as_str().map(str::to_owned))
        .collect();
    s.sort();
    s
}

/// A Lambda client straight to moto (not through the proxy): a human's console or CLI.
pub fn human(w: &World) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&w.moto.sdk_config())
}

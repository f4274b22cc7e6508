//! The `sweep` function: cold-start work once (logs, settings, AWS clients), then each scheduled
//! event (or continuation) goes to [`sweep::handle`] with a budget from the invocation's
//! deadline.

use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use sweep::{handle, Deadline, Deps, SweepSettings};
use tracing_subscriber::EnvFilter;
use warden_rules::config::Config;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The function's log-level setting (TRACE..FATAL), else RUST_LOG directives, else info.
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG"));
    let level = level.map_or("info".into(), |l| {
        l.to_lowercase().replace("fatal", "error")
    });
    let filter = EnvFilter::try_new(&level).map_err(|e| format!("log level {level:?}: {e}"))?;
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .init();

    let config = Config::from_lookup(|k| std::env::var(k).ok())
        .inspect_err(|e| tracing::error!(error = %e, "cannot start: invalid setting"))?;
    let settings = SweepSettings::from_lookup(|k| std::env::var(k).ok())
        .inspect_err(|e| tracing::error!(error = %e, "cannot start: invalid setting"))?;
    if config.regions.is_empty() {
        return Err("cannot start: no Region to sweep (set WARDEN_REGIONS)".into());
    }
    // Adaptive retries: a sweep sends many requests in a row, and this mode slows down after
    // throttling instead of only backing off per request
    // (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::adaptive())
        .load()
        .await;
    let aws = warden_aws::Aws::new(&sdk);
    let margin_ms = settings.margin_seconds.saturating_mul(1000);
    let deps = Deps {
        aws,
        config,
        settings,
    };

    run(service_fn(|event: LambdaEvent<Value>| {
        let deps = &deps;
        async move {
            let budget = Deadline {
                deadline_ms: event.context.deadline,
                margin_ms,
                now_ms,
            };
            // Boxed: the sweep's future is deep, and the runtime nests it further.
            let summary = Box::pin(handle(
                &event.payload,
                &event.context.request_id,
                &event.context.invoked_function_arn,
                deps,
                &budget,
                warden_aws::runtime::now_unix_seconds(),
            ))
            .await;
            Ok::<_, Error>(summary)
        }
    }))
    .await
}

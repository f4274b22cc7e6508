//! The `lambda-events` function: cold-start work once (logs, settings, AWS clients), then each
//! EventBridge event goes to [`lambda_events::handle`] with the clock read here.

use std::time::{SystemTime, UNIX_EPOCH};

use lambda_events::{handle_in, Deps};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use tracing_subscriber::EnvFilter;
use warden_rules::config::Config;
use warden_rules::ids::FunctionArn;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The function's log-level setting (TRACE..FATAL), else RUST_LOG directives, else info.
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG"));
    let level = level.map_or("info".into(), |l| {
        l.to_lowercase().replace("fatal", "error")
    });
    let filter = EnvFilter::try_new(&level).map_err(|e| format!("log level {level:?}: {e}"))?;
    let subscriber = tracing_subscriber::fmt().json().with_env_filter(filter);
    subscriber.init();

    let config = Config::from_lookup(|k| std::env::var(k).ok())
        .inspect_err(|e| tracing::error!(error = %e, "cannot start: invalid setting"))?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let aws = warden_aws::Aws::new(&sdk);
    let deps = Deps { aws, config };

    run(service_fn(|event: LambdaEvent<Value>| {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
        let now = since_epoch.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        // The function's own account, from its ARN: events of other accounts go through the
        // member role.
        let own = FunctionArn::parse(&event.context.invoked_function_arn)
            .ok()
            .map(|a| a.account);
        let deps = &deps;
        async move { handle_in(event.payload, deps, now, own.as_ref()).await }
    }))
    .await
}

//! The `sweep` function: cold-start work once (logs, settings, AWS clients), then each scheduled
//! event (or continuation) goes to [`sweep::handle`] with a budget from the invocation's
//! deadline, under the invocation's [`warden_aws::deadline::Deadline`] for writes
//! (`WARDEN_WRITE_MARGIN_MS`).

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use sweep::{handle, Deadline, Deps, SweepSettings};
use warden_aws::deadline::{self, now_epoch_ms};
use warden_aws::runtime::{config_from_env, init_logging, now_unix_seconds, sdk_loader};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON lines at the function's log level, the AWS SDK's own targets capped.
    init_logging()?;
    let config = config_from_env()?;
    let settings = SweepSettings::from_lookup(|k| std::env::var(k).ok())
        .inspect_err(|e| tracing::error!(error = %e, "cannot start: invalid setting"))?;
    sweep::check_settings(&settings, &config)
        .inspect_err(|e| tracing::error!(error = %e, "cannot start: invalid setting"))?;
    if config.regions.is_empty() {
        return Err("cannot start: no Region to sweep (set WARDEN_REGIONS)".into());
    }
    // The call timeouts of the settings, and adaptive retries: a sweep sends many requests in
    // a row, and this mode slows down after throttling instead of only backing off per
    // request (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
    let sdk = sdk_loader(&config)
        .retry_config(aws_config::retry::RetryConfig::adaptive())
        .load()
        .await;
    let aws = warden_aws::Aws::configured(&sdk, &config);
    let margin_ms = settings.margin_seconds.saturating_mul(1000);
    let write_margin_ms = config.write_margin_ms;
    let deps = Deps {
        aws,
        config,
        settings,
    };

    run(service_fn(|event: LambdaEvent<Value>| {
        let deps = &deps;
        let writes = deadline::Deadline::new(event.context.deadline, write_margin_ms);
        deadline::scope(writes, async move {
            let budget = Deadline {
                deadline_ms: event.context.deadline,
                margin_ms,
                now_ms: now_epoch_ms,
            };
            // Boxed: the sweep's future is deep, and the runtime nests it further.
            let answer = Box::pin(handle(
                &event.payload,
                &event.context.request_id,
                &event.context.invoked_function_arn,
                deps,
                &budget,
                now_unix_seconds(),
            ))
            .await?;
            Ok::<_, Error>(answer)
        })
    }))
    .await
}

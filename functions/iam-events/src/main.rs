//! The `iam-events` function: cold-start work once (logs, settings, AWS clients:
//! [`warden_aws::runtime::init`]), then each EventBridge event goes to
//! [`iam_events::handle`] with the clock read here, under the invocation's
//! [`Deadline`](warden_aws::deadline::Deadline) (its `Context::deadline` and
//! `WARDEN_WRITE_MARGIN_MS`).

use iam_events::{handle, Deps};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use warden_aws::deadline::{self, Deadline};
use warden_aws::runtime::{init, now_unix_seconds};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, aws) = init().await?;
    let margin_ms = config.write_margin_ms;
    let deps = Deps { aws, config };
    run(service_fn(|event: LambdaEvent<Value>| {
        let limit =
            Deadline::for_invocation(event.context.deadline, margin_ms, deadline::now_epoch_ms());
        // Boxed: the handler's future is deep, and the scope and the runtime nest it further.
        deadline::scope(
            limit,
            Box::pin(handle(event.payload, &deps, now_unix_seconds())),
        )
    }))
    .await
}

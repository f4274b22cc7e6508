//! The `lambda-events` function: cold-start work once (logs, settings, AWS clients:
//! [`warden_aws::runtime::init`]), then each EventBridge event goes to
//! [`lambda_events::handle`] with the clock read here.

use lambda_events::{handle, Deps};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use warden_aws::runtime::{init, now_unix_seconds};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, aws) = init().await?;
    let deps = Deps { aws, config };
    run(service_fn(|event: LambdaEvent<Value>| {
        handle(event.payload, &deps, now_unix_seconds())
    }))
    .await
}

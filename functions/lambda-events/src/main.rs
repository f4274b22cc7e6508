//! The `lambda-events` function: cold-start work once (logs, settings, AWS clients:
//! [`warden_aws::runtime::init`]), then each EventBridge event goes to
//! [`lambda_events::handle_in`] with the clock read here and the function's own account.

use lambda_events::{handle_in, Deps};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use warden_aws::runtime::{init, now_unix_seconds};
use warden_rules::ids::FunctionArn;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, aws) = init().await?;
    let deps = Deps { aws, config };
    run(service_fn(|event: LambdaEvent<Value>| {
        let now = now_unix_seconds();
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

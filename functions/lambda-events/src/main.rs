//! The `lambda-events` function: cold-start work once (logs, settings, AWS clients:
//! [`warden_aws::runtime::init`]), then each EventBridge event goes to
//! [`lambda_events::handle_in`] with the clock read here and the function's own account, under
//! the invocation's [`Deadline`](warden_aws::deadline::Deadline) (its `Context::deadline` and
//! `WARDEN_WRITE_MARGIN_MS`).

use lambda_events::{handle_in, Deps};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use warden_aws::deadline::{self, Deadline};
use warden_aws::runtime::{init, now_unix_seconds};
use warden_rules::ids::FunctionArn;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, aws) = init().await?;
    let margin_ms = config.write_margin_ms;
    let deps = Deps { aws, config };
    run(service_fn(|event: LambdaEvent<Value>| {
        let now = now_unix_seconds();
        let limit =
            Deadline::for_invocation(event.context.deadline, margin_ms, deadline::now_epoch_ms());
        // The function's own account, from its ARN: events of other accounts go through the
        // member role.
        let own = FunctionArn::parse(&event.context.invoked_function_arn)
            .ok()
            .map(|a| a.account);
        let deps = &deps;
        // Boxed: the handler's future is deep, and the scope and the runtime nest it further.
        deadline::scope(
            limit,
            Box::pin(async move { handle_in(event.payload, deps, now, own.as_ref()).await }),
        )
    }))
    .await
}

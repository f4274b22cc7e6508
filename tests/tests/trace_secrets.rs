//! Attack 10 of issue 10: `RUST_LOG=trace` printed the member role's `ExternalId` 21 times
//! (the SDK's debug print of the `AssumeRole` input), and `GetFunction`'s output debug print
//! carries the presigned code URL. The functions' logger ([`runtime::json_subscriber`], what
//! `runtime::init` installs) caps the SDK's own log targets whatever the level says, so at
//! `trace` (even with directives that name the SDK's targets and spans) no secret appears:
//! not the `ExternalId`, not an environment variable's value, not the secret access key or
//! session token, not a request signature, not the presigned code URL.
//!
//! Real calls against moto: `AssumeRole` with an `ExternalId`, a call made with the assumed
//! role, a function's full read ([`Aws::fetch_snapshot`]: its configuration with a planted
//! environment secret, tags, policy, URL) and a `GetFunction`. The same calls under an
//! uncapped `trace` subscriber print the `ExternalId` and the code location, so the test does
//! see a secret when one leaks.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_sdk_lambda::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_lambda::types::Environment;
use tracing_subscriber::fmt::MakeWriter;
use warden_aws::{runtime, Aws};
use warden_rules::ids::FunctionArn;
use warden_tests::seed::*;
use warden_tests::{seed_demo_account, Moto};

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

/// The secrets of one run, assembled at run time (no credential-shaped literal in the source).
struct Secrets {
    external_id: String,
    environment_value: String,
    secret_access_key: String,
    session_token: String,
}

impl Secrets {
    fn new() -> Self {
        Secrets {
            external_id: format!("{}-{}", "ext", "7Qv2LmZx9Kp4Rt8W"),
            environment_value: format!("sk_live_{}", "51HqT9vXk2mPzR8wLbTrace"),
            secret_access_key: format!("{}{}", "wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYTRACEKEY"),
            session_token: format!("{}{}", "IQoJb3JpZ2luX2VjEPTRACE", "SessionToken0123"),
        }
    }
}

/// moto's configuration signed with the run's own credentials (moto accepts any).
fn signed_with(moto: &Moto, secrets: &Secrets) -> SdkConfig {
    moto.sdk_config()
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIAIOSFODNN7TRACE01",
            secrets.secret_access_key.clone(),
            Some(secrets.session_token.clone()),
            None,
            "trace-test",
        )))
        .build()
}

/// The calls of the test, made through `aws` (and a plain Lambda client on the same
/// configuration for `GetFunction`); returns the code location `GetFunction` answered.
async fn calls(aws: &Aws, demo_arn: &str, secrets: &Secrets) -> Option<String> {
    let member = aws
        .assume_role(
            "arn:aws:iam::111122223333:role/lambda-warden-member",
            Some(&secrets.external_id),
            "lambda-warden-events",
        )
        .await
        .expect("AssumeRole with an ExternalId");
    member
        .list_functions()
        .await
        .expect("a call with the assumed role");
    let arn = FunctionArn::parse(demo_arn).expect("function ARN");
    aws.fetch_snapshot(&arn).await.expect("the function's read");
    let lambda = aws_sdk_lambda::Client::new(aws.sdk_config());
    let function = lambda
        .get_function()
        .function_name(demo_arn)
        .send()
        .await
        .expect("GetFunction");
    function
        .code()
        .and_then(|c| c.location())
        .map(str::to_owned)
}

#[tokio::test]
async fn no_secret_appears_in_trace_output() {
    // GIVEN a function with a secret in its environment, and credentials of our own
    let secrets = Secrets::new();
    let moto = Moto::start();
    let demo = seed_demo_account(&moto.sdk_config()).await.expect("seed");
    demo.lambda()
        .update_function_configuration()
        .function_name(ORDERS_API)
        .environment(
            Environment::builder()
                .variables("STRIPE_API_KEY", &secrets.environment_value)
                .build(),
        )
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    let aws = Aws::new(&signed_with(&moto, &secrets));
    let arn = demo.function_arn(ORDERS_API);

    // WHEN the calls run under the functions' logger at trace, with directives that name the
    // SDK's targets and its operation span
    let logs = Captured::default();
    let level = "trace,aws_smithy_runtime=trace,aws_sdk_sts=trace,aws_config=trace,hyper=trace,[invoke]=trace";
    let subscriber = runtime::json_subscriber(level, logs.clone()).expect("subscriber");
    let location = {
        let _guard = tracing::subscriber::set_default(subscriber);
        tracing::trace!("trace is on");
        calls(&aws, &arn, &secrets).await
    };
    let text = logs.text();

    // THEN lambda-warden's own trace lines are there, and no secret is
    assert!(text.contains("trace is on"), "the logger ran at trace");
    assert_no_secret(&text, &secrets, location.as_deref());

    // AND the same calls under an uncapped trace subscriber do print secrets: the check above
    // would have seen a leak
    let uncapped = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(uncapped.clone())
        .finish();
    let location = {
        let _guard = tracing::subscriber::set_default(subscriber);
        calls(&aws, &arn, &secrets).await
    };
    let leaked = uncapped.text();
    assert!(
        leaked.contains(&secrets.external_id),
        "the SDK prints the AssumeRole input at trace"
    );
    if let Some(url) = location.as_deref() {
        assert!(
            leaked.contains(url),
            "the SDK prints GetFunction's output (the code location) at trace"
        );
    }
}

fn assert_no_secret(text: &str, secrets: &Secrets, location: Option<&str>) {
    let mut forbidden = vec![
        ("the ExternalId", secrets.external_id.as_str()),
        (
            "an environment variable's value",
            &secrets.environment_value,
        ),
        ("the secret access key", &secrets.secret_access_key),
        ("the session token", &secrets.session_token),
        ("a request signature", "Signature="),
        ("a presigned URL's signature", "X-Amz-Signature"),
        ("a SigV4 Authorization header", "AWS4-HMAC-SHA256"),
    ];
    if let Some(url) = location.filter(|l| !l.is_empty()) {
        forbidden.push(("the code location GetFunction answered", url));
    }
    for (what, secret) in forbidden {
        let count = text.matches(secret).count();
        assert_eq!(count, 0, "{what} appears {count} times in the trace output");
    }
}

//! Attack 3 of issue 10, the hanging half: a server that accepts the connection and never
//! answers (a proxy in front of Lambda that swallows `AddPermission`) hung the invocation past
//! Lambda's 60 s function timeout, because no AWS call had an operation timeout. Every call now
//! has an attempt and an operation timeout; the call fails as `Transient` (the event is
//! delivered again) within about the operation timeout.
//!
//! The silent server is a bare TCP listener on 127.0.0.1 that accepts every connection, reads
//! nothing and writes nothing, holding the connections open.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use tokio::net::{TcpListener, TcpStream};
use warden_aws::{runtime, Aws};
use warden_rules::findings::PermissionGrant;
use warden_rules::ids::FunctionArn;
use warden_rules::outcome::{ActionStatus, FailureKind};
use warden_rules::plan::Action;
use warden_tests::moto::sdk_config_at;

/// The safety bound: far above the 900 ms operation timeout, far below Lambda's timeout.
const BOUND: Duration = Duration::from_secs(10);

/// A listener on 127.0.0.1 that accepts and never answers; its endpoint and the connections
/// it holds.
async fn silent_server() -> (String, Arc<Mutex<Vec<TcpStream>>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind a port on 127.0.0.1");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let keep = Arc::clone(&held);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            keep.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(stream);
        }
    });
    (endpoint, held)
}

fn connections(held: &Arc<Mutex<Vec<TcpStream>>>) -> usize {
    held.lock().unwrap_or_else(PoisonError::into_inner).len()
}

/// The adapter against `endpoint` with short timeouts (300 ms per attempt, 900 ms per call)
/// and the standard 3 attempts with a short backoff.
fn adapter(endpoint: &str) -> Aws {
    let sdk = sdk_config_at(endpoint)
        .to_builder()
        .timeout_config(runtime::call_timeouts(300, 900))
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(5)))
        .build();
    Aws::new(&sdk)
}

fn function() -> FunctionArn {
    FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:orders-api")
        .expect("function ARN")
}

#[tokio::test]
async fn an_add_permission_that_is_never_answered_fails_as_transient_within_the_timeout() {
    // GIVEN a Lambda endpoint that accepts connections and never answers
    let (endpoint, held) = silent_server().await;
    let aws = adapter(&endpoint);
    let tightened = Action::AddPermission {
        function: function(),
        grant: PermissionGrant {
            statement_id: "public-invoke".to_owned(),
            action: "lambda:InvokeFunction".to_owned(),
            principal: "apigateway.amazonaws.com".to_owned(),
            source_arn: Some(
                "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/POST/orders".to_owned(),
            ),
            source_account: None,
            principal_org_id: None,
            event_source_token: None,
            function_url_auth_type: None,
            invoked_via_function_url: None,
            qualifier: None,
        },
        fixes: Vec::new(),
    };

    // WHEN the adapter sends the AddPermission of a plan
    let started = Instant::now();
    let outcome = aws.execute(&[tightened]).await;
    let waited = started.elapsed();

    // THEN it fails as Transient, well before Lambda's timeout, after really waiting
    assert!(waited < BOUND, "the call waited {waited:?}");
    assert!(
        waited >= Duration::from_millis(250),
        "it timed out rather than failing at once: {waited:?}"
    );
    assert!(connections(&held) >= 1, "the server accepted the request");
    match &outcome.results[0].status {
        ActionStatus::Failed {
            kind,
            code,
            operation,
        } => {
            assert_eq!(*kind, FailureKind::Transient, "{code}");
            assert!(kind.is_retryable());
            assert_eq!(operation, "AddPermission");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_read_that_is_never_answered_fails_as_transient_within_the_timeout() {
    let (endpoint, held) = silent_server().await;
    let aws = adapter(&endpoint);

    let started = Instant::now();
    let err = aws
        .list_functions()
        .await
        .expect_err("a silent server cannot list functions");
    let waited = started.elapsed();

    assert!(waited < BOUND, "the call waited {waited:?}");
    assert_eq!(err.kind, FailureKind::Transient, "{err}");
    assert_eq!(err.operation, "ListFunctions");
    assert!(connections(&held) >= 1);
}

#[test]
fn an_adapter_built_from_a_configuration_without_timeouts_gets_the_defaults() {
    // The CLI's and the tests' SdkConfigs set no operation timeout of their own.
    let aws = Aws::new(&sdk_config_at("http://127.0.0.1:9"));
    let timeouts = aws.sdk_config().timeout_config().expect("timeouts");
    assert_eq!(
        timeouts.operation_attempt_timeout(),
        Some(Duration::from_secs(5))
    );
    assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(15)));
    assert!(timeouts.connect_timeout().is_some() && timeouts.read_timeout().is_some());
}

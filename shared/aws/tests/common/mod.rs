//! A moto server for the adapter's tests, and helpers to set up functions in it.
//!
//! Each test starts its own server (`Moto::start`) on a free port of 127.0.0.1 through
//! the workspace's `tests/moto/launch.py` (which corrects moto's `RemovePermission` `RevisionId`
//! comparison and writes statements in AWS's shape; see that file). The server is killed when the `Moto` value is dropped, and exits by itself
//! when the test process goes away (its standard input closes).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use warden_rules::ids::FunctionArn;

/// moto's default account id.
pub const ACCOUNT: &str = "123456789012";
const ROLE_NAME: &str = "warden-test-function-role";
const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The smallest valid zip archive: an empty one (only the 22-byte end-of-central-directory
/// record). moto 5.2 stores the code without unpacking it, but a real archive keeps the test data
/// honest.
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// A running moto server.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Starts moto on a free port and waits (up to 30 s) until it accepts connections.
    /// The Python interpreter is `MOTO_PYTHON`, else `python3`.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let launcher = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/moto/launch.py");
        let child = Command::new(&python)
            .arg(launcher)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} {launcher}: {e}"));
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto exited with {status}; run `{python} {launcher} {port}` to see why");
            }
            assert!(
                Instant::now() < deadline,
                "moto did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// An `SdkConfig` for this server: region `us-east-1`, static credentials `testing`, the
    /// server's endpoint, default (standard) retries. The process environment is not read.
    pub fn sdk_config(&self) -> SdkConfig {
        sdk_config(&self.endpoint)
    }

    /// SDK clients for setting up test data directly, bypassing the adapter.
    pub fn setup(&self) -> Setup {
        let config = self.sdk_config();
        Setup {
            lambda: aws_sdk_lambda::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            sns: aws_sdk_sns::Client::new(&config),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An `SdkConfig` for `endpoint` with test credentials, built without reading the environment.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "moto",
        )))
        .endpoint_url(endpoint)
        .build()
}

/// Direct SDK clients for test setup and checks.
pub struct Setup {
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub sns: aws_sdk_sns::Client,
}

impl Setup {
    /// Creates function `name` with `tags` and returns its unqualified ARN. moto requires the
    /// execution role to exist in its IAM first, so the role is created on first use.
    pub async fn create_function(&self, name: &str, tags: &[(&str, &str)]) -> FunctionArn {
        let role_arn = match self.iam.get_role().role_name(ROLE_NAME).send().await {
            Ok(out) => out.role().expect("role").arn().to_owned(),
            Err(_) => self
                .iam
                .create_role()
                .role_name(ROLE_NAME)
                .assume_role_policy_document(TRUST_POLICY)
                .send()
                .await
                .expect("CreateRole")
                .role()
                .expect("role")
                .arn()
                .to_owned(),
        };
        let tags: HashMap<String, String> = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let out = self
            .lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role(role_arn)
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                    .build(),
            )
            .set_tags(Some(tags))
            .send()
            .await
            .expect("CreateFunction");
        FunctionArn::parse(out.function_arn().expect("FunctionArn")).expect("a function ARN")
    }

    /// Adds statement `sid` granting `lambda:InvokeFunction` to `principal` on `function_name`
    /// (with `qualifier` when given), returning nothing: the policy is read back by the test.
    pub async fn add_permission(
        &self,
        function_name: &str,
        sid: &str,
        principal: &str,
        qualifier: Option<&str>,
    ) {
        self.lambda
            .add_permission()
            .function_name(function_name)
            .statement_id(sid)
            .action("lambda:InvokeFunction")
            .principal(principal)
            .set_qualifier(qualifier.map(str::to_owned))
            .send()
            .await
            .unwrap_or_else(|e| panic!("AddPermission {sid}: {e:?}"));
    }

    /// The `Sid`s of the statements in the policy of `function_name` (`qualifier`), in order;
    /// empty when the function has no policy.
    pub async fn sids(&self, function_name: &str, qualifier: Option<&str>) -> Vec<String> {
        match self
            .lambda
            .get_policy()
            .function_name(function_name)
            .set_qualifier(qualifier.map(str::to_owned))
            .send()
            .await
        {
            Ok(out) => sids_of(out.policy().expect("Policy")),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Vec::new()
            }
            Err(e) => panic!("GetPolicy: {e:?}"),
        }
    }
}

/// The `Sid`s of a policy document's statements, in order.
pub fn sids_of(policy_json: &str) -> Vec<String> {
    statements_of(policy_json)
        .iter()
        .map(|s| s["Sid"].as_str().expect("Sid").to_owned())
        .collect()
}

/// The statements of a policy document.
pub fn statements_of(policy_json: &str) -> Vec<serde_json::Value> {
    let policy: serde_json::Value = serde_json::from_str(policy_json).expect("policy JSON");
    policy["Statement"]
        .as_array()
        .expect("Statement array")
        .clone()
}

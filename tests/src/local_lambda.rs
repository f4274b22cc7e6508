//! A real function binary (`lambda-events`, `iam-events`) under a local Lambda Runtime API:
//! `cargo lambda watch` (<https://www.cargo-lambda.info/commands/watch.html>) serves the
//! Runtime API and the Invoke API on 127.0.0.1, runs the function with `cargo run`, and is
//! stopped when dropped.

use std::fs::File;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_lambda::primitives::Blob;
use serde_json::Value;

use crate::moto::{Moto, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use crate::seed::{DemoAccount, APPROVER_ROLE_ARN, WARDEN_FUNCTION};
use crate::HarnessError;

/// The `aws.lambda` events function: its package, binary and, under `cargo lambda watch`,
/// function name.
pub const EVENTS_FUNCTION: &str = "lambda-events";

/// The `aws.iam` events function: its package, binary and function name.
pub const IAM_EVENTS_FUNCTION: &str = "iam-events";

/// How long [`LocalLambda::start`] waits for the invoke port to answer.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a stopped `cargo lambda watch` gets to stop its function before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A running `cargo lambda watch` serving one function of the workspace.
#[derive(Debug)]
pub struct LocalLambda {
    child: Child,
    port: u16,
    dir: PathBuf,
    function: &'static str,
}

/// What one invocation returned.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// `X-Amz-Function-Error` (`Unhandled`) when the function returned an error.
    pub function_error: Option<String>,
    /// The function's response (or error document), parsed as JSON; `Null` when empty.
    pub payload: Value,
}

impl LocalLambda {
    /// Starts `cargo lambda watch` in the workspace `workspace` for `function` (a package of
    /// the workspace whose binary has the same name, e.g. [`EVENTS_FUNCTION`]), on a free port of 127.0.0.1, with exactly `env` as the function's `AWS_*` and
    /// `WARDEN_*` settings (inherited ones are removed so that a developer's own AWS settings
    /// never reach it). Its output goes to a log file, see [`LocalLambda::log`].
    ///
    /// # Errors
    /// [`HarnessError::Spawn`] when `cargo lambda` cannot be started,
    /// [`HarnessError::LocalLambdaFailed`] when it exits or does not answer within 60 s.
    pub fn start(
        workspace: &Path,
        function: &'static str,
        env: &[(&str, String)],
    ) -> Result<LocalLambda, HarnessError> {
        let port = {
            let l = TcpListener::bind(("127.0.0.1", 0))
                .map_err(|source| HarnessError::FreePort { source })?;
            l.local_addr()
                .map_err(|source| HarnessError::FreePort { source })?
                .port()
        };
        let dir =
            std::env::temp_dir().join(format!("lambda-warden-local-{}-{port}", std::process::id()));
        let file_err = |path: &Path| {
            let path = path.to_owned();
            move |source| HarnessError::File { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(file_err(&dir))?;
        // --env-file rather than --env-var: --env-var splits values at commas.
        let env_file = dir.join("function.env");
        let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(&env_file, text).map_err(file_err(&env_file))?;
        let log_path = dir.join("cargo-lambda-watch.log");
        let log = File::create(&log_path).map_err(file_err(&log_path))?;
        let log2 = log.try_clone().map_err(file_err(&log_path))?;

        let mut cmd = Command::new("cargo");
        cmd.current_dir(workspace)
            .args(["lambda", "watch", "--ignore-changes", "--invoke-address"])
            .arg("127.0.0.1")
            .arg("--invoke-port")
            .arg(port.to_string())
            .arg("--env-file")
            .arg(&env_file)
            .args(["--package", function, "--bin", function])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("AWS_") || k.starts_with("WARDEN_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().map_err(|source| HarnessError::Spawn {
            program: "cargo lambda watch".into(),
            hint: "install cargo-lambda: python3 -m pip install cargo-lambda==1.9.2",
            source,
        })?;
        let mut local = LocalLambda {
            child,
            port,
            dir,
            function,
        };
        local.wait_until_ready()?;
        Ok(local)
    }

    fn wait_until_ready(&mut self) -> Result<(), HarnessError> {
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(HarnessError::LocalLambdaFailed {
                    endpoint: self.endpoint(),
                    what: format!("cargo lambda watch exited ({status})"),
                    log: self.log(),
                });
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(HarnessError::LocalLambdaFailed {
                    endpoint: self.endpoint(),
                    what: format!("no answer within {} s", START_TIMEOUT.as_secs()),
                    log: self.log(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`: the Invoke API endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The log of `cargo lambda watch` and of the function (its JSON log lines).
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = File::open(self.dir.join("cargo-lambda-watch.log")) {
            // A partly unreadable log still helps; the read error itself does not.
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// A Lambda client whose `Invoke` reaches the local function.
    pub fn client(&self) -> aws_sdk_lambda::Client {
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "local",
            )))
            .build();
        aws_sdk_lambda::Client::new(&sdk)
    }

    /// Invokes the function with `event` (`RequestResponse`) and returns its response.
    ///
    /// # Errors
    /// [`HarnessError::Aws`] when the local Invoke API refuses the call.
    pub async fn invoke(
        &self,
        client: &aws_sdk_lambda::Client,
        event: &Value,
    ) -> Result<Invocation, HarnessError> {
        let out = client
            .invoke()
            .function_name(self.function)
            .payload(Blob::new(event.to_string()))
            .send()
            .await
            .map_err(|e| HarnessError::aws("Invoke", self.function, e))?;
        let bytes = out.payload.map(Blob::into_inner).unwrap_or_default();
        let payload = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok(Invocation {
            function_error: out.function_error,
            payload,
        })
    }
}

/// The function's settings for the demo and the local-runtime test: moto's endpoint and test credentials, `enforce` mode, the alert
/// topic, lambda-warden's own role and function ARNs (so its own events are skipped), the
/// demo account's state table (`WARDEN_STATE_TABLE`) and the security team's role as the only
/// exemption approver (`WARDEN_EXEMPTION_APPROVERS`).
pub fn demo_function_env(moto: &Moto, demo: &DemoAccount) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("AWS_REGION", demo.region.clone()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
        // Nothing may look for instance metadata: everything stays on 127.0.0.1.
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_LAMBDA_LOG_LEVEL", "info".into()),
        ("WARDEN_MODE", "enforce".into()),
        ("WARDEN_ALERT_TOPIC_ARN", demo.topic_arn.clone()),
        ("WARDEN_SELF_ROLE_ARNS", demo.warden_role_arn.clone()),
        (
            "WARDEN_SELF_FUNCTION_ARNS",
            demo.function_arn(WARDEN_FUNCTION),
        ),
        ("WARDEN_STATE_TABLE", demo.state_table.clone()),
        ("WARDEN_EXEMPTION_APPROVERS", APPROVER_ROLE_ARN.into()),
    ]
}

impl Drop for LocalLambda {
    fn drop(&mut self) {
        // SIGTERM lets cargo-lambda stop the function it started (it runs in its own process
        // group); SIGKILL only if it does not exit in time.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

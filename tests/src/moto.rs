//! A moto server on 127.0.0.1 at a free port, started for one test (or the demo) and stopped
//! when dropped.

use std::fs::File;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::{Credentials, SharedCredentialsProvider};

use crate::HarnessError;

/// The region every harness client uses.
pub const REGION: &str = "us-east-1";

/// moto's default account id: every resource it creates lives in it.
pub const ACCOUNT_ID: &str = "123456789012";

/// The dummy access key id the harness signs with (moto checks no signature).
pub const ACCESS_KEY_ID: &str = "testing";

/// The dummy secret access key the harness signs with.
pub const SECRET_ACCESS_KEY: &str = "testing";

/// How long [`Moto::try_start`] waits for the port to answer.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How many ports are tried when moto loses the race for the first one.
const PORT_ATTEMPTS: usize = 3;

/// A running moto server. Dropping it stops the server.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
    stderr_path: PathBuf,
}

impl Moto {
    /// Starts moto; for tests.
    ///
    /// # Panics
    /// When [`Moto::try_start`] fails, with its message.
    pub fn start() -> Moto {
        match Moto::try_start() {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts moto through `tests/moto/launch.py` (which corrects moto's `RemovePermission`
    /// `RevisionId` check; see the script) with `MOTO_IAM_LOAD_MANAGED_POLICIES=false`, and
    /// waits until its port accepts connections. The interpreter is `python3`, or `$PYTHON`.
    ///
    /// # Errors
    /// [`HarnessError::Spawn`] when Python cannot be started, [`HarnessError::MotoExited`] or
    /// [`HarnessError::MotoNeverAnswered`] (each with moto's stderr) when the server does not
    /// come up within 30 seconds.
    pub fn try_start() -> Result<Moto, HarnessError> {
        Moto::try_start_with(false, &[])
    }

    /// Starts moto with AWS managed policies loaded (`MOTO_IAM_LOAD_MANAGED_POLICIES=true`:
    /// `arn:aws:iam::aws:policy/AdministratorAccess` and the others exist, as in a real
    /// account); for tests.
    ///
    /// # Panics
    /// When [`Moto::try_start_with_managed_policies`] fails, with its message.
    pub fn start_with_managed_policies() -> Moto {
        match Moto::try_start_with_managed_policies() {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`Moto::try_start`] with `MOTO_IAM_LOAD_MANAGED_POLICIES=true`.
    ///
    /// # Errors
    /// As [`Moto::try_start`].
    pub fn try_start_with_managed_policies() -> Result<Moto, HarnessError> {
        Moto::try_start_with(true, &[])
    }

    /// As [`Moto::try_start`], with AWS managed policies loaded or not, and extra environment
    /// variables for the launcher, e.g. `WARDEN_MOTO_LATENCY_MS` (see `tests/moto/launch.py`).
    ///
    /// # Errors
    /// As [`Moto::try_start`].
    pub fn try_start_with(
        managed_policies: bool,
        env: &[(&str, &str)],
    ) -> Result<Moto, HarnessError> {
        let mut attempt = 1;
        loop {
            match Moto::start_on(free_port()?, managed_policies, env) {
                // Another process took the port between the probe and moto's bind: try another.
                Err(HarnessError::MotoExited { stderr, .. })
                    if attempt < PORT_ATTEMPTS && stderr.contains("Address already in use") =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn start_on(
        port: u16,
        managed_policies: bool,
        env: &[(&str, &str)],
    ) -> Result<Moto, HarnessError> {
        let program = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let launcher = launcher_path();
        let stderr_path =
            std::env::temp_dir().join(format!("warden-moto-{}-{port}.log", std::process::id()));
        let stderr = File::create(&stderr_path).map_err(|source| HarnessError::File {
            path: stderr_path.clone(),
            source,
        })?;
        let child = Command::new(&program)
            .arg(&launcher)
            .arg(port.to_string())
            .env(
                "MOTO_IAM_LOAD_MANAGED_POLICIES",
                if managed_policies { "true" } else { "false" },
            )
            .envs(env.iter().copied())
            // The launcher exits when this pipe closes, i.e. when this process goes away.
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                program: format!("{program} {}", launcher.display()),
                hint: "install moto: python3 -m pip install \"moto[server]==5.2.1\"",
                source,
            })?;
        let mut moto = Moto {
            child,
            port,
            stderr_path,
        };
        moto.wait_until_ready()?;
        Ok(moto)
    }

    fn wait_until_ready(&mut self) -> Result<(), HarnessError> {
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(HarnessError::MotoExited {
                    endpoint: self.endpoint(),
                    status,
                    stderr: self.stderr(),
                });
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(HarnessError::MotoNeverAnswered {
                    endpoint: self.endpoint(),
                    waited_ms: started.elapsed().as_millis(),
                    stderr: self.stderr(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The TCP port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// An SDK configuration for moto: its endpoint, region `us-east-1`, static test
    /// credentials. Reads and changes no environment variable.
    pub fn sdk_config(&self) -> SdkConfig {
        sdk_config_at(&self.endpoint())
    }

    /// An SDK configuration for moto acting in another account: credentials from STS
    /// `AssumeRole` into `role_arn` (`arn:aws:iam::ACCOUNT:role/NAME`). moto hands out keys that
    /// it maps to the role's account, so every request made with this configuration reads and
    /// writes that account (the role need not exist).
    pub async fn sdk_config_as(&self, role_arn: &str) -> SdkConfig {
        let base = self
            .sdk_config()
            .to_builder()
            .time_source(aws_smithy_async::time::SystemTimeSource::new())
            .build();
        let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name("warden-tests")
            .configure(&base)
            .build()
            .await;
        base.to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build()
    }

    /// What moto has written to stderr so far (its request log and any traceback).
    pub fn stderr(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = File::open(&self.stderr_path) {
            // A partly unreadable log still helps; the read error itself does not.
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // The server may already have exited; either way nothing is left to do on failure.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr_path);
    }
}

/// `tests/moto/launch.py` in this crate.
fn launcher_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("moto")
        .join("launch.py")
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> Result<u16, HarnessError> {
    let probe = || -> std::io::Result<u16> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        Ok(listener.local_addr()?.port())
    };
    probe().map_err(|source| HarnessError::FreePort { source })
}

/// An SDK configuration for an emulator at `endpoint` (e.g. `http://127.0.0.1:5000`, one
/// started by hand with `tests/moto/launch.py`): [`REGION`] and the test credentials.
pub fn sdk_config_at(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "moto",
        )))
        .build()
}

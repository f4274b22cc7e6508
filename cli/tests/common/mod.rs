//! Running the built `lambda-warden` binary as a user would, with a clean environment.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The `lambda-warden` command, with no `WARDEN_*` or `AWS_*` variable inherited from the
/// environment running the tests, and no AWS configuration files.
pub fn cli() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lambda-warden"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WARDEN_") || k.starts_with("AWS_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// `cli()` pointed at a moto server: its endpoint, Region `us-east-1`, test credentials.
pub fn cli_for(endpoint: &str) -> Command {
    let mut cmd = cli();
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    cmd
}

/// Runs `cmd` with `args`; panics when it cannot be started.
pub fn run(cmd: &mut Command, args: &[&str]) -> Output {
    cmd.args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run lambda-warden {args:?}: {e}"))
}

/// The exit code (panics on a signal).
pub fn code(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {}", stderr(out)))
}

/// Standard output as JSON (panics with both streams when it is not).
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(out)
        )
    })
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A file in the temporary directory, removed when dropped.
pub struct TempFile(PathBuf);

impl TempFile {
    /// The path as a command-line argument.
    pub fn arg(&self) -> &str {
        self.0.to_str().expect("temporary paths are UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes `text` to a new file in the temporary directory.
pub fn temp_file(name: &str, text: &str) -> TempFile {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!(
        "lambda-warden-cli-{}-{n}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    TempFile(path)
}

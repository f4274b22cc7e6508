//! `lambda-warden`: parses the command line, reads the clock and the environment once, runs the
//! command and exits with its code (0 ok, 1 findings at or above --fail-on, 2 usage or input
//! error, 3 AWS error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Parser;
use lambda_warden::{run, Cli, Context, Exit};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| {
            EnvFilter::new(format!("{level},aws_config=warn,aws_smithy_runtime=warn"))
        });
    // The AWS SDK's own log targets stay capped whatever RUST_LOG says: at debug and trace they
    // print requests, responses and operation inputs and outputs (an AssumeRole ExternalId,
    // environment variable values, signatures).
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(warden_aws::runtime::sdk_log_cap())
        .init();

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let cx = Context {
        now,
        env: Box::new(|k| std::env::var(k).ok()),
        stdout_terminal: std::io::stdout().is_terminal(),
        stderr_terminal: std::io::stderr().is_terminal(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lambda-warden: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Usage as u8);
        }
    };
    match runtime.block_on(run(cli, &cx)) {
        Ok(done) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = stdout.write_all(done.output.as_bytes());
            let _ = stdout.flush();
            ExitCode::from(done.exit as u8)
        }
        Err(e) => {
            eprintln!("lambda-warden: {e}");
            ExitCode::from(e.exit() as u8)
        }
    }
}

//! The cold-start work every lambda-warden function does once, before its first event: JSON
//! logs, settings from the environment, the AWS SDK configuration and the adapter. Each
//! function's `main` is this plus its handler.

use serde::Serialize;
use thiserror::Error;
use tracing_subscriber::EnvFilter;
use warden_rules::config::{Config, ConfigError};

use crate::Aws;

/// Why a function cannot start. Lambda reports it as an initialisation error.
#[derive(Debug, Error)]
pub enum InitError {
    /// `AWS_LAMBDA_LOG_LEVEL` (or `RUST_LOG`) is not a log level or filter directive.
    #[error("log level {value:?} (AWS_LAMBDA_LOG_LEVEL or RUST_LOG) is invalid: {reason}")]
    LogLevel {
        /// The value, lowercased.
        value: String,
        /// The filter parser's message.
        reason: String,
    },
    /// A setting is invalid; the error names the variable.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Starts JSON logging and reads the settings and the SDK configuration from the environment.
///
/// - Logs: JSON lines through `tracing`, at the level of `AWS_LAMBDA_LOG_LEVEL` (set by the
///   function's `LoggingConfig.ApplicationLogLevel`, `TRACE`..`FATAL`; `FATAL` is read as
///   `error`), else the `RUST_LOG` directives, else `info`
///   (<https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html>).
/// - Settings: [`Config::from_lookup`] over the process environment; an invalid one is logged
///   and returned.
/// - AWS: the SDK's default configuration chain (so `AWS_ENDPOINT_URL` points the function at
///   an emulator), and the [`Aws`] adapter built from it.
///
/// # Errors
/// [`InitError::LogLevel`] for an unreadable log level, [`InitError::Config`] for an invalid
/// setting.
pub async fn init() -> Result<(Config, Aws), InitError> {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG"));
    let level = level.map_or("info".into(), |l| {
        l.to_lowercase().replace("fatal", "error")
    });
    let filter = EnvFilter::try_new(&level).map_err(|e| InitError::LogLevel {
        value: level.clone(),
        reason: e.to_string(),
    })?;
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .init();

    let config = Config::from_lookup(|k| std::env::var(k).ok())
        .inspect_err(|e| tracing::error!(error = %e, "cannot start: invalid setting"))?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Ok((config, Aws::new(&sdk)))
}

/// The current time in whole seconds since the Unix epoch (0 if the clock is before it): the
/// evaluation time a handler is given for each event.
pub fn now_unix_seconds() -> i64 {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since_epoch.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `value` as it reads in the functions' JSON answers, for a log field: a unit variant as its
/// serde name (`non_compliant`, not the Rust `NonCompliant`), a string as itself, anything
/// else as compact JSON (`["LW001"]`, `{"kind":"role",...}`, `null`).
pub fn log_value<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => format!("<not serialisable: {e}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::log_value;
    use crate::remediate::Resolution;

    #[test]
    fn log_values_read_as_the_json_answers_do() {
        assert_eq!(log_value(&Resolution::NonCompliant), "non_compliant");
        assert_eq!(log_value(&"orders-api"), "orders-api");
        assert_eq!(log_value(&vec!["LW001", "LW004"]), r#"["LW001","LW004"]"#);
        assert_eq!(log_value(&None::<String>), "null");
    }
}

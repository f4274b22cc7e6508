//! The cold-start work every lambda-warden function does once, before its first event: JSON
//! logs, settings from the environment, the AWS SDK configuration and the adapter. Each
//! function's `main` is this plus its handler.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tracing::level_filters::LevelFilter;
use tracing::Subscriber;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
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
    /// A logger was already installed in this process.
    #[error("logging cannot start: {0}")]
    Logger(String),
    /// A setting is invalid; the error names the variable.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Starts JSON logging and reads the settings and the SDK configuration from the environment.
///
/// - Logs: [`init_logging`] (JSON lines at the level of `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`,
///   the AWS SDK's own log targets capped at [`SDK_LOG_CAP`]).
/// - Settings: [`Config::from_lookup`] over the process environment; an invalid one is logged
///   and returned.
/// - AWS: [`sdk_loader`], the SDK's default configuration chain (so `AWS_ENDPOINT_URL` points
///   the function at an emulator) with the call timeouts of the settings, and the [`Aws`]
///   adapter built from it ([`Aws::configured`]: with the state table when one is set).
///
/// # Errors
/// [`InitError::LogLevel`] for an unreadable log level, [`InitError::Logger`] when a logger is
/// already installed, [`InitError::Config`] for an invalid setting.
pub async fn init() -> Result<(Config, Aws), InitError> {
    init_logging()?;
    let config = config_from_env()?;
    let sdk = sdk_loader(&config).load().await;
    let aws = Aws::configured(&sdk, &config);
    Ok((config, aws))
}

/// The settings from the process environment ([`Config::from_lookup`]); an invalid one is
/// logged (`cannot start: invalid setting`) and returned.
///
/// # Errors
/// [`InitError::Config`] naming the invalid variable.
pub fn config_from_env() -> Result<Config, InitError> {
    let config = Config::from_lookup(|k| std::env::var(k).ok())
        .inspect_err(|e| tracing::error!(error = %e, "cannot start: invalid setting"))?;
    Ok(config)
}

// ---- Call timeouts ----------------------------------------------------------------------------

/// The SDK's own connect timeout (3.1 s, `aws_config`'s default), kept unless the attempt
/// timeout is shorter.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3_100);

/// The timeouts of every AWS call (`aws_smithy_types::timeout::TimeoutConfig`,
/// <https://docs.aws.amazon.com/sdk-for-rust/latest/dg/timeouts.html>):
///
/// - operation attempt timeout `attempt_ms`: one attempt, from sending to the parsed answer;
/// - operation timeout `operation_ms`: the whole call, retries and their backoff included;
/// - connect timeout: 3.1 s (the SDK's default) or the attempt timeout when shorter;
/// - read timeout `attempt_ms`: from sending the request to the first byte of the answer.
///
/// A call to a server that accepts the connection and never answers fails with the SDK's
/// `TimeoutError` (or a dispatch failure for the read timeout), which [`crate::classify`]
/// makes [`warden_rules::outcome::FailureKind::Transient`]: the event is retried instead of
/// the invocation hanging until Lambda's function timeout.
pub fn call_timeouts(attempt_ms: u64, operation_ms: u64) -> TimeoutConfig {
    let attempt = Duration::from_millis(attempt_ms);
    TimeoutConfig::builder()
        .connect_timeout(attempt.min(CONNECT_TIMEOUT))
        .read_timeout(attempt)
        .operation_attempt_timeout(attempt)
        .operation_timeout(Duration::from_millis(operation_ms))
        .build()
}

/// [`call_timeouts`] of the settings `WARDEN_CALL_ATTEMPT_TIMEOUT_MS` (default 5000) and
/// `WARDEN_CALL_OPERATION_TIMEOUT_MS` (default 15000).
pub fn config_timeouts(config: &Config) -> TimeoutConfig {
    call_timeouts(
        config.call_attempt_timeout_ms,
        config.call_operation_timeout_ms,
    )
}

/// The SDK's default configuration chain (`aws_config::defaults`, latest behaviour version)
/// with the call timeouts of `config` ([`config_timeouts`]). Further settings (e.g. adaptive
/// retries) can be added before `load()`.
pub fn sdk_loader(config: &Config) -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).timeout_config(config_timeouts(config))
}

/// `sdk` with every timeout it leaves unset taken from the default settings
/// ([`config_timeouts`] of `Config::default()`: 5 s per attempt, 15 s per call, 3.1 s to
/// connect); timeouts it sets, or disables explicitly, stay. [`Aws::new`] applies it, so no
/// adapter (the CLI's, a test's) makes a call without an operation timeout.
pub fn with_default_timeouts(sdk: &SdkConfig) -> SdkConfig {
    let mut timeouts = sdk.timeout_config().cloned().unwrap_or_else(|| {
        // An SdkConfig built by hand has no timeout configuration at all.
        TimeoutConfig::builder().build()
    });
    timeouts.take_defaults_from(&config_timeouts(&Config::default()));
    sdk.to_builder().timeout_config(timeouts).build()
}

// ---- Logging ----------------------------------------------------------------------------------

/// The log targets (prefixes of the module paths that emit them) of the AWS SDK and the HTTP
/// and TLS stacks under it. At `debug` and `trace` they print every request and response,
/// headers and bodies included (`aws_smithy_runtime`'s orchestrator logs `request = ?request`
/// and `response = ?response`), the operation input and output as Rust debug text, and the
/// resolved identity: that is an STS `AssumeRole` input with its `ExternalId`, a `GetFunction`
/// output with the presigned code URL (`X-Amz-Signature`), a `GetFunctionConfiguration`
/// output with every environment variable's value, and each request's `Authorization`
/// header. [`sdk_log_cap`] caps them at [`SDK_LOG_CAP`], whatever the log level says.
///
/// `aws_config::profile` is capped harder (`error`): its warning about a failed profile
/// `AssumeRole` prints the provider with the profile's `external_id`.
pub const SDK_LOG_TARGETS: &[&str] = &[
    "aws_config",
    "aws_credential_types",
    "aws_runtime",
    "aws_sdk",
    "aws_sigv4",
    "aws_smithy",
    "aws_types",
    "h2",
    "http",
    "hyper",
    "rustls",
    "tower",
];

/// The most verbose level at which [`SDK_LOG_TARGETS`] are logged: `warn`. Their `info`
/// lines are of no use to an operator (and the credential providers' `info` lines print
/// access key ids); their warnings and errors name failures without request data.
pub const SDK_LOG_CAP: LevelFilter = LevelFilter::WARN;

/// The filter that caps [`SDK_LOG_TARGETS`] at [`SDK_LOG_CAP`] and lets everything else
/// through (the level filter decides the rest). Added as a layer beside the level filter, it
/// is a second, independent gate: no `RUST_LOG` directive (`aws_smithy_runtime=trace`, a span
/// filter such as `[invoke]=trace`) can re-open what it closes.
///
/// `log`-crate records (which `rustls` can emit) are never bridged into `tracing` here: the
/// `tracing-log` feature is off, so they are dropped.
pub fn sdk_log_cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(SDK_LOG_TARGETS.iter().map(|t| (*t, SDK_LOG_CAP)))
        .with_target("aws_config::profile", LevelFilter::ERROR)
}

/// The log level setting of the process: `AWS_LAMBDA_LOG_LEVEL` (set by the function's
/// `LoggingConfig.ApplicationLogLevel`, `TRACE`..`FATAL`; `FATAL` is read as `error`), else the
/// `RUST_LOG` directives, else `info`
/// (<https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html>).
/// Lowercased.
pub fn log_level_from_env() -> String {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG"));
    level.map_or("info".into(), |l| {
        l.to_lowercase().replace("fatal", "error")
    })
}

/// The level filter for `level` (a level such as `trace`, or `RUST_LOG` directives). The
/// AWS SDK's targets are capped separately ([`sdk_log_cap`]), so this filter alone is not
/// what the functions install: [`json_subscriber`] combines both.
///
/// # Errors
/// [`InitError::LogLevel`] when `level` is neither a level nor valid directives.
pub fn log_filter(level: &str) -> Result<EnvFilter, InitError> {
    EnvFilter::try_new(level).map_err(|e| InitError::LogLevel {
        value: level.to_owned(),
        reason: e.to_string(),
    })
}

/// The functions' logger: JSON lines (one per event, `tracing_subscriber`'s JSON format:
/// `timestamp`, `level`, `fields`, `target`, `span`, `spans`) written to `writer`, filtered by
/// [`log_filter`] of `level` *and* [`sdk_log_cap`]. So `trace` shows every lambda-warden line
/// and still no secret the SDK would print: no request or response, no operation input or
/// output, no identity.
///
/// # Errors
/// [`InitError::LogLevel`] when `level` is neither a level nor valid directives.
pub fn json_subscriber<W>(
    level: &str,
    writer: W,
) -> Result<impl Subscriber + Send + Sync + 'static, InitError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter(log_filter(level)?)
        .with_writer(writer)
        .finish()
        .with(sdk_log_cap());
    Ok(subscriber)
}

/// Installs [`json_subscriber`] at [`log_level_from_env`] on standard output (which Lambda
/// sends to CloudWatch Logs) as the process's logger.
///
/// # Errors
/// [`InitError::LogLevel`] for an unreadable level, [`InitError::Logger`] when a logger is
/// already installed.
pub fn init_logging() -> Result<(), InitError> {
    let subscriber = json_subscriber(&log_level_from_env(), std::io::stdout)?;
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| InitError::Logger(e.to_string()))
}

// ---- Decision lines within CloudWatch Logs' event size ----------------------------------------

/// CloudWatch Logs' largest log event, in bytes: "Each log event can be no larger than 256 KB"
/// (<https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html>,
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html>), the
/// message's UTF-8 bytes plus 26 bytes of overhead. A longer line is truncated.
pub const CLOUDWATCH_MAX_EVENT_BYTES: usize = 256 * 1024;

/// The overhead CloudWatch Logs counts per log event, in bytes (same sources).
pub const CLOUDWATCH_EVENT_OVERHEAD_BYTES: usize = 26;

/// The longest log line lambda-warden writes, in bytes: [`CLOUDWATCH_MAX_EVENT_BYTES`] less
/// [`CLOUDWATCH_EVENT_OVERHEAD_BYTES`] (262,118).
pub const MAX_LOG_LINE_BYTES: usize = CLOUDWATCH_MAX_EVENT_BYTES - CLOUDWATCH_EVENT_OVERHEAD_BYTES;

/// The most bytes of audit record text one decision line carries, counted as the text is
/// written in the JSON line (with `"` and `\` escaped: [`json_escaped_len`]). The other
/// fields of the line (timestamp, level, target, record id, outcome, ARN, rule ids, the
/// invocation's span with its request id) take a few hundred bytes, so 200,000 leaves more
/// than 60 KB below [`MAX_LOG_LINE_BYTES`].
pub const MAX_AUDIT_PART_BYTES: usize = 200_000;

/// One piece of an audit record's JSON text, as one decision line carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPart {
    /// The audit record's id: every part of one record carries the same.
    pub record_id: String,
    /// Which part this is, 1-based.
    pub part: usize,
    /// How many parts the record has (1 when it fits in one line).
    pub parts: usize,
    /// This part's piece of the record's JSON text; the pieces of parts `1..=parts`,
    /// concatenated in order, are the text ([`join_record_parts`]).
    pub audit: String,
}

impl RecordPart {
    /// The part a decision log line carries: `line` is one JSON line as [`json_subscriber`]
    /// writes it (`{"fields": {"message": "decision", "record_id": ..., "part": ...,
    /// "parts": ..., "audit": ...}, ...}`) or just its `fields` object. `None` for any other
    /// line, and for a decision line without a record id (written before records had ids).
    pub fn from_log_line(line: &str) -> Option<RecordPart> {
        let value: serde_json::Value = serde_json::from_str(line).ok()?;
        let fields = value.get("fields").unwrap_or(&value);
        if fields.get("message").and_then(serde_json::Value::as_str) != Some("decision") {
            return None;
        }
        let number = |key: &str| {
            fields
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
        };
        Some(RecordPart {
            record_id: fields.get("record_id")?.as_str()?.to_owned(),
            part: number("part")?,
            parts: number("parts")?,
            audit: fields.get("audit")?.as_str()?.to_owned(),
        })
    }
}

/// The bytes `c` takes inside a JSON string as `serde_json` writes it (which is how the
/// `tracing` JSON format writes a field): `"` and `\` take 2, the control characters
/// U+0000-U+001F 2 (`\n`, `\t`, ...) or 6 (`\u0001`), anything else its UTF-8 length.
pub fn json_escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        '\u{0}'..='\u{1f}' => 6,
        _ => c.len_utf8(),
    }
}

/// Splits the audit record `json` (its JSON text) with id `record_id` into the parts its
/// decision lines carry: each part's text takes at most `max_bytes` bytes once escaped in the
/// JSON line ([`json_escaped_len`]; [`MAX_AUDIT_PART_BYTES`] for the functions' lines), cut on
/// character boundaries, so nothing is lost and every line stays within
/// [`MAX_LOG_LINE_BYTES`]. Always at least one part (an empty text is one empty part). A
/// `max_bytes` below 6 is read as 6, the most one character takes, so every part holds at
/// least one character.
pub fn log_record_parts(record_id: &str, json: &str, max_bytes: usize) -> Vec<RecordPart> {
    let max_bytes = max_bytes.max(6);
    let mut pieces: Vec<&str> = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, c) in json.char_indices() {
        let len = json_escaped_len(c);
        if used + len > max_bytes {
            pieces.push(&json[start..i]);
            (start, used) = (i, 0);
        }
        used += len;
    }
    if start < json.len() || pieces.is_empty() {
        pieces.push(&json[start..]);
    }
    let parts = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, audit)| RecordPart {
            record_id: record_id.to_owned(),
            part: i + 1,
            parts,
            audit: audit.to_owned(),
        })
        .collect()
}

/// Why parts of audit records do not make one record.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JoinError {
    /// No part at all.
    #[error("no part of an audit record")]
    Empty,
    /// The parts belong to more than one record.
    #[error("parts of more than one audit record: {first} and {other}")]
    MixedRecords {
        /// The first part's record id.
        first: String,
        /// Another record id among the parts.
        other: String,
    },
    /// The parts disagree on how many there are, or one is numbered outside `1..=parts`.
    #[error("audit record {record_id}: part {part} of {parts} does not fit the others")]
    Numbering {
        /// The record.
        record_id: String,
        /// The part's number.
        part: usize,
        /// Its count.
        parts: usize,
    },
    /// Two parts with the same number and different text.
    #[error("audit record {record_id}: two different texts for part {part}")]
    Conflict {
        /// The record.
        record_id: String,
        /// The part's number.
        part: usize,
    },
    /// Parts are missing (e.g. log lines not yet read, or expired).
    #[error("audit record {record_id}: parts {missing:?} of {parts} are missing")]
    Missing {
        /// The record.
        record_id: String,
        /// The missing part numbers.
        missing: Vec<usize>,
        /// How many parts there are.
        parts: usize,
    },
}

/// The audit record JSON text that the decision log lines in `text` carry (one JSON line per
/// line, as the functions write them; other lines are ignored), reassembled from its parts
/// ([`join_record_parts`]). The lines of one record id can hold two copies of it, the
/// write-ahead record (outcome `write-ahead`) and the finished one: the copy whose outcome
/// appears last among the finished ones is taken, else the write-ahead copy.
///
/// # Errors
/// [`JoinError::Empty`] when no line is a decision line; [`JoinError::MixedRecords`] when the
/// lines name more than one record id; the errors of [`join_record_parts`] for the copy taken.
pub fn record_from_log_lines(text: &str) -> Result<String, JoinError> {
    // (outcome, its parts), in order of each outcome's last line.
    let mut copies: Vec<(String, Vec<RecordPart>)> = Vec::new();
    let mut record_id: Option<String> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some(part) = RecordPart::from_log_line(line) else {
            continue;
        };
        match &record_id {
            Some(id) if *id != part.record_id => {
                return Err(JoinError::MixedRecords {
                    first: id.clone(),
                    other: part.record_id,
                })
            }
            Some(_) => {}
            None => record_id = Some(part.record_id.clone()),
        }
        let outcome = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| {
                let fields = v.get("fields").unwrap_or(&v);
                fields.get("outcome")?.as_str().map(str::to_owned)
            })
            .unwrap_or_default();
        let mut parts = match copies.iter().position(|(o, _)| *o == outcome) {
            Some(i) => copies.remove(i).1,
            None => Vec::new(),
        };
        parts.push(part);
        copies.push((outcome, parts));
    }
    let chosen = copies
        .iter()
        .rposition(|(o, _)| o != "write-ahead")
        .or_else(|| copies.len().checked_sub(1))
        .ok_or(JoinError::Empty)?;
    join_record_parts(copies.swap_remove(chosen).1)
}

/// Reassembles an audit record's JSON text from its parts ([`log_record_parts`]), given in
/// any order (log lines of one invocation can be read out of order); a part given twice with
/// the same text (a redelivered event writing the same record again) counts once.
///
/// # Errors
/// [`JoinError`] when the parts are empty, belong to different records, are numbered
/// inconsistently, contradict each other or are incomplete.
pub fn join_record_parts(parts: impl IntoIterator<Item = RecordPart>) -> Result<String, JoinError> {
    let mut parts = parts.into_iter();
    let first = parts.next().ok_or(JoinError::Empty)?;
    let (record_id, count) = (first.record_id.clone(), first.parts);
    let mut texts: BTreeMap<usize, String> = BTreeMap::new();
    for p in std::iter::once(first).chain(parts) {
        if p.record_id != record_id {
            return Err(JoinError::MixedRecords {
                first: record_id,
                other: p.record_id,
            });
        }
        if p.parts != count || p.part == 0 || p.part > count {
            return Err(JoinError::Numbering {
                record_id,
                part: p.part,
                parts: p.parts,
            });
        }
        match texts.get(&p.part) {
            Some(known) if *known != p.audit => {
                return Err(JoinError::Conflict {
                    record_id,
                    part: p.part,
                })
            }
            Some(_) => {}
            None => {
                texts.insert(p.part, p.audit);
            }
        }
    }
    let missing: Vec<usize> = (1..=count).filter(|n| !texts.contains_key(n)).collect();
    if !missing.is_empty() {
        return Err(JoinError::Missing {
            record_id,
            missing,
            parts: count,
        });
    }
    Ok(texts.into_values().collect())
}

/// What a decision line says besides the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionLine<'a> {
    /// The audit record's id.
    pub record_id: &'a str,
    /// The resolution as the JSON answers write it ([`log_value`]: `non_compliant`, ...).
    pub outcome: &'a str,
    /// The function evaluated (a function, alias or version ARN), for a function's record.
    pub function_arn: Option<&'a str>,
    /// The layer version evaluated, for a layer version's record.
    pub layer_version_arn: Option<&'a str>,
    /// The open findings' rule ids as JSON (`["LW001"]`).
    pub rule_ids: &'a str,
}

/// Logs the decision about one resource with its audit record's JSON text `audit_json`: one
/// `info` line with message `decision` per part of [`log_record_parts`] (at most
/// [`MAX_AUDIT_PART_BYTES`] of record text each), with fields `record_id`, `part`, `parts`,
/// `outcome`, `function_arn` or `layer_version_arn`, `rule_ids` and `audit` (the part's
/// text). A record that fits is one line with `part` 1 of `parts` 1 and the whole record in
/// `audit`. [`RecordPart::from_log_line`] and [`join_record_parts`] read the record back.
pub fn log_decision(line: &DecisionLine<'_>, audit_json: &str) {
    for part in log_record_parts(line.record_id, audit_json, MAX_AUDIT_PART_BYTES) {
        tracing::info!(
            record_id = line.record_id,
            part = part.part,
            parts = part.parts,
            outcome = line.outcome,
            function_arn = line.function_arn,
            layer_version_arn = line.layer_version_arn,
            rule_ids = line.rule_ids,
            audit = part.audit.as_str(),
            "decision"
        );
    }
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
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use proptest::prelude::*;
    use tracing::Level;

    use super::*;
    use crate::remediate::Resolution;

    #[test]
    fn a_record_comes_back_from_its_log_lines_the_finished_copy_first() {
        let line = |outcome: &str, p: &RecordPart| {
            serde_json::json!({"timestamp": "t", "level": "INFO", "fields": {
                "message": "decision", "record_id": p.record_id, "part": p.part,
                "parts": p.parts, "outcome": outcome, "audit": p.audit,
            }})
            .to_string()
        };
        let ahead = r#"{"schema":"lambda-warden.audit/1","status":"in_progress-copy"}"#;
        let done = r#"{"schema":"lambda-warden.audit/1","status":"the finished copy \"quoted\""}"#;
        let mut lines = vec![
            "not json".to_owned(),
            r#"{"fields":{"message":"gate"}}"#.to_owned(),
        ];
        lines.extend(
            log_record_parts("r1", ahead, 8)
                .iter()
                .map(|p| line("write-ahead", p)),
        );
        let mut finished: Vec<String> = log_record_parts("r1", done, 8)
            .iter()
            .map(|p| line("remediated", p))
            .collect();
        finished.reverse();
        lines.extend(finished);
        assert_eq!(
            record_from_log_lines(&lines.join("\n")),
            Ok(done.to_owned())
        );
        let only_ahead: Vec<String> = log_record_parts("r1", ahead, 8)
            .iter()
            .map(|p| line("write-ahead", p))
            .collect();
        assert_eq!(
            record_from_log_lines(&only_ahead.join("\n")),
            Ok(ahead.to_owned())
        );
        assert_eq!(
            record_from_log_lines("{}\nplain text"),
            Err(JoinError::Empty)
        );
        let other = line("remediated", &log_record_parts("r2", done, 1000)[0]);
        assert!(matches!(
            record_from_log_lines(&[lines[2].clone(), other].join("\n")),
            Err(JoinError::MixedRecords { .. })
        ));
        let missing: Vec<String> = log_record_parts("r1", done, 8)
            .iter()
            .skip(1)
            .map(|p| line("remediated", p))
            .collect();
        assert!(matches!(
            record_from_log_lines(&missing.join("\n")),
            Err(JoinError::Missing { .. })
        ));
    }

    #[test]
    fn log_values_read_as_the_json_answers_do() {
        assert_eq!(log_value(&Resolution::NonCompliant), "non_compliant");
        assert_eq!(log_value(&"orders-api"), "orders-api");
        assert_eq!(log_value(&vec!["LW001", "LW004"]), r#"["LW001","LW004"]"#);
        assert_eq!(log_value(&None::<String>), "null");
    }

    /// Every line written, shared between a subscriber and the test.
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

    fn escaped(text: &str) -> usize {
        text.chars().map(json_escaped_len).sum()
    }

    #[test]
    fn escaped_lengths_match_serde_json() {
        for c in [
            'a', '"', '\\', '\n', '\t', '\u{1}', '\u{1f}', '\u{7f}', 'é', '€', '😀',
        ] {
            let written = serde_json::to_string(&c.to_string()).expect("json");
            assert_eq!(json_escaped_len(c), written.len() - 2, "{c:?}");
        }
    }

    fn text_with_escapes() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            4 => any::<char>(),
            1 => Just('"'),
            1 => Just('\\'),
            1 => Just('\u{1}'),
            1 => Just('é'),
            1 => Just('😀'),
        ];
        prop::collection::vec(c, 0..300).prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn parts_rejoin_to_the_text_and_each_fits(
            text in prop_oneof![any::<String>(), text_with_escapes()],
            max_bytes in 8usize..64,
        ) {
            let parts = log_record_parts("rec-1", &text, max_bytes);
            prop_assert!(!parts.is_empty());
            for (i, p) in parts.iter().enumerate() {
                prop_assert_eq!(p.part, i + 1);
                prop_assert_eq!(p.parts, parts.len());
                prop_assert_eq!(p.record_id.as_str(), "rec-1");
                prop_assert!(escaped(&p.audit) <= max_bytes, "part {} too long", p.part);
                prop_assert!(!p.audit.is_empty() || parts.len() == 1);
            }
            prop_assert_eq!(join_record_parts(parts.clone()).expect("join"), text.clone());
            // In any order, and with a part read twice.
            let mut shuffled: Vec<RecordPart> = parts.iter().rev().cloned().collect();
            shuffled.push(parts[0].clone());
            prop_assert_eq!(join_record_parts(shuffled).expect("join reversed"), text);
        }
    }

    #[test]
    fn a_tiny_limit_still_holds_one_character_per_part() {
        let parts = log_record_parts("r", "a\u{1}😀", 1);
        let texts: Vec<&str> = parts.iter().map(|p| p.audit.as_str()).collect();
        assert_eq!(texts, ["a", "\u{1}", "😀"]);
        assert_eq!(
            log_record_parts("r", "", 10).len(),
            1,
            "an empty record is one part"
        );
    }

    #[test]
    fn parts_that_do_not_make_one_record_are_refused() {
        let parts = log_record_parts("r1", "abcdefghij", 8);
        assert_eq!(parts.len(), 2);
        assert_eq!(join_record_parts(Vec::new()), Err(JoinError::Empty));
        assert!(matches!(
            join_record_parts(vec![parts[0].clone()]),
            Err(JoinError::Missing { ref missing, parts: 2, .. }) if *missing == [2]
        ));
        let other = RecordPart {
            record_id: "r2".into(),
            ..parts[1].clone()
        };
        assert!(matches!(
            join_record_parts(vec![parts[0].clone(), other]),
            Err(JoinError::MixedRecords { .. })
        ));
        let changed = RecordPart {
            audit: "XY".into(),
            ..parts[1].clone()
        };
        assert!(matches!(
            join_record_parts(vec![parts[0].clone(), parts[1].clone(), changed]),
            Err(JoinError::Conflict { part: 2, .. })
        ));
        let recounted = RecordPart {
            parts: 3,
            ..parts[1].clone()
        };
        assert!(matches!(
            join_record_parts(vec![parts[0].clone(), recounted]),
            Err(JoinError::Numbering { .. })
        ));
        let zero = RecordPart {
            part: 0,
            ..parts[1].clone()
        };
        assert!(matches!(
            join_record_parts(vec![zero]),
            Err(JoinError::Numbering { .. })
        ));
    }

    /// An audit record as large as one for a resource-based policy at Lambda's 20 KB limit
    /// (<https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>) whose
    /// statements are all removed: each statement appears several times (findings, fixes,
    /// plan, actions, results, removed statements), so the record is far larger than the policy.
    fn large_record() -> String {
        let statement = |i: usize| {
            serde_json::json!({
                "Sid": format!("public-invoke-{i:03}"),
                "Effect": "Allow",
                "Principal": "*",
                "Action": "lambda:InvokeFunction",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:orders-api",
                "Condition": {"StringLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:*:*/*/POST/ü"}}
            })
        };
        let statements: Vec<serde_json::Value> = (0..79).map(statement).collect();
        let policy = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
        assert!(
            policy.to_string().len() <= 20 * 1024,
            "{} bytes",
            policy.to_string().len()
        );
        let entry = |s: &serde_json::Value| serde_json::json!({"sid": s["Sid"], "statement": s, "policy": s.to_string()});
        let record = serde_json::json!({
            "schema": "lambda-warden.audit/1",
            "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:orders-api",
            "policy_read": policy.to_string(),
            "findings": statements.iter().map(entry).collect::<Vec<_>>(),
            "fixes": statements.iter().map(entry).collect::<Vec<_>>(),
            "plan": statements.iter().map(entry).collect::<Vec<_>>(),
            "actions": statements.iter().map(entry).collect::<Vec<_>>(),
            "results": statements.iter().map(entry).collect::<Vec<_>>(),
            "removed_statements": statements.iter().map(entry).collect::<Vec<_>>(),
        });
        record.to_string()
    }

    #[test]
    fn a_large_record_is_logged_in_lines_within_cloudwatch_s_limit_and_read_back() {
        let record = large_record();
        assert!(record.len() >= 300_000, "{} bytes", record.len());
        let logs = Captured::default();
        let subscriber = json_subscriber("info", logs.clone()).expect("subscriber");
        tracing::subscriber::with_default(subscriber, || {
            let _span = tracing::info_span!(
                "Lambda runtime invoke",
                requestId = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"
            )
            .entered();
            log_decision(
                &DecisionLine {
                    record_id: "r-0001",
                    outcome: "remediated",
                    function_arn: Some("arn:aws:lambda:us-east-1:123456789012:function:orders-api"),
                    layer_version_arn: None,
                    rule_ids: r#"["LW001"]"#,
                },
                &record,
            );
        });
        let text = logs.text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() >= 2, "{} lines", lines.len());
        for line in &lines {
            assert!(
                line.len() < MAX_LOG_LINE_BYTES, // the line and its newline
                "a line of {} bytes",
                line.len()
            );
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            assert_eq!(value["fields"]["outcome"], "remediated");
            assert_eq!(value["fields"]["rule_ids"], r#"["LW001"]"#);
            assert!(value["fields"].get("layer_version_arn").is_none());
        }
        let parts: Vec<RecordPart> = lines
            .iter()
            .rev()
            .map(|l| RecordPart::from_log_line(l).expect("a decision line"))
            .collect();
        assert_eq!(join_record_parts(parts).expect("join"), record);
    }

    #[test]
    fn a_small_record_is_one_line_that_carries_it_whole() {
        let logs = Captured::default();
        let subscriber = json_subscriber("info", logs.clone()).expect("subscriber");
        tracing::subscriber::with_default(subscriber, || {
            log_decision(
                &DecisionLine {
                    record_id: "r-2",
                    outcome: "compliant",
                    function_arn: None,
                    layer_version_arn: Some("arn:aws:lambda:us-east-1:123456789012:layer:l:1"),
                    rule_ids: "[]",
                },
                r#"{"findings":[]}"#,
            );
        });
        let text = logs.text();
        let value: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        assert_eq!(value["fields"]["message"], "decision");
        assert_eq!(value["fields"]["audit"], r#"{"findings":[]}"#);
        assert_eq!(
            (&value["fields"]["part"], &value["fields"]["parts"]),
            (&1.into(), &1.into())
        );
        assert!(RecordPart::from_log_line(r#"{"fields":{"message":"gate"}}"#).is_none());
        assert!(RecordPart::from_log_line("not json").is_none());
    }

    #[test]
    fn the_sdk_targets_are_capped_whatever_the_level() {
        let cap = sdk_log_cap();
        for target in [
            "aws_smithy_runtime::client::orchestrator",
            "aws_smithy_runtime_api::client::interceptors",
            "aws_sdk_sts::operation::assume_role",
            "aws_sdk_lambda::config",
            "aws_config::sts::assume_role",
            "aws_sigv4::http_request::sign",
            "hyper_util::client::legacy::pool",
            "h2::proto::streams",
            "rustls::client::hs",
        ] {
            assert!(!cap.would_enable(target, &Level::TRACE), "{target}");
            assert!(!cap.would_enable(target, &Level::DEBUG), "{target}");
            assert!(!cap.would_enable(target, &Level::INFO), "{target}");
            assert!(cap.would_enable(target, &Level::WARN), "{target}");
        }
        assert!(!cap.would_enable("aws_config::profile::credentials", &Level::WARN));
        assert!(cap.would_enable("aws_config::profile::credentials", &Level::ERROR));
        for ours in [
            "warden_aws::remediate",
            "lambda_events",
            "sweep",
            "lambda_runtime",
        ] {
            assert!(cap.would_enable(ours, &Level::TRACE), "{ours}");
        }
    }

    #[test]
    fn no_directive_reopens_the_sdk_targets() {
        let logs = Captured::default();
        let level = "trace,aws_smithy_runtime=trace,aws_sdk_sts=trace,[invoke]=trace";
        let subscriber = json_subscriber(level, logs.clone()).expect("subscriber");
        tracing::subscriber::with_default(subscriber, || {
            let _span =
                tracing::debug_span!(target: "aws_smithy_runtime::client::orchestrator", "invoke")
                    .entered();
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", input = "ExternalId=sdk-trace-line", "transmitting request");
            tracing::debug!(target: "aws_sdk_sts::operation::assume_role", "sdk-debug-line");
            tracing::trace!("our-trace-line");
        });
        let text = logs.text();
        assert!(text.contains("our-trace-line"), "{text}");
        assert!(!text.contains("sdk-trace-line"), "{text}");
        assert!(!text.contains("sdk-debug-line"), "{text}");
        assert!(matches!(
            log_filter("orders=loud"),
            Err(InitError::LogLevel { ref value, .. }) if value == "orders=loud"
        ));
    }

    #[test]
    fn unset_timeouts_get_the_defaults_and_set_ones_stay() {
        let t = call_timeouts(300, 900);
        assert_eq!(
            t.operation_attempt_timeout(),
            Some(Duration::from_millis(300))
        );
        assert_eq!(t.operation_timeout(), Some(Duration::from_millis(900)));
        assert_eq!(t.connect_timeout(), Some(Duration::from_millis(300)));
        assert_eq!(t.read_timeout(), Some(Duration::from_millis(300)));
        assert_eq!(
            call_timeouts(5_000, 15_000).connect_timeout(),
            Some(Duration::from_millis(3_100))
        );

        let bare = SdkConfig::builder().build();
        let filled = with_default_timeouts(&bare);
        let t = filled.timeout_config().expect("timeouts");
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(15)));

        let own = SdkConfig::builder()
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_millis(500))
                    .build(),
            )
            .build();
        let t = with_default_timeouts(&own)
            .timeout_config()
            .cloned()
            .expect("timeouts");
        assert_eq!(t.operation_timeout(), Some(Duration::from_millis(500)));
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(5)));

        let config = Config {
            call_attempt_timeout_ms: 2_000,
            call_operation_timeout_ms: 8_000,
            ..Config::default()
        };
        let t = config_timeouts(&config);
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(8)));
    }
}

//! The audit trail of an evaluation outside the state table: decision lines in the log and
//! alerts to the topic.

use tracing::warn;
use warden_rules::config::Config;
use warden_rules::report::{self, AuditRecord};

use super::outcome::RemediateError;
use crate::runtime::{self, log_value};
use crate::Aws;

/// Logs `record` as decision lines ([`runtime::log_decision`]: each within CloudWatch Logs'
/// event limit, each naming its part), under `outcome` (`in_progress` for the write-ahead
/// record, `reconciled`, or the resolution) and the record's id in the state table, else the
/// CloudTrail event id.
pub(crate) fn log_decision(
    outcome: &str,
    record: &AuditRecord,
    audit_id: Option<&str>,
) -> Result<(), serde_json::Error> {
    let json = serde_json::to_string(record)?;
    let layer = record.function_arn.contains(":layer:");
    let rule_ids = log_value(
        &record
            .findings
            .iter()
            .map(|f| f.rule_id.as_str())
            .collect::<Vec<_>>(),
    );
    runtime::log_decision(
        &runtime::DecisionLine {
            record_id: audit_id.unwrap_or(&record.event_id),
            outcome,
            function_arn: (!layer).then_some(record.function_arn.as_str()),
            layer_version_arn: layer.then_some(record.function_arn.as_str()),
            rule_ids: &rule_ids,
        },
        &json,
    );
    Ok(())
}

/// Publishes the alert(s) for `record` to `WARDEN_ALERT_TOPIC_ARN` (none when unset). A record
/// too big for one SNS message goes out in parts ([`report::alerts`]).
///
/// # Errors
/// [`RemediateError::Aws`] when a retryable failure (throttling, 5xx) stopped delivery, so the
/// event is delivered again; a permanent refusal is logged and not an error.
pub(crate) async fn publish(
    aws: &Aws,
    config: &Config,
    record: &AuditRecord,
) -> Result<(), RemediateError> {
    let Some(topic) = &config.alert_topic_arn else {
        return Ok(());
    };
    for alert in report::alerts(record)? {
        if let Err(e) = aws.publish_alert(topic, &alert).await {
            warn!(error = %e, "alert not delivered");
            if e.kind.is_retryable() {
                return Err(e.into());
            }
        }
    }
    Ok(())
}

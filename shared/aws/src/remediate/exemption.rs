//! Exemptions in an evaluation: recording or revoking an approver's change, and honouring the
//! one in force.

use tracing::{info, warn};
use warden_rules::config::{Config, Mode};
use warden_rules::ids::FunctionArn;
use warden_rules::outcome::ActionStatus;
use warden_rules::plan;
use warden_rules::snapshot::FunctionSnapshot;
use warden_rules::state::{self, Exemption, ExemptionChange};

use super::outcome::{Cause, RemediateError, Remediated, Resolution};
use crate::runtime::log_value;
use crate::{Aws, AwsError};

/// The exemption recorded in the state table for `arn`'s function and in force at `now`
/// (seconds since the Unix epoch); `None` without a state table.
///
/// # Errors
/// [`AwsError`] when the table cannot be read.
pub async fn recorded_exemption(
    aws: &Aws,
    arn: &FunctionArn,
    now: i64,
) -> Result<Option<Exemption>, AwsError> {
    match aws.store() {
        None => Ok(None),
        Some(store) => Ok(store
            .load(&arn.to_string())
            .await?
            .exemption
            .filter(|e| e.in_force(now))),
    }
}

/// Records or revokes the exemption `cause` carries for `arn`'s function, and returns the
/// exemption now recorded.
///
/// A grant is not recorded when `snapshot` shows the function updated after the approval
/// (`LastModified` later than the tag event's time): the approver saw another function, or
/// another version of it (a function deleted and created again under the same name, even when
/// its `CreateFunction` event is handled first). The approver tags it again.
pub(crate) async fn apply_change(
    aws: &Aws,
    arn: &FunctionArn,
    cause: Cause<'_>,
    snapshot: &FunctionSnapshot,
    recorded: Option<Exemption>,
) -> Result<Option<Exemption>, RemediateError> {
    let (Some(change), Some(store)) = (cause.exemption, aws.store()) else {
        if cause
            .exemption
            .is_some_and(|c| !matches!(c, ExemptionChange::Recreated { .. }))
        {
            warn!(function_arn = %arn, "exemption change not recorded: no state table (WARDEN_STATE_TABLE)");
        }
        return Ok(recorded);
    };
    match change {
        ExemptionChange::Grant(e) => {
            let updated = snapshot.configuration.value().and_then(|c| c.last_modified);
            if let Some(updated) = updated.filter(|t| *t > e.approved_at) {
                warn!(function_arn = %arn, approved_by = %e.approved_by, approved_at = e.approved_at, last_modified = updated, "exemption not recorded: the function was updated after it was approved; tag it again");
                return Ok(recorded);
            }
            let e = Exemption {
                resource_arn: arn.unqualified().to_string(),
                ..e.clone()
            };
            store.put_exemption(&e).await?;
            info!(function_arn = %arn, approved_by = %e.approved_by, "exemption recorded");
            Ok(Some(e))
        }
        ExemptionChange::Revoke { by } => {
            store
                .delete_exemption(&arn.unqualified().to_string())
                .await?;
            info!(function_arn = %arn, revoked_by = %by, "exemption revoked");
            Ok(None)
        }
        ExemptionChange::Recreated { created_at } => match recorded {
            Some(e) if state::outlived_by(&e, *created_at) => {
                store
                    .delete_exemption(&arn.unqualified().to_string())
                    .await?;
                warn!(function_arn = %arn, approved_by = %e.approved_by, approved_at = e.approved_at, created_at, "exemption of an earlier function of this name dropped: the function was created after it was approved");
                Ok(None)
            }
            other => Ok(other),
        },
        ExemptionChange::NotApproved { by } => {
            warn!(function_arn = %arn, caller = %log_value(by), "exemption tag changed by a principal who is not an approver: not recorded");
            Ok(recorded)
        }
    }
}

/// An exemption in force: alerted once, shown in the status tag, nothing else evaluated.
pub(crate) async fn exempt(
    aws: &Aws,
    config: &Config,
    arn: &FunctionArn,
    snapshot: &FunctionSnapshot,
    exemption: &Exemption,
) -> Result<Remediated, RemediateError> {
    info!(outcome = "exempt", function_arn = %arn, reason = %exemption.reason, approved_by = %exemption.approved_by, "exempt by recorded exemption");
    if !exemption.alerted {
        if let (Some(topic), Some(store)) = (&config.alert_topic_arn, aws.store()) {
            let alert = state::exemption_alert(exemption)?;
            match aws.publish_alert(topic, &alert).await {
                Ok(()) => {
                    store
                        .put_exemption(&Exemption {
                            alerted: true,
                            ..exemption.clone()
                        })
                        .await?;
                }
                Err(e) if e.kind.is_retryable() => return Err(e.into()),
                Err(e) => warn!(error = %e, "exemption alert not delivered"),
            }
        }
    }
    if config.mode != Mode::Report {
        if let Some(tag) = plan::exempt_tag_update(snapshot) {
            let tagged = aws.execute(std::slice::from_ref(&tag)).await;
            if let Some((_, ActionStatus::Failed { kind, code, .. })) = tagged.first_failure() {
                warn!(kind = %log_value(kind), code = %code, "status tags not written");
            }
        }
    }
    Ok(Remediated {
        resolution: Resolution::Exempt,
        exempt_reason: Some(exemption.reason.clone()),
        record: None,
        open_findings: Vec::new(),
        audit_id: None,
    })
}

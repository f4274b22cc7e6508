//! The audit record and the alert: what was found, what was done, and every removed statement
//! verbatim, so nothing is lost.

use serde::{Deserialize, Serialize};

use crate::config::Mode;
use crate::findings::{Finding, PermissionGrant, StatementRecord};
use crate::outcome::{ActionResult, ActionStatus};
use crate::plan::{Action, FixDecision, Plan};
use crate::tags::ComplianceStatus;

/// An alert, ready for SNS `Publish`
/// (<https://docs.aws.amazon.com/sns/latest/api/API_Publish.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// `Subject`: printable ASCII, no line breaks, at most 100 characters (SNS's limit).
    pub subject: String,
    /// `Message`: the [`AuditRecord`] as JSON (SNS allows up to 256 KiB).
    pub message: String,
}

/// SNS's limit on `Subject`, in characters.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// A statement lambda-warden removed (or tried to): enough to put it back exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemovedStatement {
    /// The function whose policy held it (qualified for an alias or version policy).
    pub function_arn: String,
    /// The statement, verbatim.
    pub original: StatementRecord,
    /// The tighter statement added in its place, when it was replaced.
    pub replaced_by: Option<PermissionGrant>,
    /// Whether the removal happened (`false`: it was attempted and failed, or not attempted).
    pub removed: bool,
}

/// One structured record per decision: written to the log and sent as the alert message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// `lambda-warden.audit/1`.
    pub schema: String,
    /// The CloudTrail `eventID` that triggered the evaluation.
    pub event_id: String,
    /// The CloudTrail `eventName`, suffix included.
    pub event_name: String,
    /// The evaluated function ARN (for a layer event, the layer version ARN).
    pub function_arn: String,
    /// The mode in force.
    pub mode: Mode,
    /// The status after the actions taken.
    pub status: ComplianceStatus,
    /// Every finding.
    pub findings: Vec<Finding>,
    /// `fixes[i]` is what was decided about `findings[i]`.
    pub fixes: Vec<FixDecision>,
    /// Every action attempted, across re-plans, in order, with its result.
    pub actions: Vec<ActionResult>,
    /// Every statement removed or replaced (or attempted), verbatim.
    pub removed_statements: Vec<RemovedStatement>,
}

/// Builds the audit record of one evaluation.
///
/// `actions` are all action results of this event, across re-plans after
/// `PreconditionFailedException`, in order; `plan` is the last plan.
pub fn audit_record(
    event_id: &str,
    event_name: &str,
    mode: Mode,
    plan: &Plan,
    actions: &[ActionResult],
    status: ComplianceStatus,
) -> AuditRecord {
    let removed_statements = actions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match &r.action {
            Action::RemovePermission {
                function, removed, ..
            } => {
                let replaced_by = match actions.get(i + 1).map(|n| (&n.action, &n.status)) {
                    Some((Action::AddPermission { grant, .. }, ActionStatus::Done))
                        if grant.statement_id == removed.sid =>
                    {
                        Some(grant.clone())
                    }
                    _ => None,
                };
                Some(RemovedStatement {
                    function_arn: function.to_string(),
                    original: removed.clone(),
                    replaced_by,
                    removed: r.status == ActionStatus::Done,
                })
            }
            _ => None,
        })
        .collect();
    AuditRecord {
        schema: "lambda-warden.audit/1".to_owned(),
        event_id: event_id.to_owned(),
        event_name: event_name.to_owned(),
        function_arn: plan.function_arn.to_string(),
        mode,
        status,
        findings: plan.findings.clone(),
        fixes: plan.decisions.clone(),
        actions: actions.to_vec(),
        removed_statements,
    }
}

fn ascii_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// The alert for an audit record: a subject a human reads in an inbox, and the record as JSON.
///
/// # Errors
/// Serialising the record to JSON fails only if it holds a non-string map key, which it never
/// does; the error is returned rather than hidden.
pub fn alert(record: &AuditRecord) -> Result<Alert, serde_json::Error> {
    let worst = record.findings.iter().map(|f| f.severity).max();
    let mut ids: Vec<&str> = record.findings.iter().map(|f| f.rule_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let done = record
        .actions
        .iter()
        .filter(|a| a.status == ActionStatus::Done)
        .count();
    let failed = record
        .actions
        .iter()
        .any(|a| matches!(a.status, ActionStatus::Failed { .. }));
    let what = if failed {
        "fix failed"
    } else if done > 0 {
        "fixed"
    } else {
        record.status.as_str()
    };
    let name = record
        .function_arn
        .split(":function:")
        .nth(1)
        .or_else(|| {
            record
                .function_arn
                .split_once(":layer:")
                .map(|(_, layer)| layer)
        })
        .unwrap_or(&record.function_arn);
    let severity = worst.map_or("INFO", |s| s.as_str());
    let mut subject = ascii_line(&format!(
        "lambda-warden {severity}: {name} {what} [{}]",
        ids.join(" ")
    ));
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        subject.truncate(MAX_SUBJECT_CHARS - 3);
        subject.push_str("...");
    }
    Ok(Alert {
        subject,
        message: serde_json::to_string_pretty(record)?,
    })
}

//! What an evaluation is told (its cause) and what it ends with: a [`Remediated`] or a
//! [`RemediateError`].

use serde::Serialize;
use thiserror::Error;
use warden_rules::findings::Finding;
use warden_rules::outcome::FailureKind;
use warden_rules::report::AuditRecord;
use warden_rules::state::ExemptionChange;

use crate::AwsError;

/// The event that caused an evaluation, for the audit record.
#[derive(Debug, Clone, Copy)]
pub struct Cause<'a> {
    /// The CloudTrail `eventID` (or a sweep's run id).
    pub event_id: &'a str,
    /// The CloudTrail `eventName`, suffix included.
    pub event_name: &'a str,
    /// What the event did to the function's exemption: a `TagResource` / `UntagResource` of
    /// `lambda-warden:exempt` ([`warden_rules::state::exemption_change`]) or a
    /// `CreateFunction` ([`ExemptionChange::Recreated`]); `None` for every other event.
    pub exemption: Option<&'a ExemptionChange>,
}

impl<'a> Cause<'a> {
    /// A cause with no exemption change.
    pub fn new(event_id: &'a str, event_name: &'a str) -> Self {
        Cause {
            event_id,
            event_name,
            exemption: None,
        }
    }
}

/// How one function's evaluation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The function was deleted before it could be read.
    Gone,
    /// An exemption recorded in the state table is in force for the function.
    Exempt,
    /// No open finding.
    Compliant,
    /// Open findings remain.
    NonCompliant,
    /// Fixes were applied and nothing remains open.
    Remediated,
    /// Part of the state could not be read.
    Unverified,
}

/// The result of [`remediate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Remediated {
    /// How it ended.
    pub resolution: Resolution,
    /// The exemption reason, for [`Resolution::Exempt`].
    pub exempt_reason: Option<String>,
    /// The audit record (absent for `Gone` and `Exempt`).
    pub record: Option<AuditRecord>,
    /// The findings still open after the actions taken (all of them when nothing was fixed).
    pub open_findings: Vec<Finding>,
    /// The id of the audit record in the state table, when the plan had actions and a table
    /// is configured (`lambda-warden restore --id`).
    pub audit_id: Option<String>,
}

impl Remediated {
    /// The resource was not found: nothing was evaluated, recorded or written.
    pub const GONE: Remediated = Remediated {
        resolution: Resolution::Gone,
        exempt_reason: None,
        record: None,
        open_findings: Vec::new(),
        audit_id: None,
    };
}

/// A failure that a later attempt can overcome (or that must not be hidden).
#[derive(Debug, Error)]
pub enum RemediateError {
    /// A read, the state table or the alert failed.
    #[error("{0}")]
    Aws(#[from] AwsError),
    /// A fix action failed; the actions before it are in the audit record, and a retry
    /// re-reads and plans the rest.
    #[error("{operation} on {function_arn} failed with {code} ({kind:?})")]
    Action {
        /// The API operation, e.g. `RemovePermission`.
        operation: String,
        /// The function.
        function_arn: String,
        /// The failure class.
        kind: FailureKind,
        /// The AWS error code.
        code: String,
    },
    /// Too little time was left before the invocation's deadline to start the plan's next
    /// write; what ran is recorded, and the event is delivered again.
    #[error("{function_arn}: stopped before writing, too little time left ({reason})")]
    Deadline {
        /// The function.
        function_arn: String,
        /// What was left undone.
        reason: String,
    },
    /// Other evaluations kept storing state read later than this one's, every time it
    /// evaluated again.
    #[error("{function_arn}: newer state stored by other evaluations under every attempt")]
    Superseded {
        /// The function.
        function_arn: String,
    },
    /// The function's state points at an `in_progress` audit record whose writer may still be
    /// running (its deadline, [`state::writer_may_run`], has not passed): reconciling it now
    /// would race that invocation's writes. Nothing is written; the event is delivered again
    /// (Lambda retries an asynchronous invocation after about one and then two minutes:
    /// <https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html>).
    #[error("{function_arn}: the plan of audit record {audit_id} may still be running (its invocation's deadline is {writer_deadline_ms} ms since the epoch)")]
    PlanInProgress {
        /// The function.
        function_arn: String,
        /// The record's id.
        audit_id: String,
        /// Until when its writer may run, milliseconds since the Unix epoch.
        writer_deadline_ms: i64,
    },
    /// The alert could not be serialised.
    #[error("alert could not be serialised: {0}")]
    Alert(#[from] serde_json::Error),
}

impl RemediateError {
    /// Whether delivering the same event again can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            RemediateError::Aws(AwsError { kind, .. }) | RemediateError::Action { kind, .. } => {
                kind.is_retryable()
            }
            RemediateError::Deadline { .. }
            | RemediateError::Superseded { .. }
            | RemediateError::PlanInProgress { .. } => true,
            RemediateError::Alert(_) => false,
        }
    }
}

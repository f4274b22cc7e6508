//! Undoing a remediation from its audit record.

use warden_rules::outcome::Outcome;
use warden_rules::report::AuditRecord;
use warden_rules::restore::{restore_actions, RestoreError};

use crate::Aws;

impl Aws {
    /// Puts back what `record` says lambda-warden removed or changed: every removed statement
    /// (after removing its tighter replacement) and every function URL `AuthType`, with the
    /// actions of [`restore_actions`], executed in order by [`Aws::execute`] (policy edits
    /// guarded by the current `RevisionId`). The outcome says exactly which writes happened;
    /// after the first failure nothing more is attempted.
    ///
    /// `record` is the audit record as logged or alerted (the SNS message of an alert is the
    /// record as JSON).
    ///
    /// # Errors
    /// [`RestoreError`] when a recorded statement cannot be re-added with `AddPermission` (it
    /// names the `Sid` and carries the statement) or an ARN in the record does not parse;
    /// nothing is written then.
    pub async fn restore(&self, record: &AuditRecord) -> Result<Outcome, RestoreError> {
        let actions = restore_actions(record)?;
        tracing::info!(
            function_arn = %record.function_arn,
            event_id = %record.event_id,
            actions = actions.len(),
            "restoring from audit record"
        );
        Ok(self.execute(&actions).await)
    }
}

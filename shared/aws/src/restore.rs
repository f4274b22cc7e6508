//! Undoing a remediation from its audit record, after checking the record against itself and
//! against the live function ([`warden_rules::restore`] has the checks).

use warden_rules::ids::FunctionArn;
use warden_rules::outcome::{FailureKind, Outcome};
use warden_rules::plan::Action;
use warden_rules::report::AuditRecord;
use warden_rules::restore::{live_reads, restore_plan, LiveState, RestoreError};

use crate::error::AwsError;
use crate::Aws;

/// Why [`Aws::restore`] wrote nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RestoreFailure {
    /// The record does not hold together, does not match the live function, or holds a
    /// statement `AddPermission` cannot write: the [`RestoreError`] names the statement `Sid`
    /// or the ARN.
    #[error("restore refused: {0}")]
    Refused(#[from] RestoreError),
    /// A read that the checks need failed (other than with `ResourceNotFoundException`, which
    /// is an answer): nothing could be checked, so nothing was written.
    #[error("the live function could not be read to check the record: {0}")]
    Read(#[from] AwsError),
}

impl Aws {
    /// The actions that undo `record`, checked against the record itself and against the
    /// live function ([`restore_plan`]); nothing is written. The reads, in order, each once
    /// per ARN that [`live_reads`] names:
    /// - `GetFunctionConfiguration` (`FunctionName` = the unqualified ARN, `Qualifier` for an
    ///   alias or version) of the record's function and of every function, alias or version
    ///   the restore writes to: `ResourceNotFoundException` means it does not exist, and the
    ///   restore is refused ([`RestoreError::FunctionNotFound`]); the other reads are then
    ///   not sent
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html>;
    ///   unlike `GetFunction` it does not return a link to download the code);
    /// - `GetPolicy` of every policy the restore edits (`ResourceNotFoundException`: no
    ///   policy) (<https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>);
    /// - `GetFunctionUrlConfig` of every URL whose `AuthType` it sets back
    ///   (`ResourceNotFoundException`: no URL)
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>).
    ///
    /// `record` is the audit record as logged, alerted (the SNS message of an alert is the
    /// record as JSON) or stored in the state table.
    ///
    /// # Errors
    /// [`RestoreFailure::Refused`] with the first check that fails;
    /// [`RestoreFailure::Read`] when a read fails other than with `ResourceNotFoundException`.
    pub async fn restore_plan(&self, record: &AuditRecord) -> Result<Vec<Action>, RestoreFailure> {
        let reads = live_reads(record)?;
        let mut live = LiveState::default();
        for f in &reads.functions {
            let exists = self.function_exists(f).await?;
            live.functions.insert(f.clone(), exists);
            if !exists {
                // Refused for that function; the pure check says so.
                return Ok(restore_plan(record, &live)?);
            }
        }
        for p in &reads.policies {
            live.policies
                .insert(p.clone(), self.policy_document(p).await?);
        }
        for u in &reads.urls {
            live.url_auth_types
                .insert(u.clone(), self.url_auth_type(u).await?);
        }
        Ok(restore_plan(record, &live)?)
    }

    /// Puts back what `record` says lambda-warden removed or changed: every removed statement
    /// (after removing its tighter replacement) and every function URL `AuthType`, with the
    /// actions of [`Aws::restore_plan`], executed in order by [`Aws::execute`]: the first
    /// `RemovePermission` of a policy reads the policy again just before it, checks that the
    /// statement is still the one checked, and sends that read's `RevisionId`, so a change in
    /// between stops the restore before that write. The outcome says exactly which writes
    /// happened; after the first failure nothing more is attempted. A statement or URL that
    /// is already as the record says it was is left alone, so restoring a record twice writes
    /// nothing the second time.
    ///
    /// # Errors
    /// As [`Aws::restore_plan`]; nothing is written then.
    pub async fn restore(&self, record: &AuditRecord) -> Result<Outcome, RestoreFailure> {
        let actions = match self.restore_plan(record).await {
            Ok(actions) => actions,
            Err(err) => {
                tracing::warn!(
                    function_arn = %record.function_arn,
                    event_id = %record.event_id,
                    error = %err,
                    "restore refused"
                );
                return Err(err);
            }
        };
        tracing::info!(
            function_arn = %record.function_arn,
            event_id = %record.event_id,
            actions = actions.len(),
            "restoring from audit record"
        );
        Ok(self.execute(&actions).await)
    }

    /// Whether `f` (a function, or its alias or version) exists: `GetFunctionConfiguration`.
    async fn function_exists(&self, f: &FunctionArn) -> Result<bool, AwsError> {
        match self
            .lambda
            .get_function_configuration()
            .function_name(f.unqualified().to_string())
            .set_qualifier(qualifier(f))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => not_found(AwsError::from_sdk(
                "GetFunctionConfiguration",
                f.to_string(),
                &e,
            ))
            .map(|()| false),
        }
    }

    /// `f`'s resource-based policy document (`GetPolicy`), `None` when it has none.
    async fn policy_document(&self, f: &FunctionArn) -> Result<Option<String>, AwsError> {
        match self
            .lambda
            .get_policy()
            .function_name(f.unqualified().to_string())
            .set_qualifier(qualifier(f))
            .send()
            .await
        {
            Ok(out) => Ok(out.policy().map(str::to_owned)),
            Err(e) => not_found(AwsError::from_sdk("GetPolicy", f.to_string(), &e)).map(|()| None),
        }
    }

    /// `f`'s function URL `AuthType` (`GetFunctionUrlConfig`), `None` when it has no URL.
    async fn url_auth_type(&self, f: &FunctionArn) -> Result<Option<String>, AwsError> {
        match self
            .lambda
            .get_function_url_config()
            .function_name(f.unqualified().to_string())
            .set_qualifier(qualifier(f))
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.auth_type().as_str().to_owned())),
            Err(e) => not_found(AwsError::from_sdk(
                "GetFunctionUrlConfig",
                f.to_string(),
                &e,
            ))
            .map(|()| None),
        }
    }
}

/// `Ok` for a `ResourceNotFoundException` (an answer), the error otherwise.
fn not_found(err: AwsError) -> Result<(), AwsError> {
    match err.kind {
        FailureKind::NotFound => Ok(()),
        FailureKind::Throttled
        | FailureKind::Transient
        | FailureKind::AccessDenied
        | FailureKind::Conflict
        | FailureKind::Invalid => Err(err),
    }
}

fn qualifier(f: &FunctionArn) -> Option<String> {
    f.qualifier.as_ref().map(|q| q.as_str().to_owned())
}

//! Carrying out a remediation plan: one AWS write per [`Action`], in order.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_lambda::types::FunctionUrlAuthType;
use warden_rules::ids::{FunctionArn, Qualifier};
use warden_rules::outcome::{ActionResult, ActionStatus, FailureKind, Outcome};
use warden_rules::plan::Action;

use crate::error::AwsError;
use crate::Aws;

/// The resource-based policies a plan has already edited, each named by its function ARN with
/// the `Qualifier` the edit carried (`None` for the unqualified function's policy).
type EditedPolicies = BTreeSet<FunctionArn>;

impl Aws {
    /// Executes `actions` sequentially, in order, and reports what became of each one.
    ///
    /// Each action is one AWS write:
    /// - [`Action::RemovePermission`]: `RemovePermission` with `FunctionName` = the unqualified
    ///   ARN, `Qualifier` = the ARN's qualifier, `StatementId` = the `Sid`, and `RevisionId`
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html>).
    /// - [`Action::AddPermission`]: `AddPermission` with every field of the
    ///   [`PermissionGrant`](warden_rules::findings::PermissionGrant) (`StatementId`, `Action`,
    ///   `Principal`, `SourceArn`, `SourceAccount`, `PrincipalOrgID`, `EventSourceToken`,
    ///   `FunctionUrlAuthType`, `InvokedViaFunctionUrl`, `Qualifier`), `FunctionName` = the
    ///   unqualified ARN and `Qualifier` = the grant's qualifier, else the ARN's
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html>).
    /// - [`Action::RequireIamAuth`]: `UpdateFunctionUrlConfig` with `AuthType=AWS_IAM` and the
    ///   ARN's qualifier
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionUrlConfig.html>).
    /// - [`Action::SetUrlAuthType`] (restore only): `UpdateFunctionUrlConfig` with the given
    ///   `AuthType` and the ARN's qualifier.
    /// - [`Action::TagResource`]: `TagResource` with `Resource` = the unqualified ARN (tags live
    ///   on the function, <https://docs.aws.amazon.com/lambda/latest/api/API_TagResource.html>).
    ///   An empty tag set is done without a call.
    ///
    /// `RevisionId` (a policy edit fails with `PreconditionFailedException` when the policy
    /// changed since that revision): a `RemovePermission` carrying `revision_id: Some(r)` sends
    /// `r`. A `RemovePermission` with `revision_id: None` (a later edit of a policy this plan has
    /// already changed) and an `AddPermission` that follows an earlier edit of the same policy in
    /// this plan first read the current `RevisionId` with `GetPolicy` and send it (none when
    /// `GetPolicy` answers `ResourceNotFoundException`: the policy is empty). The first
    /// `AddPermission` of a policy sends no `RevisionId`.
    ///
    /// After the first failure every later action is [`ActionStatus::NotAttempted`], so the
    /// outcome says exactly which writes happened. A stale `RevisionId` is
    /// `Failed { kind: Conflict, code: "PreconditionFailedException", .. }`: the caller reads the
    /// function again and plans again. The `operation` of a failure is `GetPolicy` when reading
    /// the current `RevisionId` failed.
    pub async fn execute(&self, actions: &[Action]) -> Outcome {
        self.execute_before(actions, None).await.0
    }

    /// As [`Aws::execute`], starting no action at or after `deadline`: those, and every one
    /// after them, are [`ActionStatus::NotAttempted`]. The flag is `true` when the deadline
    /// stopped the plan (the caller records why, and the event is delivered again).
    pub async fn execute_before(
        &self,
        actions: &[Action],
        deadline: Option<std::time::Instant>,
    ) -> (Outcome, bool) {
        let mut edited = EditedPolicies::new();
        let mut failed = false;
        let mut stopped = false;
        let mut results = Vec::with_capacity(actions.len());
        for action in actions {
            if !failed && deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                stopped = true;
                failed = true;
                tracing::warn!(
                    action = action.operation(),
                    function_arn = %target(action),
                    "not started: too little time left before the invocation's deadline"
                );
            }
            let status = if failed {
                ActionStatus::NotAttempted
            } else {
                match self.apply(action, &mut edited).await {
                    Ok(()) => {
                        tracing::info!(
                            action = action.operation(),
                            function_arn = %target(action),
                            "remediation action done"
                        );
                        ActionStatus::Done
                    }
                    Err(err) => {
                        failed = true;
                        tracing::warn!(
                            action = action.operation(),
                            function_arn = %target(action),
                            operation = err.operation,
                            resource_arn = %err.resource_arn,
                            kind = %crate::runtime::log_value(&err.kind),
                            code = %err.code,
                            "remediation action failed"
                        );
                        ActionStatus::Failed {
                            kind: err.kind,
                            code: err.code,
                            operation: err.operation.to_owned(),
                        }
                    }
                }
            };
            results.push(ActionResult {
                action: action.clone(),
                status,
            });
        }
        (Outcome { results }, stopped)
    }

    async fn apply(&self, action: &Action, edited: &mut EditedPolicies) -> Result<(), AwsError> {
        match action {
            Action::RemovePermission {
                function,
                sid,
                revision_id,
                removed,
                ..
            } => {
                let policy = policy_of(function, function.qualifier.as_ref());
                let revision_id = match revision_id {
                    Some(r) => Some(r.clone()),
                    // A later edit of a policy this plan already changed: the RevisionId read
                    // now would not catch a human's change since the plan was made, so check
                    // that the statement is still exactly the one recorded before removing it.
                    None => {
                        let current = self.current_policy(&policy).await?;
                        let statement = current.as_ref().and_then(|(_, doc)| statement(doc, sid));
                        if statement.as_ref() != Some(&removed.statement) {
                            return Err(changed(&policy, "StatementChanged"));
                        }
                        current.and_then(|(revision, _)| revision)
                    }
                };
                self.lambda
                    .remove_permission()
                    .function_name(policy.unqualified().to_string())
                    .set_qualifier(qualifier_text(&policy))
                    .statement_id(sid)
                    .set_revision_id(revision_id)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("RemovePermission", policy.to_string(), &e))?;
                edited.insert(policy);
            }
            Action::AddPermission {
                function, grant, ..
            } => {
                let qualifier = grant.qualifier.as_ref().or(function.qualifier.as_ref());
                let policy = policy_of(function, qualifier);
                let revision_id = if edited.contains(&policy) {
                    let current = self.current_policy(&policy).await?;
                    if current
                        .as_ref()
                        .is_some_and(|(_, doc)| statement(doc, &grant.statement_id).is_some())
                    {
                        // Someone added a statement under this Sid since the plan was made.
                        return Err(changed(&policy, "SidInUse"));
                    }
                    current.and_then(|(revision, _)| revision)
                } else {
                    None
                };
                self.lambda
                    .add_permission()
                    .function_name(policy.unqualified().to_string())
                    .set_qualifier(qualifier_text(&policy))
                    .statement_id(&grant.statement_id)
                    .action(&grant.action)
                    .principal(&grant.principal)
                    .set_source_arn(grant.source_arn.clone())
                    .set_source_account(grant.source_account.as_ref().map(|a| a.to_string()))
                    .set_principal_org_id(grant.principal_org_id.clone())
                    .set_event_source_token(grant.event_source_token.clone())
                    .set_function_url_auth_type(
                        grant
                            .function_url_auth_type
                            .as_deref()
                            .map(FunctionUrlAuthType::from),
                    )
                    .set_invoked_via_function_url(grant.invoked_via_function_url)
                    .set_revision_id(revision_id)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("AddPermission", policy.to_string(), &e))?;
                edited.insert(policy);
            }
            Action::RequireIamAuth { function, .. } => {
                self.update_url_auth(function, FunctionUrlAuthType::AwsIam)
                    .await?;
            }
            Action::SetUrlAuthType {
                function,
                auth_type,
            } => {
                self.update_url_auth(function, FunctionUrlAuthType::from(auth_type.as_str()))
                    .await?;
            }
            Action::TagResource { resource, tags } => {
                if tags.is_empty() {
                    return Ok(());
                }
                let resource = resource.unqualified().to_string();
                let tags: HashMap<String, String> =
                    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                self.lambda
                    .tag_resource()
                    .resource(&resource)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("TagResource", resource.clone(), &e))?;
            }
        }
        Ok(())
    }

    /// `UpdateFunctionUrlConfig` of `function`'s URL (its qualifier's) with `auth_type`.
    async fn update_url_auth(
        &self,
        function: &FunctionArn,
        auth_type: FunctionUrlAuthType,
    ) -> Result<(), AwsError> {
        self.lambda
            .update_function_url_config()
            .function_name(function.unqualified().to_string())
            .set_qualifier(qualifier_text(function))
            .auth_type(auth_type)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateFunctionUrlConfig", function.to_string(), &e))?;
        Ok(())
    }

    /// The current `RevisionId` and document of `policy` (`GetPolicy`), or `None` when the
    /// function has no policy (`ResourceNotFoundException`).
    async fn current_policy(
        &self,
        policy: &FunctionArn,
    ) -> Result<Option<(Option<String>, String)>, AwsError> {
        match self
            .lambda
            .get_policy()
            .function_name(policy.unqualified().to_string())
            .set_qualifier(qualifier_text(policy))
            .send()
            .await
        {
            Ok(out) => Ok(Some((
                out.revision_id().map(str::to_owned),
                out.policy().unwrap_or_default().to_owned(),
            ))),
            Err(e) => {
                let err = AwsError::from_sdk("GetPolicy", policy.to_string(), &e);
                match err.kind {
                    FailureKind::NotFound => Ok(None),
                    FailureKind::Throttled
                    | FailureKind::Transient
                    | FailureKind::AccessDenied
                    | FailureKind::Conflict
                    | FailureKind::Invalid => Err(err),
                }
            }
        }
    }
}

/// The statement with `sid` in policy document `doc`, as JSON; `None` when the document does
/// not parse or has no such statement.
fn statement(doc: &str, sid: &str) -> Option<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(doc).ok()?;
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(list) => list.clone(),
        single @ serde_json::Value::Object(_) => vec![single.clone()],
        _ => return None,
    };
    statements
        .into_iter()
        .find(|s| s.get("Sid").and_then(serde_json::Value::as_str) == Some(sid))
}

/// The policy changed under the plan since it was read: the caller re-reads and re-plans, as
/// after `PreconditionFailedException`.
fn changed(policy: &FunctionArn, code: &str) -> AwsError {
    AwsError {
        operation: "GetPolicy",
        resource_arn: policy.to_string(),
        kind: FailureKind::Conflict,
        code: code.to_owned(),
    }
}

/// The function an action is about, for logs.
fn target(action: &Action) -> &FunctionArn {
    match action {
        Action::RemovePermission { function, .. }
        | Action::AddPermission { function, .. }
        | Action::RequireIamAuth { function, .. }
        | Action::SetUrlAuthType { function, .. } => function,
        Action::TagResource { resource, .. } => resource,
    }
}

/// The ARN naming the policy an edit applies to: the function with the edit's qualifier.
fn policy_of(function: &FunctionArn, qualifier: Option<&Qualifier>) -> FunctionArn {
    FunctionArn {
        qualifier: qualifier.cloned(),
        ..function.unqualified()
    }
}

fn qualifier_text(arn: &FunctionArn) -> Option<String> {
    arn.qualifier.as_ref().map(|q| q.as_str().to_owned())
}

//! `restore`: the actions that put back the statements an audit record says were removed.

use serde_json::json;
use thiserror::Error;
use warden_rules::findings::StatementRecord;
use warden_rules::grant::{grant_from_statement, statement_from_grant, NotExpressible};
use warden_rules::ids::{FunctionArn, IdError};
use warden_rules::plan::Action;
use warden_rules::policy::{PolicyParseError, ResourcePolicy};
use warden_rules::report::AuditRecord;

/// A removed statement that cannot be put back.
#[derive(Debug, Error)]
pub enum RestoreError {
    /// The record's `function_arn` of a removed statement is not a function ARN.
    #[error("removed statement {sid:?}: function_arn {function_arn:?}: {source}")]
    FunctionArn {
        /// The statement's `Sid`.
        sid: String,
        /// The ARN as recorded.
        function_arn: String,
        /// What is wrong with it.
        source: IdError,
    },
    /// The recorded statement is not a policy statement.
    #[error("removed statement {sid:?} cannot be read: {source}")]
    Statement {
        /// The statement's `Sid`.
        sid: String,
        /// The parse error.
        source: PolicyParseError,
    },
    /// `AddPermission` cannot write the statement as it was.
    #[error("removed statement {sid:?} cannot be written back with AddPermission: {source}")]
    NotExpressible {
        /// The statement's `Sid`.
        sid: String,
        /// The part AddPermission cannot express.
        source: NotExpressible,
    },
}

/// The actions that undo the removals of `record`, in order: for each statement the record
/// says was removed (`removed: true`), `RemovePermission` of the tighter statement that replaced
/// it (when it was replaced; same `Sid`), then `AddPermission` of the original statement
/// ([`grant_from_statement`]), in the policy of the recorded function ARN (qualified for an
/// alias or version). Statements whose removal failed are left alone.
///
/// The `RemovePermission` carries no `RevisionId`: the adapter reads the current one first
/// (see `Aws::execute`), so a policy changed since then fails with
/// `PreconditionFailedException` instead of losing the change.
///
/// # Errors
/// [`RestoreError`] for the first removed statement that cannot be put back; nothing is
/// planned then, so a restore is all or nothing.
pub fn restore_plan(record: &AuditRecord) -> Result<Vec<Action>, RestoreError> {
    let mut actions = Vec::new();
    for removed in record.removed_statements.iter().filter(|r| r.removed) {
        let sid = removed.original.sid.clone();
        let function = FunctionArn::parse(&removed.function_arn).map_err(|source| {
            RestoreError::FunctionArn {
                sid: sid.clone(),
                function_arn: removed.function_arn.clone(),
                source,
            }
        })?;
        let policy = ResourcePolicy::from_value(&json!({
            "Version": "2012-10-17",
            "Statement": [removed.original.statement.clone()],
        }))
        .map_err(|source| RestoreError::Statement {
            sid: sid.clone(),
            source,
        })?;
        let statement = policy
            .statements
            .first()
            .ok_or_else(|| RestoreError::Statement {
                sid: sid.clone(),
                source: PolicyParseError::MissingStatement,
            })?;
        let grant =
            grant_from_statement(statement, function.qualifier.as_ref()).map_err(|source| {
                RestoreError::NotExpressible {
                    sid: sid.clone(),
                    source,
                }
            })?;
        if let Some(replacement) = &removed.replaced_by {
            actions.push(Action::RemovePermission {
                function: function.clone(),
                sid: replacement.statement_id.clone(),
                revision_id: None,
                removed: StatementRecord {
                    sid: replacement.statement_id.clone(),
                    statement: statement_from_grant(replacement, &function),
                },
                fixes: Vec::new(),
            });
        }
        actions.push(Action::AddPermission {
            function,
            grant,
            fixes: Vec::new(),
        });
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use warden_rules::findings::PermissionGrant;
    use warden_rules::ids::AccountId;
    use warden_rules::report::RemovedStatement;

    const ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:image-resizer";

    fn record(removed: Vec<RemovedStatement>) -> AuditRecord {
        serde_json::from_value(json!({
            "schema": "lambda-warden.audit/1", "event_id": "e", "event_name": "AddPermission20150331v2",
            "function_arn": ARN, "mode": "enforce", "status": "compliant", "findings": [], "fixes": [],
            "actions": [], "removed_statements": serde_json::to_value(removed).unwrap()
        }))
        .unwrap()
    }

    fn s3_statement() -> Value {
        json!({"Sid": "s3-invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
               "Action": "lambda:InvokeFunction", "Resource": ARN,
               "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::demo-upload-bucket"}}})
    }

    #[test]
    fn a_replaced_statement_is_removed_then_added_back() {
        let replacement = PermissionGrant {
            statement_id: "s3-invoke".into(),
            action: "lambda:InvokeFunction".into(),
            principal: "s3.amazonaws.com".into(),
            source_arn: Some("arn:aws:s3:::demo-upload-bucket".into()),
            source_account: AccountId::parse("111122223333").ok(),
            principal_org_id: None,
            event_source_token: None,
            function_url_auth_type: None,
            invoked_via_function_url: None,
            qualifier: None,
        };
        let plan = restore_plan(&record(vec![RemovedStatement {
            function_arn: ARN.into(),
            original: StatementRecord {
                sid: "s3-invoke".into(),
                statement: s3_statement(),
            },
            replaced_by: Some(replacement),
            removed: true,
        }]))
        .unwrap();
        assert_eq!(plan.len(), 2);
        match (&plan[0], &plan[1]) {
            (
                Action::RemovePermission {
                    sid,
                    revision_id,
                    removed,
                    ..
                },
                Action::AddPermission { grant, .. },
            ) => {
                assert_eq!(sid, "s3-invoke");
                assert_eq!(*revision_id, None);
                assert_eq!(
                    removed.statement["Condition"]["StringEquals"]["AWS:SourceAccount"],
                    "111122223333"
                );
                assert_eq!(grant.principal, "s3.amazonaws.com");
                assert_eq!(
                    grant.source_arn.as_deref(),
                    Some("arn:aws:s3:::demo-upload-bucket")
                );
                assert_eq!(grant.source_account, None);
            }
            other => panic!("unexpected plan {other:?}"),
        }
    }

    #[test]
    fn removed_statements_of_an_alias_go_back_to_the_alias_and_failed_removals_are_skipped() {
        let alias = format!("{ARN}:live");
        let public = json!({"Sid": "pub", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": alias});
        let plan = restore_plan(&record(vec![
            RemovedStatement {
                function_arn: alias.clone(),
                original: StatementRecord {
                    sid: "pub".into(),
                    statement: public.clone(),
                },
                replaced_by: None,
                removed: true,
            },
            RemovedStatement {
                function_arn: alias.clone(),
                original: StatementRecord {
                    sid: "kept".into(),
                    statement: public,
                },
                replaced_by: None,
                removed: false,
            },
        ]))
        .unwrap();
        assert_eq!(plan.len(), 1);
        let Action::AddPermission {
            function, grant, ..
        } = &plan[0]
        else {
            panic!("{plan:?}");
        };
        assert_eq!(function.to_string(), alias);
        assert_eq!(grant.qualifier.as_ref().map(|q| q.as_str()), Some("live"));
        assert_eq!(grant.principal, "*");
    }

    #[test]
    fn a_statement_add_permission_cannot_write_is_refused() {
        let two_actions = json!({"Sid": "x", "Effect": "Allow", "Principal": "*",
            "Action": ["lambda:InvokeFunction", "lambda:GetFunction"], "Resource": ARN});
        let err = restore_plan(&record(vec![RemovedStatement {
            function_arn: ARN.into(),
            original: StatementRecord {
                sid: "x".into(),
                statement: two_actions,
            },
            replaced_by: None,
            removed: true,
        }]))
        .unwrap_err();
        assert!(matches!(err, RestoreError::NotExpressible { .. }), "{err}");
    }
}

//! Undoing a remediation from its audit record: the actions that put every removed statement
//! and every changed function URL `AuthType` back exactly as they were. Pure; the adapter
//! executes the actions (`warden_aws::Aws::restore`).
//!
//! For each statement the record says was removed (`removed_statements[i].removed`):
//! - replaced by a tighter statement (`replaced_by`): `RemovePermission` of the replacement
//!   (same `Sid`), then `AddPermission` of the original;
//! - removed only: `AddPermission` of the original.
//!
//! The original is re-added with the `AddPermission` arguments that write it again
//! ([`grant_from_statement`]); a statement `AddPermission` cannot write (a `Deny`, several
//! actions, a condition it has no parameter for, ...) makes the whole restore fail with
//! [`RestoreError::NotExpressible`], which carries the statement so a human can put it back by
//! other means. Then, for each URL whose `AuthType` was changed (`url_auth_changes[i].changed`),
//! `UpdateFunctionUrlConfig` with the original `AuthType`: last, so a URL is never reopened
//! before its statements are back.
//!
//! Statements are restored in the order they were removed. Restoring re-creates what was
//! judged unsafe: lambda-warden evaluates the restored function again when CloudTrail reports
//! the restore's `AddPermission` (see the README for keeping a restored statement).

use serde_json::{json, Value};
use thiserror::Error;

use crate::findings::StatementRecord;
use crate::grant::{grant_from_statement, statement_from_grant, NotExpressible};
use crate::ids::{FunctionArn, IdError};
use crate::outcome::{ActionResult, ActionStatus, Outcome};
use crate::plan::Action;
use crate::policy::{PolicyParseError, ResourcePolicy};
use crate::report::AuditRecord;

/// Why a record cannot be restored automatically. Each variant names the statement (by `Sid`)
/// or the ARN concerned.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RestoreError {
    /// A recorded function ARN does not parse.
    #[error("{field}: {value:?} is not a function ARN: {source}")]
    BadArn {
        /// Where in the record, e.g. `removed_statements[0].function_arn`.
        field: String,
        /// The value found.
        value: String,
        /// Why it was rejected.
        source: IdError,
    },
    /// A recorded statement is not a statement lambda-warden can read.
    #[error(
        "statement {sid:?} in the record does not parse: {source}; re-add it by hand: {statement}"
    )]
    Unparseable {
        /// The statement's `Sid`.
        sid: String,
        /// The parser's error.
        source: Box<PolicyParseError>,
        /// The statement, verbatim.
        statement: Box<Value>,
    },
    /// `AddPermission` cannot write the recorded statement again.
    #[error("statement {sid:?} cannot be re-added with AddPermission: {reason}; re-add it by hand: {statement}")]
    NotExpressible {
        /// The statement's `Sid`.
        sid: String,
        /// Which part AddPermission cannot write.
        reason: NotExpressible,
        /// The statement, verbatim.
        statement: Box<Value>,
    },
    /// A recorded URL change names an `AuthType` Lambda does not have.
    #[error(
        "url_auth_changes[{index}]: original AuthType {auth_type:?} is neither NONE nor AWS_IAM"
    )]
    UnknownAuthType {
        /// Position in `url_auth_changes`.
        index: usize,
        /// The value found.
        auth_type: String,
    },
}

fn arn(field: String, value: &str) -> Result<FunctionArn, RestoreError> {
    FunctionArn::parse(value).map_err(|source| RestoreError::BadArn {
        field,
        value: value.to_owned(),
        source,
    })
}

/// The actions that undo what `record` says was done; empty when nothing was removed or
/// changed. See the module documentation for the order.
///
/// # Errors
/// [`RestoreError`] for the first recorded statement or URL change that cannot be undone
/// with `AddPermission`/`RemovePermission`/`UpdateFunctionUrlConfig`; no action is returned
/// then, so nothing is half-restored.
pub fn restore_actions(record: &AuditRecord) -> Result<Vec<Action>, RestoreError> {
    let mut actions = Vec::new();
    for (i, removed) in record.removed_statements.iter().enumerate() {
        if !removed.removed || removed.restored {
            continue;
        }
        let function = arn(
            format!("removed_statements[{i}].function_arn"),
            &removed.function_arn,
        )?;
        let original = original_grant(&removed.original, &function)?;
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
            grant: original,
            fixes: Vec::new(),
        });
    }
    for (i, change) in record.url_auth_changes.iter().enumerate() {
        if !change.changed {
            continue;
        }
        if !matches!(change.original_auth_type.as_str(), "NONE" | "AWS_IAM") {
            return Err(RestoreError::UnknownAuthType {
                index: i,
                auth_type: change.original_auth_type.clone(),
            });
        }
        actions.push(Action::SetUrlAuthType {
            function: arn(
                format!("url_auth_changes[{i}].function_arn"),
                &change.function_arn,
            )?,
            auth_type: change.original_auth_type.clone(),
        });
    }
    Ok(actions)
}

/// The `AddPermission` calls that put back statements a replacement left removed: for every
/// `RemovePermission` that was done and whose replacing `AddPermission` (the next action, same
/// `Sid`) then failed, the original statement, so a failed replacement never leaves a caller
/// without access. A statement `AddPermission` cannot write is skipped: the audit record keeps
/// it verbatim for a human.
pub fn rollback_actions(outcome: &Outcome) -> Vec<Action> {
    outcome
        .results
        .windows(2)
        .filter_map(|pair| match (&pair[0], &pair[1]) {
            (
                ActionResult {
                    action:
                        Action::RemovePermission {
                            function, removed, ..
                        },
                    status: ActionStatus::Done,
                },
                ActionResult {
                    action: Action::AddPermission { grant, .. },
                    status: ActionStatus::Failed { .. },
                },
            ) if grant.statement_id == removed.sid => {
                original_grant(removed, function)
                    .ok()
                    .map(|grant| Action::AddPermission {
                        function: function.clone(),
                        grant,
                        fixes: Vec::new(),
                    })
            }
            _ => None,
        })
        .collect()
}

fn original_grant(
    original: &StatementRecord,
    function: &FunctionArn,
) -> Result<crate::findings::PermissionGrant, RestoreError> {
    let doc = json!({ "Statement": [original.statement.clone()] });
    let policy = ResourcePolicy::from_value(&doc).map_err(|source| RestoreError::Unparseable {
        sid: original.sid.clone(),
        source: Box::new(source),
        statement: Box::new(original.statement.clone()),
    })?;
    let Some(stmt) = policy.statements.first() else {
        // One statement in, one statement out: from_value keeps every element of the list.
        return Err(RestoreError::Unparseable {
            sid: original.sid.clone(),
            source: Box::new(PolicyParseError::MissingStatement),
            statement: Box::new(original.statement.clone()),
        });
    };
    grant_from_statement(stmt, function.qualifier.as_ref()).map_err(|reason| {
        RestoreError::NotExpressible {
            sid: original.sid.clone(),
            reason,
            statement: Box::new(original.statement.clone()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Mode;
    use crate::findings::PermissionGrant;
    use crate::ids::AccountId;
    use crate::report::{RemovedStatement, UrlAuthChange};
    use crate::tags::ComplianceStatus;

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

    fn record(removed: Vec<RemovedStatement>, urls: Vec<UrlAuthChange>) -> AuditRecord {
        AuditRecord {
            schema: "lambda-warden.audit/1".into(),
            event_id: "e".into(),
            event_name: "AddPermission20150331v2".into(),
            function_arn: ARN.into(),
            mode: Mode::Enforce,
            status: ComplianceStatus::Compliant,
            findings: Vec::new(),
            fixes: Vec::new(),
            actions: Vec::new(),
            removed_statements: removed,
            url_auth_changes: urls,
            missing_permissions: Vec::new(),
            replans: 0,
            replans_exhausted: false,
        }
    }

    fn removed(
        statement: Value,
        replaced_by: Option<PermissionGrant>,
        done: bool,
    ) -> RemovedStatement {
        RemovedStatement {
            function_arn: ARN.into(),
            original: StatementRecord {
                sid: statement["Sid"].as_str().unwrap_or("").to_owned(),
                statement,
            },
            replaced_by,
            removed: done,
            restored: false,
        }
    }

    fn s3_statement() -> Value {
        json!({"Sid": "s3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
               "Action": "lambda:InvokeFunction", "Resource": ARN,
               "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}})
    }

    fn pinned() -> PermissionGrant {
        PermissionGrant {
            statement_id: "s3".into(),
            action: "lambda:InvokeFunction".into(),
            principal: "s3.amazonaws.com".into(),
            source_arn: Some("arn:aws:s3:::b".into()),
            source_account: Some(AccountId::parse("123456789012").unwrap()),
            principal_org_id: None,
            event_source_token: None,
            function_url_auth_type: None,
            invoked_via_function_url: None,
            qualifier: None,
        }
    }

    #[test]
    fn a_replacement_is_removed_before_the_original_is_added_back() {
        let r = record(vec![removed(s3_statement(), Some(pinned()), true)], vec![]);
        let actions = restore_actions(&r).unwrap();
        let ops: Vec<_> = actions.iter().map(Action::operation).collect();
        assert_eq!(ops, ["RemovePermission", "AddPermission"]);
        let Action::AddPermission { grant, .. } = &actions[1] else {
            panic!("{actions:?}")
        };
        assert_eq!(grant.source_arn.as_deref(), Some("arn:aws:s3:::b"));
        assert_eq!(
            grant.source_account, None,
            "the original had no SourceAccount"
        );
        let function = FunctionArn::parse(ARN).unwrap();
        assert_eq!(statement_from_grant(grant, &function), s3_statement());
    }

    #[test]
    fn only_what_happened_is_undone_and_urls_come_last() {
        let public = json!({"Sid": "pub", "Effect": "Allow", "Principal": "*",
                            "Action": "lambda:InvokeFunctionUrl", "Resource": ARN,
                            "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}});
        let r = record(
            vec![
                removed(public, None, true),
                removed(s3_statement(), None, false),
            ],
            vec![UrlAuthChange {
                function_arn: ARN.into(),
                original_auth_type: "NONE".into(),
                new_auth_type: "AWS_IAM".into(),
                changed: true,
            }],
        );
        let actions = restore_actions(&r).unwrap();
        assert_eq!(actions.len(), 2, "{actions:?}");
        let Action::AddPermission { grant, .. } = &actions[0] else {
            panic!("{actions:?}")
        };
        assert_eq!(grant.statement_id, "pub");
        assert_eq!(grant.function_url_auth_type.as_deref(), Some("NONE"));
        assert_eq!(
            actions[1],
            Action::SetUrlAuthType {
                function: FunctionArn::parse(ARN).unwrap(),
                auth_type: "NONE".into()
            }
        );
    }

    #[test]
    fn a_statement_add_permission_cannot_write_names_its_sid_and_keeps_the_json() {
        let two_actions = json!({"Sid": "multi", "Effect": "Allow", "Principal": "*",
                                 "Action": ["lambda:InvokeFunction", "lambda:GetPolicy"]});
        let r = record(vec![removed(two_actions.clone(), None, true)], vec![]);
        let err = restore_actions(&r).unwrap_err();
        assert_eq!(
            err,
            RestoreError::NotExpressible {
                sid: "multi".into(),
                reason: NotExpressible::Actions { count: 2 },
                statement: Box::new(two_actions),
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("\"multi\"") && text.contains("lambda:GetPolicy"),
            "{text}"
        );
    }

    #[test]
    fn a_replacement_that_failed_after_the_removal_is_rolled_back() {
        use crate::outcome::FailureKind;
        let function = FunctionArn::parse(ARN).unwrap();
        let remove = Action::RemovePermission {
            function: function.clone(),
            sid: "s3".into(),
            revision_id: Some("r".into()),
            removed: StatementRecord {
                sid: "s3".into(),
                statement: s3_statement(),
            },
            fixes: Vec::new(),
        };
        let add = Action::AddPermission {
            function: function.clone(),
            grant: pinned(),
            fixes: Vec::new(),
        };
        let result = |action: &Action, status: ActionStatus| ActionResult {
            action: action.clone(),
            status,
        };
        let failed = ActionStatus::Failed {
            kind: FailureKind::Transient,
            code: "ServiceException".into(),
            operation: "AddPermission".into(),
        };
        let half = Outcome {
            results: vec![
                result(&remove, ActionStatus::Done),
                result(&add, failed.clone()),
            ],
        };
        let back = rollback_actions(&half);
        assert_eq!(back.len(), 1);
        let Action::AddPermission { grant, .. } = &back[0] else {
            panic!("{back:?}")
        };
        assert_eq!(statement_from_grant(grant, &function), s3_statement());
        let whole = Outcome {
            results: vec![
                result(&remove, ActionStatus::Done),
                result(&add, ActionStatus::Done),
            ],
        };
        assert!(rollback_actions(&whole).is_empty());
        let nothing_removed = Outcome {
            results: vec![
                result(&remove, failed),
                result(&add, ActionStatus::NotAttempted),
            ],
        };
        assert!(rollback_actions(&nothing_removed).is_empty());

        // The audit record sees the rollback, and restore leaves that statement alone.
        let mut history = half.results.clone();
        history.push(result(&back[0], ActionStatus::Done));
        let p = crate::plan::Plan {
            function_arn: function.clone(),
            findings: Vec::new(),
            decisions: Vec::new(),
            actions: vec![remove, add],
        };
        let r = crate::report::audit_record(
            "e",
            "AddPermission20150331v2",
            Mode::Enforce,
            &p,
            &history,
            ComplianceStatus::NonCompliant,
        );
        assert!(r.removed_statements[0].removed && r.removed_statements[0].restored);
        assert!(restore_actions(&r).unwrap().is_empty());
    }

    #[test]
    fn unreadable_records_are_errors_not_panics() {
        let r = record(vec![removed(json!("not a statement"), None, true)], vec![]);
        assert!(matches!(
            restore_actions(&r),
            Err(RestoreError::Unparseable { .. })
        ));
        let mut bad_arn = record(vec![removed(s3_statement(), None, true)], vec![]);
        bad_arn.removed_statements[0].function_arn = "orders-api".into();
        assert!(matches!(
            restore_actions(&bad_arn),
            Err(RestoreError::BadArn { .. })
        ));
        let odd = record(
            vec![],
            vec![UrlAuthChange {
                function_arn: ARN.into(),
                original_auth_type: "MAGIC".into(),
                new_auth_type: "AWS_IAM".into(),
                changed: true,
            }],
        );
        assert!(matches!(
            restore_actions(&odd),
            Err(RestoreError::UnknownAuthType { index: 0, .. })
        ));
    }
}

//! Remediation planning: findings + configuration + the function's tags → ordered actions.
//! Pure; the adapter carries the plan out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::findings::{PermissionGrant, StatementRecord};
use crate::ids::FunctionArn;
use crate::rules::RuleId;

/// One AWS write the adapter performs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `RemovePermission` (<https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html>).
    RemovePermission {
        /// The function, qualified when the statement is in an alias's or version's policy.
        function: FunctionArn,
        /// `StatementId`.
        sid: String,
        /// `RevisionId` of the policy as read; `None` only for the second and later edits of
        /// the same policy in one plan, for which the adapter reads the current `RevisionId`.
        revision_id: Option<String>,
        /// The statement removed, verbatim, so it can be restored.
        removed: StatementRecord,
        /// The findings this removal fixes.
        fixes: Vec<RuleId>,
    },
    /// `AddPermission` (<https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html>).
    AddPermission {
        /// The function, qualified when the policy is an alias's or version's.
        function: FunctionArn,
        /// The statement to add.
        grant: PermissionGrant,
        /// The findings this fixes.
        fixes: Vec<RuleId>,
    },
    /// `UpdateFunctionUrlConfig` with `AuthType=AWS_IAM`
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionUrlConfig.html>).
    RequireIamAuth {
        /// The function, qualified when the URL belongs to an alias.
        function: FunctionArn,
        /// The findings this fixes.
        fixes: Vec<RuleId>,
    },
    /// `TagResource` on the unqualified function
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_TagResource.html>).
    TagResource {
        /// The unqualified function ARN.
        resource: FunctionArn,
        /// Tags to set.
        tags: BTreeMap<String, String>,
    },
}

impl Action {
    /// The AWS API operation this action calls.
    pub fn operation(&self) -> &'static str {
        match self {
            Action::RemovePermission { .. } => "RemovePermission",
            Action::AddPermission { .. } => "AddPermission",
            Action::RequireIamAuth { .. } => "UpdateFunctionUrlConfig",
            Action::TagResource { .. } => "TagResource",
        }
    }

    /// Whether the action edits the resource-based policy (and so belongs to the policy's
    /// isolation group: applied in order, guarded by `RevisionId`).
    pub fn edits_policy(&self) -> bool {
        matches!(
            self,
            Action::RemovePermission { .. } | Action::AddPermission { .. }
        )
    }
}

//! What the adapter did with a plan: one result per action, in order.

use serde::{Deserialize, Serialize};

use crate::plan::Action;

/// The class of an AWS failure, decided once from the SDK's error code by the adapter.
/// It decides what the handler does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// `ThrottlingException`, `TooManyRequestsException`, HTTP 429: retry later.
    Throttled,
    /// HTTP 5xx, timeouts, connection failures: retry later.
    Transient,
    /// `AccessDeniedException`, `AccessDenied`: the remediator lacks a permission.
    AccessDenied,
    /// `ResourceNotFoundException`: the function (or policy, or URL) is gone.
    NotFound,
    /// `PreconditionFailedException` (stale `RevisionId`), `ResourceConflictException`:
    /// someone else changed the resource; re-read and re-plan.
    Conflict,
    /// Any other client error (`InvalidParameterValueException`, ...): permanent.
    Invalid,
}

impl FailureKind {
    /// Whether retrying the same event later can succeed.
    pub fn is_retryable(self) -> bool {
        match self {
            FailureKind::Throttled | FailureKind::Transient | FailureKind::Conflict => true,
            FailureKind::AccessDenied | FailureKind::NotFound | FailureKind::Invalid => false,
        }
    }
}

/// What happened to one action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ActionStatus {
    /// AWS accepted the call.
    Done,
    /// AWS refused it or could not be reached.
    Failed {
        /// The failure class.
        kind: FailureKind,
        /// The AWS error code, e.g. `PreconditionFailedException`, or `dispatch` / `timeout`
        /// when no response came.
        code: String,
        /// The API operation, e.g. `RemovePermission`.
        operation: String,
    },
    /// Not tried, because an earlier action of the plan failed.
    NotAttempted,
}

/// One action and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    /// The planned action.
    pub action: Action,
    /// What happened.
    pub status: ActionStatus,
}

/// Every action of a plan with its result, in the order they were planned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// One entry per planned action.
    pub results: Vec<ActionResult>,
}

impl Outcome {
    /// The first failure, if any.
    pub fn first_failure(&self) -> Option<(&Action, &ActionStatus)> {
        self.results
            .iter()
            .find(|r| matches!(r.status, ActionStatus::Failed { .. }))
            .map(|r| (&r.action, &r.status))
    }

    /// Whether every action was done.
    pub fn all_done(&self) -> bool {
        self.results
            .iter()
            .all(|r| matches!(r.status, ActionStatus::Done))
    }
}

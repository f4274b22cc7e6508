//! The audit record and the alert: what was found, what was done, and every removed statement
//! verbatim, so nothing is lost.

use serde::{Deserialize, Serialize};

use crate::config::Mode;
use crate::findings::{Finding, PermissionGrant, StatementRecord};
use crate::grant::statement_from_grant;
use crate::outcome::{ActionResult, ActionStatus, FailureKind};
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
    /// Whether lambda-warden wrote the original back itself, because the tighter statement
    /// could not be added after the removal (see `restore::rollback_actions`).
    #[serde(default)]
    pub restored: bool,
}

/// A function URL whose `AuthType` lambda-warden changed (or tried to): enough to set it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlAuthChange {
    /// The function whose URL it is (qualified for an alias's URL).
    pub function_arn: String,
    /// `AuthType` before the change, as AWS spells it (`NONE`).
    pub original_auth_type: String,
    /// `AuthType` written: `AWS_IAM`.
    pub new_auth_type: String,
    /// Whether the change happened (`false`: attempted and failed, or not attempted).
    pub changed: bool,
}

/// The IAM action that authorises an API operation lambda-warden calls, e.g.
/// `RemovePermission` → `lambda:RemovePermission`, `Publish` → `sns:Publish`; `None` for an
/// operation it does not call. Lambda's IAM actions carry the API name without the version
/// suffix
/// (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html>,
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html>).
/// The function's state is read with `GetFunctionConfiguration`, `ListTags` and
/// `GetFunctionConcurrency`, never `GetFunction` (whose permission also lets the caller
/// download the function's code), so `GetFunction` has no action here.
pub fn iam_action(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "GetFunctionConfiguration" => "lambda:GetFunctionConfiguration",
        "ListTags" => "lambda:ListTags",
        "GetFunctionConcurrency" => "lambda:GetFunctionConcurrency",
        "GetPolicy" => "lambda:GetPolicy",
        "GetFunctionUrlConfig" => "lambda:GetFunctionUrlConfig",
        "GetFunctionEventInvokeConfig" => "lambda:GetFunctionEventInvokeConfig",
        "GetFunctionCodeSigningConfig" => "lambda:GetFunctionCodeSigningConfig",
        "RemovePermission" => "lambda:RemovePermission",
        "AddPermission" => "lambda:AddPermission",
        "UpdateFunctionUrlConfig" => "lambda:UpdateFunctionUrlConfig",
        "TagResource" => "lambda:TagResource",
        "Publish" => "sns:Publish",
        _ => return None,
    })
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
    /// Every function URL `AuthType` changed (or attempted), with the original value.
    #[serde(default)]
    pub url_auth_changes: Vec<UrlAuthChange>,
    /// The IAM actions lambda-warden's role was refused (`AccessDeniedException` on a write,
    /// or on the `GetPolicy` that reads the current `RevisionId`), e.g.
    /// `lambda:RemovePermission`; sorted, no repeats.
    #[serde(default)]
    pub missing_permissions: Vec<String>,
    /// How many times the policy was read and the plan made again because the policy changed
    /// between read and write (`PreconditionFailedException`).
    #[serde(default)]
    pub replans: u32,
    /// `true` when the policy changed under every attempt, up to `WARDEN_MAX_REPLANS`
    /// re-plans: the remaining fixes were not applied and the event is retried.
    #[serde(default)]
    pub replans_exhausted: bool,
    /// For the record of a plan an earlier invocation could not finish: how a later
    /// evaluation reconciled it, or why it refused to complete it (the record failed its
    /// checks). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<String>,
}

/// What an audit record derives from its actions: every statement removed or replaced, every
/// URL `AuthType` changed, and the IAM actions refused.
fn derived(actions: &[ActionResult]) -> (Vec<RemovedStatement>, Vec<UrlAuthChange>, Vec<String>) {
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
                // A later AddPermission that wrote the original statement back.
                let restored = actions.iter().skip(i + 1).any(|later| match &later.action {
                    Action::AddPermission {
                        function: f, grant, ..
                    } => {
                        later.status == ActionStatus::Done
                            && grant.statement_id == removed.sid
                            && statement_from_grant(grant, f) == removed.statement
                    }
                    _ => false,
                });
                Some(RemovedStatement {
                    function_arn: function.to_string(),
                    original: removed.clone(),
                    replaced_by,
                    removed: r.status == ActionStatus::Done,
                    restored,
                })
            }
            _ => None,
        })
        .collect();
    let url_auth_changes = actions
        .iter()
        .filter_map(|r| match &r.action {
            Action::RequireIamAuth {
                function,
                previous_auth_type: Some(original),
                ..
            } => Some(UrlAuthChange {
                function_arn: function.to_string(),
                original_auth_type: original.clone(),
                new_auth_type: "AWS_IAM".to_owned(),
                changed: r.status == ActionStatus::Done,
            }),
            _ => None,
        })
        .collect();
    let mut missing_permissions: Vec<String> = actions
        .iter()
        .filter_map(|r| match &r.status {
            ActionStatus::Failed {
                kind: FailureKind::AccessDenied,
                operation,
                ..
            } => Some(iam_action(operation).map_or_else(|| operation.clone(), str::to_owned)),
            _ => None,
        })
        .collect();
    missing_permissions.sort();
    missing_permissions.dedup();
    (removed_statements, url_auth_changes, missing_permissions)
}

/// `record` with what it derives from its actions (removed statements, URL changes, refused
/// permissions) computed again from `record.actions`: after a later evaluation read from the
/// live function which of an interrupted plan's actions happened.
pub fn refresh(record: &AuditRecord) -> AuditRecord {
    let (removed_statements, url_auth_changes, missing_permissions) = derived(&record.actions);
    AuditRecord {
        removed_statements,
        url_auth_changes,
        missing_permissions,
        ..record.clone()
    }
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
    let (removed_statements, url_auth_changes, missing_permissions) = derived(actions);
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
        url_auth_changes,
        missing_permissions,
        replans: 0,
        replans_exhausted: false,
        reconciliation: None,
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

/// SNS's limit on a message is 256 KiB
/// (<https://docs.aws.amazon.com/sns/latest/api/API_Publish.html>); alerts stay below this
/// many bytes, leaving room for SNS's own envelope.
pub const MAX_MESSAGE_BYTES: usize = 240 * 1024;

/// The subject line of an alert about `record`.
fn subject(record: &AuditRecord) -> String {
    let worst = record.findings.iter().map(|f| f.severity).max();
    let mut ids: Vec<&str> = record.findings.iter().map(|f| f.rule_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let done = record
        .actions
        .iter()
        .filter(|a| a.status == ActionStatus::Done)
        .count();
    // A PreconditionFailedException that a re-plan overcame is not a failure.
    let failed = record.actions.iter().any(|a| {
        matches!(&a.status, ActionStatus::Failed { kind, .. } if *kind != FailureKind::Conflict)
    });
    let what = if failed {
        "fix failed"
    } else if record.replans_exhausted {
        "fix deferred, policy kept changing"
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
    let needs = if record.missing_permissions.is_empty() {
        String::new()
    } else {
        format!(" (needs {})", record.missing_permissions.join(", "))
    };
    ascii_line(&format!(
        "lambda-warden {severity}: {name} {what}{needs} [{}]",
        ids.join(" ")
    ))
}

/// `subject` cut to fit SNS's [`MAX_SUBJECT_CHARS`] with `suffix` after it (`...` marks a cut).
pub fn fit(mut subject: String, suffix: &str) -> String {
    let room = MAX_SUBJECT_CHARS - suffix.len();
    if subject.chars().count() > room {
        subject.truncate(room - 3);
        subject.push_str("...");
    }
    subject.push_str(suffix);
    subject
}

/// The record without what [`AuditRecord::removed_statements`] already holds verbatim: the
/// statement copies in findings' evidence and fixes and in the actions. Used only when the
/// whole record would not fit in one SNS message.
fn slim(record: &AuditRecord) -> AuditRecord {
    use crate::findings::Fix;
    let mut head = record.clone();
    for f in &mut head.findings {
        f.evidence = serde_json::Value::Null;
        match &mut f.remediation.fix {
            Fix::ReplaceStatement { original, .. } | Fix::RemoveStatement { original } => {
                original.statement = serde_json::Value::Null;
            }
            Fix::RequireIamAuthOnUrl { remove } => {
                for r in remove {
                    r.statement = serde_json::Value::Null;
                }
            }
            Fix::None => {}
        }
    }
    for a in &mut head.actions {
        if let Action::RemovePermission { removed, .. } = &mut a.action {
            removed.statement = serde_json::Value::Null;
        }
    }
    head.removed_statements = Vec::new();
    head
}

/// The alerts for an audit record: a subject a human reads in an inbox, and the record as
/// JSON. Normally one alert. When the record exceeds [`MAX_MESSAGE_BYTES`] (a policy with
/// hundreds of statements removed), the first alert carries the record without duplicated
/// statement copies, and the removed statements, still verbatim, are spread over as many
/// alerts as needed; each message is itself an [`AuditRecord`] (so `restore` works on each
/// part) and each subject ends with `(part i/n)`. Nothing removed is ever left out.
///
/// # Errors
/// Serialising the record to JSON fails only if it holds a non-string map key, which it never
/// does; the error is returned rather than hidden.
pub fn alerts(record: &AuditRecord) -> Result<Vec<Alert>, serde_json::Error> {
    let subject = subject(record);
    let full = serde_json::to_string(record)?;
    if full.len() <= MAX_MESSAGE_BYTES {
        return Ok(vec![Alert {
            subject: fit(subject, ""),
            message: full,
        }]);
    }
    let head = slim(record);
    let mut parts: Vec<AuditRecord> = vec![head.clone()];
    let continuation = AuditRecord {
        findings: Vec::new(),
        fixes: Vec::new(),
        actions: Vec::new(),
        ..head
    };
    for removed in &record.removed_statements {
        let last = parts.len() - 1;
        parts[last].removed_statements.push(removed.clone());
        if serde_json::to_string(&parts[last])?.len() > MAX_MESSAGE_BYTES
            && parts[last].removed_statements.len() > 1
        {
            parts[last].removed_statements.pop();
            let mut next = continuation.clone();
            next.removed_statements.push(removed.clone());
            parts.push(next);
        }
    }
    let total = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            Ok(Alert {
                subject: fit(subject.clone(), &format!(" (part {}/{total})", i + 1)),
                message: serde_json::to_string(part)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Fix, FixSafety, Remediation, Severity};
    use crate::ids::FunctionArn;
    use crate::outcome::ActionResult;
    use crate::rule_id::RuleId;
    use serde_json::json;

    fn arn() -> FunctionArn {
        FunctionArn::parse("arn:aws:lambda:us-east-1:123456789012:function:payments-api").unwrap()
    }

    fn plan(actions: Vec<Action>) -> Plan {
        Plan {
            function_arn: arn(),
            findings: vec![Finding {
                rule_id: RuleId::LW001,
                severity: Severity::Critical,
                resource_arn: arn().to_string(),
                sid: Some("pub".into()),
                message: String::new(),
                evidence: json!(null),
                remediation: Remediation {
                    safety: FixSafety::Unsafe,
                    fix: Fix::None,
                    text: String::new(),
                },
            }],
            decisions: vec![FixDecision::Apply { actions: vec![0] }],
            actions,
        }
    }

    fn remove() -> Action {
        Action::RemovePermission {
            function: arn(),
            sid: "pub".into(),
            revision_id: Some("r".into()),
            removed: StatementRecord {
                sid: "pub".into(),
                statement: json!({"Sid": "pub", "Principal": "*"}),
            },
            fixes: vec![RuleId::LW001],
        }
    }

    fn failed(kind: FailureKind, operation: &str) -> ActionStatus {
        ActionStatus::Failed {
            kind,
            code: "X".into(),
            operation: operation.into(),
        }
    }

    #[test]
    fn iam_actions_are_named_for_every_operation_called() {
        assert_eq!(
            iam_action("RemovePermission"),
            Some("lambda:RemovePermission")
        );
        assert_eq!(iam_action("Publish"), Some("sns:Publish"));
        assert_eq!(iam_action("GetPolicy"), Some("lambda:GetPolicy"));
        for op in [
            "GetFunctionConfiguration",
            "ListTags",
            "GetFunctionConcurrency",
            "GetFunctionUrlConfig",
            "AddPermission",
            "UpdateFunctionUrlConfig",
            "TagResource",
        ] {
            assert_eq!(iam_action(op), Some(format!("lambda:{op}").as_str()));
        }
        assert_eq!(iam_action("DeleteFunction"), None);
        // Reading never needs the permission that downloads code.
        assert_eq!(iam_action("GetFunction"), None);
    }

    #[test]
    fn refused_writes_name_the_missing_permission_in_record_and_subject() {
        let a = remove();
        let results = vec![ActionResult {
            action: a.clone(),
            status: failed(FailureKind::AccessDenied, "RemovePermission"),
        }];
        let r = audit_record(
            "e",
            "AddPermission20150331v2",
            Mode::Enforce,
            &plan(vec![a]),
            &results,
            ComplianceStatus::NonCompliant,
        );
        assert_eq!(r.missing_permissions, ["lambda:RemovePermission"]);
        assert!(!r.removed_statements[0].removed);
        let subject = alerts(&r).unwrap().remove(0).subject;
        assert!(
            subject.contains("fix failed (needs lambda:RemovePermission)"),
            "{subject}"
        );
    }

    #[test]
    fn a_conflict_overcome_by_a_re_plan_is_not_a_failed_fix() {
        let a = remove();
        let results = vec![
            ActionResult {
                action: a.clone(),
                status: failed(FailureKind::Conflict, "RemovePermission"),
            },
            ActionResult {
                action: a.clone(),
                status: ActionStatus::Done,
            },
        ];
        let mut r = audit_record(
            "e",
            "AddPermission20150331v2",
            Mode::Enforce,
            &plan(vec![a]),
            &results,
            ComplianceStatus::Compliant,
        );
        assert!(r.missing_permissions.is_empty());
        assert!(alerts(&r).unwrap().remove(0).subject.contains(" fixed "));
        r.replans_exhausted = true;
        r.actions.truncate(1);
        assert!(alerts(&r).unwrap()[0]
            .subject
            .contains("policy kept changing"));
    }

    #[test]
    fn url_changes_keep_the_original_auth_type() {
        let a = Action::RequireIamAuth {
            function: arn(),
            fixes: vec![RuleId::LW004],
            previous_auth_type: Some("NONE".into()),
        };
        let results = vec![ActionResult {
            action: a.clone(),
            status: ActionStatus::Done,
        }];
        let r = audit_record(
            "e",
            "CreateFunctionUrlConfig",
            Mode::Enforce,
            &plan(vec![a]),
            &results,
            ComplianceStatus::Compliant,
        );
        assert_eq!(
            r.url_auth_changes,
            [UrlAuthChange {
                function_arn: arn().to_string(),
                original_auth_type: "NONE".into(),
                new_auth_type: "AWS_IAM".into(),
                changed: true,
            }]
        );
        // Records written before these fields existed still read.
        let mut old = serde_json::to_value(&r).unwrap();
        for k in [
            "url_auth_changes",
            "missing_permissions",
            "replans",
            "replans_exhausted",
        ] {
            old.as_object_mut().unwrap().remove(k);
        }
        let back: AuditRecord = serde_json::from_value(old).unwrap();
        assert!(back.url_auth_changes.is_empty() && back.replans == 0);
    }

    #[test]
    fn a_record_too_big_for_sns_is_split_and_loses_no_statement() {
        let big = "x".repeat(4_000);
        let removed: Vec<RemovedStatement> = (0..150)
            .map(|i| RemovedStatement {
                function_arn: arn().to_string(),
                original: StatementRecord {
                    sid: format!("pub-{i}"),
                    statement: json!({"Sid": format!("pub-{i}"), "Effect": "Allow",
                        "Principal": "*", "Action": "lambda:InvokeFunction", "Padding": big}),
                },
                replaced_by: None,
                removed: true,
                restored: false,
            })
            .collect();
        let mut r = audit_record(
            "e",
            "AddPermission20150331v2",
            Mode::Enforce,
            &plan(Vec::new()),
            &[],
            ComplianceStatus::Compliant,
        );
        r.removed_statements = removed.clone();
        let parts = alerts(&r).unwrap();
        assert!(parts.len() > 1, "{} parts", parts.len());
        let mut seen = Vec::new();
        for (i, a) in parts.iter().enumerate() {
            assert!(
                a.message.len() <= MAX_MESSAGE_BYTES,
                "part {i}: {}",
                a.message.len()
            );
            assert!(
                a.subject.chars().count() <= MAX_SUBJECT_CHARS,
                "{}",
                a.subject
            );
            assert!(a
                .subject
                .ends_with(&format!("(part {}/{})", i + 1, parts.len())));
            let part: AuditRecord = serde_json::from_str(&a.message).unwrap();
            seen.extend(part.removed_statements);
        }
        assert_eq!(seen, removed, "every removed statement, verbatim, in order");
        // A small record stays one alert, whole.
        let small = alerts(&audit_record(
            "e",
            "AddPermission20150331v2",
            Mode::Enforce,
            &plan(Vec::new()),
            &[],
            ComplianceStatus::Compliant,
        ))
        .unwrap();
        assert_eq!(small.len(), 1);
        assert!(!small[0].subject.contains("part"));
    }
}

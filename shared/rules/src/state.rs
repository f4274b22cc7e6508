//! lambda-warden's own state, as kept in the state table (DynamoDB) by the adapter: what was
//! reported about each evaluated resource, the exemptions approvers granted, and the
//! write-ahead audit trail. Pure: the shapes, and every decision made from them.
//!
//! Tags on a function are a *display* of this state: anyone with `lambda:TagResource` can
//! write them, so nothing here is ever read from a tag. Only lambda-warden's roles (and the
//! approvers, for exemptions) can write the table (its resource-based policy; see the README).

use serde::{Deserialize, Serialize};

use crate::dates::{days_from_civil, DAY_SECONDS};
use crate::findings::{Finding, Severity};
use crate::outcome::{ActionResult, ActionStatus};
use crate::plan::Action;
use crate::policy::pattern::wildcard_match;
use crate::report::{self, Alert, AuditRecord};
use crate::rule_id::RuleId;
use crate::snapshot::{FunctionSnapshot, FunctionUrlAuthType};
use crate::tags::{self, ComplianceStatus};

/// One open finding as remembered: enough to tell one finding set from another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenFinding {
    /// The rule.
    pub rule_id: RuleId,
    /// The statement it is about, when it is about one.
    pub sid: Option<String>,
    /// Its severity.
    pub severity: Severity,
}

/// What lambda-warden last recorded about one resource (function, alias, version or layer
/// version), keyed by the resource's ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceState {
    /// The resource's ARN (qualified for an alias or version).
    pub resource_arn: String,
    /// When the evaluation that wrote this began reading the resource, in milliseconds since
    /// the Unix epoch: an evaluation that read earlier than the stored one loses
    /// ([`accepts`]).
    pub read_at_ms: i64,
    /// The status after the evaluation's actions.
    pub status: ComplianceStatus,
    /// The open findings.
    pub open: Vec<OpenFinding>,
    /// [`tags::fingerprint`] of the open findings: the alert de-duplication source.
    pub fingerprint: String,
    /// The CloudTrail event (or sweep run) of the evaluation.
    pub event_id: String,
}

impl ResourceState {
    /// The state that `open` findings give, read at `read_at_ms`.
    pub fn of(resource_arn: &str, read_at_ms: i64, open: &[&Finding], event_id: &str) -> Self {
        ResourceState {
            resource_arn: resource_arn.to_owned(),
            read_at_ms,
            status: ComplianceStatus::of(open.iter().copied()),
            open: open
                .iter()
                .map(|f| OpenFinding {
                    rule_id: f.rule_id,
                    sid: f.sid.clone(),
                    severity: f.severity,
                })
                .collect(),
            fingerprint: tags::fingerprint(open.iter().copied()),
            event_id: event_id.to_owned(),
        }
    }
}

/// Whether a state read at `incoming_read_at_ms` may replace `stored`: only when it was read
/// no earlier than the stored one (the same evaluation writes its state more than once). The
/// adapter sends this as a DynamoDB condition, so two instances never both win
/// (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html>).
pub fn accepts(stored: Option<&ResourceState>, incoming_read_at_ms: i64) -> bool {
    stored.is_none_or(|s| s.read_at_ms <= incoming_read_at_ms)
}

/// An exemption, effective only as recorded in the state table: granted by an approver's
/// `TagResource` of [`tags::EXEMPT`] (seen in its CloudTrail event) or by `lambda-warden
/// exempt`. The tag alone exempts nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exemption {
    /// The exempt resource's ARN (the unqualified function ARN exempts the function, its
    /// aliases and versions).
    pub resource_arn: String,
    /// Why (the tag's value, or `--reason`).
    pub reason: String,
    /// Who granted it: the IAM principal ARN of the `TagResource` call, or the CLI caller's.
    pub approved_by: String,
    /// When, in seconds since the Unix epoch.
    pub approved_at: i64,
    /// When it ends (exclusive), in seconds since the Unix epoch; `None`: until revoked.
    pub until: Option<i64>,
    /// Where it came from: the CloudTrail `eventID` of the `TagResource`, or `cli`.
    pub source: String,
    /// Whether lambda-warden has alerted that it honours this exemption (once per exemption).
    pub alerted: bool,
}

impl Exemption {
    /// Whether it exempts at `now` (seconds since the Unix epoch).
    pub fn in_force(&self, now: i64) -> bool {
        self.until.is_none_or(|u| now < u)
    }
}

/// The tag that sets an exemption's end: `YYYY-MM-DD`, the last day it holds (UTC).
pub const EXEMPT_UNTIL: &str = "lambda-warden:exempt-until";

/// The instant an exemption `until` date ends: 00:00 UTC of the day after `YYYY-MM-DD`, in
/// seconds since the Unix epoch; `None` when `date` is not such a date.
pub fn end_of_day(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if !(1970..=9999).contains(&y) || d == 0 || d > days_in_month {
        return None;
    }
    Some((days_from_civil(y, m, d) + 1) * DAY_SECONDS)
}

/// What a `TagResource` / `UntagResource` event means for the exemption of its function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExemptionChange {
    /// An approver set [`tags::EXEMPT`]: record this exemption.
    Grant(Exemption),
    /// An approver removed [`tags::EXEMPT`]: delete the recorded exemption.
    Revoke {
        /// The approver.
        by: String,
    },
    /// Someone who is not an approver set or removed the tag: nothing is recorded (an exempt
    /// tag without a record is an unapproved exemption, LW025).
    NotApproved {
        /// The caller's principal ARN, when the event carried one.
        by: Option<String>,
    },
    /// The function was created (`CreateFunction`) at `created_at` (seconds since the Unix
    /// epoch): an exemption approved before then belongs to an earlier function of the same
    /// name, deleted since, and is dropped ([`outlived_by`]). Lambda gives a function no
    /// identity beyond its ARN, which a new function of the same name reuses.
    Recreated {
        /// When the function was created.
        created_at: i64,
    },
}

/// Whether `exemption` was approved before a function of its name was created at
/// `created_at` (seconds since the Unix epoch), so it exempted an earlier function.
pub fn outlived_by(exemption: &Exemption, created_at: i64) -> bool {
    exemption.approved_at < created_at
}

/// The instant of a CloudTrail `eventTime`, `YYYY-MM-DDTHH:MM:SSZ` (UTC; fractional seconds
/// are ignored), in seconds since the Unix epoch; `None` for any other shape
/// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>).
pub fn parse_event_time(time: &str) -> Option<i64> {
    let (date, rest) = time.trim().split_once('T')?;
    let clock = rest.strip_suffix('Z')?;
    instant(date, clock, 0)
}

/// The instant of a function's `LastModified`, ISO 8601 `YYYY-MM-DDThh:mm:ss.sTZD` with a
/// `+hhmm` / `-hhmm` offset (`2019-10-07T19:55:07.944+0000`; `+hh:mm` and `Z` are read too), in
/// seconds since the Unix epoch; `None` for any other shape
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html#lambda-Type-FunctionConfiguration-LastModified>).
pub fn parse_last_modified(time: &str) -> Option<i64> {
    let (date, rest) = time.trim().split_once('T')?;
    if let Some(clock) = rest.strip_suffix('Z') {
        return instant(date, clock, 0);
    }
    let at = rest.rfind(['+', '-'])?;
    let (clock, zone) = rest.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hh, mm): (i64, i64) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    if hh > 23 || mm > 59 {
        return None;
    }
    instant(date, clock, sign * (hh * 3600 + mm * 60))
}

/// `date` (`YYYY-MM-DD`) at `clock` (`HH:MM:SS`, fractional seconds ignored) in a zone
/// `offset` seconds east of UTC, in seconds since the Unix epoch.
fn instant(date: &str, clock: &str, offset: i64) -> Option<i64> {
    let day_end = end_of_day(date)?;
    let clock = clock.split_once('.').map_or(clock, |(whole, _)| whole);
    let mut parts = clock.splitn(3, ':');
    let mut field = |max: i64| -> Option<i64> {
        let text = parts.next()?;
        let v: i64 = text.parse().ok()?;
        (text.len() == 2 && (0..max).contains(&v)).then_some(v)
    };
    let (h, m, sec) = (field(24)?, field(60)?, field(61)?);
    Some(day_end - DAY_SECONDS + h * 3600 + m * 60 + sec - offset)
}

/// Whether `principal_arns` (the caller's ARN and, for a role session, its role's ARN) match
/// one of the approver `patterns` (`*` any run, `?` one character, case-sensitive as IAM's
/// `ArnLike`: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN>).
/// Returns the matching principal ARN.
pub fn approver<'a>(patterns: &[String], principal_arns: &[&'a str]) -> Option<&'a str> {
    principal_arns
        .iter()
        .copied()
        .find(|arn| patterns.iter().any(|p| wildcard_match(p, arn)))
}

/// The exemption change a tag event makes, or `None` when it does not touch
/// [`tags::EXEMPT`] or [`EXEMPT_UNTIL`]. `set` are the tags a `TagResource` set, `removed` the
/// keys an `UntagResource` removed; `principal_arns` are the caller's ARNs (see
/// [`approver`]); `resource_arn` the tagged function; `event_id` the CloudTrail event;
/// `now` when the tag change was made (the event's `eventTime`, seconds since the Unix epoch):
/// the exemption's `approved_at`.
///
/// An `until` date that does not parse, or lies in the past, makes the grant not approved:
/// an exemption is never recorded with an end it does not have.
pub fn exemption_change(
    set: &std::collections::BTreeMap<String, String>,
    removed: &[String],
    principal_arns: &[&str],
    approvers: &[String],
    resource_arn: &str,
    event_id: &str,
    now: i64,
) -> Option<ExemptionChange> {
    let sets = set.get(tags::EXEMPT);
    let removes = removed.iter().any(|k| k == tags::EXEMPT);
    if sets.is_none() && !removes && !set.contains_key(EXEMPT_UNTIL) {
        return None;
    }
    let not_approved = || ExemptionChange::NotApproved {
        by: principal_arns.first().map(|s| (*s).to_owned()),
    };
    let Some(by) = approver(approvers, principal_arns) else {
        return Some(not_approved());
    };
    if removes {
        return Some(ExemptionChange::Revoke { by: by.to_owned() });
    }
    let Some(reason) = sets else {
        // Only the end date changed: the approver must set the exemption again with it.
        return Some(not_approved());
    };
    let until = match set.get(EXEMPT_UNTIL) {
        None => None,
        Some(date) => match end_of_day(date) {
            Some(t) if t > now => Some(t),
            _ => return Some(not_approved()),
        },
    };
    Some(ExemptionChange::Grant(Exemption {
        resource_arn: resource_arn.to_owned(),
        reason: reason.clone(),
        approved_by: by.to_owned(),
        approved_at: now,
        until,
        source: event_id.to_owned(),
        alerted: false,
    }))
}

/// Whether an alert is due for `open` findings after an evaluation that `attempted` actions:
/// any attempted action is reported; otherwise only when some open finding is at or above
/// `min_severity` and either the open set differs from the one `recorded` (the state table's
/// fingerprint; `None` when nothing is recorded, or there is no state table) or a finding at or
/// above `min_severity` is more severe than when it was recorded (a function URL that was
/// `HIGH` and is now `CRITICAL`, a finding that was below `min_severity` and now reaches it:
/// same rule and `Sid`, so the same fingerprint, yet news).
pub fn alert_due(
    recorded: Option<&ResourceState>,
    open: &[&Finding],
    attempted: bool,
    min_severity: Severity,
) -> bool {
    let alertable = open.iter().any(|f| f.severity >= min_severity);
    let Some(recorded) = recorded else {
        return attempted || alertable;
    };
    let new_set = recorded.fingerprint != tags::fingerprint(open.iter().copied());
    let escalated = open.iter().any(|f| {
        f.severity >= min_severity
            && recorded
                .open
                .iter()
                .find(|o| o.rule_id == f.rule_id && o.sid == f.sid)
                .is_some_and(|o| o.severity < f.severity)
    });
    attempted || (alertable && (new_set || escalated))
}

/// Where an audit record stands in the write-ahead trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditStatus {
    /// Stored before the first write of its plan; the writes may or may not have happened.
    InProgress,
    /// Every action ran (each action's own result says whether it succeeded).
    Done,
    /// An action failed, or the invocation stopped before all ran.
    Failed,
    /// Found `in_progress` by a later evaluation, which read what had happened from the live
    /// function, completed what was left half done, and recorded it.
    Reconciled,
}

impl AuditStatus {
    /// The snake_case name stored in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditStatus::InProgress => "in_progress",
            AuditStatus::Done => "done",
            AuditStatus::Failed => "failed",
            AuditStatus::Reconciled => "reconciled",
        }
    }

    /// The status of a finished plan: `done` when no action failed or was left out.
    pub fn of(results: &[ActionResult]) -> Self {
        if results.iter().all(|r| r.status == ActionStatus::Done) {
            AuditStatus::Done
        } else {
            AuditStatus::Failed
        }
    }
}

/// One audit record as the state table holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAudit {
    /// The record id ([`audit_id`]).
    pub id: String,
    /// Where the record stands.
    pub status: AuditStatus,
    /// When it was first stored, in seconds since the Unix epoch.
    pub created_at: i64,
    /// When it last changed, in seconds since the Unix epoch.
    pub updated_at: i64,
    /// Why the invocation stopped before all writes ran, when it did (e.g. the deadline).
    #[serde(default)]
    pub stopped: Option<String>,
    /// The latest time the invocation that stored the record can still be running, in
    /// milliseconds since the Unix epoch: its Lambda deadline (`Context::deadline`), or, for a
    /// caller without one (the command line), [`WRITER_BOUND_SECS`] after it stored the
    /// record. `None` in records stored before the field existed ([`writer_may_run`] then
    /// takes `updated_at` plus [`WRITER_BOUND_SECS`]).
    #[serde(default)]
    pub writer_deadline_ms: Option<i64>,
    /// The record: while `in_progress`, every planned action with status `not_attempted` and
    /// every statement to remove, verbatim.
    pub record: AuditRecord,
}

/// The id of the audit record of the evaluation of `resource_arn` that read it at
/// `read_at_ms` for event `event_id`: the read time (13 digits, so ids sort by time) and a
/// 16-hex-digit hash of the event and resource, e.g. `1764000000000-0123456789abcdef`.
pub fn audit_id(read_at_ms: i64, event_id: &str, resource_arn: &str) -> String {
    format!(
        "{:013}-{}",
        read_at_ms.max(0),
        tags::fingerprint_text(&format!("{event_id}\n{resource_arn}"))
    )
}

/// Whether `id` has the shape of an [`audit_id`].
pub fn is_audit_id(id: &str) -> bool {
    let Some((time, hash)) = id.split_once('-') else {
        return false;
    };
    time.len() == 13
        && time.bytes().all(|b| b.is_ascii_digit())
        && hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// How long, in seconds, an invocation that stored an `in_progress` record without a deadline
/// is taken to be possibly still running: 900 s, Lambda's longest function timeout
/// (<https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>). A plan's writes
/// are a handful of calls, each bounded by the operation timeout (15 s by default).
pub const WRITER_BOUND_SECS: i64 = 900;

/// Whether the invocation that stored `audit` may still be running at `now_ms` (milliseconds
/// since the Unix epoch): its deadline ([`StoredAudit::writer_deadline_ms`], else `updated_at`
/// plus [`WRITER_BOUND_SECS`]) has not passed. A record still `in_progress` whose writer may be
/// running is not reconciled by another invocation: it would race the writer's own writes
/// (an `AddPermission` completed twice, a removal counted as not attempted).
pub fn writer_may_run(audit: &StoredAudit, now_ms: i64) -> bool {
    audit.status == AuditStatus::InProgress && now_ms <= writer_deadline_ms(audit)
}

/// The latest time, in milliseconds since the Unix epoch, `audit`'s writer may run:
/// [`StoredAudit::writer_deadline_ms`], else `updated_at` plus [`WRITER_BOUND_SECS`].
pub fn writer_deadline_ms(audit: &StoredAudit) -> i64 {
    audit
        .writer_deadline_ms
        .unwrap_or_else(|| writer_deadline(None, audit.updated_at.saturating_mul(1000)))
}

/// The writer deadline to store in a record written at `stored_at_ms` (milliseconds since the
/// Unix epoch) by an invocation whose Lambda deadline is `lambda_deadline_ms`
/// (`Context::deadline`; `None` outside Lambda): that deadline, else `stored_at_ms` plus
/// [`WRITER_BOUND_SECS`].
pub fn writer_deadline(lambda_deadline_ms: Option<i64>, stored_at_ms: i64) -> i64 {
    lambda_deadline_ms
        .unwrap_or_else(|| stored_at_ms.saturating_add(WRITER_BOUND_SECS.saturating_mul(1000)))
}

/// What a later evaluation learns about an `in_progress` record from the live function.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciliation {
    /// Each planned action with the status the live function shows: `done` when its effect is
    /// there, `not_attempted` when it is not.
    pub results: Vec<ActionResult>,
    /// The actions to run now: the `AddPermission` of each replacement whose
    /// `RemovePermission` happened and whose tighter statement is missing, so no caller stays
    /// without the access the plan meant to keep.
    pub complete: Vec<Action>,
}

/// Reads from `snapshot` (the live function, read after the interruption) what became of each
/// action of the interrupted `record`.
///
/// - `RemovePermission`: done when the policy no longer holds the removed statement verbatim
///   under its Sid.
/// - `AddPermission`: done when the policy holds a statement with the grant's Sid that is
///   not the statement it replaces.
/// - `RequireIamAuth`: done when the URL's `AuthType` is `AWS_IAM` (or the URL is gone).
///
/// A policy or URL that cannot be read counts as not done: nothing is completed blind.
pub fn reconcile(record: &AuditRecord, snapshot: &FunctionSnapshot) -> Reconciliation {
    let live = live_statements(snapshot);
    let sid_is = |sid: &str| -> Option<Option<&serde_json::Value>> {
        live.as_ref().map(|l| {
            l.iter()
                .find(|s| s.get("Sid").and_then(|v| v.as_str()) == Some(sid))
        })
    };
    let planned: Vec<&Action> = record.actions.iter().map(|r| &r.action).collect();
    let mut results = Vec::with_capacity(planned.len());
    let mut complete = Vec::new();
    for (i, action) in planned.iter().enumerate() {
        let done = match action {
            Action::RemovePermission { sid, removed, .. } => {
                matches!(sid_is(sid), Some(found) if found != Some(&removed.statement))
            }
            Action::AddPermission { grant, .. } => {
                let original = i.checked_sub(1).and_then(|j| match planned[j] {
                    Action::RemovePermission { sid, removed, .. } if *sid == grant.statement_id => {
                        Some(&removed.statement)
                    }
                    _ => None,
                });
                matches!(sid_is(&grant.statement_id), Some(Some(s)) if Some(s) != original)
            }
            Action::RequireIamAuth { .. } => match snapshot.url.value() {
                Some(Some(url)) => url.auth_type == FunctionUrlAuthType::AwsIam,
                Some(None) => true,
                None => false,
            },
            Action::SetUrlAuthType { .. } | Action::TagResource { .. } => false,
        };
        results.push(ActionResult {
            action: (*action).clone(),
            status: if done {
                ActionStatus::Done
            } else {
                ActionStatus::NotAttempted
            },
        });
    }
    for (i, r) in results.iter().enumerate() {
        if let (Action::AddPermission { grant, .. }, ActionStatus::NotAttempted) =
            (&r.action, &r.status)
        {
            let removed_before = i.checked_sub(1).is_some_and(|j| {
                matches!(&results[j], ActionResult {
                    action: Action::RemovePermission { sid, .. },
                    status: ActionStatus::Done,
                } if *sid == grant.statement_id)
            });
            // The Sid must be free, or AddPermission would fail (ResourceConflictException).
            if removed_before && matches!(sid_is(&grant.statement_id), Some(None)) {
                complete.push(r.action.clone());
            }
        }
    }
    Reconciliation { results, complete }
}

/// `record` as it reads once the actions of `complete` ([`Reconciliation::complete`]) have
/// run: each `AddPermission` recorded as the `replaced_by` of the removed statement it takes
/// the place of (same function, same Sid), so the checks a restore makes
/// (`restore::restore_actions`: the replacement keeps its original's Sid, names the record's
/// function and adds only a pin) also judge what reconciliation would add.
///
/// # Errors
/// The `Sid` of an `AddPermission` that replaces no statement the record lists as removed: a
/// record whose actions and removed statements disagree is not completed.
pub fn with_completions(record: &AuditRecord, complete: &[Action]) -> Result<AuditRecord, String> {
    let mut out = record.clone();
    for action in complete {
        let Action::AddPermission {
            function, grant, ..
        } = action
        else {
            continue;
        };
        let function = function.to_string();
        let entry = out
            .removed_statements
            .iter_mut()
            .find(|r| r.function_arn == function && r.original.sid == grant.statement_id)
            .ok_or_else(|| grant.statement_id.clone())?;
        entry.replaced_by = Some(grant.clone());
        entry.removed = true;
    }
    Ok(out)
}

/// The statements of the live policy: `Some(vec![])` when the function has no policy, `None`
/// when it could not be read or parsed.
fn live_statements(snapshot: &FunctionSnapshot) -> Option<Vec<serde_json::Value>> {
    match snapshot.policy.value()? {
        None => Some(Vec::new()),
        Some(doc) => {
            let v: serde_json::Value = serde_json::from_str(&doc.json).ok()?;
            match v.get("Statement")? {
                serde_json::Value::Array(a) => Some(a.clone()),
                s @ serde_json::Value::Object(_) => Some(vec![s.clone()]),
                _ => None,
            }
        }
    }
}

/// `text` cut into pieces of at most `max_bytes` bytes each (at least 4, the longest UTF-8
/// character), on character boundaries; joining the pieces gives `text` back. Empty text is
/// one empty piece.
pub fn chunks(text: &str, max_bytes: usize) -> Vec<&str> {
    let max = max_bytes.max(4);
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push(head);
        rest = tail;
    }
    out.push(rest);
    out
}

/// The alert that lambda-warden honours `exemption` (sent once per exemption): the
/// exemption as JSON, schema `lambda-warden.exemption/1`.
///
/// # Errors
/// Never in practice (the record has only string keys); the serialiser's error is returned.
pub fn exemption_alert(exemption: &Exemption) -> Result<Alert, serde_json::Error> {
    let name = exemption
        .resource_arn
        .split(":function:")
        .nth(1)
        .unwrap_or(&exemption.resource_arn);
    let subject: String = format!("lambda-warden exemption honoured: {name}")
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
        .collect();
    let mut message = serde_json::to_value(exemption)?;
    if let serde_json::Value::Object(m) = &mut message {
        m.insert(
            "schema".to_owned(),
            serde_json::Value::String("lambda-warden.exemption/1".to_owned()),
        );
    }
    Ok(Alert {
        subject: report::fit(subject, ""),
        message: serde_json::to_string(&message)?,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const APPROVER: &str = "arn:aws:iam::111122223333:role/security-approver";
    const DEV: &str = "arn:aws:sts::111122223333:assumed-role/developer/jane";
    const FUNCTION: &str = "arn:aws:lambda:us-east-1:111122223333:function:f";

    fn set(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn change(pairs: &[(&str, &str)], removed: &[&str], by: &str) -> Option<ExemptionChange> {
        let removed: Vec<String> = removed.iter().map(|s| (*s).to_owned()).collect();
        exemption_change(
            &set(pairs),
            &removed,
            &[by],
            &["arn:aws:iam::111122223333:role/security-*".to_owned()],
            FUNCTION,
            "event-1",
            1_800_000_000,
        )
    }

    fn stored(status: AuditStatus, writer_deadline_ms: Option<i64>) -> StoredAudit {
        let record: AuditRecord = serde_json::from_value(serde_json::json!({
            "schema": "lambda-warden.audit/1",
            "event_id": "e-1",
            "event_name": "AddPermission20150331v2",
            "function_arn": FUNCTION,
            "mode": "enforce",
            "status": "non-compliant",
            "findings": [], "fixes": [], "actions": [], "removed_statements": [],
            "url_auth_changes": [], "missing_permissions": [],
            "replans": 0, "replans_exhausted": false,
        }))
        .expect("an audit record");
        StoredAudit {
            id: "1800000000000-0123456789abcdef".to_owned(),
            status,
            created_at: 1_800_000_000,
            updated_at: 1_800_000_000,
            stopped: None,
            writer_deadline_ms,
            record,
        }
    }

    fn finding(rule_id: RuleId, sid: &str, severity: Severity) -> Finding {
        Finding {
            rule_id,
            severity,
            resource_arn: FUNCTION.into(),
            sid: Some(sid.into()),
            message: String::new(),
            evidence: serde_json::Value::Null,
            remediation: crate::findings::Remediation {
                safety: crate::findings::FixSafety::Manual,
                fix: crate::findings::Fix::None,
                text: String::new(),
            },
        }
    }

    #[test]
    fn an_alert_is_due_for_a_new_set_or_a_finding_grown_more_severe() {
        let high = finding(RuleId::LW004, "url", Severity::High);
        let critical = finding(RuleId::LW004, "url", Severity::Critical);
        let medium = finding(RuleId::LW011, "", Severity::Medium);
        let recorded = ResourceState::of(FUNCTION, 1, &[&high, &medium], "e-1");
        // Nothing recorded: any alertable finding.
        assert!(alert_due(None, &[&high], false, Severity::High));
        assert!(!alert_due(None, &[&medium], false, Severity::High));
        // The same set at the same severities: already alerted.
        assert!(!alert_due(
            Some(&recorded),
            &[&high, &medium],
            false,
            Severity::High
        ));
        // Same rule and Sid (same fingerprint), higher severity: news.
        assert!(alert_due(
            Some(&recorded),
            &[&critical, &medium],
            false,
            Severity::High
        ));
        // Recorded below the alert threshold, now at it.
        let medium_now_high = finding(RuleId::LW011, "", Severity::High);
        let quiet = ResourceState::of(FUNCTION, 1, &[&medium], "e-1");
        assert!(alert_due(
            Some(&quiet),
            &[&medium_now_high],
            false,
            Severity::High
        ));
        // Less severe than recorded: no alert on that alone.
        let lower = ResourceState::of(FUNCTION, 1, &[&critical], "e-1");
        assert!(!alert_due(Some(&lower), &[&high], false, Severity::High));
        // Growing below the threshold is not alerted.
        let low = finding(RuleId::LW010, "", Severity::Low);
        let low_recorded = ResourceState::of(FUNCTION, 1, &[&low], "e-1");
        let low_now_medium = finding(RuleId::LW010, "", Severity::Medium);
        assert!(!alert_due(
            Some(&low_recorded),
            &[&low_now_medium],
            false,
            Severity::High
        ));
        // Attempted actions are always reported.
        assert!(alert_due(
            Some(&recorded),
            &[&high, &medium],
            true,
            Severity::High
        ));
    }

    #[test]
    fn a_record_is_left_to_its_writer_until_the_writer_s_deadline() {
        let deadline = 1_800_000_060_000;
        let audit = stored(AuditStatus::InProgress, Some(deadline));
        assert!(writer_may_run(&audit, 1_800_000_000_000));
        assert!(writer_may_run(&audit, deadline));
        assert!(!writer_may_run(&audit, deadline + 1));
        // Without a recorded deadline: Lambda's longest timeout after the last update.
        let old = stored(AuditStatus::InProgress, None);
        let bound = (1_800_000_000 + WRITER_BOUND_SECS) * 1000;
        assert!(writer_may_run(&old, bound));
        assert!(!writer_may_run(&old, bound + 1));
        // A finished record has no writer left.
        for status in [
            AuditStatus::Done,
            AuditStatus::Failed,
            AuditStatus::Reconciled,
        ] {
            assert!(!writer_may_run(&stored(status, Some(deadline)), 0));
        }
    }

    #[test]
    fn only_an_approver_s_tag_grants_an_exemption() {
        assert_eq!(change(&[(tags::AUTO_FIX, "true")], &[], APPROVER), None);
        assert_eq!(
            change(&[(tags::EXEMPT, "")], &[], DEV),
            Some(ExemptionChange::NotApproved {
                by: Some(DEV.to_owned())
            })
        );
        let Some(ExemptionChange::Grant(e)) = change(&[(tags::EXEMPT, "vendor")], &[], APPROVER)
        else {
            panic!("an approver's tag grants");
        };
        assert_eq!(
            (e.reason.as_str(), e.approved_by.as_str(), e.until),
            ("vendor", APPROVER, None)
        );
        assert_eq!(
            change(&[], &[tags::EXEMPT], APPROVER),
            Some(ExemptionChange::Revoke {
                by: APPROVER.to_owned()
            })
        );
        assert!(matches!(
            change(&[], &[tags::EXEMPT], DEV),
            Some(ExemptionChange::NotApproved { .. })
        ));
        // ARN patterns are case-sensitive, as ArnLike is.
        let upper = APPROVER.replace("security", "SECURITY");
        assert!(matches!(
            change(&[(tags::EXEMPT, "x")], &[], &upper),
            Some(ExemptionChange::NotApproved { .. })
        ));
    }

    #[test]
    fn an_end_date_must_be_a_future_date() {
        let Some(ExemptionChange::Grant(e)) = change(
            &[(tags::EXEMPT, "x"), (EXEMPT_UNTIL, "2027-02-28")],
            &[],
            APPROVER,
        ) else {
            panic!("grant expected");
        };
        assert_eq!(e.until, end_of_day("2027-02-28"));
        assert!(e.in_force(1_800_000_000));
        assert!(!e.in_force(e.until.unwrap()));
        for bad in ["2020-01-01", "2027-02-29", "tomorrow", "2027-13-01"] {
            assert!(
                matches!(
                    change(&[(tags::EXEMPT, "x"), (EXEMPT_UNTIL, bad)], &[], APPROVER),
                    Some(ExemptionChange::NotApproved { .. })
                ),
                "{bad}"
            );
        }
        // 2026-12-31 ends at 2027-01-01T00:00:00Z.
        assert_eq!(end_of_day("2026-12-31"), Some(1_798_761_600));
        assert_eq!(end_of_day("2028-02-29").map(|t| t % 86_400), Some(0));
    }

    #[test]
    fn audit_ids_sort_by_time_and_are_recognised() {
        let a = audit_id(1_764_000_000_000, "e", FUNCTION);
        let b = audit_id(1_764_000_000_001, "e", FUNCTION);
        assert!(a < b);
        assert!(is_audit_id(&a));
        assert_ne!(audit_id(1, "e", FUNCTION), audit_id(1, "e2", FUNCTION));
        for bad in ["", "1-2", "176400000000-0123456789abcdef", "../etc/passwd"] {
            assert!(!is_audit_id(bad), "{bad}");
        }
    }

    #[test]
    fn chunks_join_back_on_character_boundaries() {
        let text = "aé😀".repeat(100);
        for max in [1, 4, 5, 7, 64, 10_000] {
            let parts = chunks(&text, max);
            assert_eq!(parts.concat(), text);
            assert!(parts.iter().all(|p| p.len() <= max.max(4)), "{max}");
        }
        assert_eq!(chunks("", 10), [""]);
    }

    #[test]
    fn cloudtrail_event_times_parse_to_epoch_seconds() {
        assert_eq!(
            parse_event_time("2026-05-28T00:00:00Z"),
            Some(1_779_926_400)
        );
        assert_eq!(
            parse_event_time("2026-05-28T13:14:15Z"),
            Some(1_779_926_400 + 47_655)
        );
        assert_eq!(
            parse_event_time("2026-05-28T13:14:15.123Z"),
            Some(1_779_926_400 + 47_655)
        );
        for bad in [
            "",
            "2026-05-28",
            "2026-05-28T24:00:00Z",
            "2026-05-28T13:14:15",
            "2026-05-28T13:14:15+02:00",
            "2026-02-30T00:00:00Z",
            "2026-05-28T1:14:15Z",
        ] {
            assert_eq!(parse_event_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn lambda_last_modified_times_parse_with_their_offset() {
        let noon = 1_779_926_400 + 12 * 3600;
        assert_eq!(
            parse_last_modified("2026-05-28T12:00:00.944+0000"),
            Some(noon)
        );
        assert_eq!(
            parse_last_modified("2026-05-28T14:00:00.000+0200"),
            Some(noon)
        );
        assert_eq!(parse_last_modified("2026-05-28T09:30:00-02:30"), Some(noon));
        assert_eq!(parse_last_modified("2026-05-28T12:00:00Z"), Some(noon));
        for bad in [
            "",
            "2026-05-28T12:00:00",
            "2026-05-28T12:00:00+000",
            "2026-05-28T12:00:00+2400",
            "2026-05-28T12:00:00+00a0",
            "Aug 7, 2024, 10:02:11 AM",
        ] {
            assert_eq!(parse_last_modified(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_exemption_approved_before_the_function_was_created_is_outlived() {
        let e = Exemption {
            resource_arn: "arn:aws:lambda:eu-west-1:123456789012:function:f".into(),
            reason: "vendor".into(),
            approved_by: APPROVER.into(),
            approved_at: 1_000,
            until: None,
            source: "e1".into(),
            alerted: true,
        };
        assert!(outlived_by(&e, 1_001));
        assert!(!outlived_by(&e, 1_000), "approved the same second: kept");
        assert!(!outlived_by(&e, 999), "approved after the creation: kept");
    }

    #[test]
    fn writer_deadlines_fall_back_to_the_bound() {
        assert_eq!(writer_deadline(Some(5_000), 1_000), 5_000);
        assert_eq!(
            writer_deadline(None, 1_000),
            1_000 + WRITER_BOUND_SECS * 1000
        );
    }
}

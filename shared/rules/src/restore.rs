//! Undoing a remediation from its audit record: the actions that put every removed statement
//! and every changed function URL `AuthType` back exactly as they were. Pure; the adapter
//! reads the live function and executes the actions (`warden_aws::Aws::restore`).
//!
//! For each statement the record says was removed (`removed_statements[i].removed`, and not
//! already put back by lambda-warden itself, `restored`):
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
//!
//! # A record is not trusted
//!
//! An audit record reaches `restore` from an alert (anyone allowed to publish to the topic can
//! write one), a log line or the state table. Before any action is returned, the record is
//! checked against itself ([`restore_actions`]) and, by [`restore_plan`], against the live
//! function; any failed check refuses the whole restore with a [`RestoreError`] naming the
//! statement `Sid` or the ARN involved, so nothing is half-restored. Only the entries that
//! would cause a write are checked (a statement removed and not put back, a URL change that
//! happened); a record with none of them restores nothing.
//!
//! Against itself:
//! - `schema` is [`RECORD_SCHEMA`] ([`RestoreError::Schema`]);
//! - every removed statement's `function_arn` is the record's `function_arn`, or an alias or
//!   version of it when the record's is unqualified: same partition, Region, account and name,
//!   compared parsed ([`RestoreError::StatementElsewhere`]); so is every URL change's
//!   ([`RestoreError::UrlElsewhere`]); `NAME:$LATEST` is the unqualified function;
//! - the statement's own `Resource` (a string or a list: every entry) names that function,
//!   with its qualifier, and it has no `NotResource` ([`RestoreError::ResourceMismatch`]);
//! - the recorded `sid` is a valid `StatementId` ([`is_statement_id`],
//!   [`RestoreError::InvalidSid`]) and is the statement's own `Sid`
//!   ([`RestoreError::SidMismatch`]); no two statements to re-add share a `Sid` in one
//!   policy ([`RestoreError::DuplicateSid`]); no URL is changed back twice
//!   ([`RestoreError::DuplicateUrlChange`]);
//! - a replacement keeps its original's `Sid` ([`RestoreError::ReplacementSid`]) and is the
//!   original with a pin added, as lambda-warden's fixes write it: same action, source ARN,
//!   event source token, URL conditions and policy; `SourceAccount` or `PrincipalOrgID` only
//!   added; the principal the same, or a wildcard principal replaced by `*` pinned to an
//!   organization ([`RestoreError::ReplacementWidens`]).
//!
//! Against the live function ([`LiveState`], read by the adapter before any write):
//! - every function, alias or version involved exists ([`RestoreError::FunctionNotFound`]);
//! - a replacement is removed only when the live statement under its `Sid` is exactly the
//!   replacement lambda-warden added ([`RestoreError::ReplacementChanged`]);
//! - an original is added only under a `Sid` that is free ([`RestoreError::SidInUse`]);
//! - a URL is changed back only when it still exists ([`RestoreError::UrlMissing`]).
//!
//! A statement or URL that is live exactly as the record says it was before the remediation
//! is left alone: restoring the same record twice writes nothing the second time.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use thiserror::Error;

use crate::findings::{PermissionGrant, StatementRecord};
use crate::grant::{grant_from_statement, statement_from_grant, NotExpressible};
use crate::ids::{FunctionArn, IdError, Qualifier};
use crate::outcome::{ActionResult, ActionStatus, Outcome};
use crate::plan::Action;
use crate::policy::{PolicyParseError, ResourcePolicy, Statement};
use crate::report::AuditRecord;
use crate::rule_id::RuleId;

/// The only audit record schema `restore` reads.
pub const RECORD_SCHEMA: &str = "lambda-warden.audit/1";

/// The longest `StatementId` Lambda accepts, in characters
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html>).
pub const MAX_STATEMENT_ID_CHARS: usize = 100;

/// Why a record cannot be restored automatically. Each variant names the statement (by `Sid`)
/// or the ARN concerned. Every variant but [`RestoreError::Unparseable`] and
/// [`RestoreError::NotExpressible`] (a genuine statement `AddPermission` cannot write) means
/// the record does not hold together or does not match the live function: it was altered,
/// or the function changed since, and nothing is written.
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
    /// The record is not a `lambda-warden.audit/1` record.
    #[error("the record's schema is {found:?}, not {RECORD_SCHEMA}")]
    Schema {
        /// The `schema` found.
        found: String,
    },
    /// A removed statement is recorded for another function than the record's (or than an
    /// alias or version of it).
    #[error("statement {sid:?} is recorded for {function_arn}, which is not the record's function {record_function_arn} nor an alias or version of it")]
    StatementElsewhere {
        /// The statement's `Sid`.
        sid: String,
        /// Its `function_arn` in the record.
        function_arn: String,
        /// The record's `function_arn`.
        record_function_arn: String,
    },
    /// A removed statement's own `Resource` does not name the function it is recorded for.
    #[error("statement {sid:?} is recorded for {function_arn} but its Resource is {resource:?}")]
    ResourceMismatch {
        /// The statement's `Sid`.
        sid: String,
        /// The function it is recorded for.
        function_arn: String,
        /// The statement's `Resource` entries (`NotResource:` before a `NotResource` entry).
        resource: Vec<String>,
    },
    /// A recorded `sid` is not a `StatementId` Lambda accepts (1-100 letters, digits, `-`,
    /// `_`).
    #[error("removed_statements[{index}]: {sid:?} is not a valid statement id")]
    InvalidSid {
        /// Position in `removed_statements`.
        index: usize,
        /// The value found.
        sid: String,
    },
    /// A recorded `sid` differs from the `Sid` inside the recorded statement.
    #[error("statement recorded as {sid:?} has Sid {statement_sid:?}")]
    SidMismatch {
        /// The record's `sid`.
        sid: String,
        /// The statement's own `Sid` (`None` when it has none).
        statement_sid: Option<String>,
    },
    /// Two statements to re-add into one policy share a `Sid`.
    #[error(
        "refused: statement {sid:?} is recorded as removed from {function_arn} more than once"
    )]
    DuplicateSid {
        /// The `Sid`.
        sid: String,
        /// The policy's function ARN (qualified for an alias's or version's policy).
        function_arn: String,
    },
    /// A replacement does not keep its original's `Sid`.
    #[error("statement {sid:?} is recorded as replaced by a statement with Sid {replacement_sid:?}; a replacement keeps its original's Sid")]
    ReplacementSid {
        /// The original's `Sid`.
        sid: String,
        /// The replacement's `StatementId`.
        replacement_sid: String,
    },
    /// A replacement is not its original with a pin added, as lambda-warden writes one.
    #[error("the replacement of statement {sid:?} differs from the original in {parameter}, which lambda-warden never changes")]
    ReplacementWidens {
        /// The `Sid`.
        sid: String,
        /// The `AddPermission` parameter that differs, as AWS spells it (`Principal`,
        /// `Action`, `SourceArn`, `SourceAccount`, `PrincipalOrgID`, `EventSourceToken`,
        /// `FunctionUrlAuthType`, `InvokedViaFunctionUrl`, `Qualifier`).
        parameter: &'static str,
    },
    /// A URL change is recorded for another function than the record's (or than an alias of
    /// it).
    #[error("url_auth_changes[{index}] is recorded for {function_arn}, which is not the record's function {record_function_arn} nor an alias of it")]
    UrlElsewhere {
        /// Position in `url_auth_changes`.
        index: usize,
        /// Its `function_arn` in the record.
        function_arn: String,
        /// The record's `function_arn`.
        record_function_arn: String,
    },
    /// Two URL changes of one URL are recorded as done.
    #[error("the AuthType of {function_arn}'s URL is recorded as changed more than once")]
    DuplicateUrlChange {
        /// The function (qualified for an alias's URL).
        function_arn: String,
    },
    /// A function, alias or version the record names does not exist
    /// (`GetFunctionConfiguration` answered `ResourceNotFoundException`).
    #[error("{function_arn} does not exist")]
    FunctionNotFound {
        /// The function ARN (qualified for an alias or version).
        function_arn: String,
    },
    /// The live statement under a replacement's `Sid` is not the replacement lambda-warden
    /// added (someone changed or removed it since, or the record was altered).
    #[error("the live statement {sid:?} of {function_arn} is not the replacement the record names (live: {})", live.as_ref().map_or_else(|| "none".to_owned(), |v| v.to_string()))]
    ReplacementChanged {
        /// The `Sid`.
        sid: String,
        /// The policy's function ARN.
        function_arn: String,
        /// The live statement under that `Sid`; `None` when there is none.
        live: Option<Box<Value>>,
    },
    /// A statement to re-add has a `Sid` that a different live statement already uses.
    #[error("{function_arn} already has a different statement {sid:?}: {live}")]
    SidInUse {
        /// The `Sid`.
        sid: String,
        /// The policy's function ARN.
        function_arn: String,
        /// The live statement.
        live: Box<Value>,
    },
    /// The live policy holds more than one statement with a `Sid` the restore would edit.
    #[error("{function_arn}'s policy has more than one statement {sid:?}")]
    AmbiguousSid {
        /// The `Sid`.
        sid: String,
        /// The policy's function ARN.
        function_arn: String,
    },
    /// The live policy could not be read as a policy.
    #[error("{function_arn}'s live policy does not parse: {source}")]
    LivePolicyUnreadable {
        /// The policy's function ARN.
        function_arn: String,
        /// The parser's error.
        source: Box<PolicyParseError>,
    },
    /// The function URL whose `AuthType` the record changes back no longer exists.
    #[error("{function_arn} has no function URL to set back to AuthType {auth_type}")]
    UrlMissing {
        /// The function (qualified for an alias's URL).
        function_arn: String,
        /// The `AuthType` the record would set.
        auth_type: String,
    },
    /// The live state given to [`restore_plan`] lacks a part [`live_reads`] asked for.
    #[error("the live {part} of {function_arn} was not read")]
    NotRead {
        /// `function`, `policy` or `URL`.
        part: &'static str,
        /// The function ARN.
        function_arn: String,
    },
}

/// `true` for a `StatementId` Lambda accepts: 1 to [`MAX_STATEMENT_ID_CHARS`] ASCII letters,
/// digits, `-` and `_` (pattern `^[a-zA-Z0-9-_]+$`,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html>).
pub fn is_statement_id(s: &str) -> bool {
    (1..=MAX_STATEMENT_ID_CHARS).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the adapter reads before a restore: the functions, aliases and versions involved
/// (the record's own among them), the policies the restore edits, and the URLs whose
/// `AuthType` it sets. Each is named by its ARN, qualified for an alias or version and never
/// with `$LATEST` (that is the unqualified function).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveReads {
    /// Each must exist (`GetFunctionConfiguration`).
    pub functions: BTreeSet<FunctionArn>,
    /// Each policy's document (`GetPolicy`).
    pub policies: BTreeSet<FunctionArn>,
    /// Each URL's `AuthType` (`GetFunctionUrlConfig`).
    pub urls: BTreeSet<FunctionArn>,
}

/// The live state a restore is checked against, keyed as [`LiveReads`] names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveState {
    /// Whether each function, alias or version exists.
    pub functions: BTreeMap<FunctionArn, bool>,
    /// Each policy's document as `GetPolicy` returns it (`Policy`, a JSON string); `None`
    /// when the function has no policy.
    pub policies: BTreeMap<FunctionArn, Option<String>>,
    /// Each URL's `AuthType` (`NONE` or `AWS_IAM`); `None` when the function has no URL.
    pub url_auth_types: BTreeMap<FunctionArn, Option<String>>,
}

/// One undo, after the record's own checks.
// A handful per record, built and consumed in one call: boxing the grants would only add
// allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
enum Step {
    /// A statement replaced by a tighter one: remove `replacement`, add `original` back.
    Replace {
        policy: FunctionArn,
        replacement: PermissionGrant,
        original: PermissionGrant,
        statement: Value,
    },
    /// A statement removed only: add `original` back.
    ReAdd {
        policy: FunctionArn,
        original: PermissionGrant,
        statement: Value,
    },
    /// A URL whose `AuthType` was changed: set `auth_type` back.
    Url {
        function: FunctionArn,
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

/// The qualifier that names a policy or URL of its own: `None` for the unqualified function
/// and for `$LATEST`, which is the unqualified function
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html>).
fn own_qualifier(f: &FunctionArn) -> Option<&Qualifier> {
    f.qualifier.as_ref().filter(|q| !q.is_latest())
}

/// `f` with `$LATEST` dropped: the ARN of the policy or URL it names.
fn key(f: &FunctionArn) -> FunctionArn {
    FunctionArn {
        qualifier: own_qualifier(f).cloned(),
        ..f.unqualified()
    }
}

fn same_function(a: &FunctionArn, b: &FunctionArn) -> bool {
    a.partition == b.partition && a.region == b.region && a.account == b.account && a.name == b.name
}

/// Whether `f` is `record`'s function, or an alias or version of it when `record` is
/// unqualified.
fn within(record: &FunctionArn, f: &FunctionArn) -> bool {
    same_function(record, f)
        && (own_qualifier(record).is_none() || own_qualifier(record) == own_qualifier(f))
}

/// The statement's `Resource` entries, or why they do not all name `policy`.
fn resource_names(stmt: &Statement, policy: &FunctionArn) -> Result<(), Vec<String>> {
    let all = || {
        stmt.resource
            .iter()
            .cloned()
            .chain(stmt.not_resource.iter().map(|r| format!("NotResource:{r}")))
            .collect::<Vec<_>>()
    };
    let names = |r: &String| FunctionArn::parse(r).is_ok_and(|r| key(&r) == *policy);
    if stmt.resource.is_empty() || !stmt.not_resource.is_empty() || !stmt.resource.iter().all(names)
    {
        return Err(all());
    }
    Ok(())
}

fn parse_statement(statement: &Value) -> Result<Statement, PolicyParseError> {
    let doc = json!({ "Statement": [statement.clone()] });
    let mut policy = ResourcePolicy::from_value(&doc)?;
    // One statement in, one statement out: from_value keeps every element of the list.
    policy
        .statements
        .pop()
        .ok_or(PolicyParseError::MissingStatement)
}

/// `grant` with the qualifier of `policy` (so `$LATEST` and none compare equal).
fn in_policy(grant: &PermissionGrant, policy: &FunctionArn) -> PermissionGrant {
    PermissionGrant {
        qualifier: policy.qualifier.clone(),
        ..grant.clone()
    }
}

/// The first `AddPermission` parameter in which `replacement` is not `original` with a pin
/// added the way lambda-warden's fixes add one (`SourceAccount` for a confused deputy,
/// `*` pinned with `PrincipalOrgID` for a public statement); `None` when it is.
fn widened(original: &PermissionGrant, replacement: &PermissionGrant) -> Option<&'static str> {
    fn added<T: PartialEq>(original: &Option<T>, replacement: &Option<T>) -> bool {
        original == replacement || (original.is_none() && replacement.is_some())
    }
    let org_pinned_wildcard = replacement.principal == "*"
        && original.principal.contains('*')
        && original.principal_org_id.is_none()
        && replacement.principal_org_id.is_some();
    if replacement.principal != original.principal && !org_pinned_wildcard {
        Some("Principal")
    } else if replacement.action != original.action {
        Some("Action")
    } else if replacement.source_arn != original.source_arn {
        Some("SourceArn")
    } else if !added(&original.source_account, &replacement.source_account) {
        Some("SourceAccount")
    } else if !added(&original.principal_org_id, &replacement.principal_org_id) {
        Some("PrincipalOrgID")
    } else if replacement.event_source_token != original.event_source_token {
        Some("EventSourceToken")
    } else if replacement.function_url_auth_type != original.function_url_auth_type {
        Some("FunctionUrlAuthType")
    } else if replacement.invoked_via_function_url != original.invoked_via_function_url {
        Some("InvokedViaFunctionUrl")
    } else {
        None
    }
}

/// The record checked against itself, as the steps that undo it. See the module
/// documentation for the checks.
fn steps(record: &AuditRecord) -> Result<Vec<Step>, RestoreError> {
    if record.schema != RECORD_SCHEMA {
        return Err(RestoreError::Schema {
            found: record.schema.clone(),
        });
    }
    let pending: Vec<(usize, &crate::report::RemovedStatement)> = record
        .removed_statements
        .iter()
        .enumerate()
        .filter(|(_, r)| r.removed && !r.restored)
        .collect();
    let changed: Vec<(usize, &crate::report::UrlAuthChange)> = record
        .url_auth_changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.changed)
        .collect();
    if pending.is_empty() && changed.is_empty() {
        return Ok(Vec::new());
    }
    let record_function = arn("function_arn".to_owned(), &record.function_arn)?;
    let mut steps = Vec::new();
    let mut seen: BTreeSet<(FunctionArn, String)> = BTreeSet::new();
    for (i, removed) in pending {
        let sid = removed.original.sid.clone();
        let function = arn(
            format!("removed_statements[{i}].function_arn"),
            &removed.function_arn,
        )?;
        if !within(&record_function, &function) {
            return Err(RestoreError::StatementElsewhere {
                sid,
                function_arn: removed.function_arn.clone(),
                record_function_arn: record.function_arn.clone(),
            });
        }
        let policy = key(&function);
        let statement = &removed.original.statement;
        let stmt = parse_statement(statement).map_err(|source| RestoreError::Unparseable {
            sid: sid.clone(),
            source: Box::new(source),
            statement: Box::new(statement.clone()),
        })?;
        if !is_statement_id(&sid) {
            return Err(RestoreError::InvalidSid { index: i, sid });
        }
        if stmt.sid.as_deref() != Some(sid.as_str()) {
            return Err(RestoreError::SidMismatch {
                sid,
                statement_sid: stmt.sid.clone(),
            });
        }
        if !seen.insert((policy.clone(), sid.clone())) {
            return Err(RestoreError::DuplicateSid {
                sid,
                function_arn: policy.to_string(),
            });
        }
        resource_names(&stmt, &policy).map_err(|resource| RestoreError::ResourceMismatch {
            sid: sid.clone(),
            function_arn: removed.function_arn.clone(),
            resource,
        })?;
        let original =
            grant_from_statement(&stmt, policy.qualifier.as_ref()).map_err(|reason| {
                RestoreError::NotExpressible {
                    sid: sid.clone(),
                    reason,
                    statement: Box::new(statement.clone()),
                }
            })?;
        match &removed.replaced_by {
            Some(replacement) => {
                if replacement.statement_id != sid {
                    return Err(RestoreError::ReplacementSid {
                        sid,
                        replacement_sid: replacement.statement_id.clone(),
                    });
                }
                let qualifier = replacement
                    .qualifier
                    .as_ref()
                    .filter(|q| !q.is_latest())
                    .or(own_qualifier(&function));
                if qualifier != policy.qualifier.as_ref() {
                    return Err(RestoreError::ReplacementWidens {
                        sid,
                        parameter: "Qualifier",
                    });
                }
                if let Some(parameter) = widened(&original, replacement) {
                    return Err(RestoreError::ReplacementWidens { sid, parameter });
                }
                steps.push(Step::Replace {
                    replacement: in_policy(replacement, &policy),
                    policy,
                    original,
                    statement: statement.clone(),
                });
            }
            None => steps.push(Step::ReAdd {
                policy,
                original,
                statement: statement.clone(),
            }),
        }
    }
    let mut urls = BTreeSet::new();
    for (i, change) in changed {
        if !matches!(change.original_auth_type.as_str(), "NONE" | "AWS_IAM") {
            return Err(RestoreError::UnknownAuthType {
                index: i,
                auth_type: change.original_auth_type.clone(),
            });
        }
        let function = arn(
            format!("url_auth_changes[{i}].function_arn"),
            &change.function_arn,
        )?;
        if !within(&record_function, &function) {
            return Err(RestoreError::UrlElsewhere {
                index: i,
                function_arn: change.function_arn.clone(),
                record_function_arn: record.function_arn.clone(),
            });
        }
        let function = key(&function);
        if !urls.insert(function.clone()) {
            return Err(RestoreError::DuplicateUrlChange {
                function_arn: function.to_string(),
            });
        }
        steps.push(Step::Url {
            function,
            auth_type: change.original_auth_type.clone(),
        });
    }
    Ok(steps)
}

fn remove(policy: &FunctionArn, sid: &str, statement: Value) -> Action {
    Action::RemovePermission {
        function: policy.clone(),
        sid: sid.to_owned(),
        revision_id: None,
        removed: StatementRecord {
            sid: sid.to_owned(),
            statement,
        },
        fixes: Vec::new(),
    }
}

fn add(policy: &FunctionArn, grant: &PermissionGrant) -> Action {
    Action::AddPermission {
        function: policy.clone(),
        grant: grant.clone(),
        fixes: Vec::new(),
    }
}

/// The actions that undo what `record` says was done, after checking the record against
/// itself; empty when nothing was removed or changed. See the module documentation for the
/// order and the checks. The live function is not consulted: [`restore_plan`] is what a
/// restore executes; this is the plan as the record alone describes it.
///
/// # Errors
/// [`RestoreError`] for the first check that fails, or the first recorded statement or URL
/// change that cannot be undone with `AddPermission`/`RemovePermission`/
/// `UpdateFunctionUrlConfig`; no action is returned then, so nothing is half-restored.
pub fn restore_actions(record: &AuditRecord) -> Result<Vec<Action>, RestoreError> {
    let mut actions = Vec::new();
    for step in steps(record)? {
        match step {
            Step::Replace {
                policy,
                replacement,
                original,
                ..
            } => {
                let statement = statement_from_grant(&replacement, &policy);
                actions.push(remove(&policy, &replacement.statement_id, statement));
                actions.push(add(&policy, &original));
            }
            Step::ReAdd {
                policy, original, ..
            } => actions.push(add(&policy, &original)),
            Step::Url {
                function,
                auth_type,
            } => actions.push(Action::SetUrlAuthType {
                function,
                auth_type,
            }),
        }
    }
    Ok(actions)
}

/// What the adapter must read before restoring `record`: the record's function and every
/// function, alias or version the restore writes to, their policies, and their URLs.
///
/// # Errors
/// As [`restore_actions`]: the record is checked against itself first.
pub fn live_reads(record: &AuditRecord) -> Result<LiveReads, RestoreError> {
    let steps = steps(record)?;
    let mut reads = LiveReads::default();
    if steps.is_empty() {
        return Ok(reads);
    }
    // steps() parsed it already.
    if let Ok(f) = FunctionArn::parse(&record.function_arn) {
        reads.functions.insert(key(&f));
    }
    for step in steps {
        match step {
            Step::Replace { policy, .. } | Step::ReAdd { policy, .. } => {
                reads.functions.insert(policy.clone());
                reads.policies.insert(policy);
            }
            Step::Url { function, .. } => {
                reads.functions.insert(function.clone());
                reads.urls.insert(function);
            }
        }
    }
    Ok(reads)
}

/// The statements of one live policy by `Sid`, as the restore changes them.
#[derive(Debug, Default)]
struct LivePolicy {
    by_sid: BTreeMap<String, Value>,
    ambiguous: BTreeSet<String>,
}

impl LivePolicy {
    fn parse(policy: &FunctionArn, doc: Option<&str>) -> Result<Self, RestoreError> {
        let mut live = LivePolicy::default();
        let Some(doc) = doc else {
            return Ok(live);
        };
        let parsed =
            ResourcePolicy::parse(doc).map_err(|source| RestoreError::LivePolicyUnreadable {
                function_arn: policy.to_string(),
                source: Box::new(source),
            })?;
        for stmt in parsed.statements {
            if let Some(sid) = &stmt.sid {
                if live.by_sid.insert(sid.clone(), stmt.raw()).is_some() {
                    live.ambiguous.insert(sid.clone());
                }
            }
        }
        Ok(live)
    }

    fn get(&self, policy: &FunctionArn, sid: &str) -> Result<Option<&Value>, RestoreError> {
        if self.ambiguous.contains(sid) {
            return Err(RestoreError::AmbiguousSid {
                sid: sid.to_owned(),
                function_arn: policy.to_string(),
            });
        }
        Ok(self.by_sid.get(sid))
    }
}

/// Whether the live statement `live` is exactly what `AddPermission` of `grant` writes into
/// `policy`: the same JSON as [`statement_from_grant`], or a statement that means the same
/// (its `Resource` names `policy` and it reads back as `grant`, so an account principal
/// written as an ARN or a condition key in another case compares equal).
fn holds(live: &Value, grant: &PermissionGrant, policy: &FunctionArn) -> bool {
    if *live == statement_from_grant(grant, policy) {
        return true;
    }
    let Ok(stmt) = parse_statement(live) else {
        return false;
    };
    resource_names(&stmt, policy).is_ok()
        && grant_from_statement(&stmt, policy.qualifier.as_ref())
            .is_ok_and(|g| g == in_policy(grant, policy))
}

/// The actions that undo `record`, checked against the record itself and against the live
/// function as `live` holds it (read by the adapter, as [`live_reads`] asks). A statement or
/// URL already exactly as it was before the remediation is left alone. Each
/// `RemovePermission` carries the live statement it removes, verbatim, so the adapter's
/// last check before the write ([`Action::RemovePermission`] with no `RevisionId`) compares
/// against what was checked here.
///
/// # Errors
/// As [`restore_actions`], then [`RestoreError::FunctionNotFound`],
/// [`RestoreError::ReplacementChanged`], [`RestoreError::SidInUse`],
/// [`RestoreError::AmbiguousSid`], [`RestoreError::LivePolicyUnreadable`],
/// [`RestoreError::UrlMissing`], or [`RestoreError::NotRead`] for a part `live` lacks. No
/// action is returned then.
pub fn restore_plan(record: &AuditRecord, live: &LiveState) -> Result<Vec<Action>, RestoreError> {
    let reads = live_reads(record)?;
    for f in &reads.functions {
        match live.functions.get(f) {
            Some(true) => {}
            Some(false) => {
                return Err(RestoreError::FunctionNotFound {
                    function_arn: f.to_string(),
                })
            }
            None => {
                return Err(RestoreError::NotRead {
                    part: "function",
                    function_arn: f.to_string(),
                })
            }
        }
    }
    let mut policies: BTreeMap<FunctionArn, LivePolicy> = BTreeMap::new();
    for p in &reads.policies {
        let doc = live.policies.get(p).ok_or_else(|| RestoreError::NotRead {
            part: "policy",
            function_arn: p.to_string(),
        })?;
        policies.insert(p.clone(), LivePolicy::parse(p, doc.as_deref())?);
    }
    let mut actions = Vec::new();
    for step in steps(record)? {
        match step {
            Step::Replace {
                policy,
                replacement,
                original,
                statement,
            } => {
                let Some(current) = policies.get_mut(&policy) else {
                    return Err(RestoreError::NotRead {
                        part: "policy",
                        function_arn: policy.to_string(),
                    });
                };
                let sid = replacement.statement_id.clone();
                match current.get(&policy, &sid)? {
                    Some(v) if *v == statement || holds(v, &original, &policy) => {}
                    Some(v) if holds(v, &replacement, &policy) => {
                        actions.push(remove(&policy, &sid, v.clone()));
                        actions.push(add(&policy, &original));
                        current
                            .by_sid
                            .insert(sid, statement_from_grant(&original, &policy));
                    }
                    other => {
                        return Err(RestoreError::ReplacementChanged {
                            sid,
                            function_arn: policy.to_string(),
                            live: other.map(|v| Box::new(v.clone())),
                        })
                    }
                }
            }
            Step::ReAdd {
                policy,
                original,
                statement,
            } => {
                let Some(current) = policies.get_mut(&policy) else {
                    return Err(RestoreError::NotRead {
                        part: "policy",
                        function_arn: policy.to_string(),
                    });
                };
                let sid = original.statement_id.clone();
                match current.get(&policy, &sid)? {
                    None => {
                        actions.push(add(&policy, &original));
                        current
                            .by_sid
                            .insert(sid, statement_from_grant(&original, &policy));
                    }
                    Some(v) if *v == statement || holds(v, &original, &policy) => {}
                    Some(v) => {
                        return Err(RestoreError::SidInUse {
                            sid,
                            function_arn: policy.to_string(),
                            live: Box::new(v.clone()),
                        })
                    }
                }
            }
            Step::Url {
                function,
                auth_type,
            } => match live.url_auth_types.get(&function) {
                None => {
                    return Err(RestoreError::NotRead {
                        part: "URL",
                        function_arn: function.to_string(),
                    })
                }
                Some(None) => {
                    return Err(RestoreError::UrlMissing {
                        function_arn: function.to_string(),
                        auth_type,
                    })
                }
                Some(Some(current)) if *current == auth_type => {}
                Some(Some(_)) => actions.push(Action::SetUrlAuthType {
                    function,
                    auth_type,
                }),
            },
        }
    }
    Ok(actions)
}

/// The `AddPermission` calls that put back statements a replacement left removed: for every
/// `RemovePermission` that was done and whose replacing `AddPermission` (the next action, same
/// `Sid`) then failed with a retryable error (throttling, a 5xx, a conflict), the original
/// statement, so a caller is not left without access while the event waits for its retry.
///
/// Nothing is put back when:
/// - the failure is permanent (`PolicyLengthExceededException`, `InvalidParameterValueException`,
///   access denied): the same replacement fails on every delivery, and re-adding the original
///   each time would keep the exposure open forever (a policy padded to its 20 KB limit by its
///   owner does exactly this, Lambda quotas: "Function resource-based policy 20 KB",
///   <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>);
/// - the removal fixed a public statement ([`RuleId::LW001`]): lambda-warden never re-opens a
///   function to everyone on its own; the audit record keeps the statement verbatim, and
///   `restore` puts it back on a human's decision.
///
/// A statement `AddPermission` cannot write is skipped: the audit record keeps it verbatim for a
/// human.
pub fn rollback_actions(outcome: &Outcome) -> Vec<Action> {
    outcome
        .results
        .windows(2)
        .filter_map(|pair| match (&pair[0], &pair[1]) {
            (
                ActionResult {
                    action:
                        Action::RemovePermission {
                            function,
                            removed,
                            fixes,
                            ..
                        },
                    status: ActionStatus::Done,
                },
                ActionResult {
                    action: Action::AddPermission { grant, .. },
                    status: ActionStatus::Failed { kind, .. },
                },
            ) if grant.statement_id == removed.sid
                && kind.is_retryable()
                && !fixes.contains(&RuleId::LW001) =>
            {
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
) -> Result<PermissionGrant, RestoreError> {
    let stmt =
        parse_statement(&original.statement).map_err(|source| RestoreError::Unparseable {
            sid: original.sid.clone(),
            source: Box::new(source),
            statement: Box::new(original.statement.clone()),
        })?;
    grant_from_statement(&stmt, function.qualifier.as_ref()).map_err(|reason| {
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
    use crate::config::{Config, Mode};
    use crate::ids::AccountId;
    use crate::report::{RemovedStatement, UrlAuthChange};
    use crate::snapshot::{
        FunctionSnapshot, FunctionUrlAuthType, FunctionUrlConfig, PolicyDocument, Readable,
    };
    use crate::tags::ComplianceStatus;

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";
    const OTHER: &str = "arn:aws:lambda:us-east-1:123456789012:function:g";

    fn function() -> FunctionArn {
        FunctionArn::parse(ARN).unwrap()
    }

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
            reconciliation: None,
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

    // ---- a real remediation ----------------------------------------------------------------

    /// The statements of `f` before the remediation, in the shape `GetPolicy` returns them:
    /// a public statement, an S3 confused deputy, the public URL statement, and a grant to
    /// EventBridge pinned to a rule of the account (no finding: it stays).
    fn before_statements() -> Vec<Value> {
        vec![
            json!({"Sid": "public-invoke", "Effect": "Allow", "Principal": "*",
                   "Action": "lambda:InvokeFunction", "Resource": ARN}),
            json!({"Sid": "s3-invoke", "Effect": "Allow",
                   "Principal": {"Service": "s3.amazonaws.com"},
                   "Action": "lambda:InvokeFunction", "Resource": ARN,
                   "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}}}),
            json!({"Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow", "Principal": "*",
                   "Action": "lambda:InvokeFunctionUrl", "Resource": ARN,
                   "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}}),
            events_statement(),
        ]
    }

    fn events_statement() -> Value {
        json!({"Sid": "events-invoke", "Effect": "Allow",
               "Principal": {"Service": "events.amazonaws.com"},
               "Action": "lambda:InvokeFunction", "Resource": ARN,
               "Condition": {"ArnLike": {"AWS:SourceArn":
                   "arn:aws:events:us-east-1:123456789012:rule/nightly"}}})
    }

    fn doc(statements: &[Value]) -> String {
        json!({"Version": "2012-10-17", "Id": "default", "Statement": statements}).to_string()
    }

    fn sorted(mut statements: Vec<Value>) -> Vec<Value> {
        statements.sort_by_key(|s| s["Sid"].as_str().unwrap_or("").to_owned());
        statements
    }

    /// The live state of `f` with `statements` and a URL of `auth_type`.
    fn live(statements: &[Value], auth_type: Option<&str>) -> LiveState {
        LiveState {
            functions: [(function(), true)].into(),
            policies: [(function(), Some(doc(statements)))].into(),
            url_auth_types: [(function(), auth_type.map(str::to_owned))].into(),
        }
    }

    fn statements_of(live: &LiveState) -> Vec<Value> {
        let Some(Some(text)) = live.policies.get(&function()) else {
            return Vec::new();
        };
        let doc: Value = serde_json::from_str(text).unwrap();
        sorted(doc["Statement"].as_array().cloned().unwrap_or_default())
    }

    /// `live` after `actions`, each done as AWS does it.
    fn apply(live: &LiveState, actions: &[Action]) -> LiveState {
        let mut statements = statements_of(live);
        let mut url = live.url_auth_types.get(&function()).cloned().flatten();
        for a in actions {
            match a {
                Action::RemovePermission { sid, .. } => statements.retain(|s| s["Sid"] != **sid),
                Action::AddPermission {
                    function, grant, ..
                } => statements.push(statement_from_grant(grant, function)),
                Action::RequireIamAuth { .. } => url = Some("AWS_IAM".into()),
                Action::SetUrlAuthType { auth_type, .. } => url = Some(auth_type.clone()),
                Action::TagResource { .. } => {}
            }
        }
        live_with(sorted(statements), url)
    }

    fn live_with(statements: Vec<Value>, url: Option<String>) -> LiveState {
        live(&statements, url.as_deref())
    }

    /// lambda-warden's own remediation of `f` in enforce mode (opted in): the rules, the
    /// plan, every action done, and the audit record the function writes; with the live state
    /// before and after.
    fn remediation() -> (AuditRecord, LiveState, LiveState) {
        let before = live(&before_statements(), Some("NONE"));
        let snapshot = FunctionSnapshot {
            tags: [(crate::tags::AUTO_FIX.to_owned(), "true".to_owned())].into(),
            policy: Readable::read(Some(PolicyDocument {
                json: doc(&before_statements()),
                revision_id: Some("rev-1".into()),
            })),
            url: Readable::read(Some(FunctionUrlConfig {
                function_url: "https://abc.lambda-url.us-east-1.on.aws/".into(),
                auth_type: FunctionUrlAuthType::parse("NONE"),
                cors: None,
            })),
            ..FunctionSnapshot::empty(function())
        };
        let config = Config {
            mode: Mode::Enforce,
            ..Config::default()
        };
        let findings = crate::rules::evaluate(
            &snapshot,
            &crate::rules::RuleConfig::from(&config),
            1_780_272_000,
        );
        let plan = crate::plan::plan(findings, &snapshot, &config);
        let results: Vec<ActionResult> = plan
            .actions
            .iter()
            .map(|a| ActionResult {
                action: a.clone(),
                status: ActionStatus::Done,
            })
            .collect();
        let record = crate::report::audit_record(
            "e-1",
            "AddPermission20150331v2",
            Mode::Enforce,
            &plan,
            &results,
            ComplianceStatus::Compliant,
        );
        let after = apply(&before, &plan.actions);
        (record, before, after)
    }

    fn entry<'a>(record: &'a mut AuditRecord, sid: &str) -> &'a mut RemovedStatement {
        record
            .removed_statements
            .iter_mut()
            .find(|r| r.original.sid == sid)
            .unwrap()
    }

    fn refused(record: &AuditRecord, live: &LiveState) -> RestoreError {
        let err = restore_plan(record, live).expect_err("refused");
        assert!(!err.to_string().is_empty());
        err
    }

    #[test]
    fn a_real_remediation_is_restored_statement_for_statement_and_only_once() {
        let (record, before, after) = remediation();
        let sids: Vec<&str> = record
            .removed_statements
            .iter()
            .map(|r| r.original.sid.as_str())
            .collect();
        assert_eq!(
            sorted_strs(sids),
            ["FunctionURLAllowPublicAccess", "public-invoke", "s3-invoke"]
        );
        assert!(entry(&mut record.clone(), "s3-invoke")
            .replaced_by
            .is_some());
        assert_eq!(record.url_auth_changes.len(), 1);
        assert_ne!(statements_of(&after), statements_of(&before));

        let plan = restore_plan(&record, &after).expect("genuine record");
        let restored = apply(&after, &plan);
        assert_eq!(statements_of(&restored), statements_of(&before));
        assert_eq!(restored.url_auth_types, before.url_auth_types);
        assert!(
            matches!(plan.last(), Some(Action::SetUrlAuthType { .. })),
            "{plan:?}"
        );
        // The replacement removed is the live statement, verbatim.
        let live_s3 = statements_of(&after)
            .into_iter()
            .find(|s| s["Sid"] == "s3-invoke")
            .unwrap();
        assert!(plan.iter().any(|a| matches!(a,
            Action::RemovePermission { sid, removed, .. }
                if sid == "s3-invoke" && removed.statement == live_s3)));
        // The record alone gives the same actions, and the reads name only f.
        assert_eq!(restore_actions(&record).unwrap().len(), plan.len());
        let reads = live_reads(&record).unwrap();
        assert_eq!(reads.functions, [function()].into());
        assert_eq!(reads.policies, [function()].into());
        assert_eq!(reads.urls, [function()].into());

        // Restoring the same record again writes nothing.
        assert_eq!(restore_plan(&record, &restored).unwrap(), Vec::new());
    }

    fn sorted_strs(mut v: Vec<&str>) -> Vec<&str> {
        v.sort_unstable();
        v
    }

    // ---- the record against itself -----------------------------------------------------------

    #[test]
    fn a_replacement_naming_another_live_statement_is_refused() {
        let (mut record, _, after) = remediation();
        // Attack 5: the replacement is made to name the good, live events-invoke grant.
        let stmt = parse_statement(&events_statement()).unwrap();
        let good = grant_from_statement(&stmt, None).unwrap();
        entry(&mut record, "s3-invoke").replaced_by = Some(good.clone());
        assert_eq!(
            refused(&record, &after),
            RestoreError::ReplacementSid {
                sid: "s3-invoke".into(),
                replacement_sid: "events-invoke".into()
            }
        );
        // ... and a removed-only statement given that replacement.
        let (mut record, _, after) = remediation();
        entry(&mut record, "public-invoke").replaced_by = Some(good.clone());
        assert!(matches!(
            refused(&record, &after),
            RestoreError::ReplacementSid { sid, .. } if sid == "public-invoke"
        ));
        // Renaming the original too: a public "original" under the good grant's Sid.
        let (mut record, _, after) = remediation();
        let e = entry(&mut record, "public-invoke");
        e.original.sid = "events-invoke".into();
        e.original.statement["Sid"] = json!("events-invoke");
        e.replaced_by = Some(good);
        assert_eq!(
            refused(&record, &after),
            RestoreError::ReplacementWidens {
                sid: "events-invoke".into(),
                parameter: "Principal"
            }
        );
    }

    #[test]
    fn a_replacement_that_is_not_the_original_pinned_is_refused() {
        type Tamper = fn(&mut PermissionGrant);
        let cases: [(&str, Tamper); 5] = [
            ("SourceArn", |g| {
                g.source_arn = Some("arn:aws:s3:::other".into())
            }),
            ("Action", |g| g.action = "lambda:GetFunction".into()),
            ("Principal", |g| g.principal = "sns.amazonaws.com".into()),
            ("FunctionUrlAuthType", |g| {
                g.function_url_auth_type = Some("NONE".into())
            }),
            ("Qualifier", |g| {
                g.qualifier = Some(Qualifier::parse("prod").unwrap())
            }),
        ];
        for (parameter, tamper) in cases {
            let (mut record, _, after) = remediation();
            tamper(
                entry(&mut record, "s3-invoke")
                    .replaced_by
                    .as_mut()
                    .unwrap(),
            );
            assert_eq!(
                refused(&record, &after),
                RestoreError::ReplacementWidens {
                    sid: "s3-invoke".into(),
                    parameter
                },
                "{parameter}"
            );
        }
    }

    #[test]
    fn a_statement_recorded_for_another_function_is_refused() {
        // The record's function changed: its statements are not its own.
        let (mut record, _, after) = remediation();
        record.function_arn = OTHER.into();
        assert!(matches!(
            refused(&record, &after),
            RestoreError::StatementElsewhere { record_function_arn, function_arn, .. }
                if record_function_arn == OTHER && function_arn == ARN
        ));
        // One statement's function changed.
        let (mut record, _, after) = remediation();
        entry(&mut record, "public-invoke").function_arn = OTHER.into();
        assert_eq!(
            refused(&record, &after),
            RestoreError::StatementElsewhere {
                sid: "public-invoke".into(),
                function_arn: OTHER.into(),
                record_function_arn: ARN.into()
            }
        );
        // Everything moved to g, but the statements' own Resource still names f.
        let (mut record, _, after) = remediation();
        record.function_arn = OTHER.into();
        for r in &mut record.removed_statements {
            r.function_arn = OTHER.into();
        }
        for c in &mut record.url_auth_changes {
            c.function_arn = OTHER.into();
        }
        assert!(matches!(
            refused(&record, &after),
            RestoreError::ResourceMismatch { function_arn, resource, .. }
                if function_arn == OTHER && resource == [ARN]
        ));
        // An alias of the record's function is the same function; an alias record's
        // statements are the alias's.
        let alias = format!("{ARN}:prod");
        let (mut record, _, _) = remediation();
        record.function_arn = alias.clone();
        assert!(matches!(
            restore_actions(&record),
            Err(RestoreError::StatementElsewhere { .. })
        ));
    }

    #[test]
    fn a_resource_that_does_not_name_the_function_is_refused_string_or_list() {
        let elsewhere = [
            json!(OTHER),
            json!([ARN, OTHER]),
            json!([]),
            json!("*"),
            json!(format!("{ARN}:prod")),
            json!("arn:aws-cn:lambda:us-east-1:123456789012:function:f"),
            json!("arn:aws:lambda:eu-west-1:123456789012:function:f"),
            json!("arn:aws:lambda:us-east-1:444455556666:function:f"),
            json!("arn:aws:lambda:us-east-1:123456789012:function:F"),
        ];
        for resource in elsewhere {
            let (mut record, _, after) = remediation();
            entry(&mut record, "public-invoke").original.statement["Resource"] = resource.clone();
            assert!(
                matches!(
                    refused(&record, &after),
                    RestoreError::ResourceMismatch { sid, .. } if sid == "public-invoke"
                ),
                "{resource}"
            );
        }
        let (mut record, _, after) = remediation();
        let stmt = &mut entry(&mut record, "public-invoke").original.statement;
        stmt.as_object_mut().unwrap().remove("Resource");
        assert!(matches!(
            refused(&record, &after),
            RestoreError::ResourceMismatch { resource, .. } if resource.is_empty()
        ));
        let (mut record, _, after) = remediation();
        entry(&mut record, "public-invoke").original.statement["NotResource"] = json!(OTHER);
        assert!(matches!(
            refused(&record, &after),
            RestoreError::ResourceMismatch { .. }
        ));
        // A list naming only the function, and `$LATEST`, are the function.
        for resource in [json!([ARN]), json!(format!("{ARN}:$LATEST"))] {
            let (mut record, _, after) = remediation();
            entry(&mut record, "public-invoke").original.statement["Resource"] = resource;
            assert!(restore_plan(&record, &after).is_ok());
        }
    }

    #[test]
    fn statements_of_an_alias_policy_restore_into_the_alias() {
        let alias = format!("{ARN}:prod");
        let mut statement = s3_statement();
        statement["Resource"] = json!(alias);
        let mut r = record(
            vec![removed(
                statement,
                Some(PermissionGrant {
                    qualifier: Some(Qualifier::parse("prod").unwrap()),
                    ..pinned()
                }),
                true,
            )],
            vec![],
        );
        r.removed_statements[0].function_arn = alias.clone();
        let reads = live_reads(&r).unwrap();
        let alias_arn = FunctionArn::parse(&alias).unwrap();
        assert_eq!(reads.functions, [function(), alias_arn.clone()].into());
        assert_eq!(reads.policies, [alias_arn.clone()].into());
        let actions = restore_actions(&r).unwrap();
        assert!(actions.iter().all(|a| match a {
            Action::RemovePermission { function, .. } | Action::AddPermission { function, .. } =>
                *function == alias_arn,
            _ => false,
        }));
        // The statement's Resource must be the alias, not the function.
        r.removed_statements[0].original.statement["Resource"] = json!(ARN);
        assert!(matches!(
            restore_actions(&r),
            Err(RestoreError::ResourceMismatch { .. })
        ));
    }

    #[test]
    fn other_malformed_records_are_refused() {
        let (mut record, _, after) = remediation();
        record.schema = "lambda-warden.audit/2".into();
        assert_eq!(
            refused(&record, &after),
            RestoreError::Schema {
                found: "lambda-warden.audit/2".into()
            }
        );

        let (mut record, _, after) = remediation();
        let copy = entry(&mut record, "public-invoke").clone();
        record.removed_statements.push(copy);
        assert_eq!(
            refused(&record, &after),
            RestoreError::DuplicateSid {
                sid: "public-invoke".into(),
                function_arn: ARN.into()
            }
        );

        for bad in ["", "has space", "semi;colon", &"x".repeat(101)] {
            let (mut record, _, after) = remediation();
            let e = entry(&mut record, "public-invoke");
            e.original.sid = bad.to_owned();
            e.original.statement["Sid"] = json!(bad);
            assert!(
                matches!(refused(&record, &after), RestoreError::InvalidSid { sid, .. } if sid == bad),
                "{bad:?}"
            );
        }

        let (mut record, _, after) = remediation();
        entry(&mut record, "public-invoke").original.sid = "events-invoke".into();
        assert_eq!(
            refused(&record, &after),
            RestoreError::SidMismatch {
                sid: "events-invoke".into(),
                statement_sid: Some("public-invoke".into())
            }
        );

        let (mut record, _, after) = remediation();
        record.url_auth_changes[0].function_arn = OTHER.into();
        assert_eq!(
            refused(&record, &after),
            RestoreError::UrlElsewhere {
                index: 0,
                function_arn: OTHER.into(),
                record_function_arn: ARN.into()
            }
        );

        let (mut record, _, after) = remediation();
        let change = record.url_auth_changes[0].clone();
        record.url_auth_changes.push(change);
        assert_eq!(
            refused(&record, &after),
            RestoreError::DuplicateUrlChange {
                function_arn: ARN.into()
            }
        );

        let (mut record, _, after) = remediation();
        record.function_arn = "orders-api".into();
        assert!(matches!(
            refused(&record, &after),
            RestoreError::BadArn { field, .. } if field == "function_arn"
        ));
    }

    #[test]
    fn entries_that_write_nothing_are_not_checked() {
        let (mut record, _, after) = remediation();
        for r in &mut record.removed_statements {
            r.removed = false;
            r.function_arn = OTHER.into();
        }
        for c in &mut record.url_auth_changes {
            c.changed = false;
        }
        record.function_arn = "arn:aws:lambda:us-east-1:123456789012:layer:l:1".into();
        assert_eq!(restore_plan(&record, &after).unwrap(), Vec::new());
        assert_eq!(live_reads(&record).unwrap(), LiveReads::default());
    }

    // ---- the record against the live function -------------------------------------------------

    #[test]
    fn a_function_that_does_not_exist_is_refused() {
        let (record, _, mut after) = remediation();
        after.functions.insert(function(), false);
        assert_eq!(
            refused(&record, &after),
            RestoreError::FunctionNotFound {
                function_arn: ARN.into()
            }
        );
        assert_eq!(
            refused(&record, &LiveState::default()),
            RestoreError::NotRead {
                part: "function",
                function_arn: ARN.into()
            }
        );
    }

    #[test]
    fn a_replacement_changed_live_is_not_removed() {
        // A replacement content the record says, but not the one live.
        let (mut record, _, after) = remediation();
        entry(&mut record, "s3-invoke")
            .replaced_by
            .as_mut()
            .unwrap()
            .source_account = Some(AccountId::parse("999999999999").unwrap());
        assert!(matches!(
            refused(&record, &after),
            RestoreError::ReplacementChanged { sid, live: Some(_), .. } if sid == "s3-invoke"
        ));
        // A human changed the replacement since.
        let (record, _, after) = remediation();
        let mut statements = statements_of(&after);
        for s in &mut statements {
            if s["Sid"] == "s3-invoke" {
                s["Principal"] = json!({"Service": "sns.amazonaws.com"});
            }
        }
        assert!(matches!(
            refused(&record, &live_with(statements.clone(), Some("AWS_IAM".into()))),
            RestoreError::ReplacementChanged { sid, live: Some(_), .. } if sid == "s3-invoke"
        ));
        // ... or removed it.
        statements.retain(|s| s["Sid"] != "s3-invoke");
        assert_eq!(
            refused(&record, &live_with(statements, Some("AWS_IAM".into()))),
            RestoreError::ReplacementChanged {
                sid: "s3-invoke".into(),
                function_arn: ARN.into(),
                live: None
            }
        );
    }

    #[test]
    fn a_sid_in_use_by_another_statement_is_not_overwritten() {
        let (record, _, after) = remediation();
        let mut statements = statements_of(&after);
        let other = json!({"Sid": "public-invoke", "Effect": "Allow",
                           "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                           "Action": "lambda:InvokeFunction", "Resource": ARN});
        statements.push(other.clone());
        assert_eq!(
            refused(
                &record,
                &live_with(statements.clone(), Some("AWS_IAM".into()))
            ),
            RestoreError::SidInUse {
                sid: "public-invoke".into(),
                function_arn: ARN.into(),
                live: Box::new(other)
            }
        );
        // Two live statements under a Sid the restore edits.
        let (record, _, after) = remediation();
        let mut statements = statements_of(&after);
        let twin = statements
            .iter()
            .find(|s| s["Sid"] == "s3-invoke")
            .cloned()
            .unwrap();
        statements.push(twin);
        assert!(matches!(
            refused(&record, &live_with(statements, Some("AWS_IAM".into()))),
            RestoreError::AmbiguousSid { sid, .. } if sid == "s3-invoke"
        ));
    }

    #[test]
    fn a_url_that_is_gone_is_refused_and_an_unreadable_policy_too() {
        let (record, _, after) = remediation();
        let gone = live_with(statements_of(&after), None);
        assert_eq!(
            refused(&record, &gone),
            RestoreError::UrlMissing {
                function_arn: ARN.into(),
                auth_type: "NONE".into()
            }
        );
        let mut unreadable = after.clone();
        unreadable
            .policies
            .insert(function(), Some("{not json".into()));
        assert!(matches!(
            refused(&record, &unreadable),
            RestoreError::LivePolicyUnreadable { .. }
        ));
    }

    // ---- the plan as the record describes it -------------------------------------------------

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
        assert_eq!(statement_from_grant(grant, &function()), s3_statement());
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
                function: function(),
                auth_type: "NONE".into()
            }
        );
    }

    #[test]
    fn a_statement_add_permission_cannot_write_names_its_sid_and_keeps_the_json() {
        let two_actions = json!({"Sid": "multi", "Effect": "Allow", "Principal": "*",
                                 "Action": ["lambda:InvokeFunction", "lambda:GetPolicy"],
                                 "Resource": ARN});
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
        let function = function();
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
                result(&remove, failed.clone()),
                result(&add, ActionStatus::NotAttempted),
            ],
        };
        assert!(rollback_actions(&nothing_removed).is_empty());

        // A permanent failure (a policy padded to its size limit) would fail on every
        // delivery: the original stays removed instead of being put back each time.
        let permanent = Outcome {
            results: vec![
                result(&remove, ActionStatus::Done),
                result(
                    &add,
                    ActionStatus::Failed {
                        kind: FailureKind::Invalid,
                        code: "PolicyLengthExceededException".into(),
                        operation: "AddPermission".into(),
                    },
                ),
            ],
        };
        assert!(rollback_actions(&permanent).is_empty());
        // A public statement is never re-opened, whatever the failure.
        let Action::RemovePermission {
            function: f,
            sid,
            revision_id,
            removed,
            ..
        } = remove.clone()
        else {
            unreachable!()
        };
        let public_remove = Action::RemovePermission {
            function: f,
            sid,
            revision_id,
            removed,
            fixes: vec![RuleId::LW001],
        };
        let public = Outcome {
            results: vec![
                result(&public_remove, ActionStatus::Done),
                result(&add, failed.clone()),
            ],
        };
        assert!(rollback_actions(&public).is_empty());

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

    #[test]
    fn statement_ids_are_checked_as_lambda_does() {
        assert!(is_statement_id("FunctionURLAllowPublicAccess"));
        assert!(is_statement_id("lambda-1b2c_3"));
        assert!(is_statement_id(&"x".repeat(100)));
        for bad in ["", "a b", "a.b", "a:b", "é", &"x".repeat(101)] {
            assert!(!is_statement_id(bad), "{bad:?}");
        }
    }
}

//! The execution role, parsed once for the role rules (LW019-LW024) and LW006: the trust
//! policy and every permission policy (attached managed policies and inline policies) whose
//! document was read.

use serde_json::{json, Value};

use crate::policy::{identity, PolicyParseError, ResourcePolicy, Statement};
use crate::snapshot::{AttachedPolicy, ExecutionRole, InlinePolicy};

/// Where a permission policy comes from.
#[derive(Debug, Clone, Copy)]
pub enum PolicySource<'a> {
    /// An attached managed policy.
    Managed(&'a AttachedPolicy),
    /// An inline policy.
    Inline(&'a InlinePolicy),
}

impl PolicySource<'_> {
    /// The locator prefix: `policy/NAME` for a managed policy, `inline/NAME` for an inline one.
    pub fn label(&self) -> String {
        match self {
            PolicySource::Managed(p) => format!("policy/{}", p.name),
            PolicySource::Inline(p) => format!("inline/{}", p.name),
        }
    }

    /// The policy's identity for evidence: `{"policy_arn": ...}` or `{"inline_policy": ...}`.
    pub fn evidence(&self) -> Value {
        match self {
            PolicySource::Managed(p) => json!({ "policy_arn": p.arn, "policy_name": p.name }),
            PolicySource::Inline(p) => json!({ "inline_policy": p.name }),
        }
    }

    /// How a human names it: `managed policy ARN` or `inline policy NAME`.
    pub fn describe(&self) -> String {
        match self {
            PolicySource::Managed(p) => format!("managed policy {}", p.arn),
            PolicySource::Inline(p) => format!("inline policy {}", p.name),
        }
    }
}

/// A permission policy whose document parsed.
#[derive(Debug)]
pub struct RolePolicy<'a> {
    /// Where it comes from.
    pub source: PolicySource<'a>,
    /// The parsed document.
    pub policy: ResourcePolicy,
}

/// The execution role, analysed.
#[derive(Debug)]
pub struct RoleAnalysis<'a> {
    /// The role as read.
    pub role: &'a ExecutionRole,
    /// The trust policy, parsed.
    pub trust: Result<ResourcePolicy, PolicyParseError>,
    /// The permission policies that were read and parsed, managed first, then inline.
    pub policies: Vec<RolePolicy<'a>>,
    /// Documents that were read but did not parse: (the policy, the error).
    pub unparseable: Vec<(PolicySource<'a>, PolicyParseError)>,
}

impl<'a> RoleAnalysis<'a> {
    /// Parses the trust policy and every readable permission policy.
    pub fn new(role: &'a ExecutionRole) -> Self {
        let mut policies = Vec::new();
        let mut unparseable = Vec::new();
        let managed = role
            .attached
            .value()
            .into_iter()
            .flatten()
            .map(|p| (PolicySource::Managed(p), p.document.value()));
        let inline = role
            .inline
            .value()
            .into_iter()
            .flatten()
            .map(|p| (PolicySource::Inline(p), p.document.value()));
        for (source, doc) in managed.chain(inline) {
            let Some(doc) = doc else { continue };
            match ResourcePolicy::parse(doc) {
                Ok(policy) => policies.push(RolePolicy { source, policy }),
                Err(e) => unparseable.push((source, e)),
            }
        }
        RoleAnalysis {
            role,
            trust: ResourcePolicy::parse(&role.trust_policy),
            policies,
            unparseable,
        }
    }

    /// Every `Deny` statement across the role's permission policies.
    pub fn denies(&self) -> Vec<&Statement> {
        identity::denies(self.policies.iter().map(|p| &p.policy))
    }

    /// Every statement of every permission policy: (policy, index in its document, statement).
    pub fn statements(&self) -> impl Iterator<Item = (&RolePolicy<'a>, usize, &Statement)> {
        self.policies.iter().flat_map(|p| {
            p.policy
                .statements
                .iter()
                .enumerate()
                .map(move |(i, s)| (p, i, s))
        })
    }
}

/// The locator of statement `index` of `policy`: `policy/NAME#INDEX`, `inline/NAME#INDEX`.
pub fn locator(policy: &PolicySource<'_>, index: usize) -> String {
    format!("{}#{index}", policy.label())
}

/// The evidence of a role finding about one statement: the role, the policy, the statement's
/// index and `Sid`, the statement verbatim, and `extra` merged in.
pub fn statement_evidence(
    role: &ExecutionRole,
    policy: &PolicySource<'_>,
    index: usize,
    stmt: &Statement,
    extra: Value,
) -> Value {
    let mut ev = json!({
        "role_arn": role.arn,
        "statement_index": index,
        "statement_sid": stmt.sid,
        "statement": stmt.raw(),
        "has_conditions": !stmt.conditions.is_empty(),
    });
    if let (Some(obj), Value::Object(p)) = (ev.as_object_mut(), policy.evidence()) {
        obj.extend(p);
    }
    if let (Some(obj), Value::Object(x)) = (ev.as_object_mut(), extra) {
        obj.extend(x);
    }
    ev
}

/// How a human names statement `index` of `policy`: `statement 0 (Sid "Admin") of managed
/// policy arn:...`.
pub fn describe_statement(policy: &PolicySource<'_>, index: usize, stmt: &Statement) -> String {
    match &stmt.sid {
        Some(sid) => format!("statement {index} (Sid {sid:?}) of {}", policy.describe()),
        None => format!("statement {index} of {}", policy.describe()),
    }
}

/// The remediation text shared by the role rules: roles are never edited by lambda-warden.
pub const ROLE_REMEDIATION_NOTE: &str = "lambda-warden never detaches or edits a role: it \
     alerts and tags only.";

//! The typed model of a Lambda resource-based policy, parsed from `GetPolicy`'s `Policy`
//! string (<https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>).
//!
//! Element grammar: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>.
//! Parsing is lenient where AWS is (a single statement object or a list; `Action` and
//! `Resource` as a string or a list; principal values as a string or a list; condition values
//! as strings, booleans, numbers or lists of them) and strict where meaning would be lost
//! (a principal that is a number, a condition value that is an object).

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use thiserror::Error;

use super::condition::{
    analyse, Condition, ConditionKey, ConditionOperator, Dimension, OperatorBase, SetOperator,
};
use super::keys;
use super::pattern::wildcard_match_ignore_case;

/// The largest policy document [`ResourcePolicy::parse`] accepts, in bytes (1 MiB). Lambda's
/// own limit on a function's resource-based policy is 20 KB
/// (<https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>); the margin
/// only keeps a hostile input from costing unbounded memory.
pub const MAX_POLICY_BYTES: usize = 1024 * 1024;

/// Why a policy document could not be read. Messages name the statement by `Sid` (or by
/// index when it has none) and the field, with what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyParseError {
    /// The document is larger than [`MAX_POLICY_BYTES`].
    #[error("policy document is {bytes} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// Size of the document, in bytes.
        bytes: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The document is not valid JSON.
    #[error("policy document is not JSON: {reason} at line {line} column {column}")]
    NotJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser found wrong.
        reason: String,
    },
    /// The document is JSON but not an object.
    #[error("policy document is {found}, expected a JSON object")]
    NotAnObject {
        /// What it is instead, e.g. `an array`.
        found: String,
    },
    /// The document has no `Statement` element.
    #[error("policy document has no Statement element")]
    MissingStatement,
    /// A statement is not an object.
    #[error("statement {index} is {found}, expected a JSON object")]
    StatementNotObject {
        /// 0-based position in `Statement`.
        index: usize,
        /// What it is instead.
        found: String,
    },
    /// A statement field has a shape AWS does not give it.
    #[error("{}: {field} must be {expected}, found {found}", statement_label(*.index, .sid))]
    Field {
        /// 0-based position in `Statement`.
        index: usize,
        /// The statement's `Sid`, when it has a readable one.
        sid: Option<String>,
        /// The field, as AWS spells it (`Principal`, `Condition`, ...).
        field: &'static str,
        /// What the field must be.
        expected: &'static str,
        /// What it is, with the path inside the field when the error is nested.
        found: String,
    },
    /// A top-level field (`Version`, `Id`) has a shape AWS does not give it.
    #[error("policy document field {field} must be {expected}, found {found}")]
    DocumentField {
        /// `Version` or `Id`.
        field: &'static str,
        /// What the field must be.
        expected: &'static str,
        /// What it is.
        found: String,
    },
}

impl PolicyParseError {
    /// The same error for a statement that stands at `index` in its document (used when each
    /// statement is parsed on its own).
    pub fn at_index(self, index: usize) -> Self {
        match self {
            PolicyParseError::StatementNotObject { found, .. } => {
                PolicyParseError::StatementNotObject { index, found }
            }
            PolicyParseError::Field {
                sid,
                field,
                expected,
                found,
                ..
            } => PolicyParseError::Field {
                index,
                sid,
                field,
                expected,
                found,
            },
            other => other,
        }
    }
}

/// `statement "sid" (index 2)` or `statement 2 (no Sid)`.
fn statement_label(index: usize, sid: &Option<String>) -> String {
    match sid {
        Some(sid) => format!("statement {sid:?} (index {index})"),
        None => format!("statement {index} (no Sid)"),
    }
}

/// A resource-based policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePolicy {
    /// `Version`, e.g. `2012-10-17`.
    pub version: Option<String>,
    /// `Id`, e.g. `default` (Lambda's own policies carry it).
    pub id: Option<String>,
    /// `Statement`, in document order.
    pub statements: Vec<Statement>,
}

/// `Effect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
    /// Any other text (IAM spells the two effects exactly `Allow` and `Deny`); empty when the
    /// statement has no `Effect`. Analysed as `Allow` (fail closed).
    Unknown(String),
}

/// `Principal` or `NotPrincipal`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The string `"*"`: everyone, including anonymous callers.
    Wildcard,
    /// A map from principal type to values.
    Map(PrincipalMap),
}

/// The principal map: `{"AWS": ..., "Service": ..., "Federated": ..., "CanonicalUser": ...}`,
/// each value a string or a list of strings, normalised to lists.
///
/// A bare string other than `"*"` (which AWS never returns, but `AddPermission` accepts as
/// input) is read as one value: under `service` when it ends in `.amazonaws.com`,
/// `.amazonaws.com.cn` or `.amazon.com`, else under `aws`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrincipalMap {
    /// `AWS`: account ids, IAM/STS ARNs, or `*`.
    pub aws: Vec<String>,
    /// `Service`: service principals such as `s3.amazonaws.com`.
    pub service: Vec<String>,
    /// `Federated`: identity providers.
    pub federated: Vec<String>,
    /// `CanonicalUser`: S3 canonical user ids.
    pub canonical_user: Vec<String>,
    /// Any other principal type, with its values (analysed as unrecognised, fail closed).
    pub other: Vec<(String, Vec<String>)>,
}

/// One statement of a resource-based policy.
#[derive(Debug, Clone)]
pub struct Statement {
    /// `Sid`.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal`.
    pub principal: Option<Principal>,
    /// `NotPrincipal`.
    pub not_principal: Option<Principal>,
    /// `Action`, normalised to a list.
    pub action: Vec<String>,
    /// `NotAction`, normalised to a list.
    pub not_action: Vec<String>,
    /// `Resource`, normalised to a list.
    pub resource: Vec<String>,
    /// `NotResource`, normalised to a list.
    pub not_resource: Vec<String>,
    /// `Condition`, flattened: one entry per (operator, key), operators and keys in the
    /// order of the parsed JSON object.
    pub conditions: Vec<Condition>,
    /// The statement's JSON text, with every field, including ones the analysis ignores: the
    /// document's own text of the statement when parsed from text, else the value written
    /// out. [`Statement::raw`] gives it as a value (only findings and restores need it, so
    /// it is not built for every statement judged).
    pub raw_json: Box<str>,
}

/// Statements are equal when their elements are, and their texts are the same JSON value
/// (whitespace and the way the text was obtained do not count).
impl PartialEq for Statement {
    fn eq(&self, other: &Statement) -> bool {
        self.sid == other.sid
            && self.effect == other.effect
            && self.principal == other.principal
            && self.not_principal == other.not_principal
            && self.action == other.action
            && self.not_action == other.not_action
            && self.resource == other.resource
            && self.not_resource == other.not_resource
            && self.conditions == other.conditions
            && (self.raw_json == other.raw_json || self.raw() == other.raw())
    }
}

impl ResourcePolicy {
    /// Parses `GetPolicy`'s `Policy` JSON string.
    ///
    /// # Errors
    /// [`PolicyParseError::TooLarge`] over [`MAX_POLICY_BYTES`]; [`PolicyParseError::NotJson`];
    /// [`PolicyParseError::NotAnObject`]; [`PolicyParseError::MissingStatement`];
    /// [`PolicyParseError::StatementNotObject`]; [`PolicyParseError::Field`] naming the
    /// statement and field; [`PolicyParseError::DocumentField`] for `Version`/`Id`.
    pub fn parse(json: &str) -> Result<ResourcePolicy, PolicyParseError> {
        // Straight from the text into the model; a shape the direct parse leaves undecided
        // (every error among them, the size limit included) goes through a `Value`, which
        // gives the same model or the structured error.
        if json.len() <= MAX_POLICY_BYTES {
            if let Some(policy) = super::wire::parse(json) {
                return Ok(policy);
            }
        }
        Self::parse_through_value(json)
    }

    /// As [`ResourcePolicy::parse`], always through a `serde_json::Value` of the whole
    /// document: the reference the direct parse is held to.
    ///
    /// # Errors
    /// As [`ResourcePolicy::parse`].
    #[doc(hidden)]
    pub fn parse_through_value(json: &str) -> Result<ResourcePolicy, PolicyParseError> {
        if json.len() > MAX_POLICY_BYTES {
            return Err(PolicyParseError::TooLarge {
                bytes: json.len(),
                limit: MAX_POLICY_BYTES,
            });
        }
        let doc: Value = serde_json::from_str(json).map_err(not_json)?;
        Self::from_owned(doc)
    }

    /// As [`ResourcePolicy::from_value`], for a document the caller owns.
    fn from_owned(doc: Value) -> Result<ResourcePolicy, PolicyParseError> {
        let Value::Object(mut map) = doc else {
            return Err(PolicyParseError::NotAnObject {
                found: describe(&doc),
            });
        };
        let version = document_string(&map, "Version")?;
        let id = document_string(&map, "Id")?;
        let statements = match map.remove("Statement") {
            None => return Err(PolicyParseError::MissingStatement),
            Some(Value::Array(list)) => list
                .into_iter()
                .enumerate()
                .map(|(i, s)| Statement::from_value(i, &s))
                .collect::<Result<Vec<_>, _>>()?,
            Some(one) => vec![Statement::from_value(0, &one)?],
        };
        Ok(ResourcePolicy {
            version,
            id,
            statements,
        })
    }

    /// Builds the model from an already-parsed JSON document.
    ///
    /// # Errors
    /// As [`ResourcePolicy::parse`], except `TooLarge` and `NotJson`.
    pub fn from_value(doc: &Value) -> Result<ResourcePolicy, PolicyParseError> {
        let Value::Object(map) = doc else {
            return Err(PolicyParseError::NotAnObject {
                found: describe(doc),
            });
        };
        let version = document_string(map, "Version")?;
        let id = document_string(map, "Id")?;
        let statements = match map.get("Statement") {
            None => return Err(PolicyParseError::MissingStatement),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, s)| Statement::from_value(i, s))
                .collect::<Result<Vec<_>, _>>()?,
            Some(one) => vec![Statement::from_value(0, one)?],
        };
        Ok(ResourcePolicy {
            version,
            id,
            statements,
        })
    }

    /// The statement whose `Sid` is exactly `sid` (Lambda statement ids are case-sensitive),
    /// the first when several share it.
    pub fn statement(&self, sid: &str) -> Option<&Statement> {
        self.statements
            .iter()
            .find(|s| s.sid.as_deref() == Some(sid))
    }
}

fn not_json(e: serde_json::Error) -> PolicyParseError {
    // serde_json appends " at line L column C" to its message; keep the message alone.
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let reason = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    PolicyParseError::NotJson {
        line: e.line(),
        column: e.column(),
        reason,
    }
}

fn document_string(
    map: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, PolicyParseError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(PolicyParseError::DocumentField {
            field,
            expected: "a string",
            found: describe(other),
        }),
    }
}

/// A short description of a JSON value for error messages: its type, and for scalars its
/// value (strings cut to 40 characters).
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            if short.len() < s.len() {
                format!("a string ({short:?}...)")
            } else {
                format!("a string ({s:?})")
            }
        }
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// A field error before the statement's `Sid` is attached.
struct FieldError {
    field: &'static str,
    expected: &'static str,
    found: String,
}

const STRING_OR_LIST: &str = "a string or a list of strings";
const PRINCIPAL_SHAPE: &str = "\"*\" or an object whose values are strings or lists of strings";
const CONDITION_SHAPE: &str = "an object mapping operators to objects of condition keys and values";
const CONDITION_VALUE_SHAPE: &str = "a string, boolean or number, or a list of them";

impl Statement {
    fn from_value(index: usize, v: &Value) -> Result<Statement, PolicyParseError> {
        let Value::Object(map) = v else {
            return Err(PolicyParseError::StatementNotObject {
                index,
                found: describe(v),
            });
        };
        let sid = match map.get("Sid") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(PolicyParseError::Field {
                    index,
                    sid: None,
                    field: "Sid",
                    expected: "a string",
                    found: describe(other),
                })
            }
        };
        let at = |e: FieldError| PolicyParseError::Field {
            index,
            sid: sid.clone(),
            field: e.field,
            expected: e.expected,
            found: e.found,
        };
        let effect = match map.get("Effect") {
            None => Effect::Unknown(String::new()),
            Some(Value::String(s)) => match s.as_str() {
                "Allow" => Effect::Allow,
                "Deny" => Effect::Deny,
                other => Effect::Unknown(other.to_owned()),
            },
            Some(other) => {
                return Err(at(FieldError {
                    field: "Effect",
                    expected: "the string \"Allow\" or \"Deny\"",
                    found: describe(other),
                }))
            }
        };
        Ok(Statement {
            effect,
            principal: principal(map, "Principal").map_err(at)?,
            not_principal: principal(map, "NotPrincipal").map_err(at)?,
            action: string_list(map, "Action").map_err(at)?,
            not_action: string_list(map, "NotAction").map_err(at)?,
            resource: string_list(map, "Resource").map_err(at)?,
            not_resource: string_list(map, "NotResource").map_err(at)?,
            conditions: conditions(map).map_err(at)?,
            sid,
            raw_json: v.to_string().into(),
        })
    }

    /// The statement as a JSON value, with every field, including ones the analysis ignores
    /// ([`Statement::raw_json`] read back; object keys in the order of the text).
    pub fn raw(&self) -> Value {
        // The text is JSON this crate read or wrote; `Null` would only mark a broken invariant.
        serde_json::from_str(&self.raw_json).unwrap_or(Value::Null)
    }

    /// The value of the statement's `StringEquals` `lambda:FunctionUrlAuthType` condition
    /// (`"NONE"` or `"AWS_IAM"`), which Lambda adds when `AddPermission` is called with
    /// `FunctionUrlAuthType`
    /// (<https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>). When the condition
    /// lists several values, `"NONE"` wins if present (the most permissive), else the first.
    /// `None` without such a condition (also for `...IfExists` or `ForAllValues:` forms,
    /// which do not require the key).
    pub fn function_url_auth_type(&self) -> Option<&str> {
        let values: Vec<&str> = self
            .conditions
            .iter()
            .filter(|c| {
                c.key.is(keys::FUNCTION_URL_AUTH_TYPE)
                    && c.operator.base == OperatorBase::StringEquals
                    && !c.operator.if_exists
                    && c.operator.set != Some(SetOperator::ForAllValues)
            })
            .flat_map(|c| c.values.iter().map(String::as_str))
            .collect();
        values
            .iter()
            .find(|v| **v == "NONE")
            .or_else(|| values.first())
            .copied()
    }

    /// Whether a `Bool` condition `lambda:InvokedViaFunctionUrl` = `true` restricts the
    /// statement to invocations made through the function URL (the `lambda:InvokeFunction`
    /// statement a function URL needs since October 2025,
    /// <https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>). `IfExists` and
    /// `ForAllValues:` forms do not restrict (they pass when the key is absent).
    pub fn invoked_via_function_url(&self) -> bool {
        self.conditions.iter().any(|c| {
            c.key.is(keys::INVOKED_VIA_FUNCTION_URL)
                && c.operator.base == OperatorBase::Bool
                && !c.operator.if_exists
                && c.operator.set != Some(SetOperator::ForAllValues)
                && !c.values.is_empty()
                && c.values.iter().all(|v| v.eq_ignore_ascii_case("true"))
        })
    }

    /// Whether the statement's action patterns cover `action`, as IAM matches actions:
    /// case-insensitively, with `*` and `?` wildcards (so `lambda:*` and `*` cover
    /// `lambda:InvokeFunction`)
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>).
    /// With `NotAction`, the statement covers every action *not* listed
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html>).
    /// The effect is not considered: a `Deny` statement can cover an action too.
    pub fn allows_action(&self, action: &str) -> bool {
        let any = |list: &[String]| list.iter().any(|p| wildcard_match_ignore_case(p, action));
        any(&self.action) || (!self.not_action.is_empty() && !any(&self.not_action))
    }

    /// The statement's conditions on `key` (compared case-insensitively).
    pub fn conditions_on<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Condition> + 'a {
        self.conditions.iter().filter(move |c| c.key.is(key))
    }

    /// The one account that the statement's `aws:SourceArn` conditions pin the source to, when
    /// every value of every pinning `aws:SourceArn` condition names that same account
    /// (e.g. `arn:aws:sns:us-east-1:111122223333:topic`). `None` when no `aws:SourceArn`
    /// condition pins an account (S3 bucket ARNs carry none) or when they name different
    /// accounts. A remediation may add an `aws:SourceAccount` pin with this value without
    /// changing who can invoke.
    pub fn source_arn_account(&self) -> Option<String> {
        let mut accounts = BTreeSet::new();
        for c in self.conditions_on(keys::SOURCE_ARN) {
            if let Some(pin) = analyse(c).pin {
                if pin.dimension == Dimension::SourceAccount {
                    accounts.extend(pin.values);
                }
            }
        }
        let mut it = accounts.into_iter();
        match (it.next(), it.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }
}

fn string_list(map: &Map<String, Value>, field: &'static str) -> Result<Vec<String>, FieldError> {
    let bad = |found: String| FieldError {
        field,
        expected: STRING_OR_LIST,
        found,
    };
    match map.get(field) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(bad(format!("{} at {field}[{i}]", describe(other)))),
            })
            .collect(),
        Some(other) => Err(bad(describe(other))),
    }
}

impl PrincipalMap {
    /// Adds `values` under principal type `kind` (`AWS`, `Service`, `Federated`,
    /// `CanonicalUser`, or any other, kept as written).
    pub(super) fn add(&mut self, kind: &str, values: Vec<String>) {
        match kind {
            "AWS" => self.aws.extend(values),
            "Service" => self.service.extend(values),
            "Federated" => self.federated.extend(values),
            "CanonicalUser" => self.canonical_user.extend(values),
            _ => self.other.push((kind.to_owned(), values)),
        }
    }
}

/// A principal written as a bare string: `"*"` is everyone; any other value is one service
/// principal when it ends in `.amazonaws.com`, `.amazonaws.com.cn` or `.amazon.com`, else one
/// `AWS` principal ([`PrincipalMap`]).
pub(super) fn bare_principal(s: &str) -> Principal {
    if s == "*" {
        return Principal::Wildcard;
    }
    let mut m = PrincipalMap::default();
    let lower = s.to_ascii_lowercase();
    if lower.ends_with(".amazonaws.com")
        || lower.ends_with(".amazonaws.com.cn")
        || lower.ends_with(".amazon.com")
    {
        m.service.push(s.to_owned());
    } else {
        m.aws.push(s.to_owned());
    }
    Principal::Map(m)
}

fn principal(
    map: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<Principal>, FieldError> {
    let bad = |found: String| FieldError {
        field,
        expected: PRINCIPAL_SHAPE,
        found,
    };
    let value = match map.get(field) {
        None => return Ok(None),
        Some(v) => v,
    };
    match value {
        Value::String(s) => Ok(Some(bare_principal(s))),
        Value::Object(entries) => {
            let mut m = PrincipalMap::default();
            for (kind, v) in entries {
                let values = match v {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| match item {
                            Value::String(s) => Ok(s.clone()),
                            other => {
                                Err(bad(format!("{} at {field}.{kind}[{i}]", describe(other))))
                            }
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                    other => return Err(bad(format!("{} at {field}.{kind}", describe(other)))),
                };
                m.add(kind, values);
            }
            Ok(Some(Principal::Map(m)))
        }
        other => Err(bad(describe(other))),
    }
}

fn conditions(map: &Map<String, Value>) -> Result<Vec<Condition>, FieldError> {
    let bad = |expected: &'static str, found: String| FieldError {
        field: "Condition",
        expected,
        found,
    };
    let block = match map.get("Condition") {
        None => return Ok(Vec::new()),
        Some(Value::Object(block)) => block,
        Some(other) => return Err(bad(CONDITION_SHAPE, describe(other))),
    };
    let mut out = Vec::new();
    for (op, entries) in block {
        let Value::Object(entries) = entries else {
            return Err(bad(
                CONDITION_SHAPE,
                format!("{} at Condition.{op}", describe(entries)),
            ));
        };
        let operator = ConditionOperator::parse(op);
        for (key, v) in entries {
            let path = || format!("Condition.{op}.{key}");
            let values = match v {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        scalar_text(item).ok_or_else(|| {
                            bad(
                                CONDITION_VALUE_SHAPE,
                                format!("{} at {}[{i}]", describe(item), path()),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                other => vec![scalar_text(other).ok_or_else(|| {
                    bad(
                        CONDITION_VALUE_SHAPE,
                        format!("{} at {}", describe(other), path()),
                    )
                })?],
            };
            out.push(Condition {
                operator: operator.clone(),
                key: ConditionKey::new(key),
                values,
            });
        }
    }
    Ok(out)
}

/// A condition value as text: strings as they are, booleans and numbers as JSON writes them.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_statement_object_and_scalar_fields_are_normalised() {
        let p = ResourcePolicy::parse(
            r#"{"Version":"2012-10-17","Id":"default","Statement":{"Sid":"a","Effect":"Allow",
            "Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction",
            "Resource":"arn:aws:lambda:us-east-1:111122223333:function:f",
            "Condition":{"StringEquals":{"AWS:SourceAccount":111122223333,"x:flag":true}}}}"#,
        )
        .unwrap();
        assert_eq!(p.version.as_deref(), Some("2012-10-17"));
        assert_eq!(p.id.as_deref(), Some("default"));
        let s = p.statement("a").unwrap();
        assert_eq!(s.action, vec!["lambda:InvokeFunction"]);
        assert_eq!(s.conditions.len(), 2);
        let acct = s.conditions_on("aws:sourceaccount").next().unwrap();
        assert_eq!(acct.values, vec!["111122223333"]);
        assert_eq!(
            s.conditions_on("X:FLAG").next().unwrap().values,
            vec!["true"]
        );
    }

    #[test]
    fn bare_principal_strings_are_read_by_shape() {
        let p = ResourcePolicy::parse(
            r#"{"Statement":[{"Effect":"Allow","Principal":"111122223333"},
            {"Effect":"Allow","Principal":"sns.amazonaws.com"}]}"#,
        )
        .unwrap();
        let m = |i: usize| match &p.statements[i].principal {
            Some(Principal::Map(m)) => m.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(m(0).aws, vec!["111122223333"]);
        assert_eq!(m(1).service, vec!["sns.amazonaws.com"]);
    }

    #[test]
    fn actions_match_with_wildcards_and_not_action() {
        let p = ResourcePolicy::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":["lambda:Get*","LAMBDA:invokefunction"]},
            {"Effect":"Allow","NotAction":"lambda:InvokeFunction"}]}"#,
        )
        .unwrap();
        let (a, b) = (&p.statements[0], &p.statements[1]);
        assert!(a.allows_action("lambda:InvokeFunction"));
        assert!(a.allows_action("lambda:GetPolicy"));
        assert!(!a.allows_action("lambda:InvokeFunctionUrl"));
        assert!(!b.allows_action("lambda:InvokeFunction"));
        assert!(b.allows_action("lambda:InvokeFunctionUrl"));
    }

    #[test]
    fn source_arn_account_needs_one_account() {
        let one = ResourcePolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Condition":{"ArnLike":{"AWS:SourceArn":
            "arn:aws:sns:us-east-1:111122223333:topic"}}}}"#,
        )
        .unwrap();
        assert_eq!(
            one.statements[0].source_arn_account().as_deref(),
            Some("111122223333")
        );
        let s3 = ResourcePolicy::parse(
            r#"{"Statement":{"Effect":"Allow","Condition":{"ArnLike":{"AWS:SourceArn":
            "arn:aws:s3:::bucket"}}}}"#,
        )
        .unwrap();
        assert_eq!(s3.statements[0].source_arn_account(), None);
    }
}

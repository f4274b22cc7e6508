//! Condition operators, condition keys, and what a condition does to the set of callers a
//! statement admits.
//!
//! Sources:
//! - operators: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! - global condition keys: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>
//! - set operators: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>
//! - the confused deputy: <https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html>

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::hash::{Hash, Hasher};

use super::keys;
use super::limit::{analyse_limit, Limit};
use super::pattern::{has_policy_variable, has_wildcard, is_account_id, ArnParts};

/// A condition key as the policy spells it, e.g. `AWS:SourceArn`.
///
/// Condition key names are case-insensitive in IAM ("Context key names are not case-sensitive",
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html>),
/// so equality, ordering and hashing use the lowercase form; [`ConditionKey::as_str`] keeps the
/// original spelling for messages.
#[derive(Debug, Clone)]
pub struct ConditionKey {
    original: String,
    lower: String,
}

impl ConditionKey {
    /// Wraps a key as written.
    pub fn new(s: &str) -> Self {
        ConditionKey {
            original: s.to_owned(),
            lower: s.to_ascii_lowercase(),
        }
    }

    /// The key as the policy spells it.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The key in lowercase, as the constants in [`keys`] are written.
    pub fn lowercase(&self) -> &str {
        &self.lower
    }

    /// Whether this is `key`, compared case-insensitively.
    pub fn is(&self, key: &str) -> bool {
        self.lower.eq_ignore_ascii_case(key)
    }
}

impl PartialEq for ConditionKey {
    fn eq(&self, other: &Self) -> bool {
        self.lower == other.lower
    }
}

impl Eq for ConditionKey {}

impl Hash for ConditionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.lower.hash(state);
    }
}

impl PartialOrd for ConditionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ConditionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.lower.cmp(&other.lower)
    }
}

impl fmt::Display for ConditionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// The set qualifier of an operator (`ForAnyValue:` or `ForAllValues:` prefix)
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetOperator {
    /// True when at least one request value matches; false when the key is absent.
    ForAnyValue,
    /// True when every request value matches, and also when the key is absent or empty.
    ForAllValues,
}

impl SetOperator {
    /// AWS's spelling, without the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            SetOperator::ForAnyValue => "ForAnyValue",
            SetOperator::ForAllValues => "ForAllValues",
        }
    }
}

/// The operator proper, without set qualifier and `IfExists` suffix
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>).
/// Operator names are matched exactly as AWS spells them; anything else is
/// [`OperatorBase::Unknown`], which pins nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OperatorBase {
    /// Exact, case-sensitive string match; no wildcards.
    StringEquals,
    /// Negated [`OperatorBase::StringEquals`].
    StringNotEquals,
    /// Exact match ignoring case; no wildcards.
    StringEqualsIgnoreCase,
    /// Negated [`OperatorBase::StringEqualsIgnoreCase`].
    StringNotEqualsIgnoreCase,
    /// Case-sensitive match where `*` and `?` are wildcards (that may span `:`).
    StringLike,
    /// Negated [`OperatorBase::StringLike`].
    StringNotLike,
    /// ARN match; each of the six `:`-separated parts is matched separately and may hold `*`
    /// and `?` wildcards. AWS documents `ArnEquals` and `ArnLike` together: both accept
    /// wildcards and behave the same.
    ArnEquals,
    /// Negated [`OperatorBase::ArnEquals`].
    ArnNotEquals,
    /// Same as [`OperatorBase::ArnEquals`].
    ArnLike,
    /// Negated [`OperatorBase::ArnLike`].
    ArnNotLike,
    /// Boolean match.
    Bool,
    /// Whether the key is absent (`true`) or present (`false`).
    Null,
    /// Numeric `=`.
    NumericEquals,
    /// Numeric `!=`.
    NumericNotEquals,
    /// Numeric `<`.
    NumericLessThan,
    /// Numeric `<=`.
    NumericLessThanEquals,
    /// Numeric `>`.
    NumericGreaterThan,
    /// Numeric `>=`.
    NumericGreaterThanEquals,
    /// Date `=`.
    DateEquals,
    /// Date `!=`.
    DateNotEquals,
    /// Date `<`.
    DateLessThan,
    /// Date `<=`.
    DateLessThanEquals,
    /// Date `>`.
    DateGreaterThan,
    /// Date `>=`.
    DateGreaterThanEquals,
    /// IP address or CIDR range match.
    IpAddress,
    /// Negated [`OperatorBase::IpAddress`].
    NotIpAddress,
    /// Base-64 binary match.
    BinaryEquals,
    /// A name IAM does not define (or a spelling other than AWS's), kept as written.
    Unknown(String),
}

impl OperatorBase {
    /// Parses an operator name (without set qualifier or `IfExists`), exactly as AWS spells it.
    pub fn parse(s: &str) -> Self {
        use OperatorBase::*;
        match s {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "ArnEquals" => ArnEquals,
            "ArnNotEquals" => ArnNotEquals,
            "ArnLike" => ArnLike,
            "ArnNotLike" => ArnNotLike,
            "Bool" => Bool,
            "Null" => Null,
            "NumericEquals" => NumericEquals,
            "NumericNotEquals" => NumericNotEquals,
            "NumericLessThan" => NumericLessThan,
            "NumericLessThanEquals" => NumericLessThanEquals,
            "NumericGreaterThan" => NumericGreaterThan,
            "NumericGreaterThanEquals" => NumericGreaterThanEquals,
            "DateEquals" => DateEquals,
            "DateNotEquals" => DateNotEquals,
            "DateLessThan" => DateLessThan,
            "DateLessThanEquals" => DateLessThanEquals,
            "DateGreaterThan" => DateGreaterThan,
            "DateGreaterThanEquals" => DateGreaterThanEquals,
            "IpAddress" => IpAddress,
            "NotIpAddress" => NotIpAddress,
            "BinaryEquals" => BinaryEquals,
            other => Unknown(other.to_owned()),
        }
    }

    /// AWS's spelling (or the unknown name as written).
    pub fn as_str(&self) -> &str {
        use OperatorBase::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            ArnEquals => "ArnEquals",
            ArnNotEquals => "ArnNotEquals",
            ArnLike => "ArnLike",
            ArnNotLike => "ArnNotLike",
            Bool => "Bool",
            Null => "Null",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
            BinaryEquals => "BinaryEquals",
            Unknown(s) => s,
        }
    }

    /// Whether the operator admits the values *not* listed (`StringNotEquals`, `ArnNotLike`,
    /// `NotIpAddress`, ...). A negated operator is also true when the key is absent.
    pub fn is_negated(&self) -> bool {
        use OperatorBase::*;
        match self {
            StringNotEquals
            | StringNotEqualsIgnoreCase
            | StringNotLike
            | ArnNotEquals
            | ArnNotLike
            | NumericNotEquals
            | DateNotEquals
            | NotIpAddress => true,
            StringEquals
            | StringEqualsIgnoreCase
            | StringLike
            | ArnEquals
            | ArnLike
            | Bool
            | Null
            | NumericEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals
            | DateEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals
            | IpAddress
            | BinaryEquals
            | Unknown(_) => false,
        }
    }
}

/// A condition operator: the operator proper, whether it carries the `IfExists` suffix, and
/// its set qualifier, e.g. `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConditionOperator {
    /// The operator proper.
    pub base: OperatorBase,
    /// `...IfExists`: "if the key is not present in the request context, the condition is
    /// true"
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists>).
    pub if_exists: bool,
    /// `ForAnyValue:` or `ForAllValues:`, when present.
    pub set: Option<SetOperator>,
}

impl ConditionOperator {
    /// Parses an operator as it appears as a key of the `Condition` block. Never fails: a name
    /// IAM does not define becomes [`OperatorBase::Unknown`] (with the whole text when it has
    /// an unknown qualifier before a `:`).
    pub fn parse(s: &str) -> Self {
        let (set, rest) = if let Some(r) = s.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), r)
        } else if let Some(r) = s.strip_prefix("ForAllValues:") {
            (Some(SetOperator::ForAllValues), r)
        } else if s.contains(':') {
            return ConditionOperator {
                base: OperatorBase::Unknown(s.to_owned()),
                if_exists: false,
                set: None,
            };
        } else {
            (None, s)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) if !b.is_empty() => (b, true),
            _ => (rest, false),
        };
        ConditionOperator {
            base: OperatorBase::parse(base),
            if_exists,
            set,
        }
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(set) = self.set {
            write!(f, "{}:", set.as_str())?;
        }
        f.write_str(self.base.as_str())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// One condition: one operator applied to one key, with the policy's values (ORed).
///
/// The `Condition` block `{"StringEquals": {"aws:SourceAccount": "111122223333"}}` becomes one
/// `Condition`. Values are strings; JSON booleans and numbers become their text (`true`,
/// `42`), and a single value becomes a one-element list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// The operator.
    pub operator: ConditionOperator,
    /// The condition key.
    pub key: ConditionKey,
    /// The values, in document order.
    pub values: Vec<String>,
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}=", self.operator, self.key)?;
        match self.values.as_slice() {
            [one] => write!(f, "{one:?}"),
            many => write!(f, "{many:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What a condition pins.

/// Which property of a request a pinning condition fixes. Pins on the same dimension
/// intersect exactly; pins on different dimensions are combined by taking the most
/// restrictive (see `verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dimension {
    /// The account of the calling principal: the principal itself, `aws:PrincipalAccount`,
    /// the account of `aws:PrincipalArn`.
    PrincipalAccount,
    /// The account of the resource on whose behalf a service calls: `aws:SourceAccount`,
    /// `aws:SourceOwner`, the account of `aws:SourceArn`.
    SourceAccount,
    /// The organization of the calling principal: `aws:PrincipalOrgID`,
    /// `aws:PrincipalOrgPaths`.
    PrincipalOrg,
    /// The organization of the source resource: `aws:SourceOrgID`, `aws:SourceOrgPaths`.
    SourceOrg,
    /// The Alexa skill that a service principal calls for: `lambda:EventSourceToken`.
    SourceToken,
}

impl Dimension {
    /// Words for messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Dimension::PrincipalAccount => "the principal's account",
            Dimension::SourceAccount => "the source account",
            Dimension::PrincipalOrg => "the principal's organization",
            Dimension::SourceOrg => "the source's organization",
            Dimension::SourceToken => "the event source token",
        }
    }

    /// Whether the pinned values are organization ids (else account ids or tokens).
    pub(crate) fn is_org(self) -> bool {
        matches!(self, Dimension::PrincipalOrg | Dimension::SourceOrg)
    }
}

/// How a key's values are read when the key pins a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyRole {
    /// The value is a 12-digit account id.
    Account(Dimension),
    /// The value is an ARN whose account field is the pinned account.
    Arn(Dimension),
    /// The value is an organization id.
    Org(Dimension),
    /// The value is an organization path `o-xxx/r-xxx/ou-xxx/`; the first segment is the
    /// organization.
    OrgPath(Dimension),
    /// `lambda:EventSourceToken`: pins the Alexa skill for a service principal.
    Token,
    /// Says nothing about who the caller is.
    Other,
}

fn key_role(key: &ConditionKey) -> KeyRole {
    match key.lowercase() {
        keys::SOURCE_ACCOUNT | keys::SOURCE_OWNER => KeyRole::Account(Dimension::SourceAccount),
        keys::PRINCIPAL_ACCOUNT => KeyRole::Account(Dimension::PrincipalAccount),
        keys::SOURCE_ARN => KeyRole::Arn(Dimension::SourceAccount),
        keys::PRINCIPAL_ARN => KeyRole::Arn(Dimension::PrincipalAccount),
        keys::PRINCIPAL_ORG_ID => KeyRole::Org(Dimension::PrincipalOrg),
        keys::SOURCE_ORG_ID => KeyRole::Org(Dimension::SourceOrg),
        keys::PRINCIPAL_ORG_PATHS => KeyRole::OrgPath(Dimension::PrincipalOrg),
        keys::SOURCE_ORG_PATHS => KeyRole::OrgPath(Dimension::SourceOrg),
        keys::EVENT_SOURCE_TOKEN => KeyRole::Token,
        _ => KeyRole::Other,
    }
}

/// A condition that restricts one dimension of the caller to a fixed set of values. An empty
/// set means no request can satisfy the condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pin {
    pub dimension: Dimension,
    pub values: BTreeSet<String>,
}

/// What one condition does, with the sentence fragment that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConditionAnalysis {
    /// The condition key, as the policy spells it.
    pub key: String,
    /// `Some` when the condition pins a dimension of the caller.
    pub pin: Option<Pin>,
    /// `Some` when it limits the caller's network or kind (a service) without naming an
    /// account.
    pub limit: Option<Limit>,
    /// e.g. `StringEquals aws:SourceAccount="111122223333" pins the source account to
    /// 111122223333`.
    pub note: String,
}

/// How an operator compares values, for operators that can pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    /// `StringEquals`: `*` and `?` are ordinary characters.
    Literal,
    /// `StringEqualsIgnoreCase`: as `Literal`, letters compared without case.
    LiteralIgnoreCase,
    /// `StringLike`: `*` and `?` are wildcards and may span `:`.
    StringGlob,
    /// `ArnEquals`, `ArnLike`: wildcards within each ARN part.
    ArnGlob,
}

/// What one policy value contributes to a pin.
enum ValuePin {
    /// Restricts the dimension to this value.
    Value(String),
    /// No request value can equal it.
    Nobody(String),
    /// Admits values that cannot be named: the key pins nothing.
    Open(String),
}

/// Analyses one condition: whether it pins the caller, and why or why not.
///
/// A condition pins only when all of these hold:
/// - its key identifies the caller's account or organization (see [`Dimension`]);
/// - its operator is positive and can fix a value: `StringEquals`, `StringEqualsIgnoreCase`,
///   `StringLike`, `ArnEquals` or `ArnLike`. Negated operators admit every other value;
///   `Null`, `Bool`, numeric, date, IP and binary operators compare no account; unknown
///   operators are not understood and pin nothing (fail closed);
/// - it has no `IfExists` suffix: "if the key is not present, the condition is true", so a
///   request without the key passes
///   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists>);
/// - it is not qualified `ForAllValues`, which "returns true if ... the key is absent or
///   empty"; `ForAnyValue` on a single-valued key behaves like the plain operator
///   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>);
/// - every value pins (values of one key are ORed), and no value holds a policy variable.
pub(crate) fn analyse(c: &Condition) -> ConditionAnalysis {
    let op = &c.operator;
    let head = c.to_string();
    let key = c.key.as_str().to_owned();
    let no_pin = |why: String| ConditionAnalysis {
        key: key.clone(),
        pin: None,
        limit: None,
        note: format!("{head} pins nothing: {why}"),
    };
    let role = key_role(&c.key);
    if role == KeyRole::Other {
        if let Some((limit, note)) = analyse_limit(c, &head) {
            return ConditionAnalysis {
                key,
                pin: None,
                limit,
                note,
            };
        }
        return ConditionAnalysis {
            key,
            pin: None,
            limit: None,
            note: format!("{head} {}", other_key_note(c)),
        };
    }
    if let OperatorBase::Unknown(name) = &op.base {
        return no_pin(format!(
            "unknown operator {name:?} is not understood, so it is taken to pin nothing (fail closed)"
        ));
    }
    if op.if_exists {
        return no_pin(
            "an ...IfExists operator is true when the key is absent, so a request without the key passes"
                .to_owned(),
        );
    }
    if op.set == Some(SetOperator::ForAllValues) {
        return no_pin("ForAllValues is true when the key is absent or empty".to_owned());
    }
    if op.base.is_negated() {
        return no_pin(format!(
            "{} is a negated operator: it admits every value not listed (and an absent key)",
            op.base.as_str()
        ));
    }
    let comparison = match op.base {
        OperatorBase::StringEquals => Comparison::Literal,
        OperatorBase::StringEqualsIgnoreCase => Comparison::LiteralIgnoreCase,
        OperatorBase::StringLike => Comparison::StringGlob,
        OperatorBase::ArnEquals | OperatorBase::ArnLike => Comparison::ArnGlob,
        OperatorBase::Null => {
            let source_key = matches!(
                c.key.lowercase(),
                keys::SOURCE_ACCOUNT | keys::SOURCE_ARN | keys::SOURCE_OWNER
            );
            if source_key && c.values.iter().all(|v| v.eq_ignore_ascii_case("false")) {
                // The key is present only when a service calls on behalf of a resource
                // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount>):
                // requiring it admits AWS services only, acting for any account.
                return ConditionAnalysis {
                    key: key.clone(),
                    pin: None,
                    limit: Some(Limit::Services(Vec::new())),
                    note: format!(
                        "{head} pins no account, but admits only AWS services: the key is present only when a service calls on behalf of a resource"
                    ),
                };
            }
            return no_pin("Null only tests whether the key is present".to_owned());
        }
        OperatorBase::Bool
        | OperatorBase::NumericEquals
        | OperatorBase::NumericLessThan
        | OperatorBase::NumericLessThanEquals
        | OperatorBase::NumericGreaterThan
        | OperatorBase::NumericGreaterThanEquals
        | OperatorBase::DateEquals
        | OperatorBase::DateLessThan
        | OperatorBase::DateLessThanEquals
        | OperatorBase::DateGreaterThan
        | OperatorBase::DateGreaterThanEquals
        | OperatorBase::IpAddress
        | OperatorBase::BinaryEquals => {
            return no_pin(format!(
                "{} does not compare account or organization values",
                op.base.as_str()
            ));
        }
        // Handled above; listed so the match stays exhaustive without a catch-all.
        OperatorBase::StringNotEquals
        | OperatorBase::StringNotEqualsIgnoreCase
        | OperatorBase::StringNotLike
        | OperatorBase::ArnNotEquals
        | OperatorBase::ArnNotLike
        | OperatorBase::NumericNotEquals
        | OperatorBase::DateNotEquals
        | OperatorBase::NotIpAddress
        | OperatorBase::Unknown(_) => return no_pin("it is not a positive operator".to_owned()),
    };
    if c.values.is_empty() {
        return no_pin("it lists no values".to_owned());
    }
    let (dimension, read): (Dimension, fn(&str, Comparison) -> ValuePin) = match role {
        KeyRole::Account(d) => (d, account_value),
        KeyRole::Arn(d) => (d, arn_value),
        KeyRole::Org(d) => (d, org_value),
        KeyRole::OrgPath(d) => (d, org_path_value),
        KeyRole::Token => (Dimension::SourceToken, token_value),
        KeyRole::Other => return no_pin("the key does not identify the caller".to_owned()),
    };
    let mut pinned = BTreeSet::new();
    let mut nobody = Vec::new();
    for v in &c.values {
        match read(v, comparison) {
            ValuePin::Value(x) => {
                pinned.insert(x);
            }
            ValuePin::Nobody(why) => nobody.push(format!("{v:?} {why}")),
            ValuePin::Open(why) => {
                let ored = if c.values.len() > 1 {
                    " (values are ORed, so one open value opens the key)"
                } else {
                    ""
                };
                return no_pin(format!("value {v:?} {why}{ored}"));
            }
        }
    }
    let mut note = if pinned.is_empty() {
        format!("{head} matches no request, so no caller can satisfy it")
    } else {
        let list: Vec<&str> = pinned.iter().map(String::as_str).collect();
        format!(
            "{head} pins {} to {}",
            dimension.describe(),
            list.join(", ")
        )
    };
    if !nobody.is_empty() {
        note.push_str(&format!(" ({})", nobody.join("; ")));
    }
    if dimension == Dimension::SourceToken {
        note.push_str(" (this fixes the Alexa skill only for a service principal; other callers can send any token)");
    }
    ConditionAnalysis {
        key,
        limit: None,
        pin: Some(Pin {
            dimension,
            values: pinned,
        }),
        note,
    }
}

/// The note for a key that says nothing about who the caller is.
fn other_key_note(c: &Condition) -> String {
    if c.key.is(keys::FUNCTION_URL_AUTH_TYPE) {
        let mut parts = Vec::new();
        if c.values.iter().any(|v| v == "NONE") {
            parts.push(
                "auth type NONE lets the function URL take unauthenticated requests from anyone",
            );
        }
        if c.values.iter().any(|v| v == "AWS_IAM") {
            parts.push("auth type AWS_IAM requires signed requests, but any AWS identity the principal admits may sign them");
        }
        if parts.is_empty() {
            parts.push("it selects the function URL's auth type");
        }
        format!("pins no caller: {}", parts.join("; "))
    } else if c.key.is(keys::INVOKED_VIA_FUNCTION_URL) {
        "pins no caller: it limits the statement to calls made through the function URL".to_owned()
    } else {
        "pins no caller: the key does not identify the caller's account or organization".to_owned()
    }
}

/// A wildcard character under a literal operator: `StringEquals` compares `*` as the
/// character `*`, which no account, organization or token contains.
fn literal_wildcard(what: &str) -> ValuePin {
    ValuePin::Nobody(format!(
        "is compared literally, so its literal '*' or '?' matches no {what}"
    ))
}

/// Reads an account-id value (`aws:SourceAccount`, `aws:SourceOwner`,
/// `aws:PrincipalAccount`).
fn account_value(v: &str, cmp: Comparison) -> ValuePin {
    if has_policy_variable(v) {
        return ValuePin::Open("holds a policy variable, replaced from the request".to_owned());
    }
    // "For anonymous requests, the request context returns anonymous"
    // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount>).
    if v.eq_ignore_ascii_case("anonymous") {
        return ValuePin::Open(
            "is the value anonymous requests carry, so it admits the anonymous internet".to_owned(),
        );
    }
    if has_wildcard(v) {
        return match cmp {
            Comparison::Literal | Comparison::LiteralIgnoreCase => literal_wildcard("account"),
            Comparison::StringGlob | Comparison::ArnGlob => ValuePin::Open(
                "has a wildcard, so it matches accounts that cannot be named".to_owned(),
            ),
        };
    }
    if is_account_id(v) {
        ValuePin::Value(v.to_owned())
    } else {
        ValuePin::Nobody("is not a 12-digit account id, so no account matches it".to_owned())
    }
}

/// Reads an ARN value (`aws:SourceArn`, `aws:PrincipalArn`): the account field is what pins.
fn arn_value(v: &str, cmp: Comparison) -> ValuePin {
    if has_policy_variable(v) {
        return ValuePin::Open("holds a policy variable, replaced from the request".to_owned());
    }
    if cmp == Comparison::StringGlob {
        if let Some(pin) = glob_after_account(v) {
            return pin;
        }
    }
    let Some(arn) = ArnParts::split(v) else {
        return match cmp {
            Comparison::Literal | Comparison::LiteralIgnoreCase => ValuePin::Nobody(
                "is not an ARN, and is compared literally, so no request ARN equals it".to_owned(),
            ),
            Comparison::StringGlob if has_wildcard(v) => ValuePin::Open(
                "is not a six-part ARN and has a wildcard, so the account is not fixed".to_owned(),
            ),
            Comparison::StringGlob => {
                ValuePin::Nobody("is not an ARN, so no request ARN matches it".to_owned())
            }
            Comparison::ArnGlob => ValuePin::Open(
                "is not a six-part ARN, so which accounts it matches is not known".to_owned(),
            ),
        };
    };
    if arn.account.is_empty() {
        let hint = if arn.service == "s3" {
            " (S3 bucket ARNs carry no account; pin aws:SourceAccount)"
        } else {
            ""
        };
        return ValuePin::Open(format!(
            "names no account: its account field is empty{hint}"
        ));
    }
    match cmp {
        Comparison::Literal | Comparison::LiteralIgnoreCase if has_wildcard(arn.account) => {
            return literal_wildcard("account");
        }
        Comparison::StringGlob if arn.head_has_wildcard() => {
            return ValuePin::Open(
                "has a wildcard before or in its account field, and StringLike wildcards span ':', so the account is not fixed"
                    .to_owned(),
            );
        }
        Comparison::ArnGlob if has_wildcard(arn.account) => {
            return ValuePin::Open(format!(
                "has the wildcard account {:?}, which matches any account",
                arn.account
            ));
        }
        Comparison::Literal
        | Comparison::LiteralIgnoreCase
        | Comparison::StringGlob
        | Comparison::ArnGlob => {}
    }
    if is_account_id(arn.account) {
        ValuePin::Value(arn.account.to_owned())
    } else {
        ValuePin::Nobody(format!(
            "has the account field {:?}, which is not an account id, so no ARN matches it",
            arn.account
        ))
    }
}

/// A `StringLike` ARN pattern whose first wildcard comes after a fixed partition, service,
/// region and at least twelve account digits (`arn:aws:execute-api:us-east-1:111122223333*`):
/// `StringLike` matches the whole string and its `*` may span `:`, but an ARN's account field
/// is exactly twelve digits
/// (<https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html>), so
/// only ARNs of that account match. More than twelve digits before the wildcard match no ARN.
/// `None` when the pattern has no wildcard there (the six-part reading decides).
fn glob_after_account(v: &str) -> Option<ValuePin> {
    let first = v.find(['*', '?'])?;
    let fixed = &v[..first];
    let mut parts = fixed.splitn(5, ':');
    let (arn, _partition, _service, _region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" {
        return None;
    }
    let digits = account.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &account[digits..];
    match (digits, rest) {
        (12, "") => Some(ValuePin::Value(account.to_owned())),
        (12, _) if rest.starts_with(':') => None,
        (d, "") if d > 12 => Some(ValuePin::Nobody(
            "fixes more than twelve account digits, and account ids have twelve, so no ARN matches it"
                .to_owned(),
        )),
        _ => None,
    }
}

/// Reads an organization id (`aws:PrincipalOrgID`, `aws:SourceOrgID`).
fn org_value(v: &str, cmp: Comparison) -> ValuePin {
    if has_policy_variable(v) {
        return ValuePin::Open("holds a policy variable, replaced from the request".to_owned());
    }
    if has_wildcard(v) {
        return match cmp {
            Comparison::Literal | Comparison::LiteralIgnoreCase => literal_wildcard("organization"),
            Comparison::StringGlob | Comparison::ArnGlob => ValuePin::Open(
                "has a wildcard, so it matches organizations that cannot be named".to_owned(),
            ),
        };
    }
    org_id(v, cmp)
}

/// An organization id as a pin. Organization ids are `o-` and 10 to 32 lower-case letters or
/// digits (<https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html>):
/// compared without case, a value names its lower-case form; compared with case, a value
/// with capitals matches no organization.
fn org_id(v: &str, cmp: Comparison) -> ValuePin {
    match cmp {
        Comparison::LiteralIgnoreCase => ValuePin::Value(v.to_ascii_lowercase()),
        _ if v.bytes().any(|b| b.is_ascii_uppercase()) => ValuePin::Nobody(
            "has capital letters, and organization ids are lower case, so no organization matches it"
                .to_owned(),
        ),
        _ => ValuePin::Value(v.to_owned()),
    }
}

/// Reads an organization path (`o-xxx/r-xxx/ou-xxx/`): its first segment is the organization.
fn org_path_value(v: &str, cmp: Comparison) -> ValuePin {
    let org = v.split('/').next().unwrap_or(v);
    if has_policy_variable(v) {
        return ValuePin::Open("holds a policy variable, replaced from the request".to_owned());
    }
    if has_wildcard(org) {
        return match cmp {
            Comparison::Literal | Comparison::LiteralIgnoreCase => literal_wildcard("organization"),
            Comparison::StringGlob | Comparison::ArnGlob => ValuePin::Open(
                "has a wildcard in its organization segment, so it matches organizations that cannot be named"
                    .to_owned(),
            ),
        };
    }
    org_id(org, cmp)
}

/// Reads an Alexa event source token (a skill id).
fn token_value(v: &str, cmp: Comparison) -> ValuePin {
    if has_policy_variable(v) {
        return ValuePin::Open("holds a policy variable, replaced from the request".to_owned());
    }
    if has_wildcard(v) {
        return match cmp {
            Comparison::Literal | Comparison::LiteralIgnoreCase => literal_wildcard("token"),
            Comparison::StringGlob | Comparison::ArnGlob => {
                ValuePin::Open("has a wildcard, so it matches any token".to_owned())
            }
        };
    }
    ValuePin::Value(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        Condition {
            operator: ConditionOperator::parse(op),
            key: ConditionKey::new(key),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn operators_parse_and_print_back() {
        for s in [
            "StringEquals",
            "ForAnyValue:StringLikeIfExists",
            "ForAllValues:ArnLike",
            "NullIfExists",
            "StringEqualz",
            "Weird:StringEquals",
            "IfExists",
        ] {
            assert_eq!(ConditionOperator::parse(s).to_string(), s);
        }
        let op = ConditionOperator::parse("ForAnyValue:StringLikeIfExists");
        assert_eq!(op.base, OperatorBase::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.set, Some(SetOperator::ForAnyValue));
        assert_eq!(
            ConditionOperator::parse("stringequals").base,
            OperatorBase::Unknown("stringequals".into())
        );
        assert_eq!(
            ConditionOperator::parse("IfExists").base,
            OperatorBase::Unknown("IfExists".into())
        );
    }

    #[test]
    fn keys_compare_case_insensitively() {
        let a = ConditionKey::new("AWS:SourceArn");
        assert_eq!(a, ConditionKey::new("aws:sourcearn"));
        assert!(a.is(keys::SOURCE_ARN));
        assert!(a.is("Aws:SourceARN"));
        assert_eq!(a.as_str(), "AWS:SourceArn");
        assert_ne!(a, ConditionKey::new("aws:SourceAccount"));
    }

    #[test]
    fn pins_follow_the_operator_rules() {
        let pinned = |c: &Condition| analyse(c).pin.map(|p| p.values);
        let set = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
        let acct = "111122223333";
        assert_eq!(
            pinned(&cond("StringEquals", "aws:SourceAccount", &[acct])),
            set(&[acct])
        );
        assert_eq!(
            pinned(&cond("StringEqualsIfExists", "aws:SourceAccount", &[acct])),
            None
        );
        assert_eq!(
            pinned(&cond(
                "ForAllValues:StringEquals",
                "aws:SourceAccount",
                &[acct]
            )),
            None
        );
        assert_eq!(
            pinned(&cond(
                "ForAnyValue:StringEquals",
                "aws:SourceAccount",
                &[acct]
            )),
            set(&[acct])
        );
        assert_eq!(
            pinned(&cond("StringNotEquals", "aws:SourceAccount", &[acct])),
            None
        );
        assert_eq!(
            pinned(&cond("StringEquals", "aws:SourceAccount", &["*"])),
            set(&[])
        );
        assert_eq!(
            pinned(&cond("StringLike", "aws:SourceAccount", &["*"])),
            None
        );
        assert_eq!(
            pinned(&cond(
                "StringLike",
                "aws:SourceAccount",
                &["${aws:PrincipalAccount}"]
            )),
            None
        );
        assert_eq!(
            pinned(&cond(
                "ArnLike",
                "aws:SourceArn",
                &["arn:aws:sns:us-east-1:111122223333:t"]
            )),
            set(&[acct])
        );
        assert_eq!(
            pinned(&cond("ArnLike", "aws:SourceArn", &["arn:aws:s3:::bucket"])),
            None
        );
        assert_eq!(
            pinned(&cond("ArnEquals", "aws:SourceArn", &["arn:aws:sns:*:*:t"])),
            None
        );
        assert_eq!(
            pinned(&cond(
                "ArnLike",
                "aws:SourceArn",
                &["arn:aws:sns:*:111122223333:t"]
            )),
            set(&[acct])
        );
        assert_eq!(
            pinned(&cond(
                "StringLike",
                "aws:SourceArn",
                &["arn:aws:sns:*:111122223333:t"]
            )),
            None
        );
        assert_eq!(
            pinned(&cond(
                "StringEquals",
                "aws:SourceArn",
                &["arn:aws:sns:us-east-1:111122223333:t", "arn:aws:s3:::b"]
            )),
            None
        );
        assert_eq!(
            pinned(&cond(
                "StringEquals",
                "aws:PrincipalOrgPaths",
                &["o-abcdefghij/r-ab12/"]
            )),
            set(&["o-abcdefghij"])
        );
        assert_eq!(
            pinned(&cond("Bool", "lambda:InvokedViaFunctionUrl", &["true"])),
            None
        );
        assert_eq!(
            pinned(&cond("StringEqualz", "aws:SourceAccount", &[acct])),
            None
        );
    }
}

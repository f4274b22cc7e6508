//! What a whole resource-based policy allows: each `Allow` statement judged together with the
//! policy's `Deny` statements (an explicit deny overrides any allow,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>).
//!
//! A `Deny` cancels part of an `Allow` when it applies to every action and resource the
//! `Allow` grants and it can be read as the set of callers it leaves:
//! - `Principal "*"` with no condition: the `Allow` grants nobody;
//! - `Principal "*"` with one negated condition on a key that pins or limits the caller
//!   (`StringNotEquals aws:PrincipalOrgID o-...`, `StringNotEquals aws:SourceAccount ...`,
//!   `ArnNotLike aws:SourceArn ...`, `NotIpAddress aws:SourceIp ...`, `StringNotEquals
//!   aws:SourceVpce ...`) or `BoolIfExists aws:PrincipalIsAWSService false`: the `Allow` keeps only
//!   the callers the positive form admits. A negated operator is true when the key is absent
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>),
//!   so such a `Deny` also refuses requests without the key, and the positive form (without
//!   `IfExists`) is exactly what is left;
//! - `NotPrincipal` naming accounts, with no condition: the `Allow` keeps only those
//!   accounts. (AWS warns that a `Deny` with `NotPrincipal` naming an account also denies
//!   that account's role sessions unless they are listed, so what is left can be smaller:
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html>.)
//!
//! A `Deny` with several conditions (ANDed: it refuses only requests matching all of them),
//! set operators, `NotAction`/`NotResource` shapes that cannot be compared, or keys that
//! neither pin nor limit is not combined; the reason says so, and the `Allow` is judged as
//! if the `Deny` were not there (reporting more, never less). A `Deny` that covers only some
//! of the `Allow`'s actions leaves the rest as judged alone, and the reason names them.
//!
//! Lambda's `AddPermission` writes only `Allow` statements
//! (<https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html>), so a function
//! policy read from AWS rarely holds a `Deny`; policies given to `check-policy`, and those
//! of the sources in front of a function, do.

use super::condition::{
    analyse, Condition, ConditionAnalysis, ConditionOperator, OperatorBase, SetOperator,
};
use super::model::{Effect, Principal, Statement};
use super::pattern::{is_account_id, pattern_covers, wildcard_match_ignore_case, ArnParts};
use super::verdict::{verdict, verdict_with, TrustContext, Verdict, VerdictKind};

/// One statement's verdict alone and within the whole policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVerdict {
    /// The statement judged on its own.
    pub alone: Verdict,
    /// The statement judged with the policy's `Deny` statements: what IAM would allow.
    pub effective: Verdict,
}

/// Judges every statement of a policy alone and with the policy's `Deny` statements, in
/// document order.
pub fn policy_verdicts(statements: &[Statement], ctx: &TrustContext) -> Vec<PolicyVerdict> {
    let denies: Vec<&Statement> = statements
        .iter()
        .filter(|s| s.effect == Effect::Deny)
        .collect();
    statements
        .iter()
        .map(|s| {
            let alone = verdict(s, ctx);
            let effective = if denies.is_empty()
                || s.effect == Effect::Deny
                || alone.kind.rank() <= VerdictKind::Restricted.rank()
            {
                alone.clone()
            } else {
                with_denies(s, &denies, ctx).unwrap_or_else(|| alone.clone())
            };
            PolicyVerdict { alone, effective }
        })
        .collect()
}

/// How much of an `Allow`'s actions and resources a `Deny` covers.
enum Cover {
    /// All of them.
    Full,
    /// These actions of the `Allow` are not covered.
    Partial(Vec<String>),
    /// None (or not comparable).
    None,
}

/// What a covering `Deny` leaves of the callers.
enum Leaves {
    /// Nobody.
    Nobody,
    /// The callers this analysis admits.
    Callers(ConditionAnalysis),
    /// It cannot be read as a set of callers: why.
    NotCombined(String),
}

/// The `Allow`'s verdict with the `Deny` statements that cover it; `None` when no `Deny`
/// applies to it at all.
fn with_denies(allow: &Statement, denies: &[&Statement], ctx: &TrustContext) -> Option<Verdict> {
    let mut extra = Vec::new();
    let mut notes = Vec::new();
    let mut nobody: Option<String> = None;
    for d in denies {
        let name = d
            .sid
            .as_deref()
            .map_or_else(|| "without Sid".to_owned(), |s| format!("{s:?}"));
        match cover(d, allow) {
            Cover::None => continue,
            Cover::Partial(rest) => {
                notes.push(format!(
                    "Deny {name} does not cover {} of its actions, so those are judged alone",
                    rest.join(", ")
                ));
                continue;
            }
            Cover::Full => {}
        }
        match leaves(d, &name) {
            Leaves::Nobody => nobody = Some(name),
            Leaves::Callers(a) => {
                notes.push(format!(
                    "Deny {name} leaves only callers that satisfy {}",
                    a.note
                ));
                extra.push(a);
            }
            Leaves::NotCombined(why) => notes.push(format!("Deny {name} is not combined: {why}")),
        }
    }
    if let Some(name) = nobody {
        return Some(Verdict {
            kind: VerdictKind::Restricted,
            reason: format!(
                "Deny {name} refuses every caller for all the actions and resources this statement allows, so it grants nothing"
            ),
        });
    }
    if notes.is_empty() {
        return None;
    }
    let v = verdict_with(allow, ctx, extra);
    Some(Verdict {
        kind: v.kind,
        reason: format!(
            "With the policy's Deny statements: {}. {}",
            notes.join("; "),
            v.reason
        ),
    })
}

/// Whether `deny` covers every action and resource of `allow`.
fn cover(deny: &Statement, allow: &Statement) -> Cover {
    if !deny.not_resource.is_empty() || !resources_covered(deny, allow) {
        return Cover::None;
    }
    if !allow.not_action.is_empty() {
        // NotAction grants an open set: only a Deny of every action covers it.
        return if deny.action.iter().any(|a| a == "*") {
            Cover::Full
        } else {
            Cover::None
        };
    }
    let (covered, rest): (Vec<&String>, Vec<&String>) =
        allow.action.iter().partition(|a| action_covered(deny, a));
    match (covered.is_empty(), rest.is_empty()) {
        (_, true) => Cover::Full,
        (true, false) => Cover::None,
        (false, false) => Cover::Partial(rest.into_iter().cloned().collect()),
    }
}

/// Whether every request for the action pattern `a` is an action `deny` applies to.
fn action_covered(deny: &Statement, a: &str) -> bool {
    if deny.not_action.is_empty() {
        deny.action.iter().any(|d| pattern_covers(d, a, true))
    } else {
        // A Deny with NotAction applies to every action it does not list.
        deny.action.is_empty()
            && !a.contains(['*', '?'])
            && !deny
                .not_action
                .iter()
                .any(|n| wildcard_match_ignore_case(n, a))
    }
}

fn resources_covered(deny: &Statement, allow: &Statement) -> bool {
    if allow.resource.is_empty() {
        return deny.resource.iter().any(|r| r == "*");
    }
    allow
        .resource
        .iter()
        .all(|r| deny.resource.iter().any(|d| pattern_covers(d, r, false)))
}

/// What a `Deny` covering an `Allow` leaves of the callers.
fn leaves(deny: &Statement, name: &str) -> Leaves {
    let everyone = deny.not_principal.is_none()
        && match &deny.principal {
            Some(Principal::Wildcard) => true,
            Some(Principal::Map(m)) => m.aws.iter().any(|v| v == "*"),
            None => false,
        };
    if everyone {
        return match deny.conditions.as_slice() {
            [] => Leaves::Nobody,
            [one] => match positive(one) {
                Some(c) => {
                    let mut a = analyse(&c);
                    if a.pin.is_none() && a.limit.is_none() {
                        return Leaves::NotCombined(format!(
                            "its condition {one} neither pins nor limits the caller"
                        ));
                    }
                    a.key = format!("Deny {name} ({})", c.key.as_str());
                    Leaves::Callers(a)
                }
                None => Leaves::NotCombined(format!(
                    "its condition {one} is not a negated test of who or where the caller is"
                )),
            },
            _ => Leaves::NotCombined(
                "it has several conditions, which must all hold for it to refuse a request"
                    .to_owned(),
            ),
        };
    }
    if let (None, Some(Principal::Map(m)), true) = (
        &deny.principal,
        &deny.not_principal,
        deny.conditions.is_empty(),
    ) {
        let accounts: Option<Vec<String>> = m
            .aws
            .iter()
            .map(|v| {
                if is_account_id(v) {
                    Some(v.clone())
                } else {
                    ArnParts::split(v)
                        .filter(|a| is_account_id(a.account))
                        .map(|a| a.account.to_owned())
                }
            })
            .collect();
        if let Some(accounts) = accounts.filter(|a| !a.is_empty()) {
            if m.service.is_empty() && m.federated.is_empty() && m.canonical_user.is_empty() {
                let c = Condition {
                    operator: ConditionOperator::parse("StringEquals"),
                    key: super::condition::ConditionKey::new("aws:PrincipalAccount"),
                    values: accounts,
                };
                let mut a = analyse(&c);
                a.key = format!("Deny {name} (NotPrincipal)");
                return Leaves::Callers(a);
            }
        }
        return Leaves::NotCombined(
            "its NotPrincipal names principals other than accounts".to_owned(),
        );
    }
    Leaves::NotCombined("it does not apply to every caller".to_owned())
}

/// The positive form of a `Deny`'s condition: the callers the `Deny` lets through. `None`
/// for operators with no positive form here (set operators, numeric, date, `Null`).
fn positive(c: &Condition) -> Option<Condition> {
    let op = &c.operator;
    // `ForAllValues:` with a negated operator in a Deny refuses a request whose values are
    // all outside the list (and one without the key): what is left are requests with at
    // least one listed value, `ForAnyValue:` of the positive operator. `ForAnyValue:` with a
    // negated operator is false without the key, so such a Deny lets those requests through.
    let set = match op.set {
        None => None,
        Some(SetOperator::ForAllValues) if op.base.is_negated() => Some(SetOperator::ForAnyValue),
        Some(_) => return None,
    };
    let (base, values) = match &op.base {
        OperatorBase::StringNotEquals => (OperatorBase::StringEquals, c.values.clone()),
        OperatorBase::StringNotEqualsIgnoreCase => {
            (OperatorBase::StringEqualsIgnoreCase, c.values.clone())
        }
        OperatorBase::StringNotLike => (OperatorBase::StringLike, c.values.clone()),
        OperatorBase::ArnNotEquals => (OperatorBase::ArnEquals, c.values.clone()),
        OperatorBase::ArnNotLike => (OperatorBase::ArnLike, c.values.clone()),
        OperatorBase::NotIpAddress => (OperatorBase::IpAddress, c.values.clone()),
        // `BoolIfExists aws:PrincipalIsAWSService false` denies every caller that is not a
        // service, anonymous ones included: what is left are services. Plain `Bool` is false
        // when the key is absent, and anonymous requests do not carry it
        // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice>),
        // so that Deny lets anonymous callers through: not combined.
        OperatorBase::Bool
            if op.if_exists && c.values.len() == 1 && c.values[0].eq_ignore_ascii_case("false") =>
        {
            (OperatorBase::Bool, vec!["true".to_owned()])
        }
        _ => return None,
    };
    Some(Condition {
        operator: ConditionOperator {
            base,
            if_exists: false,
            set,
        },
        key: c.key.clone(),
        values,
    })
}

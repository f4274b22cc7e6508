//! Who a statement lets in: the verdict on one statement of a resource-based policy.
//!
//! Sources:
//! - principals: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>
//! - Lambda resource-based policies: <https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html>
//! - function URLs: <https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>
//! - the confused deputy: <https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html>
//! - condition operators: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>
//! - condition keys: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>
//!
//! # How a verdict is reached
//!
//! The principal is split into elements (principal values are ORed): *everyone* (`"*"`,
//! `{"AWS": "*"}`, an ARN with a wildcard account, `NotPrincipal`, ...), *named accounts*,
//! *unrecognised values*, and *service principals*. Each element is narrowed by the
//! statement's conditions (conditions are ANDed):
//!
//! - a pinning condition (see the rules on `analyse` in the condition module) restricts one
//!   dimension of the caller (principal account, source account, principal organization,
//!   source organization, Alexa skill) to a fixed set; pins on the same dimension intersect,
//!   and a named-account principal is itself a pin on the principal account;
//! - an element that no request can satisfy (an empty intersection) grants nothing:
//!   `Restricted`;
//! - if any pinned dimension holds only the function's account, trusted accounts, or the
//!   configured organization: `Restricted` (the most restrictive condition decides, since
//!   every condition must hold);
//! - otherwise, if some dimension is pinned to other accounts or organizations:
//!   `CrossAccount` naming them;
//! - an element nothing pins is `Public` (everyone), `CrossAccount` (an unrecognised
//!   principal value, fail closed) or `ConfusedDeputy` (a service principal).
//!
//! The statement's verdict is the worst of its elements
//! (`Public > CrossAccount > ConfusedDeputy > Restricted`), with accounts or services of equal
//! verdicts merged and every element's reason kept.
//!
//! Choices where IAM leaves room, each on the side of reporting more rather than less:
//! - every pinning key narrows every principal type. AWS fills `aws:SourceAccount` and
//!   `aws:SourceArn` only for service principals and `aws:PrincipalOrgID` only for members of
//!   an organization, so a condition on a key absent for some principal can in truth make the
//!   statement grant that principal nothing; the analysis never relies on that, and a pin to
//!   a foreign account or organization is reported as `CrossAccount` for any principal.
//! - `aws:PrincipalOrgID` (or `aws:PrincipalOrgPaths`) on a service principal grants it
//!   nothing: the key "is included in the request context only if the principal is a member
//!   of an organization", and a service principal is not.
//! - `lambda:EventSourceToken` (an Alexa skill id) pins a *service* principal to that skill;
//!   for other principals it pins nothing, since any caller can send any token.
//! - `StringEquals` with a value containing `*` compares the `*` literally; no account,
//!   ARN account field or organization id contains one, so that value admits nobody
//!   (`Restricted`, and the reason says "literal '*'").
//! - an IAM unique id (`AIDA...`, `AROA...`) left when a user or role was deleted matches no
//!   one: a principal created again under the name gets a new id.
//! - an AWS principal value that is neither `*`, an account id, an ARN with an account nor a
//!   unique id is reported as `CrossAccount` with the raw value and "unrecognised
//!   principal": its account cannot be proven to be the function's.
//! - a `Federated` principal other than `*` (an OIDC or SAML identity provider) matches no
//!   invoke request: it is matched only when a role is assumed through the provider, and the
//!   call then comes from the role session. `Federated` `"*"` is still read as everyone.
//! - a statement without `Principal` or with `NotPrincipal` is treated as everyone (then
//!   narrowed by its conditions like `"*"`).
//! - an `Effect` other than `Allow`/`Deny` is analysed as `Allow` (fail closed).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::condition::{analyse, ConditionAnalysis, Dimension};
use super::limit::Limit;
use super::model::{Effect, Principal, PrincipalMap, Statement};
use super::pattern::{has_wildcard, is_account_id, ArnParts};
use crate::config::Config;
use crate::ids::AccountId;

/// What counts as "ours" when judging a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustContext {
    /// The account that owns the function.
    pub function_account: AccountId,
    /// Other accounts whose principals count as restricted (`WARDEN_TRUSTED_ACCOUNTS`).
    pub trusted_accounts: BTreeSet<AccountId>,
    /// The AWS Organizations id whose members count as restricted
    /// (`WARDEN_ORGANIZATION_ID`).
    pub organization_id: Option<String>,
}

impl TrustContext {
    /// Only the function's own account is trusted.
    pub fn new(function_account: AccountId) -> Self {
        TrustContext {
            function_account,
            trusted_accounts: BTreeSet::new(),
            organization_id: None,
        }
    }

    /// The function's account plus the trusted accounts and organization of `config`.
    pub fn from_config(function_account: AccountId, config: &Config) -> Self {
        TrustContext {
            function_account,
            trusted_accounts: config.trusted_accounts.clone(),
            organization_id: config.organization_id.clone(),
        }
    }

    /// How `account` relates to the function: `Some(description)` when it is the function's
    /// account or trusted, `None` otherwise.
    fn account_trust(&self, account: &str) -> Option<&'static str> {
        if account == self.function_account.as_str() {
            Some("the function's own account")
        } else if self.trusted_accounts.iter().any(|a| a.as_str() == account) {
            Some("a trusted account")
        } else {
            None
        }
    }

    fn org_trusted(&self, org: &str) -> bool {
        self.organization_id.as_deref() == Some(org)
    }
}

/// The verdict on one statement: who it lets in, and one human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The kind of access the statement grants.
    pub kind: VerdictKind,
    /// Names the principal, the condition keys and values, and why they do or do not pin
    /// the caller.
    pub reason: String,
}

/// The kind of access a statement grants, from worst to harmless:
/// `Public > CrossAccount > ConfusedDeputy > NetworkRestricted > Restricted > Denies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VerdictKind {
    /// Anyone (any AWS account or anonymous callers) may use the granted actions.
    Public,
    /// Named accounts (or organizations, or unrecognised principal values) that are neither
    /// the function's account nor trusted, sorted and deduplicated. An ARN principal counts
    /// as its account field.
    CrossAccount {
        /// Account ids (or organization ids / raw principal values), sorted.
        accounts: Vec<String>,
    },
    /// Service principal(s) not pinned to a specific source account: any account's resource
    /// can make the service call the function.
    ConfusedDeputy {
        /// Service principals, sorted.
        services: Vec<String>,
    },
    /// Anyone, but only from these networks (`aws:SourceIp` ranges, `aws:SourceVpc`,
    /// `aws:SourceVpce`): the conditions restrict *where* the caller is, not *who*. IAM
    /// Access Analyzer does not count such a policy as public
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-concepts.html#what-is-public>);
    /// lambda-warden reports it below public and never fixes it automatically, since only the
    /// owner knows who sits in that network.
    NetworkRestricted {
        /// `KEY VALUE` for each network value, e.g. `aws:SourceIp 203.0.113.0/24`.
        networks: Vec<String>,
    },
    /// Only the function's account, trusted accounts or the trusted organization, or pinned
    /// so no one else can satisfy the conditions.
    Restricted,
    /// `Effect: Deny`: grants nothing, so it does not widen access.
    Denies,
}

impl VerdictKind {
    /// How bad the verdict is: `Public` 5, `CrossAccount` 4, `ConfusedDeputy` 3,
    /// `NetworkRestricted` 2, `Restricted` 1, `Denies` 0.
    pub const fn rank(&self) -> u8 {
        match self {
            VerdictKind::Public => 5,
            VerdictKind::CrossAccount { .. } => 4,
            VerdictKind::ConfusedDeputy { .. } => 3,
            VerdictKind::NetworkRestricted { .. } => 2,
            VerdictKind::Restricted => 1,
            VerdictKind::Denies => 0,
        }
    }

    /// `public`, `cross_account`, `confused_deputy`, `restricted` or `denies`.
    pub fn as_str(&self) -> &'static str {
        match self {
            VerdictKind::Public => "public",
            VerdictKind::CrossAccount { .. } => "cross_account",
            VerdictKind::ConfusedDeputy { .. } => "confused_deputy",
            VerdictKind::NetworkRestricted { .. } => "network_restricted",
            VerdictKind::Restricted => "restricted",
            VerdictKind::Denies => "denies",
        }
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerdictKind::CrossAccount { accounts } => {
                write!(f, "cross_account({})", accounts.join(", "))
            }
            VerdictKind::ConfusedDeputy { services } => {
                write!(f, "confused_deputy({})", services.join(", "))
            }
            VerdictKind::NetworkRestricted { networks } => {
                write!(f, "network_restricted({})", networks.join(", "))
            }
            VerdictKind::Public | VerdictKind::Restricted | VerdictKind::Denies => {
                f.write_str(self.as_str())
            }
        }
    }
}

/// Judges one statement: who it lets in, given what is trusted.
///
/// See the module documentation for the rules and the choices made where IAM leaves room.
pub fn verdict(statement: &Statement, ctx: &TrustContext) -> Verdict {
    verdict_with(statement, ctx, Vec::new())
}

/// [`verdict`] with `extra` analyses ANDed to the statement's own conditions: what the
/// policy's `Deny` statements leave of it (see [`super::effect`]).
pub(crate) fn verdict_with(
    statement: &Statement,
    ctx: &TrustContext,
    extra: Vec<ConditionAnalysis>,
) -> Verdict {
    let mut analyses: Vec<ConditionAnalysis> = statement.conditions.iter().map(analyse).collect();
    analyses.extend(extra);
    let conditions_text = if analyses.is_empty() {
        "The statement has no conditions.".to_owned()
    } else {
        let notes: Vec<&str> = analyses.iter().map(|a| a.note.as_str()).collect();
        format!("Conditions: {}.", notes.join("; "))
    };
    let effect_note = match &statement.effect {
        Effect::Allow => String::new(),
        Effect::Deny => {
            let who = describe_principals(statement);
            return Verdict {
                kind: VerdictKind::Denies,
                reason: format!(
                    "Effect Deny: the statement denies {who} and grants nothing, so it does not widen access. {conditions_text}"
                ),
            };
        }
        Effect::Unknown(e) if e.is_empty() => {
            "The statement has no Effect, so it is analysed as Allow (fail closed). ".to_owned()
        }
        Effect::Unknown(e) => format!(
            "Effect {e:?} is neither Allow nor Deny, so it is analysed as Allow (fail closed). "
        ),
    };

    let elements = elements(statement);
    let mut outcomes: Vec<(VerdictKind, String)> = elements
        .iter()
        .map(|e| judge_element(e, &analyses, ctx))
        .collect();
    if outcomes.is_empty() {
        outcomes.push((
            VerdictKind::Restricted,
            "The principal lists no values, so the statement grants no one".to_owned(),
        ));
    }
    let kind = outcomes
        .iter()
        .map(|(k, _)| k.clone())
        .reduce(worse)
        .unwrap_or(VerdictKind::Restricted);
    let reasons: Vec<&str> = outcomes.iter().map(|(_, r)| r.as_str()).collect();
    Verdict {
        kind,
        reason: format!("{effect_note}{}. {conditions_text}", reasons.join("; ")),
    }
}

/// The worse of two verdicts; equal kinds merge their accounts or services.
fn worse(a: VerdictKind, b: VerdictKind) -> VerdictKind {
    match (a, b) {
        (VerdictKind::CrossAccount { accounts: x }, VerdictKind::CrossAccount { accounts: y }) => {
            VerdictKind::CrossAccount {
                accounts: sorted_union(x, y),
            }
        }
        (
            VerdictKind::ConfusedDeputy { services: x },
            VerdictKind::ConfusedDeputy { services: y },
        ) => VerdictKind::ConfusedDeputy {
            services: sorted_union(x, y),
        },
        (
            VerdictKind::NetworkRestricted { networks: x },
            VerdictKind::NetworkRestricted { networks: y },
        ) => VerdictKind::NetworkRestricted {
            networks: sorted_union(x, y),
        },
        (a, b) => {
            if b.rank() > a.rank() {
                b
            } else {
                a
            }
        }
    }
}

fn sorted_union(x: Vec<String>, y: Vec<String>) -> Vec<String> {
    x.into_iter()
        .chain(y)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One part of the principal, judged on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Who {
    /// Anyone: `"*"`, a wildcard account, `NotPrincipal`, no principal, an identity provider.
    Everyone,
    /// Principals in these accounts (12-digit ids).
    Accounts(BTreeSet<String>),
    /// A value whose account cannot be named; reported under its raw text.
    Unrecognised(String),
    /// Service principals.
    Services(Vec<String>),
    /// Principals no invoke request can be made as; the element's label says why.
    Nobody,
}

#[derive(Debug, Clone)]
struct Element {
    who: Who,
    /// e.g. `Principal "*"`, `AWS principal "arn:aws:iam::444455556666:root"`.
    label: String,
    /// Whether the label names several principals (for "is"/"are").
    plural: bool,
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_principals(s: &Statement) -> String {
    let mut parts = Vec::new();
    match &s.principal {
        Some(Principal::Wildcard) => parts.push("Principal \"*\"".to_owned()),
        Some(Principal::Map(m)) => parts.push(format!("Principal {}", describe_map(m))),
        None => {}
    }
    match &s.not_principal {
        Some(Principal::Wildcard) => parts.push("everyone except NotPrincipal \"*\"".to_owned()),
        Some(Principal::Map(m)) => {
            parts.push(format!("everyone except NotPrincipal {}", describe_map(m)))
        }
        None => {}
    }
    if parts.is_empty() {
        "everyone (no Principal)".to_owned()
    } else {
        parts.join(" and ")
    }
}

fn describe_map(m: &PrincipalMap) -> String {
    let mut parts = Vec::new();
    for (kind, values) in [
        ("AWS", &m.aws),
        ("Service", &m.service),
        ("Federated", &m.federated),
        ("CanonicalUser", &m.canonical_user),
    ] {
        if !values.is_empty() {
            parts.push(format!("{kind} {}", quoted(values)));
        }
    }
    for (kind, values) in &m.other {
        parts.push(format!("{kind} {}", quoted(values)));
    }
    if parts.is_empty() {
        "{}".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Splits the statement's principal into elements. Values of one kind are grouped.
fn elements(s: &Statement) -> Vec<Element> {
    let mut out = Vec::new();
    if let Some(np) = &s.not_principal {
        let listed = match np {
            Principal::Wildcard => "\"*\"".to_owned(),
            Principal::Map(m) => describe_map(m),
        };
        out.push(Element {
            who: Who::Everyone,
            label: format!(
                "NotPrincipal {listed} admits everyone except the listed principals, so it"
            ),
            plural: false,
        });
    }
    match &s.principal {
        None if s.not_principal.is_none() => out.push(Element {
            who: Who::Everyone,
            label: "The statement has no Principal; read as everyone (fail closed), it".to_owned(),
            plural: false,
        }),
        None => {}
        Some(Principal::Wildcard) => out.push(Element {
            who: Who::Everyone,
            label: "Principal \"*\" (any AWS account or anonymous caller)".to_owned(),
            plural: false,
        }),
        Some(Principal::Map(m)) => map_elements(m, &mut out),
    }
    out
}

fn map_elements(m: &PrincipalMap, out: &mut Vec<Element>) {
    let mut everyone: Vec<String> = Vec::new();
    let mut accounts: BTreeSet<String> = BTreeSet::new();
    let mut account_values: Vec<String> = Vec::new();
    let mut unrecognised: Vec<(String, String)> = Vec::new();
    let mut nobody: Vec<String> = Vec::new();

    // An account id, an ARN with an account, or a wildcard account.
    enum Read {
        Everyone,
        Account(String),
        Unrecognised,
    }
    let read_arn_or_account = |v: &str| -> Read {
        if v == "*" {
            return Read::Everyone;
        }
        if is_account_id(v) {
            return Read::Account(v.to_owned());
        }
        match ArnParts::split(v) {
            Some(a) if has_wildcard(a.account) => Read::Everyone,
            Some(a) if is_account_id(a.account) => Read::Account(a.account.to_owned()),
            Some(_) | None => Read::Unrecognised,
        }
    };

    for v in &m.aws {
        match read_arn_or_account(v) {
            Read::Everyone if v == "*" => everyone.push("AWS principal \"*\"".to_owned()),
            Read::Everyone => everyone.push(format!("AWS principal {v:?} with a wildcard account")),
            Read::Account(a) => {
                accounts.insert(a);
                account_values.push(v.clone());
            }
            Read::Unrecognised
                if v.len() > 4
                    && ["AIDA", "AROA", "AIPA", "ANPA", "AGPA"]
                        .iter()
                        .any(|p| v.starts_with(p)) =>
            {
                nobody.push(format!(
                    "AWS principal {v:?} (an IAM unique id, left when the user or role it named was deleted; a principal created again under that name gets a new id, so it matches no one: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles)"
                ));
            }
            Read::Unrecognised => {
                unrecognised.push((
                    v.clone(),
                    format!("unrecognised principal AWS {v:?} (neither an account id nor an ARN with an account)"),
                ));
            }
        }
    }
    for v in &m.federated {
        match read_arn_or_account(v) {
            Read::Everyone => everyone.push(format!("Federated principal {v:?}")),
            // An identity provider is matched only when a role is assumed through it
            // (sts:AssumeRoleWithWebIdentity, sts:AssumeRoleWithSAML); an invoke request is
            // made by the role session, never by the provider's principal
            // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-federated-web-identity).
            Read::Account(_) | Read::Unrecognised => nobody.push(format!(
                "Federated principal {v:?} (an identity provider, matched only when a role is assumed through it: an invoke request comes from the role session)"
            )),
        }
    }
    for v in &m.canonical_user {
        if v == "*" {
            everyone.push("CanonicalUser principal \"*\"".to_owned());
        } else {
            unrecognised.push((
                v.clone(),
                format!("unrecognised principal CanonicalUser {v:?} (a canonical user id names no account lambda-warden can check)"),
            ));
        }
    }
    for (kind, values) in &m.other {
        for v in values {
            if v == "*" {
                everyone.push(format!("{kind} principal \"*\""));
            } else {
                unrecognised.push((
                    format!("{kind}:{v}"),
                    format!("unrecognised principal {kind} {v:?} (unknown principal type)"),
                ));
            }
        }
    }
    let services: Vec<String> = m
        .service
        .iter()
        .filter(|v| *v != "*")
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if m.service.iter().any(|v| v == "*") {
        everyone.push("Service principal \"*\"".to_owned());
    }

    if !everyone.is_empty() {
        out.push(Element {
            who: Who::Everyone,
            label: format!(
                "{} (any AWS account or anonymous caller)",
                everyone.join(", ")
            ),
            plural: everyone.len() > 1,
        });
    }
    if !accounts.is_empty() {
        let noun = if account_values.len() == 1 {
            "principal"
        } else {
            "principals"
        };
        out.push(Element {
            who: Who::Accounts(accounts),
            label: format!("AWS {noun} {}", quoted(&account_values)),
            plural: account_values.len() > 1,
        });
    }
    for (raw, label) in unrecognised {
        out.push(Element {
            who: Who::Unrecognised(raw),
            label,
            plural: false,
        });
    }
    if !nobody.is_empty() {
        out.push(Element {
            label: nobody.join(", "),
            plural: nobody.len() > 1,
            who: Who::Nobody,
        });
    }
    if !services.is_empty() {
        let noun = if services.len() == 1 {
            "principal"
        } else {
            "principals"
        };
        out.push(Element {
            label: format!("Service {noun} {}", quoted(&services)),
            plural: services.len() > 1,
            who: Who::Services(services),
        });
    }
}

/// The verdict on an "everyone" element that no pin narrowed, after the conditions that limit
/// the kind of caller (only AWS services: a confused deputy, since any account's resource can
/// make the service call) or its network (`NetworkRestricted`).
fn everyone_limited(label: &str, is: &str, limits: &[&Limit]) -> (VerdictKind, String) {
    let mut any_service = false;
    let mut services: BTreeSet<String> = BTreeSet::new();
    let mut networks: BTreeSet<String> = BTreeSet::new();
    for l in limits {
        match l {
            Limit::Services(s) if s.is_empty() => any_service = true,
            Limit::Services(s) => services.extend(s.iter().cloned()),
            Limit::Network(n) => networks.extend(n.iter().cloned()),
        }
    }
    if any_service || !services.is_empty() {
        let services: Vec<String> = if services.is_empty() {
            vec!["any AWS service".to_owned()]
        } else {
            services.into_iter().collect()
        };
        return (
            VerdictKind::ConfusedDeputy {
                services: services.clone(),
            },
            format!(
                "{label} {is} limited to AWS service principals ({}), a confused deputy risk: no condition pins the source account, so any account's use of the service reaches the function",
                services.join(", ")
            ),
        );
    }
    if !networks.is_empty() {
        let networks: Vec<String> = networks.into_iter().collect();
        return (
            VerdictKind::NetworkRestricted {
                networks: networks.clone(),
            },
            format!(
                "{label} {is} network-restricted: only callers from {} are admitted, but any account's principals there are",
                networks.join(", ")
            ),
        );
    }
    (
        VerdictKind::Public,
        format!("{label} {is} public: no condition pins the caller to an account or organization"),
    )
}

/// Where the caller set of one dimension ended up after every pin.
struct Narrowed {
    values: BTreeSet<String>,
    /// The keys (as spelt) that pinned this dimension; `Principal` for the principal itself.
    by: Vec<String>,
}

fn judge_element(
    e: &Element,
    analyses: &[ConditionAnalysis],
    ctx: &TrustContext,
) -> (VerdictKind, String) {
    let mut dims: BTreeMap<Dimension, Narrowed> = BTreeMap::new();
    if let Who::Accounts(a) = &e.who {
        dims.insert(
            Dimension::PrincipalAccount,
            Narrowed {
                values: a.clone(),
                by: vec!["Principal".to_owned()],
            },
        );
    }
    if e.who == Who::Nobody {
        let is = if e.plural { "match" } else { "matches" };
        return (
            VerdictKind::Restricted,
            format!("{} {is} no caller", e.label),
        );
    }
    let is_service = matches!(e.who, Who::Services(_));
    for analysis in analyses {
        let Some(pin) = &analysis.pin else { continue };
        if pin.dimension == Dimension::SourceToken && !is_service {
            continue;
        }
        if pin.dimension == Dimension::PrincipalOrg && is_service {
            // "This key is included in the request context only if the principal is a member
            // of an organization"; a service principal is not, so the condition fails.
            return (
                VerdictKind::Restricted,
                format!(
                    "{} {} granted to no caller: {} requires the principal's organization, and a service principal belongs to no organization, so its requests lack the key (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid)",
                    e.label,
                    if e.plural { "are" } else { "is" },
                    analysis.key
                ),
            );
        }
        let key = analysis.key.clone();
        match dims.get_mut(&pin.dimension) {
            Some(n) => {
                n.values = n.values.intersection(&pin.values).cloned().collect();
                if !n.by.contains(&key) {
                    n.by.push(key);
                }
            }
            None => {
                dims.insert(
                    pin.dimension,
                    Narrowed {
                        values: pin.values.clone(),
                        by: vec![key],
                    },
                );
            }
        }
    }
    let label = &e.label;
    let is = if e.plural { "are" } else { "is" };
    // When only the principal itself fixes the principal's account, say "names".
    let only_principal = |d: &Dimension, n: &Narrowed| {
        *d == Dimension::PrincipalAccount && n.by.as_slice() == ["Principal"]
    };

    // Nobody can satisfy some dimension.
    if let Some((d, n)) = dims.iter().find(|(_, n)| n.values.is_empty()) {
        return (
            VerdictKind::Restricted,
            format!(
                "{label} {is} granted to no caller: {} {} no possible value",
                if n.by.len() > 1 {
                    format!("together, {} leave", n.by.join(" and "))
                } else {
                    format!("{} leaves", n.by.join(""))
                },
                d.describe()
            ),
        );
    }

    // A dimension pinned to ours only: restricted.
    let mut foreign_first: Option<(Dimension, Vec<String>, String)> = None;
    for (d, n) in &dims {
        let mut ours = Vec::new();
        let mut foreign = Vec::new();
        for v in &n.values {
            let trust = if d.is_org() {
                ctx.org_trusted(v).then_some("the configured organization")
            } else if *d == Dimension::SourceToken {
                Some("a specific Alexa skill")
            } else {
                ctx.account_trust(v)
            };
            match trust {
                Some(t) => ours.push(format!("{v} ({t})")),
                None => foreign.push(v.clone()),
            }
        }
        if foreign.is_empty() {
            let text = if only_principal(d, n) {
                format!(
                    "{label} {is} restricted: it names only account {}",
                    ours.join(", ")
                )
            } else {
                format!(
                    "{label} {is} restricted: {} is pinned to {} by {}",
                    d.describe(),
                    ours.join(", "),
                    n.by.join(" and ")
                )
            };
            return (VerdictKind::Restricted, text);
        }
        if foreign_first.is_none() {
            let what = match (d.is_org(), &ctx.organization_id) {
                (true, Some(_)) => "an organization that is not the configured one",
                (true, None) => "an organization, and no organization is configured as trusted",
                (false, _) => "neither the function's account nor trusted",
            };
            let mut text = if only_principal(d, n) {
                format!(
                    "{label} {is} cross-account: it names account {} ({what})",
                    foreign.join(", ")
                )
            } else {
                format!(
                    "{label} {is} cross-account: {} is pinned by {} to {} ({what})",
                    d.describe(),
                    n.by.join(" and "),
                    foreign.join(", ")
                )
            };
            if !ours.is_empty() {
                text.push_str(&format!(" besides {}", ours.join(", ")));
            }
            foreign_first = Some((*d, foreign, text));
        }
    }
    if let Some((_, accounts, text)) = foreign_first {
        return (VerdictKind::CrossAccount { accounts }, text);
    }

    let limits: Vec<&Limit> = analyses.iter().filter_map(|a| a.limit.as_ref()).collect();
    match &e.who {
        Who::Everyone => everyone_limited(label, is, &limits),
        Who::Unrecognised(raw) => (
            VerdictKind::CrossAccount {
                accounts: vec![raw.clone()],
            },
            format!("{label} {is} treated as another account (fail closed): its account cannot be shown to be the function's"),
        ),
        Who::Services(services) => (
            VerdictKind::ConfusedDeputy {
                services: services.clone(),
            },
            format!(
                "{label} {is} a confused deputy risk: no aws:SourceAccount, aws:SourceOwner, aws:SourceOrgID or account-bearing aws:SourceArn pins the source, so a resource in any account can make the service invoke the function"
            ),
        ),
        // Handled at the start.
        Who::Nobody => (VerdictKind::Restricted, format!("{label} {is} granted to no caller")),
        // Named accounts always pin the principal account, handled above.
        Who::Accounts(_) => (
            VerdictKind::Restricted,
            format!("{label} {is} restricted to trusted accounts"),
        ),
    }
}

//! Identity-based policies (the permission policies of an execution role): which statements
//! allow which actions on every resource. The document is parsed by the same model as
//! resource-based policies ([`ResourcePolicy`]); an identity policy simply has no `Principal`.
//!
//! Sources:
//! - evaluation logic: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html>
//! - `Action` and `NotAction`: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>,
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html>
//! - `Resource` and `NotResource`: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>
//!
//! What is modelled, and what is not (each choice reports more rather than less):
//! - only `Allow` statements grant (an unknown `Effect` counts as `Allow`, fail closed);
//! - "every resource" means a `Resource` of exactly `*`, or any `NotResource` in an `Allow`;
//!   an ARN pattern with wildcards (`arn:aws:iam::*:role/*`) is not treated as `*`, except
//!   for `iam:PassRole`, where a pattern that matches every role of the execution role's
//!   account passes any role ([`passrole_grant`]);
//! - an `Allow` whose conditions no Lambda session can meet (`aws:MultiFactorAuthPresent`
//!   true: a function's credentials never carry MFA) grants nothing ([`super::session`]);
//! - an `Allow` with `NotAction` on every resource allows nearly everything: it is reported
//!   as administrator-like access;
//! - other conditions of an `Allow` are not evaluated: the statement is reported, with its
//!   conditions in the evidence;
//! - a `Deny` cancels an allowed action only when its conditions hold for every call made
//!   with a function's credentials (none, or one such as "deny unless MFA", which a function
//!   session never has: [`super::session`]), it covers every resource (`Resource` `*`, no
//!   `NotResource`) and its `Action` (or `NotAction`) covers the action; a `Deny` that may not
//!   apply, or is resource-scoped, cancels nothing here;
//! - permissions boundaries, session policies, service control policies and resource control
//!   policies are not read.

use super::model::{Effect, ResourcePolicy, Statement};
use super::pattern::{pattern_covers, wildcard_match_ignore_case};
use super::session::{conditions_truth, SessionRequest, Truth};

/// Whether the statement grants (`Allow`, or an unknown effect read as `Allow`).
pub fn is_allow(s: &Statement) -> bool {
    match &s.effect {
        Effect::Allow | Effect::Unknown(_) => true,
        Effect::Deny => false,
    }
}

/// Whether an `Allow`'s conditions can hold for a call made with a function's credentials:
/// not when they are false for every Lambda session (e.g. `aws:MultiFactorAuthPresent` true).
/// `iam:PassedToService` is left out: it depends on the request (which service a role is
/// passed to), and the rules that use this report a `PassRole` grant whatever its service.
fn may_grant(s: &Statement) -> bool {
    let session = s
        .conditions
        .iter()
        .filter(|c| !c.key.is("iam:passedtoservice"));
    is_allow(s) && conditions_truth(session, &SessionRequest::default()) != Truth::False
}

/// Whether the statement applies to every resource: `Resource` contains `*`, or it uses
/// `NotResource` (everything but a list).
pub fn on_every_resource(s: &Statement) -> bool {
    s.resource.iter().any(|r| r == "*") || !s.not_resource.is_empty()
}

/// How an `Allow` on every resource grants every action, when it does: `Action` `*` (or
/// `*:*`), or `NotAction` (every action but those listed).
pub fn admin_shape(s: &Statement) -> Option<String> {
    if !may_grant(s) || !on_every_resource(s) {
        return None;
    }
    if s.action.iter().any(|a| a == "*" || a == "*:*") {
        return Some("Action \"*\" on every resource".to_owned());
    }
    if !s.not_action.is_empty() {
        return Some(format!(
            "NotAction {:?} on every resource: every other action is allowed",
            s.not_action
        ));
    }
    None
}

/// The `service:*` action patterns of an `Allow` on every resource (e.g. `s3:*`), as written.
pub fn service_wildcards(s: &Statement) -> Vec<String> {
    if !may_grant(s) || !on_every_resource(s) {
        return Vec::new();
    }
    s.action
        .iter()
        .filter(|a| is_service_wildcard(a))
        .cloned()
        .collect()
}

/// `service:*` (a whole service), e.g. `iam:*`.
pub fn is_service_wildcard(pattern: &str) -> bool {
    pattern
        .split_once(':')
        .is_some_and(|(svc, rest)| rest == "*" && !svc.is_empty() && svc != "*")
}

/// The `Action` pattern of an `Allow` on every resource that covers `action`, when one does
/// and it is narrower than a whole service (`*` and `service:*` are reported by the broader
/// rules). `NotAction` statements are administrator-like and reported as such.
pub fn narrow_grant<'s>(s: &'s Statement, action: &str) -> Option<&'s str> {
    if !on_every_resource(s) {
        return None;
    }
    narrow_action(s, action)
}

/// The pattern by which `s` allows `iam:PassRole` of every role in the account of
/// `every_role` (`arn:PARTITION:iam::ACCOUNT:role/*`): on every resource, or on a `Resource`
/// pattern that matches every role ARN there (`arn:aws:iam::*:role/*`,
/// `arn:aws:iam::111122223333:role/*`). Narrower than a whole service, like [`narrow_grant`].
pub fn passrole_grant<'s>(s: &'s Statement, every_role: &str) -> Option<&'s str> {
    let all_roles = on_every_resource(s)
        || s.resource
            .iter()
            .any(|r| pattern_covers(r, every_role, false));
    if !all_roles {
        return None;
    }
    narrow_action(s, "iam:PassRole")
}

fn narrow_action<'s>(s: &'s Statement, action: &str) -> Option<&'s str> {
    if !may_grant(s) || !s.not_action.is_empty() {
        return None;
    }
    s.action
        .iter()
        .find(|p| {
            p.as_str() != "*"
                && p.as_str() != "*:*"
                && !is_service_wildcard(p)
                && wildcard_match_ignore_case(p, action)
        })
        .map(String::as_str)
}

/// Whether one of `denies` cancels `action` everywhere: a `Deny` on every resource whose
/// `Action` covers it (or whose `NotAction` does not list it) and whose conditions hold for
/// every call made with a function's credentials (none, or e.g. "deny unless MFA":
/// [`conditions_truth`]). `action` may be
/// a pattern itself (`s3:*`, `*`): it is then covered only by a pattern that covers the
/// pattern's text (`*`, `s3:*`).
pub fn cancelled_by<'a>(denies: impl IntoIterator<Item = &'a Statement>, action: &str) -> bool {
    cancelled_on(denies, action, "*")
}

/// Whether one of `denies` cancels `action` (a name or a pattern) on every resource that the
/// pattern `resource` matches: as [`cancelled_by`], with the `Deny`'s `Resource` covering
/// `resource` (`arn:aws:iam::*:role/*` covers every role of an account). Coverage is
/// inclusion of what the patterns match: a `Deny` of `iam:Pass?ole` does not cover
/// `iam:Pass*`, and a `Deny` with `NotAction` covers a pattern only when none of the actions
/// it leaves out can fall under the pattern.
pub fn cancelled_on<'a>(
    denies: impl IntoIterator<Item = &'a Statement>,
    action: &str,
    resource: &str,
) -> bool {
    denies.into_iter().any(|d| {
        d.effect == Effect::Deny
            && conditions_truth(&d.conditions, &SessionRequest::default()) == Truth::True
            && d.not_resource.is_empty()
            && d.resource
                .iter()
                .any(|r| pattern_covers(r, resource, false))
            && deny_covers_action(d, action)
    })
}

fn deny_covers_action(d: &Statement, action: &str) -> bool {
    if d.not_action.is_empty() {
        d.action.iter().any(|p| pattern_covers(p, action, true))
    } else {
        d.action.is_empty()
            && if action.contains(['*', '?']) {
                !d.not_action.iter().any(|n| may_overlap(n, action))
            } else {
                !d.not_action
                    .iter()
                    .any(|n| wildcard_match_ignore_case(n, action))
            }
    }
}

/// Whether two action patterns can match a common action: unless their service prefixes
/// differ with no wildcard in either (`s3:Get*` and `iam:*` cannot), they are taken to.
fn may_overlap(a: &str, b: &str) -> bool {
    let service = |p: &str| p.split(':').next().unwrap_or_default().to_ascii_lowercase();
    let (x, y) = (service(a), service(b));
    x.contains(['*', '?']) || y.contains(['*', '?']) || x == y
}

/// Every `Deny` statement of `policies`: IAM evaluates all of a role's policies together, so
/// a `Deny` in one cancels an `Allow` in another.
pub fn denies<'a>(policies: impl IntoIterator<Item = &'a ResourcePolicy>) -> Vec<&'a Statement> {
    policies
        .into_iter()
        .flat_map(|p| p.statements.iter())
        .filter(|s| s.effect == Effect::Deny)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(json: &str) -> Statement {
        let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{json}]}}"#);
        ResourcePolicy::parse(&doc).unwrap().statements.remove(0)
    }

    #[test]
    fn administrator_shapes() {
        let rows = [
            (r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#, true),
            (
                r#"{"Effect":"Allow","Action":["*:*"],"Resource":["*"]}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::b"}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}"#,
                false,
            ),
            (r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#, false),
            (
                r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
                false,
            ),
        ];
        for (json, admin) in rows {
            assert_eq!(admin_shape(&stmt(json)).is_some(), admin, "{json}");
        }
    }

    #[test]
    fn service_wildcards_and_narrow_grants() {
        let s = stmt(
            r#"{"Effect":"Allow","Action":["s3:*","iam:PassRole","ec2:Describe*"],"Resource":"*"}"#,
        );
        assert_eq!(service_wildcards(&s), ["s3:*"]);
        assert_eq!(narrow_grant(&s, "iam:PassRole"), Some("iam:PassRole"));
        assert_eq!(narrow_grant(&s, "iam:CreateAccessKey"), None);
        let broad = stmt(r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#);
        assert_eq!(narrow_grant(&broad, "iam:PassRole"), None);
        let pattern = stmt(r#"{"Effect":"Allow","Action":"iam:Pass*","Resource":"*"}"#);
        assert_eq!(narrow_grant(&pattern, "iam:passrole"), Some("iam:Pass*"));
        let scoped = stmt(
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app"}"#,
        );
        assert_eq!(narrow_grant(&scoped, "iam:PassRole"), None);
    }

    #[test]
    fn only_unconditional_denies_on_every_resource_cancel() {
        let deny_all = stmt(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#);
        let deny_iam = stmt(r#"{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#);
        let deny_cond = stmt(
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}"#,
        );
        let deny_scoped = stmt(r#"{"Effect":"Deny","Action":"*","Resource":"arn:aws:s3:::b"}"#);
        assert!(cancelled_by([&deny_all], "*"));
        assert!(cancelled_by([&deny_iam], "iam:PassRole"));
        assert!(cancelled_by([&deny_iam], "iam:*"));
        assert!(!cancelled_by([&deny_iam], "*"));
        // A function's session never carries MFA: "deny unless MFA" always applies to it.
        assert!(cancelled_by([&deny_cond], "iam:PassRole"));
        let deny_ip = stmt(
            r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
        );
        assert!(!cancelled_by([&deny_ip], "iam:PassRole"));
        assert!(!cancelled_by([&deny_scoped], "iam:PassRole"));
        // A NotAction Deny that leaves part of IAM allowed does not cancel iam:*.
        let deny_but =
            stmt(r#"{"Effect":"Deny","NotAction":["iam:Get*","iam:List*"],"Resource":"*"}"#);
        assert!(!cancelled_by([&deny_but], "iam:*"));
        assert!(cancelled_by([&deny_but], "s3:*"));
        assert!(cancelled_by([&deny_but], "iam:PassRole"));
        // A Deny on every role ARN covers PassRole of every role; a `?` covers no `*`.
        let deny_roles =
            stmt(r#"{"Effect":"Deny","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*"}"#);
        assert!(cancelled_on(
            [&deny_roles],
            "iam:PassRole",
            "arn:aws:iam::111122223333:role/*"
        ));
        assert!(!cancelled_by([&deny_roles], "iam:PassRole"));
        let deny_q = stmt(r#"{"Effect":"Deny","Action":"iam:Pass?ole","Resource":"*"}"#);
        assert!(!cancelled_by([&deny_q], "iam:Pass*"));
    }

    #[test]
    fn passrole_on_every_role_arn_and_session_conditions() {
        let every = "arn:aws:iam::111122223333:role/*";
        let all_roles = stmt(
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/*"}"#,
        );
        assert_eq!(passrole_grant(&all_roles, every), Some("iam:PassRole"));
        let some = stmt(
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app-*"}"#,
        );
        assert_eq!(passrole_grant(&some, every), None);
        let mfa = stmt(
            r#"{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#,
        );
        assert!(service_wildcards(&mfa).is_empty());
    }
}

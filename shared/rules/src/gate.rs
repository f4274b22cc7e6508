//! [`Trigger`] + [`Config`] → [`Gate`]: whether an event is worth fetching the function for.
//!
//! The gate runs before any AWS call. It skips failed calls (nothing changed), events
//! lambda-warden does not handle, lambda-warden's own writes and its own functions (so a
//! remediation never triggers another: real-time remediators that skip this loop on their own
//! CloudTrail events), tag changes of nothing but lambda-warden's display tags, and events
//! that name no function in the watched account, Region and partition. The exemption tag is
//! read from the fetched function, after the gate: see [`exemption`].
//!
//! What counts as lambda-warden is narrow on purpose: everything the gate skips is invisible
//! to lambda-warden, so a rule that matched too much (a role name in any account, a function
//! name in any Region) would let anyone who can pass that role, or name a function so, act
//! unseen.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::config::{Config, SelfIdentity};
use crate::event_name::LambdaApi;
use crate::ids::{AccountId, RoleArn};
use crate::trigger::{Actor, Trigger};

/// The role session name lambda-warden uses when it assumes the member role
/// (`WARDEN_MEMBER_ROLE_NAME`) in an account of its organization; CloudTrail records it in the
/// member account as the `SESSION` of `assumed-role/ROLE/SESSION`
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
pub const MEMBER_SESSION_NAME: &str = "lambda-warden";

/// The tag that exempts a function from lambda-warden. Its value is the reason, and any value
/// (even an empty one) exempts.
pub const EXEMPT_TAG: &str = crate::tags::EXEMPT;

/// The gate's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Gate {
    /// Fetch the function and evaluate it.
    Go,
    /// Do nothing more with this event.
    Skip(SkipReason),
}

impl Gate {
    /// The reason, when the event is skipped.
    pub fn skip_reason(&self) -> Option<&SkipReason> {
        match self {
            Gate::Go => None,
            Gate::Skip(reason) => Some(reason),
        }
    }
}

/// Why an event is skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// The call failed (`errorCode` set): nothing changed
    /// (<https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>).
    FailedCall {
        /// The CloudTrail `errorCode`, e.g. `AccessDenied`.
        error_code: String,
    },
    /// The call was made by lambda-warden itself: one of its functions with its execution role,
    /// or lambda-warden through the member role (see [`self_initiated`]).
    SelfInitiated {
        /// The caller's role ARN.
        role_arn: Option<String>,
        /// The caller's role session name (a function's name for a function's own calls).
        session_name: Option<String>,
    },
    /// The event is about one of lambda-warden's own functions (its full ARN is one of
    /// `WARDEN_SELF_FUNCTION_ARNS`).
    OwnFunction {
        /// The function's name.
        function_name: String,
    },
    /// A `TagResource` or `UntagResource` that changed only lambda-warden's display tags
    /// ([`crate::tags::is_display_key`]): nothing lambda-warden judges changed. Another
    /// deployment's status writes are such events, and evaluating them made two deployments
    /// with different settings re-trigger each other forever.
    WardenTagsOnly {
        /// The tag keys the call set or removed.
        keys: Vec<String>,
    },
    /// The event name is not one lambda-warden handles.
    UnsupportedEvent {
        /// The CloudTrail `eventName`.
        event_name: String,
    },
    /// The event names no function (e.g. `TagResource` on an event source mapping).
    NoTarget,
    /// The event names a function in another account, Region or partition than the one the
    /// event was recorded in: lambda-warden only acts on functions of the account and Region it
    /// watches.
    ForeignTarget {
        /// The function as the event named it.
        function: String,
        /// The event's partition, account and Region, e.g. `aws/123456789012/us-east-1`.
        watched: String,
    },
    /// The event comes from another service than the one its name belongs to (e.g. a Lambda
    /// event name with `eventSource` `s3.amazonaws.com`).
    WrongEventSource {
        /// `detail.eventSource`.
        event_source: String,
    },
}

impl SkipReason {
    /// A snake_case code for logs: `failed_call`, `self_initiated`, `own_function`,
    /// `warden_tags_only`, `unsupported_event`, `no_target`, `foreign_target` or
    /// `wrong_event_source`.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::FailedCall { .. } => "failed_call",
            SkipReason::SelfInitiated { .. } => "self_initiated",
            SkipReason::OwnFunction { .. } => "own_function",
            SkipReason::WardenTagsOnly { .. } => "warden_tags_only",
            SkipReason::UnsupportedEvent { .. } => "unsupported_event",
            SkipReason::NoTarget => "no_target",
            SkipReason::ForeignTarget { .. } => "foreign_target",
            SkipReason::WrongEventSource { .. } => "wrong_event_source",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::FailedCall { error_code } => {
                write!(f, "the call failed with {error_code}: nothing changed")
            }
            SkipReason::SelfInitiated {
                role_arn,
                session_name,
            } => write!(
                f,
                "the call was made by lambda-warden itself (role {}, session {})",
                role_arn.as_deref().unwrap_or("unknown"),
                session_name.as_deref().unwrap_or("unknown"),
            ),
            SkipReason::OwnFunction { function_name } => {
                write!(f, "{function_name} is one of lambda-warden's own functions")
            }
            SkipReason::WardenTagsOnly { keys } => write!(
                f,
                "the call changed only lambda-warden's display tags ({}): nothing it judges",
                keys.join(", ")
            ),
            SkipReason::UnsupportedEvent { event_name } => {
                write!(f, "event {event_name:?} is not one lambda-warden handles")
            }
            SkipReason::NoTarget => f.write_str("the event names no function"),
            SkipReason::ForeignTarget { function, watched } => write!(
                f,
                "{function} is not in the partition, account and Region the event was recorded \
                 in ({watched})"
            ),
            SkipReason::WrongEventSource { event_source } => {
                write!(
                    f,
                    "eventSource {event_source:?} does not match the event name"
                )
            }
        }
    }
}

/// The `eventSource` of Lambda's CloudTrail events.
pub const LAMBDA_EVENT_SOURCE: &str = "lambda.amazonaws.com";

/// Decides whether to go on with `trigger`. Checks, in order: failed call, unsupported event,
/// wrong event source, self-initiated call (see [`self_initiated`]), a layer event with its
/// layer version ([`Gate::Go`]), no target, a target in another partition, account or Region
/// than the event's ([`SkipReason::ForeignTarget`]), own function (the target's full ARN,
/// completed with the event's partition, Region and account, is one of
/// `config.self_identity.function_arns`), a tag change of display tags only
/// ([`SkipReason::WardenTagsOnly`]); otherwise [`Gate::Go`].
pub fn decide(trigger: &Trigger, config: &Config) -> Gate {
    let me = &config.self_identity;
    if let Some(code) = &trigger.error_code {
        return Gate::Skip(SkipReason::FailedCall {
            error_code: code.clone(),
        });
    }
    if !trigger.event_name.is_supported() {
        return Gate::Skip(SkipReason::UnsupportedEvent {
            event_name: trigger.event_name.as_str().to_owned(),
        });
    }
    if trigger.event_source != LAMBDA_EVENT_SOURCE {
        return Gate::Skip(SkipReason::WrongEventSource {
            event_source: trigger.event_source.clone(),
        });
    }
    if let Some(reason) = self_initiated(&trigger.actor, me, &trigger.account) {
        return Gate::Skip(reason);
    }
    if trigger.layer.is_some() {
        // A layer event: the layer version is evaluated, not a function.
        return Gate::Go;
    }
    let Some(target) = &trigger.target else {
        return Gate::Skip(SkipReason::NoTarget);
    };
    let foreign_partition = target
        .partition
        .as_ref()
        .is_some_and(|p| *p != trigger.partition);
    let foreign_account = target
        .account
        .as_ref()
        .is_some_and(|a| *a != trigger.account);
    let foreign_region = target.region.as_ref().is_some_and(|r| *r != trigger.region);
    if foreign_partition || foreign_account || foreign_region {
        return Gate::Skip(SkipReason::ForeignTarget {
            function: trigger
                .function_arn()
                .map_or_else(|| target.name.to_string(), |a| a.to_string()),
            watched: format!(
                "{}/{}/{}",
                trigger.partition, trigger.account, trigger.region
            ),
        });
    }
    if let Some(arn) = trigger.function_arn() {
        if me.is_own_function(&arn) {
            return Gate::Skip(SkipReason::OwnFunction {
                function_name: target.name.as_str().to_owned(),
            });
        }
    }
    if let Some(reason) = warden_tags_only(trigger) {
        return Gate::Skip(reason);
    }
    Gate::Go
}

/// [`SkipReason::WardenTagsOnly`] when `trigger` is a `TagResource` / `UntagResource` whose
/// record shows the tags it changed, at least one, and every one is a display tag
/// ([`crate::tags::is_display_key`]); `None` otherwise (also when the record does not show
/// the tags: such an event is evaluated).
fn warden_tags_only(trigger: &Trigger) -> Option<SkipReason> {
    let is_tag_event = matches!(
        trigger.event_name.api(),
        Some(LambdaApi::TagResource | LambdaApi::UntagResource)
    );
    let change = trigger.tag_change().filter(|_| is_tag_event)?;
    let only_display = !change.is_empty() && change.keys().all(crate::tags::is_display_key);
    only_display.then(|| SkipReason::WardenTagsOnly {
        keys: change.keys().map(str::to_owned).collect(),
    })
}

/// [`SkipReason::SelfInitiated`] when `actor` is lambda-warden itself; `None` otherwise. Every
/// gate applies this same rule. lambda-warden is:
///
/// - one of its functions, running with its execution role: the caller's role ARN (partition,
///   account, path and name) is one of `me.role_arns` **and** the session name is one of
///   `me.function_names`. Lambda names the execution role's session after the function
///   (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>); the
///   role alone is not enough, because every function of the account that may be given the
///   role (`iam:PassRole`) runs with it, under its own name;
/// - lambda-warden acting through the member role in an account of its organization: the
///   caller's role is `me.member_role` (`PATH/NAME`) in `account` (the account the event was
///   recorded in) **and** the session name is [`MEMBER_SESSION_NAME`].
///
/// A session name alone never counts: anyone who may assume some role chooses the session
/// name (`sts:AssumeRole` `RoleSessionName`), and a role of the same name in another account
/// is somebody else's
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>,
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html>).
pub fn self_initiated(actor: &Actor, me: &SelfIdentity, account: &AccountId) -> Option<SkipReason> {
    let role_arn = actor.role_arn.as_deref()?;
    let session = actor.session_name.as_deref()?;
    let own_function = me.role_arns.contains(role_arn) && me.function_names.contains(session);
    let member_role = session == MEMBER_SESSION_NAME
        && me.member_role.as_deref().is_some_and(|member| {
            RoleArn::parse(role_arn)
                .is_ok_and(|r| r.account == *account && r.path_and_name() == member)
        });
    (own_function || member_role).then(|| SkipReason::SelfInitiated {
        role_arn: Some(role_arn.to_owned()),
        session_name: Some(session.to_owned()),
    })
}

/// The exemption reason when the fetched function carries the [`EXEMPT_TAG`] tag (an empty
/// value still exempts: `Some("")`); `None` otherwise. Tag keys are case-sensitive
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html>).
pub fn exemption(tags: &BTreeMap<String, String>) -> Option<String> {
    tags.get(EXEMPT_TAG).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SelfIdentity;
    use crate::event_name::EventName;
    use crate::ids::{AccountId, FunctionArn, FunctionRef};
    use crate::trigger::{Actor, EnvelopeShape, TagChange};

    fn trigger() -> Trigger {
        Trigger {
            event_id: "b67a9bba-d9da-4980-bf74-baed881b117d".into(),
            event_name: EventName::AddPermission20150331v2,
            event_source: "lambda.amazonaws.com".into(),
            event_time: None,
            account: AccountId::parse("111122223333").unwrap(),
            region: "us-east-1".into(),
            partition: "aws".into(),
            actor: caller("dev-role", "jane"),
            error_code: None,
            target: Some(FunctionRef::parse("orders-api").unwrap()),
            layer: None,
            tag_change: None,
            shape: EnvelopeShape::EventBridge,
        }
    }

    /// An assumed-role caller of account 111122223333, as CloudTrail records it (issuer ARN
    /// and session ARN).
    fn caller(role: &str, session: &str) -> Actor {
        Actor {
            identity_type: Some("AssumedRole".into()),
            arn: Some(format!(
                "arn:aws:sts::111122223333:assumed-role/{role}/{session}"
            )),
            account: Some("111122223333".into()),
            role_name: Some(role.into()),
            session_name: Some(session.into()),
            role_arn: Some(format!("arn:aws:iam::111122223333:role/{role}")),
        }
    }

    const OWN_ROLE: &str = "arn:aws:iam::111122223333:role/lambda-warden-events-role";
    const OWN_FUNCTION: &str =
        "arn:aws:lambda:us-east-1:111122223333:function:lambda-warden-events";

    fn config() -> Config {
        let own = FunctionArn::parse(OWN_FUNCTION).unwrap();
        Config {
            self_identity: SelfIdentity {
                role_arns: [OWN_ROLE.to_owned()].into(),
                function_names: [own.name.as_str().to_owned()].into(),
                function_arns: [own].into(),
                member_role: Some("security/lambda-warden-member".into()),
            },
            ..Config::default()
        }
    }

    fn tagging(change: TagChange) -> Trigger {
        let mut t = trigger();
        t.event_name = EventName::TagResource20170331v2;
        t.target = Some(
            FunctionRef::parse("arn:aws:lambda:us-east-1:111122223333:function:orders-api")
                .unwrap(),
        );
        t.tag_change = Some(change);
        t
    }

    fn set(tags: &[(&str, &str)]) -> TagChange {
        TagChange {
            set: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            removed: Vec::new(),
        }
    }

    #[test]
    fn an_ordinary_change_goes() {
        assert_eq!(decide(&trigger(), &config()), Gate::Go);
    }

    #[test]
    fn a_failed_call_is_skipped_first() {
        let mut t = trigger();
        t.error_code = Some("AccessDenied".into());
        t.event_name = EventName::Other("AddPermission".into());
        t.target = None;
        let gate = decide(&t, &config());
        assert_eq!(
            gate,
            Gate::Skip(SkipReason::FailedCall {
                error_code: "AccessDenied".into()
            })
        );
    }

    #[test]
    fn an_unsupported_event_is_skipped() {
        let mut t = trigger();
        t.event_name = EventName::parse("DeleteFunction20150331");
        match decide(&t, &config()) {
            Gate::Skip(r @ SkipReason::UnsupportedEvent { .. }) => {
                assert_eq!(r.code(), "unsupported_event");
                assert!(r.to_string().contains("DeleteFunction20150331"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lambda_warden_s_function_with_its_role_is_skipped() {
        let mut t = trigger();
        t.actor = caller("lambda-warden-events-role", "lambda-warden-events");
        assert_eq!(
            decide(&t, &config()),
            Gate::Skip(SkipReason::SelfInitiated {
                role_arn: Some(OWN_ROLE.into()),
                session_name: Some("lambda-warden-events".into()),
            })
        );
    }

    #[test]
    fn another_function_with_lambda_warden_s_role_is_evaluated() {
        // Attack 7: the role trusts any function of the account; a function given the role
        // runs under its own name, and is not lambda-warden.
        let mut t = trigger();
        t.actor = caller("lambda-warden-events-role", "attacker-fn");
        assert_eq!(
            t.actor.arn.as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/lambda-warden-events-role/attacker-fn")
        );
        assert_eq!(decide(&t, &config()), Gate::Go);
        // The same from the session ARN alone (no session issuer in the record).
        t.actor.role_arn =
            RoleArn::of_assumed_role(t.actor.arn.as_deref().unwrap()).map(|r| r.to_string());
        assert_eq!(t.actor.role_arn.as_deref(), Some(OWN_ROLE));
        assert_eq!(decide(&t, &config()), Gate::Go);
    }

    #[test]
    fn a_session_named_like_lambda_warden_is_not_enough() {
        // Anyone may pick any RoleSessionName: a developer's role with lambda-warden's
        // function name as session name is a human change, and is evaluated.
        let mut t = trigger();
        t.actor = caller("developer-role", "lambda-warden-events");
        assert_eq!(decide(&t, &config()), Gate::Go);
    }

    #[test]
    fn a_role_of_the_same_name_elsewhere_is_not_lambda_warden() {
        for role_arn in [
            "arn:aws:iam::444455556666:role/lambda-warden-events-role",
            "arn:aws-cn:iam::111122223333:role/lambda-warden-events-role",
            "arn:aws:iam::111122223333:role/other/lambda-warden-events-role",
        ] {
            let mut t = trigger();
            t.actor = caller("lambda-warden-events-role", "lambda-warden-events");
            t.actor.role_arn = Some(role_arn.into());
            assert_eq!(decide(&t, &config()), Gate::Go, "{role_arn}");
        }
        // Without a role ARN (an IAM user, an AWS service), nothing is lambda-warden's.
        let mut t = trigger();
        t.actor = caller("lambda-warden-events-role", "lambda-warden-events");
        t.actor.role_arn = None;
        assert_eq!(decide(&t, &config()), Gate::Go);
    }

    #[test]
    fn a_role_with_a_path_matches_by_its_issuer_arn_only() {
        let mut c = config();
        let with_path = "arn:aws:iam::111122223333:role/security/lambda-warden-events-role";
        c.self_identity.role_arns = [with_path.to_owned()].into();
        let mut t = trigger();
        t.actor = caller("lambda-warden-events-role", "lambda-warden-events");
        // The session ARN has no path: derived from it, the role ARN does not match.
        assert_eq!(decide(&t, &c), Gate::Go);
        t.actor.role_arn = Some(with_path.into());
        assert_eq!(
            decide(&t, &c).skip_reason().map(SkipReason::code),
            Some("self_initiated")
        );
    }

    #[test]
    fn the_member_role_is_lambda_warden_in_the_event_s_account_with_its_session_name() {
        let member = "arn:aws:iam::111122223333:role/security/lambda-warden-member";
        let mut t = trigger();
        t.actor = caller("lambda-warden-member", MEMBER_SESSION_NAME);
        t.actor.role_arn = Some(member.into());
        assert_eq!(
            decide(&t, &config()),
            Gate::Skip(SkipReason::SelfInitiated {
                role_arn: Some(member.into()),
                session_name: Some(MEMBER_SESSION_NAME.into()),
            })
        );
        // Another session name on the member role: not lambda-warden.
        t.actor.session_name = Some("jane".into());
        assert_eq!(decide(&t, &config()), Gate::Go);
        // The member role of another account than the event's: not lambda-warden here.
        let mut t = trigger();
        t.actor = caller("lambda-warden-member", MEMBER_SESSION_NAME);
        t.actor.role_arn =
            Some("arn:aws:iam::444455556666:role/security/lambda-warden-member".into());
        assert_eq!(decide(&t, &config()), Gate::Go);
        // Another path: another role.
        t.actor.role_arn = Some("arn:aws:iam::111122223333:role/lambda-warden-member".into());
        assert_eq!(decide(&t, &config()), Gate::Go);
        // No member role configured: nobody is lambda-warden through it.
        let mut c = config();
        c.self_identity.member_role = None;
        t.actor.role_arn = Some(member.into());
        assert_eq!(decide(&t, &c), Gate::Go);
    }

    #[test]
    fn targets_outside_the_watched_partition_account_and_region_are_skipped() {
        for target in [
            "arn:aws:lambda:us-east-1:444455556666:function:orders-api",
            "arn:aws:lambda:eu-west-1:111122223333:function:orders-api",
            "444455556666:function:orders-api",
            // Attack 12a: a target in another partition than the event's.
            "arn:aws-cn:lambda:us-east-1:111122223333:function:orders-api",
            "arn:aws-cn:lambda:cn-north-1:111122223333:function:orders-api",
        ] {
            let mut t = trigger();
            t.target = Some(FunctionRef::parse(target).unwrap());
            assert!(
                matches!(
                    decide(&t, &config()),
                    Gate::Skip(SkipReason::ForeignTarget { .. })
                ),
                "{target}"
            );
        }
        let mut same = trigger();
        same.target = Some(
            FunctionRef::parse("arn:aws:lambda:us-east-1:111122223333:function:orders-api")
                .unwrap(),
        );
        assert_eq!(decide(&same, &config()), Gate::Go);
    }

    #[test]
    fn a_lambda_event_name_from_another_service_is_skipped() {
        let mut t = trigger();
        t.event_source = "s3.amazonaws.com".into();
        assert_eq!(
            decide(&t, &config()),
            Gate::Skip(SkipReason::WrongEventSource {
                event_source: "s3.amazonaws.com".into()
            })
        );
    }

    #[test]
    fn self_check_comes_before_the_target_check() {
        let mut t = trigger();
        t.actor = caller("lambda-warden-events-role", "lambda-warden-events");
        t.target = None;
        let gate = decide(&t, &config());
        assert_eq!(
            gate.skip_reason().map(SkipReason::code),
            Some("self_initiated")
        );
    }

    #[test]
    fn a_layer_event_goes_without_a_function() {
        let mut t = trigger();
        t.event_name = EventName::AddLayerVersionPermission20181031;
        t.target = None;
        t.layer = Some(
            crate::ids::LayerVersionArn::parse(
                "arn:aws:lambda:us-east-1:111122223333:layer:shared:1",
            )
            .unwrap(),
        );
        assert_eq!(decide(&t, &config()), Gate::Go);
        t.actor = caller("lambda-warden-events-role", "lambda-warden-events");
        assert_eq!(
            decide(&t, &config()).skip_reason().map(SkipReason::code),
            Some("self_initiated")
        );
    }

    #[test]
    fn no_target_is_skipped() {
        let mut t = trigger();
        t.target = None;
        assert_eq!(decide(&t, &config()), Gate::Skip(SkipReason::NoTarget));
    }

    #[test]
    fn own_function_as_target_is_skipped() {
        for target in [
            "arn:aws:lambda:us-east-1:111122223333:function:lambda-warden-events:live",
            "arn:aws:lambda:us-east-1:111122223333:function:lambda-warden-events",
            "111122223333:function:lambda-warden-events",
            "lambda-warden-events",
            "lambda-warden-events:$LATEST",
        ] {
            let mut t = trigger();
            t.target = Some(FunctionRef::parse(target).unwrap());
            assert_eq!(
                decide(&t, &config()),
                Gate::Skip(SkipReason::OwnFunction {
                    function_name: "lambda-warden-events".into()
                }),
                "{target}"
            );
        }
    }

    #[test]
    fn a_function_of_lambda_warden_s_name_elsewhere_is_not_its_own() {
        // Attack 6: the name in another account is somebody else's function.
        let mut t = trigger();
        t.target = Some(FunctionRef::parse("444455556666:function:lambda-warden-events").unwrap());
        let gate = decide(&t, &config());
        assert_eq!(
            gate.skip_reason().map(SkipReason::code),
            Some("foreign_target")
        );
        // The same name recorded in another account's event (a member account's function)
        // or another Region's: evaluated.
        for (account, region) in [("444455556666", "us-east-1"), ("111122223333", "eu-west-1")] {
            let mut t = trigger();
            t.account = AccountId::parse(account).unwrap();
            t.region = region.into();
            t.actor.role_arn = None;
            t.target = Some(FunctionRef::parse("lambda-warden-events").unwrap());
            assert_eq!(decide(&t, &config()), Gate::Go, "{account} {region}");
        }
    }

    #[test]
    fn a_change_of_display_tags_only_is_skipped() {
        // Attack 4: another deployment's status write.
        let t = tagging(set(&[
            ("lambda-warden:status", "non-compliant"),
            ("lambda-warden:findings@live", "LW001"),
        ]));
        match decide(&t, &config()) {
            Gate::Skip(r @ SkipReason::WardenTagsOnly { .. }) => {
                assert_eq!(r.code(), "warden_tags_only");
                assert!(r.to_string().contains("lambda-warden:findings@live"), "{r}");
            }
            other => panic!("{other:?}"),
        }
        let untag = tagging(TagChange {
            set: Default::default(),
            removed: vec!["lambda-warden:fingerprint".into()],
        });
        let mut untag = untag;
        untag.event_name = EventName::UntagResource20170331v2;
        assert_eq!(
            decide(&untag, &config())
                .skip_reason()
                .map(SkipReason::code),
            Some("warden_tags_only")
        );
    }

    #[test]
    fn a_tag_change_touching_any_other_key_is_evaluated() {
        for change in [
            set(&[
                ("lambda-warden:status", "compliant"),
                ("lambda-warden:findings@live", "none"),
                ("lambda-warden:exempt", ""),
            ]),
            set(&[("lambda-warden:auto-fix", "true")]),
            set(&[("lambda-warden:status", "x"), ("owner", "team")]),
            TagChange {
                set: Default::default(),
                removed: vec![
                    "lambda-warden:fingerprint".into(),
                    "lambda-warden:exempt".into(),
                ],
            },
            TagChange::default(),
        ] {
            let t = tagging(change.clone());
            assert_eq!(decide(&t, &config()), Gate::Go, "{change:?}");
        }
        // A record that does not show the tags is evaluated.
        let mut t = tagging(TagChange::default());
        t.tag_change = None;
        assert_eq!(decide(&t, &config()), Gate::Go);
        // Tags on another event (none is) change nothing in the decision.
        let mut t = trigger();
        t.tag_change = Some(set(&[("lambda-warden:status", "x")]));
        assert_eq!(decide(&t, &config()), Gate::Go);
    }

    #[test]
    fn empty_self_identity_skips_nobody() {
        let mut t = trigger();
        t.actor = Actor::default();
        assert_eq!(decide(&t, &Config::default()), Gate::Go);
    }

    #[test]
    fn every_reason_has_a_distinct_code_and_a_one_line_message() {
        let reasons = [
            SkipReason::FailedCall {
                error_code: "AccessDenied".into(),
            },
            SkipReason::SelfInitiated {
                role_arn: None,
                session_name: Some("x".into()),
            },
            SkipReason::OwnFunction {
                function_name: "f".into(),
            },
            SkipReason::WardenTagsOnly {
                keys: vec!["lambda-warden:status".into()],
            },
            SkipReason::UnsupportedEvent {
                event_name: "X".into(),
            },
            SkipReason::NoTarget,
            SkipReason::ForeignTarget {
                function: "f".into(),
                watched: "aws/111122223333/us-east-1".into(),
            },
            SkipReason::WrongEventSource {
                event_source: "s3.amazonaws.com".into(),
            },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for r in &reasons {
            assert!(codes.insert(r.code()), "{}", r.code());
            let msg = r.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'), "{msg:?}");
        }
    }

    #[test]
    fn decisions_serialize_for_logs() {
        let json = serde_json::to_value(Gate::Skip(SkipReason::NoTarget)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"decision": "skip", "reason": "no_target"})
        );
        let json = serde_json::to_value(Gate::Go).unwrap();
        assert_eq!(json, serde_json::json!({"decision": "go"}));
    }

    #[test]
    fn exemption_reads_the_tag_value() {
        let mut tags = BTreeMap::new();
        assert_eq!(exemption(&tags), None);
        tags.insert("owner".into(), "team".into());
        tags.insert("Lambda-Warden:Exempt".into(), "wrong case".into());
        assert_eq!(exemption(&tags), None);
        tags.insert(EXEMPT_TAG.into(), String::new());
        assert_eq!(exemption(&tags), Some(String::new()));
        tags.insert(EXEMPT_TAG.into(), "legacy partner webhook".into());
        assert_eq!(exemption(&tags).as_deref(), Some("legacy partner webhook"));
    }
}

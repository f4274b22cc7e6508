//! [`Trigger`] + [`Config`] → [`Gate`]: whether an event is worth fetching the function for.
//!
//! The gate runs before any AWS call. It skips failed calls (nothing changed), events
//! lambda-warden does not handle, lambda-warden's own writes and its own functions (so a
//! remediation never triggers another: real-time remediators that skip this loop on their own
//! CloudTrail events), and events that name no function. The exemption tag is read from the
//! fetched function, after the gate: see [`exemption`].

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::config::{Config, SelfIdentity};
use crate::ids::AccountId;
use crate::trigger::{Actor, Trigger};

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
    /// The call was made by lambda-warden itself (its role or one of its functions).
    SelfInitiated {
        /// The caller's role name.
        role_name: Option<String>,
        /// The caller's role session name (a function's name for a function's own calls).
        session_name: Option<String>,
    },
    /// The event is about one of lambda-warden's own functions.
    OwnFunction {
        /// The function's name.
        function_name: String,
    },
    /// The event name is not one lambda-warden handles.
    UnsupportedEvent {
        /// The CloudTrail `eventName`.
        event_name: String,
    },
    /// The event names no function (e.g. `TagResource` on an event source mapping).
    NoTarget,
    /// The event names a function in another account or Region than the one the event was
    /// recorded in: lambda-warden only acts on functions of the account and Region it watches.
    ForeignTarget {
        /// The function as the event named it.
        function: String,
        /// The event's account and Region, e.g. `123456789012/us-east-1`.
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
    /// `unsupported_event` or `no_target`.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::FailedCall { .. } => "failed_call",
            SkipReason::SelfInitiated { .. } => "self_initiated",
            SkipReason::OwnFunction { .. } => "own_function",
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
                role_name,
                session_name,
            } => write!(
                f,
                "the call was made by lambda-warden itself (role {}, session {})",
                role_name.as_deref().unwrap_or("unknown"),
                session_name.as_deref().unwrap_or("unknown"),
            ),
            SkipReason::OwnFunction { function_name } => {
                write!(f, "{function_name} is one of lambda-warden's own functions")
            }
            SkipReason::UnsupportedEvent { event_name } => {
                write!(f, "event {event_name:?} is not one lambda-warden handles")
            }
            SkipReason::NoTarget => f.write_str("the event names no function"),
            SkipReason::ForeignTarget { function, watched } => write!(
                f,
                "{function} is not in the account and Region the event was recorded in ({watched})"
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
/// layer version ([`Gate::Go`]), no target, a target in another account or Region than the
/// event's, own function (the target's name is in
/// `config.self_identity.function_names`); otherwise [`Gate::Go`].
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
    let foreign_account = target
        .account
        .as_ref()
        .is_some_and(|a| *a != trigger.account);
    let foreign_region = target.region.as_ref().is_some_and(|r| *r != trigger.region);
    if foreign_account || foreign_region {
        return Gate::Skip(SkipReason::ForeignTarget {
            function: trigger
                .function_arn()
                .map_or_else(|| target.name.to_string(), |a| a.to_string()),
            watched: format!("{}/{}", trigger.account, trigger.region),
        });
    }
    if me.function_names.contains(target.name.as_str()) {
        return Gate::Skip(SkipReason::OwnFunction {
            function_name: target.name.as_str().to_owned(),
        });
    }
    Gate::Go
}

/// [`SkipReason::SelfInitiated`] when `actor` is lambda-warden itself: a role whose name is
/// in `me.role_names`, in `account` (the account the event was recorded in, where
/// lambda-warden runs); `None` otherwise. Every gate applies this same rule.
///
/// The session name is not enough: anyone who may assume some role can choose any session
/// name (`sts:AssumeRole` `RoleSessionName`), and a role of the same name in another account
/// is somebody else's. So both the role name and its account must be lambda-warden's
/// (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>,
/// <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html>).
pub fn self_initiated(actor: &Actor, me: &SelfIdentity, account: &AccountId) -> Option<SkipReason> {
    let role_account = actor.account.as_deref().or_else(|| {
        // `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`
        actor.arn.as_deref().and_then(|arn| arn.split(':').nth(4))
    });
    let own_account = role_account == Some(account.as_str());
    let by_role = own_account
        && actor
            .role_name
            .as_ref()
            .is_some_and(|r| me.role_names.contains(r));
    by_role.then(|| SkipReason::SelfInitiated {
        role_name: actor.role_name.clone(),
        session_name: actor.session_name.clone(),
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
    use crate::ids::{AccountId, FunctionRef};
    use crate::trigger::{Actor, EnvelopeShape};

    fn trigger() -> Trigger {
        Trigger {
            event_id: "b67a9bba-d9da-4980-bf74-baed881b117d".into(),
            event_name: EventName::AddPermission20150331v2,
            event_source: "lambda.amazonaws.com".into(),
            event_time: None,
            account: AccountId::parse("111122223333").unwrap(),
            region: "us-east-1".into(),
            partition: "aws".into(),
            actor: Actor {
                identity_type: Some("AssumedRole".into()),
                arn: Some("arn:aws:sts::111122223333:assumed-role/dev-role/jane".into()),
                account: Some("111122223333".into()),
                role_name: Some("dev-role".into()),
                session_name: Some("jane".into()),
            },
            error_code: None,
            target: Some(FunctionRef::parse("orders-api").unwrap()),
            layer: None,
            shape: EnvelopeShape::EventBridge,
        }
    }

    fn config() -> Config {
        Config {
            self_identity: SelfIdentity {
                role_names: ["lambda-warden-events-role".to_owned()].into(),
                function_names: ["lambda-warden-events".to_owned()].into(),
            },
            ..Config::default()
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
    fn own_role_is_skipped() {
        let mut t = trigger();
        t.actor.role_name = Some("lambda-warden-events-role".into());
        t.actor.session_name = Some("some-session".into());
        assert_eq!(
            decide(&t, &config()),
            Gate::Skip(SkipReason::SelfInitiated {
                role_name: Some("lambda-warden-events-role".into()),
                session_name: Some("some-session".into()),
            })
        );
    }

    #[test]
    fn a_session_named_like_lambda_warden_is_not_enough() {
        // Anyone may pick any RoleSessionName: a developer's role with lambda-warden's
        // function name as session name is a human change, and is evaluated.
        let mut t = trigger();
        t.actor.role_name = Some("developer-role".into());
        t.actor.session_name = Some("lambda-warden-events".into());
        t.actor.arn = Some(
            "arn:aws:sts::111122223333:assumed-role/developer-role/lambda-warden-events".into(),
        );
        assert_eq!(decide(&t, &config()), Gate::Go);
    }

    #[test]
    fn a_role_of_the_same_name_in_another_account_is_not_lambda_warden() {
        let mut t = trigger();
        t.actor.account = Some("444455556666".into());
        t.actor.arn =
            Some("arn:aws:sts::444455556666:assumed-role/lambda-warden-events-role/x".into());
        assert_eq!(decide(&t, &config()), Gate::Go);
    }

    #[test]
    fn targets_outside_the_watched_account_and_region_are_skipped() {
        for target in [
            "arn:aws:lambda:us-east-1:444455556666:function:orders-api",
            "arn:aws:lambda:eu-west-1:111122223333:function:orders-api",
            "444455556666:function:orders-api",
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
        t.actor.role_name = Some("lambda-warden-events-role".into());
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
        t.actor.role_name = Some("lambda-warden-events-role".into());
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
        let mut t = trigger();
        t.target = Some(
            FunctionRef::parse(
                "arn:aws:lambda:us-east-1:111122223333:function:lambda-warden-events:live",
            )
            .unwrap(),
        );
        assert_eq!(
            decide(&t, &config()),
            Gate::Skip(SkipReason::OwnFunction {
                function_name: "lambda-warden-events".into()
            })
        );
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
                role_name: None,
                session_name: Some("x".into()),
            },
            SkipReason::OwnFunction {
                function_name: "f".into(),
            },
            SkipReason::UnsupportedEvent {
                event_name: "X".into(),
            },
            SkipReason::NoTarget,
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

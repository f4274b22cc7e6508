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

use crate::config::Config;
use crate::trigger::Trigger;

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
        }
    }
}

/// Decides whether to go on with `trigger`. Checks, in order: failed call, unsupported event,
/// self-initiated call (the actor's role name is in `config.self_identity.role_names`, or its
/// session name in `config.self_identity.function_names`), a layer event with its layer
/// version ([`Gate::Go`]), no target, own function (the target's name is in
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
    let actor = &trigger.actor;
    let by_role = actor
        .role_name
        .as_ref()
        .is_some_and(|r| me.role_names.contains(r));
    let by_function = actor
        .session_name
        .as_ref()
        .is_some_and(|s| me.function_names.contains(s));
    if by_role || by_function {
        return Gate::Skip(SkipReason::SelfInitiated {
            role_name: actor.role_name.clone(),
            session_name: actor.session_name.clone(),
        });
    }
    if trigger.layer.is_some() {
        // A layer event: the layer version is evaluated, not a function.
        return Gate::Go;
    }
    let Some(target) = &trigger.target else {
        return Gate::Skip(SkipReason::NoTarget);
    };
    if me.function_names.contains(target.name.as_str()) {
        return Gate::Skip(SkipReason::OwnFunction {
            function_name: target.name.as_str().to_owned(),
        });
    }
    Gate::Go
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
    fn own_function_session_is_skipped_even_under_another_role() {
        let mut t = trigger();
        t.actor.role_name = Some("renamed-role".into());
        t.actor.session_name = Some("lambda-warden-events".into());
        assert!(matches!(
            decide(&t, &config()),
            Gate::Skip(SkipReason::SelfInitiated { .. })
        ));
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

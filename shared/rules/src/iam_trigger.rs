//! EventBridge envelope JSON of an `aws.iam` CloudTrail event → [`IamTrigger`]: which IAM change
//! arrived, who made it, and which role or managed policy it is about; and [`decide`], its gate.
//!
//! The envelope is handled exactly as for Lambda events ([`crate::trigger`]: EventBridge
//! envelope, `detail` delivered as a JSON string, or the bare record). An IAM event never names
//! a function: the handler looks up the functions whose execution role changed (or the roles a
//! changed managed policy is attached to) afterwards, in the Regions it is configured for.
//!
//! IAM is a global service: its CloudTrail events are recorded with `awsRegion` `us-east-1` and
//! delivered to EventBridge only in us-east-1, whatever Region the affected functions run in
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html>,
//! <https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region>). The
//! event's region is therefore never taken as the functions' Region.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::config::Config;
use crate::event_name::{IamChangeKind, IamEventName};
use crate::gate::{self, Gate, SkipReason};
use crate::ids::AccountId;
use crate::trigger::{
    arn_partition, excerpt, header, is_partition, partition_of_region, Actor, Delivered,
    EnvelopeShape, EventError, Header, Node,
};

/// An IAM identifier that did not have the shape IAM gives it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IamIdError {
    /// A role name is 1 to 64 characters of letters, digits and `+=,.@_-`.
    #[error("role name {0:?} is not 1-64 characters of letters, digits or '+=,.@_-'")]
    RoleName(String),
    /// A managed policy ARN is `arn:PARTITION:iam::ACCOUNT-OR-aws:policy/[PATH/]NAME`.
    #[error("{0:?} is not a managed policy ARN (arn:PARTITION:iam::ACCOUNT:policy/NAME)")]
    PolicyArn(String),
}

/// The name of an IAM role: 1 to 64 characters of ASCII letters, digits and `+=,.@_-`
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html#API_CreateRole_RequestParameters>).
/// Role names are unique in an account regardless of case
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names>);
/// [`RoleName::matches`] compares that way.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoleName(String);

impl RoleName {
    /// Parses a role name.
    ///
    /// # Errors
    /// [`IamIdError::RoleName`] when the value is empty, longer than 64 characters, or has other
    /// characters.
    pub fn parse(s: &str) -> Result<Self, IamIdError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IamIdError::RoleName(s.to_owned()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `true` when `name` is this role's name, compared without regard to ASCII case.
    pub fn matches(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name)
    }
}

impl TryFrom<String> for RoleName {
    type Error = IamIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RoleName> for String {
    fn from(n: RoleName) -> Self {
        n.0
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ARN of a managed policy: `arn:PARTITION:iam::ACCOUNT:policy/[PATH/]NAME` for a customer
/// managed policy, `arn:PARTITION:iam::aws:policy/[PATH/]NAME` for an AWS managed one
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html>).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PolicyArn(String);

impl PolicyArn {
    /// Parses a managed policy ARN.
    ///
    /// # Errors
    /// [`IamIdError::PolicyArn`] when the value is not `arn:PARTITION:iam::OWNER:policy/NAME`
    /// with a plausible partition, an empty Region, `OWNER` `aws` or a 12-digit account id, and a
    /// non-empty name.
    pub fn parse(s: &str) -> Result<Self, IamIdError> {
        let bad = || IamIdError::PolicyArn(s.to_owned());
        let mut parts = s.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(owner), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad());
        };
        let owner_ok = owner == "aws" || AccountId::parse(owner).is_ok();
        let name_ok = resource
            .strip_prefix("policy/")
            .and_then(|path| path.rsplit('/').next())
            .is_some_and(|name| !name.is_empty());
        if is_partition(partition) && owner_ok && name_ok && !resource.contains(char::is_whitespace)
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(bad())
        }
    }

    /// The ARN.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The partition field, e.g. `aws`.
    pub fn partition(&self) -> &str {
        self.0.split(':').nth(1).unwrap_or("aws")
    }

    /// `true` for an AWS managed policy (owner `aws`).
    pub fn is_aws_managed(&self) -> bool {
        self.0.split(':').nth(4) == Some("aws")
    }
}

impl TryFrom<String> for PolicyArn {
    type Error = IamIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PolicyArn> for String {
    fn from(a: PolicyArn) -> Self {
        a.0
    }
}

impl fmt::Display for PolicyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an IAM event changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IamChange {
    /// A role's attached or inline policies, or its trust policy
    /// (`requestParameters.roleName`): the functions whose execution role it is are affected.
    Role {
        /// The role.
        role_name: RoleName,
    },
    /// A managed policy's version in force (`requestParameters.policyArn`): the functions of
    /// every role it is attached to are affected.
    ManagedPolicy {
        /// The policy.
        policy_arn: PolicyArn,
    },
}

/// One `aws.iam` CloudTrail event, reduced to what lambda-warden decides on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IamTrigger {
    /// `detail.eventID`, else the envelope `id`.
    pub event_id: String,
    /// `detail.eventName`.
    pub event_name: IamEventName,
    /// `detail.eventSource`, e.g. `iam.amazonaws.com`.
    pub event_source: String,
    /// `detail.eventTime` (else the envelope `time`), as given.
    pub event_time: Option<String>,
    /// The account the event was recorded in: `detail.recipientAccountId`, else the envelope
    /// `account`, else `detail.userIdentity.accountId`.
    pub account: AccountId,
    /// `detail.awsRegion`, else the envelope `region`: `us-east-1` for IAM, whatever Region the
    /// affected functions are in.
    pub region: String,
    /// `aws`, `aws-cn` or `aws-us-gov`: from the policy ARN when there is one, else the
    /// caller's ARN, else the region.
    pub partition: String,
    /// Who made the call.
    pub actor: Actor,
    /// `detail.errorCode`: set when the call failed (nothing changed).
    pub error_code: Option<String>,
    /// What changed. `None` only for a failed call or an unsupported event (which the gate
    /// skips): a successful supported event without it is an error.
    pub change: Option<IamChange>,
    /// How the record was delivered.
    pub shape: EnvelopeShape,
}

/// Parses an IAM event as delivered to the function (the same three shapes as
/// [`crate::trigger::parse`]).
///
/// The change is read from `requestParameters.roleName` (`AttachRolePolicy`,
/// `DetachRolePolicy`, `PutRolePolicy`, `DeleteRolePolicy`, `UpdateAssumeRolePolicy`) or
/// `requestParameters.policyArn` (`CreatePolicyVersion`, `SetDefaultPolicyVersion`)
/// (request parameters of each action in the IAM API reference, e.g.
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html>,
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicyVersion.html>).
/// An unsupported event name, or a failed call (`errorCode` set, parameters often `null`), is
/// not an error: `change` is then `None` (best effort) and the gate skips it.
///
/// # Errors
/// [`EventError`] naming the path of the first field that is missing, of the wrong type, or
/// malformed: the envelope and record fields as for [`crate::trigger::parse`], and for a
/// successful supported event [`EventError::MissingField`] or [`EventError::InvalidValue`] at
/// `detail.requestParameters.roleName` / `detail.requestParameters.policyArn`.
pub fn parse(event: &Value) -> Result<IamTrigger, EventError> {
    let delivered = Delivered::open(event)?;
    let rec = delivered.record();
    let env = delivered.envelope();
    let Header {
        event_name,
        event_source,
        event_id,
        event_time,
        error_code,
        region,
        account,
        actor,
    } = header(&rec, env.as_ref())?;
    let event_name = IamEventName::parse(&event_name);

    let change = match event_name.change_kind() {
        None => None,
        Some(kind) => match locate_change(&rec, kind) {
            Ok(change) => Some(change),
            Err(_) if error_code.is_some() => None,
            Err(e) => return Err(e),
        },
    };

    let partition = match &change {
        Some(IamChange::ManagedPolicy { policy_arn }) => Some(policy_arn.partition().to_owned()),
        Some(IamChange::Role { .. }) | None => None,
    }
    .or_else(|| actor.arn.as_deref().and_then(arn_partition))
    .unwrap_or_else(|| partition_of_region(&region).to_owned());

    Ok(IamTrigger {
        event_id,
        event_name,
        event_source,
        event_time,
        account,
        region,
        partition,
        actor,
        error_code,
        change,
        shape: delivered.shape,
    })
}

/// Reads the role name or policy ARN an event of `kind` changed.
fn locate_change(rec: &Node<'_>, kind: IamChangeKind) -> Result<IamChange, EventError> {
    let field = match kind {
        IamChangeKind::Role => "roleName",
        IamChangeKind::ManagedPolicy => "policyArn",
    };
    let segments = ["requestParameters", field];
    let value = rec
        .opt_str(&segments)?
        .ok_or_else(|| EventError::MissingField {
            path: rec.path(&segments),
        })?;
    let invalid = |expected| EventError::InvalidValue {
        path: rec.path(&segments),
        value: excerpt(value),
        expected,
    };
    match kind {
        IamChangeKind::Role => RoleName::parse(value)
            .map(|role_name| IamChange::Role { role_name })
            .map_err(|_| {
                invalid("an IAM role name (1-64 characters of letters, digits or +=,.@_-)")
            }),
        IamChangeKind::ManagedPolicy => PolicyArn::parse(value)
            .map(|policy_arn| IamChange::ManagedPolicy { policy_arn })
            .map_err(|_| invalid("a managed policy ARN such as arn:aws:iam::aws:policy/NAME")),
    }
}

/// The `eventSource` of IAM's CloudTrail events.
pub const IAM_EVENT_SOURCE: &str = "iam.amazonaws.com";

/// Decides whether to go on with `trigger`. Checks, in order: failed call
/// ([`SkipReason::FailedCall`]), unsupported event ([`SkipReason::UnsupportedEvent`]),
/// lambda-warden's own call ([`gate::self_initiated`], the same rule as for Lambda events), no
/// change read ([`SkipReason::NoTarget`]); otherwise [`Gate::Go`].
///
/// lambda-warden's own functions among the affected ones are left out by the handler, which is
/// the first to know them.
pub fn decide(trigger: &IamTrigger, config: &Config) -> Gate {
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
    if trigger.event_source != IAM_EVENT_SOURCE {
        return Gate::Skip(SkipReason::WrongEventSource {
            event_source: trigger.event_source.clone(),
        });
    }
    if let Some(reason) =
        gate::self_initiated(&trigger.actor, &config.self_identity, &trigger.account)
    {
        return Gate::Skip(reason);
    }
    if trigger.change.is_none() {
        return Gate::Skip(SkipReason::NoTarget);
    }
    Gate::Go
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn role_names() {
        for ok in ["orders-api-role", "a", "Role+=,.@_-9", &"r".repeat(64)] {
            assert_eq!(RoleName::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "role/with/path", "role name", "rôle", &"r".repeat(65)] {
            assert_eq!(
                RoleName::parse(bad),
                Err(IamIdError::RoleName(bad.to_owned()))
            );
        }
        let r = RoleName::parse("Orders-API-Role").unwrap();
        assert!(r.matches("orders-api-role"));
        assert!(!r.matches("orders-api-role2"));
    }

    #[test]
    fn policy_arns() {
        for (ok, partition, aws_managed) in [
            ("arn:aws:iam::aws:policy/AdministratorAccess", "aws", true),
            (
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                "aws",
                true,
            ),
            (
                "arn:aws-cn:iam::123456789012:policy/team/orders-access",
                "aws-cn",
                false,
            ),
        ] {
            let arn = PolicyArn::parse(ok).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(arn.as_str(), ok);
            assert_eq!(arn.partition(), partition);
            assert_eq!(arn.is_aws_managed(), aws_managed);
        }
        for bad in [
            "",
            "AdministratorAccess",
            "arn:aws:iam::aws:role/x",
            "arn:aws:iam:us-east-1:aws:policy/x",
            "arn:aws:iam::12345:policy/x",
            "arn:aws:iam::aws:policy/",
            "arn:aws:iam::aws:policy/path/",
            "arn:aws:s3:::bucket",
            "arn:gcp:iam::aws:policy/x",
            "arn:aws:iam::aws:policy/a b",
        ] {
            assert_eq!(
                PolicyArn::parse(bad),
                Err(IamIdError::PolicyArn(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    fn record(name: &str, params: Value) -> Value {
        json!({
            "eventName": name,
            "eventSource": "iam.amazonaws.com",
            "eventID": "00000000-0000-4000-8000-000000000001",
            "awsRegion": "us-east-1",
            "recipientAccountId": "123456789012",
            "requestParameters": params,
        })
    }

    #[test]
    fn the_change_is_read_from_the_request_parameters() {
        let t = parse(&record(
            "PutRolePolicy",
            json!({"roleName": "demo-function-role", "policyName": "inline"}),
        ))
        .unwrap();
        assert_eq!(
            t.change,
            Some(IamChange::Role {
                role_name: RoleName::parse("demo-function-role").unwrap()
            })
        );
        assert_eq!(t.shape, EnvelopeShape::CloudTrailRecord);
        assert_eq!(t.partition, "aws");

        let t = parse(&record(
            "SetDefaultPolicyVersion",
            json!({"policyArn": "arn:aws-us-gov:iam::123456789012:policy/p", "versionId": "v2"}),
        ))
        .unwrap();
        assert_eq!(t.partition, "aws-us-gov");
        assert!(matches!(t.change, Some(IamChange::ManagedPolicy { .. })));
    }

    #[test]
    fn a_successful_event_without_its_parameter_is_an_error_naming_the_path() {
        let e = parse(&record(
            "AttachRolePolicy",
            json!({"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        ))
        .unwrap_err();
        assert_eq!(e.code(), "missing_field");
        assert_eq!(e.path(), Some("requestParameters.roleName"));

        let e = parse(&record("CreatePolicyVersion", Value::Null)).unwrap_err();
        assert_eq!(e.path(), Some("requestParameters.policyArn"));

        let e = parse(&record("UpdateAssumeRolePolicy", json!({"roleName": 7}))).unwrap_err();
        assert_eq!(
            (e.code(), e.path()),
            ("wrong_type", Some("requestParameters.roleName"))
        );

        let e = parse(&record(
            "DeleteRolePolicy",
            json!({"roleName": "no spaces allowed"}),
        ))
        .unwrap_err();
        assert_eq!(
            (e.code(), e.path()),
            ("invalid_value", Some("requestParameters.roleName"))
        );
        assert!(e.to_string().contains("IAM role name"), "{e}");

        let e = parse(&record(
            "CreatePolicyVersion",
            json!({"policyArn": "ReadOnlyAccess"}),
        ))
        .unwrap_err();
        assert_eq!(
            (e.code(), e.path()),
            ("invalid_value", Some("requestParameters.policyArn"))
        );
    }

    #[test]
    fn failed_and_unsupported_events_parse_without_a_change() {
        let mut failed = record("AttachRolePolicy", Value::Null);
        failed["errorCode"] = json!("AccessDenied");
        let t = parse(&failed).unwrap();
        assert_eq!(
            (t.change, t.error_code.as_deref()),
            (None, Some("AccessDenied"))
        );

        let mut failed_bad = record("AttachRolePolicy", json!({"roleName": "bad name"}));
        failed_bad["errorCode"] = json!("ValidationError");
        assert_eq!(parse(&failed_bad).unwrap().change, None);

        let t = parse(&record("CreateUser", json!({"userName": "x"}))).unwrap();
        assert_eq!(t.event_name, IamEventName::Other("CreateUser".into()));
        assert_eq!(t.change, None);
    }
}

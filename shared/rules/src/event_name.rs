//! CloudTrail event names of the Lambda API calls lambda-warden acts on, spelled exactly as
//! CloudTrail records them.
//!
//! Lambda's CloudTrail `eventName` carries the API version the call was routed to: a date
//! (`20150331`, `20170331`, `20171031`) and sometimes `v2`, e.g. `AddPermission20150331v2` for the
//! public `AddPermission` action. Function URL operations carry no suffix. CloudTrail documents
//! more than one spelling for some actions (`AddPermission20150331v2` and
//! `AddPermission20150331`), so each spelling is its own variant and maps to one [`LambdaApi`]. A rule that matches the bare API
//! name (`CreateFunction`) never fires: the bare name is not an event name.
//!
//! Sources:
//! - Lambda Developer Guide, "Logging AWS Lambda API calls using AWS CloudTrail", management
//!   events list (event name per action):
//!   <https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html>
//! - AWS CloudTrail User Guide, "Services supported by CloudTrail event history", AWS Lambda
//!   APIs (lists both the `v2` and the older spellings):
//!   <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-supported-services.html>

use std::fmt;

use serde::{Deserialize, Serialize};

/// The public Lambda API operation behind an event name, without CloudTrail's version suffix
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LambdaApi {
    /// `CreateFunction`.
    CreateFunction,
    /// `UpdateFunctionConfiguration`.
    UpdateFunctionConfiguration,
    /// `UpdateFunctionCode`.
    UpdateFunctionCode,
    /// `AddPermission`: adds a statement to a function's resource-based policy.
    AddPermission,
    /// `RemovePermission`: removes a statement (by `Sid`) from a resource-based policy.
    RemovePermission,
    /// `CreateFunctionUrlConfig`.
    CreateFunctionUrlConfig,
    /// `UpdateFunctionUrlConfig`.
    UpdateFunctionUrlConfig,
    /// `TagResource`.
    TagResource,
    /// `UntagResource`.
    UntagResource,
    /// `PutFunctionConcurrency`.
    PutFunctionConcurrency,
    /// `DeleteFunctionConcurrency`.
    DeleteFunctionConcurrency,
    /// `PublishVersion`.
    PublishVersion,
    /// `CreateAlias`.
    CreateAlias,
    /// `UpdateAlias`.
    UpdateAlias,
    /// `PutFunctionEventInvokeConfig`: destinations and retries of asynchronous invocations.
    PutFunctionEventInvokeConfig,
    /// `PutFunctionCodeSigningConfig`.
    PutFunctionCodeSigningConfig,
    /// `UpdateFunctionEventInvokeConfig`: changes destinations and retries in place.
    UpdateFunctionEventInvokeConfig,
    /// `DeleteFunctionEventInvokeConfig`: drops the on-failure destination with the rest.
    DeleteFunctionEventInvokeConfig,
    /// `DeleteFunctionCodeSigningConfig`: turns code signing off.
    DeleteFunctionCodeSigningConfig,
    /// `DeleteFunctionUrlConfig`: the URL is gone, so its findings close.
    DeleteFunctionUrlConfig,
    /// `AddLayerVersionPermission`: adds a statement to a layer version's resource-based
    /// policy. The event names a layer version, not a function.
    AddLayerVersionPermission,
}

impl LambdaApi {
    /// Every operation, in declaration order.
    pub const ALL: &'static [LambdaApi] = &[
        LambdaApi::CreateFunction,
        LambdaApi::UpdateFunctionConfiguration,
        LambdaApi::UpdateFunctionCode,
        LambdaApi::AddPermission,
        LambdaApi::RemovePermission,
        LambdaApi::CreateFunctionUrlConfig,
        LambdaApi::UpdateFunctionUrlConfig,
        LambdaApi::TagResource,
        LambdaApi::UntagResource,
        LambdaApi::PutFunctionConcurrency,
        LambdaApi::DeleteFunctionConcurrency,
        LambdaApi::PublishVersion,
        LambdaApi::CreateAlias,
        LambdaApi::UpdateAlias,
        LambdaApi::PutFunctionEventInvokeConfig,
        LambdaApi::PutFunctionCodeSigningConfig,
        LambdaApi::UpdateFunctionEventInvokeConfig,
        LambdaApi::DeleteFunctionEventInvokeConfig,
        LambdaApi::DeleteFunctionCodeSigningConfig,
        LambdaApi::DeleteFunctionUrlConfig,
        LambdaApi::AddLayerVersionPermission,
    ];

    /// The operation name as the Lambda API reference spells it, e.g. `AddPermission`.
    pub fn as_str(&self) -> &'static str {
        match self {
            LambdaApi::CreateFunction => "CreateFunction",
            LambdaApi::UpdateFunctionConfiguration => "UpdateFunctionConfiguration",
            LambdaApi::UpdateFunctionCode => "UpdateFunctionCode",
            LambdaApi::AddPermission => "AddPermission",
            LambdaApi::RemovePermission => "RemovePermission",
            LambdaApi::CreateFunctionUrlConfig => "CreateFunctionUrlConfig",
            LambdaApi::UpdateFunctionUrlConfig => "UpdateFunctionUrlConfig",
            LambdaApi::TagResource => "TagResource",
            LambdaApi::UntagResource => "UntagResource",
            LambdaApi::PutFunctionConcurrency => "PutFunctionConcurrency",
            LambdaApi::DeleteFunctionConcurrency => "DeleteFunctionConcurrency",
            LambdaApi::PublishVersion => "PublishVersion",
            LambdaApi::CreateAlias => "CreateAlias",
            LambdaApi::UpdateAlias => "UpdateAlias",
            LambdaApi::PutFunctionEventInvokeConfig => "PutFunctionEventInvokeConfig",
            LambdaApi::PutFunctionCodeSigningConfig => "PutFunctionCodeSigningConfig",
            LambdaApi::UpdateFunctionEventInvokeConfig => "UpdateFunctionEventInvokeConfig",
            LambdaApi::DeleteFunctionEventInvokeConfig => "DeleteFunctionEventInvokeConfig",
            LambdaApi::DeleteFunctionCodeSigningConfig => "DeleteFunctionCodeSigningConfig",
            LambdaApi::DeleteFunctionUrlConfig => "DeleteFunctionUrlConfig",
            LambdaApi::AddLayerVersionPermission => "AddLayerVersionPermission",
        }
    }
}

impl fmt::Display for LambdaApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares [`EventName`] from one table: each row is the variant (whose identifier *is* the
/// CloudTrail spelling) and its [`LambdaApi`]. `ALL`, `as_str` and `api` are generated from
/// the same rows, so the list lives in one place.
macro_rules! event_names {
    ($( $(#[$doc:meta])* $variant:ident => $api:ident, )+) => {
        /// A CloudTrail `eventName`: one variant per Lambda event lambda-warden handles, spelled
        /// exactly as CloudTrail records it (suffix included), and [`EventName::Other`] for any
        /// other name (IAM events, layer events, read-only calls, bare API names...).
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum EventName {
            $( $(#[$doc])* $variant, )+
            /// Any other event name, kept verbatim. Not supported: the gate skips it.
            Other(String),
        }

        impl EventName {
            /// Every known (supported) event name, in table order.
            pub const ALL: &'static [EventName] = &[ $( EventName::$variant, )+ ];

            /// The name exactly as CloudTrail spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( EventName::$variant => stringify!($variant), )+
                    EventName::Other(name) => name,
                }
            }

            /// The public API operation behind the event; `None` for [`EventName::Other`].
            pub fn api(&self) -> Option<LambdaApi> {
                match self {
                    $( EventName::$variant => Some(LambdaApi::$api), )+
                    EventName::Other(_) => None,
                }
            }
        }
    };
}

event_names! {
    /// `CreateFunction` (Lambda Developer Guide, CloudTrail management events list).
    CreateFunction20150331 => CreateFunction,
    /// `UpdateFunctionConfiguration` (Lambda Developer Guide, CloudTrail management events list).
    UpdateFunctionConfiguration20150331v2 => UpdateFunctionConfiguration,
    /// `UpdateFunctionConfiguration`, older route (CloudTrail User Guide, event history list).
    UpdateFunctionConfiguration20150331 => UpdateFunctionConfiguration,
    /// `UpdateFunctionCode` (Lambda Developer Guide, CloudTrail management events list).
    UpdateFunctionCode20150331v2 => UpdateFunctionCode,
    /// `UpdateFunctionCode`, older route (CloudTrail User Guide, event history list).
    UpdateFunctionCode20150331 => UpdateFunctionCode,
    /// `AddPermission` (Lambda Developer Guide, CloudTrail management events list).
    AddPermission20150331v2 => AddPermission,
    /// `AddPermission`, older route (CloudTrail User Guide, event history list).
    AddPermission20150331 => AddPermission,
    /// `RemovePermission` (Lambda Developer Guide, CloudTrail management events list).
    RemovePermission20150331v2 => RemovePermission,
    /// `RemovePermission`, older route (CloudTrail User Guide, event history list).
    RemovePermission20150331 => RemovePermission,
    /// `CreateFunctionUrlConfig`: no suffix (Lambda Developer Guide, management events list).
    CreateFunctionUrlConfig => CreateFunctionUrlConfig,
    /// `UpdateFunctionUrlConfig`: no suffix (Lambda Developer Guide, management events list).
    UpdateFunctionUrlConfig => UpdateFunctionUrlConfig,
    /// `TagResource` (Lambda Developer Guide, CloudTrail management events list).
    TagResource20170331v2 => TagResource,
    /// `TagResource`, older route (CloudTrail User Guide, event history list).
    TagResource20170331 => TagResource,
    /// `UntagResource` (Lambda Developer Guide, CloudTrail management events list).
    UntagResource20170331v2 => UntagResource,
    /// `UntagResource`, older route (CloudTrail User Guide, event history list).
    UntagResource20170331 => UntagResource,
    /// `PutFunctionConcurrency` (Lambda Developer Guide, CloudTrail management events list).
    PutFunctionConcurrency20171031 => PutFunctionConcurrency,
    /// `DeleteFunctionConcurrency` (Lambda Developer Guide, CloudTrail management events list).
    DeleteFunctionConcurrency20171031 => DeleteFunctionConcurrency,
    /// `PublishVersion` (Lambda Developer Guide, CloudTrail management events list).
    PublishVersion20150331 => PublishVersion,
    /// `CreateAlias` (Lambda Developer Guide, CloudTrail management events list).
    CreateAlias20150331 => CreateAlias,
    /// `UpdateAlias` (Lambda Developer Guide, CloudTrail management events list).
    UpdateAlias20150331 => UpdateAlias,
    /// `PutFunctionEventInvokeConfig`: no suffix (CloudTrail User Guide, event history list).
    PutFunctionEventInvokeConfig => PutFunctionEventInvokeConfig,
    /// `PutFunctionCodeSigningConfig`: no suffix (CloudTrail User Guide, event history list).
    PutFunctionCodeSigningConfig => PutFunctionCodeSigningConfig,
    /// `UpdateFunctionEventInvokeConfig`: no suffix, like its `Put` sibling (CloudTrail User
    /// Guide, event history list).
    UpdateFunctionEventInvokeConfig => UpdateFunctionEventInvokeConfig,
    /// `DeleteFunctionEventInvokeConfig`: no suffix, like its `Put` sibling (CloudTrail User
    /// Guide, event history list).
    DeleteFunctionEventInvokeConfig => DeleteFunctionEventInvokeConfig,
    /// `DeleteFunctionCodeSigningConfig`: no suffix, like its `Put` sibling (CloudTrail User
    /// Guide, event history list).
    DeleteFunctionCodeSigningConfig => DeleteFunctionCodeSigningConfig,
    /// `DeleteFunctionUrlConfig`: no suffix (Lambda Developer Guide, management events list).
    DeleteFunctionUrlConfig => DeleteFunctionUrlConfig,
    /// `AddLayerVersionPermission`, as recorded in real trails (layer API version
    /// 2018-10-31).
    AddLayerVersionPermission20181031 => AddLayerVersionPermission,
    /// `AddLayerVersionPermission` without suffix, as the CloudTrail event history list
    /// spells it; both are accepted.
    AddLayerVersionPermission => AddLayerVersionPermission,
}

impl LambdaApi {
    /// Whether the operation is about a layer version rather than a function.
    pub fn is_layer_operation(self) -> bool {
        matches!(self, LambdaApi::AddLayerVersionPermission)
    }
}

impl EventName {
    /// Reads a CloudTrail `eventName`. Matching is exact and case-sensitive: CloudTrail spells
    /// each name one way. Anything not in [`EventName::ALL`] becomes [`EventName::Other`].
    pub fn parse(name: &str) -> EventName {
        EventName::ALL
            .iter()
            .find(|known| known.as_str() == name)
            .cloned()
            .unwrap_or_else(|| EventName::Other(name.to_owned()))
    }

    /// `true` for every known variant; `false` for [`EventName::Other`].
    pub fn is_supported(&self) -> bool {
        self.api().is_some()
    }
}

impl From<String> for EventName {
    fn from(name: String) -> Self {
        EventName::parse(&name)
    }
}

impl From<EventName> for String {
    fn from(name: EventName) -> Self {
        match name {
            EventName::Other(s) => s,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an IAM event changed, and so where the affected functions are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IamChangeKind {
    /// A role's policies or trust policy (`requestParameters.roleName`): the functions whose
    /// execution role it is.
    Role,
    /// A managed policy's default version (`requestParameters.policyArn`): the functions of
    /// every role the policy is attached to.
    ManagedPolicy,
}

/// A CloudTrail `eventName` of the IAM API calls that change what a Lambda function's execution
/// role may do or who may assume it. IAM's event names carry no suffix: each is the API action
/// name. [`IamEventName::Other`] keeps any other name verbatim.
///
/// Sources: IAM User Guide, "Logging IAM and AWS STS API calls with AWS CloudTrail" (IAM
/// management events are named after the action):
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html>, and the
/// IAM API reference of each action
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html>).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum IamEventName {
    /// `AttachRolePolicy`: a managed policy attached to a role (`roleName`, `policyArn`).
    AttachRolePolicy,
    /// `DetachRolePolicy`: a managed policy detached from a role (`roleName`, `policyArn`).
    DetachRolePolicy,
    /// `PutRolePolicy`: an inline policy added or replaced (`roleName`, `policyName`).
    PutRolePolicy,
    /// `DeleteRolePolicy`: an inline policy deleted (`roleName`, `policyName`).
    DeleteRolePolicy,
    /// `CreatePolicyVersion`: a new version of a customer managed policy (`policyArn`), the
    /// default one when `setAsDefault` is true.
    CreatePolicyVersion,
    /// `SetDefaultPolicyVersion`: another version of a managed policy made the one in force
    /// (`policyArn`, `versionId`).
    SetDefaultPolicyVersion,
    /// `UpdateAssumeRolePolicy`: a role's trust policy replaced (`roleName`).
    UpdateAssumeRolePolicy,
    /// Any other event name, kept verbatim. Not supported: the gate skips it.
    Other(String),
}

impl IamEventName {
    /// Every supported event name.
    pub const ALL: &'static [IamEventName] = &[
        IamEventName::AttachRolePolicy,
        IamEventName::DetachRolePolicy,
        IamEventName::PutRolePolicy,
        IamEventName::DeleteRolePolicy,
        IamEventName::CreatePolicyVersion,
        IamEventName::SetDefaultPolicyVersion,
        IamEventName::UpdateAssumeRolePolicy,
    ];

    /// Reads a CloudTrail `eventName`, exactly and case-sensitively; anything not in
    /// [`IamEventName::ALL`] becomes [`IamEventName::Other`].
    pub fn parse(name: &str) -> IamEventName {
        IamEventName::ALL
            .iter()
            .find(|known| known.as_str() == name)
            .cloned()
            .unwrap_or_else(|| IamEventName::Other(name.to_owned()))
    }

    /// The name exactly as CloudTrail spells it.
    pub fn as_str(&self) -> &str {
        match self {
            IamEventName::AttachRolePolicy => "AttachRolePolicy",
            IamEventName::DetachRolePolicy => "DetachRolePolicy",
            IamEventName::PutRolePolicy => "PutRolePolicy",
            IamEventName::DeleteRolePolicy => "DeleteRolePolicy",
            IamEventName::CreatePolicyVersion => "CreatePolicyVersion",
            IamEventName::SetDefaultPolicyVersion => "SetDefaultPolicyVersion",
            IamEventName::UpdateAssumeRolePolicy => "UpdateAssumeRolePolicy",
            IamEventName::Other(name) => name,
        }
    }

    /// What the event changed; `None` for [`IamEventName::Other`].
    pub fn change_kind(&self) -> Option<IamChangeKind> {
        match self {
            IamEventName::AttachRolePolicy
            | IamEventName::DetachRolePolicy
            | IamEventName::PutRolePolicy
            | IamEventName::DeleteRolePolicy
            | IamEventName::UpdateAssumeRolePolicy => Some(IamChangeKind::Role),
            IamEventName::CreatePolicyVersion | IamEventName::SetDefaultPolicyVersion => {
                Some(IamChangeKind::ManagedPolicy)
            }
            IamEventName::Other(_) => None,
        }
    }

    /// `true` for every known variant; `false` for [`IamEventName::Other`].
    pub fn is_supported(&self) -> bool {
        self.change_kind().is_some()
    }
}

impl From<String> for IamEventName {
    fn from(name: String) -> Self {
        IamEventName::parse(&name)
    }
}

impl From<IamEventName> for String {
    fn from(name: IamEventName) -> Self {
        match name {
            IamEventName::Other(s) => s,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for IamEventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod iam_tests {
    use super::*;

    #[test]
    fn every_iam_name_round_trips_and_is_no_lambda_event() {
        for name in IamEventName::ALL {
            assert_eq!(&IamEventName::parse(name.as_str()), name, "{name}");
            assert!(name.is_supported(), "{name}");
            let json = serde_json::to_string(name).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(&serde_json::from_str::<IamEventName>(&json).unwrap(), name);
            assert!(!EventName::parse(name.as_str()).is_supported(), "{name}");
        }
        for lambda in EventName::ALL {
            assert!(!IamEventName::parse(lambda.as_str()).is_supported());
        }
    }

    #[test]
    fn iam_names_are_exact() {
        for other in [
            "attachrolepolicy",
            "AttachRolePolicy20100508",
            "AttachUserPolicy",
            "CreatePolicy",
            "DeletePolicyVersion",
            " PutRolePolicy",
            "",
        ] {
            let parsed = IamEventName::parse(other);
            assert_eq!(parsed, IamEventName::Other(other.to_owned()));
            assert_eq!(parsed.change_kind(), None, "{other:?}");
            assert_eq!(parsed.as_str(), other);
        }
    }

    #[test]
    fn role_and_policy_events_are_told_apart() {
        let kinds: Vec<_> = IamEventName::ALL
            .iter()
            .map(|n| (n.as_str(), n.change_kind()))
            .collect();
        for (name, kind) in kinds {
            let expected = if name.contains("PolicyVersion") {
                IamChangeKind::ManagedPolicy
            } else {
                IamChangeKind::Role
            };
            assert_eq!(kind, Some(expected), "{name}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `Base20YYMMDD[v2]` into (base, date, v2); `None` when the name has no date suffix.
    fn split_suffix(name: &str) -> (&str, Option<&str>, bool) {
        let (rest, v2) = match name.strip_suffix("v2") {
            Some(rest) => (rest, true),
            None => (name, false),
        };
        let bytes = rest.as_bytes();
        if bytes.len() > 8 {
            let (base, date) = rest.split_at(rest.len() - 8);
            if date.starts_with("20") && date.bytes().all(|b| b.is_ascii_digit()) {
                return (base, Some(date), v2);
            }
        }
        (name, None, false)
    }

    #[test]
    fn every_known_name_round_trips() {
        for name in EventName::ALL {
            let parsed = EventName::parse(name.as_str());
            assert_eq!(&parsed, name, "{name}");
            assert!(parsed.is_supported(), "{name}");
            let json = serde_json::to_string(name).unwrap();
            assert_eq!(json, format!("\"{}\"", name.as_str()));
            let back: EventName = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, name);
        }
    }

    #[test]
    fn every_known_name_follows_the_cloudtrail_pattern() {
        for name in EventName::ALL {
            let api = name.api().unwrap_or_else(|| panic!("{name} has no API"));
            let (base, date, v2) = split_suffix(name.as_str());
            assert_eq!(base, api.as_str(), "{name}: base name is not the API name");
            if let Some(date) = date {
                let month: u32 = date[4..6].parse().unwrap();
                let day: u32 = date[6..8].parse().unwrap();
                assert!(
                    (1..=12).contains(&month) && (1..=31).contains(&day),
                    "{name}"
                );
            } else {
                assert!(!v2, "{name}: v2 without a date");
            }
        }
    }

    #[test]
    fn function_url_and_invoke_config_names_carry_no_suffix() {
        for api in [
            LambdaApi::CreateFunctionUrlConfig,
            LambdaApi::UpdateFunctionUrlConfig,
            LambdaApi::PutFunctionEventInvokeConfig,
            LambdaApi::PutFunctionCodeSigningConfig,
            LambdaApi::UpdateFunctionEventInvokeConfig,
            LambdaApi::DeleteFunctionEventInvokeConfig,
            LambdaApi::DeleteFunctionCodeSigningConfig,
            LambdaApi::DeleteFunctionUrlConfig,
        ] {
            let names: Vec<_> = EventName::ALL
                .iter()
                .filter(|n| n.api() == Some(api))
                .collect();
            assert_eq!(names.len(), 1, "{api}");
            assert_eq!(names[0].as_str(), api.as_str());
        }
    }

    #[test]
    fn every_api_has_at_least_one_event_name() {
        for api in LambdaApi::ALL {
            assert!(
                EventName::ALL.iter().any(|n| n.api() == Some(*api)),
                "{api} has no event name"
            );
        }
    }

    #[test]
    fn layer_permission_is_accepted_with_and_without_suffix() {
        for name in [
            "AddLayerVersionPermission20181031",
            "AddLayerVersionPermission",
        ] {
            let parsed = EventName::parse(name);
            assert_eq!(parsed.api(), Some(LambdaApi::AddLayerVersionPermission));
            assert!(LambdaApi::AddLayerVersionPermission.is_layer_operation());
        }
        assert!(!LambdaApi::AddPermission.is_layer_operation());
    }

    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for name in EventName::ALL {
            assert!(seen.insert(name.as_str()), "{name} listed twice");
        }
    }

    #[test]
    fn bare_api_names_are_not_event_names() {
        // Matching these is the bug that made other tools never fire.
        for bare in [
            "CreateFunction",
            "AddPermission",
            "RemovePermission",
            "UpdateFunctionConfiguration",
            "TagResource",
            "addpermission20150331v2",
            "AddPermission20150331V2",
            " AddPermission20150331v2",
            "",
        ] {
            let parsed = EventName::parse(bare);
            assert_eq!(parsed, EventName::Other(bare.to_owned()), "{bare:?}");
            assert!(!parsed.is_supported(), "{bare:?}");
            assert_eq!(parsed.api(), None);
            assert_eq!(parsed.as_str(), bare);
        }
    }

    #[test]
    fn unrelated_names_are_other() {
        for other in [
            "AttachRolePolicy",
            "AddLayerVersionPermission20150331",
            "PublishLayerVersion20181031",
            "DeleteFunction20150331",
        ] {
            assert!(!EventName::parse(other).is_supported(), "{other}");
        }
    }
}

//! The live state of one function (or one qualified alias/version), as the adapter fetched it.
//! Data only: the rules read it, nothing here calls AWS.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{FunctionArn, LayerVersionArn};

/// What lambda-warden knows about a function when it evaluates it.
///
/// Sources: `GetFunction` (configuration, reserved concurrency and tags), `GetPolicy`
/// (resource-based policy and `RevisionId`), `GetFunctionUrlConfig` (URL auth type and CORS),
/// `GetFunctionEventInvokeConfig` (asynchronous invocation destinations),
/// `GetFunctionCodeSigningConfig`, each for the snapshot's qualifier when it has one, and IAM
/// (`GetRole`, `ListAttachedRolePolicies`, `GetPolicy`, `GetPolicyVersion`, `ListRolePolicies`,
/// `GetRolePolicy`) for the execution role
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html>,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionEventInvokeConfig.html>,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionCodeSigningConfig.html>).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionSnapshot {
    /// The evaluated ARN: qualified when the event named an alias or version.
    pub arn: FunctionArn,
    /// Tags of the function (tags always live on the unqualified function).
    pub tags: BTreeMap<String, String>,
    /// The resource-based policy of `arn` (with its qualifier); `Read(None)` when the function
    /// has none (`GetPolicy` answered `ResourceNotFoundException`).
    pub policy: Readable<Option<PolicyDocument>>,
    /// The function URL configuration of `arn`; `Read(None)` when it has none.
    pub url: Readable<Option<FunctionUrlConfig>>,
    /// `GetFunction`'s `Configuration` (and `Concurrency`) of `arn`.
    pub configuration: Readable<FunctionConfiguration>,
    /// `GetFunctionEventInvokeConfig` of `arn`; `Read(None)` when none is configured
    /// (`ResourceNotFoundException`).
    pub event_invoke_config: Readable<Option<EventInvokeConfig>>,
    /// `GetFunctionCodeSigningConfig`'s `CodeSigningConfigArn`; `Read(None)` when the function
    /// has no code signing configuration.
    pub code_signing_config_arn: Readable<Option<String>>,
    /// The execution role named by the configuration's `Role`; `Read(None)` when IAM answers
    /// that the role does not exist (`NoSuchEntity`: it was deleted, and the function cannot
    /// run).
    pub execution_role: Readable<Option<ExecutionRole>>,
}

impl FunctionSnapshot {
    /// A snapshot of `arn` with nothing in it: no tags, no policy, no URL, no event invoke
    /// configuration, no code signing configuration and no execution role (each read as
    /// absent), and [`FunctionConfiguration::default`] (a Zip function with no runtime, no
    /// variables, no tracing, no VPC, no layers). Build others from it with struct update
    /// syntax (`FunctionSnapshot { policy, ..FunctionSnapshot::empty(arn) }`) so code keeps
    /// compiling when the snapshot gains parts.
    pub fn empty(arn: FunctionArn) -> Self {
        FunctionSnapshot {
            arn,
            tags: BTreeMap::new(),
            policy: Readable::read(None),
            url: Readable::read(None),
            configuration: Readable::read(FunctionConfiguration::default()),
            event_invoke_config: Readable::read(None),
            code_signing_config_arn: Readable::read(None),
            execution_role: Readable::read(None),
        }
    }

    /// Every part that could not be read, as `(operation, error_code)`, in snapshot order.
    pub fn unreadable_parts(&self) -> Vec<(&str, &str)> {
        [
            self.policy.failure(),
            self.url.failure(),
            self.configuration.failure(),
            self.event_invoke_config.failure(),
            self.code_signing_config_arn.failure(),
            self.execution_role.failure(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The live state of one layer version, for the rules about layers (LW018).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSnapshot {
    /// The layer version.
    pub arn: LayerVersionArn,
    /// `GetLayerVersionPolicy`: the layer version's resource-based policy; `Read(None)` when it
    /// has none (`ResourceNotFoundException`, which is also the answer for a deleted version)
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersionPolicy.html>).
    pub policy: Readable<Option<PolicyDocument>>,
}

/// A part of the snapshot that was either read, or could not be read and must not be taken as
/// compliant (fail closed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Readable<T> {
    /// Read successfully.
    Read {
        /// The value read.
        value: T,
    },
    /// The read was refused (e.g. `AccessDeniedException`): the part is unverified.
    Unreadable {
        /// The API operation that failed, e.g. `GetPolicy`.
        operation: String,
        /// The AWS error code, e.g. `AccessDeniedException`.
        error_code: String,
    },
    /// Not read, because no rule that runs looks at this part ([`crate::reads::Reads`]): no
    /// rule judges it, and LW006 does not report it.
    NotRead,
}

impl<T> Readable<T> {
    /// Wraps a value that was read.
    pub fn read(value: T) -> Self {
        Readable::Read { value }
    }

    /// The value, when it was read.
    pub fn value(&self) -> Option<&T> {
        match self {
            Readable::Read { value } => Some(value),
            Readable::Unreadable { .. } | Readable::NotRead => None,
        }
    }

    /// `(operation, error_code)` when the read was refused.
    pub fn failure(&self) -> Option<(&str, &str)> {
        match self {
            Readable::Read { .. } | Readable::NotRead => None,
            Readable::Unreadable {
                operation,
                error_code,
            } => Some((operation, error_code)),
        }
    }
}

/// A resource-based policy as `GetPolicy` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDocument {
    /// The policy document, a JSON string (`GetPolicy` response field `Policy`).
    pub json: String,
    /// The policy's `RevisionId`, to send with `AddPermission`/`RemovePermission` so an edit
    /// fails with `PreconditionFailedException` when the policy changed since it was read.
    pub revision_id: Option<String>,
}

/// How a function URL authenticates callers
/// (<https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FunctionUrlAuthType {
    /// `NONE`: public; anyone on the internet can call the URL if the policy allows `*`.
    None,
    /// `AWS_IAM`: callers sign requests with SigV4.
    AwsIam,
    /// A value this version does not know: treated as unverified, never as safe.
    Unknown(String),
}

impl FunctionUrlAuthType {
    /// Parses AWS's spelling (`NONE`, `AWS_IAM`).
    pub fn parse(s: &str) -> Self {
        match s {
            "NONE" => Self::None,
            "AWS_IAM" => Self::AwsIam,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// AWS's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::None => "NONE",
            Self::AwsIam => "AWS_IAM",
            Self::Unknown(s) => s,
        }
    }
}

/// A function URL configuration (`GetFunctionUrlConfig` response).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionUrlConfig {
    /// `FunctionUrl`, e.g. `https://abc.lambda-url.us-east-1.on.aws/`.
    pub function_url: String,
    /// `AuthType`.
    pub auth_type: FunctionUrlAuthType,
    /// `Cors`, when configured.
    pub cors: Option<Cors>,
}

/// The CORS settings of a function URL (`Cors` in `GetFunctionUrlConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cors {
    /// `AllowOrigins`, e.g. `["*"]` or `["https://example.com"]`.
    pub allow_origins: Vec<String>,
    /// `AllowCredentials`.
    pub allow_credentials: Option<bool>,
    /// `AllowMethods`.
    pub allow_methods: Vec<String>,
}

/// A value that must never be shown: an environment variable's value. `Debug`, `Display` and
/// `Serialize` print `<redacted>` (with the length for `Debug`); only [`Redacted::expose`]
/// gives the value, for the detectors. Deserialising reads a plain string (fixtures).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Redacted(String);

impl Redacted {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Redacted(value.into())
    }

    /// The value itself. Only secret detection reads it; nothing derived from it but a
    /// [`Redacted::fingerprint`] and a length may leave the rule that reads it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value's length, in characters.
    pub fn chars(&self) -> usize {
        self.0.chars().count()
    }

    /// A short, non-reversible fingerprint of the value: 4 hex digits (16 bits) of a 64-bit
    /// FNV-1a hash of `lambda-warden/env/1` followed by the value. It tells "the same value as
    /// before" from "a new value" (two different values share it with a probability of
    /// 1 in 65 536), and is too short to confirm a guess: about one string in 65 536 of any
    /// dictionary matches it. Not a cryptographic hash, and not meant as one.
    pub fn fingerprint(&self) -> String {
        let hash = b"lambda-warden/env/1\0"
            .iter()
            .chain(self.0.as_bytes())
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        format!("{:04x}", hash >> 48)
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redacted(<{} chars>)", self.chars())
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Redacted {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

impl<'de> Deserialize<'de> for Redacted {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Redacted)
    }
}

/// `PackageType`: how the function's code is delivered
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html#lambda-Type-FunctionConfiguration-PackageType>).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PackageType {
    /// `Zip`: a .zip archive run on a managed runtime (`Runtime` is set).
    #[default]
    Zip,
    /// `Image`: a container image; no `Runtime`, no code signing.
    Image,
    /// A value this version does not know.
    Unknown(String),
}

impl PackageType {
    /// Parses AWS's spelling (`Zip`, `Image`); absent means `Zip`.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            None | Some("Zip") => PackageType::Zip,
            Some("Image") => PackageType::Image,
            Some(other) => PackageType::Unknown(other.to_owned()),
        }
    }
}

/// `TracingConfig.Mode`
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_TracingConfigResponse.html>).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TracingMode {
    /// `Active`: Lambda samples and traces requests with X-Ray.
    Active,
    /// `PassThrough` (the default): traced only when the caller sent a sampled trace header.
    #[default]
    PassThrough,
    /// A value this version does not know.
    Unknown(String),
}

impl TracingMode {
    /// Parses AWS's spelling; absent means `PassThrough`.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            None | Some("PassThrough") => TracingMode::PassThrough,
            Some("Active") => TracingMode::Active,
            Some(other) => TracingMode::Unknown(other.to_owned()),
        }
    }

    /// AWS's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            TracingMode::Active => "Active",
            TracingMode::PassThrough => "PassThrough",
            TracingMode::Unknown(s) => s,
        }
    }
}

/// `VpcConfig` of a function attached to a VPC
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_VpcConfigResponse.html>).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VpcConfig {
    /// `SubnetIds`.
    pub subnet_ids: Vec<String>,
    /// `SecurityGroupIds`.
    pub security_group_ids: Vec<String>,
    /// `VpcId`.
    pub vpc_id: Option<String>,
}

/// What the rules need of `GetFunction`'s `Configuration` and `Concurrency`
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html#API_GetFunction_ResponseSyntax>).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FunctionConfiguration {
    /// `Runtime`, e.g. `python3.12`; `None` for container images.
    pub runtime: Option<String>,
    /// `PackageType`.
    pub package_type: PackageType,
    /// `Role`: the execution role ARN.
    pub role: Option<String>,
    /// `KMSKeyArn`: the customer managed key encrypting the environment variables; `None`
    /// when Lambda's AWS managed key is used.
    pub kms_key_arn: Option<String>,
    /// `Environment.Variables`, values redacted. `Unreadable` when `GetFunction` answered with
    /// `Environment.Error` (for example `KMSAccessDeniedException` when the variables could
    /// not be decrypted): the variables are then unverified.
    pub environment: Readable<BTreeMap<String, Redacted>>,
    /// `TracingConfig.Mode`.
    pub tracing_mode: TracingMode,
    /// `DeadLetterConfig.TargetArn`: the SQS queue or SNS topic for failed asynchronous events.
    pub dead_letter_target_arn: Option<String>,
    /// `VpcConfig`, when the function is attached to a VPC (at least one subnet).
    pub vpc: Option<VpcConfig>,
    /// `Layers[].Arn`: layer version ARNs.
    pub layers: Vec<String>,
    /// `Architectures`, e.g. `["arm64"]`.
    pub architectures: Vec<String>,
    /// `Concurrency.ReservedConcurrentExecutions`; `None` when no concurrency is reserved.
    pub reserved_concurrent_executions: Option<i32>,
    /// `LastModified` ("the date and time that the function was last updated": created, or its
    /// code or configuration changed), in seconds since the Unix epoch; `None` when absent or not in Lambda's ISO 8601 form
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html>).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<i64>,
}

impl Default for Readable<BTreeMap<String, Redacted>> {
    fn default() -> Self {
        Readable::read(BTreeMap::new())
    }
}

/// `GetFunctionEventInvokeConfig`: how Lambda handles asynchronous invocations
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionEventInvokeConfig.html>).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventInvokeConfig {
    /// `DestinationConfig.OnFailure.Destination`.
    pub on_failure_destination: Option<String>,
    /// `DestinationConfig.OnSuccess.Destination`.
    pub on_success_destination: Option<String>,
    /// `MaximumRetryAttempts` (0-2).
    pub maximum_retry_attempts: Option<i32>,
    /// `MaximumEventAgeInSeconds` (60-21600 seconds).
    pub maximum_event_age_in_seconds: Option<i32>,
}

/// A function's execution role, as IAM returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRole {
    /// `Role.Arn`.
    pub arn: String,
    /// `Role.RoleName`.
    pub name: String,
    /// `Role.AssumeRolePolicyDocument`, URL-decoded: the trust policy JSON
    /// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html>).
    pub trust_policy: String,
    /// The managed policies attached (`ListAttachedRolePolicies`, every page).
    pub attached: Readable<Vec<AttachedPolicy>>,
    /// The inline policies (`ListRolePolicies`, every page, then `GetRolePolicy` each).
    pub inline: Readable<Vec<InlinePolicy>>,
}

/// A managed policy attached to the execution role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedPolicy {
    /// `PolicyArn`, e.g. `arn:aws:iam::aws:policy/AdministratorAccess`.
    pub arn: String,
    /// `PolicyName`.
    pub name: String,
    /// The document of the policy's default version (`GetPolicy`'s `DefaultVersionId`, then
    /// `GetPolicyVersion`'s `Document`, URL-decoded).
    pub document: Readable<String>,
}

impl AttachedPolicy {
    /// Whether AWS manages the policy (its ARN's account field is `aws`:
    /// `arn:PARTITION:iam::aws:policy/...`,
    /// <https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies>).
    pub fn is_aws_managed(&self) -> bool {
        self.arn.split(':').nth(4) == Some("aws")
    }
}

/// An inline policy of the execution role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlinePolicy {
    /// `PolicyName`.
    pub name: String,
    /// `GetRolePolicy`'s `PolicyDocument`, URL-decoded.
    pub document: Readable<String>,
}

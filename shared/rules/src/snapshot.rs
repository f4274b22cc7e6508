//! The live state of one function (or one qualified alias/version), as the adapter fetched it.
//! Data only: the rules read it, nothing here calls AWS.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::FunctionArn;

/// What lambda-warden knows about a function when it evaluates it.
///
/// Sources: `GetFunction` (configuration and tags), `GetPolicy` (resource-based policy and
/// `RevisionId`), `GetFunctionUrlConfig` (URL auth type and CORS), each for the snapshot's
/// qualifier when it has one
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>).
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
}

impl FunctionSnapshot {
    /// A snapshot of `arn` with nothing in it: no tags, no policy, no URL (each read as
    /// absent). Build others from it with struct update syntax
    /// (`FunctionSnapshot { policy, ..FunctionSnapshot::empty(arn) }`) so code keeps compiling
    /// when the snapshot gains parts.
    pub fn empty(arn: FunctionArn) -> Self {
        FunctionSnapshot {
            arn,
            tags: BTreeMap::new(),
            policy: Readable::read(None),
            url: Readable::read(None),
        }
    }
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
            Readable::Unreadable { .. } => None,
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

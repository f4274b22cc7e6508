//! Identifier newtypes, parsed and validated once at the boundary.
//!
//! Shapes follow the Lambda API reference:
//! <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html#API_GetFunction_RequestSyntax>
//! (`FunctionName` accepts a bare name, a full ARN, or a partial ARN `ACCOUNT:function:NAME`,
//! each optionally followed by `:QUALIFIER`).

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// At most this many characters of an offending value are kept in an [`IdError`], so a
/// megabyte-long "function name" never ends up whole in a log line or a response.
pub const MAX_ERROR_VALUE_CHARS: usize = 200;

fn excerpt(s: &str) -> String {
    match s.char_indices().nth(MAX_ERROR_VALUE_CHARS) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()),
    }
}

/// The partitions Lambda exists in
/// (<https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html>).
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// Whether `s` has the shape of a Region code: lowercase letter groups and a final number,
/// joined by `-` (`us-east-1`, `cn-north-1`, `us-gov-west-1`, `eu-central-2`).
pub fn is_region_code(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && s.len() <= 32
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// An identifier that did not have the shape AWS gives it. Values are kept as an excerpt of
/// at most [`MAX_ERROR_VALUE_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// An AWS account id is exactly 12 ASCII digits.
    #[error("account id {0:?} is not 12 digits")]
    AccountId(String),
    /// A function name is 1 to 64 characters of `a-z A-Z 0-9 - _`.
    #[error("function name {0:?} is not 1-64 characters of letters, digits, '-' or '_'")]
    FunctionName(String),
    /// A qualifier is `$LATEST`, a version number, or an alias name (1-128 characters).
    #[error("qualifier {0:?} is not $LATEST, a version number or an alias name")]
    Qualifier(String),
    /// The string is not a bare name, partial ARN or full ARN of a Lambda function.
    #[error("{0:?} is not a Lambda function name or ARN")]
    FunctionRef(String),
    /// The string is not a layer name or layer ARN, or the version is not a positive number.
    #[error("{0:?} is not a Lambda layer name or ARN with a version number")]
    LayerRef(String),
    /// The string is not an IAM role ARN `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
    #[error("{0:?} is not an IAM role ARN (arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME)")]
    RoleArn(String),
}

/// A 12-digit AWS account id, e.g. `111122223333`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Parses a 12-digit account id.
    ///
    /// # Errors
    /// [`IdError::AccountId`] when the value is not exactly 12 ASCII digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::AccountId(excerpt(s)))
        }
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AccountId> for String {
    fn from(a: AccountId) -> Self {
        a.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bare Lambda function name: 1 to 64 characters of `a-z A-Z 0-9 - _`
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html#lambda-CreateFunction-request-FunctionName>).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FunctionName(String);

impl FunctionName {
    /// Parses a bare function name.
    ///
    /// # Errors
    /// [`IdError::FunctionName`] when the value is empty, longer than 64 characters, or has
    /// characters other than ASCII letters, digits, `-` and `_`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::FunctionName(excerpt(s)))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FunctionName {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<FunctionName> for String {
    fn from(n: FunctionName) -> Self {
        n.0
    }
}

impl fmt::Display for FunctionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A function version or alias: `$LATEST`, a version number (`1`, `42`) or an alias name
/// (1-128 characters of `a-z A-Z 0-9 - _`, not all digits)
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html#lambda-GetPolicy-request-Qualifier>).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Qualifier(String);

impl Qualifier {
    /// Parses a qualifier.
    ///
    /// # Errors
    /// [`IdError::Qualifier`] when the value is empty, longer than 128 characters, or has
    /// characters other than ASCII letters, digits, `-`, `_` (and `$` only in `$LATEST`).
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = s == "$LATEST"
            || (!s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Qualifier(excerpt(s)))
        }
    }

    /// The qualifier text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `true` for `$LATEST`, the unpublished version that the unqualified ARN names.
    pub fn is_latest(&self) -> bool {
        self.0 == "$LATEST"
    }
}

impl TryFrom<String> for Qualifier {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Qualifier> for String {
    fn from(q: Qualifier) -> Self {
        q.0
    }
}

impl fmt::Display for Qualifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference to a function as a caller wrote it: the name, and whatever of partition,
/// region, account and qualifier the reference carried.
///
/// Accepted forms (Lambda API `FunctionName` parameter):
/// `my-function`, `my-function:alias`, `111122223333:function:my-function[:q]`,
/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:my-function[:q]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FunctionRef {
    /// The bare function name.
    pub name: FunctionName,
    /// The version or alias, when the reference named one.
    pub qualifier: Option<Qualifier>,
    /// The account, when the reference was an ARN or partial ARN.
    pub account: Option<AccountId>,
    /// The region, when the reference was a full ARN.
    pub region: Option<String>,
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`), when the reference was a full ARN.
    pub partition: Option<String>,
}

impl FunctionRef {
    /// Parses any form the Lambda API accepts as `FunctionName`.
    ///
    /// A `$LATEST` qualifier is dropped: `$LATEST` is the function's unpublished version, which
    /// the unqualified ARN names (a call without a qualifier is about `$LATEST`:
    /// <https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html>), so
    /// `NAME:$LATEST` is evaluated as the function, with the function's policy, URL and state.
    /// Version numbers and aliases are kept.
    ///
    /// # Errors
    /// [`IdError::FunctionRef`] for a string of none of the accepted forms, or the error of the
    /// part (name, account, qualifier) that is malformed.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let parts: Vec<&str> = s.split(':').collect();
        let bad = || IdError::FunctionRef(excerpt(s));
        let (partition, region, account, name, qualifier) = match parts.as_slice() {
            [name] => (None, None, None, *name, None),
            [name, q] => (None, None, None, *name, Some(*q)),
            [acct, "function", name] => (None, None, Some(*acct), *name, None),
            [acct, "function", name, q] => (None, None, Some(*acct), *name, Some(*q)),
            ["arn", part, "lambda", region, acct, "function", name] => {
                (Some(*part), Some(*region), Some(*acct), *name, None)
            }
            ["arn", part, "lambda", region, acct, "function", name, q] => {
                (Some(*part), Some(*region), Some(*acct), *name, Some(*q))
            }
            _ => return Err(bad()),
        };
        if partition.is_some_and(|p: &str| !PARTITIONS.contains(&p))
            || region.is_some_and(|r: &str| !is_region_code(r))
        {
            return Err(bad());
        }
        Ok(Self {
            name: FunctionName::parse(name)?,
            qualifier: qualifier
                .map(Qualifier::parse)
                .transpose()?
                .filter(|q| !q.is_latest()),
            account: account.map(AccountId::parse).transpose()?,
            region: region.map(str::to_owned),
            partition: partition.map(str::to_owned),
        })
    }

    /// Completes the reference to a full ARN, taking what the reference lacks from `defaults`
    /// (the event's partition, region and account).
    pub fn resolve(&self, defaults: &ArnDefaults) -> FunctionArn {
        FunctionArn {
            partition: self
                .partition
                .clone()
                .unwrap_or_else(|| defaults.partition.clone()),
            region: self
                .region
                .clone()
                .unwrap_or_else(|| defaults.region.clone()),
            account: self
                .account
                .clone()
                .unwrap_or_else(|| defaults.account.clone()),
            name: self.name.clone(),
            qualifier: self.qualifier.clone(),
        }
    }
}

/// What a partial function reference is completed with: the partition, region and account of
/// the event that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnDefaults {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// The account the event was recorded in.
    pub account: AccountId,
}

/// A complete Lambda function ARN, split into its parts:
/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`
/// (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html>).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FunctionArn {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// The function's account.
    pub account: AccountId,
    /// The bare function name.
    pub name: FunctionName,
    /// The version or alias; `None` for the unqualified ARN.
    pub qualifier: Option<Qualifier>,
}

impl FunctionArn {
    /// Parses a full function ARN.
    ///
    /// # Errors
    /// [`IdError::FunctionRef`] when the string is not a full ARN, or the part's error.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let r = FunctionRef::parse(s)?;
        match (r.partition, r.region, r.account) {
            (Some(partition), Some(region), Some(account)) => Ok(Self {
                partition,
                region,
                account,
                name: r.name,
                qualifier: r.qualifier,
            }),
            _ => Err(IdError::FunctionRef(excerpt(s))),
        }
    }

    /// The same function without qualifier: tags live there
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_TagResource.html>).
    pub fn unqualified(&self) -> FunctionArn {
        FunctionArn {
            qualifier: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for FunctionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:lambda:{}:{}:function:{}",
            self.partition, self.region, self.account, self.name
        )?;
        if let Some(q) = &self.qualifier {
            write!(f, ":{q}")?;
        }
        Ok(())
    }
}

/// An IAM role ARN, `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>).
/// A role name is 1-64 characters of letters, digits and `+=,.@_-`; a path is `/`, or `/`-
/// separated segments of printable ASCII other than space
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html>).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RoleArn {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: String,
    /// The role's account.
    pub account: AccountId,
    /// The path's segments between the slashes, e.g. `security/warden` for
    /// `role/security/warden/NAME`; empty for the root path `/`.
    pub path: String,
    /// The role name.
    pub name: String,
}

/// `true` for an IAM role name: 1-64 of letters, digits and `+=,.@_-`.
pub fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// `true` for the segments of an IAM path without its outer slashes (`security/warden`, or
/// empty for `/`): each segment 1 or more printable ASCII characters other than space and `/`,
/// at most 510 characters in all.
fn is_role_path(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 510
            && s.split('/')
                .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_graphic())))
}

impl RoleArn {
    /// Parses a role ARN.
    ///
    /// # Errors
    /// [`IdError::RoleArn`] when the value is not `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`
    /// with a partition of [`PARTITIONS`], an empty Region field, a 12-digit account, a valid
    /// path and a valid role name.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bad = || IdError::RoleArn(excerpt(s));
        let mut parts = s.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad());
        };
        let rest = resource.strip_prefix("role/").ok_or_else(bad)?;
        let (path, name) = match rest.rsplit_once('/') {
            Some(("", _)) => return Err(bad()),
            Some(split) => split,
            None => ("", rest),
        };
        if !PARTITIONS.contains(&partition) || !is_role_path(path) || !is_role_name(name) {
            return Err(bad());
        }
        Ok(Self {
            partition: partition.to_owned(),
            account: AccountId::parse(account).map_err(|_| bad())?,
            path: path.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The role ARN of an assumed-role session ARN
    /// `arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION`, with the root path: the session
    /// ARN does not carry the role's path
    /// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>),
    /// so a role with a path is only known from `sessionContext.sessionIssuer.arn`. `None` for
    /// any other shape.
    pub fn of_assumed_role(session_arn: &str) -> Option<Self> {
        let mut parts = session_arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("sts"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let (name, session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
        if session.is_empty() || session.contains('/') || !is_role_name(name) {
            return None;
        }
        if !PARTITIONS.contains(&partition) {
            return None;
        }
        Some(Self {
            partition: partition.to_owned(),
            account: AccountId::parse(account).ok()?,
            path: String::new(),
            name: name.to_owned(),
        })
    }

    /// `PATH/NAME` without outer slashes (`security/warden/NAME`), or `NAME` for the root path:
    /// the form `WARDEN_MEMBER_ROLE_NAME` takes.
    pub fn path_and_name(&self) -> String {
        if self.path.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.path, self.name)
        }
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:iam::{}:role/{}",
            self.partition,
            self.account,
            self.path_and_name()
        )
    }
}

/// A Lambda layer version:
/// `arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION`
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersionPolicy.html>; a layer
/// name is 1-140 characters of `a-z A-Z 0-9 - _`, a version a positive integer).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LayerVersionArn {
    /// `aws`, `aws-cn` or `aws-us-gov`.
    pub partition: String,
    /// e.g. `us-east-1`.
    pub region: String,
    /// The account that published the layer.
    pub account: AccountId,
    /// The layer name.
    pub name: String,
    /// The version number.
    pub version: u64,
}

fn is_layer_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 140
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl LayerVersionArn {
    /// Parses a full layer version ARN (`...:layer:NAME:VERSION`).
    ///
    /// # Errors
    /// [`IdError::LayerRef`] for any other shape; [`IdError::AccountId`] for a bad account.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bad = || IdError::LayerRef(s.to_owned());
        let parts: Vec<&str> = s.split(':').collect();
        let ["arn", partition, "lambda", region, account, "layer", name, version] =
            parts.as_slice()
        else {
            return Err(bad());
        };
        if partition.is_empty() || region.is_empty() || !is_layer_name(name) {
            return Err(bad());
        }
        let version = version
            .parse::<u64>()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(bad)?;
        Ok(Self {
            partition: (*partition).to_owned(),
            region: (*region).to_owned(),
            account: AccountId::parse(account)?,
            name: (*name).to_owned(),
            version,
        })
    }

    /// The layer version named by an event's `layerName` (a name or a layer ARN without
    /// version, as `AddLayerVersionPermission` accepts it) and `versionNumber`, completed
    /// with `defaults` where `layer_name` is a bare name.
    ///
    /// # Errors
    /// [`IdError::LayerRef`] when `layer_name` is neither form or `version` is 0.
    pub fn from_parts(
        layer_name: &str,
        version: u64,
        defaults: &ArnDefaults,
    ) -> Result<Self, IdError> {
        if version == 0 {
            return Err(IdError::LayerRef(format!("{layer_name}:{version}")));
        }
        if is_layer_name(layer_name) {
            return Ok(Self {
                partition: defaults.partition.clone(),
                region: defaults.region.clone(),
                account: defaults.account.clone(),
                name: layer_name.to_owned(),
                version,
            });
        }
        Self::parse(&format!("{layer_name}:{version}"))
    }

    /// The layer ARN without the version (`LayerName` for `GetLayerVersionPolicy`).
    pub fn layer_arn(&self) -> String {
        format!(
            "arn:{}:lambda:{}:{}:layer:{}",
            self.partition, self.region, self.account, self.name
        )
    }
}

impl fmt::Display for LayerVersionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.layer_arn(), self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_name_form_parses() {
        let cases = [
            ("orders-api", None, None, None),
            ("orders-api:live", Some("live"), None, None),
            (
                "111122223333:function:orders-api",
                None,
                Some("111122223333"),
                None,
            ),
            (
                "111122223333:function:orders-api:7",
                Some("7"),
                Some("111122223333"),
                None,
            ),
            (
                "arn:aws:lambda:us-east-1:111122223333:function:orders-api",
                None,
                Some("111122223333"),
                Some("us-east-1"),
            ),
            (
                "arn:aws:lambda:eu-west-1:111122223333:function:orders-api:$LATEST",
                None,
                Some("111122223333"),
                Some("eu-west-1"),
            ),
            ("orders-api:$LATEST", None, None, None),
        ];
        for (input, q, acct, region) in cases {
            let r = FunctionRef::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.name.as_str(), "orders-api", "{input}");
            assert_eq!(r.qualifier.as_ref().map(Qualifier::as_str), q, "{input}");
            assert_eq!(r.account.as_ref().map(AccountId::as_str), acct, "{input}");
            assert_eq!(r.region.as_deref(), region, "{input}");
        }
    }

    #[test]
    fn malformed_references_are_rejected() {
        for bad in [
            "",
            "a:b:c",
            "arn:aws:s3:::bucket",
            "12345:function:x",
            "name with space",
            "arn:aws:lambda::111122223333:function:x",
            "x:$NOTLATEST",
            "arn:evil:lambda:us-east-1:111122223333:function:x",
            "arn:aws:lambda:Not_A_Region:111122223333:function:x",
            "arn:aws:lambda:us-east:111122223333:function:x",
        ] {
            assert!(FunctionRef::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn region_codes() {
        for ok in [
            "us-east-1",
            "cn-north-1",
            "us-gov-west-1",
            "eu-central-2",
            "ap-southeast-4",
        ] {
            assert!(is_region_code(ok), "{ok}");
        }
        for bad in ["", "us-east", "US-EAST-1", "us--1", "us-east-1a", "-east-1"] {
            assert!(!is_region_code(bad), "{bad}");
        }
        assert!(FunctionRef::parse("arn:aws-cn:lambda:cn-north-1:111122223333:function:f").is_ok());
    }

    #[test]
    fn errors_keep_only_an_excerpt_of_huge_values() {
        let huge = "x".repeat(1_000_000);
        let e = FunctionRef::parse(&huge).unwrap_err().to_string();
        assert!(e.len() < 400, "{} bytes", e.len());
        assert!(e.contains("1000000 bytes"));
    }

    #[test]
    fn arn_round_trips_and_resolves_defaults() {
        let s = "arn:aws:lambda:us-east-1:111122223333:function:orders-api:live";
        let arn = FunctionArn::parse(s).unwrap();
        assert_eq!(arn.to_string(), s);
        assert_eq!(
            arn.unqualified().to_string(),
            "arn:aws:lambda:us-east-1:111122223333:function:orders-api"
        );
        let defaults = ArnDefaults {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: AccountId::parse("444455556666").unwrap(),
        };
        let resolved = FunctionRef::parse("orders-api").unwrap().resolve(&defaults);
        assert_eq!(
            resolved.to_string(),
            "arn:aws:lambda:eu-west-1:444455556666:function:orders-api"
        );
    }

    #[test]
    fn role_arns_parse_with_and_without_a_path() {
        let r = RoleArn::parse("arn:aws:iam::111122223333:role/lambda-warden-events-role").unwrap();
        assert_eq!(
            (r.path.as_str(), r.name.as_str()),
            ("", "lambda-warden-events-role")
        );
        assert_eq!(r.path_and_name(), "lambda-warden-events-role");
        let s = "arn:aws-cn:iam::111122223333:role/aws-reserved/sso.amazonaws.com/SsoRole";
        let r = RoleArn::parse(s).unwrap();
        assert_eq!(r.path, "aws-reserved/sso.amazonaws.com");
        assert_eq!(r.to_string(), s);
        for bad in [
            "",
            "lambda-warden-events-role",
            "arn:aws:iam::111122223333:user/x",
            "arn:aws:iam::111122223333:role/",
            "arn:aws:iam::111122223333:role//x",
            "arn:aws:iam::111122223333:role/a b/x",
            "arn:aws:iam:us-east-1:111122223333:role/x",
            "arn:aws:iam::1111:role/x",
            "arn:evil:iam::111122223333:role/x",
            "arn:aws:sts::111122223333:assumed-role/x/s",
            &format!("arn:aws:iam::111122223333:role/{}", "r".repeat(65)),
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_assumed_role_session_names_its_role_without_path() {
        let r = RoleArn::of_assumed_role(
            "arn:aws:sts::111122223333:assumed-role/lambda-warden-events-role/attacker-fn",
        )
        .unwrap();
        assert_eq!(
            r.to_string(),
            "arn:aws:iam::111122223333:role/lambda-warden-events-role"
        );
        for bad in [
            "arn:aws:sts::111122223333:assumed-role/only-role",
            "arn:aws:sts::111122223333:assumed-role/r/",
            "arn:aws:sts::111122223333:assumed-role/team/r/s",
            "arn:aws:sts::111122223333:federated-user/bob",
            "arn:aws:iam::111122223333:role/r",
            "arn:aws:sts::12:assumed-role/r/s",
        ] {
            assert_eq!(RoleArn::of_assumed_role(bad), None, "{bad}");
        }
    }

    #[test]
    fn latest_is_the_unqualified_function_and_versions_stay_qualified() {
        let arn =
            FunctionArn::parse("arn:aws:lambda:us-east-1:111122223333:function:f:$LATEST").unwrap();
        assert_eq!(arn.qualifier, None);
        assert_eq!(
            arn.to_string(),
            "arn:aws:lambda:us-east-1:111122223333:function:f"
        );
        let v7 = FunctionArn::parse("arn:aws:lambda:us-east-1:111122223333:function:f:7").unwrap();
        assert_eq!(v7.qualifier.as_ref().map(Qualifier::as_str), Some("7"));
        assert!(Qualifier::parse("$LATEST").unwrap().is_latest());
        assert!(!Qualifier::parse("live").unwrap().is_latest());
    }

    #[test]
    fn layer_versions_parse_from_arns_and_event_parts() {
        let arn = "arn:aws:lambda:us-east-1:111122223333:layer:example-extension-layer:1";
        let l = LayerVersionArn::parse(arn).unwrap();
        assert_eq!(l.account.as_str(), "111122223333");
        assert_eq!((l.name.as_str(), l.version), ("example-extension-layer", 1));
        assert_eq!(l.to_string(), arn);
        let defaults = ArnDefaults {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account: AccountId::parse("111122223333").unwrap(),
        };
        assert_eq!(
            LayerVersionArn::from_parts("example-extension-layer", 1, &defaults).unwrap(),
            l
        );
        assert_eq!(
            LayerVersionArn::from_parts(
                "arn:aws:lambda:us-east-1:111122223333:layer:example-extension-layer",
                1,
                &defaults
            )
            .unwrap(),
            l
        );
        for bad in [
            "arn:aws:lambda:us-east-1:111122223333:layer:x:0",
            "arn:aws:lambda:us-east-1:111122223333:layer:x",
            "arn:aws:lambda:us-east-1:111122223333:function:x:1",
            "arn:aws:lambda:us-east-1:1111:layer:x:1",
            "arn:aws:lambda:us-east-1:111122223333:layer:x y:1",
        ] {
            assert!(LayerVersionArn::parse(bad).is_err(), "{bad}");
        }
        assert!(LayerVersionArn::from_parts("x", 0, &defaults).is_err());
        assert!(LayerVersionArn::from_parts("bad name", 1, &defaults).is_err());
    }
}

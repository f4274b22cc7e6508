//! Reading a function's live state into a [`FunctionSnapshot`].

use std::collections::BTreeMap;

use warden_rules::ids::FunctionArn;
use warden_rules::outcome::FailureKind;
use warden_rules::snapshot::{
    Cors, FunctionSnapshot, FunctionUrlAuthType, FunctionUrlConfig, PolicyDocument, Readable,
};

use crate::error::AwsError;
use crate::Aws;

/// What [`Aws::fetch_snapshot`] found.
// The snapshot is built once per event and moved straight to the caller; boxing it would only
// add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// The function (or its alias or version) exists; its state as read.
    Found(FunctionSnapshot),
    /// `GetFunction` answered `ResourceNotFoundException`: the function, or the alias or
    /// version the ARN names, was deleted between the event and the read. Nothing to evaluate.
    Gone,
}

impl Aws {
    /// Reads the live state of `arn`: three reads, sent concurrently.
    ///
    /// - `GetFunction` (`FunctionName` = the unqualified ARN, `Qualifier` = the ARN's qualifier
    ///   when it has one) for existence and `Tags`
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html>).
    ///   `ResourceNotFoundException` gives [`Fetched::Gone`].
    /// - `GetPolicy` (same `FunctionName` and `Qualifier`) for the resource-based policy and its
    ///   `RevisionId` (<https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>).
    ///   `ResourceNotFoundException` means the function has no policy: `Read { value: None }`.
    /// - `GetFunctionUrlConfig` (same `FunctionName` and `Qualifier`) for the URL's `AuthType`
    ///   and `Cors` (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>).
    ///   `ResourceNotFoundException` means no URL: `Read { value: None }`.
    ///
    /// An access-denied answer to `GetPolicy` or `GetFunctionUrlConfig` gives
    /// `Readable::Unreadable` with the operation and the AWS error code: the part is unverified,
    /// never taken as "no policy" or "no URL" (fail closed).
    ///
    /// The snapshot's `arn` is `arn` as given (qualified when it was).
    ///
    /// # Errors
    /// An [`AwsError`] when `GetFunction` fails other than with `ResourceNotFoundException`
    /// (including `AccessDeniedException`: the caller decides), when `GetFunction` answers with a
    /// `TagsError` (the tags could not be read: kind `AccessDenied`, code the `TagsError`'s
    /// `ErrorCode`), or when `GetPolicy` or `GetFunctionUrlConfig` fail with anything but
    /// not-found or access-denied (throttling, 5xx, no response).
    pub async fn fetch_snapshot(&self, arn: &FunctionArn) -> Result<Fetched, AwsError> {
        let function_name = arn.unqualified().to_string();
        let qualifier = arn.qualifier.as_ref().map(|q| q.as_str().to_owned());
        let resource_arn = arn.to_string();

        let get_function = self
            .lambda
            .get_function()
            .function_name(&function_name)
            .set_qualifier(qualifier.clone())
            .send();
        let get_policy = self
            .lambda
            .get_policy()
            .function_name(&function_name)
            .set_qualifier(qualifier.clone())
            .send();
        let get_url = self
            .lambda
            .get_function_url_config()
            .function_name(&function_name)
            .set_qualifier(qualifier)
            .send();
        let (function, policy, url) = tokio::join!(get_function, get_policy, get_url);

        let tags = match function {
            Ok(out) => {
                if let Some(tags_error) = out.tags_error() {
                    tracing::warn!(
                        function_arn = %resource_arn,
                        code = tags_error.error_code(),
                        "GetFunction could not read the function's tags"
                    );
                    return Err(AwsError {
                        operation: "GetFunction",
                        resource_arn,
                        kind: FailureKind::AccessDenied,
                        code: tags_error.error_code().to_owned(),
                    });
                }
                out.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_else(BTreeMap::new)
            }
            Err(err) => {
                let err = AwsError::from_sdk("GetFunction", resource_arn, &err);
                return match err.kind {
                    FailureKind::NotFound => Ok(Fetched::Gone),
                    _ => Err(err),
                };
            }
        };

        let policy = match policy {
            Ok(out) => Readable::read(out.policy().map(|json| PolicyDocument {
                json: json.to_owned(),
                revision_id: out.revision_id().map(str::to_owned),
            })),
            Err(err) => optional_part(AwsError::from_sdk("GetPolicy", &resource_arn, &err))?,
        };

        let url = match url {
            Ok(out) => Readable::read(Some(FunctionUrlConfig {
                function_url: out.function_url().to_owned(),
                auth_type: FunctionUrlAuthType::parse(out.auth_type().as_str()),
                cors: out.cors().map(|c| Cors {
                    allow_origins: c.allow_origins().to_vec(),
                    allow_credentials: c.allow_credentials(),
                    allow_methods: c.allow_methods().to_vec(),
                }),
            })),
            Err(err) => optional_part(AwsError::from_sdk(
                "GetFunctionUrlConfig",
                &resource_arn,
                &err,
            ))?,
        };

        Ok(Fetched::Found(FunctionSnapshot {
            arn: arn.clone(),
            tags,
            policy,
            url,
        }))
    }
}

/// Turns the failure to read an optional part (policy, URL) into what the snapshot records:
/// not found is "none", access denied is "unverified", anything else is an error.
fn optional_part<T>(err: AwsError) -> Result<Readable<Option<T>>, AwsError> {
    match err.kind {
        FailureKind::NotFound => Ok(Readable::read(None)),
        FailureKind::AccessDenied => Ok(Readable::Unreadable {
            operation: err.operation.to_owned(),
            error_code: err.code,
        }),
        FailureKind::Throttled
        | FailureKind::Transient
        | FailureKind::Conflict
        | FailureKind::Invalid => Err(err),
    }
}

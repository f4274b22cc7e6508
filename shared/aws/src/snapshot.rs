//! Reading a function's live state into a [`FunctionSnapshot`].
//!
//! No read downloads code: the configuration comes from `GetFunctionConfiguration` (or from
//! `ListFunctions`, for a sweep that has just listed it), never from `GetFunction`, whose answer
//! carries a presigned link to the deployment package and whose permission lets the caller
//! download every function's code
//! (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html>,
//! <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html>).

use std::collections::BTreeMap;

use warden_rules::ids::{FunctionArn, LayerVersionArn};
use warden_rules::outcome::FailureKind;
use warden_rules::snapshot::{
    Cors, EventInvokeConfig, FunctionConfiguration, FunctionSnapshot, FunctionUrlAuthType,
    FunctionUrlConfig, LayerSnapshot, PackageType, PolicyDocument, Readable, Redacted, TracingMode,
    VpcConfig,
};

use crate::error::AwsError;
use crate::inventory::{ListedFunction, QualifiedTarget};
use crate::Aws;
use warden_rules::reads::Reads;

/// The fields of a function's configuration the rules read, borrowed from either of the SDK's
/// two shapes of it (`GetFunctionConfiguration`'s output and `ListFunctions`' items carry the
/// same fields: <https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html>).
pub(crate) struct ConfigParts<'a> {
    pub(crate) runtime: Option<&'a aws_sdk_lambda::types::Runtime>,
    pub(crate) package_type: Option<&'a aws_sdk_lambda::types::PackageType>,
    pub(crate) role: Option<&'a str>,
    pub(crate) kms_key_arn: Option<&'a str>,
    pub(crate) environment: Option<&'a aws_sdk_lambda::types::EnvironmentResponse>,
    pub(crate) tracing_config: Option<&'a aws_sdk_lambda::types::TracingConfigResponse>,
    pub(crate) dead_letter_config: Option<&'a aws_sdk_lambda::types::DeadLetterConfig>,
    pub(crate) vpc_config: Option<&'a aws_sdk_lambda::types::VpcConfigResponse>,
    pub(crate) layers: &'a [aws_sdk_lambda::types::Layer],
    pub(crate) architectures: &'a [aws_sdk_lambda::types::Architecture],
    pub(crate) last_modified: Option<&'a str>,
}

/// [`ConfigParts`] of a `GetFunctionConfigurationOutput` or a `types::FunctionConfiguration`
/// (their accessors have the same names and types).
macro_rules! config_parts {
    ($c:expr) => {{
        let c = &$c;
        $crate::snapshot::ConfigParts {
            runtime: c.runtime(),
            package_type: c.package_type(),
            role: c.role(),
            kms_key_arn: c.kms_key_arn(),
            environment: c.environment(),
            tracing_config: c.tracing_config(),
            dead_letter_config: c.dead_letter_config(),
            vpc_config: c.vpc_config(),
            layers: c.layers(),
            architectures: c.architectures(),
            last_modified: c.last_modified(),
        }
    }};
}
pub(crate) use config_parts;

/// The parts an alias or published version may have of its own ([`Aws::own_parts`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnParts {
    /// Its resource-based policy.
    pub policy: Readable<Option<PolicyDocument>>,
    /// Its function URL (`NotRead` for a published version: it cannot have one).
    pub url: Readable<Option<FunctionUrlConfig>>,
}

impl OwnParts {
    /// `true` when it has a policy or a URL, or either could not be read (unverified: it must
    /// be evaluated, never skipped).
    pub fn any(&self) -> bool {
        let has = |none: bool, not_read: bool| !(none || not_read);
        has(
            matches!(self.policy, Readable::Read { value: None }),
            matches!(self.policy, Readable::NotRead),
        ) || has(
            matches!(self.url, Readable::Read { value: None }),
            matches!(self.url, Readable::NotRead),
        )
    }
}

/// What [`Aws::fetch_snapshot`] found.
// The snapshot is built once per event and moved straight to the caller; boxing it would only
// add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// The function (or its alias or version) exists; its state as read.
    Found(FunctionSnapshot),
    /// `GetFunctionConfiguration`, `ListTags` or `GetFunctionConcurrency` answered
    /// `ResourceNotFoundException`: the function, or the alias or version the ARN names, was
    /// deleted between the event and the read. Nothing to evaluate.
    Gone,
}

/// The Lambda reads [`Aws::fetch_snapshot`] sends for every function, alias or version (with
/// [`Reads::ALL`]; [`Aws::fetch_snapshot_of`] sends only those its [`Reads`] name), in
/// the order their results are checked: the configuration, the tags, the reserved
/// concurrency, the policy, the URL, the event invoke configuration and the code signing
/// configuration. [`Aws::fetch_listed_snapshot`] sends all but the first.
pub const SNAPSHOT_READS: [&str; 7] = [
    "GetFunctionConfiguration",
    "ListTags",
    "GetFunctionConcurrency",
    "GetPolicy",
    "GetFunctionUrlConfig",
    "GetFunctionEventInvokeConfig",
    "GetFunctionCodeSigningConfig",
];

impl Aws {
    /// Reads the live state of `arn` in two steps: the configuration, tags, reserved
    /// concurrency, policy and URL reads concurrently; then, once the configuration is known,
    /// the execution role's IAM reads ([`Aws::fetch_execution_role`]) together with the event
    /// invoke and code signing configurations, each only where the configuration leaves it
    /// relevant ([`Reads::given`]: no `GetFunctionEventInvokeConfig` for a function with a
    /// dead-letter queue, no `GetFunctionCodeSigningConfig` for a container image). At most
    /// the seven Lambda reads of [`SNAPSHOT_READS`], in two round trips, plus the role's.
    /// When this process has read the function before, the role it had then is read in the
    /// first step already, and that answer is used only if the configuration read now names
    /// the same role (otherwise the role it names is read in the second step): a warm
    /// function's event saves a round trip, and every part judged is still read for it.
    ///
    /// - `GetFunctionConfiguration` (`FunctionName` = the unqualified ARN, `Qualifier` = the
    ///   ARN's qualifier when it has one) for existence and the configuration
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html>;
    ///   unlike `GetFunction` it returns no link to download the code).
    ///   `ResourceNotFoundException` gives [`Fetched::Gone`]. An `Environment.Error` (variables
    ///   Lambda could not decrypt) makes the variables `Unreadable`.
    /// - `ListTags` (`Resource` = the unqualified function ARN: tags belong to the function,
    ///   not to its aliases or versions) for the tags
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_ListTags.html>).
    /// - `GetFunctionConcurrency` (`FunctionName` = the unqualified ARN: reserved concurrency
    ///   is the function's) for `ReservedConcurrentExecutions`
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConcurrency.html>).
    ///   Access denied makes the configuration `Unreadable` (its reserved concurrency is part
    ///   of it): the configuration is unverified, never taken as "no reserved concurrency".
    /// - `GetPolicy` (same `FunctionName` and `Qualifier`) for the resource-based policy and its
    ///   `RevisionId` (<https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>).
    ///   `ResourceNotFoundException` means the function has no policy: `Read { value: None }`.
    /// - `GetFunctionUrlConfig` (same `FunctionName` and `Qualifier`) for the URL's `AuthType`
    ///   and `Cors` (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>).
    ///   `ResourceNotFoundException` means no URL: `Read { value: None }`.
    /// - `GetFunctionEventInvokeConfig` (same `FunctionName` and `Qualifier`)
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionEventInvokeConfig.html>).
    ///   `ResourceNotFoundException` means none is configured: `Read { value: None }`.
    /// - `GetFunctionCodeSigningConfig` (`FunctionName` only: code signing is per function)
    ///   (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionCodeSigningConfig.html>).
    ///   An empty `CodeSigningConfigArn` means none.
    /// - the execution role named by the configuration's `Role`, from IAM.
    ///
    /// An access-denied answer to any read but `GetFunctionConfiguration` and `ListTags` gives
    /// `Readable::Unreadable` with the operation and the AWS error code: the part is
    /// unverified, never taken as "no policy" or "no URL" (fail closed).
    ///
    /// The snapshot's `arn` is `arn` as given (qualified when it was).
    ///
    /// # Errors
    /// An [`AwsError`] when `GetFunctionConfiguration` or `ListTags` fails other than with
    /// `ResourceNotFoundException` (including `AccessDeniedException`, whose error names the
    /// refused operation: the caller decides, e.g. with an all-unverified snapshot), or when
    /// another read fails with anything but not-found or access-denied (throttling, 5xx, no
    /// response).
    pub async fn fetch_snapshot(&self, arn: &FunctionArn) -> Result<Fetched, AwsError> {
        self.fetch_snapshot_of(arn, Reads::ALL).await
    }

    /// As [`Aws::fetch_snapshot`], reading only the parts `reads` names (the configuration
    /// and the tags always; [`Reads::for_rules`] gives the parts the enabled rules need, and
    /// [`Reads::given`] drops those the configuration makes moot). A part not read is
    /// [`Readable::NotRead`] and costs no call.
    ///
    /// # Errors
    /// As [`Aws::fetch_snapshot`].
    pub async fn fetch_snapshot_of(
        &self,
        arn: &FunctionArn,
        reads: Reads,
    ) -> Result<Fetched, AwsError> {
        // On the heap: seven joined SDK futures are large, and a handler's future holds this
        // one across several awaits.
        Box::pin(self.fetch(arn, None, None, reads)).await
    }

    /// As [`Aws::fetch_snapshot`] for a function `ListFunctions` has just listed, with the
    /// configuration it listed (the same `FunctionConfiguration` shape,
    /// <https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html>): no
    /// `GetFunctionConfiguration`, and no `ListTags` when `tags` are given (read in bulk,
    /// [`Aws::function_tags`]). `ListTags` answering `ResourceNotFoundException` (the
    /// function was deleted since the listing) gives [`Fetched::Gone`]; with `tags` given, a
    /// function deleted since the listing is evaluated as listed (`GetPolicy`,
    /// `GetFunctionUrlConfig` and `GetFunctionEventInvokeConfig` answer not-found for a
    /// missing function and for a missing part alike).
    ///
    /// # Errors
    /// As [`Aws::fetch_snapshot`].
    pub async fn fetch_listed_snapshot(
        &self,
        listed: &ListedFunction,
        tags: Option<&BTreeMap<String, String>>,
        reads: Reads,
    ) -> Result<Fetched, AwsError> {
        let reads = reads.given(&listed.configuration);
        Box::pin(self.fetch(&listed.arn, Some(&listed.configuration), tags, reads)).await
    }

    /// What the alias or published version `target` has of its own that an enabled rule
    /// reads: `GetPolicy` (when `reads.policy`) and, for an alias, `GetFunctionUrlConfig`
    /// (when `reads.url`; a published version cannot have a URL,
    /// <https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunctionUrlConfig.html>,
    /// `Qualifier` is an alias name), sent concurrently, both with `Qualifier`. A part not
    /// asked is [`Readable::NotRead`]; a refused one `Unreadable`.
    ///
    /// # Errors
    /// An [`AwsError`] for any failure but not-found and access-denied.
    pub async fn own_parts(
        &self,
        target: &QualifiedTarget,
        reads: Reads,
    ) -> Result<OwnParts, AwsError> {
        let name = target.arn.unqualified().to_string();
        let qualifier = target.arn.qualifier.as_ref().map(|q| q.as_str().to_owned());
        let resource_arn = target.arn.to_string();
        let (policy, url) = tokio::join!(
            when(
                reads.policy,
                self.lambda
                    .get_policy()
                    .function_name(&name)
                    .set_qualifier(qualifier.clone())
                    .send()
            ),
            when(
                reads.url && target.alias,
                self.lambda
                    .get_function_url_config()
                    .function_name(&name)
                    .set_qualifier(qualifier.clone())
                    .send()
            ),
        );
        Ok(OwnParts {
            policy: policy_part(policy, &resource_arn)?,
            url: url_part(url, &resource_arn)?,
        })
    }

    /// As [`Aws::fetch_snapshot_of`] for the alias or published version `target`, with its
    /// function's `tags` (tags are the function's, not a qualifier's:
    /// <https://docs.aws.amazon.com/lambda/latest/api/API_ListTags.html>), so no `ListTags`;
    /// with its policy and URL as [`Aws::own_parts`] read them, so neither is read again; and
    /// no `GetFunctionConfiguration` when the listings carried its configuration.
    ///
    /// # Errors
    /// As [`Aws::fetch_snapshot`].
    pub async fn fetch_qualified_snapshot(
        &self,
        target: &QualifiedTarget,
        tags: &BTreeMap<String, String>,
        own: OwnParts,
        reads: Reads,
    ) -> Result<Fetched, AwsError> {
        let mut reads = match &target.configuration {
            Some(c) => reads.given(c),
            None => reads,
        };
        reads.policy = false;
        reads.url = false;
        let fetched = Box::pin(self.fetch(
            &target.arn,
            target.configuration.as_ref(),
            Some(tags),
            reads,
        ))
        .await?;
        Ok(match fetched {
            Fetched::Found(mut s) => {
                s.policy = own.policy;
                s.url = own.url;
                Fetched::Found(s)
            }
            Fetched::Gone => Fetched::Gone,
        })
    }

    async fn fetch(
        &self,
        arn: &FunctionArn,
        listed: Option<&FunctionConfiguration>,
        known_tags: Option<&BTreeMap<String, String>>,
        reads: Reads,
    ) -> Result<Fetched, AwsError> {
        let function_name = arn.unqualified().to_string();
        let qualifier = arn.qualifier.as_ref().map(|q| q.as_str().to_owned());
        let resource_arn = arn.to_string();

        let get_configuration = async {
            match listed {
                Some(_) => None,
                None => Some(
                    self.lambda
                        .get_function_configuration()
                        .function_name(&function_name)
                        .set_qualifier(qualifier.clone())
                        .send()
                        .await,
                ),
            }
        };
        let list_tags = when(
            known_tags.is_none(),
            self.lambda.list_tags().resource(&function_name).send(),
        );
        let get_concurrency = when(
            reads.concurrency,
            self.lambda
                .get_function_concurrency()
                .function_name(&function_name)
                .send(),
        );
        let get_policy = when(
            reads.policy,
            self.lambda
                .get_policy()
                .function_name(&function_name)
                .set_qualifier(qualifier.clone())
                .send(),
        );
        let get_url = when(
            reads.url,
            self.lambda
                .get_function_url_config()
                .function_name(&function_name)
                .set_qualifier(qualifier.clone())
                .send(),
        );
        // The event invoke and code signing configurations are read only when the
        // configuration does not make them moot (`Reads::given`). A listed configuration is
        // known now; otherwise both wait for it and go out with the execution role's reads,
        // which wait for it anyway: fewer calls, no extra round trip.
        let early = listed.is_some();
        let get_invoke = || {
            self.lambda
                .get_function_event_invoke_config()
                .function_name(&function_name)
                .set_qualifier(qualifier.clone())
                .send()
        };
        let get_signing = || {
            self.lambda
                .get_function_code_signing_config()
                .function_name(&function_name)
                .send()
        };
        // The execution role named the last time this process read this function: its reads
        // go out with the first ones, and their answer is used only when the configuration
        // read now names the same role (so every part judged is still read for this event).
        let guess = match listed {
            None if reads.execution_role => self.remembered_role(&resource_arn),
            _ => None,
        };
        let prefetch = when(
            guess.is_some(),
            Box::pin(async {
                match guess.as_deref() {
                    Some(role_arn) => self.fetch_execution_role(role_arn).await,
                    None => Ok(Readable::NotRead),
                }
            }),
        );
        let (configuration, tags, concurrency, policy, url, invoke, signing, prefetched) = tokio::join!(
            get_configuration,
            list_tags,
            get_concurrency,
            get_policy,
            get_url,
            when(early && reads.event_invoke_config, get_invoke()),
            when(early && reads.code_signing, get_signing()),
            prefetch
        );

        let mut configuration = match (listed, configuration) {
            (Some(listed), _) => listed.clone(),
            (None, Some(Ok(out))) => {
                configuration_of(config_parts!(out), "GetFunctionConfiguration")
            }
            (None, Some(Err(err))) => {
                let err = AwsError::from_sdk("GetFunctionConfiguration", &resource_arn, &err);
                return match err.kind {
                    FailureKind::NotFound => Ok(Fetched::Gone),
                    _ => Err(err),
                };
            }
            // Only a listed configuration skips the read.
            (None, None) => FunctionConfiguration::default(),
        };

        let tags: BTreeMap<String, String> = match tags {
            None => known_tags.cloned().unwrap_or_default(),
            Some(Ok(out)) => out
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            Some(Err(err)) => {
                let err = AwsError::from_sdk("ListTags", &resource_arn, &err);
                return match err.kind {
                    FailureKind::NotFound => Ok(Fetched::Gone),
                    _ => Err(err),
                };
            }
        };

        let concurrency_refused = match concurrency {
            None => None,
            Some(Ok(out)) => {
                configuration.reserved_concurrent_executions = out.reserved_concurrent_executions();
                None
            }
            Some(Err(err)) => {
                let err = AwsError::from_sdk("GetFunctionConcurrency", &resource_arn, &err);
                match err.kind {
                    FailureKind::NotFound => return Ok(Fetched::Gone),
                    FailureKind::AccessDenied => Some(Readable::Unreadable {
                        operation: err.operation.to_owned(),
                        error_code: err.code,
                    }),
                    _ => return Err(err),
                }
            }
        };

        let policy = policy_part(policy, &resource_arn)?;
        let url = url_part(url, &resource_arn)?;

        let later = reads.given(&configuration);
        let role_arn = configuration
            .role
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        let prefetched = match (prefetched, guess.as_deref()) {
            (Some(read), Some(guess)) if role_arn.as_deref() == Some(guess) => Some(read),
            _ => None,
        };
        if listed.is_none() {
            if let Some(role_arn) = &role_arn {
                self.remember_role(&resource_arn, role_arn);
            }
        }
        let (later_invoke, later_signing, execution_role) = tokio::join!(
            when(!early && later.event_invoke_config, get_invoke()),
            when(!early && later.code_signing, get_signing()),
            // On the heap: the role's reads are a deep future of their own, joined here
            // with two SDK futures.
            Box::pin(async {
                match (role_arn.as_deref(), prefetched) {
                    _ if !reads.execution_role => Ok(Readable::NotRead),
                    (Some(_), Some(read)) => read,
                    (Some(role_arn), None) => self.fetch_execution_role(role_arn).await,
                    (None, _) => Ok(Readable::read(None)),
                }
            })
        );
        let invoke = invoke.or(later_invoke);
        let signing = signing.or(later_signing);

        let event_invoke_config = match invoke {
            None => Readable::NotRead,
            Some(Ok(out)) => Readable::read(Some(EventInvokeConfig {
                on_failure_destination: out
                    .destination_config()
                    .and_then(|d| d.on_failure())
                    .and_then(|f| f.destination())
                    .map(str::to_owned),
                on_success_destination: out
                    .destination_config()
                    .and_then(|d| d.on_success())
                    .and_then(|f| f.destination())
                    .map(str::to_owned),
                maximum_retry_attempts: out.maximum_retry_attempts(),
                maximum_event_age_in_seconds: out.maximum_event_age_in_seconds(),
            })),
            Some(Err(err)) => optional_part(AwsError::from_sdk(
                "GetFunctionEventInvokeConfig",
                &resource_arn,
                &err,
            ))?,
        };

        let code_signing_config_arn = match signing {
            None => Readable::NotRead,
            Some(Ok(out)) => Readable::read(
                Some(out.code_signing_config_arn())
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned),
            ),
            Some(Err(err)) => optional_part(AwsError::from_sdk(
                "GetFunctionCodeSigningConfig",
                &resource_arn,
                &err,
            ))?,
        };

        let execution_role = execution_role?;

        Ok(Fetched::Found(FunctionSnapshot {
            arn: arn.clone(),
            tags,
            policy,
            url,
            configuration: concurrency_refused.unwrap_or(Readable::read(configuration)),
            event_invoke_config,
            code_signing_config_arn,
            execution_role,
        }))
    }

    /// Reads the resource-based policy of layer version `arn` with `GetLayerVersionPolicy`
    /// (`LayerName` = the layer ARN, `VersionNumber`)
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersionPolicy.html>): one
    /// read. Its `ResourceNotFoundException` means either that the version has no policy or
    /// that the version does not exist, so `GetLayerVersion`
    /// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersion.html>) tells them
    /// apart (a second read, only then): `None` when the version does not exist (deleted
    /// since the event), else the snapshot with `Read(None)`. Access denied on the policy gives
    /// `Unreadable`; access denied on `GetLayerVersion` leaves `Read(None)` (either way no
    /// statement grants anything).
    ///
    /// # Errors
    /// An [`AwsError`] for throttling, transient failures and other errors.
    pub async fn fetch_layer(
        &self,
        arn: &LayerVersionArn,
    ) -> Result<Option<LayerSnapshot>, AwsError> {
        let resource_arn = arn.to_string();
        let version = i64::try_from(arn.version).unwrap_or(i64::MAX);
        let policy = match self
            .lambda
            .get_layer_version_policy()
            .layer_name(arn.layer_arn())
            .version_number(version)
            .send()
            .await
        {
            Ok(out) => Readable::read(out.policy().map(|json| PolicyDocument {
                json: json.to_owned(),
                revision_id: out.revision_id().map(str::to_owned),
            })),
            Err(err) => {
                let err = AwsError::from_sdk("GetLayerVersionPolicy", &resource_arn, &err);
                if err.kind == FailureKind::NotFound
                    && !self
                        .layer_version_exists(arn, version, &resource_arn)
                        .await?
                {
                    return Ok(None);
                }
                optional_part(err)?
            }
        };
        Ok(Some(LayerSnapshot {
            arn: arn.clone(),
            policy,
        }))
    }

    /// Whether layer version `arn` (`version`, and `resource_arn` its ARN as text, as
    /// [`Aws::fetch_layer`] computed them) exists (`GetLayerVersion`): `false` only on
    /// `ResourceNotFoundException`; `true` also when the read is refused.
    ///
    /// # Errors
    /// An [`AwsError`] for throttling, transient failures and other errors.
    async fn layer_version_exists(
        &self,
        arn: &LayerVersionArn,
        version: i64,
        resource_arn: &str,
    ) -> Result<bool, AwsError> {
        match self
            .lambda
            .get_layer_version()
            .layer_name(arn.layer_arn())
            .version_number(version)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) => {
                let err = AwsError::from_sdk("GetLayerVersion", resource_arn, &err);
                match err.kind {
                    FailureKind::NotFound => Ok(false),
                    FailureKind::AccessDenied => Ok(true),
                    _ => Err(err),
                }
            }
        }
    }
}

/// The rules' view of a function's configuration, as `operation` (`GetFunctionConfiguration`
/// or `ListFunctions`) answered it; `reserved_concurrent_executions` is left `None` (it comes
/// from `GetFunctionConcurrency`). Environment values are wrapped in [`Redacted`] at once, so
/// no log or debug output of the snapshot shows them.
pub(crate) fn configuration_of(c: ConfigParts<'_>, operation: &str) -> FunctionConfiguration {
    let environment = match c.environment {
        Some(env) => match env.error() {
            Some(e) => Readable::Unreadable {
                operation: operation.to_owned(),
                error_code: e.error_code().unwrap_or("EnvironmentError").to_owned(),
            },
            None => Readable::read(
                env.variables()
                    .map(|vars| {
                        vars.iter()
                            .map(|(k, v)| (k.clone(), Redacted::new(v.as_str())))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
        },
        None => Readable::read(BTreeMap::new()),
    };
    let vpc = c
        .vpc_config
        .filter(|v| !v.subnet_ids().is_empty())
        .map(|v| VpcConfig {
            subnet_ids: v.subnet_ids().to_vec(),
            security_group_ids: v.security_group_ids().to_vec(),
            vpc_id: v.vpc_id().filter(|id| !id.is_empty()).map(str::to_owned),
        });
    FunctionConfiguration {
        runtime: c.runtime.map(|r| r.as_str().to_owned()),
        package_type: PackageType::parse(c.package_type.map(|p| p.as_str())),
        role: c.role.map(str::to_owned),
        kms_key_arn: c.kms_key_arn.filter(|k| !k.is_empty()).map(str::to_owned),
        environment,
        tracing_mode: TracingMode::parse(
            c.tracing_config.and_then(|t| t.mode()).map(|m| m.as_str()),
        ),
        dead_letter_target_arn: c
            .dead_letter_config
            .and_then(|d| d.target_arn())
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        vpc,
        layers: c
            .layers
            .iter()
            .filter_map(|l| l.arn().map(str::to_owned))
            .collect(),
        architectures: c
            .architectures
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        reserved_concurrent_executions: None,
        last_modified: c
            .last_modified
            .and_then(warden_rules::state::parse_last_modified),
    }
}

/// The most functions whose execution role [`Aws::remember_role`] keeps; past it the map is
/// emptied and refilled.
const MAX_REMEMBERED_ROLES: usize = 4096;

impl Aws {
    /// The execution role ARN `function_arn` (as read, qualified or not) had when this adapter
    /// last read its configuration: only a guess of which role to start reading early, never
    /// a fact judged.
    fn remembered_role(&self, function_arn: &str) -> Option<String> {
        self.roles_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(function_arn)
            .cloned()
    }

    fn remember_role(&self, function_arn: &str, role_arn: &str) {
        let mut seen = self
            .roles_seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.get(function_arn).map(String::as_str) == Some(role_arn) {
            return;
        }
        crate::role::insert_bounded(
            &mut seen,
            MAX_REMEMBERED_ROLES,
            function_arn.to_owned(),
            role_arn.to_owned(),
        );
    }
}

/// Runs `read` only when `wanted`: `None` otherwise, without a request (an SDK `send()` future
/// sends nothing until it is polled).
pub(crate) async fn when<F: std::future::Future>(wanted: bool, read: F) -> Option<F::Output> {
    if wanted {
        Some(read.await)
    } else {
        None
    }
}

type PolicyAnswer = Result<
    aws_sdk_lambda::operation::get_policy::GetPolicyOutput,
    aws_sdk_lambda::error::SdkError<aws_sdk_lambda::operation::get_policy::GetPolicyError>,
>;
type UrlAnswer = Result<
    aws_sdk_lambda::operation::get_function_url_config::GetFunctionUrlConfigOutput,
    aws_sdk_lambda::error::SdkError<
        aws_sdk_lambda::operation::get_function_url_config::GetFunctionUrlConfigError,
    >,
>;

/// The policy a `GetPolicy` answer gives (`None`: not asked); not found is "no policy".
fn policy_part(
    answer: Option<PolicyAnswer>,
    resource_arn: &str,
) -> Result<Readable<Option<PolicyDocument>>, AwsError> {
    match answer {
        None => Ok(Readable::NotRead),
        Some(Ok(out)) => Ok(Readable::read(out.policy().map(|json| PolicyDocument {
            json: json.to_owned(),
            revision_id: out.revision_id().map(str::to_owned),
        }))),
        Some(Err(err)) => optional_part(AwsError::from_sdk("GetPolicy", resource_arn, &err)),
    }
}

/// The URL a `GetFunctionUrlConfig` answer gives (`None`: not asked); not found is "no URL".
fn url_part(
    answer: Option<UrlAnswer>,
    resource_arn: &str,
) -> Result<Readable<Option<FunctionUrlConfig>>, AwsError> {
    match answer {
        None => Ok(Readable::NotRead),
        Some(Ok(out)) => Ok(Readable::read(Some(FunctionUrlConfig {
            function_url: out.function_url().to_owned(),
            auth_type: FunctionUrlAuthType::parse(out.auth_type().as_str()),
            cors: out.cors().map(|c| Cors {
                allow_origins: c.allow_origins().to_vec(),
                allow_credentials: c.allow_credentials(),
                allow_methods: c.allow_methods().to_vec(),
            }),
        }))),
        Some(Err(err)) => optional_part(AwsError::from_sdk(
            "GetFunctionUrlConfig",
            resource_arn,
            &err,
        )),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_or_version_is_judged_when_it_has_a_part_or_one_was_refused() {
        fn refused<T>() -> Readable<T> {
            Readable::Unreadable {
                operation: "GetPolicy".to_owned(),
                error_code: "AccessDeniedException".to_owned(),
            }
        }
        let policy = Readable::read(Some(PolicyDocument {
            json: "{}".to_owned(),
            revision_id: None,
        }));
        let parts = |policy, url| OwnParts { policy, url };
        assert!(!parts(Readable::read(None), Readable::read(None)).any());
        assert!(!parts(Readable::read(None), Readable::NotRead).any());
        assert!(!parts(Readable::NotRead, Readable::NotRead).any());
        assert!(parts(policy, Readable::NotRead).any());
        assert!(parts(refused(), Readable::read(None)).any());
        assert!(parts(Readable::read(None), refused()).any());
    }
}

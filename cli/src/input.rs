//! Reading the command line's input files: a resource-based policy, a function snapshot, an
//! event, an audit record, a list of accounts. Every error names the file and the field.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;
use thiserror::Error;
use warden_rules::ids::{AccountId, FunctionArn, IdError};
use warden_rules::report::AuditRecord;
use warden_rules::snapshot::{
    AttachedPolicy, Cors, EventInvokeConfig, ExecutionRole, FunctionConfiguration,
    FunctionSnapshot, FunctionUrlAuthType, FunctionUrlConfig, InlinePolicy, PackageType,
    PolicyDocument, Readable, Redacted, TracingMode, VpcConfig,
};

/// The largest input file read, in bytes (16 MiB): far above any policy (20 KB), function
/// description or audit record, and small enough that a wrong file cannot exhaust memory.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The error code recorded for a snapshot part the input did not provide (the part is
/// unverified, never taken as absent).
pub const NOT_PROVIDED: &str = "NotProvided";

/// An input that could not be used.
#[derive(Debug, Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file (`-` for standard input).
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_INPUT_BYTES`].
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file is not JSON.
    #[error("{path}: not JSON: {source}")]
    NotJson {
        /// The file.
        path: String,
        /// The parser's error (with line and column).
        source: serde_json::Error,
    },
    /// A field is missing or has the wrong shape.
    #[error("{path}: {field} must be {expected}, found {found}")]
    Field {
        /// The file.
        path: String,
        /// The JSON path of the field, e.g. `Configuration.FunctionArn`.
        field: String,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: String,
    },
    /// An object names the same key twice. JSON leaves the meaning of such an object open
    /// (names "SHOULD be unique"; parsers differ in which value they keep:
    /// <https://www.rfc-editor.org/rfc/rfc8259#section-4>), so the input is refused rather
    /// than read one way here and another way by AWS.
    #[error("{path}: {field}: the key {key:?} appears more than once in the same object")]
    DuplicateKey {
        /// The file.
        path: String,
        /// The JSON path of the repeated key, e.g. `Configuration.Runtime` or
        /// `Statement[0].Effect`; inside a document given as a JSON string, the field holding
        /// the string, `->`, and the path within it (`Policy -> Statement[0].Effect`).
        field: String,
        /// The key.
        key: String,
    },
    /// An identifier (account id, function ARN) of the wrong shape.
    #[error("{path}: {field}: {source}")]
    Id {
        /// The file.
        path: String,
        /// The JSON path of the field, or `line N` in an accounts file.
        field: String,
        /// What is wrong with it.
        source: IdError,
    },
}

/// Reads `path` (`-`: standard input) as text, at most [`MAX_INPUT_BYTES`].
///
/// # Errors
/// [`InputError::Read`] or [`InputError::TooLarge`].
pub fn read_text(path: &str) -> Result<String, InputError> {
    let read_err = |source| InputError::Read {
        path: path.to_owned(),
        source,
    };
    let mut text = String::new();
    let limit = MAX_INPUT_BYTES + 1;
    if path == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_string(&mut text)
            .map_err(read_err)?;
    } else {
        std::fs::File::open(path)
            .map_err(read_err)?
            .take(limit)
            .read_to_string(&mut text)
            .map_err(read_err)?;
    }
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            path: path.to_owned(),
            limit: MAX_INPUT_BYTES,
        });
    }
    Ok(text)
}

/// Reads `path` as one JSON value.
///
/// # Errors
/// As [`read_text`], [`InputError::NotJson`], or [`InputError::DuplicateKey`] when an object
/// anywhere in the document names a key twice.
pub fn read_json(path: &str) -> Result<Value, InputError> {
    let text = read_text(path)?;
    parse_json(path, &text)
}

/// Parses `text` (the contents of `path`) as one JSON value whose objects name each key once.
///
/// # Errors
/// [`InputError::NotJson`], or [`InputError::DuplicateKey`] naming the JSON path of the first
/// repeated key.
pub fn parse_json(path: &str, text: &str) -> Result<Value, InputError> {
    let value = serde_json::from_str(text).map_err(|source| InputError::NotJson {
        path: path.to_owned(),
        source,
    })?;
    unique_keys(text).map_err(|(field, key)| InputError::DuplicateKey {
        path: path.to_owned(),
        field,
        key,
    })?;
    Ok(value)
}

/// The first repeated key of `text` (a JSON document), as (JSON path, key); `Ok` when every
/// object names each key once, or when `text` is not JSON (the parser reports that).
fn unique_keys(text: &str) -> Result<(), (String, String)> {
    use serde::de::DeserializeSeed;
    let found = std::cell::RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = UniqueKeys {
        path: String::new(),
        found: &found,
    };
    match seed.deserialize(&mut de) {
        Ok(()) => Ok(()),
        Err(_) => found.into_inner().map_or(Ok(()), Err),
    }
}

/// A nested document's [`unique_keys`] check, naming `field` (the field holding the JSON
/// string) in the path.
fn unique_keys_in(doc: &Doc<'_>, field: &str, text: &str) -> Result<(), InputError> {
    unique_keys(text).map_err(|(inner, key)| InputError::DuplicateKey {
        path: doc.path.to_owned(),
        field: format!("{field} -> {inner}"),
        key,
    })
}

/// Walks a JSON document (through serde's data model, so nothing is built) and records the
/// first key an object names twice in `found`, with its path; the walk then stops with an
/// error.
struct UniqueKeys<'a> {
    /// The JSON path of the value walked (empty for the document itself).
    path: String,
    /// Where the first repeated key is recorded.
    found: &'a std::cell::RefCell<Option<(String, String)>>,
}

impl UniqueKeys<'_> {
    fn at(&self, step: &str) -> String {
        match (self.path.is_empty(), step.starts_with('[')) {
            (true, _) | (false, true) => format!("{}{step}", self.path),
            (false, false) => format!("{}.{step}", self.path),
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(UniqueKeys {
                path: self.at(&format!("[{i}]")),
                found: self.found,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = self.at(&key);
            if !seen.insert(key.clone()) {
                *self.found.borrow_mut() = Some((path, key));
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(UniqueKeys {
                path,
                found: self.found,
            })?;
        }
        Ok(())
    }
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {:?}", excerpt(s)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

fn excerpt(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_owned(),
    }
}

/// Helpers naming the file in every error.
struct Doc<'a> {
    path: &'a str,
}

impl Doc<'_> {
    fn field(&self, field: &str, expected: &'static str, found: &Value) -> InputError {
        InputError::Field {
            path: self.path.to_owned(),
            field: field.to_owned(),
            expected,
            found: kind(found),
        }
    }

    fn missing(&self, field: &str, expected: &'static str) -> InputError {
        InputError::Field {
            path: self.path.to_owned(),
            field: field.to_owned(),
            expected,
            found: "nothing".to_owned(),
        }
    }

    fn string<'v>(&self, v: &'v Value, field: &str) -> Result<&'v str, InputError> {
        v.as_str().ok_or_else(|| self.field(field, "a string", v))
    }

    fn strings(&self, v: Option<&Value>, field: &str) -> Result<Vec<String>, InputError> {
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    self.string(item, &format!("{field}[{i}]"))
                        .map(str::to_owned)
                })
                .collect(),
            Some(other) => Err(self.field(field, "a list of strings", other)),
        }
    }
}

/// The resource-based policy in a `check-policy` input: the output of `aws lambda get-policy`
/// (`{"Policy": "<document as a JSON string>", "RevisionId": "..."}`), the policy document
/// itself (an object with `Statement`), or an object with either under `Policy` (such as the
/// `evaluate` input). Returns the document as JSON text.
///
/// # Errors
/// [`InputError::Field`] when the value is neither shape; [`InputError::DuplicateKey`] when
/// a document given as a JSON string names a key twice in one object.
pub fn policy_document(path: &str, value: &Value) -> Result<String, InputError> {
    let doc = Doc { path };
    match value.get("Policy") {
        Some(Value::String(text)) => {
            unique_keys_in(&doc, "Policy", text)?;
            Ok(text.clone())
        }
        // The `evaluate` input carries get-policy's output under "Policy"; a document may too.
        Some(inner @ Value::Object(_)) => policy_document(path, inner),
        Some(other) => Err(doc.field("Policy", "the policy document as a JSON string", other)),
        None if value.get("Statement").is_some() => Ok(value.to_string()),
        None => Err(doc.field(
            "$",
            "get-policy output ({\"Policy\": ...}) or a policy document ({\"Statement\": ...})",
            value,
        )),
    }
}

/// Converts the `evaluate` input into a snapshot: the one place where a function described in
/// the AWS CLI's JSON becomes a [`FunctionSnapshot`] (a part the snapshot gains is read here).
///
/// Shape (the AWS CLI's outputs, field names as AWS spells them; every key but
/// `Configuration` is optional):
///
/// ```json
/// {
///   "Configuration": {
///     "FunctionArn": "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]",
///     "Runtime": "python3.13", "PackageType": "Zip", "Role": "arn:aws:iam::ACCOUNT:role/NAME",
///     "KMSKeyArn": "arn:aws:kms:...", "Environment": { "Variables": { "KEY": "VALUE" } },
///     "TracingConfig": { "Mode": "Active" }, "DeadLetterConfig": { "TargetArn": "arn:aws:sqs:..." },
///     "VpcConfig": { "SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"], "VpcId": "vpc-1" },
///     "Layers": [{ "Arn": "arn:aws:lambda:REGION:ACCOUNT:layer:NAME:1" }], "Architectures": ["arm64"]
///   },
///   "Tags": { "KEY": "VALUE" },
///   "Concurrency": { "ReservedConcurrentExecutions": 5 },
///   "Policy": { "Policy": "<document>", "RevisionId": "..." },
///   "FunctionUrlConfig": { "FunctionUrl": "https://...", "AuthType": "NONE", "Cors": { "AllowOrigins": ["*"] } },
///   "EventInvokeConfig": { "DestinationConfig": { "OnFailure": { "Destination": "arn:aws:sqs:..." } },
///                          "MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600 },
///   "CodeSigningConfigArn": "arn:aws:lambda:REGION:ACCOUNT:code-signing-config:csc-...",
///   "ExecutionRole": {
///     "Role": { "RoleName": "NAME", "Arn": "arn:aws:iam::ACCOUNT:role/NAME", "AssumeRolePolicyDocument": { ... } },
///     "AttachedPolicies": [{ "PolicyName": "P", "PolicyArn": "arn:aws:iam::aws:policy/P", "Document": { ... } }],
///     "RolePolicies": [{ "PolicyName": "inline", "PolicyDocument": { ... } }]
///   }
/// }
/// ```
///
/// `Configuration`, `Tags` and `Concurrency` are `aws lambda get-function`'s output
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html#API_GetFunction_ResponseSyntax>).
/// The other parts are put beside them: `Policy` is `aws lambda get-policy`'s output (or the
/// document itself; <https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>),
/// `FunctionUrlConfig` `aws lambda get-function-url-config`'s
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>),
/// `EventInvokeConfig` `aws lambda get-function-event-invoke-config`'s
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionEventInvokeConfig.html>),
/// `CodeSigningConfigArn` the field of `aws lambda get-function-code-signing-config`'s output
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionCodeSigningConfig.html>).
/// `ExecutionRole` describes the role named by `Configuration.Role`: `Role` is
/// `aws iam get-role`'s `Role` (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html>),
/// `AttachedPolicies` the entries of `aws iam list-attached-role-policies`, each with the
/// `Document` of its default version (`aws iam get-policy-version`'s `PolicyVersion.Document`,
/// <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html>), and
/// `RolePolicies` the outputs of `aws iam get-role-policy` for each inline policy
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html>). Policy
/// documents may be JSON objects (as the AWS CLI prints them) or strings (JSON, or URL-encoded
/// as the IAM API returns them).
///
/// Every optional part follows one rule: `null` means the function has none (no policy, no
/// URL, no event invoke configuration, no code signing configuration, a deleted execution
/// role, no attached or inline policies); a part that is left out was not read, and is recorded
/// as unreadable with error code [`NOT_PROVIDED`] (so LW006 reports it), never as absent. The
/// same holds inside `ExecutionRole` for `AttachedPolicies`, `RolePolicies` and each policy's
/// document. A configuration without `Role` has no execution role to read. Within
/// `Configuration`, fields keep `get-function`'s own meaning: a field left out is the AWS
/// default (no variables, `PassThrough` tracing, no VPC, no layers, `Zip`); an
/// `Environment.Error` (variables Lambda could not decrypt) makes the variables unverified.
/// Environment variable values are wrapped in [`Redacted`] at once.
///
/// # Errors
/// [`InputError::Field`] or [`InputError::Id`] naming the field.
pub fn snapshot_from_get_function(
    path: &str,
    value: &Value,
) -> Result<FunctionSnapshot, InputError> {
    let doc = Doc { path };
    let Value::Object(top) = value else {
        return Err(doc.field("$", "an object (aws lambda get-function output)", value));
    };
    let configuration = top
        .get("Configuration")
        .ok_or_else(|| doc.missing("Configuration", "an object"))?;
    let arn_text = doc.string(
        configuration
            .get("FunctionArn")
            .ok_or_else(|| doc.missing("Configuration.FunctionArn", "a function ARN"))?,
        "Configuration.FunctionArn",
    )?;
    let arn = FunctionArn::parse(arn_text).map_err(|source| InputError::Id {
        path: path.to_owned(),
        field: "Configuration.FunctionArn".to_owned(),
        source,
    })?;

    let tags = match top.get("Tags") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), doc.string(v, &format!("Tags.{k}"))?.to_owned())))
            .collect::<Result<_, InputError>>()?,
        Some(other) => return Err(doc.field("Tags", "an object of strings", other)),
    };

    let configuration = doc.configuration(configuration, top.get("Concurrency"))?;
    let execution_role = match (top.get("ExecutionRole"), configuration.role.as_deref()) {
        (None, None | Some("")) => Readable::read(None),
        (None, Some(_)) => not_provided("GetRole"),
        (Some(Value::Null), _) => Readable::read(None),
        (Some(v), role_arn) => Readable::read(Some(doc.execution_role(v, role_arn)?)),
    };

    Ok(FunctionSnapshot {
        tags,
        policy: doc.policy(top.get("Policy"))?,
        url: doc.url(top.get("FunctionUrlConfig"))?,
        event_invoke_config: doc.event_invoke_config(top.get("EventInvokeConfig"))?,
        code_signing_config_arn: match top.get("CodeSigningConfigArn") {
            None => not_provided("GetFunctionCodeSigningConfig"),
            Some(Value::Null) => Readable::read(None),
            Some(v) => Readable::read(
                Some(doc.string(v, "CodeSigningConfigArn")?)
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned),
            ),
        },
        execution_role,
        configuration: Readable::read(configuration),
        ..FunctionSnapshot::empty(arn)
    })
}

impl Doc<'_> {
    /// An optional field: `None` when absent or `null`.
    fn opt_string(&self, v: Option<&Value>, field: &str) -> Result<Option<String>, InputError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => Ok(Some(self.string(v, field)?.to_owned())),
        }
    }

    /// An optional string field where `""` also means "not set" (as Lambda prints an unset
    /// `KMSKeyArn` or `VpcId`).
    fn opt_nonempty(&self, v: Option<&Value>, field: &str) -> Result<Option<String>, InputError> {
        Ok(self.opt_string(v, field)?.filter(|s| !s.is_empty()))
    }

    fn opt_i32(&self, v: Option<&Value>, field: &str) -> Result<Option<i32>, InputError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(n) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.field(field, "a 32-bit integer", n)),
        }
    }

    /// An optional object: `None` when absent or `null`.
    fn opt_object<'v>(
        &self,
        v: Option<&'v Value>,
        field: &str,
    ) -> Result<Option<&'v serde_json::Map<String, Value>>, InputError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.field(field, "an object", other)),
        }
    }

    /// A policy document: a JSON object (as the AWS CLI prints it) or a string (JSON, or
    /// URL-encoded as the IAM API returns it). Returns the JSON text.
    fn document(&self, v: &Value, field: &str) -> Result<String, InputError> {
        match v {
            Value::String(text) => {
                let text = warden_aws::role::decode_document(text);
                unique_keys_in(self, field, &text)?;
                Ok(text)
            }
            Value::Object(_) => Ok(v.to_string()),
            other => Err(self.field(field, "a policy document (an object or a string)", other)),
        }
    }

    /// `GetFunction`'s `Configuration` and `Concurrency`, as the adapter reads them.
    fn configuration(
        &self,
        c: &Value,
        concurrency: Option<&Value>,
    ) -> Result<FunctionConfiguration, InputError> {
        let Value::Object(c) = c else {
            return Err(self.field("Configuration", "an object", c));
        };
        let reserved_concurrent_executions = match self.opt_object(concurrency, "Concurrency")? {
            Some(map) => self.opt_i32(
                map.get("ReservedConcurrentExecutions"),
                "Concurrency.ReservedConcurrentExecutions",
            )?,
            None => None,
        };
        let environment = match self
            .opt_object(c.get("Environment"), "Configuration.Environment")?
        {
            None => Readable::read(BTreeMap::new()),
            Some(env) => match self
                .opt_object(env.get("Error"), "Configuration.Environment.Error")?
            {
                Some(error) => Readable::Unreadable {
                    operation: "GetFunction".to_owned(),
                    error_code: self
                        .opt_string(
                            error.get("ErrorCode"),
                            "Configuration.Environment.Error.ErrorCode",
                        )?
                        .unwrap_or_else(|| "EnvironmentError".to_owned()),
                },
                None => Readable::read(
                    match self
                        .opt_object(env.get("Variables"), "Configuration.Environment.Variables")?
                    {
                        None => BTreeMap::new(),
                        Some(vars) => vars
                            .iter()
                            .map(|(k, v)| {
                                let field = format!("Configuration.Environment.Variables.{k}");
                                Ok((k.clone(), Redacted::new(self.string(v, &field)?)))
                            })
                            .collect::<Result<_, InputError>>()?,
                    },
                ),
            },
        };
        let vpc = match self.opt_object(c.get("VpcConfig"), "Configuration.VpcConfig")? {
            None => None,
            Some(v) => {
                let subnet_ids =
                    self.strings(v.get("SubnetIds"), "Configuration.VpcConfig.SubnetIds")?;
                let security_group_ids = self.strings(
                    v.get("SecurityGroupIds"),
                    "Configuration.VpcConfig.SecurityGroupIds",
                )?;
                let vpc_id = self.opt_nonempty(v.get("VpcId"), "Configuration.VpcConfig.VpcId")?;
                // Lambda prints an empty VpcConfig for a function outside any VPC.
                (!subnet_ids.is_empty()).then_some(VpcConfig {
                    subnet_ids,
                    security_group_ids,
                    vpc_id,
                })
            }
        };
        let layers = match c.get("Layers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, layer)| {
                    let field = format!("Configuration.Layers[{i}].Arn");
                    let arn = layer
                        .get("Arn")
                        .ok_or_else(|| self.missing(&field, "a layer version ARN"))?;
                    Ok(self.string(arn, &field)?.to_owned())
                })
                .collect::<Result<_, InputError>>()?,
            Some(other) => {
                return Err(self.field("Configuration.Layers", "a list of objects with Arn", other))
            }
        };
        let tracing = self.opt_object(c.get("TracingConfig"), "Configuration.TracingConfig")?;
        let dead_letter =
            self.opt_object(c.get("DeadLetterConfig"), "Configuration.DeadLetterConfig")?;
        Ok(FunctionConfiguration {
            runtime: self.opt_string(c.get("Runtime"), "Configuration.Runtime")?,
            package_type: PackageType::parse(
                self.opt_string(c.get("PackageType"), "Configuration.PackageType")?
                    .as_deref(),
            ),
            role: self.opt_string(c.get("Role"), "Configuration.Role")?,
            kms_key_arn: self.opt_nonempty(c.get("KMSKeyArn"), "Configuration.KMSKeyArn")?,
            environment,
            tracing_mode: TracingMode::parse(
                match tracing {
                    Some(t) => {
                        self.opt_string(t.get("Mode"), "Configuration.TracingConfig.Mode")?
                    }
                    None => None,
                }
                .as_deref(),
            ),
            dead_letter_target_arn: match dead_letter {
                Some(d) => self.opt_nonempty(
                    d.get("TargetArn"),
                    "Configuration.DeadLetterConfig.TargetArn",
                )?,
                None => None,
            },
            vpc,
            layers,
            architectures: self.strings(c.get("Architectures"), "Configuration.Architectures")?,
            last_modified: self
                .opt_string(c.get("LastModified"), "Configuration.LastModified")?
                .as_deref()
                .and_then(warden_rules::state::parse_last_modified),
            reserved_concurrent_executions,
        })
    }

    /// `Policy`: get-policy's output, a policy document (object or JSON string), or `null`.
    fn policy(&self, v: Option<&Value>) -> Result<Readable<Option<PolicyDocument>>, InputError> {
        Ok(match v {
            None => not_provided("GetPolicy"),
            Some(Value::Null) => Readable::read(None),
            Some(v @ Value::Object(map)) => {
                let revision_id = self.opt_string(map.get("RevisionId"), "Policy.RevisionId")?;
                let json = match map.get("Policy") {
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => return Err(self.field("Policy.Policy", "a JSON string", other)),
                    None if map.contains_key("Statement") => v.to_string(),
                    None => {
                        return Err(
                            self.missing("Policy.Policy", "get-policy output or a policy document")
                        )
                    }
                };
                Readable::read(Some(PolicyDocument { json, revision_id }))
            }
            Some(Value::String(text)) => Readable::read(Some(PolicyDocument {
                json: text.clone(),
                revision_id: None,
            })),
            Some(other) => {
                return Err(self.field(
                    "Policy",
                    "get-policy output, a policy document or null",
                    other,
                ))
            }
        })
    }

    /// `FunctionUrlConfig`: get-function-url-config's output, or `null`.
    fn url(&self, v: Option<&Value>) -> Result<Readable<Option<FunctionUrlConfig>>, InputError> {
        let map = match v {
            None => return Ok(not_provided("GetFunctionUrlConfig")),
            Some(Value::Null) => return Ok(Readable::read(None)),
            Some(Value::Object(map)) => map,
            Some(other) => {
                return Err(self.field(
                    "FunctionUrlConfig",
                    "get-function-url-config output or null",
                    other,
                ))
            }
        };
        let function_url = self
            .string(
                map.get("FunctionUrl")
                    .ok_or_else(|| self.missing("FunctionUrlConfig.FunctionUrl", "a URL"))?,
                "FunctionUrlConfig.FunctionUrl",
            )?
            .to_owned();
        let auth_type = FunctionUrlAuthType::parse(
            self.string(
                map.get("AuthType")
                    .ok_or_else(|| self.missing("FunctionUrlConfig.AuthType", "NONE or AWS_IAM"))?,
                "FunctionUrlConfig.AuthType",
            )?,
        );
        let cors = match self.opt_object(map.get("Cors"), "FunctionUrlConfig.Cors")? {
            None => None,
            Some(c) => Some(Cors {
                allow_origins: self
                    .strings(c.get("AllowOrigins"), "FunctionUrlConfig.Cors.AllowOrigins")?,
                allow_credentials: match c.get("AllowCredentials") {
                    None | Some(Value::Null) => None,
                    Some(Value::Bool(b)) => Some(*b),
                    Some(other) => {
                        return Err(self.field(
                            "FunctionUrlConfig.Cors.AllowCredentials",
                            "a boolean",
                            other,
                        ))
                    }
                },
                allow_methods: self
                    .strings(c.get("AllowMethods"), "FunctionUrlConfig.Cors.AllowMethods")?,
            }),
        };
        Ok(Readable::read(Some(FunctionUrlConfig {
            function_url,
            auth_type,
            cors,
        })))
    }

    /// `EventInvokeConfig`: get-function-event-invoke-config's output, or `null`.
    fn event_invoke_config(
        &self,
        v: Option<&Value>,
    ) -> Result<Readable<Option<EventInvokeConfig>>, InputError> {
        let map = match v {
            None => return Ok(not_provided("GetFunctionEventInvokeConfig")),
            Some(Value::Null) => return Ok(Readable::read(None)),
            Some(Value::Object(map)) => map,
            Some(other) => {
                return Err(self.field(
                    "EventInvokeConfig",
                    "get-function-event-invoke-config output or null",
                    other,
                ))
            }
        };
        let destinations = self.opt_object(
            map.get("DestinationConfig"),
            "EventInvokeConfig.DestinationConfig",
        )?;
        let destination = |which: &str| -> Result<Option<String>, InputError> {
            let field = format!("EventInvokeConfig.DestinationConfig.{which}");
            match self.opt_object(destinations.and_then(|d| d.get(which)), &field)? {
                Some(d) => self.opt_nonempty(d.get("Destination"), &format!("{field}.Destination")),
                None => Ok(None),
            }
        };
        Ok(Readable::read(Some(EventInvokeConfig {
            on_failure_destination: destination("OnFailure")?,
            on_success_destination: destination("OnSuccess")?,
            maximum_retry_attempts: self.opt_i32(
                map.get("MaximumRetryAttempts"),
                "EventInvokeConfig.MaximumRetryAttempts",
            )?,
            maximum_event_age_in_seconds: self.opt_i32(
                map.get("MaximumEventAgeInSeconds"),
                "EventInvokeConfig.MaximumEventAgeInSeconds",
            )?,
        })))
    }

    /// `ExecutionRole` (not `null`): the role named by `Configuration.Role` (`role_arn`).
    fn execution_role(
        &self,
        v: &Value,
        role_arn: Option<&str>,
    ) -> Result<ExecutionRole, InputError> {
        let Value::Object(top) = v else {
            return Err(self.field(
                "ExecutionRole",
                "an object with Role, AttachedPolicies and RolePolicies, or null",
                v,
            ));
        };
        let role = match top.get("Role") {
            Some(Value::Object(role)) => role,
            Some(other) => return Err(self.field("ExecutionRole.Role", "an object", other)),
            None => {
                return Err(self.missing("ExecutionRole.Role", "aws iam get-role output's Role"))
            }
        };
        let arn = self
            .string(
                role.get("Arn")
                    .ok_or_else(|| self.missing("ExecutionRole.Role.Arn", "a role ARN"))?,
                "ExecutionRole.Role.Arn",
            )?
            .to_owned();
        if let Some(expected) = role_arn.filter(|r| !r.is_empty() && *r != arn) {
            return Err(InputError::Field {
                path: self.path.to_owned(),
                field: "ExecutionRole.Role.Arn".to_owned(),
                expected: "the role named by Configuration.Role",
                found: format!("{arn:?}, but Configuration.Role is {expected:?}"),
            });
        }
        let name = match role.get("RoleName") {
            None | Some(Value::Null) => warden_aws::role::role_name(&arn)
                .ok_or_else(|| self.missing("ExecutionRole.Role.RoleName", "a role name"))?
                .to_owned(),
            Some(n) => self.string(n, "ExecutionRole.Role.RoleName")?.to_owned(),
        };
        let trust_policy = self.document(
            role.get("AssumeRolePolicyDocument").ok_or_else(|| {
                self.missing(
                    "ExecutionRole.Role.AssumeRolePolicyDocument",
                    "a trust policy",
                )
            })?,
            "ExecutionRole.Role.AssumeRolePolicyDocument",
        )?;

        let attached = match top.get("AttachedPolicies") {
            None => not_provided("ListAttachedRolePolicies"),
            Some(Value::Null) => Readable::read(Vec::new()),
            Some(Value::Array(items)) => Readable::read(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let field = format!("ExecutionRole.AttachedPolicies[{i}]");
                        let text = |key: &str| -> Result<String, InputError> {
                            let f = format!("{field}.{key}");
                            let v = p.get(key).ok_or_else(|| self.missing(&f, "a string"))?;
                            Ok(self.string(v, &f)?.to_owned())
                        };
                        let arn = text("PolicyArn")?;
                        let name = text("PolicyName")?;
                        let document = match p.get("Document") {
                            None => not_provided("GetPolicyVersion"),
                            Some(d) => {
                                Readable::read(self.document(d, &format!("{field}.Document"))?)
                            }
                        };
                        Ok(AttachedPolicy {
                            arn,
                            name,
                            document,
                        })
                    })
                    .collect::<Result<_, InputError>>()?,
            ),
            Some(other) => {
                return Err(self.field(
                    "ExecutionRole.AttachedPolicies",
                    "a list of attached policies or null",
                    other,
                ))
            }
        };

        let inline = match top.get("RolePolicies") {
            None => not_provided("ListRolePolicies"),
            Some(Value::Null) => Readable::read(Vec::new()),
            Some(Value::Array(items)) => Readable::read(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let field = format!("ExecutionRole.RolePolicies[{i}]");
                        let name_field = format!("{field}.PolicyName");
                        let name = self
                            .string(
                                p.get("PolicyName")
                                    .ok_or_else(|| self.missing(&name_field, "a string"))?,
                                &name_field,
                            )?
                            .to_owned();
                        let document = match p.get("PolicyDocument") {
                            None => not_provided("GetRolePolicy"),
                            Some(d) => Readable::read(
                                self.document(d, &format!("{field}.PolicyDocument"))?,
                            ),
                        };
                        Ok(InlinePolicy { name, document })
                    })
                    .collect::<Result<_, InputError>>()?,
            ),
            Some(other) => {
                return Err(self.field(
                    "ExecutionRole.RolePolicies",
                    "a list of get-role-policy outputs or null",
                    other,
                ))
            }
        };

        Ok(ExecutionRole {
            arn,
            name,
            trust_policy,
            attached,
            inline,
        })
    }
}

fn not_provided<T>(operation: &str) -> Readable<T> {
    Readable::Unreadable {
        operation: operation.to_owned(),
        error_code: NOT_PROVIDED.to_owned(),
    }
}

/// The audit record in a `restore` input: the record itself (the alert's message), the SNS
/// notification that carried it (its `Message` is the record as a JSON string), or a decision
/// log line of the functions (its `audit` field, at the top level or under `fields`, is the
/// record as a JSON string).
///
/// # Errors
/// [`InputError::Field`] when no audit record (schema `lambda-warden.audit/1`) is found,
/// [`InputError::NotJson`] for a nested record that is not JSON, or
/// [`InputError::DuplicateKey`] for a nested record that names a key twice in one object.
pub fn audit_record(path: &str, value: &Value) -> Result<AuditRecord, InputError> {
    let doc = Doc { path };
    let nested = |field: &str, text: &str| -> Result<Value, InputError> {
        let value = serde_json::from_str(text).map_err(|source| InputError::NotJson {
            path: format!("{path} ({field})"),
            source,
        })?;
        unique_keys_in(&doc, field, text)?;
        Ok(value)
    };
    let record = if value.get("schema").and_then(Value::as_str).is_some() {
        value.clone()
    } else if let Some(Value::String(message)) = value.get("Message") {
        nested("Message", message)?
    } else if let Some(Value::String(audit)) = value.get("audit") {
        nested("audit", audit)?
    } else if let Some(Value::String(audit)) = value.get("fields").and_then(|f| f.get("audit")) {
        nested("fields.audit", audit)?
    } else {
        return Err(doc.field(
            "$",
            "an audit record, an SNS notification with one in Message, or a decision log line",
            value,
        ));
    };
    match record.get("schema").and_then(Value::as_str) {
        Some(s) if s.starts_with("lambda-warden.audit/") => {}
        Some(other) => {
            return Err(doc.field(
                "schema",
                "lambda-warden.audit/1",
                &Value::String(other.to_owned()),
            ))
        }
        None => return Err(doc.missing("schema", "lambda-warden.audit/1")),
    }
    serde_json::from_value(record).map_err(|source| InputError::NotJson {
        path: path.to_owned(),
        source,
    })
}

/// The accounts of an accounts file: one 12-digit id per line; blank lines and text after `#`
/// are ignored. Sorted, without duplicates.
///
/// # Errors
/// [`InputError::Id`] naming the line of the first malformed id.
pub fn accounts(path: &str, text: &str) -> Result<Vec<AccountId>, InputError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let id = line.split('#').next().unwrap_or("").trim();
        if id.is_empty() {
            continue;
        }
        out.push(AccountId::parse(id).map_err(|source| InputError::Id {
            path: path.to_owned(),
            field: format!("line {}", i + 1),
            source,
        })?);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:orders-api";

    #[test]
    fn get_policy_output_and_bare_documents_are_accepted() {
        let doc = json!({"Version": "2012-10-17", "Statement": []});
        let wrapped = json!({"Policy": doc.to_string(), "RevisionId": "r1"});
        assert_eq!(policy_document("p", &wrapped).unwrap(), doc.to_string());
        assert_eq!(policy_document("p", &doc).unwrap(), doc.to_string());
        let evaluate_input = json!({"Configuration": {}, "Policy": wrapped});
        assert_eq!(
            policy_document("p", &evaluate_input).unwrap(),
            doc.to_string()
        );
        let err = policy_document("p.json", &json!({"Foo": 1})).unwrap_err();
        assert!(err.to_string().starts_with("p.json: $ must be"), "{err}");
    }

    #[test]
    fn a_full_snapshot_is_read() {
        let policy = json!({"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":ARN}]});
        let trust = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]});
        let admin = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]});
        let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let role_arn = "arn:aws:iam::111122223333:role/service/orders-role";
        let input = json!({
            "Configuration": {
                "FunctionName": "orders-api", "FunctionArn": ARN, "Runtime": "python3.12",
                "Role": role_arn, "PackageType": "Zip",
                "KMSKeyArn": "arn:aws:kms:us-east-1:111122223333:key/k-1",
                "Environment": {"Variables": {"DB_PASSWORD": "hunter2", "STAGE": "prod"}},
                "TracingConfig": {"Mode": "Active"},
                "DeadLetterConfig": {"TargetArn": "arn:aws:sqs:us-east-1:111122223333:dlq"},
                "VpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"], "VpcId": "vpc-1"},
                "Layers": [{"Arn": "arn:aws:lambda:us-east-1:444455556666:layer:tools:3", "CodeSize": 10}],
                "Architectures": ["arm64"]
            },
            "Code": {"RepositoryType": "S3"},
            "Tags": {"team": "orders"},
            "Concurrency": {"ReservedConcurrentExecutions": 5},
            "Policy": {"Policy": policy.to_string(), "RevisionId": "r-1"},
            "FunctionUrlConfig": {"FunctionUrl": "https://x.lambda-url.us-east-1.on.aws/", "AuthType": "NONE", "Cors": {"AllowOrigins": ["*"], "AllowCredentials": false}},
            "EventInvokeConfig": {"FunctionArn": ARN, "MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 600,
                                  "DestinationConfig": {"OnSuccess": {}, "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:111122223333:failed"}}},
            "CodeSigningConfigArn": "arn:aws:lambda:us-east-1:111122223333:code-signing-config:csc-1",
            "ExecutionRole": {
                "Role": {"RoleName": "orders-role", "Arn": role_arn, "AssumeRolePolicyDocument": trust},
                "AttachedPolicies": [
                    {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess", "Document": admin},
                    {"PolicyName": "Unread", "PolicyArn": "arn:aws:iam::111122223333:policy/Unread"}
                ],
                "RolePolicies": [{"RoleName": "orders-role", "PolicyName": "reads", "PolicyDocument": inline.replace(' ', "%20")}]
            }
        });
        let s = snapshot_from_get_function("f", &input).unwrap();
        assert_eq!(s.arn.to_string(), ARN);
        assert_eq!(s.tags["team"], "orders");
        let p = s.policy.value().unwrap().as_ref().unwrap();
        assert_eq!(p.revision_id.as_deref(), Some("r-1"));
        assert_eq!(p.json, policy.to_string());
        let url = s.url.value().unwrap().as_ref().unwrap();
        assert_eq!(url.auth_type, FunctionUrlAuthType::None);
        assert_eq!(url.cors.as_ref().unwrap().allow_origins, ["*"]);

        let c = s.configuration.value().unwrap();
        assert_eq!(c.runtime.as_deref(), Some("python3.12"));
        assert_eq!(c.package_type, PackageType::Zip);
        assert_eq!(c.role.as_deref(), Some(role_arn));
        assert_eq!(
            c.kms_key_arn.as_deref(),
            Some("arn:aws:kms:us-east-1:111122223333:key/k-1")
        );
        let env = c.environment.value().unwrap();
        assert_eq!(env["DB_PASSWORD"].expose(), "hunter2");
        assert_eq!(env["STAGE"].expose(), "prod");
        assert!(
            !format!("{s:?}").contains("hunter2"),
            "values are redacted at once"
        );
        assert_eq!(c.tracing_mode, TracingMode::Active);
        assert_eq!(
            c.dead_letter_target_arn.as_deref(),
            Some("arn:aws:sqs:us-east-1:111122223333:dlq")
        );
        assert_eq!(
            c.vpc,
            Some(VpcConfig {
                subnet_ids: vec!["subnet-1".into(), "subnet-2".into()],
                security_group_ids: vec!["sg-1".into()],
                vpc_id: Some("vpc-1".into()),
            })
        );
        assert_eq!(
            c.layers,
            ["arn:aws:lambda:us-east-1:444455556666:layer:tools:3"]
        );
        assert_eq!(c.architectures, ["arm64"]);
        assert_eq!(c.reserved_concurrent_executions, Some(5));

        assert_eq!(
            s.event_invoke_config,
            Readable::read(Some(EventInvokeConfig {
                on_failure_destination: Some("arn:aws:sqs:us-east-1:111122223333:failed".into()),
                on_success_destination: None,
                maximum_retry_attempts: Some(1),
                maximum_event_age_in_seconds: Some(600),
            }))
        );
        assert_eq!(
            s.code_signing_config_arn,
            Readable::read(Some(
                "arn:aws:lambda:us-east-1:111122223333:code-signing-config:csc-1".into()
            ))
        );
        let role = s.execution_role.value().unwrap().as_ref().unwrap();
        assert_eq!(
            (role.arn.as_str(), role.name.as_str()),
            (role_arn, "orders-role")
        );
        assert_eq!(role.trust_policy, trust.to_string());
        let attached = role.attached.value().unwrap();
        assert_eq!(attached[0].document, Readable::read(admin.to_string()));
        assert!(attached[0].is_aws_managed());
        assert_eq!(
            attached[1].document,
            Readable::Unreadable {
                operation: "GetPolicyVersion".into(),
                error_code: NOT_PROVIDED.into()
            }
        );
        let inline_policies = role.inline.value().unwrap();
        assert_eq!(inline_policies[0].name, "reads");
        assert_eq!(
            inline_policies[0].document,
            Readable::read(inline.to_owned()),
            "URL-encoded documents are decoded"
        );
        assert!(
            s.unreadable_parts().is_empty(),
            "{:?}",
            s.unreadable_parts()
        );
    }

    #[test]
    fn get_function_defaults_mean_aws_defaults() {
        // As the AWS CLI prints a function outside any VPC with no variables, DLQ or KMS key.
        let input = json!({"Configuration": {
            "FunctionArn": ARN, "PackageType": "Image", "KMSKeyArn": "",
            "VpcConfig": {"SubnetIds": [], "SecurityGroupIds": [], "VpcId": ""},
            "DeadLetterConfig": {}, "TracingConfig": {"Mode": "PassThrough"}
        }});
        let s = snapshot_from_get_function("f", &input).unwrap();
        let c = s.configuration.value().unwrap();
        assert_eq!(c.package_type, PackageType::Image);
        assert_eq!(c.runtime, None);
        assert_eq!(c.kms_key_arn, None);
        assert_eq!(c.vpc, None);
        assert_eq!(c.dead_letter_target_arn, None);
        assert_eq!(c.tracing_mode, TracingMode::PassThrough);
        assert_eq!(c.environment, Readable::read(BTreeMap::new()));
        assert_eq!(c.reserved_concurrent_executions, None);
        assert!(c.layers.is_empty() && c.architectures.is_empty());
        // No Role: there is no execution role to read.
        assert_eq!(s.execution_role, Readable::read(None));

        // Variables Lambda could not decrypt are unverified, with the error code it gave.
        let input = json!({"Configuration": {"FunctionArn": ARN, "Environment": {
            "Error": {"ErrorCode": "KMSAccessDeniedException", "Message": "denied"}}}});
        let s = snapshot_from_get_function("f", &input).unwrap();
        assert_eq!(
            s.configuration.value().unwrap().environment,
            Readable::Unreadable {
                operation: "GetFunction".into(),
                error_code: "KMSAccessDeniedException".into()
            }
        );
    }

    #[test]
    fn null_means_none_and_absent_means_unverified() {
        let role_arn = "arn:aws:iam::111122223333:role/orders-role";
        let s = snapshot_from_get_function(
            "f",
            &json!({"Configuration": {"FunctionArn": format!("{ARN}:live"), "Role": role_arn}, "Policy": null}),
        )
        .unwrap();
        assert_eq!(s.arn.qualifier.as_ref().unwrap().as_str(), "live");
        assert_eq!(s.policy, Readable::read(None));
        assert_eq!(s.url, not_provided("GetFunctionUrlConfig"));
        assert_eq!(
            s.event_invoke_config,
            not_provided("GetFunctionEventInvokeConfig")
        );
        assert_eq!(
            s.code_signing_config_arn,
            not_provided("GetFunctionCodeSigningConfig")
        );
        assert_eq!(s.execution_role, not_provided("GetRole"));

        let s = snapshot_from_get_function(
            "f",
            &json!({"Configuration": {"FunctionArn": ARN, "Role": role_arn},
                    "EventInvokeConfig": null, "CodeSigningConfigArn": null, "ExecutionRole": null}),
        )
        .unwrap();
        assert_eq!(s.event_invoke_config, Readable::read(None));
        assert_eq!(s.code_signing_config_arn, Readable::read(None));
        assert_eq!(s.execution_role, Readable::read(None), "a deleted role");

        // Inside the role: null lists are empty, absent lists unverified.
        let role = |extra: Value| {
            let mut r = json!({"Role": {"Arn": role_arn, "AssumeRolePolicyDocument": "{}"}});
            for (k, v) in extra.as_object().unwrap() {
                r[k] = v.clone();
            }
            let s = snapshot_from_get_function(
                "f",
                &json!({"Configuration": {"FunctionArn": ARN, "Role": role_arn}, "ExecutionRole": r}),
            )
            .unwrap();
            s.execution_role.value().unwrap().clone().unwrap()
        };
        let r = role(json!({"AttachedPolicies": null, "RolePolicies": null}));
        assert_eq!(r.name, "orders-role", "the name comes from the ARN");
        assert_eq!(r.attached, Readable::read(Vec::new()));
        assert_eq!(r.inline, Readable::read(Vec::new()));
        let r = role(json!({"RolePolicies": [{"PolicyName": "p"}]}));
        assert_eq!(r.attached, not_provided("ListAttachedRolePolicies"));
        assert_eq!(
            r.inline.value().unwrap()[0].document,
            not_provided("GetRolePolicy")
        );
        let r = role(json!({"AttachedPolicies": []}));
        assert_eq!(r.inline, not_provided("ListRolePolicies"));
    }

    #[test]
    fn errors_name_the_field() {
        for (input, field) in [
            (json!({}), "Configuration"),
            (
                json!({"Configuration": {"FunctionArn": 3}}),
                "Configuration.FunctionArn",
            ),
            (
                json!({"Configuration": {"FunctionArn": "nope"}}),
                "Configuration.FunctionArn",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN}, "Tags": {"a": 1}}),
                "Tags.a",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN}, "FunctionUrlConfig": {"FunctionUrl": "u"}}),
                "FunctionUrlConfig.AuthType",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN}, "Policy": {"Policy": 7}}),
                "Policy.Policy",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN, "Environment": {"Variables": {"K": 1}}}}),
                "Configuration.Environment.Variables.K",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN, "Layers": [{"CodeSize": 1}]}}),
                "Configuration.Layers[0].Arn",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN, "TracingConfig": "Active"}}),
                "Configuration.TracingConfig",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN}, "Concurrency": {"ReservedConcurrentExecutions": "5"}}),
                "Concurrency.ReservedConcurrentExecutions",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN}, "EventInvokeConfig": {"DestinationConfig": {"OnFailure": {"Destination": 1}}}}),
                "EventInvokeConfig.DestinationConfig.OnFailure.Destination",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN}, "CodeSigningConfigArn": {}}),
                "CodeSigningConfigArn",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN}, "ExecutionRole": {"Role": {"Arn": "arn:aws:iam::1:role/r"}}}),
                "ExecutionRole.Role.AssumeRolePolicyDocument",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN, "Role": "arn:aws:iam::111122223333:role/a"},
                       "ExecutionRole": {"Role": {"Arn": "arn:aws:iam::111122223333:role/b", "AssumeRolePolicyDocument": {}}}}),
                "ExecutionRole.Role.Arn",
            ),
            (
                json!({"Configuration": {"FunctionArn": ARN}, "ExecutionRole": {"Role": {"Arn": "arn:aws:iam::1:role/r", "AssumeRolePolicyDocument": {}},
                       "AttachedPolicies": [{"PolicyName": "p"}]}}),
                "ExecutionRole.AttachedPolicies[0].PolicyArn",
            ),
        ] {
            let err = snapshot_from_get_function("in.json", &input).unwrap_err();
            let text = err.to_string();
            assert!(
                text.starts_with("in.json: ") && text.contains(field),
                "{text}"
            );
        }
    }

    #[test]
    fn a_duplicate_key_anywhere_is_refused_with_its_path() {
        let dup = |text: &str| match parse_json("in.json", text) {
            Err(InputError::DuplicateKey { path, field, key }) => {
                assert_eq!(path, "in.json");
                (field, key)
            }
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            dup(r#"{"FunctionName": "a", "FunctionName": "b"}"#),
            ("FunctionName".to_owned(), "FunctionName".to_owned())
        );
        assert_eq!(
            dup(
                r#"{"Configuration": {"Runtime": "python3.12", "Timeout": 3, "Runtime": "python2.7"}}"#
            ),
            ("Configuration.Runtime".to_owned(), "Runtime".to_owned())
        );
        assert_eq!(
            dup(r#"{"Statement": [{"Sid": "a"}, {"Effect": "Allow", "Effect": "Deny"}]}"#),
            ("Statement[1].Effect".to_owned(), "Effect".to_owned())
        );
        assert_eq!(dup(r#"[[{"k": 1, "k": 2}]]"#).0, "[0][0].k");
        let e = parse_json("in.json", r#"{"a": {"b": 1, "b": 2}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"in.json: a.b: the key "b" appears more than once in the same object"#
        );
        // The same key in different objects, and escapes that spell different keys, are fine.
        let ok = parse_json(
            "in.json",
            r#"{"a": {"k": 1}, "b": {"k": [{"k": null}]}, "kA": 1, "kA2": 2.5e3}"#,
        )
        .unwrap();
        assert_eq!(ok["b"]["k"][0]["k"], Value::Null);
        // An escape that spells an existing key is a duplicate.
        assert_eq!(dup(r#"{"kA": 1, "kA": 2}"#).1, "kA");
        // Not JSON: the parser's error, as before.
        assert!(matches!(
            parse_json("in.json", r#"{"a": "#),
            Err(InputError::NotJson { .. })
        ));
    }

    #[test]
    fn duplicate_keys_inside_documents_given_as_strings_are_refused() {
        let input = serde_json::json!({
            "Policy": r#"{"Version":"2012-10-17","Statement":[{"Sid":"s","Effect":"Deny","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"*"}]}"#,
        });
        match policy_document("get-policy.json", &input) {
            Err(InputError::DuplicateKey { field, key, .. }) => {
                assert_eq!(field, "Policy -> Statement[0].Effect");
                assert_eq!(key, "Effect");
            }
            other => panic!("{other:?}"),
        }
        let sns = serde_json::json!({
            "Type": "Notification",
            "Message": r#"{"schema":"lambda-warden.audit/1","schema":"other"}"#,
        });
        match audit_record("alert.json", &sns) {
            Err(InputError::DuplicateKey { field, .. }) => assert_eq!(field, "Message -> schema"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn accounts_files_allow_comments_and_blank_lines() {
        let got = accounts(
            "a.txt",
            "# prod\n444455556666\n\n111122223333 # dev\n111122223333\n",
        )
        .unwrap();
        let ids: Vec<&str> = got.iter().map(AccountId::as_str).collect();
        assert_eq!(ids, ["111122223333", "444455556666"]);
        let err = accounts("a.txt", "111122223333\n12345\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn audit_records_are_found_in_every_wrapper() {
        let record = json!({
            "schema": "lambda-warden.audit/1", "event_id": "e", "event_name": "AddPermission20150331v2",
            "function_arn": ARN, "mode": "enforce", "status": "compliant", "findings": [], "fixes": [],
            "actions": [], "removed_statements": []
        });
        let sns = json!({"Type": "Notification", "Message": record.to_string()});
        let log = json!({"level": "INFO", "fields": {"message": "decision", "audit": record.to_string()}});
        for v in [&record, &sns, &log] {
            assert_eq!(audit_record("r", v).unwrap().function_arn, ARN);
        }
        assert!(audit_record("r", &json!({"schema": "other/1"})).is_err());
        assert!(audit_record("r", &json!([1])).is_err());
    }
}

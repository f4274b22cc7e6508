//! Reading the command line's input files: a resource-based policy, a function snapshot, an
//! event, an audit record, a list of accounts. Every error names the file and the field.

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;
use thiserror::Error;
use warden_rules::ids::{AccountId, FunctionArn, IdError};
use warden_rules::report::AuditRecord;
use warden_rules::snapshot::{
    Cors, FunctionSnapshot, FunctionUrlAuthType, FunctionUrlConfig, PolicyDocument, Readable,
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
/// As [`read_text`], or [`InputError::NotJson`].
pub fn read_json(path: &str) -> Result<Value, InputError> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|source| InputError::NotJson {
        path: path.to_owned(),
        source,
    })
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
/// [`InputError::Field`] when the value is neither shape.
pub fn policy_document(path: &str, value: &Value) -> Result<String, InputError> {
    let doc = Doc { path };
    match value.get("Policy") {
        Some(Value::String(text)) => Ok(text.clone()),
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
/// Shape (the AWS CLI's output, field names as AWS spells them):
///
/// ```json
/// {
///   "Configuration": { "FunctionArn": "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]", ... },
///   "Tags": { "KEY": "VALUE" },
///   "Concurrency": { "ReservedConcurrentExecutions": 5 },
///   "Policy": { "Policy": "<document>", "RevisionId": "..." },
///   "FunctionUrlConfig": { "FunctionUrl": "https://...", "AuthType": "NONE", "Cors": { "AllowOrigins": ["*"] } }
/// }
/// ```
///
/// `Configuration`, `Tags` and `Concurrency` are `aws lambda get-function`'s output
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html#API_GetFunction_ResponseSyntax>);
/// `Policy` is `aws lambda get-policy`'s output (or the document itself;
/// <https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html>), `FunctionUrlConfig`
/// `aws lambda get-function-url-config`'s
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionUrlConfig.html>). `null`
/// means the function has none; a part that is left out was not read, and is recorded as
/// unreadable with error code [`NOT_PROVIDED`] (so LW006 reports it), never as absent.
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

    let policy = match top.get("Policy") {
        None => not_provided("GetPolicy"),
        Some(Value::Null) => Readable::read(None),
        Some(v @ Value::Object(map)) => {
            let revision_id = match map.get("RevisionId") {
                None | Some(Value::Null) => None,
                Some(r) => Some(doc.string(r, "Policy.RevisionId")?.to_owned()),
            };
            let json = match map.get("Policy") {
                Some(Value::String(text)) => text.clone(),
                Some(other) => return Err(doc.field("Policy.Policy", "a JSON string", other)),
                None if map.contains_key("Statement") => v.to_string(),
                None => {
                    return Err(
                        doc.missing("Policy.Policy", "get-policy output or a policy document")
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
            return Err(doc.field(
                "Policy",
                "get-policy output, a policy document or null",
                other,
            ))
        }
    };

    let url = match top.get("FunctionUrlConfig") {
        None => not_provided("GetFunctionUrlConfig"),
        Some(Value::Null) => Readable::read(None),
        Some(Value::Object(map)) => {
            let function_url = doc
                .string(
                    map.get("FunctionUrl")
                        .ok_or_else(|| doc.missing("FunctionUrlConfig.FunctionUrl", "a URL"))?,
                    "FunctionUrlConfig.FunctionUrl",
                )?
                .to_owned();
            let auth_type =
                FunctionUrlAuthType::parse(doc.string(
                    map.get("AuthType").ok_or_else(|| {
                        doc.missing("FunctionUrlConfig.AuthType", "NONE or AWS_IAM")
                    })?,
                    "FunctionUrlConfig.AuthType",
                )?);
            let cors = match map.get("Cors") {
                None | Some(Value::Null) => None,
                Some(Value::Object(c)) => Some(Cors {
                    allow_origins: doc
                        .strings(c.get("AllowOrigins"), "FunctionUrlConfig.Cors.AllowOrigins")?,
                    allow_credentials: match c.get("AllowCredentials") {
                        None | Some(Value::Null) => None,
                        Some(Value::Bool(b)) => Some(*b),
                        Some(other) => {
                            return Err(doc.field(
                                "FunctionUrlConfig.Cors.AllowCredentials",
                                "a boolean",
                                other,
                            ))
                        }
                    },
                    allow_methods: doc
                        .strings(c.get("AllowMethods"), "FunctionUrlConfig.Cors.AllowMethods")?,
                }),
                Some(other) => return Err(doc.field("FunctionUrlConfig.Cors", "an object", other)),
            };
            Readable::read(Some(FunctionUrlConfig {
                function_url,
                auth_type,
                cors,
            }))
        }
        Some(other) => {
            return Err(doc.field(
                "FunctionUrlConfig",
                "get-function-url-config output or null",
                other,
            ))
        }
    };

    Ok(FunctionSnapshot {
        tags,
        policy,
        url,
        ..FunctionSnapshot::empty(arn)
    })
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
/// [`InputError::Field`] when no audit record (schema `lambda-warden.audit/1`) is found, or
/// [`InputError::NotJson`] for a nested record that is not JSON.
pub fn audit_record(path: &str, value: &Value) -> Result<AuditRecord, InputError> {
    let doc = Doc { path };
    let nested = |field: &str, text: &str| -> Result<Value, InputError> {
        serde_json::from_str(text).map_err(|source| InputError::NotJson {
            path: format!("{path} ({field})"),
            source,
        })
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
        let input = json!({
            "Configuration": {"FunctionName": "orders-api", "FunctionArn": ARN, "Runtime": "python3.12"},
            "Code": {"RepositoryType": "S3"},
            "Tags": {"team": "orders"},
            "Concurrency": {"ReservedConcurrentExecutions": 5},
            "Policy": {"Policy": policy.to_string(), "RevisionId": "r-1"},
            "FunctionUrlConfig": {"FunctionUrl": "https://x.lambda-url.us-east-1.on.aws/", "AuthType": "NONE", "Cors": {"AllowOrigins": ["*"], "AllowCredentials": false}}
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
    }

    #[test]
    fn null_means_none_and_absent_means_unverified() {
        let s = snapshot_from_get_function(
            "f",
            &json!({"Configuration": {"FunctionArn": format!("{ARN}:live")}, "Policy": null}),
        )
        .unwrap();
        assert_eq!(s.arn.qualifier.as_ref().unwrap().as_str(), "live");
        assert_eq!(s.policy, Readable::read(None));
        assert_eq!(
            s.url,
            Readable::Unreadable {
                operation: "GetFunctionUrlConfig".into(),
                error_code: NOT_PROVIDED.into()
            }
        );
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

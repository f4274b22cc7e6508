//! Reading state back from moto: policy statements, tags, function URL auth type, alerts.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use serde_json::Value;

use crate::HarnessError;

/// A function's state as the demo and the tests compare it before and after an event.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionState {
    /// `ListTags`: every tag of the unqualified function.
    pub tags: BTreeMap<String, String>,
    /// `GetPolicy`: the statements of the unqualified function's resource-based policy
    /// (empty when it has none).
    pub statements: Vec<Value>,
    /// `GetFunctionUrlConfig`: `AuthType` (`NONE` or `AWS_IAM`), `None` without a URL.
    pub url_auth_type: Option<String>,
}

/// Reads a function's tags, statements and URL auth type.
///
/// # Errors
/// The first of [`tags`], [`policy_statements`], [`url_auth_type`] to fail.
pub async fn function_state(
    lambda: &aws_sdk_lambda::Client,
    function_arn: &str,
) -> Result<FunctionState, HarnessError> {
    Ok(FunctionState {
        tags: tags(lambda, function_arn).await?,
        statements: policy_statements(lambda, function_arn, None).await?,
        url_auth_type: url_auth_type(lambda, function_arn).await?,
    })
}

/// The `Statement` array of the function's resource-based policy (`GetPolicy`), for the
/// alias or version `qualifier` when given. Empty when the function has no policy
/// (`ResourceNotFoundException`).
///
/// # Errors
/// [`HarnessError::Aws`] for any other failure, [`HarnessError::Json`] when the `Policy`
/// string is not a JSON object.
pub async fn policy_statements(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    qualifier: Option<&str>,
) -> Result<Vec<Value>, HarnessError> {
    let out = match lambda
        .get_policy()
        .function_name(function)
        .set_qualifier(qualifier.map(str::to_owned))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(Vec::new())
        }
        Err(e) => return Err(HarnessError::aws("GetPolicy", function, e)),
    };
    let Some(text) = out.policy else {
        return Ok(Vec::new());
    };
    let doc: Value = serde_json::from_str(&text).map_err(|source| HarnessError::Json {
        what: format!("policy of {function}"),
        source,
    })?;
    Ok(match doc.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    })
}

/// The `RevisionId` of the function's resource-based policy, `None` when it has no policy.
///
/// # Errors
/// [`HarnessError::Aws`] for a failure other than `ResourceNotFoundException`.
pub async fn policy_revision_id(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
) -> Result<Option<String>, HarnessError> {
    match lambda.get_policy().function_name(function).send().await {
        Ok(out) => Ok(out.revision_id),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(HarnessError::aws("GetPolicy", function, e)),
    }
}

/// Every tag of the function (`ListTags` on its unqualified ARN).
///
/// # Errors
/// [`HarnessError::Aws`] when moto refuses the call.
pub async fn tags(
    lambda: &aws_sdk_lambda::Client,
    function_arn: &str,
) -> Result<BTreeMap<String, String>, HarnessError> {
    let out = lambda
        .list_tags()
        .resource(function_arn)
        .send()
        .await
        .map_err(|e| HarnessError::aws("ListTags", function_arn, e))?;
    Ok(out.tags.unwrap_or_default().into_iter().collect())
}

/// The function URL's `AuthType` (`NONE`, `AWS_IAM`), or `None` when the function has no URL.
///
/// # Errors
/// [`HarnessError::Aws`] for a failure other than `ResourceNotFoundException`.
pub async fn url_auth_type(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
) -> Result<Option<String>, HarnessError> {
    match lambda
        .get_function_url_config()
        .function_name(function)
        .send()
        .await
    {
        Ok(out) => Ok(Some(out.auth_type.as_str().to_owned())),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(None)
        }
        Err(e) => Err(HarnessError::aws("GetFunctionUrlConfig", function, e)),
    }
}

/// Receives and deletes every message on the queue, and returns the `(Subject, Message)` of
/// each SNS notification in it (the body is SNS's JSON envelope, since raw message delivery is
/// off: <https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html>).
/// An absent or null `Subject` is returned as `""`.
///
/// # Errors
/// [`HarnessError::Aws`] when moto refuses a call, [`HarnessError::Json`] when a body is not
/// an SNS envelope.
pub async fn read_alerts(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> Result<Vec<(String, String)>, HarnessError> {
    let mut alerts = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(|e| HarnessError::aws("ReceiveMessage", queue_url, e))?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(alerts);
        }
        let mut receipts = Vec::new();
        for (i, m) in messages.into_iter().enumerate() {
            let body = m.body.unwrap_or_default();
            let envelope: Value =
                serde_json::from_str(&body).map_err(|source| HarnessError::Json {
                    what: format!("SQS message body {body:?}"),
                    source,
                })?;
            let text = |k: &str| envelope.get(k).and_then(Value::as_str).unwrap_or("");
            alerts.push((text("Subject").to_owned(), text("Message").to_owned()));
            if let Some(handle) = m.receipt_handle {
                let entry = DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .build()
                    .map_err(|e| HarnessError::aws("DeleteMessageBatch", queue_url, e))?;
                receipts.push(entry);
            }
        }
        if !receipts.is_empty() {
            sqs.delete_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(receipts))
                .send()
                .await
                .map_err(|e| HarnessError::aws("DeleteMessageBatch", queue_url, e))?;
        }
    }
}

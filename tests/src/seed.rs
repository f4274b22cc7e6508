//! The demo account: the functions, roles, topic and queue that the tests and the demo act on.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Cors, DestinationConfig, FunctionCode, FunctionUrlAuthType, OnFailure, Runtime, TracingConfig,
    TracingMode,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::inspect;
use crate::moto::{ACCOUNT_ID, REGION};
use crate::HarnessError;

/// Opt-in tag: `lambda-warden:auto-fix` = `true`.
pub const TAG_AUTO_FIX: &str = "lambda-warden:auto-fix";
/// Exemption tag: `lambda-warden:exempt` = a reason.
pub const TAG_EXEMPT: &str = "lambda-warden:exempt";
/// Written by lambda-warden: `compliant`, `non-compliant` or `unverified`.
pub const TAG_STATUS: &str = "lambda-warden:status";
/// Written by lambda-warden: the rule ids found, sorted, space-separated.
pub const TAG_FINDINGS: &str = "lambda-warden:findings";

/// Public statement (`Sid` `backdoor`), not opted in.
pub const ORDERS_API: &str = "orders-api";
/// Public statement (`Sid` `public-invoke`), opted in.
pub const PAYMENTS_API: &str = "payments-api";
/// S3 statement (`Sid` `s3-invoke`) with `SourceArn` of a bucket and no `SourceAccount`
/// (a confused deputy: bucket ARNs carry no account), opted in.
pub const IMAGE_RESIZER: &str = "image-resizer";
/// SNS statement (`Sid` `sns-invoke`) with no `SourceArn`, not opted in.
pub const NOTIFIER: &str = "notifier";
/// Function URL with `AuthType` `NONE`, CORS `AllowOrigins` `["*"]` and the public URL
/// statement (`Sid` `FunctionURLAllowPublicAccess`), opted in.
pub const PUBLIC_WEBHOOK: &str = "public-webhook";
/// Public statement (`Sid` `legacy-public`), exempt (`vendor-managed`).
pub const LEGACY_BATCH: &str = "legacy-batch";
/// lambda-warden's own function.
pub const WARDEN_FUNCTION: &str = "lambda-warden-events";
/// lambda-warden's own execution role.
pub const WARDEN_ROLE: &str = "lambda-warden-events-role";
/// The execution role of the demo functions.
pub const DEMO_ROLE: &str = "demo-function-role";
/// The alert topic.
pub const ALERT_TOPIC: &str = "lambda-warden-alerts";
/// The queue subscribed to the alert topic, so tests can read what was published.
pub const ALERT_QUEUE: &str = "lambda-warden-alerts-inbox";
/// The bucket named in `image-resizer`'s `SourceArn`.
pub const DEMO_BUCKET_ARN: &str = "arn:aws:s3:::demo-upload-bucket";
/// The state table (DynamoDB), as the template names it for a stack called `lambda-warden`.
pub const STATE_TABLE: &str = "lambda-warden-state";
/// The approver who granted `legacy-batch`'s exemption: a security team's role, listed in
/// `WARDEN_EXEMPTION_APPROVERS` by the tests that honour tag exemptions.
pub const APPROVER_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/security-approver";
/// The on-failure destination every demo function's asynchronous invocations go to.
pub const FAILED_EVENTS_QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:demo-failed-events";

/// The demo functions with their seeded state, in the order the demo shows them.
pub const DEMO_FUNCTIONS: &[&str] = &[
    ORDERS_API,
    PAYMENTS_API,
    IMAGE_RESIZER,
    NOTIFIER,
    PUBLIC_WEBHOOK,
    LEGACY_BATCH,
];

/// The smallest valid zip archive: an end-of-central-directory record and nothing else
/// (22 bytes; APPNOTE.TXT section 4.3.16). CreateFunction needs a zip; moto never runs it.
pub const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// Creates role `name` that Lambda may assume (no policy attached) and returns its ARN.
///
/// # Errors
/// [`HarnessError::Aws`] when moto refuses `CreateRole`.
pub async fn create_function_role(sdk: &SdkConfig, name: &str) -> Result<String, HarnessError> {
    aws_sdk_iam::Client::new(sdk)
        .create_role()
        .role_name(name)
        .assume_role_policy_document(LAMBDA_TRUST_POLICY)
        .send()
        .await
        .map_err(|e| HarnessError::aws("CreateRole", name, e))?
        .role
        .map(|r| r.arn)
        .ok_or_else(|| {
            HarnessError::aws(
                "CreateRole",
                name,
                std::io::Error::other("the answer carried no role"),
            )
        })
}

/// Creates Python 3.12 function `name` (an empty zip, handler `index.handler`) running as
/// `role` (an ARN).
///
/// # Errors
/// [`HarnessError::Aws`] when moto refuses `CreateFunction`.
pub async fn create_python_function(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
    role: &str,
) -> Result<(), HarnessError> {
    lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Python312)
        .role(role)
        .handler("index.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .map_err(|e| HarnessError::aws("CreateFunction", name, e))?;
    Ok(())
}

/// Adds statement `open` to the resource-based policy of `function` (or of its alias or
/// version `qualifier`): anyone may `lambda:InvokeFunction` it.
pub async fn make_public(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    qualifier: Option<&str>,
) -> Result<(), HarnessError> {
    lambda
        .add_permission()
        .function_name(function)
        .set_qualifier(qualifier.map(str::to_owned))
        .statement_id("open")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .map_err(|e| HarnessError::aws("AddPermission", function, e))?;
    Ok(())
}

/// Lets Lambda assume a role, for functions of the demo account only (`aws:SourceAccount`,
/// the confused-deputy pin AWS recommends for trust policies)
/// (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>).
const LAMBDA_TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#;

/// What [`seed_demo_account`] created.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// `123456789012`.
    pub account_id: String,
    /// `us-east-1`.
    pub region: String,
    /// ARN of the `lambda-warden-alerts` topic.
    pub topic_arn: String,
    /// URL of the queue subscribed to the topic.
    pub queue_url: String,
    /// ARN of the demo functions' execution role.
    pub demo_role_arn: String,
    /// ARN of lambda-warden's own execution role (`lambda-warden-events-role`).
    pub warden_role_arn: String,
    /// The state table's name ([`STATE_TABLE`]); `legacy-batch`'s exemption is recorded there,
    /// approved by [`APPROVER_ROLE_ARN`].
    pub state_table: String,
    lambda: aws_sdk_lambda::Client,
    sqs: aws_sdk_sqs::Client,
}

impl DemoAccount {
    /// The unqualified ARN of a function in the demo account.
    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region, self.account_id
        )
    }

    /// The Lambda client the account was seeded with.
    pub fn lambda(&self) -> &aws_sdk_lambda::Client {
        &self.lambda
    }

    /// Drains the alert queue; see [`inspect::read_alerts`].
    ///
    /// # Errors
    /// See [`inspect::read_alerts`].
    pub async fn read_alerts(&self) -> Result<Vec<(String, String)>, HarnessError> {
        inspect::read_alerts(&self.sqs, &self.queue_url).await
    }

    /// The function's tags, policy statements and URL auth type, as they are now.
    ///
    /// # Errors
    /// See [`inspect::function_state`].
    pub async fn state(&self, name: &str) -> Result<inspect::FunctionState, HarnessError> {
        inspect::function_state(&self.lambda, &self.function_arn(name)).await
    }
}

/// The layer of the sample event `add-layer-version-permission-public-shared-deps.json`.
pub const SHARED_LAYER: &str = "shared-deps";

/// Publishes version 1 of the layer [`SHARED_LAYER`] and lets everyone use it (`*` may
/// `lambda:GetLayerVersion`, Sid `public-read`): the state that sample event records.
///
/// # Errors
/// [`HarnessError::Aws`] when moto refuses `PublishLayerVersion` or
/// `AddLayerVersionPermission`.
pub async fn share_layer_with_everyone(
    lambda: &aws_sdk_lambda::Client,
) -> Result<(), HarnessError> {
    lambda
        .publish_layer_version()
        .layer_name(SHARED_LAYER)
        .content(
            aws_sdk_lambda::types::LayerVersionContentInput::builder()
                .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .map_err(|e| HarnessError::aws("PublishLayerVersion", SHARED_LAYER, e))?;
    lambda
        .add_layer_version_permission()
        .layer_name(SHARED_LAYER)
        .version_number(1)
        .statement_id("public-read")
        .action("lambda:GetLayerVersion")
        .principal("*")
        .send()
        .await
        .map_err(|e| HarnessError::aws("AddLayerVersionPermission", SHARED_LAYER, e))?;
    Ok(())
}

/// Creates the demo account in moto (all of it in `123456789012`, `us-east-1`):
///
/// | function | resource-based policy | tags |
/// |---|---|---|
/// | `orders-api` | `backdoor`: `*` may `lambda:InvokeFunction` | none |
/// | `payments-api` | `public-invoke`: `*` | `lambda-warden:auto-fix=true` |
/// | `image-resizer` | `s3-invoke`: `s3.amazonaws.com`, `SourceArn` bucket, no `SourceAccount` | auto-fix |
/// | `notifier` | `sns-invoke`: `sns.amazonaws.com`, no condition | none |
/// | `public-webhook` | `FunctionURLAllowPublicAccess`: `*` `lambda:InvokeFunctionUrl`, `FunctionUrlAuthType` `NONE`; URL `AuthType` `NONE`, CORS `*` | auto-fix |
/// | `legacy-batch` | `legacy-public`: `*` | `lambda-warden:exempt=vendor-managed` |
/// | `lambda-warden-events` | none (role `lambda-warden-events-role`) | none |
///
/// Every function runs `provided.al2023` with active tracing and an on-failure destination
/// (`demo-failed-events`), so only the resource-based policy and URL findings above stand out;
/// the demo role trusts `lambda.amazonaws.com` without an `aws:SourceAccount` pin (an
/// informational finding) and has no policies.
///
/// plus the SNS topic `lambda-warden-alerts` with the SQS queue `lambda-warden-alerts-inbox`
/// subscribed (raw message delivery off: each message body is the SNS JSON envelope).
///
/// # Errors
/// [`HarnessError::Aws`] naming the first call moto refused.
pub async fn seed_demo_account(sdk: &SdkConfig) -> Result<DemoAccount, HarnessError> {
    let iam = aws_sdk_iam::Client::new(sdk);
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let sns = aws_sdk_sns::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);

    // moto refuses CreateFunction until the execution role exists.
    let demo_role_arn = create_role(&iam, DEMO_ROLE).await?;
    let warden_role_arn = create_role(&iam, WARDEN_ROLE).await?;

    let opted_in = [(TAG_AUTO_FIX, "true")];
    let exempt = [(TAG_EXEMPT, "vendor-managed")];
    for (name, role, tags) in [
        (ORDERS_API, &demo_role_arn, &[][..]),
        (PAYMENTS_API, &demo_role_arn, &opted_in[..]),
        (IMAGE_RESIZER, &demo_role_arn, &opted_in[..]),
        (NOTIFIER, &demo_role_arn, &[][..]),
        (PUBLIC_WEBHOOK, &demo_role_arn, &opted_in[..]),
        (LEGACY_BATCH, &demo_role_arn, &exempt[..]),
        (WARDEN_FUNCTION, &warden_role_arn, &[][..]),
    ] {
        create_function(&lambda, name, role, tags).await?;
    }

    for (name, sid, principal) in [
        (ORDERS_API, "backdoor", "*"),
        (PAYMENTS_API, "public-invoke", "*"),
        (NOTIFIER, "sns-invoke", "sns.amazonaws.com"),
        (LEGACY_BATCH, "legacy-public", "*"),
    ] {
        lambda
            .add_permission()
            .function_name(name)
            .statement_id(sid)
            .action("lambda:InvokeFunction")
            .principal(principal)
            .send()
            .await
            .map_err(|e| HarnessError::aws("AddPermission", name, e))?;
    }
    lambda
        .add_permission()
        .function_name(IMAGE_RESIZER)
        .statement_id("s3-invoke")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .source_arn(DEMO_BUCKET_ARN)
        .send()
        .await
        .map_err(|e| HarnessError::aws("AddPermission", IMAGE_RESIZER, e))?;

    lambda
        .create_function_url_config()
        .function_name(PUBLIC_WEBHOOK)
        .auth_type(FunctionUrlAuthType::None)
        .cors(Cors::builder().allow_origins("*").build())
        .send()
        .await
        .map_err(|e| HarnessError::aws("CreateFunctionUrlConfig", PUBLIC_WEBHOOK, e))?;
    // The statement the console adds with a public URL
    // (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html#urls-auth-none).
    lambda
        .add_permission()
        .function_name(PUBLIC_WEBHOOK)
        .statement_id("FunctionURLAllowPublicAccess")
        .action("lambda:InvokeFunctionUrl")
        .principal("*")
        .function_url_auth_type(FunctionUrlAuthType::None)
        .send()
        .await
        .map_err(|e| HarnessError::aws("AddPermission", PUBLIC_WEBHOOK, e))?;

    let topic_arn = sns
        .create_topic()
        .name(ALERT_TOPIC)
        .send()
        .await
        .map_err(|e| HarnessError::aws("CreateTopic", ALERT_TOPIC, e))?
        .topic_arn
        .ok_or(HarnessError::MissingField {
            operation: "CreateTopic",
            resource: ALERT_TOPIC.into(),
            field: "TopicArn",
        })?;
    let queue_url = sqs
        .create_queue()
        .queue_name(ALERT_QUEUE)
        .send()
        .await
        .map_err(|e| HarnessError::aws("CreateQueue", ALERT_QUEUE, e))?
        .queue_url
        .ok_or(HarnessError::MissingField {
            operation: "CreateQueue",
            resource: ALERT_QUEUE.into(),
            field: "QueueUrl",
        })?;
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| HarnessError::aws("GetQueueAttributes", &queue_url, e))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| HarnessError::MissingField {
            operation: "GetQueueAttributes",
            resource: queue_url.clone(),
            field: "Attributes.QueueArn",
        })?;
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(&queue_arn)
        .send()
        .await
        .map_err(|e| HarnessError::aws("Subscribe", &topic_arn, e))?;

    create_state_table(sdk, STATE_TABLE).await?;
    let store =
        warden_aws::store::StateStore::new(sdk, std::sync::Arc::default(), STATE_TABLE, None);
    store
        .put_exemption(&warden_rules::state::Exemption {
            resource_arn: format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{LEGACY_BATCH}"),
            reason: "vendor-managed".into(),
            approved_by: APPROVER_ROLE_ARN.into(),
            approved_at: 1_764_547_200,
            until: None,
            source: "cli".into(),
            alerted: true,
        })
        .await
        .map_err(|e| HarnessError::aws("PutItem", STATE_TABLE, e))?;

    Ok(DemoAccount {
        account_id: ACCOUNT_ID.into(),
        region: REGION.into(),
        topic_arn,
        queue_url,
        demo_role_arn,
        warden_role_arn,
        state_table: STATE_TABLE.into(),
        lambda,
        sqs,
    })
}

/// Creates lambda-warden's state table `name` as template.yaml declares it: key `pk` (string,
/// partition) + `sk` (string, sort), on-demand capacity, TTL on `expires_at`.
pub async fn create_state_table(sdk: &SdkConfig, name: &str) -> Result<(), HarnessError> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let attribute = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| HarnessError::aws("CreateTable", name, e))
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .map_err(|e| HarnessError::aws("CreateTable", name, e))
    };
    ddb.create_table()
        .table_name(name)
        .attribute_definitions(attribute("pk")?)
        .attribute_definitions(attribute("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| HarnessError::aws("CreateTable", name, e))?;
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name("expires_at")
        .enabled(true)
        .build()
        .map_err(|e| HarnessError::aws("UpdateTimeToLive", name, e))?;
    ddb.update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| HarnessError::aws("UpdateTimeToLive", name, e))?;
    Ok(())
}

async fn create_role(iam: &aws_sdk_iam::Client, name: &str) -> Result<String, HarnessError> {
    let out = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(LAMBDA_TRUST_POLICY)
        .send()
        .await
        .map_err(|e| HarnessError::aws("CreateRole", name, e))?;
    out.role
        .map(|r| r.arn)
        .ok_or_else(|| HarnessError::MissingField {
            operation: "CreateRole",
            resource: name.into(),
            field: "Role",
        })
}

async fn create_function(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
    role_arn: &str,
    tags: &[(&str, &str)],
) -> Result<(), HarnessError> {
    let tags: HashMap<String, String> = tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role_arn)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .tracing_config(TracingConfig::builder().mode(TracingMode::Active).build())
        .set_tags((!tags.is_empty()).then_some(tags))
        .send()
        .await
        .map_err(|e| HarnessError::aws("CreateFunction", name, e))?;
    lambda
        .put_function_event_invoke_config()
        .function_name(name)
        .destination_config(
            DestinationConfig::builder()
                .on_failure(
                    OnFailure::builder()
                        .destination(FAILED_EVENTS_QUEUE_ARN)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .map_err(|e| HarnessError::aws("PutFunctionEventInvokeConfig", name, e))?;
    Ok(())
}

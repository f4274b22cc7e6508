//! `Aws::fetch_snapshot` against moto.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_lambda::types::{Cors, FunctionUrlAuthType as SdkAuthType};
use common::{sids_of, statements_of, Moto, ACCOUNT};
use warden_aws::{Aws, Fetched};
use warden_rules::ids::{FunctionArn, Qualifier};
use warden_rules::outcome::FailureKind;
use warden_rules::snapshot::{FunctionSnapshot, FunctionUrlAuthType, Readable};

fn found(fetched: Fetched) -> FunctionSnapshot {
    match fetched {
        Fetched::Found(snapshot) => snapshot,
        Fetched::Gone => panic!("expected the function to be found"),
    }
}

#[tokio::test]
async fn reads_tags_policy_and_revision_id_with_one_request_per_read() {
    // GIVEN a tagged function with two statements and no URL
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup
        .create_function(
            "orders-api",
            &[("team", "payments"), ("lambda-warden:auto-fix", "true")],
        )
        .await;
    setup
        .add_permission("orders-api", "s3-invoke", "s3.amazonaws.com", None)
        .await;
    setup
        .add_permission("orders-api", "public", "*", None)
        .await;
    let expected_revision = setup
        .lambda
        .get_policy()
        .function_name("orders-api")
        .send()
        .await
        .expect("GetPolicy")
        .revision_id()
        .map(str::to_owned);
    assert!(expected_revision.is_some(), "moto returns a RevisionId");

    // WHEN the adapter reads it
    let aws = Aws::new(&moto.sdk_config());
    let snapshot = found(aws.fetch_snapshot(&arn).await.expect("fetch_snapshot"));

    // THEN every part is read, with the policy's RevisionId
    assert_eq!(snapshot.arn, arn);
    assert_eq!(
        snapshot.tags,
        BTreeMap::from([
            ("team".to_owned(), "payments".to_owned()),
            ("lambda-warden:auto-fix".to_owned(), "true".to_owned()),
        ])
    );
    let policy = snapshot
        .policy
        .value()
        .expect("policy readable")
        .as_ref()
        .expect("policy present");
    assert_eq!(sids_of(&policy.json), ["s3-invoke", "public"]);
    assert_eq!(policy.revision_id, expected_revision);
    assert_eq!(snapshot.url, Readable::read(None));

    // AND exactly one request per read operation was sent: seven Lambda reads (a zip
    // function without a dead-letter queue needs the event invoke and code signing
    // configurations too), and the role (which has no policies) with its two lists
    assert_eq!(aws.calls().reads(), 10);
    assert_eq!(aws.calls().writes(), 0);
    assert_eq!(
        aws.calls().by_operation(),
        BTreeMap::from([
            ("GetFunctionCodeSigningConfig", 1),
            ("GetFunctionConcurrency", 1),
            ("GetFunctionConfiguration", 1),
            ("GetFunctionEventInvokeConfig", 1),
            ("GetFunctionUrlConfig", 1),
            ("GetPolicy", 1),
            ("ListTags", 1),
            ("iam:GetRole", 1),
            ("iam:ListAttachedRolePolicies", 1),
            ("iam:ListRolePolicies", 1),
        ])
    );
}

#[tokio::test]
async fn a_dead_letter_queue_spares_the_event_invoke_configuration_read() {
    // GIVEN a function with a dead-letter queue (LW011 is satisfied by it alone)
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("with-dlq", &[]).await;
    setup
        .lambda
        .update_function_configuration()
        .function_name("with-dlq")
        .dead_letter_config(
            aws_sdk_lambda::types::DeadLetterConfig::builder()
                .target_arn(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:with-dlq-dlq"))
                .build(),
        )
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    let aws = Aws::new(&moto.sdk_config());

    // WHEN the event path reads it with every part wanted
    let snapshot = found(aws.fetch_snapshot(&arn).await.expect("fetch_snapshot"));

    // THEN the event invoke configuration was not read (the configuration showed the queue)
    // and the code signing configuration, which nothing spares, was
    assert_eq!(
        snapshot.event_invoke_config,
        warden_rules::snapshot::Readable::NotRead
    );
    let ops = aws.calls().by_operation();
    assert_eq!(ops.get("GetFunctionEventInvokeConfig"), None, "{ops:?}");
    assert_eq!(ops.get("GetFunctionCodeSigningConfig"), Some(&1), "{ops:?}");
    assert_eq!(aws.calls().reads(), 9, "{ops:?}");
}

#[tokio::test]
async fn a_function_without_policy_or_url_reads_as_none() {
    let moto = Moto::start();
    let arn = moto.setup().create_function("no-policy", &[]).await;
    let aws = Aws::new(&moto.sdk_config());

    let snapshot = found(aws.fetch_snapshot(&arn).await.expect("fetch_snapshot"));

    assert_eq!(snapshot.policy, Readable::read(None));
    assert_eq!(snapshot.url, Readable::read(None));
    assert!(snapshot.tags.is_empty());
    assert_eq!(snapshot.event_invoke_config, Readable::read(None));
    assert_eq!(snapshot.code_signing_config_arn, Readable::read(None));
    assert_eq!(aws.calls().reads(), 10);
}

#[tokio::test]
async fn configuration_invoke_config_and_the_role_with_managed_and_inline_policies_are_read() {
    // GIVEN a function with variables, tracing and an on-failure destination, whose role has
    // a customer managed policy (two versions, the second the default) and an inline policy
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("configured", &[]).await;
    let role = "warden-test-function-role";
    let v1 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let v2 = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Everything","Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let policy_arn = setup
        .iam
        .create_policy()
        .policy_name("app-policy")
        .policy_document(v1)
        .send()
        .await
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn())
        .expect("policy ARN")
        .to_owned();
    setup
        .iam
        .create_policy_version()
        .policy_arn(&policy_arn)
        .policy_document(v2)
        .set_as_default(true)
        .send()
        .await
        .expect("CreatePolicyVersion");
    setup
        .iam
        .attach_role_policy()
        .role_name(role)
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("AttachRolePolicy");
    let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}"#;
    setup
        .iam
        .put_role_policy()
        .role_name(role)
        .policy_name("deployer")
        .policy_document(inline)
        .send()
        .await
        .expect("PutRolePolicy");
    setup
        .lambda
        .update_function_configuration()
        .function_name("configured")
        .environment(
            aws_sdk_lambda::types::Environment::builder()
                .variables("TABLE_NAME", "orders")
                .build(),
        )
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    setup
        .lambda
        .put_function_event_invoke_config()
        .function_name("configured")
        .destination_config(
            aws_sdk_lambda::types::DestinationConfig::builder()
                .on_failure(
                    aws_sdk_lambda::types::OnFailure::builder()
                        .destination("arn:aws:sqs:us-east-1:123456789012:failed")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("PutFunctionEventInvokeConfig");

    // WHEN the adapter reads it
    let aws = Aws::new(&moto.sdk_config());
    let snapshot = found(aws.fetch_snapshot(&arn).await.expect("fetch_snapshot"));

    // THEN the configuration's variables are read, redacted in debug output
    let config = snapshot.configuration.value().expect("configuration");
    let vars = config.environment.value().expect("variables");
    assert_eq!(vars["TABLE_NAME"].expose(), "orders");
    assert!(!format!("{snapshot:?}").contains("orders\""));
    assert_eq!(config.runtime.as_deref(), Some("python3.12"));
    assert!(config.role.as_deref().is_some_and(|r| r.ends_with(role)));
    // AND the event invoke configuration
    let invoke = snapshot
        .event_invoke_config
        .value()
        .and_then(Option::as_ref)
        .expect("event invoke config");
    assert_eq!(
        invoke.on_failure_destination.as_deref(),
        Some("arn:aws:sqs:us-east-1:123456789012:failed")
    );
    // AND the role: trust policy decoded, the managed policy's default version, the inline
    // policy
    let role_read = snapshot
        .execution_role
        .value()
        .and_then(Option::as_ref)
        .expect("role");
    assert!(role_read.trust_policy.contains("lambda.amazonaws.com"));
    let attached = role_read.attached.value().expect("attached policies");
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].arn, policy_arn);
    let doc: serde_json::Value =
        serde_json::from_str(attached[0].document.value().expect("document")).expect("JSON");
    assert_eq!(
        doc["Statement"][0]["Sid"], "Everything",
        "the default version is read"
    );
    let inline_read = role_read.inline.value().expect("inline policies");
    assert_eq!(inline_read[0].name, "deployer");
    assert!(inline_read[0]
        .document
        .value()
        .is_some_and(|d| d.contains("iam:PassRole")));
    // AND each read was one request
    let by_op = aws.calls().by_operation();
    for op in [
        "iam:GetRole",
        "iam:ListAttachedRolePolicies",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
    ] {
        assert_eq!(by_op.get(op), Some(&1), "{op}: {by_op:?}");
    }
    assert_eq!(aws.calls().reads(), 13);

    // AND the rules see the role: LW019 names the managed policy's statement
    let findings =
        warden_rules::rules::evaluate(&snapshot, &warden_rules::rules::RuleConfig::default(), 0);
    let ids: Vec<_> = findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.sid.clone()))
        .collect();
    assert!(
        ids.contains(&("LW019", Some("policy/app-policy#0".to_owned()))),
        "{ids:?}"
    );
}

#[tokio::test]
async fn a_layer_version_policy_is_read() {
    let moto = Moto::start();
    let setup = moto.setup();
    let published = setup
        .lambda
        .publish_layer_version()
        .layer_name("shared-deps")
        .content(
            aws_sdk_lambda::types::LayerVersionContentInput::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(
                    [0x50u8, 0x4b, 0x05, 0x06]
                        .into_iter()
                        .chain([0u8; 18])
                        .collect::<Vec<u8>>(),
                ))
                .build(),
        )
        .send()
        .await
        .expect("PublishLayerVersion");
    let layer = warden_rules::ids::LayerVersionArn::parse(
        published.layer_version_arn().expect("LayerVersionArn"),
    )
    .expect("layer version ARN");
    let aws = Aws::new(&moto.sdk_config());

    let before = aws
        .fetch_layer(&layer)
        .await
        .expect("fetch_layer")
        .expect("the version exists");
    assert_eq!(before.policy, Readable::read(None), "no policy yet");

    setup
        .lambda
        .add_layer_version_permission()
        .layer_name("shared-deps")
        .version_number(i64::try_from(layer.version).expect("version"))
        .statement_id("public-read")
        .action("lambda:GetLayerVersion")
        .principal("*")
        .send()
        .await
        .expect("AddLayerVersionPermission");
    let after = aws
        .fetch_layer(&layer)
        .await
        .expect("fetch_layer")
        .expect("the version exists");
    let doc = after
        .policy
        .value()
        .and_then(Option::as_ref)
        .expect("policy");
    assert_eq!(sids_of(&doc.json), ["public-read"]);
    let findings =
        warden_rules::rules::evaluate_layer(&after, &warden_rules::rules::RuleConfig::default());
    assert_eq!(
        findings
            .iter()
            .map(|f| f.rule_id.as_str())
            .collect::<Vec<_>>(),
        ["LW018"]
    );
    assert_eq!(
        aws.calls().by_operation().get("GetLayerVersionPolicy"),
        Some(&2)
    );
}

#[tokio::test]
async fn a_public_url_with_cors_is_read() {
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("public-url", &[]).await;
    setup
        .lambda
        .create_function_url_config()
        .function_name("public-url")
        .auth_type(SdkAuthType::None)
        .cors(
            Cors::builder()
                .allow_origins("*")
                .allow_methods("GET")
                .build(),
        )
        .send()
        .await
        .expect("CreateFunctionUrlConfig");
    let aws = Aws::new(&moto.sdk_config());

    let snapshot = found(aws.fetch_snapshot(&arn).await.expect("fetch_snapshot"));

    let url = snapshot
        .url
        .value()
        .expect("URL readable")
        .as_ref()
        .expect("URL present");
    assert_eq!(url.auth_type, FunctionUrlAuthType::None);
    assert!(
        url.function_url.starts_with("https://"),
        "{}",
        url.function_url
    );
    let cors = url.cors.as_ref().expect("CORS");
    assert_eq!(cors.allow_origins, ["*"]);
    assert_eq!(cors.allow_methods, ["GET"]);
}

#[tokio::test]
async fn a_deleted_function_is_gone() {
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("short-lived", &[]).await;
    setup
        .lambda
        .delete_function()
        .function_name("short-lived")
        .send()
        .await
        .expect("DeleteFunction");
    let never_existed = FunctionArn::parse(&format!(
        "arn:aws:lambda:us-east-1:{ACCOUNT}:function:never-existed"
    ))
    .expect("ARN");
    let aws = Aws::new(&moto.sdk_config());

    assert_eq!(aws.fetch_snapshot(&arn).await, Ok(Fetched::Gone));
    assert_eq!(aws.fetch_snapshot(&never_existed).await, Ok(Fetched::Gone));
}

#[tokio::test]
async fn a_qualified_arn_reads_the_alias_policy() {
    // GIVEN a function whose alias `live` has its own statement
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup
        .create_function("versioned", &[("team", "search")])
        .await;
    let version = setup
        .lambda
        .publish_version()
        .function_name("versioned")
        .send()
        .await
        .expect("PublishVersion")
        .version()
        .expect("Version")
        .to_owned();
    setup
        .lambda
        .create_alias()
        .function_name("versioned")
        .name("live")
        .function_version(&version)
        .send()
        .await
        .expect("CreateAlias");
    setup
        .add_permission("versioned", "alias-public", "*", Some("live"))
        .await;
    let alias_arn = FunctionArn {
        qualifier: Some(Qualifier::parse("live").expect("qualifier")),
        ..arn.clone()
    };
    let aws = Aws::new(&moto.sdk_config());

    // WHEN the alias is read
    let snapshot = found(
        aws.fetch_snapshot(&alias_arn)
            .await
            .expect("fetch_snapshot"),
    );

    // THEN the snapshot is the alias's: its ARN, its policy; tags are the function's
    assert_eq!(snapshot.arn, alias_arn);
    assert_eq!(
        snapshot.tags.get("team").map(String::as_str),
        Some("search")
    );
    let policy = snapshot
        .policy
        .value()
        .expect("policy readable")
        .as_ref()
        .expect("alias policy present");
    assert_eq!(sids_of(&policy.json), ["alias-public"]);
    let resource = statements_of(&policy.json)[0]["Resource"].clone();
    assert_eq!(resource, format!("{arn}:live"));

    // AND the unqualified function's policy is a separate document, as in AWS (the test
    // launcher keeps moto's policies per qualifier): the alias's statement is not in it
    let unqualified = found(aws.fetch_snapshot(&arn).await.expect("fetch_snapshot"));
    assert_eq!(unqualified.policy, Readable::read(None));

    // AND an alias that does not exist is gone: `GetFunctionConfiguration` carried the qualifier
    let missing_alias = FunctionArn {
        qualifier: Some(Qualifier::parse("canary").expect("qualifier")),
        ..arn
    };
    assert_eq!(aws.fetch_snapshot(&missing_alias).await, Ok(Fetched::Gone));
}

#[tokio::test]
async fn no_response_is_transient_and_every_retry_is_counted() {
    // GIVEN an endpoint where nothing listens, and the standard retry mode with 3 attempts
    // (a short backoff keeps the test fast)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let config = common::sdk_config(&format!("http://127.0.0.1:{port}"))
        .into_builder()
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    let aws = Aws::new(&config);
    let arn =
        FunctionArn::parse(&format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:f")).expect("ARN");

    // WHEN the adapter reads the function
    let err = aws.fetch_snapshot(&arn).await.expect_err("no server");

    // THEN the failure is transient, coded `dispatch`, and all 3 attempts of each read counted
    assert_eq!(err.kind, FailureKind::Transient);
    assert_eq!(err.code, "dispatch");
    assert_eq!(err.operation, "GetFunctionConfiguration");
    assert_eq!(err.resource_arn, arn.to_string());
    assert_eq!(
        aws.calls().by_operation(),
        BTreeMap::from([
            ("GetFunctionConcurrency", 3),
            ("GetFunctionConfiguration", 3),
            ("GetFunctionUrlConfig", 3),
            ("GetPolicy", 3),
            ("ListTags", 3),
        ])
    );
    // (the event invoke and code signing configurations wait for the configuration, which
    // never came)
    assert_eq!(aws.calls().reads(), 15);
}

#[tokio::test]
async fn a_layer_version_that_does_not_exist_is_gone_not_without_policy() {
    // GetLayerVersionPolicy answers ResourceNotFoundException both for a version without a
    // policy and for a missing version; GetLayerVersion tells them apart.
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config());
    let layer = warden_rules::ids::LayerVersionArn::parse(
        "arn:aws:lambda:us-east-1:123456789012:layer:never-published:1",
    )
    .expect("layer version ARN");

    let fetched = aws.fetch_layer(&layer).await.expect("fetch_layer");

    assert_eq!(fetched, None, "a missing layer version is gone");
    let by_op = aws.calls().by_operation();
    assert_eq!(by_op.get("GetLayerVersionPolicy"), Some(&1), "{by_op:?}");
    assert_eq!(by_op.get("GetLayerVersion"), Some(&1), "{by_op:?}");
}

#[tokio::test]
async fn a_managed_policy_created_again_under_its_name_is_read_again() {
    // GIVEN a role with customer managed policy `app-access` (v1: read a bucket), read once,
    // so its v1 document is in the process-wide cache of policy versions
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("recreated-policy", &[]).await;
    let aws = Aws::new(&moto.sdk_config());
    let role_arn = found(aws.fetch_snapshot(&arn).await.expect("fetch_snapshot"))
        .configuration
        .value()
        .and_then(|c| c.role.clone())
        .expect("role");
    let role_name = role_arn.rsplit('/').next().expect("role name").to_owned();
    let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/app-access");
    let create = |action: &'static str| {
        setup
            .iam
            .create_policy()
            .policy_name("app-access")
            .policy_document(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
            ))
            .send()
    };
    let attach = || {
        setup
            .iam
            .attach_role_policy()
            .role_name(&role_name)
            .policy_arn(&policy_arn)
            .send()
    };
    create("s3:GetObject").await.expect("CreatePolicy");
    attach().await.expect("AttachRolePolicy");
    let document = |role: Readable<Option<warden_rules::snapshot::ExecutionRole>>| {
        role.value()
            .and_then(|r| r.as_ref())
            .and_then(|r| r.attached.value().cloned())
            .and_then(|a| a.into_iter().next())
            .and_then(|p| p.document.value().cloned())
            .expect("one attached policy, read")
    };
    let first = document(aws.fetch_execution_role(&role_arn).await.expect("role"));
    assert!(first.contains("s3:GetObject"), "{first}");

    // WHEN the policy is deleted and created again under the same name (same ARN, again `v1`)
    // with a document granting everything
    setup
        .iam
        .detach_role_policy()
        .role_name(&role_name)
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("DetachRolePolicy");
    setup
        .iam
        .delete_policy()
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("DeletePolicy");
    create("*").await.expect("CreatePolicy again");
    attach().await.expect("AttachRolePolicy again");

    // THEN the new document is read: the cache is keyed by the policy's id, not its ARN
    let second = document(aws.fetch_execution_role(&role_arn).await.expect("role"));
    assert!(second.contains(r#""Action":"*""#), "{second}");
}

//! End-to-end tests of the handler: one sample event from `events/` into
//! `lambda_events::handle`, against the seeded moto account, then what changed in the account
//! (policy statements, tags, URL auth type) and what reached the alert topic.
//!
//! Each test starts its own moto, so tests run in parallel without sharing state.

use serde_json::{json, Value};
use warden_aws::store::StateStore;
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_tests::seed::*;
use warden_tests::{load_event, retarget, seed_demo_account, DemoAccount, Moto};

use lambda_events::{handle, Deps};

/// 2026-05-28T00:00:00Z, in seconds since the Unix epoch: the handler's "now".
const NOW: i64 = 1_779_926_400;

struct World {
    // Kept alive for the test's duration; dropping it stops moto.
    _moto: Moto,
    demo: DemoAccount,
    deps: Deps,
}

/// moto, the demo account (with its state table), and the handler's dependencies in
/// `enforce` mode with alerts on and the security team's role as the exemption approver.
async fn world() -> World {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk)
        .await
        .expect("seed the demo account");
    let settings = [
        ("WARDEN_MODE", "enforce".to_owned()),
        ("WARDEN_ALERT_TOPIC_ARN", demo.topic_arn.clone()),
        ("WARDEN_SELF_ROLE_ARNS", demo.warden_role_arn.clone()),
        (
            "WARDEN_SELF_FUNCTION_ARNS",
            demo.function_arn(WARDEN_FUNCTION),
        ),
        ("WARDEN_STATE_TABLE", demo.state_table.clone()),
        ("WARDEN_EXEMPTION_APPROVERS", APPROVER_ROLE_ARN.to_owned()),
    ];
    let config = Config::from_lookup(|k| {
        settings
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("valid settings");
    let deps = Deps {
        aws: Aws::configured(&sdk, &config),
        config,
    };
    World {
        _moto: moto,
        demo,
        deps,
    }
}

impl World {
    /// The state table, read with a client of its own (so its calls are not counted in the
    /// handler's call log).
    fn store(&self) -> StateStore {
        StateStore::new(
            &self._moto.sdk_config(),
            std::sync::Arc::default(),
            &self.demo.state_table,
            None,
        )
    }
}

/// Runs the handler and returns its decision as JSON.
async fn deliver(w: &World, event: Value) -> Value {
    let decision = handle(event, &w.deps, NOW)
        .await
        .unwrap_or_else(|e| panic!("handler failed: {e}"));
    serde_json::to_value(&decision).expect("decision serialises")
}

fn event(name: &str) -> Value {
    load_event(name).unwrap_or_else(|e| panic!("{e}"))
}

fn outcome(decision: &Value) -> &str {
    decision["outcome"].as_str().unwrap_or("<missing>")
}

fn findings(decision: &Value) -> Vec<&str> {
    decision["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn statement<'a>(statements: &'a [Value], sid: &str) -> Option<&'a Value> {
    statements.iter().find(|s| s["Sid"] == sid)
}

#[tokio::test]
async fn public_statement_on_a_function_not_opted_in_is_tagged_and_left_in_place() {
    let w = world().await;
    let decision = deliver(&w, event("add-permission-public-orders-api.json")).await;

    assert_eq!(outcome(&decision), "non_compliant", "{decision}");
    assert!(findings(&decision).contains(&"LW001"), "{decision}");
    let after = w.demo.state(ORDERS_API).await.expect("state");
    assert_eq!(
        after.tags.get(TAG_STATUS).map(String::as_str),
        Some("non-compliant")
    );
    let tagged = after.tags.get(TAG_FINDINGS).cloned().unwrap_or_default();
    assert!(tagged.split(' ').any(|id| id == "LW001"), "{tagged:?}");
    assert!(
        statement(&after.statements, "backdoor").is_some(),
        "a function that is not opted in keeps its statement: {:?}",
        after.statements
    );
}

#[tokio::test]
async fn public_statement_raises_one_alert_naming_the_function_and_rule() {
    let w = world().await;
    deliver(&w, event("add-permission-public-orders-api.json")).await;

    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let (subject, message) = &alerts[0];
    assert!(!subject.is_empty() && subject.len() <= 100, "{subject:?}");
    assert!(message.contains(ORDERS_API), "{message}");
    assert!(message.contains("LW001"), "{message}");
}

#[tokio::test]
async fn unpinned_s3_statement_of_an_opted_in_function_is_re_added_with_source_account() {
    let w = world().await;
    let decision = deliver(&w, event("add-permission-s3-unpinned-image-resizer.json")).await;

    assert_eq!(outcome(&decision), "remediated", "{decision}");
    assert!(findings(&decision).contains(&"LW002"), "{decision}");
    let after = w.demo.state(IMAGE_RESIZER).await.expect("state");
    let same_sid: Vec<_> = after
        .statements
        .iter()
        .filter(|s| s["Sid"] == "s3-invoke")
        .collect();
    assert_eq!(same_sid.len(), 1, "{:?}", after.statements);
    let s3 = same_sid[0];
    assert_eq!(s3["Principal"]["Service"], "s3.amazonaws.com", "{s3}");
    assert_eq!(
        s3["Condition"]["StringEquals"]["AWS:SourceAccount"], "123456789012",
        "{s3}"
    );
    assert_eq!(
        s3["Condition"]["ArnLike"]["AWS:SourceArn"], DEMO_BUCKET_ARN,
        "the bucket pin is kept: {s3}"
    );
}

#[tokio::test]
async fn public_statement_of_an_opted_in_function_is_removed() {
    let w = world().await;
    let decision = deliver(&w, event("add-permission-public-payments-api.json")).await;

    assert_eq!(outcome(&decision), "remediated", "{decision}");
    let after = w.demo.state(PAYMENTS_API).await.expect("state");
    assert!(
        statement(&after.statements, "public-invoke").is_none(),
        "{:?}",
        after.statements
    );
}

/// The actions of a decision that AWS accepted, by their `action` kind.
fn done_actions(decision: &Value) -> Vec<&str> {
    decision["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["status"]["status"] == "done")
                .filter_map(|r| r["action"]["action"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn public_function_url_of_an_opted_in_function_is_switched_to_iam_auth() {
    let w = world().await;
    let decision = deliver(&w, event("create-function-url-none-public-webhook.json")).await;

    assert!(findings(&decision).contains(&"LW004"), "{decision}");
    let done = done_actions(&decision);
    assert!(done.contains(&"require_iam_auth"), "{decision}");
    assert!(done.contains(&"remove_permission"), "{decision}");
    // CORS AllowOrigins "*" (LW005) has a manual fix only, so a finding stays open.
    assert_eq!(outcome(&decision), "non_compliant", "{decision}");
    let after = w.demo.state(PUBLIC_WEBHOOK).await.expect("state");
    assert_eq!(after.url_auth_type.as_deref(), Some("AWS_IAM"));
    assert!(
        statement(&after.statements, "FunctionURLAllowPublicAccess").is_none(),
        "{:?}",
        after.statements
    );
}

#[tokio::test]
async fn public_url_statement_event_also_switches_the_url_to_iam_auth() {
    let w = world().await;
    let decision = deliver(&w, event("add-permission-url-public-public-webhook.json")).await;

    assert!(
        done_actions(&decision).contains(&"require_iam_auth"),
        "{decision}"
    );
    let after = w.demo.state(PUBLIC_WEBHOOK).await.expect("state");
    assert_eq!(after.url_auth_type.as_deref(), Some("AWS_IAM"));
    assert!(statement(&after.statements, "FunctionURLAllowPublicAccess").is_none());
}

#[tokio::test]
async fn unpinned_sns_statement_of_a_function_not_opted_in_is_only_tagged() {
    let w = world().await;
    let before = w.demo.state(NOTIFIER).await.expect("state");
    let decision = deliver(&w, event("add-permission-sns-unpinned-notifier.json")).await;

    assert_eq!(outcome(&decision), "non_compliant", "{decision}");
    assert!(findings(&decision).contains(&"LW002"), "{decision}");
    let after = w.demo.state(NOTIFIER).await.expect("state");
    assert_eq!(after.statements, before.statements);
    assert_eq!(
        after.tags.get(TAG_STATUS).map(String::as_str),
        Some("non-compliant")
    );
}

#[tokio::test]
async fn exempt_function_is_left_untouched() {
    // legacy-batch's exemption is recorded in the state table, approved by the security
    // team's role (and already alerted): that record, not the tag, exempts it.
    let w = world().await;
    let recorded = w
        .store()
        .load(&w.demo.function_arn(LEGACY_BATCH))
        .await
        .expect("state table")
        .exemption
        .expect("legacy-batch's exemption is recorded");
    assert_eq!(recorded.approved_by, APPROVER_ROLE_ARN);
    let before = w.demo.state(LEGACY_BATCH).await.expect("state");
    let public = event("add-permission-public-orders-api.json");
    let decision = deliver(&w, retarget(&public, ORDERS_API, LEGACY_BATCH)).await;

    assert_eq!(outcome(&decision), "exempt", "{decision}");
    let after = w.demo.state(LEGACY_BATCH).await.expect("state");
    assert_eq!(
        (&after.statements, after.url_auth_type.as_deref()),
        (&before.statements, before.url_auth_type.as_deref()),
        "an exempt function is not fixed"
    );
    // Its only tag change is the display of its recorded state.
    let mut shown = before.tags.clone();
    shown.insert(TAG_STATUS.to_owned(), "exempt".to_owned());
    assert_eq!(after.tags, shown);
    assert!(
        w.demo.read_alerts().await.expect("alerts").is_empty(),
        "an exemption already alerted is not alerted again"
    );
    let stored = w
        .store()
        .load(&w.demo.function_arn(LEGACY_BATCH))
        .await
        .expect("state table");
    assert_eq!(stored.exemption.as_ref(), Some(&recorded));
    assert_eq!(
        stored.state, None,
        "an exempt function's findings are not recorded"
    );
}

#[tokio::test]
async fn an_exempt_tag_without_a_recorded_exemption_is_a_finding_and_exempts_nothing() {
    // The same function and tag, with the table's record gone: the tag alone is an
    // unapproved exemption (LW025), alerted, and the function is evaluated as if untagged.
    let w = world().await;
    let arn = w.demo.function_arn(LEGACY_BATCH);
    assert!(w.store().delete_exemption(&arn).await.expect("DeleteItem"));
    let public = event("add-permission-public-orders-api.json");

    let decision = deliver(&w, retarget(&public, ORDERS_API, LEGACY_BATCH)).await;

    assert_eq!(outcome(&decision), "non_compliant", "{decision}");
    let found = findings(&decision);
    assert!(
        found.contains(&"LW025") && found.contains(&"LW001"),
        "{decision}"
    );
    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].1.contains("LW025"), "{alerts:?}");
    let after = w.demo.state(LEGACY_BATCH).await.expect("state");
    assert_eq!(
        after.tags.get(TAG_STATUS).map(String::as_str),
        Some("non-compliant")
    );
    assert!(
        statement(&after.statements, "legacy-public").is_some(),
        "not opted in: the statement stays: {:?}",
        after.statements
    );
    let stored = w.store().load(&arn).await.expect("state table");
    assert_eq!(stored.exemption, None, "nothing is recorded for the tag");
    let state = stored.state.expect("the evaluation's state is recorded");
    let rules: Vec<&str> = state.open.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(
        rules.contains(&"LW025") && rules.contains(&"LW001"),
        "{rules:?}"
    );
}

#[tokio::test]
async fn failed_call_is_skipped_without_calling_aws() {
    let w = world().await;
    let reads = w.deps.aws.calls().reads();
    let writes = w.deps.aws.calls().writes();
    let store_calls = w.deps.aws.calls().store_calls();
    let decision = deliver(&w, event("add-permission-failed-access-denied.json")).await;

    assert_eq!(outcome(&decision), "skipped", "{decision}");
    assert_eq!(w.deps.aws.calls().reads(), reads);
    assert_eq!(w.deps.aws.calls().writes(), writes);
    assert_eq!(w.deps.aws.calls().store_calls(), store_calls);
    assert!(w.demo.read_alerts().await.expect("alerts").is_empty());
}

#[tokio::test]
async fn own_change_is_skipped_without_calling_aws() {
    let w = world().await;
    let before = w.demo.state(ORDERS_API).await.expect("state");
    let reads = w.deps.aws.calls().reads();
    let writes = w.deps.aws.calls().writes();
    let store_calls = w.deps.aws.calls().store_calls();
    let decision = deliver(&w, event("remove-permission-by-lambda-warden.json")).await;

    assert_eq!(outcome(&decision), "skipped", "{decision}");
    assert_eq!(w.deps.aws.calls().reads(), reads);
    assert_eq!(w.deps.aws.calls().writes(), writes);
    assert_eq!(w.deps.aws.calls().store_calls(), store_calls);
    assert_eq!(w.demo.state(ORDERS_API).await.expect("state"), before);
}

/// `event` as made by the session `session` of the role `role` (issuer ARN and session ARN
/// as CloudTrail records an assumed role).
fn made_by(mut event: Value, account: &str, role: &str, session: &str) -> Value {
    event["detail"]["userIdentity"] = json!({
        "type": "AssumedRole",
        "principalId": format!("AROAEXAMPLEATTACK0001:{session}"),
        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
        "accountId": account,
        "sessionContext": {"sessionIssuer": {
            "type": "Role",
            "principalId": "AROAEXAMPLEATTACK0001",
            "arn": format!("arn:aws:iam::{account}:role/{role}"),
            "accountId": account,
            "userName": role,
        }},
    });
    event
}

#[tokio::test]
async fn a_function_given_lambda_warden_s_role_is_not_lambda_warden() {
    // Attack 7: a developer who may pass lambda-warden's role gives it to a function of their
    // own; its calls run as `assumed-role/lambda-warden-events-role/attacker-fn`.
    let w = world().await;
    w.demo
        .lambda()
        .create_function()
        .function_name("attacker-fn")
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(&w.demo.warden_role_arn)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction attacker-fn with lambda-warden's role");
    let by_attacker = made_by(
        event("add-permission-public-orders-api.json"),
        &w.demo.account_id,
        WARDEN_ROLE,
        "attacker-fn",
    );

    let decision = deliver(&w, by_attacker).await;

    assert_eq!(outcome(&decision), "non_compliant", "{decision}");
    assert!(findings(&decision).contains(&"LW001"), "{decision}");
    assert_eq!(w.demo.read_alerts().await.expect("alerts").len(), 1);
    // lambda-warden's own session of the same role is still skipped.
    let reads = w.deps.aws.calls().reads();
    let own = made_by(
        event("add-permission-public-orders-api.json"),
        &w.demo.account_id,
        WARDEN_ROLE,
        WARDEN_FUNCTION,
    );
    let decision = deliver(&w, own).await;
    assert_eq!(outcome(&decision), "skipped", "{decision}");
    assert_eq!(w.deps.aws.calls().reads(), reads);
}

#[tokio::test]
async fn a_function_named_like_lambda_warden_elsewhere_is_evaluated() {
    // Attack 6: own-function matched a bare name in any account or Region. A function of
    // lambda-warden's name in another Region of the account is somebody else's.
    let w = world().await;
    let sdk = w._moto.sdk_config();
    let lambda_eu = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(&sdk)
            .region(aws_config::Region::new("eu-west-1"))
            .build(),
    );
    lambda_eu
        .create_function()
        .function_name(WARDEN_FUNCTION)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(&w.demo.demo_role_arn)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction in eu-west-1");
    lambda_eu
        .add_permission()
        .function_name(WARDEN_FUNCTION)
        .statement_id("backdoor")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");
    let mut e = retarget(
        &event("add-permission-public-orders-api.json"),
        ORDERS_API,
        WARDEN_FUNCTION,
    );
    e["region"] = json!("eu-west-1");
    e["detail"]["awsRegion"] = json!("eu-west-1");

    let decision = deliver(&w, e).await;

    assert_eq!(outcome(&decision), "non_compliant", "{decision}");
    assert_eq!(
        decision["function_arn"],
        format!(
            "arn:aws:lambda:eu-west-1:{}:function:{WARDEN_FUNCTION}",
            w.demo.account_id
        )
    );
    // The same name in another account's ARN, in this account's event: not this account's
    // function, never own_function; nothing is read.
    let reads = w.deps.aws.calls().reads();
    let mut e = event("add-permission-public-orders-api.json");
    e["detail"]["requestParameters"]["functionName"] =
        json!(format!("444455556666:function:{WARDEN_FUNCTION}"));
    let decision = deliver(&w, e).await;
    assert_eq!(outcome(&decision), "skipped", "{decision}");
    assert!(
        decision["skip_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("foreign_target")),
        "{decision}"
    );
    assert_eq!(w.deps.aws.calls().reads(), reads);
}

#[tokio::test]
async fn another_deployment_s_status_tags_do_not_re_trigger_this_one() {
    // Attack 4: two deployments with different settings each evaluated the other's
    // TagResource as a human change, forever.
    let w = world().await;
    let other = |tags: Value| {
        let mut e = made_by(
            event("tag-resource-opt-in-orders-api.json"),
            &w.demo.account_id,
            "other-stack-events-role",
            "other-stack-events",
        );
        e["detail"]["requestParameters"]["tags"] = tags;
        e
    };
    let (reads, writes) = (w.deps.aws.calls().reads(), w.deps.aws.calls().writes());
    let status_write = other(json!({
        "lambda-warden:status": "non-compliant",
        "lambda-warden:findings": "LW001 LW017",
        "lambda-warden:fingerprint": "0123456789abcdef",
    }));
    let decision = deliver(&w, status_write).await;
    assert_eq!(outcome(&decision), "skipped", "{decision}");
    assert!(
        decision["skip_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("warden_tags_only")),
        "{decision}"
    );
    let mut untag = event("tag-resource-opt-in-orders-api.json");
    untag["detail"]["eventName"] = json!("UntagResource20170331v2");
    let request = untag["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap();
    request.remove("tags");
    request.insert("tagKeys".into(), json!(["lambda-warden:fingerprint"]));
    let decision = deliver(&w, untag).await;
    assert_eq!(outcome(&decision), "skipped", "{decision}");
    assert_eq!(
        (w.deps.aws.calls().reads(), w.deps.aws.calls().writes()),
        (reads, writes),
        "no call for a display-tag change"
    );
    // A tag change that also sets an exemption is evaluated.
    let with_exempt = other(json!({
        "lambda-warden:status": "compliant",
        "lambda-warden:exempt": "",
    }));
    let decision = deliver(&w, with_exempt).await;
    assert_ne!(outcome(&decision), "skipped", "{decision}");
    assert!(w.deps.aws.calls().reads() > reads);
}

#[tokio::test]
async fn duplicate_event_writes_nothing_and_alerts_once() {
    // The second delivery is silenced by the state table's recorded fingerprint, not by the
    // function's tags (which anyone may write).
    let w = world().await;
    let first = deliver(&w, event("add-permission-public-orders-api.json")).await;
    assert_eq!(outcome(&first), "non_compliant", "{first}");
    assert_eq!(w.demo.read_alerts().await.expect("alerts").len(), 1);
    let state = w.demo.state(ORDERS_API).await.expect("state");
    let recorded = w
        .store()
        .load(&w.demo.function_arn(ORDERS_API))
        .await
        .expect("state table")
        .state
        .expect("the first evaluation's state is recorded");
    assert!(
        recorded.open.iter().any(|f| f.rule_id.as_str() == "LW001"),
        "{recorded:?}"
    );
    assert_eq!(
        state.tags.get("lambda-warden:fingerprint"),
        Some(&recorded.fingerprint),
        "the display tag shows the recorded fingerprint"
    );
    let writes = w.deps.aws.calls().writes();

    let second = deliver(&w, event("add-permission-public-orders-api.json")).await;

    assert_eq!(outcome(&second), "non_compliant", "{second}");
    assert_eq!(
        w.deps.aws.calls().writes(),
        writes,
        "the second delivery must write nothing"
    );
    assert!(
        w.demo.read_alerts().await.expect("alerts").is_empty(),
        "no second alert for the same state"
    );
    assert_eq!(w.demo.state(ORDERS_API).await.expect("state"), state);
    let again = w
        .store()
        .load(&w.demo.function_arn(ORDERS_API))
        .await
        .expect("state table")
        .state
        .expect("state");
    assert_eq!(
        (&again.fingerprint, &again.open, again.status),
        (&recorded.fingerprint, &recorded.open, recorded.status),
        "the same findings are recorded"
    );
    assert!(again.read_at_ms >= recorded.read_at_ms, "{again:?}");
}

#[tokio::test]
async fn opting_in_later_fixes_the_function() {
    let w = world().await;
    deliver(&w, event("add-permission-public-orders-api.json")).await;
    // The change the TagResource event records.
    w.demo
        .lambda()
        .tag_resource()
        .resource(w.demo.function_arn(ORDERS_API))
        .tags(TAG_AUTO_FIX, "true")
        .send()
        .await
        .expect("TagResource");

    let decision = deliver(&w, event("tag-resource-opt-in-orders-api.json")).await;

    assert_eq!(outcome(&decision), "remediated", "{decision}");
    let after = w.demo.state(ORDERS_API).await.expect("state");
    assert!(statement(&after.statements, "backdoor").is_none());
}

#[tokio::test]
async fn bad_input_is_ignored_not_retried() {
    let w = world().await;
    for bad in [
        json!(null),
        json!("AddPermission20150331v2"),
        json!({"hello": "world"}),
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.lambda", "detail": 42}),
    ] {
        let decision = deliver(&w, bad.clone()).await;
        assert_eq!(
            outcome(&decision),
            "ignored_bad_input",
            "{bad} gave {decision}"
        );
    }
    assert!(w.demo.read_alerts().await.expect("alerts").is_empty());
}

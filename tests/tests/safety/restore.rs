//! Reversibility: every removal or replacement is recorded verbatim in the alert, and the
//! audit record taken from the alert restores the policy statement-for-statement (and the
//! function URL's `AuthType`).

use serde_json::{json, Value};
use warden_aws::restore::RestoreFailure;
use warden_aws::Aws;
use warden_rules::findings::PermissionGrant;
use warden_rules::grant::{grant_from_statement, statement_from_grant};
use warden_rules::ids::{AccountId, FunctionArn};
use warden_rules::outcome::ActionStatus;
use warden_rules::policy::ResourcePolicy;
use warden_rules::report::AuditRecord;
use warden_rules::restore::{restore_actions, RestoreError};
use warden_tests::seed::*;

use crate::world::*;

fn sorted(mut statements: Vec<Value>) -> Vec<Value> {
    statements.sort_by_key(|s| s["Sid"].as_str().unwrap_or("").to_owned());
    statements
}

/// (function, event, removed Sids, replaced Sids)
const CASES: &[(&str, &str, &[&str], &[&str])] = &[
    (
        PAYMENTS_API,
        "add-permission-public-payments-api.json",
        &["public-invoke"],
        &[],
    ),
    (
        IMAGE_RESIZER,
        "add-permission-s3-unpinned-image-resizer.json",
        &["s3-invoke"],
        &["s3-invoke"],
    ),
    (
        PUBLIC_WEBHOOK,
        "create-function-url-none-public-webhook.json",
        &["FunctionURLAllowPublicAccess"],
        &[],
    ),
];

#[tokio::test]
async fn remediate_then_restore_from_the_alert_gives_back_the_original_policy() {
    let w = world().await;
    for (name, file, removed, replaced) in CASES {
        let before = w.demo.state(name).await.expect("state");
        w.deliver_ok(event(file)).await;
        let during = w.demo.state(name).await.expect("state");
        assert_ne!(
            sorted(during.statements.clone()),
            sorted(before.statements.clone()),
            "{name}: remediation changed nothing"
        );

        let alerts = w.alerts().await;
        assert_eq!(alerts.len(), 1, "{name}: {alerts:?}");
        let record: &AuditRecord = &alerts[0].1;
        // Every removed statement is in the alert verbatim.
        let recorded: Vec<&str> = record
            .removed_statements
            .iter()
            .map(|r| r.original.sid.as_str())
            .collect();
        assert_eq!(&recorded, removed, "{name}");
        for r in &record.removed_statements {
            let original = before
                .statements
                .iter()
                .find(|s| s["Sid"] == r.original.sid.as_str())
                .expect("the statement existed");
            assert_eq!(&r.original.statement, original, "{name}: recorded verbatim");
            assert!(r.removed);
        }
        let replacements: Vec<&str> = record
            .removed_statements
            .iter()
            .filter_map(|r| r.replaced_by.as_ref().map(|g| g.statement_id.as_str()))
            .collect();
        assert_eq!(&replacements, replaced, "{name}");

        // Restore from the record as the alert carried it.
        let restorer = Aws::new(&w.moto.sdk_config());
        let outcome = restorer.restore(record).await.expect("restorable");
        assert!(outcome.all_done(), "{name}: {outcome:?}");
        let after = w.demo.state(name).await.expect("state");
        assert_eq!(
            sorted(after.statements),
            sorted(before.statements),
            "{name}: statement-for-statement"
        );
        assert_eq!(
            after.url_auth_type, before.url_auth_type,
            "{name}: URL AuthType"
        );
        let writes = restorer.calls().by_operation();
        let expected_writes = removed.len() + replaced.len();
        assert_eq!(
            writes.get("AddPermission").copied().unwrap_or(0)
                + writes.get("RemovePermission").copied().unwrap_or(0),
            expected_writes,
            "{name}: {writes:?}"
        );
    }
}

#[tokio::test]
async fn the_url_auth_type_is_recorded_and_restored_last() {
    let w = world().await;
    w.deliver_ok(event("create-function-url-none-public-webhook.json"))
        .await;
    let alerts = w.alerts().await;
    let record = &alerts[0].1;
    assert_eq!(record.url_auth_changes.len(), 1, "{record:?}");
    let change = &record.url_auth_changes[0];
    assert_eq!(
        (
            change.original_auth_type.as_str(),
            change.new_auth_type.as_str(),
            change.changed
        ),
        ("NONE", "AWS_IAM", true)
    );
    let actions = restore_actions(record).expect("restorable");
    let ops: Vec<&str> = actions.iter().map(|a| a.operation()).collect();
    assert_eq!(ops, ["AddPermission", "UpdateFunctionUrlConfig"]);
}

#[tokio::test]
async fn a_record_that_cannot_be_restored_writes_nothing_and_names_the_sid() {
    let w = world().await;
    w.deliver_ok(event("add-permission-public-payments-api.json"))
        .await;
    let mut record = w.alerts().await.remove(0).1;
    record.removed_statements[0].original.statement["Action"] =
        serde_json::json!(["lambda:InvokeFunction", "lambda:GetFunction"]);
    let restorer = Aws::new(&w.moto.sdk_config());
    let err = restorer.restore(&record).await.expect_err("two actions");
    assert!(
        matches!(&err, RestoreFailure::Refused(RestoreError::NotExpressible { sid, .. }) if sid == "public-invoke"),
        "{err}"
    );
    assert!(err.to_string().contains("lambda:GetFunction"), "{err}");
    assert_eq!(restorer.calls().writes(), 0);
    assert!(record
        .actions
        .iter()
        .all(|a| a.status == ActionStatus::Done));
}

// ---- attack 5: a tampered record is refused and changes nothing ------------------------------

/// A grant to EventBridge pinned to a rule of the account: no finding, it stays through the
/// remediation. The "good grant" a tampered record tries to have restore remove.
const EVENTS_SID: &str = "events-invoke";
const EVENTS_RULE_ARN: &str = "arn:aws:events:us-east-1:123456789012:rule/nightly";

async fn add_events_grant(w: &World, function: &str) {
    human(w)
        .add_permission()
        .function_name(function)
        .statement_id(EVENTS_SID)
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .source_arn(EVENTS_RULE_ARN)
        .send()
        .await
        .expect("human AddPermission");
}

/// The `AddPermission` arguments that write `statement` (a live statement) again.
fn grant_of(statement: &Value) -> PermissionGrant {
    let policy =
        ResourcePolicy::from_value(&json!({"Statement": [statement.clone()]})).expect("parses");
    grant_from_statement(&policy.statements[0], None).expect("expressible")
}

fn live_statement(statements: &[Value], sid: &str) -> Value {
    statements
        .iter()
        .find(|s| s["Sid"] == sid)
        .cloned()
        .unwrap_or_else(|| panic!("no statement {sid}: {statements:?}"))
}

/// Restores `record` with a fresh adapter, which must refuse it without a single write.
async fn refused(w: &World, record: &AuditRecord) -> RestoreError {
    let restorer = Aws::new(&w.moto.sdk_config());
    let err = match restorer.restore(record).await {
        Err(RestoreFailure::Refused(err)) => err,
        other => panic!("not refused: {other:?}"),
    };
    assert_eq!(
        restorer.calls().writes(),
        0,
        "{err}: {:?}",
        restorer.calls()
    );
    err
}

#[tokio::test]
async fn attack_5_a_replacement_naming_the_live_fixed_statement_is_refused() {
    let w = world().await;
    // GIVEN image-resizer holds a good grant beside its confused-deputy S3 statement, and
    // lambda-warden tightened the S3 statement (the record names its replacement)
    add_events_grant(&w, IMAGE_RESIZER).await;
    let before = sorted(statements(&w.demo, IMAGE_RESIZER).await);
    w.deliver_ok(event("add-permission-s3-unpinned-image-resizer.json"))
        .await;
    let record = w.alerts().await.remove(0).1;
    assert!(
        record.removed_statements[0].replaced_by.is_some(),
        "{record:?}"
    );
    let fixed = sorted(statements(&w.demo, IMAGE_RESIZER).await);
    let good = live_statement(&fixed, EVENTS_SID);
    assert_eq!(
        good,
        live_statement(&before, EVENTS_SID),
        "the good grant stays"
    );
    let others: Vec<(&str, Vec<Value>)> = vec![
        (PAYMENTS_API, statements(&w.demo, PAYMENTS_API).await),
        (ORDERS_API, statements(&w.demo, ORDERS_API).await),
    ];

    // WHEN the replacement is made to name the good grant (its Sid and its exact content)
    let mut to_good = record.clone();
    to_good.removed_statements[0].replaced_by = Some(grant_of(&good));
    // (exactly the live grant: a restore that only compared the statement would remove it)
    let resizer = FunctionArn::parse(&w.demo.function_arn(IMAGE_RESIZER)).expect("arn");
    assert_eq!(statement_from_grant(&grant_of(&good), &resizer), good);
    // ... or the original is renamed to the good grant's Sid as well
    let mut renamed = to_good.clone();
    renamed.removed_statements[0].original.sid = EVENTS_SID.into();
    renamed.removed_statements[0].original.statement["Sid"] = json!(EVENTS_SID);
    // ... or the replacement's content is changed (not what lambda-warden added)
    let mut other_content = record.clone();
    if let Some(g) = other_content.removed_statements[0].replaced_by.as_mut() {
        g.source_account = Some(AccountId::parse("999999999999").expect("account"));
    }

    // THEN each is refused, naming the statement, and no policy changes
    let err = refused(&w, &to_good).await;
    assert_eq!(
        err,
        RestoreError::ReplacementSid {
            sid: "s3-invoke".into(),
            replacement_sid: EVENTS_SID.into()
        }
    );
    assert!(err.to_string().contains(EVENTS_SID), "{err}");
    assert_eq!(
        refused(&w, &renamed).await,
        RestoreError::ReplacementWidens {
            sid: EVENTS_SID.into(),
            parameter: "Principal"
        }
    );
    let err = refused(&w, &other_content).await;
    assert!(
        matches!(&err, RestoreError::ReplacementChanged { sid, live: Some(live), .. }
            if sid == "s3-invoke" && **live == live_statement(&fixed, "s3-invoke")),
        "{err}"
    );
    assert_eq!(sorted(statements(&w.demo, IMAGE_RESIZER).await), fixed);
    for (name, policy) in &others {
        assert_eq!(&statements(&w.demo, name).await, policy, "{name}");
    }

    // The genuine record still restores, and only once.
    let restorer = Aws::new(&w.moto.sdk_config());
    let outcome = restorer.restore(&record).await.expect("genuine record");
    assert!(outcome.all_done(), "{outcome:?}");
    assert_eq!(sorted(statements(&w.demo, IMAGE_RESIZER).await), before);
    let again = Aws::new(&w.moto.sdk_config());
    let outcome = again.restore(&record).await.expect("already restored");
    assert!(outcome.results.is_empty(), "{outcome:?}");
    assert_eq!(again.calls().writes(), 0);
}

#[tokio::test]
async fn attack_5_a_record_moved_to_another_function_is_refused() {
    let w = world().await;
    // GIVEN lambda-warden removed payments-api's public statement
    w.deliver_ok(event("add-permission-public-payments-api.json"))
        .await;
    let record = w.alerts().await.remove(0).1;
    assert_eq!(record.removed_statements[0].original.sid, "public-invoke");
    let payments = w.demo.function_arn(PAYMENTS_API);
    let orders = w.demo.function_arn(ORDERS_API);
    let notifier = w.demo.function_arn(NOTIFIER);
    let unchanged = || async {
        (
            statements(&w.demo, PAYMENTS_API).await,
            statements(&w.demo, ORDERS_API).await,
            statements(&w.demo, NOTIFIER).await,
        )
    };
    let before = unchanged().await;

    // WHEN the record's function is set to another existing function
    let mut record_moved = record.clone();
    record_moved.function_arn = notifier.clone();
    // ... or only the statement's function
    let mut statement_moved = record.clone();
    statement_moved.removed_statements[0].function_arn = notifier.clone();
    // ... or both, while the statement's own Resource still names payments-api
    let mut both_moved = record_moved.clone();
    both_moved.removed_statements[0].function_arn = notifier.clone();
    // ... or the Resource is a list that also names the other function
    let mut listed = record.clone();
    listed.removed_statements[0].original.statement["Resource"] =
        json!([payments.clone(), orders.clone()]);

    // THEN each is refused, naming the ARNs, and neither function's policy changes
    assert_eq!(
        refused(&w, &record_moved).await,
        RestoreError::StatementElsewhere {
            sid: "public-invoke".into(),
            function_arn: payments.clone(),
            record_function_arn: notifier.clone()
        }
    );
    assert_eq!(
        refused(&w, &statement_moved).await,
        RestoreError::StatementElsewhere {
            sid: "public-invoke".into(),
            function_arn: notifier.clone(),
            record_function_arn: payments.clone()
        }
    );
    assert_eq!(
        refused(&w, &both_moved).await,
        RestoreError::ResourceMismatch {
            sid: "public-invoke".into(),
            function_arn: notifier.clone(),
            resource: vec![payments.clone()]
        }
    );
    assert!(matches!(
        refused(&w, &listed).await,
        RestoreError::ResourceMismatch { resource, .. } if resource == [payments.clone(), orders.clone()]
    ));
    assert_eq!(unchanged().await, before);
}

#[tokio::test]
async fn a_record_for_a_function_that_does_not_exist_or_a_url_elsewhere_is_refused() {
    let w = world().await;
    w.deliver_ok(event("create-function-url-none-public-webhook.json"))
        .await;
    let record = w.alerts().await.remove(0).1;
    let webhook = w.demo.function_arn(PUBLIC_WEBHOOK);
    let payments = w.demo.function_arn(PAYMENTS_API);
    let before = (
        w.demo.state(PUBLIC_WEBHOOK).await.expect("state"),
        w.demo.state(PAYMENTS_API).await.expect("state"),
    );

    // A record moved, statement Resource and all, to a function that does not exist.
    let gone = webhook.replace(PUBLIC_WEBHOOK, "deleted-function");
    let mut moved = record.clone();
    moved.function_arn = gone.clone();
    for r in &mut moved.removed_statements {
        r.function_arn = gone.clone();
        r.original.statement["Resource"] = json!(gone);
    }
    for c in &mut moved.url_auth_changes {
        c.function_arn = gone.clone();
    }
    assert_eq!(
        refused(&w, &moved).await,
        RestoreError::FunctionNotFound {
            function_arn: gone.clone()
        }
    );

    // The URL change made to name another function.
    let mut url_elsewhere = record.clone();
    url_elsewhere.url_auth_changes[0].function_arn = payments.clone();
    assert_eq!(
        refused(&w, &url_elsewhere).await,
        RestoreError::UrlElsewhere {
            index: 0,
            function_arn: payments,
            record_function_arn: webhook
        }
    );
    let after = (
        w.demo.state(PUBLIC_WEBHOOK).await.expect("state"),
        w.demo.state(PAYMENTS_API).await.expect("state"),
    );
    assert_eq!(after.0.statements, before.0.statements);
    assert_eq!(after.0.url_auth_type.as_deref(), Some("AWS_IAM"));
    assert_eq!(after.1.statements, before.1.statements);
}

#[tokio::test]
async fn a_sid_taken_since_by_another_statement_is_not_overwritten() {
    let w = world().await;
    w.deliver_ok(event("add-permission-public-payments-api.json"))
        .await;
    let record = w.alerts().await.remove(0).1;
    // GIVEN a human has since granted something else under the removed statement's Sid
    human(&w)
        .add_permission()
        .function_name(PAYMENTS_API)
        .statement_id("public-invoke")
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .source_arn(EVENTS_RULE_ARN)
        .send()
        .await
        .expect("human AddPermission");
    let before = statements(&w.demo, PAYMENTS_API).await;
    let err = refused(&w, &record).await;
    assert!(
        matches!(&err, RestoreError::SidInUse { sid, live, .. }
            if sid == "public-invoke" && **live == live_statement(&before, "public-invoke")),
        "{err}"
    );
    assert_eq!(statements(&w.demo, PAYMENTS_API).await, before);
}

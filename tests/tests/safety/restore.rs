//! Reversibility: every removal or replacement is recorded verbatim in the alert, and the
//! audit record taken from the alert restores the policy statement-for-statement (and the
//! function URL's `AuthType`).

use serde_json::Value;
use warden_aws::Aws;
use warden_rules::outcome::ActionStatus;
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
        matches!(&err, RestoreError::NotExpressible { sid, .. } if sid == "public-invoke"),
        "{err}"
    );
    assert!(err.to_string().contains("lambda:GetFunction"), "{err}");
    assert_eq!(restorer.calls().writes(), 0);
    assert!(record
        .actions
        .iter()
        .all(|a| a.status == ActionStatus::Done));
}

//! Faults moto cannot produce, injected by the proxy: throttling, 5xx, timeouts, refused and
//! dropped connections, access denied on a read and on a write, and a plan that fails half way.
//!
//! Every SDK attempt is counted by the adapter's `CallLog`, so a call retried by the SDK counts
//! [`ATTEMPTS`] times.

use std::time::{Duration, Instant};

use aws_config::timeout::TimeoutConfig;
use lambda_events::{DecisionOutcome, Deps};
use serde_json::json;
use warden_aws::store::Stored;
use warden_aws::Aws;
use warden_rules::outcome::{ActionStatus, FailureKind};
use warden_rules::plan::Action;
use warden_rules::rules::RuleId;
use warden_rules::state::AuditStatus;
use warden_rules::tags::ComplianceStatus;
use warden_tests::seed::*;
use warden_tests::{Fault, Rule};

use crate::world::*;

const PAYMENTS_EVENT: &str = "add-permission-public-payments-api.json";

/// Runs the payments-api event with `rule` in force and checks it ends in a retryable error
/// with no write and no alert; returns the per-operation counts.
async fn retryable_read_fault(
    rule: Rule,
) -> (World, std::collections::BTreeMap<&'static str, usize>) {
    let w = world().await;
    let before = w.demo.state(PAYMENTS_API).await.expect("state");
    w.proxy.add(rule);
    let err = w
        .deliver(event(PAYMENTS_EVENT))
        .await
        .expect_err("a transient read failure must make EventBridge retry");
    assert_eq!(err.error_type(), "Retryable", "{err}");
    let (_, writes, by_op) = w.take_counts();
    assert_eq!(writes, 0, "nothing is written on a failed read: {by_op:?}");
    assert!(w.alerts().await.is_empty(), "no alert before a verdict");
    assert_eq!(w.demo.state(PAYMENTS_API).await.expect("state"), before);
    (w, by_op)
}

/// The requests of an evaluation whose Lambda read `failing` fails on every SDK attempt: the
/// five Lambda reads once each, `failing` [`ATTEMPTS`] times, and nothing after them (no IAM
/// read, no write).
fn reads_with_retried(failing: &'static str) -> std::collections::BTreeMap<&'static str, usize> {
    let mut ops = lambda_reads_only(1);
    ops.insert(failing, ATTEMPTS as usize);
    ops
}

#[tokio::test]
async fn throttled_get_policy_is_retried_by_the_sdk_then_retryable() {
    let (w, by_op) = retryable_read_fault(Rule::always(
        "GetPolicy",
        Fault::error(429, "TooManyRequestsException"),
    ))
    .await;
    assert_eq!(by_op, reads_with_retried("GetPolicy"));
    assert_eq!(w.proxy.seen("GetPolicy"), ATTEMPTS as usize);
}

#[tokio::test]
async fn server_errors_on_get_function_configuration_are_retryable() {
    let (_w, by_op) = retryable_read_fault(Rule::always(
        "GetFunctionConfiguration",
        Fault::error(500, "ServiceException"),
    ))
    .await;
    assert_eq!(by_op, reads_with_retried("GetFunctionConfiguration"));
}

#[tokio::test]
async fn a_bare_503_on_get_function_url_config_is_retryable() {
    let (_w, by_op) = retryable_read_fault(Rule::always(
        "GetFunctionUrlConfig",
        Fault::Error {
            status: 503,
            code: None,
        },
    ))
    .await;
    assert_eq!(by_op, reads_with_retried("GetFunctionUrlConfig"));
}

#[tokio::test]
async fn a_dropped_connection_is_retryable() {
    let (_w, by_op) =
        retryable_read_fault(Rule::always("GetFunctionConfiguration", Fault::Drop)).await;
    assert_eq!(by_op, reads_with_retried("GetFunctionConfiguration"));
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retryable() {
    let w = world().await;
    w.proxy.add(Rule::always(
        "GetPolicy",
        Fault::Delay(Duration::from_secs(5)),
    ));
    let sdk = sdk_via(&w.moto, &w.proxy.endpoint())
        .to_builder()
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_millis(500))
                .build(),
        )
        .build();
    let config = config(&w.demo, &[]);
    let deps = Deps {
        aws: Aws::configured(&sdk, &config),
        config,
    };
    let started = Instant::now();
    let err = lambda_events::handle(event(PAYMENTS_EVENT), &deps, NOW)
        .await
        .expect_err("a timed-out read must make EventBridge retry");
    assert_eq!(err.error_type(), "Retryable", "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the operation timeout bounds the wait: {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("timeout"), "{err}");
    assert_eq!(deps.aws.calls().writes(), 0);
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let w = world().await;
    // A port that was free a moment ago and has no listener now.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("probe a port")
        .port();
    let config = config(&w.demo, &[]);
    let deps = Deps {
        aws: Aws::configured(
            &sdk_via(&w.moto, &format!("http://127.0.0.1:{closed}")),
            &config,
        ),
        config,
    };
    let err = lambda_events::handle(event(PAYMENTS_EVENT), &deps, NOW)
        .await
        .expect_err("an unreachable endpoint must make EventBridge retry");
    assert_eq!(err.error_type(), "Retryable", "{err}");
    assert!(err.to_string().contains("dispatch"), "{err}");
    // The first Lambda reads are sent concurrently; each is attempted ATTEMPTS times. The failed
    // GetFunctionConfiguration ends the evaluation: no event invoke configuration, no IAM
    // read, no state table request, no write.
    assert_eq!(
        deps.aws.calls().by_operation(),
        lambda_reads_only(ATTEMPTS as usize)
    );
    assert_eq!(
        deps.aws.calls().reads(),
        FIRST_LAMBDA_READS.len() * ATTEMPTS as usize
    );
    assert_eq!(deps.aws.calls().writes(), 0);
}

#[tokio::test]
async fn access_denied_on_get_policy_is_unverified_and_alerted_never_compliant() {
    let w = world().await;
    w.proxy.add(Rule::always(
        "GetPolicy",
        Fault::error(403, "AccessDeniedException"),
    ));
    let decision = w.deliver_ok(event(PAYMENTS_EVENT)).await;

    assert_eq!(
        decision.outcome,
        DecisionOutcome::Unverified,
        "{decision:?}"
    );
    assert_eq!(decision.findings, [RuleId::LW006]);
    let (reads, writes, by_op) = w.take_counts();
    // AccessDenied is not retried by the SDK: one GetPolicy. Then the alert, the state and
    // the tags.
    assert_eq!(
        by_op,
        and_store(
            evaluations_and(1, &[("Publish", 1), ("TagResource", 1)]),
            1,
            0
        )
    );
    assert_eq!((reads, writes), (EVALUATION_READS, 2), "{by_op:?}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let (subject, record) = &alerts[0];
    assert_eq!(record.status, ComplianceStatus::Unverified);
    assert!(subject.contains("unverified"), "{subject}");
    let lw006 = &record.findings[0];
    assert_eq!(lw006.rule_id, RuleId::LW006);
    assert!(
        lw006.message.contains("AccessDeniedException"),
        "{}",
        lw006.message
    );
    assert!(
        lw006.remediation.text.contains("lambda:GetPolicy"),
        "{}",
        lw006.remediation.text
    );
    let tags = w.demo.state(PAYMENTS_API).await.expect("state").tags;
    assert_eq!(tags.get(TAG_STATUS).map(String::as_str), Some("unverified"));
    // Recorded unverified, never compliant: the next delivery is compared with LW006.
    let state = w.stored(PAYMENTS_API).await.state.expect("state recorded");
    assert_eq!(state.status, ComplianceStatus::Unverified);
    let open: Vec<RuleId> = state.open.iter().map(|f| f.rule_id).collect();
    assert_eq!(open, [RuleId::LW006]);
    assert!(w.audits().await.is_empty(), "no plan, no audit record");
}

#[tokio::test]
async fn access_denied_on_remove_permission_alerts_naming_the_missing_permission() {
    let w = world().await;
    w.proxy.add(Rule::always(
        "RemovePermission",
        Fault::error(403, "AccessDeniedException"),
    ));
    let decision = w.deliver_ok(event(PAYMENTS_EVENT)).await;

    assert_eq!(
        decision.outcome,
        DecisionOutcome::NonCompliant,
        "{decision:?}"
    );
    let (reads, writes, by_op) = w.take_counts();
    // One RemovePermission (AccessDenied is not retried), the alert, the tags; the
    // write-ahead record before it, the finished record and the state after.
    assert_eq!(
        by_op,
        and_store(
            evaluations_and(
                1,
                &[("RemovePermission", 1), ("Publish", 1), ("TagResource", 1)]
            ),
            1,
            1
        )
    );
    assert_eq!((reads, writes), (EVALUATION_READS, 3), "{by_op:?}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let (subject, record) = &alerts[0];
    assert!(
        subject.contains("needs lambda:RemovePermission"),
        "{subject}"
    );
    assert_eq!(record.missing_permissions, ["lambda:RemovePermission"]);
    assert!(matches!(
        &record.actions[0].status,
        ActionStatus::Failed { kind: FailureKind::AccessDenied, operation, .. } if operation == "RemovePermission"
    ));
    assert!(!record.removed_statements[0].removed);
    let left = statements(&w.demo, PAYMENTS_API).await;
    assert_eq!(sids(&left), ["public-invoke"], "nothing was removed");
    // The record is stored failed, as alerted; the finding stays recorded open.
    let audits = w.audits().await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].status, AuditStatus::Failed);
    assert_eq!(&audits[0].record, record);
    let stored = w.stored(PAYMENTS_API).await;
    assert_eq!(stored.pending_audit, None);
    let state = stored.state.expect("state recorded");
    assert_eq!(state.status, ComplianceStatus::NonCompliant);
    assert!(
        state.open.iter().any(|f| f.rule_id == RuleId::LW001),
        "{state:?}"
    );
}

/// image-resizer with a second, public statement: the plan is RemovePermission(public-too),
/// RemovePermission(s3-invoke), AddPermission(s3-invoke pinned).
#[tokio::test]
async fn a_half_done_plan_is_recorded_exactly_and_the_retry_finishes_it_without_repeats() {
    let w = world().await;
    human(&w)
        .add_permission()
        .function_name(IMAGE_RESIZER)
        .statement_id("public-too")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");
    // The second RemovePermission fails with 500 on every SDK attempt.
    w.proxy.add(Rule::range(
        "RemovePermission",
        2,
        1 + ATTEMPTS as usize,
        Fault::error(500, "ServiceException"),
    ));
    let s3_event = event("add-permission-s3-unpinned-image-resizer.json");

    let err = w
        .deliver(s3_event.clone())
        .await
        .expect_err("a transient write failure must make EventBridge retry");
    assert_eq!(err.error_type(), "Retryable", "{err}");
    let (reads, writes, by_op) = w.take_counts();
    // A full read + GetPolicy for the second edit's RevisionId; RemovePermission 1 + 3
    // attempts, and the alert. No AddPermission, no tags. The state table: the Query, the
    // write-ahead record and its pointer, the finished record; no state (retried).
    assert_eq!(
        by_op,
        evaluations_and(
            1,
            &[
                ("GetPolicy", 1),
                ("RemovePermission", 1 + ATTEMPTS as usize),
                ("Publish", 1),
                ("dynamodb:Query", 1),
                ("dynamodb:PutItem", 2),
                ("dynamodb:UpdateItem", 1),
            ]
        )
    );
    assert_eq!((reads, writes), (EVALUATION_READS + 1, 5), "{by_op:?}");
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let (subject, record) = &alerts[0];
    assert!(subject.contains("fix failed"), "{subject}");
    let what: Vec<(&str, String)> = record
        .actions
        .iter()
        .map(|r| {
            let sid = match &r.action {
                Action::RemovePermission { sid, .. } => sid.clone(),
                Action::AddPermission { grant, .. } => grant.statement_id.clone(),
                other => panic!("unexpected {other:?}"),
            };
            let status = match &r.status {
                ActionStatus::Done => "done".to_owned(),
                ActionStatus::Failed { code, kind, .. } => format!("failed {code} {kind:?}"),
                ActionStatus::NotAttempted => "not attempted".to_owned(),
            };
            (r.action.operation(), format!("{sid}: {status}"))
        })
        .collect();
    assert_eq!(
        what,
        [
            ("RemovePermission", "public-too: done".to_owned()),
            (
                "RemovePermission",
                "s3-invoke: failed ServiceException Transient".to_owned()
            ),
            ("AddPermission", "s3-invoke: not attempted".to_owned()),
        ]
    );
    let removed: Vec<(&str, bool)> = record
        .removed_statements
        .iter()
        .map(|r| (r.original.sid.as_str(), r.removed))
        .collect();
    assert_eq!(removed, [("public-too", true), ("s3-invoke", false)]);
    let audits = w.audits().await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    let first_record = audits[0].clone();
    assert_eq!(first_record.status, AuditStatus::Failed);
    assert_eq!(&first_record.record, record);
    assert_eq!(
        w.stored(IMAGE_RESIZER).await.pending_audit.as_deref(),
        Some(first_record.id.as_str()),
        "still pointed to: the retry reads it"
    );

    // EventBridge delivers the event again: only the rest is done.
    let decision = w.deliver_ok(s3_event).await;
    assert_eq!(
        decision.outcome,
        DecisionOutcome::Remediated,
        "{decision:?}"
    );
    let (reads, writes, by_op) = w.take_counts();
    // A full read + GetPolicy for the AddPermission's RevisionId; the replacement of s3-invoke
    // only (public-too is gone), the alert, the tags. The state table: the Query, one more
    // for the pointed-to record (finished: `failed`, so nothing to reconcile), this plan's
    // records and the state.
    assert_eq!(
        by_op,
        and_store(
            evaluations_and(
                1,
                &[
                    ("GetPolicy", 1),
                    ("RemovePermission", 1),
                    ("AddPermission", 1),
                    ("Publish", 1),
                    ("TagResource", 1),
                    ("dynamodb:Query", 1),
                ]
            ),
            1,
            1
        )
    );
    assert_eq!((reads, writes), (EVALUATION_READS + 1, 4), "{by_op:?}");
    let after = statements(&w.demo, IMAGE_RESIZER).await;
    assert_eq!(sids(&after), ["s3-invoke"]);
    assert_eq!(
        after[0]["Condition"]["StringEquals"]["AWS:SourceAccount"],
        json!("123456789012")
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0]
        .1
        .removed_statements
        .iter()
        .all(|r| r.original.sid == "s3-invoke"));
    // The first record is kept as it was; the retry's own record is done.
    let audits = w.audits().await;
    assert_eq!(audits.len(), 2, "{audits:?}");
    assert_eq!(audits[0], first_record);
    assert_eq!(audits[1].status, AuditStatus::Done);
    assert_eq!(audits[1].record, alerts[0].1);
    let stored = w.stored(IMAGE_RESIZER).await;
    assert_eq!(stored.pending_audit, None);
    assert_eq!(
        stored.state.map(|s| s.status),
        Some(ComplianceStatus::Compliant)
    );
}

/// A replacement (RemovePermission then AddPermission of the tighter statement, same Sid) whose
/// AddPermission fails: the original statement is written back at once, and the retry does the
/// whole replacement.
#[tokio::test]
async fn a_replacement_that_fails_after_the_removal_puts_the_original_back() {
    let w = world().await;
    let before = statements(&w.demo, IMAGE_RESIZER).await;
    w.proxy.add(Rule::range(
        "AddPermission",
        1,
        ATTEMPTS as usize,
        Fault::error(500, "ServiceException"),
    ));
    let s3_event = event("add-permission-s3-unpinned-image-resizer.json");

    let err = w
        .deliver(s3_event.clone())
        .await
        .expect_err("a transient write failure must make EventBridge retry");
    assert_eq!(err.error_type(), "Retryable", "{err}");
    let (reads, writes, by_op) = w.take_counts();
    // A full read + GetPolicy for the AddPermission's RevisionId; RemovePermission, 3 failed
    // AddPermission attempts, the AddPermission that puts the original back, the alert. No
    // tags. The state table: the Query, the write-ahead record and its pointer, the finished
    // record; no state (retried).
    assert_eq!(
        by_op,
        evaluations_and(
            1,
            &[
                ("GetPolicy", 1),
                ("RemovePermission", 1),
                ("AddPermission", ATTEMPTS as usize + 1),
                ("Publish", 1),
                ("dynamodb:Query", 1),
                ("dynamodb:PutItem", 2),
                ("dynamodb:UpdateItem", 1),
            ]
        )
    );
    assert_eq!((reads, writes), (EVALUATION_READS + 1, 6), "{by_op:?}");
    assert_eq!(
        statements(&w.demo, IMAGE_RESIZER).await,
        before,
        "the original statement is back, verbatim"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    let record = &alerts[0].1;
    let removed = &record.removed_statements[0];
    assert!(removed.removed && removed.restored && removed.replaced_by.is_none());
    let statuses: Vec<String> = record
        .actions
        .iter()
        .map(|r| match &r.status {
            ActionStatus::Done => format!("{} done", r.action.operation()),
            ActionStatus::Failed { code, .. } => format!("{} {code}", r.action.operation()),
            ActionStatus::NotAttempted => format!("{} not attempted", r.action.operation()),
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "RemovePermission done",
            "AddPermission ServiceException",
            "AddPermission done"
        ]
    );
    assert!(warden_rules::restore::restore_actions(record)
        .expect("restorable")
        .is_empty());
    let audits = w.audits().await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].status, AuditStatus::Failed);
    assert_eq!(&audits[0].record, record, "stored as alerted");

    w.proxy.clear();
    let decision = w.deliver_ok(s3_event).await;
    assert_eq!(
        decision.outcome,
        DecisionOutcome::Remediated,
        "{decision:?}"
    );
    let after = statements(&w.demo, IMAGE_RESIZER).await;
    assert_eq!(
        after[0]["Condition"]["StringEquals"]["AWS:SourceAccount"],
        json!("123456789012")
    );
}

/// Attack: the owner pads the policy so that the tighter replacement can never be added
/// (`PolicyLengthExceededException`, a permanent error). Putting the original back each time
/// would leave it open forever; the original stays removed, the record says so (restorable by
/// a human), and a redelivery adds nothing back.
#[tokio::test]
async fn a_replacement_refused_for_good_leaves_the_original_removed() {
    let w = world().await;
    let before = statements(&w.demo, IMAGE_RESIZER).await;
    assert!(
        sids(&before).contains(&"s3-invoke".to_owned()),
        "{before:?}"
    );
    w.proxy.add(Rule::always(
        "AddPermission",
        Fault::error(400, "PolicyLengthExceededException"),
    ));
    let s3_event = event("add-permission-s3-unpinned-image-resizer.json");

    let decision = w.deliver_ok(s3_event.clone()).await;
    assert_ne!(
        decision.outcome,
        DecisionOutcome::Remediated,
        "{decision:?}"
    );
    let after = statements(&w.demo, IMAGE_RESIZER).await;
    assert!(
        !sids(&after).contains(&"s3-invoke".to_owned()),
        "the unpinned statement must not be put back: {after:?}"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let record = &alerts[0].1;
    let removed = &record.removed_statements[0];
    assert_eq!(removed.original.sid, "s3-invoke");
    assert!(removed.removed && !removed.restored, "{removed:?}");
    let audits = w.audits().await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(&audits[0].record, record, "stored as alerted");
    // A human can put it back from the record.
    assert_eq!(
        warden_rules::restore::restore_actions(record)
            .expect("restorable")
            .len(),
        1
    );

    // Redelivered: nothing is there to remove, and nothing is re-added.
    w.deliver_ok(s3_event).await;
    assert_eq!(statements(&w.demo, IMAGE_RESIZER).await, after);
}

/// The state table refusing the write-ahead record (`PutItem` answers 500 on every SDK
/// attempt): the plan is not started, nothing is alerted, and the event is retried; the retry
/// with the table back fixes the function once.
#[tokio::test]
async fn a_write_ahead_record_that_cannot_be_stored_stops_the_plan_before_any_write() {
    let w = world().await;
    let before = w.demo.state(PAYMENTS_API).await.expect("state");
    w.proxy.add(Rule::always(
        "PutItem",
        Fault::error(500, "InternalServerError"),
    ));

    let err = w
        .deliver(event(PAYMENTS_EVENT))
        .await
        .expect_err("an unstored write-ahead record must make EventBridge retry");
    assert_eq!(err.error_type(), "Retryable", "{err}");
    let (_, writes, by_op) = w.take_counts();
    // One evaluation, the Query of what is recorded, the refused write-ahead record; no
    // RemovePermission, no alert, no tags.
    assert_eq!(
        by_op,
        evaluations_and(
            1,
            &[
                ("dynamodb:Query", 1),
                ("dynamodb:PutItem", ATTEMPTS as usize)
            ]
        )
    );
    assert_eq!(writes, 0, "{by_op:?}");
    assert!(w.alerts().await.is_empty());
    assert_eq!(w.demo.state(PAYMENTS_API).await.expect("state"), before);
    assert!(w.audits().await.is_empty());
    assert_eq!(w.stored(PAYMENTS_API).await, Stored::default());

    w.proxy.clear();
    let decision = w.deliver_ok(event(PAYMENTS_EVENT)).await;
    assert_eq!(
        decision.outcome,
        DecisionOutcome::Remediated,
        "{decision:?}"
    );
    assert!(statements(&w.demo, PAYMENTS_API).await.is_empty());
    assert_eq!(w.alerts().await.len(), 1);
    let audits = w.audits().await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].status, AuditStatus::Done);
}

/// The state table unreadable (`Query` throttled on every SDK attempt): never taken as
/// "nothing recorded". No plan, no alert, no write; the event is retried.
#[tokio::test]
async fn an_unreadable_state_table_is_retryable_and_never_taken_as_no_state() {
    let (_w, by_op) = retryable_read_fault(Rule::always(
        "Query",
        Fault::error(400, "ThrottlingException"),
    ))
    .await;
    assert_eq!(
        by_op,
        evaluations_and(1, &[("dynamodb:Query", ATTEMPTS as usize)])
    );
}

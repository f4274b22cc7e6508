//! Stale state and concurrency: a human edits the policy between lambda-warden's read and its
//! write (the proxy runs the human's call just before forwarding lambda-warden's
//! `RemovePermission`); the function or the statement disappears before the read; two events
//! for one function are handled at once.
//!
//! moto 5.2.1-5.2.5 do not check `RevisionId` on `RemovePermission` correctly; the tests run
//! moto through `tests/moto/launch.py`, which fixes that comparison and issues a new
//! `RevisionId` on every change, as AWS does (`tests/tests/harness.rs` checks it).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lambda_events::DecisionOutcome;
use serde_json::{json, Value};
use warden_rules::outcome::{ActionStatus, FailureKind};
use warden_rules::plan::Action;
use warden_rules::rules::RuleId;
use warden_rules::state::AuditStatus;
use warden_rules::tags::ComplianceStatus;
use warden_tests::seed::*;
use warden_tests::{Fault, Rule};

use crate::world::*;

const PAYMENTS_EVENT: &str = "add-permission-public-payments-api.json";

async fn add(client: &aws_sdk_lambda::Client, function: &str, sid: &str, principal: &str) {
    client
        .add_permission()
        .function_name(function)
        .statement_id(sid)
        .action("lambda:InvokeFunction")
        .principal(principal)
        .source_account("123456789012")
        .send()
        .await
        .unwrap_or_else(|e| panic!("human AddPermission {sid}: {e:?}"));
}

fn remove_attempts(record: &warden_rules::report::AuditRecord) -> Vec<String> {
    record
        .actions
        .iter()
        .filter(|r| matches!(r.action, Action::RemovePermission { .. }))
        .map(|r| match &r.status {
            ActionStatus::Done => "done".to_owned(),
            ActionStatus::Failed { code, .. } => code.clone(),
            ActionStatus::NotAttempted => "not attempted".to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn an_unrelated_edit_between_read_and_write_is_kept_and_the_fix_re_planned() {
    let w = world().await;
    let person = human(&w);
    w.proxy.add(Rule::nth(
        "RemovePermission",
        1,
        Fault::before(move || {
            let person = person.clone();
            async move {
                add(
                    &person,
                    PAYMENTS_API,
                    "partner-events",
                    "events.amazonaws.com",
                )
                .await
            }
        }),
    ));
    let decision = w.deliver_ok(event(PAYMENTS_EVENT)).await;

    assert_eq!(
        decision.outcome,
        DecisionOutcome::Remediated,
        "{decision:?}"
    );
    let (reads, writes, by_op) = w.take_counts();
    // Two full reads; a refused and an accepted RemovePermission, the alert, the tags. The
    // state table: a Query per attempt; before each attempt's RemovePermission the
    // write-ahead record (PutItem; the re-plan rewrites the same record) and the state item's
    // pointer to it (UpdateItem); then the finished record and the state (two PutItem). The
    // re-plan carries on its own record: it is not reconciled as an interrupted one.
    assert_eq!(
        by_op,
        evaluations_and(
            2,
            &[
                ("RemovePermission", 2),
                ("Publish", 1),
                ("TagResource", 1),
                ("dynamodb:Query", 2),
                ("dynamodb:PutItem", 4),
                ("dynamodb:UpdateItem", 2),
            ]
        )
    );
    assert_eq!((reads, writes), (2 * EVALUATION_READS, 4), "{by_op:?}");
    let after = statements(&w.demo, PAYMENTS_API).await;
    assert_eq!(
        sids(&after),
        ["partner-events"],
        "the human's statement stays"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    let record = &alerts[0].1;
    assert_eq!(record.replans, 1);
    assert!(!record.replans_exhausted);
    assert_eq!(
        remove_attempts(record),
        ["PreconditionFailedException", "done"]
    );
    // One audit record, finished, holding what the alert says.
    let audits = w.audits().await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].status, AuditStatus::Done, "{audits:?}");
    assert_eq!(&audits[0].record, record);
    let stored = w.stored(PAYMENTS_API).await;
    assert_eq!(
        stored.pending_audit, None,
        "the state write clears the pointer"
    );
    let state = stored.state.expect("state recorded");
    assert_eq!(
        (state.status, state.open.len()),
        (ComplianceStatus::Compliant, 0),
        "{state:?}"
    );
}

#[tokio::test]
async fn a_statement_changed_between_read_and_write_is_never_removed() {
    let w = world().await;
    let person = human(&w);
    // The human fixes the S3 statement themselves: same Sid, now pinned to the account.
    w.proxy.add(Rule::nth(
        "RemovePermission",
        1,
        Fault::before(move || {
            let person = person.clone();
            async move {
                person
                    .remove_permission()
                    .function_name(IMAGE_RESIZER)
                    .statement_id("s3-invoke")
                    .send()
                    .await
                    .expect("human RemovePermission");
                person
                    .add_permission()
                    .function_name(IMAGE_RESIZER)
                    .statement_id("s3-invoke")
                    .action("lambda:InvokeFunction")
                    .principal("s3.amazonaws.com")
                    .source_arn("arn:aws:s3:::another-bucket")
                    .source_account("123456789012")
                    .send()
                    .await
                    .expect("human AddPermission");
            }
        }),
    ));
    let human_version = || {
        json!({"Sid": "s3-invoke", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
               "Action": "lambda:InvokeFunction",
               "Resource": "arn:aws:lambda:us-east-1:123456789012:function:image-resizer",
               "Condition": {"StringEquals": {"AWS:SourceAccount": "123456789012"},
                             "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::another-bucket"}}})
    };
    let decision = w
        .deliver_ok(event("add-permission-s3-unpinned-image-resizer.json"))
        .await;

    assert_eq!(decision.outcome, DecisionOutcome::Compliant, "{decision:?}");
    let (reads, writes, by_op) = w.take_counts();
    // Two full reads; only the refused RemovePermission touched the policy; then the tags.
    // No AddPermission, and no alert: nothing was changed and nothing is open. The state
    // table: a Query per attempt, the write-ahead record and its pointer before the refused
    // RemovePermission, the finished record and the state. The second attempt has no plan, so
    // no record of its own, and does not take the first attempt's record for an interrupted
    // plan (that would count the human's replacement as lambda-warden's and alert).
    assert_eq!(
        by_op,
        evaluations_and(
            2,
            &[
                ("RemovePermission", 1),
                ("TagResource", 1),
                ("dynamodb:Query", 2),
                ("dynamodb:PutItem", 3),
                ("dynamodb:UpdateItem", 1),
            ]
        )
    );
    assert_eq!((reads, writes), (2 * EVALUATION_READS, 2), "{by_op:?}");
    assert!(w.alerts().await.is_empty());
    let after = statements(&w.demo, IMAGE_RESIZER).await;
    assert_eq!(
        after,
        [human_version()],
        "the human's statement is untouched"
    );
    // The record says what lambda-warden did: its RemovePermission refused, its AddPermission
    // never sent, nothing removed. It is `done`: the re-plan found nothing left to do.
    let audits = w.audits().await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].status, AuditStatus::Done, "{audits:?}");
    assert!(
        audits[0]
            .record
            .removed_statements
            .iter()
            .all(|r| !r.removed),
        "{audits:?}"
    );
    assert_eq!(
        remove_attempts(&audits[0].record),
        ["PreconditionFailedException"]
    );
    assert!(
        audits[0]
            .record
            .actions
            .iter()
            .filter(|r| matches!(r.action, Action::AddPermission { .. }))
            .all(|r| r.status == ActionStatus::NotAttempted),
        "{audits:?}"
    );
    let stored = w.stored(IMAGE_RESIZER).await;
    assert_eq!(stored.pending_audit, None);
    assert_eq!(
        stored.state.map(|s| s.status),
        Some(ComplianceStatus::Compliant)
    );
}

#[tokio::test]
async fn a_policy_that_changes_on_every_attempt_gives_a_retryable_error_and_says_so() {
    let w = world().await;
    let person = human(&w);
    let n = Arc::new(AtomicUsize::new(0));
    w.proxy.add(Rule::always(
        "RemovePermission",
        Fault::before(move || {
            let person = person.clone();
            let sid = format!("busy-{}", n.fetch_add(1, Ordering::SeqCst));
            async move { add(&person, PAYMENTS_API, &sid, "events.amazonaws.com").await }
        }),
    ));
    let err = w
        .deliver(event(PAYMENTS_EVENT))
        .await
        .expect_err("the policy never settles: retry later");
    assert_eq!(err.error_type(), "Retryable", "{err}");
    assert!(
        err.to_string().contains("PreconditionFailedException"),
        "{err}"
    );

    let max_replans = w.deps.config.max_replans as usize;
    let (reads, writes, by_op) = w.take_counts();
    // A full read and a refused RemovePermission per attempt, then the alert; no tags. The
    // state table: per attempt a Query, the write-ahead record (PutItem) and its pointer
    // (UpdateItem); the finished record once; no state (the event is delivered again).
    let attempts = max_replans + 1;
    assert_eq!(
        by_op,
        evaluations_and(
            attempts,
            &[
                ("RemovePermission", attempts),
                ("Publish", 1),
                ("dynamodb:Query", attempts),
                ("dynamodb:PutItem", attempts + 1),
                ("dynamodb:UpdateItem", attempts),
            ]
        )
    );
    assert_eq!(reads, EVALUATION_READS * (max_replans + 1), "{by_op:?}");
    assert_eq!(
        writes,
        max_replans + 1 + 1,
        "every attempt and the alert: {by_op:?}"
    );
    let after = statements(&w.demo, PAYMENTS_API).await;
    assert!(
        after.iter().any(|s| s["Sid"] == "public-invoke"),
        "nothing was removed under a moving policy: {after:?}"
    );
    let alerts = w.alerts().await;
    assert_eq!(alerts.len(), 1);
    let (subject, record) = &alerts[0];
    assert!(subject.contains("policy kept changing"), "{subject}");
    assert_eq!(record.replans as usize, max_replans);
    assert!(record.replans_exhausted);
    assert_eq!(
        remove_attempts(record),
        vec!["PreconditionFailedException".to_owned(); max_replans + 1]
    );
    assert!(record.actions.iter().all(|r| !matches!(
        r.status,
        ActionStatus::Failed { kind, .. } if kind != FailureKind::Conflict
    )));
    // The record is stored failed and still pointed to; no state is recorded, so the retry
    // alerts again if it too cannot settle.
    let audits = w.audits().await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].status, AuditStatus::Failed);
    assert_eq!(&audits[0].record, record);
    let stored = w.stored(PAYMENTS_API).await;
    assert_eq!(stored.pending_audit.as_deref(), Some(audits[0].id.as_str()));
    assert_eq!(stored.state, None);
}

#[tokio::test]
async fn a_function_deleted_before_the_read_is_a_clean_skip() {
    let w = world().await;
    human(&w)
        .delete_function()
        .function_name(PAYMENTS_API)
        .send()
        .await
        .expect("DeleteFunction");
    let decision = w.deliver_ok(event(PAYMENTS_EVENT)).await;

    assert_eq!(decision.outcome, DecisionOutcome::Gone, "{decision:?}");
    let (reads, writes, by_op) = w.take_counts();
    // The first Lambda reads go out together; GetFunctionConfiguration's ResourceNotFoundException
    // ends the evaluation before the event invoke configuration and the execution role are read.
    assert_eq!(by_op, lambda_reads_only(1));
    assert_eq!((reads, writes), (FIRST_LAMBDA_READS.len(), 0), "{by_op:?}");
    assert!(w.alerts().await.is_empty());
}

#[tokio::test]
async fn a_statement_removed_before_the_read_leaves_nothing_to_do() {
    let w = world().await;
    human(&w)
        .remove_permission()
        .function_name(PAYMENTS_API)
        .statement_id("public-invoke")
        .send()
        .await
        .expect("RemovePermission");
    let decision = w.deliver_ok(event(PAYMENTS_EVENT)).await;

    assert_eq!(decision.outcome, DecisionOutcome::Compliant, "{decision:?}");
    assert!(decision.findings.is_empty(), "{decision:?}");
    let (reads, writes, by_op) = w.take_counts();
    assert_eq!(
        by_op,
        and_store(evaluations_and(1, &[("TagResource", 1)]), 1, 0),
        "only the status tags, and the state"
    );
    assert_eq!((reads, writes), (EVALUATION_READS, 1), "{by_op:?}");
    assert!(w.alerts().await.is_empty());
    assert!(w.audits().await.is_empty(), "no plan, no audit record");
    let state = w.stored(PAYMENTS_API).await.state.expect("state recorded");
    assert_eq!(
        (state.status, state.open.len()),
        (ComplianceStatus::Compliant, 0)
    );
}

#[tokio::test]
async fn a_statement_removed_between_read_and_write_is_not_an_error() {
    let w = world().await;
    let person = human(&w);
    w.proxy.add(Rule::nth(
        "RemovePermission",
        1,
        Fault::before(move || {
            let person = person.clone();
            async move {
                person
                    .remove_permission()
                    .function_name(PAYMENTS_API)
                    .statement_id("public-invoke")
                    .send()
                    .await
                    .expect("human RemovePermission");
            }
        }),
    ));
    let decision = w.deliver_ok(event(PAYMENTS_EVENT)).await;
    assert_eq!(decision.outcome, DecisionOutcome::Compliant, "{decision:?}");
    let (_, _, by_op) = w.take_counts();
    assert_eq!(by_op.get("RemovePermission"), Some(&1), "{by_op:?}");
    assert!(statements(&w.demo, PAYMENTS_API).await.is_empty());
}

/// The state a test compares: statements (order-independent), URL auth type, tags.
async fn end_state(w: &World, name: &str) -> (Vec<Value>, Option<String>, Vec<(String, String)>) {
    let s = w.demo.state(name).await.expect("state");
    let mut statements = s.statements;
    statements.sort_by_key(|v| v["Sid"].as_str().unwrap_or("").to_owned());
    (statements, s.url_auth_type, s.tags.into_iter().collect())
}

async fn concurrent_equals_sequential(name: &str, events: [&str; 2]) {
    // Sequential.
    let seq = world().await;
    for e in events {
        seq.deliver_ok(event(e)).await;
    }
    let (_, seq_writes, seq_ops) = seq.take_counts();
    let want = end_state(&seq, name).await;

    // Concurrent: the first RemovePermission is held back, so both handlers read the same
    // policy before either writes.
    let con = world().await;
    con.proxy.add(Rule::nth(
        "RemovePermission",
        1,
        Fault::Delay(Duration::from_millis(300)),
    ));
    let (a, b) = tokio::join!(con.deliver(event(events[0])), con.deliver(event(events[1])));
    for r in [a, b] {
        let d = r.unwrap_or_else(|e| panic!("handler failed: {e}"));
        assert_ne!(d.outcome, DecisionOutcome::Unverified, "{d:?}");
    }
    let (_, con_writes, con_ops) = con.take_counts();
    let got = end_state(&con, name).await;
    assert_eq!(got, want, "concurrent end state differs from sequential");
    let policy_writes = |ops: &std::collections::BTreeMap<&str, usize>| {
        ops.get("RemovePermission").copied().unwrap_or(0)
            + ops.get("AddPermission").copied().unwrap_or(0)
    };
    // Each handler may try the plan once before it sees the other's write.
    assert!(
        policy_writes(&con_ops) <= 2 * policy_writes(&seq_ops),
        "{con_ops:?} vs {seq_ops:?}"
    );
    assert!(con_writes <= 2 * seq_writes, "{con_ops:?} vs {seq_ops:?}");
    let sid_count = |statements: &[Value]| {
        let mut s = sids(statements);
        let n = s.len();
        s.dedup();
        (n, s.len())
    };
    let (n, unique) = sid_count(&got.0);
    assert_eq!(n, unique, "no duplicate statement: {:?}", got.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_events_for_one_function_at_once_end_as_if_sequential_replacement() {
    concurrent_equals_sequential(
        IMAGE_RESIZER,
        [
            "add-permission-s3-unpinned-image-resizer.json",
            "add-permission-s3-unpinned-image-resizer.json",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_events_for_one_function_at_once_end_as_if_sequential_url() {
    concurrent_equals_sequential(
        PUBLIC_WEBHOOK,
        [
            "create-function-url-none-public-webhook.json",
            "add-permission-url-public-public-webhook.json",
        ],
    )
    .await;
}

/// A role for `payments-api` that grants everything (LW019), created in moto's IAM.
async fn admin_role(w: &World) -> String {
    let sdk = w.moto.sdk_config();
    let arn = warden_tests::seed::create_function_role(&sdk, "payments-api-admin-role")
        .await
        .expect("CreateRole");
    let iam = aws_sdk_iam::Client::new(&sdk);
    iam.put_role_policy()
        .role_name("payments-api-admin-role")
        .policy_name("everything")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("PutRolePolicy");
    arn
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_changed_since_the_last_event_is_the_role_judged() {
    // GIVEN payments-api judged once by this warm process, with its demo role
    let w = world().await;
    let first = w.deliver_ok(event(PAYMENTS_EVENT)).await;
    assert!(!first.findings.contains(&RuleId::LW019), "{first:?}");
    // WHEN its role is switched to one that grants everything
    let admin = admin_role(&w).await;
    human(&w)
        .update_function_configuration()
        .function_name(PAYMENTS_API)
        .role(&admin)
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    w.take_counts();
    let second = w.deliver_ok(event(PAYMENTS_EVENT)).await;

    // THEN the new role is judged (the remembered one was read early, and set aside)
    assert!(second.findings.contains(&RuleId::LW019), "{second:?}");
    let (_, _, by_op) = w.take_counts();
    assert_eq!(by_op.get("iam:GetRole"), Some(&2), "{by_op:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_warm_function_has_its_role_read_with_its_first_reads() {
    // GIVEN payments-api judged once by this warm process
    let w = world().await;
    w.deliver_ok(event(PAYMENTS_EVENT)).await;
    // WHEN the next GetFunctionConfiguration is held until the role has been asked for (at
    // most 2 s: less than the 5 s after which the SDK would try it again)
    let seen = w.proxy.seen_counter();
    let roles_before = seen("GetRole");
    let next = seen("GetFunctionConfiguration") + 1;
    let observed = Arc::new(AtomicUsize::new(0));
    let out = Arc::clone(&observed);
    w.proxy.add(Rule::nth(
        "GetFunctionConfiguration",
        next,
        Fault::before(move || {
            let (seen, out) = (seen.clone(), Arc::clone(&out));
            async move {
                for _ in 0..40 {
                    if seen("GetRole") > roles_before {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                out.store(seen("GetRole") - roles_before, Ordering::SeqCst);
            }
        }),
    ));
    let decision = w.deliver_ok(event(PAYMENTS_EVENT)).await;

    // THEN the role was read while the configuration was still on its way, and the function
    // is judged as usual (compliant: the first evaluation removed the public statement)
    assert_eq!(observed.load(Ordering::SeqCst), 1);
    assert_eq!(decision.outcome, DecisionOutcome::Compliant, "{decision:?}");
}

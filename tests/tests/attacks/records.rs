//! Attack 3 and the write-ahead records it leaves: kept, completed, released, refused.

use super::*;
use warden_rules::state::StoredAudit;

/// The id and the stored record the state of `arn` points at (a plan left `in_progress`).
async fn pending_record(store: &StateStore, arn: &str) -> (String, StoredAudit) {
    let id = store
        .load(arn)
        .await
        .expect("load")
        .pending_audit
        .expect("the plan's record is pointed to");
    let audit = store.audit(&id).await.expect("read").expect("stored");
    (id, audit)
}

/// Attack 3: with `AddPermission` never answering after `RemovePermission` of a replacement,
/// the invocation hung until Lambda killed it, and the removed statement was recorded nowhere.
/// Now the write-ahead record holds it verbatim before the first write, and the redelivery
/// completes the replacement, records what happened and alerts.
/// Runs image-resizer's confused-deputy fix through a proxy on which `AddPermission` never
/// answers, and ends the invocation as Lambda's timeout would: between `RemovePermission`
/// and the `AddPermission` of the tighter statement, the evaluation's clock reading `now`
/// (seconds since the Unix epoch). Gives the event.
async fn kill_between_removal_and_replacement(w: &World, now: i64) -> Value {
    let proxy = FaultProxy::start(w.moto.port()).await;
    proxy.add(Rule::always(
        "AddPermission",
        Fault::Delay(Duration::from_secs(600)),
    ));
    let slow = w.through(&proxy);
    let event = load_event("add-permission-s3-unpinned-image-resizer.json").expect("event");
    // Lambda's timeout, as the function sees it: the invocation simply ends.
    let killed =
        tokio::time::timeout(Duration::from_secs(5), handle(event.clone(), &slow, now)).await;
    assert!(
        killed.is_err(),
        "the hanging AddPermission must hold the invocation"
    );
    event
}

/// Redelivers `event` once the writer's bound after `recorded_at` (seconds) has passed, and
/// checks that the record `id` was refused: stored `reconciled`, its `stopped` text saying
/// it fails restore's checks. Gives the record as stored.
async fn redeliver_refused(w: &World, event: Value, recorded_at: i64, id: &str) -> StoredAudit {
    handle(
        event,
        &w.deps,
        recorded_at + warden_rules::state::WRITER_BOUND_SECS + 1,
    )
    .await
    .unwrap_or_else(|e| panic!("handler failed: {e}"));
    let audit = w.store().audit(id).await.expect("read").expect("stored");
    assert_eq!(audit.status, AuditStatus::Reconciled, "{audit:?}");
    let stopped = audit.stopped.clone().unwrap_or_default();
    assert!(stopped.contains("fails its checks"), "{stopped}");
    audit
}

#[tokio::test]
async fn an_invocation_killed_mid_plan_leaves_a_record_the_redelivery_completes() {
    let w = world().await;
    let arn = w.demo.function_arn(IMAGE_RESIZER);
    let original = w.demo.state(IMAGE_RESIZER).await.expect("state").statements;
    let s3_before = original
        .iter()
        .find(|s| s["Sid"] == "s3-invoke")
        .cloned()
        .expect("seeded statement");
    // By the wall clock: the record must not be older than the function's LastModified,
    // which moto stamped when it seeded the function.
    let t0 = wall_clock();
    let event = kill_between_removal_and_replacement(&w, t0).await;

    let store = w.store();
    let (id, audit) = pending_record(&store, &arn).await;
    assert_eq!(audit.status, AuditStatus::InProgress);
    let removed = &audit.record.removed_statements;
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0].original.statement, s3_before, "verbatim");
    let now_statements = w.demo.state(IMAGE_RESIZER).await.expect("state").statements;
    assert!(
        now_statements.iter().all(|s| s["Sid"] != "s3-invoke"),
        "the kill came between RemovePermission and AddPermission: {now_statements:?}"
    );
    w.demo.read_alerts().await.expect("drain");

    // A redelivery while the killed invocation could still be running (before its deadline,
    // here the bound for a writer without one) leaves the record to it: a retryable error,
    // nothing written, nothing alerted.
    let early = handle(event.clone(), &w.deps, t0)
        .await
        .expect_err("the record's writer may still be running");
    assert_eq!(early.error_type(), "Retryable", "{early}");
    assert!(early.to_string().contains(&id), "{early}");
    let audit = store.audit(&id).await.expect("read").expect("stored");
    assert_eq!(audit.status, AuditStatus::InProgress);
    assert_eq!(
        w.demo.state(IMAGE_RESIZER).await.expect("state").statements,
        now_statements
    );
    assert!(w.demo.read_alerts().await.expect("alerts").is_empty());

    // Redelivery after the writer's deadline: the replacement is completed, the record
    // reconciled and alerted.
    let later = t0 + warden_rules::state::WRITER_BOUND_SECS + 1;
    let decision = handle(event, &w.deps, later)
        .await
        .unwrap_or_else(|e| panic!("handler failed: {e}"));
    let decision = serde_json::to_value(&decision).expect("decision serialises");
    assert_ne!(decision["outcome"], "non_compliant", "{decision}");
    let after = w.demo.state(IMAGE_RESIZER).await.expect("state").statements;
    let s3 = after
        .iter()
        .find(|s| s["Sid"] == "s3-invoke")
        .unwrap_or_else(|| panic!("the tighter statement is back: {after:?}"));
    assert_eq!(
        s3["Condition"]["StringEquals"]["AWS:SourceAccount"], "123456789012",
        "{s3}"
    );
    let audit = store.audit(&id).await.expect("read").expect("stored");
    assert_eq!(audit.status, AuditStatus::Reconciled, "{audit:?}");
    assert!(
        audit.record.removed_statements[0].replaced_by.is_some(),
        "{audit:?}"
    );
    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert!(
        alerts.iter().any(|(_, m)| m.contains("s3-invoke")),
        "the reconciliation is alerted: {alerts:?}"
    );
}

/// A record planted or edited in the state table (its writers are trusted, but a record is
/// data) whose replacement widens the original, `Principal "*"` in place of S3 pinned to the
/// account, is not completed by the reconciliation: the checks of a restore run first.
#[tokio::test]
async fn a_tampered_in_progress_record_is_not_completed() {
    let w = world().await;
    let arn = w.demo.function_arn(IMAGE_RESIZER);
    let event = kill_between_removal_and_replacement(&w, NOW).await;
    let store = w.store();
    let (id, mut audit) = pending_record(&store, &arn).await;
    let mut widened = 0;
    for r in &mut audit.record.actions {
        if let warden_rules::plan::Action::AddPermission { grant, .. } = &mut r.action {
            grant.principal = "*".to_owned();
            grant.source_account = None;
            grant.source_arn = None;
            widened += 1;
        }
    }
    assert_eq!(widened, 1, "{:?}", audit.record.actions);
    store
        .save_audit(&arn.to_string(), &audit)
        .await
        .expect("tamper");
    w.demo.read_alerts().await.expect("drain");

    let audit = redeliver_refused(&w, event, NOW, &id).await;
    let statements = w.demo.state(IMAGE_RESIZER).await.expect("state").statements;
    assert!(
        statements.iter().all(|s| s["Principal"] != "*"),
        "nothing public was added: {statements:?}"
    );
    // The refused record still says what the live function shows: the removal happened, the
    // replacement did not.
    let statuses: Vec<_> = audit
        .record
        .actions
        .iter()
        .map(|r| (r.action.operation(), r.status.clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (
                "RemovePermission",
                warden_rules::outcome::ActionStatus::Done
            ),
            (
                "AddPermission",
                warden_rules::outcome::ActionStatus::NotAttempted
            ),
        ],
        "{statuses:?}"
    );
    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert!(
        alerts
            .iter()
            .any(|(_, m)| m.contains("fails its checks") || m.contains("s3-invoke")),
        "the refused record is alerted: {alerts:?}"
    );
}

/// An invocation that fails after storing its write-ahead record (here the state table
/// refuses the record's final write) releases the record: its writer deadline becomes the
/// time it stopped, so the redelivery a second later reconciles it instead of waiting for the
/// invocation's deadline (up to 900 s, longer than Lambda's asynchronous retries).
#[tokio::test]
async fn an_invocation_that_fails_after_its_record_releases_it() {
    let w = world().await;
    let arn = w.demo.function_arn(IMAGE_RESIZER);
    let proxy = FaultProxy::start(w.moto.port()).await;
    // PutItem 1 stores the write-ahead record; PutItem 2 would store it `done`.
    proxy.add(Rule::nth(
        "PutItem",
        2,
        Fault::error(400, "ValidationException"),
    ));
    let failing = w.through(&proxy);
    let event = load_event("add-permission-s3-unpinned-image-resizer.json").expect("event");
    let failed = handle(event.clone(), &failing, NOW)
        .await
        .expect_err("the record's final write was refused");
    assert!(failed.to_string().contains("PutItem"), "{failed}");

    let store = w.store();
    let (id, audit) = pending_record(&store, &arn).await;
    assert_eq!(audit.status, AuditStatus::InProgress);
    let deadline = audit.writer_deadline_ms.expect("a writer deadline");
    assert!(
        deadline < (NOW + 60) * 1000,
        "released at the time it stopped, not the bound: {deadline}"
    );
    let stopped = audit.stopped.clone().unwrap_or_default();
    assert!(stopped.contains("failed before finishing"), "{stopped}");
    w.demo.read_alerts().await.expect("drain");

    let decision = handle(event, &w.deps, NOW + 1)
        .await
        .unwrap_or_else(|e| panic!("the released record is reconciled at once: {e}"));
    let decision = serde_json::to_value(&decision).expect("decision serialises");
    assert_ne!(decision["outcome"], "non_compliant", "{decision}");
    let audit = store.audit(&id).await.expect("read").expect("stored");
    assert_eq!(audit.status, AuditStatus::Reconciled, "{audit:?}");
    assert!(
        audit
            .record
            .actions
            .iter()
            .all(|r| r.status == warden_rules::outcome::ActionStatus::Done),
        "the writes ran before the failure: {:?}",
        audit.record.actions
    );
}

/// A record pointed to by one function's state but naming another function (planted, or
/// copied from elsewhere) is not completed on either: the evaluated function must be the
/// record's. What the live function shows of each action is still recorded.
#[tokio::test]
async fn a_record_of_another_function_is_not_completed() {
    let w = world().await;
    let arn = w.demo.function_arn(IMAGE_RESIZER);
    let event = kill_between_removal_and_replacement(&w, NOW).await;
    let store = w.store();
    let (id, mut audit) = pending_record(&store, &arn).await;
    let other = w.demo.function_arn(ORDERS_API);
    audit.record.function_arn.clone_from(&other);
    store.save_audit(&arn, &audit).await.expect("tamper");
    let orders_before = w.demo.state(ORDERS_API).await.expect("state").statements;

    let audit = redeliver_refused(&w, event, NOW, &id).await;
    let stopped = audit.stopped.unwrap_or_default();
    assert!(stopped.contains(&other), "{stopped}");
    assert_eq!(
        w.demo.state(ORDERS_API).await.expect("state").statements,
        orders_before,
        "nothing was added to the function the record names"
    );
    let resizer = w.demo.state(IMAGE_RESIZER).await.expect("state").statements;
    assert!(
        resizer.iter().all(|s| s["Sid"] != "s3-invoke"),
        "the replacement was not completed from the refused record: {resizer:?}"
    );
}

/// A half-done replacement is not completed on a function changed since the record was stored:
/// the name deleted and created again by someone else (or redeployed) between the kill and the
/// redelivery would otherwise receive a grant its owner never made. Here the record is dated an
/// hour before moto stamped the function's `LastModified`. The removal stands, the record says
/// why and is alerted, and nothing is added.
#[tokio::test]
async fn a_replacement_is_not_completed_on_a_function_changed_since_the_record() {
    let w = world().await;
    let arn = w.demo.function_arn(IMAGE_RESIZER);
    let t0 = wall_clock() - 3600;
    let event = kill_between_removal_and_replacement(&w, t0).await;
    let store = w.store();
    let (id, _) = pending_record(&store, &arn).await;
    w.demo.read_alerts().await.expect("drain");

    let audit = redeliver_refused(&w, event, t0, &id).await;
    let stopped = audit.stopped.unwrap_or_default();
    assert!(stopped.contains("LastModified"), "{stopped}");
    let statements = w.demo.state(IMAGE_RESIZER).await.expect("state").statements;
    assert!(
        statements.iter().all(|s| s["Sid"] != "s3-invoke"),
        "the replacement was not added to the changed function: {statements:?}"
    );
    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert!(
        alerts.iter().any(|(_, m)| m.contains("LastModified")),
        "the refusal is alerted: {alerts:?}"
    );
}

//! The attacks a developer with ordinary permissions (`lambda:AddPermission`,
//! `lambda:TagResource`) tried against lambda-warden's state, each reproduced step by step
//! against moto through the real adapter and handler, with the safe outcome asserted: forged
//! de-duplication tags (1), a self-granted exemption (2), an invocation killed between
//! `RemovePermission` and `AddPermission` (3), two deployments re-triggering each other (4),
//! a slow instance finishing after a fast one (8), and a large policy's removals kept whole (9).

use std::time::Duration;

use serde_json::{json, Value};
use warden_aws::remediate::{remediate, Cause, Resolution};
use warden_aws::store::StateStore;
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::ids::FunctionArn;
use warden_rules::state::AuditStatus;
use warden_rules::tags;
use warden_tests::replay::{event_for, Caller};
use warden_tests::seed::*;
use warden_tests::{load_event, seed_demo_account, DemoAccount, Fault, FaultProxy, Moto, Rule};

use lambda_events::{handle, Deps};

/// 2026-05-28T00:00:00Z, in seconds since the Unix epoch: the handler's "now".
const NOW: i64 = 1_779_926_400;

/// A developer's SSO role session, as CloudTrail records it.
const DEVELOPER_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DeveloperAccess_0123456789abcdef";

struct World {
    moto: Moto,
    demo: DemoAccount,
    deps: Deps,
}

fn config(settings: &[(&str, String)]) -> Config {
    Config::from_lookup(|k| {
        settings
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("valid settings")
}

/// moto, the demo account (with its state table) and the handler in `enforce` mode, alerts
/// on, the security team's role as the only exemption approver.
async fn world() -> World {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let config = config(&[
        ("WARDEN_MODE", "enforce".to_owned()),
        ("WARDEN_ALERT_TOPIC_ARN", demo.topic_arn.clone()),
        ("WARDEN_STATE_TABLE", demo.state_table.clone()),
        ("WARDEN_EXEMPTION_APPROVERS", APPROVER_ROLE_ARN.to_owned()),
    ]);
    let deps = Deps {
        aws: Aws::configured(&sdk, &config),
        config,
    };
    World { moto, demo, deps }
}

impl World {
    fn store(&self) -> StateStore {
        StateStore::new(
            &self.moto.sdk_config(),
            std::sync::Arc::default(),
            &self.demo.state_table,
            None,
        )
    }

    async fn deliver(&self, event: Value) -> Value {
        let decision = handle(event, &self.deps, NOW)
            .await
            .unwrap_or_else(|e| panic!("handler failed: {e}"));
        serde_json::to_value(&decision).expect("decision serialises")
    }

    async fn tag(&self, function: &str, pairs: &[(&str, &str)]) {
        let mut req = self
            .demo
            .lambda()
            .tag_resource()
            .resource(self.demo.function_arn(function));
        for (k, v) in pairs {
            req = req.tags(*k, *v);
        }
        req.send().await.expect("TagResource");
    }
}

fn findings(decision: &Value) -> Vec<&str> {
    decision["findings"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The `TagResource` event CloudTrail records for `caller_role_arn`'s session setting `tags`
/// on `function`.
fn tag_event(function_arn: &str, tags: &[(&str, &str)], caller_role_arn: &str, id: &str) -> Value {
    let mut event = load_event("tag-resource-opt-in-orders-api.json").expect("sample event");
    let role_name = caller_role_arn.rsplit('/').next().unwrap_or_default();
    let d = &mut event["detail"];
    d["requestParameters"] = json!({
        "resource": function_arn,
        "tags": tags.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect::<serde_json::Map<_, _>>(),
    });
    d["eventID"] = json!(id);
    d["userIdentity"]["arn"] = json!(format!(
        "arn:aws:sts::123456789012:assumed-role/{role_name}/someone"
    ));
    d["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] = json!(caller_role_arn);
    d["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"] = json!(role_name);
    event
}

fn public_event() -> Value {
    load_event("add-permission-public-orders-api.json").expect("sample event")
}

/// Attack 1: the de-duplication fingerprint is public knowledge (FNV-1a of rule ids and Sids,
/// printed by the dry run). Tagging the function with the fingerprint lambda-warden would write,
/// then adding a public statement, silenced every alert. The state table decides now.
#[tokio::test]
async fn forged_fingerprint_tags_silence_no_alert() {
    // Learn the display tags lambda-warden writes for the public statement, in another
    // account: exactly what an attacker can compute.
    let scout = world().await;
    scout.deliver(public_event()).await;
    let written = scout.demo.state(ORDERS_API).await.expect("state").tags;
    let forged: Vec<(&str, &str)> = written
        .iter()
        .filter(|(k, _)| k.starts_with("lambda-warden:") && *k != TAG_EXEMPT)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert!(
        forged.iter().any(|(k, _)| *k == tags::FINGERPRINT),
        "{written:?}"
    );

    let w = world().await;
    w.tag(ORDERS_API, &forged).await;
    let decision = w.deliver(public_event()).await;
    assert_eq!(decision["outcome"], "non_compliant", "{decision}");
    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert_eq!(
        alerts.len(),
        1,
        "forged tags must not silence the alert: {alerts:?}"
    );
    assert!(alerts[0].1.contains("LW001"), "{alerts:?}");

    // The table holds the alerted set: a real duplicate delivery stays silent.
    let stored = w
        .store()
        .load(&w.demo.function_arn(ORDERS_API))
        .await
        .expect("load");
    let state = stored.state.expect("state recorded");
    assert!(
        state.open.iter().any(|f| f.rule_id.as_str() == "LW001"),
        "{state:?}"
    );
    w.deliver(public_event()).await;
    assert!(w.demo.read_alerts().await.expect("alerts").is_empty());

    // A forged status tag is put back by the next evaluation.
    w.tag(
        ORDERS_API,
        &[(TAG_STATUS, "compliant"), (TAG_FINDINGS, "none")],
    )
    .await;
    w.deliver(public_event()).await;
    let tags_now = w.demo.state(ORDERS_API).await.expect("state").tags;
    assert_eq!(
        tags_now.get(TAG_STATUS).map(String::as_str),
        Some("non-compliant")
    );
    assert_ne!(tags_now.get(TAG_FINDINGS).map(String::as_str), Some("none"));
}

/// Attack 2: `TagResource lambda-warden:exempt=""` by the function's own developer, then a
/// public `lambda:*` statement, was answered `exempt` with no alert. Now the tag exempts
/// nothing without an approver: LW025 is found and alerted, and the function is evaluated.
#[tokio::test]
async fn a_self_granted_exemption_is_a_finding_and_exempts_nothing() {
    let w = world().await;
    let arn = w.demo.function_arn(ORDERS_API);
    w.tag(ORDERS_API, &[(TAG_EXEMPT, "")]).await;
    let decision = w
        .deliver(tag_event(
            &arn,
            &[(TAG_EXEMPT, "")],
            DEVELOPER_ROLE_ARN,
            "self-exempt-1",
        ))
        .await;
    assert_eq!(decision["outcome"], "non_compliant", "{decision}");
    assert!(findings(&decision).contains(&"LW025"), "{decision}");
    assert!(findings(&decision).contains(&"LW001"), "{decision}");
    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts[0].1.contains("LW025"), "{alerts:?}");
    let stored = w.store().load(&arn).await.expect("load");
    assert_eq!(stored.exemption, None, "a developer's tag records nothing");

    // The public lambda:* statement is evaluated as on any other function.
    w.demo
        .lambda()
        .add_permission()
        .function_name(ORDERS_API)
        .statement_id("everything")
        .action("lambda:*")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");
    let decision = w.deliver(public_event()).await;
    assert_ne!(decision["outcome"], "exempt", "{decision}");
    assert!(findings(&decision).contains(&"LW001"), "{decision}");
    let status = w.demo.state(ORDERS_API).await.expect("state").tags;
    assert_eq!(
        status.get(TAG_STATUS).map(String::as_str),
        Some("non-compliant")
    );
    assert!(!w.demo.read_alerts().await.expect("alerts").is_empty());
}

/// The approved path: the security team's `TagResource` of the exemption is recorded with who,
/// when, reason and end date, alerted once, and honoured.
#[tokio::test]
async fn an_approver_s_exemption_is_recorded_alerted_once_and_honoured() {
    let w = world().await;
    let arn = w.demo.function_arn(ORDERS_API);
    let tags_set = [
        (TAG_EXEMPT, "vendor contract 4711"),
        ("lambda-warden:exempt-until", "2026-12-31"),
    ];
    w.tag(ORDERS_API, &tags_set).await;
    let event = tag_event(&arn, &tags_set, APPROVER_ROLE_ARN, "approved-exempt-1");
    let decision = w.deliver(event.clone()).await;
    assert_eq!(decision["outcome"], "exempt", "{decision}");
    let exemption = w
        .store()
        .load(&arn)
        .await
        .expect("load")
        .exemption
        .expect("recorded");
    assert_eq!(exemption.approved_by, APPROVER_ROLE_ARN);
    assert_eq!(exemption.reason, "vendor contract 4711");
    assert_eq!(exemption.source, "approved-exempt-1");
    assert_eq!(
        exemption.until,
        warden_rules::state::end_of_day("2026-12-31")
    );
    assert!(exemption.alerted);
    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0].1.contains("lambda-warden.exemption/1"),
        "{alerts:?}"
    );
    let status = w.demo.state(ORDERS_API).await.expect("state").tags;
    assert_eq!(
        status.get(TAG_STATUS).map(String::as_str),
        Some(tags::EXEMPT_STATUS)
    );

    // Honoured again, alerted no more; listed with the others.
    let decision = w.deliver(public_event()).await;
    assert_eq!(decision["outcome"], "exempt", "{decision}");
    assert!(w.demo.read_alerts().await.expect("alerts").is_empty());
    let listed = w.store().exemptions().await.expect("scan");
    assert!(listed.iter().any(|e| e.resource_arn == arn), "{listed:?}");
}

/// Attack 3: with `AddPermission` never answering after `RemovePermission` of a replacement,
/// the invocation hung until Lambda killed it, and the removed statement was recorded nowhere.
/// Now the write-ahead record holds it verbatim before the first write, and the redelivery
/// completes the replacement, records what happened and alerts.
/// Runs image-resizer's confused-deputy fix through a proxy on which `AddPermission` never
/// answers, and ends the invocation as Lambda's timeout would: between `RemovePermission`
/// and the `AddPermission` of the tighter statement. Gives the event.
async fn kill_between_removal_and_replacement(w: &World) -> Value {
    let proxy = FaultProxy::start(w.moto.port()).await;
    proxy.add(Rule::always(
        "AddPermission",
        Fault::Delay(Duration::from_secs(600)),
    ));
    let slow = Deps {
        aws: Aws::configured(
            &warden_tests::moto::sdk_config_at(&proxy.endpoint()),
            &w.deps.config,
        ),
        config: w.deps.config.clone(),
    };
    let event = load_event("add-permission-s3-unpinned-image-resizer.json").expect("event");
    // Lambda's timeout, as the function sees it: the invocation simply ends.
    let killed =
        tokio::time::timeout(Duration::from_secs(5), handle(event.clone(), &slow, NOW)).await;
    assert!(
        killed.is_err(),
        "the hanging AddPermission must hold the invocation"
    );
    event
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
    let event = kill_between_removal_and_replacement(&w).await;

    let store = w.store();
    let stored = store.load(&arn).await.expect("load");
    let id = stored
        .pending_audit
        .expect("the plan's record is pointed to");
    let audit = store.audit(&id).await.expect("read").expect("stored");
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
    let early = handle(event.clone(), &w.deps, NOW)
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
    let later = NOW + warden_rules::state::WRITER_BOUND_SECS + 1;
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
    let event = kill_between_removal_and_replacement(&w).await;
    let store = w.store();
    let id = store
        .load(&arn)
        .await
        .expect("load")
        .pending_audit
        .expect("the plan's record is pointed to");
    let mut audit = store.audit(&id).await.expect("read").expect("stored");
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

    let later = NOW + warden_rules::state::WRITER_BOUND_SECS + 1;
    handle(event, &w.deps, later)
        .await
        .unwrap_or_else(|e| panic!("handler failed: {e}"));
    let statements = w.demo.state(IMAGE_RESIZER).await.expect("state").statements;
    assert!(
        statements.iter().all(|s| s["Principal"] != "*"),
        "nothing public was added: {statements:?}"
    );
    let audit = store.audit(&id).await.expect("read").expect("stored");
    assert_eq!(audit.status, AuditStatus::Reconciled, "{audit:?}");
    let stopped = audit.stopped.unwrap_or_default();
    assert!(stopped.contains("fails its checks"), "{stopped}");
    assert!(
        !w.demo.read_alerts().await.expect("alerts").is_empty(),
        "the refused record is alerted"
    );
}

/// Attack 8: a slow instance that read the function before a public statement was added,
/// finishing after a fast instance that read it after, left `status=compliant` on a public
/// function. Now its state write loses, it evaluates again, and the truth stands.
#[tokio::test]
async fn a_slow_instance_cannot_overwrite_a_later_read() {
    let w = world().await;
    let target = NOTIFIER;
    let arn = FunctionArn::parse(&w.demo.function_arn(target)).expect("arn");
    // Start from a clean function: no statement at all.
    w.demo
        .lambda()
        .remove_permission()
        .function_name(target)
        .statement_id("sns-invoke")
        .send()
        .await
        .expect("RemovePermission");
    let proxy = FaultProxy::start(w.moto.port()).await;
    // The slow instance's first read of the state table waits: its Lambda reads are done.
    proxy.add(Rule::nth("Query", 1, Fault::Delay(Duration::from_secs(3))));
    let slow_aws = Aws::configured(
        &warden_tests::moto::sdk_config_at(&proxy.endpoint()),
        &w.deps.config,
    );
    let config = w.deps.config.clone();
    let slow_arn = arn.clone();
    let slow = tokio::spawn(async move {
        remediate(
            &slow_aws,
            &config,
            &slow_arn,
            Cause::new("slow", "TagResource20170331v2"),
            NOW,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    w.demo
        .lambda()
        .add_permission()
        .function_name(target)
        .statement_id("backdoor")
        .action("lambda:InvokeFunction")
        .principal("*")
        .send()
        .await
        .expect("AddPermission");
    let fast = remediate(
        &w.deps.aws,
        &w.deps.config,
        &arn,
        Cause::new("fast", "AddPermission20150331v2"),
        NOW,
    )
    .await
    .expect("fast evaluation");
    assert_eq!(fast.resolution, Resolution::NonCompliant);
    let slow = slow.await.expect("join").expect("slow evaluation");
    assert_eq!(
        slow.resolution,
        Resolution::NonCompliant,
        "the slow instance evaluated again after losing"
    );
    let state = w
        .store()
        .load(&arn.to_string())
        .await
        .expect("load")
        .state
        .expect("stored");
    assert!(
        state.open.iter().any(|f| f.rule_id.as_str() == "LW001"),
        "{state:?}"
    );
    let t = w.demo.state(target).await.expect("state").tags;
    assert_eq!(
        t.get(TAG_STATUS).map(String::as_str),
        Some("non-compliant"),
        "{t:?}"
    );
    assert_ne!(
        t.get(TAG_FINDINGS).map(String::as_str),
        Some("none"),
        "{t:?}"
    );
}

/// Attack 9: a decision for a 20 KB policy was over CloudWatch Logs' event limit and the cut
/// record could not be restored. Now the record is stored whole in the state table (split
/// across items when needed) and restores every statement.
#[tokio::test]
async fn a_large_policy_s_removals_are_stored_whole_and_restore() {
    let w = world().await;
    let name = PAYMENTS_API;
    let arn = w.demo.function_arn(name);
    for i in 0..110 {
        w.demo
            .lambda()
            .add_permission()
            .function_name(name)
            .statement_id(format!(
                "partner-integration-public-invoke-statement-{i:03}"
            ))
            .action("lambda:InvokeFunction")
            .principal("*")
            .send()
            .await
            .expect("AddPermission");
    }
    let before = w.demo.state(name).await.expect("state").statements;
    let policy_bytes = serde_json::to_string(&before).expect("json").len();
    assert!(policy_bytes >= 20_000, "{policy_bytes} bytes");

    let done = remediate(
        &w.deps.aws,
        &w.deps.config,
        &FunctionArn::parse(&arn).expect("arn"),
        Cause::new("big-policy", "AddPermission20150331v2"),
        NOW,
    )
    .await
    .expect("remediate");
    assert_eq!(done.resolution, Resolution::Remediated);
    let id = done.audit_id.expect("stored");
    let audit = w.store().audit(&id).await.expect("read").expect("stored");
    assert_eq!(audit.status, AuditStatus::Done);
    assert_eq!(Some(&audit.record), done.record.as_ref(), "read back whole");
    assert_eq!(audit.record.removed_statements.len(), before.len());
    assert!(w
        .demo
        .state(name)
        .await
        .expect("state")
        .statements
        .is_empty());

    let outcome = w.deps.aws.restore(&audit.record).await.expect("restore");
    assert!(outcome.first_failure().is_none(), "{outcome:?}");
    let restored = w.demo.state(name).await.expect("state").statements;
    assert_eq!(restored.len(), before.len());
}

/// Attack 4: two deployments with different settings (one requires an `owner` tag) each took
/// the other's `TagResource` of the display tags for a human change: 8 writes and 8 alerts in
/// 8 deliveries. Now each skips a change of display tags only, and both converge: one
/// evaluation, one display write and one alert each for the one real change.
#[tokio::test]
async fn two_deployments_converge_on_each_other_s_display_tags() {
    let w = world().await;
    let sdk = w.moto.sdk_config();
    create_state_table(&sdk, "second-stack-state")
        .await
        .expect("table");
    let second_config = config(&[
        ("WARDEN_MODE", "tag".to_owned()),
        ("WARDEN_ALERT_TOPIC_ARN", w.demo.topic_arn.clone()),
        ("WARDEN_STATE_TABLE", "second-stack-state".to_owned()),
        ("WARDEN_REQUIRED_TAGS", "owner".to_owned()),
    ]);
    let second = Deps {
        aws: Aws::configured(&sdk, &second_config),
        config: second_config,
    };
    let resource = FunctionArn::parse(&w.demo.function_arn(ORDERS_API)).expect("arn");
    let display =
        |t: std::collections::BTreeMap<String, String>| warden_rules::plan::Action::TagResource {
            resource: resource.clone(),
            tags: t
                .into_iter()
                .filter(|(k, _)| tags::is_display_key(k))
                .collect(),
        };
    // The real change, delivered to both.
    let first_decision = w.deliver(public_event()).await;
    let first_tags = display(w.demo.state(ORDERS_API).await.expect("state").tags);
    let second_decision = handle(public_event(), &second, NOW).await.expect("handler");
    let second_tags = display(w.demo.state(ORDERS_API).await.expect("state").tags);
    assert_eq!(
        first_decision["outcome"], "non_compliant",
        "{first_decision}"
    );
    assert_eq!(
        second_decision.outcome,
        lambda_events::DecisionOutcome::NonCompliant
    );
    assert_ne!(
        first_tags, second_tags,
        "the settings differ, so do the display tags"
    );

    // Each one's display write, delivered to the other, four rounds over.
    for round in 0..4 {
        let from_first = event_for(
            &first_tags,
            &Caller::warden(WARDEN_ROLE, WARDEN_FUNCTION),
            round * 2,
        )
        .expect("event");
        let from_second = event_for(
            &second_tags,
            &Caller::warden("second-stack-events-role", "second-stack-events"),
            round * 2 + 1,
        )
        .expect("event");
        for decision in [
            handle(from_first, &second, NOW).await.expect("handler"),
            handle(from_second, &w.deps, NOW).await.expect("handler"),
        ] {
            assert_eq!(
                decision.outcome,
                lambda_events::DecisionOutcome::Skipped,
                "{decision:?}"
            );
            assert!(
                decision
                    .skip_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("warden_tags_only")),
                "{decision:?}"
            );
        }
    }
    let alerts = w.demo.read_alerts().await.expect("alerts");
    assert_eq!(
        alerts.len(),
        2,
        "one alert each for the one real change: {alerts:?}"
    );
}

/// What the state table costs per event, counted by the adapter's CallLog (the table's
/// requests are `dynamodb:*`, apart from the account's Lambda, IAM and SNS calls).
#[tokio::test]
async fn the_state_table_adds_two_calls_per_evaluation_and_three_per_plan() {
    let w = world().await;
    let count = |op: &str| {
        w.deps
            .aws
            .calls()
            .by_operation()
            .get(op)
            .copied()
            .unwrap_or(0)
    };
    // First sighting, nothing to fix (not opted in): one Query, one state PutItem.
    w.deps.aws.calls().reset();
    w.deliver(public_event()).await;
    assert_eq!(
        (
            count("dynamodb:Query"),
            count("dynamodb:PutItem"),
            count("dynamodb:UpdateItem")
        ),
        (1, 1, 0)
    );
    // The duplicate delivery: the same two, and no alert.
    w.deps.aws.calls().reset();
    w.deliver(public_event()).await;
    assert_eq!(w.deps.aws.calls().store_calls(), 2);
    assert_eq!(count("Publish"), 0);
    // A fix (payments-api is opted in): the write-ahead record (PutItem + UpdateItem of the
    // pointer) before RemovePermission, the finished record, the state.
    w.deps.aws.calls().reset();
    let event = warden_tests::retarget(&public_event(), ORDERS_API, PAYMENTS_API);
    let decision = w.deliver(event).await;
    assert_eq!(decision["outcome"], "remediated", "{decision}");
    assert_eq!(
        (
            count("dynamodb:Query"),
            count("dynamodb:PutItem"),
            count("dynamodb:UpdateItem")
        ),
        (1, 3, 1)
    );
    assert_eq!(count("RemovePermission"), 1);
}

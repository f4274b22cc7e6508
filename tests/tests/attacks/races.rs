//! Attacks 4, 8 and 9: deployments and instances racing each other, and a large policy.

use super::*;

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
    let Deps {
        aws: slow_aws,
        config,
    } = w.through(&proxy);
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

//! Attacks on de-duplication and exemptions (1, 2) and the approved path.

use super::*;

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
        ("lambda-warden:exempt-until", "2099-12-31"),
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
        warden_rules::state::end_of_day("2099-12-31")
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

/// An exemption is keyed by the function's ARN, which a new function of the same name reuses:
/// a developer who deletes an exempted function and creates it again must not inherit the
/// exemption. The `CreateFunction` event drops an exemption approved before the creation
/// (and only such a one: an approval after the creation stands).
#[tokio::test]
async fn a_function_created_again_does_not_inherit_the_exemption() {
    let w = world().await;
    let arn = w.demo.function_arn(ORDERS_API);
    let tags_set = [(TAG_EXEMPT, "vendor contract 4711")];
    w.tag(ORDERS_API, &tags_set).await;
    let approved_at = wall_clock();
    let decision = w
        .deliver(tag_event_at(
            &arn,
            &tags_set,
            APPROVER_ROLE_ARN,
            "approved-exempt-2",
            approved_at,
        ))
        .await;
    assert_eq!(decision["outcome"], "exempt", "{decision}");

    let create_at = |unix: i64, id: &str| {
        let mut event = load_event("create-function-orders-api.json").expect("sample event");
        event["detail"]["eventTime"] = json!(event_time(unix));
        event["detail"]["eventID"] = json!(id);
        event
    };
    // A CreateFunction recorded before the approval (delivered late) keeps the exemption.
    let decision = w.deliver(create_at(approved_at - 60, "create-1")).await;
    assert_eq!(decision["outcome"], "exempt", "{decision}");
    assert!(w
        .store()
        .load(&arn)
        .await
        .expect("load")
        .exemption
        .is_some());

    // Created again after the approval: the exemption is dropped and the function judged.
    w.demo.read_alerts().await.expect("drain");
    let decision = w.deliver(create_at(approved_at + 1, "create-2")).await;
    assert_ne!(decision["outcome"], "exempt", "{decision}");
    assert!(
        w.store()
            .load(&arn)
            .await
            .expect("load")
            .exemption
            .is_none(),
        "the earlier function's exemption is gone"
    );
    assert!(
        findings(&decision).contains(&"LW025"),
        "the exempt tag left on it is an unapproved exemption: {decision}"
    );
}

/// The same function name deleted and created again between an approver's `TagResource` and its
/// handling, with the `CreateFunction` event handled first (EventBridge does not order events):
/// the live function's `LastModified` is later than the approval, so the approval was for an
/// earlier function and is not recorded. The exempt tag left on the new function is LW025.
#[tokio::test]
async fn an_approval_older_than_the_live_function_is_not_recorded() {
    let w = world().await;
    let arn = w.demo.function_arn(ORDERS_API);
    let tags_set = [(TAG_EXEMPT, "vendor contract 4711")];
    w.tag(ORDERS_API, &tags_set).await;
    // Made an hour before moto stamped the function's LastModified.
    let event = tag_event_at(
        &arn,
        &tags_set,
        APPROVER_ROLE_ARN,
        "approved-before-recreate",
        wall_clock() - 3600,
    );
    let decision = w.deliver(event).await;
    assert_ne!(decision["outcome"], "exempt", "{decision}");
    assert!(findings(&decision).contains(&"LW025"), "{decision}");
    assert!(w
        .store()
        .load(&arn)
        .await
        .expect("load")
        .exemption
        .is_none());
    assert!(!w.demo.read_alerts().await.expect("alerts").is_empty());
}

//! No loops, no duplicates: every write lambda-warden makes comes back as a CloudTrail event;
//! replayed with lambda-warden's identity it is skipped before any AWS call, and replayed with
//! a human's identity it reads the function, finds nothing new, and writes and alerts nothing
//! (its status-tag write is skipped before any call either way: only display tags changed). Every sample event delivered twice writes and alerts
//! once.

use std::collections::BTreeMap;

use lambda_events::DecisionOutcome;
use warden_rules::outcome::ActionStatus;
use warden_rules::plan::Action;
use warden_rules::state::AuditStatus;
use warden_tests::replay::{event_for, Caller};
use warden_tests::seed::*;

use crate::world::*;

/// The writes a decision made (its done actions) and the status tags it wrote, as actions.
fn writes_of(
    decision: &lambda_events::Decision,
    tags: &BTreeMap<String, String>,
    function_arn: &str,
) -> Vec<Action> {
    let mut writes: Vec<Action> = decision
        .actions
        .iter()
        .filter(|r| r.status == ActionStatus::Done)
        .map(|r| r.action.clone())
        .collect();
    // The status tags are written after the plan, outside `decision.actions`.
    let written: BTreeMap<String, String> = tags
        .iter()
        .filter(|(k, _)| k.starts_with("lambda-warden:") && k.as_str() != TAG_AUTO_FIX)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert!(written.contains_key(TAG_STATUS), "{tags:?}");
    writes.push(Action::TagResource {
        resource: warden_rules::ids::FunctionArn::parse(function_arn).expect("arn"),
        tags: written,
    });
    writes
}

/// A remediation to replay: function, event, the requests it makes beyond one evaluation's
/// reads ([`evaluations_and`]), the writes replayed.
type Scenario = (
    &'static str,
    &'static str,
    &'static [(&'static str, usize)],
    &'static [&'static str],
);

const SCENARIOS: &[Scenario] = &[
    (
        PAYMENTS_API,
        "add-permission-public-payments-api.json",
        &[("RemovePermission", 1), ("Publish", 1), ("TagResource", 1)],
        &["RemovePermission", "TagResource"],
    ),
    (
        IMAGE_RESIZER,
        "add-permission-s3-unpinned-image-resizer.json",
        // GetPolicy again for the AddPermission's RevisionId.
        &[
            ("GetPolicy", 1),
            ("RemovePermission", 1),
            ("AddPermission", 1),
            ("Publish", 1),
            ("TagResource", 1),
        ],
        &["RemovePermission", "AddPermission", "TagResource"],
    ),
    (
        PUBLIC_WEBHOOK,
        "create-function-url-none-public-webhook.json",
        &[
            ("UpdateFunctionUrlConfig", 1),
            ("RemovePermission", 1),
            ("Publish", 1),
            ("TagResource", 1),
        ],
        &["UpdateFunctionUrlConfig", "RemovePermission", "TagResource"],
    ),
];

#[tokio::test]
async fn replayed_own_writes_cause_no_call_and_human_replays_cause_no_write() {
    for (name, file, requests, ops) in SCENARIOS {
        let w = world().await;
        let decision = w.deliver_ok(event(file)).await;
        assert_ne!(
            decision.outcome,
            DecisionOutcome::Unverified,
            "{decision:?}"
        );
        let (reads, writes, by_op) = w.take_counts();
        assert_eq!(
            by_op,
            and_store(evaluations_and(1, requests), 1, 1),
            "{name}: one alert"
        );
        let (more_reads, more_writes): (Vec<_>, Vec<_>) =
            requests.iter().partition(|(op, _)| op.starts_with("Get"));
        let count = |ops: Vec<&(&str, usize)>| ops.iter().map(|(_, n)| n).sum::<usize>();
        let (extra_reads, want_writes) = (count(more_reads), count(more_writes));
        assert_eq!(
            (reads, writes),
            (EVALUATION_READS + extra_reads, want_writes),
            "{name}: {by_op:?}"
        );
        assert_eq!(w.alerts().await.len(), 1);
        let state = w.demo.state(name).await.expect("state");
        let replay = writes_of(&decision, &state.tags, &w.demo.function_arn(name));
        let mut replayed_ops: Vec<&str> = replay.iter().map(Action::operation).collect();
        replayed_ops.sort_unstable();
        let mut want_ops = ops.to_vec();
        want_ops.sort_unstable();
        assert_eq!(replayed_ops, want_ops, "{name}");

        let warden = Caller::warden(WARDEN_ROLE, WARDEN_FUNCTION);
        let person = Caller::human("ops-admin", "jane");
        for (i, action) in replay.iter().enumerate() {
            let own = event_for(action, &warden, i).expect("event");
            let d = w.deliver_ok(own).await;
            assert_eq!(
                d.outcome,
                DecisionOutcome::Skipped,
                "{name} {action:?}: {d:?}"
            );
            assert!(
                d.skip_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("self_initiated")),
                "{d:?}"
            );
            let (reads, writes, by_op) = w.take_counts();
            assert_eq!(
                (reads, writes),
                (0, 0),
                "{name}: own {}: {by_op:?}",
                action.operation()
            );

            let theirs = event_for(action, &person, 100 + i).expect("event");
            let d = w.deliver_ok(theirs).await;
            if matches!(action, Action::TagResource { .. }) {
                // Only lambda-warden's display tags: skipped whoever wrote them, before any
                // AWS call (another deployment's status writes must not re-trigger this one).
                assert_eq!(d.outcome, DecisionOutcome::Skipped, "{name}: {d:?}");
                assert!(
                    d.skip_reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with("warden_tags_only")),
                    "{d:?}"
                );
                let (reads, writes, by_op) = w.take_counts();
                assert_eq!((reads, writes), (0, 0), "{name}: {by_op:?}");
                continue;
            }
            assert_ne!(d.outcome, DecisionOutcome::Skipped, "{name}: {d:?}");
            assert!(d.actions.is_empty(), "{name}: {d:?}");
            let (reads, writes, by_op) = w.take_counts();
            assert_eq!(
                by_op,
                and_store(evaluations_and(1, &[]), 1, 0),
                "{name}: human {}: one evaluation's reads and its state, nothing else",
                action.operation()
            );
            assert_eq!((reads, writes), (EVALUATION_READS, 0), "{name}: {by_op:?}");
        }
        assert!(
            w.alerts().await.is_empty(),
            "{name}: no alert from a replay"
        );
        assert_eq!(w.demo.state(name).await.expect("state"), state, "{name}");
        // The table holds the first evaluation's findings and its one audit record, done.
        let stored = w.stored(name).await;
        let recorded = stored.state.expect("state recorded");
        assert_eq!(
            state.tags.get("lambda-warden:fingerprint"),
            Some(&recorded.fingerprint),
            "{name}: the display shows the recorded fingerprint"
        );
        assert_eq!(stored.pending_audit, None, "{name}");
        let audits = w.audits().await;
        assert_eq!(audits.len(), 1, "{name}: {audits:?}");
        assert_eq!(audits[0].status, AuditStatus::Done, "{name}");
    }
}

#[tokio::test]
async fn every_sample_event_delivered_twice_writes_and_alerts_once() {
    let w = world().await;
    let mut files: Vec<String> = std::fs::read_dir(warden_tests::events::events_dir())
        .expect("events/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let first = w.deliver_ok(event(&file)).await;
        let (_, first_writes, first_ops) = w.take_counts();
        let first_alerts = w.alerts().await.len();
        assert!(first_alerts <= 1, "{file}: {first_alerts} alerts");
        let second = w.deliver_ok(event(&file)).await;
        let (reads, writes, by_op) = w.take_counts();
        assert_eq!(
            writes, 0,
            "{file}: second delivery wrote {by_op:?} (first: {first_ops:?})"
        );
        assert!(w.alerts().await.is_empty(), "{file}: second alert");
        assert!(second.actions.is_empty(), "{file}: {second:?}");
        // A skipped event reads nothing either time; a layer event reads the layer version's
        // policy; a function that does not exist is read by Lambda only; an evaluated one
        // reads the function and its execution role. Whatever is evaluated reads its state
        // from the table and records it again (the same findings, a later read time); an
        // exempt function only reads its recorded exemption.
        let want: BTreeMap<&str, usize> = match first.outcome {
            DecisionOutcome::Skipped | DecisionOutcome::IgnoredBadInput => {
                assert_eq!((reads, first_writes), (0, 0), "{file}");
                BTreeMap::new()
            }
            // A layer version that does not exist is told from one without a policy by
            // GetLayerVersion.
            _ if first.layer_version_arn.is_some() => match first.outcome {
                DecisionOutcome::Gone => {
                    [("GetLayerVersionPolicy", 1), ("GetLayerVersion", 1)].into()
                }
                _ => and_store([("GetLayerVersionPolicy", 1)].into(), 1, 0),
            },
            DecisionOutcome::Gone => lambda_reads_only(1),
            DecisionOutcome::Exempt => evaluations_and(1, &[("dynamodb:Query", 1)]),
            _ => and_store(evaluations_and(1, &[]), 1, 0),
        };
        assert_eq!(by_op, want, "{file}: {:?}", first.outcome);
        let store_calls: usize = want
            .iter()
            .filter(|(op, _)| op.starts_with("dynamodb:"))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(reads + store_calls, want.values().sum::<usize>(), "{file}");
    }
}

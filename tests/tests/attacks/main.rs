//! The attacks a developer with ordinary permissions (`lambda:AddPermission`,
//! `lambda:TagResource`) tried against lambda-warden's state, each reproduced step by step
//! against moto through the real adapter and handler, with the safe outcome asserted: forged
//! de-duplication tags (1), a self-granted exemption (2), an invocation killed between
//! `RemovePermission` and `AddPermission` (3), two deployments re-triggering each other (4),
//! a slow instance finishing after a fast one (8), and a large policy's removals kept whole (9).
//!
//! - `exemptions`: forged display tags, self-granted and approved exemptions, a function
//!   recreated under an exempt name;
//! - `records`: the write-ahead record of a plan that stopped, and tampered records;
//! - `races`: slow instances, large policies, two deployments.

mod exemptions;
mod races;
mod records;

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

#[test]
fn event_times_are_written_as_cloudtrail_does() {
    assert_eq!(event_time(NOW), "2026-05-28T00:00:00Z");
    assert_eq!(event_time(NOW + 47_655), "2026-05-28T13:14:15Z");
    assert_eq!(event_time(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(
        warden_rules::state::parse_event_time(&event_time(NOW - 1)),
        Some(NOW - 1)
    );
}

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

    /// The handler's dependencies, reaching moto through `proxy`.
    fn through(&self, proxy: &FaultProxy) -> Deps {
        Deps {
            aws: Aws::configured(
                &warden_tests::moto::sdk_config_at(&proxy.endpoint()),
                &self.deps.config,
            ),
            config: self.deps.config.clone(),
        }
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
/// `unix` seconds as a CloudTrail `eventTime` (`YYYY-MM-DDTHH:MM:SSZ`).
fn event_time(unix: i64) -> String {
    format!("{}Z", warden_rules::dates::civil_time(unix))
}

/// The wall clock in seconds since the Unix epoch: moto stamps a function's `LastModified`
/// with it, and an approval dated before that is refused.
fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A `TagResource` event of `tags` on `function_arn` by a session of `caller_role_arn`, made
/// now by the wall clock (so after the function's creation in moto).
fn tag_event(function_arn: &str, tags: &[(&str, &str)], caller_role_arn: &str, id: &str) -> Value {
    tag_event_at(function_arn, tags, caller_role_arn, id, wall_clock())
}

/// [`tag_event`] made at `unix` seconds.
fn tag_event_at(
    function_arn: &str,
    tags: &[(&str, &str)],
    caller_role_arn: &str,
    id: &str,
    unix: i64,
) -> Value {
    let mut event = load_event("tag-resource-opt-in-orders-api.json").expect("sample event");
    event["detail"]["eventTime"] = json!(event_time(unix));
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

//! The world every safety test starts from: moto with the demo account, a fault-injecting
//! proxy in front of it, and the handler's dependencies talking to moto through the proxy.
//!
//! The demo role's trust policy is pinned to the account ([`pin_demo_role_trust`]), so the
//! demo functions (active tracing, an on-failure destination, a role without policies) have
//! no finding but the resource-based policy and URL findings the tests are about.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use serde_json::Value;
use warden_aws::store::{StateStore, Stored};
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::report::AuditRecord;
use warden_rules::state::StoredAudit;
use warden_tests::seed::*;
use warden_tests::{load_event, seed_demo_account, DemoAccount, FaultProxy, Moto};

use lambda_events::{handle, Decision, Deps, HandlerError};

/// 2026-05-28T00:00:00Z: the handler's "now".
pub const NOW: i64 = 1_779_926_400;

/// SDK attempts per call in these tests (the SDK's standard mode default), with a short
/// backoff so retried faults do not slow the suite.
pub const ATTEMPTS: u32 = 3;

/// The Lambda reads every evaluation with the default rules sends first, concurrently
/// (`warden_aws::Aws::fetch_snapshot_of`; reserved concurrency and code signing are read only
/// when LW012 or LW013 runs): no `GetFunction`, whose permission would let lambda-warden
/// download code.
pub const FIRST_LAMBDA_READS: [&str; 4] = [
    "GetFunctionConfiguration",
    "ListTags",
    "GetPolicy",
    "GetFunctionUrlConfig",
];

/// The five Lambda reads of an evaluation of a function without a dead-letter queue (every
/// demo function): [`FIRST_LAMBDA_READS`], then, with the execution role's reads once the
/// configuration shows no dead-letter queue, `GetFunctionEventInvokeConfig`.
pub const LAMBDA_READS: [&str; 5] = [
    FIRST_LAMBDA_READS[0],
    FIRST_LAMBDA_READS[1],
    FIRST_LAMBDA_READS[2],
    FIRST_LAMBDA_READS[3],
    "GetFunctionEventInvokeConfig",
];

/// The IAM reads of the demo role that follow them: the role, and its two (empty) policy
/// lists. A role with policies would add `iam:GetPolicy` and `iam:GetPolicyVersion` per
/// attached policy and `iam:GetRolePolicy` per inline one; the demo role has none.
pub const DEMO_ROLE_READS: [&str; 3] = [
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
];

/// The reads of one evaluation of a demo function: [`LAMBDA_READS`] and [`DEMO_ROLE_READS`].
pub const EVALUATION_READS: usize = LAMBDA_READS.len() + DEMO_ROLE_READS.len();

/// The per-operation counts of `times` sends of the first Lambda reads alone
/// ([`FIRST_LAMBDA_READS`]): a function that is gone (`GetFunctionConfiguration` answers
/// `ResourceNotFoundException`) or whose `GetFunctionConfiguration` fails is not read further.
pub fn lambda_reads_only(times: usize) -> BTreeMap<&'static str, usize> {
    FIRST_LAMBDA_READS
        .into_iter()
        .map(|op| (op, times))
        .collect()
}

/// The per-operation counts of `evaluations` evaluations of demo functions plus `more`
/// requests, as [`World::take_counts`] gives them.
pub fn evaluations_and(
    evaluations: usize,
    more: &[(&'static str, usize)],
) -> BTreeMap<&'static str, usize> {
    let mut ops = BTreeMap::new();
    if evaluations > 0 {
        for op in LAMBDA_READS.into_iter().chain(DEMO_ROLE_READS) {
            ops.insert(op, evaluations);
        }
    }
    for (op, n) in more {
        *ops.entry(*op).or_insert(0) += n;
    }
    ops
}

/// The state table's requests of one evaluation that runs to its end: the consistent `Query`
/// of what is recorded, and the conditional `PutItem` of the evaluation's state. An exempt
/// function, or an evaluation stopped by a retryable failure, sends only the `Query`.
pub const STORE_EVALUATION: [(&str, usize); 2] = [("dynamodb:Query", 1), ("dynamodb:PutItem", 1)];

/// The state table's further requests of a plan with writes: the write-ahead audit record
/// (`PutItem`) and the state item's pointer to it (`UpdateItem`) before the first write, and
/// the finished record (`PutItem`) after the last.
pub const STORE_PLAN: [(&str, usize); 2] = [("dynamodb:PutItem", 2), ("dynamodb:UpdateItem", 1)];

/// `ops` with the state table's requests of `evaluations` evaluations ([`STORE_EVALUATION`])
/// and `plans` plans with writes ([`STORE_PLAN`]) added.
pub fn and_store(
    mut ops: BTreeMap<&'static str, usize>,
    evaluations: usize,
    plans: usize,
) -> BTreeMap<&'static str, usize> {
    for (times, calls) in [(evaluations, STORE_EVALUATION), (plans, STORE_PLAN)] {
        if times > 0 {
            for (op, n) in calls {
                *ops.entry(op).or_insert(0) += n * times;
            }
        }
    }
    ops
}

/// The demo role's trust policy with the `aws:SourceAccount` pin AWS recommends
/// (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>).
const PINNED_TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#;

/// Pins the demo role's trust policy to the demo account, so the informational LW024 does
/// not show on every demo function.
pub async fn pin_demo_role_trust(sdk: &SdkConfig) {
    aws_sdk_iam::Client::new(sdk)
        .update_assume_role_policy()
        .role_name(DEMO_ROLE)
        .policy_document(PINNED_TRUST_POLICY)
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");
}

pub struct World {
    pub moto: Moto,
    pub proxy: FaultProxy,
    pub demo: DemoAccount,
    pub deps: Deps,
}

/// The settings of `enforce` mode with alerts on, lambda-warden's own names, the demo
/// account's state table and the security team's role as the exemption approver, plus
/// `extra`.
pub fn config(demo: &DemoAccount, extra: &[(&str, &str)]) -> Config {
    let mut settings = vec![
        ("WARDEN_MODE".to_owned(), "enforce".to_owned()),
        ("WARDEN_ALERT_TOPIC_ARN".to_owned(), demo.topic_arn.clone()),
        (
            "WARDEN_SELF_ROLE_ARNS".to_owned(),
            demo.warden_role_arn.clone(),
        ),
        (
            "WARDEN_SELF_FUNCTION_ARNS".to_owned(),
            demo.function_arn(WARDEN_FUNCTION),
        ),
        ("WARDEN_STATE_TABLE".to_owned(), demo.state_table.clone()),
        (
            "WARDEN_EXEMPTION_APPROVERS".to_owned(),
            APPROVER_ROLE_ARN.to_owned(),
        ),
    ];
    for (k, v) in extra {
        settings.retain(|(name, _)| name != k);
        settings.push(((*k).to_owned(), (*v).to_owned()));
    }
    Config::from_lookup(|k| {
        settings
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("valid settings")
}

/// moto's SDK configuration pointed at `endpoint`, standard retries with a 5 ms backoff.
pub fn sdk_via(moto: &Moto, endpoint: &str) -> SdkConfig {
    moto.sdk_config()
        .to_builder()
        .endpoint_url(endpoint)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(5)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(20))
                .build(),
        )
        .build()
}

pub async fn world() -> World {
    world_with(&[]).await
}

pub async fn world_with(extra: &[(&str, &str)]) -> World {
    let moto = Moto::start();
    let demo = seed_demo_account(&moto.sdk_config())
        .await
        .expect("seed the demo account");
    pin_demo_role_trust(&moto.sdk_config()).await;
    let proxy = FaultProxy::start(moto.port()).await;
    let config = config(&demo, extra);
    let deps = Deps {
        // The state table is reached through the proxy too, like every other call.
        aws: Aws::configured(&sdk_via(&moto, &proxy.endpoint()), &config),
        config,
    };
    World {
        moto,
        proxy,
        demo,
        deps,
    }
}

impl World {
    /// Runs the handler on `event`.
    pub async fn deliver(&self, event: Value) -> Result<Decision, HandlerError> {
        handle(event, &self.deps, NOW).await
    }

    /// Runs the handler on `event`, which must succeed.
    pub async fn deliver_ok(&self, event: Value) -> Decision {
        self.deliver(event)
            .await
            .unwrap_or_else(|e| panic!("handler failed: {e}"))
    }

    /// The alerts published since the last call, as audit records (SNS `Subject`, record).
    pub async fn alerts(&self) -> Vec<(String, AuditRecord)> {
        self.demo
            .read_alerts()
            .await
            .expect("read alerts")
            .into_iter()
            .map(|(subject, message)| {
                let record = serde_json::from_str(&message)
                    .unwrap_or_else(|e| panic!("alert is not an audit record ({e}): {message}"));
                (subject, record)
            })
            .collect()
    }

    /// The state table, read straight from moto with a client of its own (not through the
    /// proxy, not counted).
    pub fn store(&self) -> StateStore {
        StateStore::new(
            &self.moto.sdk_config(),
            std::sync::Arc::default(),
            &self.demo.state_table,
            None,
        )
    }

    /// What the state table holds about `name`'s function.
    pub async fn stored(&self, name: &str) -> Stored {
        self.store()
            .load(&self.demo.function_arn(name))
            .await
            .expect("read the state table")
    }

    /// Every audit record in the state table, oldest first: a `Scan` for the records' first
    /// parts, each record then read back whole with [`StateStore::audit`].
    pub async fn audits(&self) -> Vec<StoredAudit> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let page = aws_sdk_dynamodb::Client::new(&self.moto.sdk_config())
            .scan()
            .table_name(&self.demo.state_table)
            .filter_expression("begins_with(pk, :audit) AND sk = :first")
            .expression_attribute_values(":audit", AttributeValue::S("AUDIT#".into()))
            .expression_attribute_values(":first", AttributeValue::S("PART#0000".into()))
            .send()
            .await
            .expect("Scan the state table");
        let mut ids: Vec<String> = page
            .items()
            .iter()
            .filter_map(|item| item.get("pk")?.as_s().ok()?.strip_prefix("AUDIT#"))
            .map(str::to_owned)
            .collect();
        ids.sort();
        let store = self.store();
        let mut audits = Vec::new();
        for id in ids {
            let audit = store.audit(&id).await.expect("read an audit record");
            audits.push(audit.unwrap_or_else(|| panic!("audit record {id} vanished")));
        }
        audits
    }

    /// (reads, writes, requests per operation) sent through the adapter so far, then forgets
    /// them. The state table's requests are in the per-operation counts as `dynamodb:*`
    /// ([`STORE_EVALUATION`], [`STORE_PLAN`]), not in reads or writes.
    pub fn take_counts(&self) -> (usize, usize, BTreeMap<&'static str, usize>) {
        let calls = self.deps.aws.calls();
        let counts = (calls.reads(), calls.writes(), calls.by_operation());
        calls.reset();
        counts
    }
}

pub fn event(name: &str) -> Value {
    load_event(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The statements of `name`'s policy, by Sid.
pub async fn statements(demo: &DemoAccount, name: &str) -> Vec<Value> {
    demo.state(name).await.expect("state").statements
}

pub fn sids(statements: &[Value]) -> Vec<String> {
    let mut s: Vec<String> = statements
        .iter()
        .filter_map(|s| s["Sid"].as_str().map(str::to_owned))
        .collect();
    s.sort();
    s
}

/// A Lambda client straight to moto (not through the proxy): a human's console or CLI.
pub fn human(w: &World) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&w.moto.sdk_config())
}

//! The organization sweep against moto with several account ids: the scheduled run fans out
//! one work item per (account, Region) to a real SQS queue; the tests play the event source
//! mapping (receive, invoke the sweep function's handler with the SQS event, delete what it
//! did not report as failed, let the rest become visible again) and check the summary record,
//! the dead-letter queue, and a worker killed mid-way.

use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::{json, Value};
use sweep::organization::FanOutError;
use sweep::{Deadline, Deps, SweepAccounts, SweepSettings};
use tokio::sync::Notify;
use warden_aws::Aws;
use warden_rules::config::{Config, Mode};
use warden_rules::ids::AccountId;
use warden_rules::rules::RuleId;
use warden_rules::work::{ClaimRefused, RunSummary, WorkItem};
use warden_tests::moto::sdk_config_at;
use warden_tests::seed::{
    create_function_role, create_python_function, create_state_table, make_public, STATE_TABLE,
};
use warden_tests::{read_alerts, tags, Fault, FaultProxy, Moto, Rule};

const CENTRAL: &str = "123456789012";
const OWN_FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:lambda-warden-sweep";
/// The evaluation time of the pure rules (2026-06-01T00:00:00Z).
const NOW: i64 = 1_780_272_000;

/// moto, and the state table in its central account.
async fn start() -> (Moto, aws_config::SdkConfig) {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    create_state_table(&sdk, STATE_TABLE)
        .await
        .expect("CreateTable");
    (moto, sdk)
}

/// [`start`], the adapter's requests going through a fault proxy in front of moto.
async fn start_behind_proxy() -> (Moto, FaultProxy, aws_config::SdkConfig) {
    let moto = Moto::start();
    let proxy = FaultProxy::start(moto.port()).await;
    let sdk = sdk_config_at(&proxy.endpoint());
    create_state_table(&sdk, STATE_TABLE)
        .await
        .expect("CreateTable");
    (moto, proxy, sdk)
}

/// `count` functions in `account` (`org-00`, ...), every third with a public statement.
/// Returns the account's Lambda client.
async fn seed_account(moto: &Moto, account: &str, count: usize) -> aws_sdk_lambda::Client {
    let sdk = if account == CENTRAL {
        moto.sdk_config()
    } else {
        moto.sdk_config_as(&format!("arn:aws:iam::{account}:role/seeder"))
            .await
    };
    let role = create_function_role(&sdk, "org-sweep-role")
        .await
        .expect("CreateRole");
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    for i in 0..count {
        let name = format!("org-{i:02}");
        create_python_function(&lambda, &name, &role)
            .await
            .expect("CreateFunction");
        if i % 3 == 0 {
            make_public(&lambda, &name, None)
                .await
                .expect("AddPermission");
        }
    }
    lambda
}

async fn status(lambda: &aws_sdk_lambda::Client, account: &str, name: &str) -> Option<String> {
    let arn = format!("arn:aws:lambda:us-east-1:{account}:function:{name}");
    tags(lambda, &arn)
        .await
        .expect("ListTags")
        .get("lambda-warden:status")
        .cloned()
}

struct Queues {
    sqs: aws_sdk_sqs::Client,
    work: String,
    dead_letter: String,
}

async fn queues(sdk: &aws_config::SdkConfig) -> Queues {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let url = |name: &'static str| {
        let sqs = sqs.clone();
        async move {
            sqs.create_queue()
                .queue_name(name)
                .send()
                .await
                .expect("CreateQueue")
                .queue_url
                .expect("queue URL")
        }
    };
    let work = url("lambda-warden-sweep-work").await;
    let dead_letter = url("lambda-warden-sweep-dead-letter").await;
    Queues {
        sqs,
        work,
        dead_letter,
    }
}

fn deps(sdk: &aws_config::SdkConfig, q: &Queues, accounts: &[&str], concurrency: usize) -> Deps {
    let config = Config {
        mode: Mode::Tag,
        regions: vec!["us-east-1".to_owned()],
        // The seeded functions have no tracing and no failure destination: only the planted
        // public statements are under test here.
        disabled_rules: [RuleId::LW010, RuleId::LW011].into(),
        state_table: Some(STATE_TABLE.to_owned()),
        member_role_name: Some("lambda-warden-member".to_owned()),
        ..Config::default()
    };
    Deps {
        aws: Aws::configured(sdk, &config),
        config,
        settings: SweepSettings {
            concurrency,
            margin_seconds: 0,
            accounts: SweepAccounts::List(
                accounts
                    .iter()
                    .map(|a| AccountId::parse(a).expect("account id"))
                    .collect(),
            ),
            queue_url: Some(q.work.clone()),
            dead_letter_url: Some(q.dead_letter.clone()),
            max_attempts: 2,
            checkpoint_seconds: 0,
            ..SweepSettings::default()
        },
    }
}

fn scheduled(id: &str) -> Value {
    json!({"version": "0", "id": id, "detail-type": "Scheduled Event", "source": "aws.events",
           "account": CENTRAL, "region": "us-east-1", "resources": [], "detail": {}})
}

/// The sweep function's handler, its future boxed: with alerts and fixes it is deep, and the
/// test thread's stack is small (`functions/sweep/src/main.rs` boxes it too).
async fn handle<F: Fn() -> u64 + Sync>(
    event: &Value,
    request_id: &str,
    own_function: &str,
    deps: &Deps,
    budget: &Deadline<F>,
    now: i64,
) -> Result<Value, FanOutError> {
    Box::pin(sweep::handle(
        event,
        request_id,
        own_function,
        deps,
        budget,
        now,
    ))
    .await
}

/// The scheduled run `run_id`: it fans out; returns its answer.
async fn fan_out(deps: &Deps, run_id: &str) -> Value {
    handle(
        &scheduled(run_id),
        "req",
        OWN_FUNCTION,
        deps,
        &forever(),
        NOW,
    )
    .await
    .expect("fanned out")
}

/// A budget that never runs out.
fn forever() -> Deadline<fn() -> u64> {
    fn now() -> u64 {
        1_000
    }
    Deadline {
        deadline_ms: 10_000_000,
        margin_ms: 0,
        now_ms: now,
    }
}

/// One message as the event source mapping hands it to the function.
fn sqs_event(m: &aws_sdk_sqs::types::Message, queue_arn: &str) -> Value {
    let receives = m
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .cloned()
        .unwrap_or_else(|| "1".to_owned());
    json!({"Records": [{
        "messageId": m.message_id(),
        "receiptHandle": m.receipt_handle(),
        "body": m.body(),
        "attributes": {"ApproximateReceiveCount": receives, "SentTimestamp": "1780272000000"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    }]})
}

async fn receive_one(q: &Queues) -> Option<aws_sdk_sqs::types::Message> {
    q.sqs
        .receive_message()
        .queue_url(&q.work)
        .max_number_of_messages(1)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .expect("ReceiveMessage")
        .messages
        .unwrap_or_default()
        .into_iter()
        .next()
}

/// Answers `event` was given: deletes the message unless the answer lists it, otherwise makes
/// it visible again at once (its visibility timeout, played fast).
async fn settle(q: &Queues, m: &aws_sdk_sqs::types::Message, answer: &Value) {
    let failed = answer["batchItemFailures"]
        .as_array()
        .expect("batchItemFailures")
        .iter()
        .any(|f| f["itemIdentifier"].as_str() == m.message_id());
    let handle = m.receipt_handle().expect("receipt handle");
    if failed {
        q.sqs
            .change_message_visibility()
            .queue_url(&q.work)
            .receipt_handle(handle)
            .visibility_timeout(0)
            .send()
            .await
            .expect("ChangeMessageVisibility");
    } else {
        q.sqs
            .delete_message()
            .queue_url(&q.work)
            .receipt_handle(handle)
            .send()
            .await
            .expect("DeleteMessage");
    }
}

/// Plays the event source mapping until the work queue is empty; returns the invocations.
async fn drain(q: &Queues, deps: &Deps) -> usize {
    drain_with(q, deps, &forever()).await
}

/// [`drain`], the invocations on `budget`'s clock.
async fn drain_with<F: Fn() -> u64 + Sync>(q: &Queues, deps: &Deps, budget: &Deadline<F>) -> usize {
    let mut invocations = 0;
    while let Some(m) = receive_one(q).await {
        let answer = handle(
            &sqs_event(
                &m,
                "arn:aws:sqs:us-east-1:123456789012:lambda-warden-sweep-work",
            ),
            &format!("req-drain-{invocations}"),
            OWN_FUNCTION,
            deps,
            budget,
            NOW,
        )
        .await
        .expect("work items never fail the invocation");
        settle(q, &m, &answer).await;
        invocations += 1;
        assert!(invocations < 100, "the work queue does not drain");
    }
    invocations
}

/// The dead-letter queue's messages: (body, reason).
async fn dead_letters(q: &Queues) -> Vec<(String, String)> {
    let mut all = Vec::new();
    loop {
        let out = q
            .sqs
            .receive_message()
            .queue_url(&q.dead_letter)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .expect("ReceiveMessage");
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return all;
        }
        for m in messages {
            let reason = m
                .message_attributes()
                .and_then(|a| a.get("reason"))
                .and_then(|v| v.string_value())
                .unwrap_or_default()
                .to_owned();
            all.push((m.body().unwrap_or_default().to_owned(), reason));
            q.sqs
                .delete_message()
                .queue_url(&q.dead_letter)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("DeleteMessage");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_sweep_fans_out_and_sweeps_every_account_once() {
    // Through the proxy, which tells whose credentials signed each request.
    let (moto, proxy, sdk) = start_behind_proxy().await;
    let members = ["111111111111", "222222222222"];
    let central = seed_account(&moto, CENTRAL, 3).await;
    let mut lambdas = Vec::new();
    for m in members {
        lambdas.push(seed_account(&moto, m, 6).await);
    }
    let q = queues(&sdk).await;
    let mut deps = deps(&sdk, &q, &[members[1], CENTRAL, members[0]], 4);
    // Alerts go to the deployment's topic, in the central account, whatever account the
    // function is in: published with the sweep's own credentials, not the member role's.
    let sns = aws_sdk_sns::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name("lambda-warden-alerts")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn
        .expect("topic ARN");
    let alerts_queue = q
        .sqs
        .create_queue()
        .queue_name("alerts")
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("queue URL");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint("arn:aws:sqs:us-east-1:123456789012:alerts")
        .send()
        .await
        .expect("Subscribe");
    deps.config.alert_topic_arn = Some(topic);

    let fanned = fan_out(&deps, "run-1").await;
    assert_eq!(
        (
            fanned["items"].as_u64(),
            fanned["sent"].as_u64(),
            fanned["new_run"].as_bool()
        ),
        (Some(3), Some(3), Some(true)),
        "{fanned}"
    );
    // The fan-out itself sweeps nothing.
    assert_eq!(status(&lambdas[0], members[0], "org-00").await, None);

    assert_eq!(drain(&q, &deps).await, 3);
    let store = deps.aws.store().expect("state table");
    let summary = store
        .run_summary("run-1")
        .await
        .expect("GetItem")
        .expect("summary");
    assert_eq!(
        (summary.done, summary.failed, summary.sent),
        (3, 0, 3),
        "{summary:?}"
    );
    assert!(summary.finished());
    assert_eq!(
        summary.accounts_covered,
        ["111111111111", "123456789012", "222222222222"]
    );
    assert_eq!(summary.regions_covered, ["us-east-1"]);
    assert_eq!(summary.counts.functions, 3 + 6 + 6);
    // org-00 and org-03 in each member, org-00 in the central account.
    assert_eq!(summary.counts.non_compliant, 5, "{summary:?}");
    for (lambda, account) in lambdas.iter().zip(members) {
        assert_eq!(
            status(lambda, account, "org-03").await.as_deref(),
            Some("non-compliant")
        );
        assert_eq!(
            status(lambda, account, "org-04").await.as_deref(),
            Some("compliant")
        );
    }
    assert_eq!(
        status(&central, CENTRAL, "org-00").await.as_deref(),
        Some("non-compliant")
    );
    // Every alert, member functions' included, was signed with the sweep's own key.
    let signers = proxy.signers("Publish");
    assert_eq!(signers.len(), 5);
    assert!(
        signers
            .iter()
            .all(|k| k == warden_tests::moto::ACCESS_KEY_ID),
        "{signers:?}"
    );
    let alerts = read_alerts(&q.sqs, &alerts_queue).await.expect("alerts");
    assert_eq!(alerts.len(), 5, "{alerts:?}");
    for account in members {
        assert_eq!(
            alerts
                .iter()
                .filter(|(_, body)| body.contains(&format!(":{account}:function:org-0")))
                .count(),
            2,
            "{account}: {alerts:?}"
        );
    }

    // The same item delivered again (SQS delivers at least once) is dropped: nothing is
    // swept or counted twice.
    deps.aws.calls().reset();
    let again = WorkItem::new("run-1", &AccountId::parse(members[0]).unwrap(), "us-east-1");
    q.sqs
        .send_message()
        .queue_url(&q.work)
        .message_body(again.body())
        .send()
        .await
        .expect("SendMessage");
    assert_eq!(drain(&q, &deps).await, 1);
    assert_eq!(deps.aws.calls().reads() + deps.aws.calls().writes(), 0);
    let after = store.run_summary("run-1").await.unwrap().unwrap();
    assert_eq!(after, summary);

    // The scheduled event delivered twice records the run once.
    let twice = fan_out(&deps, "run-1").await;
    assert_eq!(twice["new_run"], json!(false));
    assert_eq!(drain(&q, &deps).await, 3);
    let twice = store.run_summary("run-1").await.unwrap().unwrap();
    assert_eq!(twice.sent, 6);
    assert_eq!(RunSummary { sent: 3, ..twice }, summary);
    assert!(dead_letters(&q).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn poisoned_work_items_end_in_the_dead_letter_queue_with_their_reason() {
    let (moto, proxy, sdk) = start_behind_proxy().await;
    seed_account(&moto, CENTRAL, 2).await;
    let q = queues(&sdk).await;
    let member = "111111111111";
    let deps = deps(&sdk, &q, &[CENTRAL, member], 2);
    fan_out(&deps, "run-2").await;
    // The member role cannot be assumed: STS is unavailable, every time.
    proxy.add(Rule::always(
        "AssumeRole",
        Fault::error(503, "ServiceUnavailable"),
    ));
    let forged = [
        "not a work item at all".to_owned(),
        WorkItem::new("run-2", &AccountId::parse("999999999999").unwrap(), "us-east-1").body(),
        WorkItem::new("run-never", &AccountId::parse(member).unwrap(), "us-east-1").body(),
        r#"{"schema":"lambda-warden.work/1","run_id":"run-2","account":"123456789012","region":"us-east-1","after":"org-99"}"#.to_owned(),
    ];
    for body in &forged {
        q.sqs
            .send_message()
            .queue_url(&q.work)
            .message_body(body)
            .send()
            .await
            .expect("SendMessage");
    }
    // Two deliveries of the member's item (WARDEN_SWEEP_MAX_ATTEMPTS = 2), one of the rest.
    assert_eq!(drain(&q, &deps).await, 2 + 1 + forged.len());

    // The member item's one retry: the worker's back-off, then this test's own (it plays the
    // visibility timeout fast).
    assert_eq!(proxy.seen("ChangeMessageVisibility"), 2);
    let mut dead = dead_letters(&q).await;
    dead.sort();
    let reasons: Vec<&str> = dead.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(dead.len(), 5, "{dead:?}");
    let has = |body: &str, reason: &str| {
        assert!(
            dead.iter().any(|(b, r)| b == body && r.contains(reason)),
            "{body:?} with {reason:?} in {reasons:?}"
        );
    };
    has(&forged[0], "not a work item");
    has(
        &forged[1],
        "999999999999/us-east-1 was not planned by run run-2",
    );
    has(&forged[2], "run run-never is not recorded");
    // A message may not carry where to resume: the checkpoint is lambda-warden's own.
    has(&forged[3], "unknown field `after`");
    let member_item = WorkItem::new("run-2", &AccountId::parse(member).unwrap(), "us-east-1");
    has(
        &member_item.body(),
        "AssumeRole arn:aws:iam::111111111111:role/lambda-warden-member refused: ",
    );
    has(&member_item.body(), "(after 2 deliveries)");

    let summary = deps
        .aws
        .store()
        .unwrap()
        .run_summary("run-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((summary.done, summary.failed), (1, 1), "{summary:?}");
    assert!(summary.finished());
    assert_eq!(summary.accounts_covered, [CENTRAL]);
    assert_eq!(summary.failures.len(), 1);
    assert!(
        summary.failures[0].starts_with("111111111111/us-east-1: AssumeRole"),
        "{:?}",
        summary.failures
    );
}

/// What changed the accounts' functions: every write to Lambda and SNS, per operation.
fn writes(aws: &Aws) -> Vec<(&'static str, usize)> {
    aws.calls()
        .by_operation()
        .into_iter()
        .filter(|(op, _)| {
            !op.starts_with("dynamodb:")
                && !op.starts_with("sqs:")
                && !op.starts_with("Get")
                && !op.starts_with("List")
                && !op.starts_with("iam:")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_way_resumes_from_its_checkpoint_without_repeating_writes() {
    const FUNCTIONS: usize = 12;
    let (moto, sdk) = start().await;
    let (whole, killed) = ("333333333333", "444444444444");
    seed_account(&moto, whole, FUNCTIONS).await;
    let lambda = seed_account(&moto, killed, FUNCTIONS).await;
    let q = queues(&sdk).await;

    // The same account shape swept in one go: the writes a sweep of it makes.
    let one_go = deps(&sdk, &q, &[whole], 1);
    fan_out(&one_go, "run-whole").await;
    assert_eq!(drain(&q, &one_go).await, 1);
    let expected = writes(&one_go.aws);
    assert!(
        expected
            .iter()
            .any(|(op, n)| *op == "TagResource" && *n == FUNCTIONS),
        "{expected:?}"
    );

    let deps = deps(&sdk, &q, &[killed], 1);
    fan_out(&deps, "run-killed").await;
    let m = receive_one(&q).await.expect("the work item");
    // The worker is killed (its future dropped, as a timeout or a crash ends the process) on
    // the 8th question to its budget: the claim, the Region, then one before each function.
    // One function at a time, so five are done and the sixth is being read.
    let kill = Notify::new();
    let asked = AtomicUsize::new(0);
    let counting = Deadline {
        deadline_ms: 10_000_000,
        margin_ms: 0,
        now_ms: || {
            if asked.fetch_add(1, Ordering::SeqCst) + 1 == 8 {
                kill.notify_one();
            }
            1_000
        },
    };
    let event = sqs_event(
        &m,
        "arn:aws:sqs:us-east-1:123456789012:lambda-warden-sweep-work",
    );
    tokio::select! {
        answer = handle(&event, "req-1", OWN_FUNCTION, &deps, &counting, NOW) => {
            panic!("the worker finished before it was killed: {answer:?}")
        }
        () = kill.notified() => {}
    }
    // Its message was not deleted: after the visibility timeout SQS delivers it again.
    let store = deps.aws.store().unwrap();
    let before = store.run_summary("run-killed").await.unwrap().unwrap();
    assert_eq!(before.done, 0);
    q.sqs
        .change_message_visibility()
        .queue_url(&q.work)
        .receipt_handle(m.receipt_handle().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .expect("ChangeMessageVisibility");
    let killed_writes = writes(&deps.aws);
    let killed_policies = deps.aws.calls().by_operation().get("GetPolicy").copied();
    deps.aws.calls().reset();
    // The dead worker's lease ends at its deadline; SQS delivers the message again only after
    // the visibility timeout, six times later.
    fn later() -> u64 {
        10_000_001
    }
    let later = Deadline {
        deadline_ms: 20_000_000,
        margin_ms: 0,
        now_ms: later as fn() -> u64,
    };
    assert_eq!(drain_with(&q, &deps, &later).await, 1);
    let resumed_policies = deps
        .aws
        .calls()
        .by_operation()
        .get("GetPolicy")
        .copied()
        .unwrap_or(0);

    // The resumed worker started from the checkpoint, not from the first function.
    assert!(
        resumed_policies < FUNCTIONS,
        "resumed run read {resumed_policies} policies (killed run: {killed_policies:?})"
    );
    // Together, the killed and the resumed worker wrote exactly what one sweep writes.
    let mut together = killed_writes;
    for (op, n) in writes(&deps.aws) {
        match together.iter_mut().find(|(o, _)| *o == op) {
            Some((_, m)) => *m += n,
            None => together.push((op, n)),
        }
    }
    together.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(together, expected);
    let summary = store.run_summary("run-killed").await.unwrap().unwrap();
    assert_eq!((summary.done, summary.failed), (1, 0));
    // Every function counted once, though some were evaluated by both workers.
    assert_eq!(summary.counts.functions, FUNCTIONS as u64);
    assert_eq!(summary.counts.non_compliant, FUNCTIONS.div_ceil(3) as u64);
    for i in 0..FUNCTIONS {
        let expected = if i % 3 == 0 {
            "non-compliant"
        } else {
            "compliant"
        };
        assert_eq!(
            status(&lambda, killed, &format!("org-{i:02}"))
                .await
                .as_deref(),
            Some(expected)
        );
    }
}

/// Plays the event source mapping over the queue with workers whose time runs out after
/// their budget was asked 5 times (the claim, the Region, then before each function: two
/// functions each); returns the invocations.
async fn drain_short_workers(q: &Queues, deps: &Deps) -> usize {
    let mut invocations = 0;
    while let Some(m) = receive_one(q).await {
        let asked = AtomicUsize::new(0);
        let budget = Deadline {
            deadline_ms: 10_000_000,
            margin_ms: 0,
            now_ms: || {
                if asked.fetch_add(1, Ordering::SeqCst) < 4 {
                    1_000
                } else {
                    20_000_000
                }
            },
        };
        let event = sqs_event(
            &m,
            "arn:aws:sqs:us-east-1:123456789012:lambda-warden-sweep-work",
        );
        let answer = handle(
            &event,
            &format!("req-{invocations}"),
            OWN_FUNCTION,
            deps,
            &budget,
            NOW,
        )
        .await
        .unwrap();
        settle(q, &m, &answer).await;
        invocations += 1;
        assert!(invocations < 10);
    }
    invocations
}

#[tokio::test(flavor = "multi_thread")]
async fn a_work_item_out_of_time_is_handed_over_and_finished_by_the_next_worker() {
    let (moto, sdk) = start().await;
    let member = "555555555555";
    seed_account(&moto, member, 9).await;
    let q = queues(&sdk).await;
    let deps = deps(&sdk, &q, &[member], 1);
    fan_out(&deps, "run-long").await;
    let invocations = drain_short_workers(&q, &deps).await;
    assert_eq!(invocations, 5, "two functions per worker");
    let summary = deps
        .aws
        .store()
        .unwrap()
        .run_summary("run-long")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((summary.done, summary.failed), (1, 0));
    assert_eq!(summary.counts.functions, 9);
    assert_eq!(summary.counts.non_compliant, 3);

    // With WARDEN_SWEEP_MAX_CONTINUATIONS = 1 the item is handed over once, then given up
    // with how far it got, not handed over again.
    let mut once = deps;
    once.settings.max_continuations = 1;
    fan_out(&once, "run-once").await;
    assert_eq!(drain_short_workers(&q, &once).await, 2);
    let summary = once
        .aws
        .store()
        .unwrap()
        .run_summary("run-once")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((summary.done, summary.failed), (0, 1), "{summary:?}");
    assert_eq!(summary.counts.functions, 4);
    assert!(
        summary.failures[0]
            .contains("WARDEN_SWEEP_MAX_CONTINUATIONS (1) reached after Some(\"org-03\")"),
        "{:?}",
        summary.failures
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_belongs_to_one_invocation_and_only_the_work_queue_feeds_workers() {
    let (moto, sdk) = start().await;
    let member = "666666666666";
    seed_account(&moto, member, 2).await;
    let q = queues(&sdk).await;
    let deps = deps(&sdk, &q, &[member, CENTRAL], 2);
    fan_out(&deps, "run-lease").await;
    let store = deps.aws.store().unwrap();
    let key = format!("{member}/us-east-1");

    // SQS may deliver one message twice at once: the second invocation finds the item held.
    let first = store
        .claim_item("run-lease", &key, "invocation-a", 1_000, 900_000)
        .await
        .unwrap();
    assert!(first.is_ok(), "{first:?}");
    let second = store
        .claim_item("run-lease", &key, "invocation-b", 2_000, 901_000)
        .await
        .unwrap();
    // It comes back once the holder's lease has ended.
    assert_eq!(second, Err(ClaimRefused::Held { until_ms: 900_000 }));
    // Once the first one's deadline has passed (it died), the next delivery takes it over,
    // and the dead one's writes, should it come back, are refused.
    let third = store
        .claim_item("run-lease", &key, "invocation-b", 900_001, 1_800_000)
        .await
        .unwrap();
    assert!(third.is_ok(), "{third:?}");
    let stale = store
        .end_item("run-lease", &key, "invocation-a", &Default::default(), None)
        .await
        .unwrap();
    assert!(!stale, "a worker that lost its lease may not end the item");
    assert_eq!(
        store
            .claim_item("run-lease", "999999999999/us-east-1", "x", 1, 2)
            .await
            .unwrap(),
        Err(ClaimRefused::NotPlanned)
    );
    assert_eq!(
        store
            .claim_item("no-such-run", &key, "x", 1, 2)
            .await
            .unwrap(),
        Err(ClaimRefused::UnknownRun)
    );

    // A record that names another queue (an SQS-shaped event from someone allowed to invoke
    // the function) is not worked on.
    let m = receive_one(&q).await.expect("a work item");
    let forged = sqs_event(&m, "arn:aws:sqs:us-east-1:123456789012:some-other-queue");
    let answer = handle(&forged, "req-forged", OWN_FUNCTION, &deps, &forever(), NOW)
        .await
        .unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let summary = store.run_summary("run-lease").await.unwrap().unwrap();
    assert_eq!((summary.done, summary.failed), (0, 0), "{summary:?}");

    // A message delivered more often than WARDEN_SWEEP_MAX_ATTEMPTS whose workers never
    // answered is given up with its reason, not swept again to die again.
    let central_item = WorkItem::new(
        "run-lease",
        &AccountId::parse(CENTRAL).unwrap(),
        "us-east-1",
    );
    let mut record = sqs_event(
        &m,
        "arn:aws:sqs:us-east-1:123456789012:lambda-warden-sweep-work",
    );
    record["Records"][0]["body"] = json!(central_item.body());
    record["Records"][0]["attributes"]["ApproximateReceiveCount"] = json!("3");
    handle(&record, "req-late", OWN_FUNCTION, &deps, &forever(), NOW)
        .await
        .unwrap();
    let summary = store.run_summary("run-lease").await.unwrap().unwrap();
    assert_eq!(summary.failed, 1, "{summary:?}");
    assert!(
        summary.failures[0].contains("delivered 3 times and never finished"),
        "{:?}",
        summary.failures
    );
    assert_eq!(summary.pending.len(), 1);
    assert!(!summary.finished());
    let dead = dead_letters(&q).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].1.contains("never finished"), "{dead:?}");
}

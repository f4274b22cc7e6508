//! The sweep function against moto: a run whose time runs out stops cleanly, hands over a
//! cursor, and the next run resumes exactly there; a finished sweep repeated writes nothing.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use sweep::{run_sweep, Deadline, Deps, SweepSettings};
use warden_aws::store::StateStore;
use warden_aws::Aws;
use warden_rules::config::{Config, Mode};
use warden_rules::rules::RuleId;
use warden_tests::seed::{
    create_function_role, create_python_function, create_state_table, make_public, STATE_TABLE,
};
use warden_tests::{tags, Moto};

/// The evaluation time of the pure rules (2026-06-01T00:00:00Z).
const EVALUATION_TIME: i64 = 1_780_272_000;

const FUNCTIONS: usize = 30;

fn name(i: usize) -> String {
    format!("sweep-{i:02}")
}

/// A deadline 1000 s ahead for the first `calls` questions, then one in the past: "the time
/// ran out after N functions".
struct Clock {
    asked: AtomicUsize,
    calls: usize,
}

impl Clock {
    fn now(&self) -> u64 {
        if self.asked.fetch_add(1, Ordering::SeqCst) < self.calls {
            0
        } else {
            2_000_000
        }
    }
}

/// Creates the state table and `FUNCTIONS` functions, every fifth with a public statement.
async fn seed(sdk: &aws_config::SdkConfig) -> aws_sdk_lambda::Client {
    create_state_table(sdk, STATE_TABLE)
        .await
        .expect("CreateTable");
    let role = create_function_role(sdk, "sweep-test-role")
        .await
        .expect("CreateRole");
    let lambda = aws_sdk_lambda::Client::new(sdk);
    for i in 0..FUNCTIONS {
        create_python_function(&lambda, &name(i), &role)
            .await
            .expect("CreateFunction");
        if i % 5 == 0 {
            make_public(&lambda, &name(i), None)
                .await
                .expect("AddPermission");
        }
    }
    lambda
}

async fn status(lambda: &aws_sdk_lambda::Client, i: usize) -> Option<String> {
    let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{}", name(i));
    tags(lambda, &arn)
        .await
        .expect("ListTags")
        .get("lambda-warden:status")
        .cloned()
}

/// Whether the state table holds an evaluation's state for function `i`.
async fn recorded(sdk: &aws_config::SdkConfig, i: usize) -> bool {
    let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{}", name(i));
    StateStore::new(sdk, std::sync::Arc::default(), STATE_TABLE, None)
        .load(&arn)
        .await
        .expect("read the state table")
        .state
        .is_some()
}

fn deps(sdk: &aws_config::SdkConfig, max_continuations: u32) -> Deps {
    let config = Config {
        mode: Mode::Tag,
        regions: vec!["us-east-1".to_owned()],
        // The seeded functions have no tracing and no failure destination: only the planted
        // public statements are under test here.
        disabled_rules: [RuleId::LW010, RuleId::LW011].into(),
        state_table: Some(STATE_TABLE.to_owned()),
        ..Config::default()
    };
    Deps {
        aws: Aws::configured(sdk, &config),
        config,
        settings: SweepSettings {
            concurrency: 4,
            margin_seconds: 30,
            max_continuations,
            ..SweepSettings::default()
        },
    }
}

fn scheduled(id: &str) -> serde_json::Value {
    json!({"version": "0", "id": id, "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "123456789012", "region": "us-east-1", "resources": [], "detail": {}})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_that_runs_out_of_time_resumes_where_it_stopped() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let lambda = seed(&sdk).await;
    let deps = deps(&sdk, 20);

    // GIVEN a run whose deadline passes after a few functions
    let clock = Clock {
        asked: AtomicUsize::new(0),
        calls: 8,
    };
    let budget = Deadline {
        deadline_ms: 1_000_000,
        margin_ms: 30_000,
        now_ms: || clock.now(),
    };
    // WHEN it sweeps
    let first = run_sweep(
        &scheduled("sched-1"),
        "req-1",
        &deps,
        &budget,
        EVALUATION_TIME,
    )
    .await;
    // THEN it stops cleanly, before the end, with a cursor after the last function it finished
    let done = first.functions;
    assert!(done > 0 && done < FUNCTIONS, "first run did {done}");
    let cursor = first.stopped_at.clone().expect("stopped early");
    assert_eq!(cursor.region, "us-east-1");
    assert_eq!(cursor.after.as_deref(), Some(name(done - 1).as_str()));
    let next = first.next.clone().expect("a continuation");
    assert_eq!((next.run_id.as_str(), next.continuation), ("sched-1", 1));
    assert!(first.failures.is_empty(), "{:?}", first.failures);
    // AND exactly the functions before the cursor were evaluated (and tagged)
    for i in 0..FUNCTIONS {
        let verdict = if i % 5 == 0 {
            "non-compliant"
        } else {
            "compliant"
        };
        let expected = (i < done).then_some(verdict);
        assert_eq!(status(&lambda, i).await.as_deref(), expected, "{}", name(i));
        assert_eq!(
            recorded(&sdk, i).await,
            i < done,
            "{} in the table",
            name(i)
        );
    }

    // WHEN the continuation runs with time to spare
    let ample = Deadline {
        deadline_ms: u64::MAX,
        margin_ms: 30_000,
        now_ms: || 0,
    };
    let second = run_sweep(&next.event(), "req-2", &deps, &ample, EVALUATION_TIME).await;
    // THEN it resumes after the cursor and finishes the sweep
    assert_eq!(second.run_id, "sched-1");
    assert_eq!(second.continuation, 1);
    assert_eq!(second.resumed_at.as_ref(), Some(&cursor));
    assert_eq!(second.functions, FUNCTIONS - done);
    assert_eq!(second.stopped_at, None);
    assert_eq!(second.next, None);
    for i in 0..FUNCTIONS {
        assert!(
            status(&lambda, i).await.is_some(),
            "{} not evaluated",
            name(i)
        );
        assert!(recorded(&sdk, i).await, "{} not in the table", name(i));
    }
    // AND together the runs found each public statement once
    let public = |s: &sweep::Summary| s.open_by_rule.get("LW001").copied().unwrap_or(0);
    assert_eq!(public(&first) + public(&second), FUNCTIONS / 5);
    let non_compliant =
        |s: &sweep::Summary| s.by_resolution.get("non_compliant").copied().unwrap_or(0);
    assert_eq!(
        non_compliant(&first) + non_compliant(&second),
        FUNCTIONS / 5
    );

    // WHEN the next scheduled run sweeps the unchanged account
    deps.aws.calls().reset();
    let third = run_sweep(
        &scheduled("sched-2"),
        "req-3",
        &deps,
        &ample,
        EVALUATION_TIME,
    )
    .await;
    // THEN it starts over, evaluates everything, and writes nothing to the account; the
    // recorded exemptions (which decide whether a function's aliases and versions are looked
    // at) are read in one BatchGetItem, and per function the table is read once (the
    // evaluation's own Query of what is recorded) and written once (the state); nothing had
    // to be written to a function, so none was read again for its tags
    let ops = deps.aws.calls().by_operation();
    assert_eq!(
        (ops.get("GetResources"), ops.get("ListTags")),
        (Some(&1), None),
        "{ops:?}"
    );
    assert_eq!(
        (third.functions, third.resumed_at.clone()),
        (FUNCTIONS, None)
    );
    assert_eq!(
        deps.aws.calls().writes(),
        0,
        "{:?}",
        deps.aws.calls().by_operation()
    );
    assert_eq!(third.actions_done, 0);
    assert_eq!(
        (
            ops.get("dynamodb:BatchGetItem"),
            ops.get("dynamodb:Query"),
            ops.get("dynamodb:PutItem")
        ),
        (Some(&1), Some(&FUNCTIONS), Some(&FUNCTIONS)),
        "{ops:?}"
    );
    assert_eq!(deps.aws.calls().store_calls(), 2 * FUNCTIONS + 1, "{ops:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_stops_at_the_continuation_limit() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    seed(&sdk).await;
    let deps = deps(&sdk, 0);
    let clock = Clock {
        asked: AtomicUsize::new(0),
        calls: 3,
    };
    let budget = Deadline {
        deadline_ms: 1_000_000,
        margin_ms: 0,
        now_ms: || clock.now(),
    };
    let summary = run_sweep(
        &scheduled("sched-9"),
        "req-9",
        &deps,
        &budget,
        EVALUATION_TIME,
    )
    .await;
    assert!(summary.stopped_at.is_some());
    assert_eq!(summary.next, None);
    assert!(
        summary
            .not_continued
            .as_deref()
            .is_some_and(|r| r.contains("WARDEN_SWEEP_MAX_CONTINUATIONS")),
        "{summary:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_leaves_out_its_own_functions_by_full_arn_only() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let lambda = seed(&sdk).await;
    let mut deps = deps(&sdk, 20);
    // GIVEN lambda-warden's own function sweep-00 (this account and Region), and a function of
    // the name sweep-05 that is lambda-warden's in another account (attack 6: a bare name
    // matched in any account)
    let own = warden_rules::ids::FunctionArn::parse(&format!(
        "arn:aws:lambda:us-east-1:123456789012:function:{}",
        name(0)
    ))
    .expect("arn");
    let elsewhere = warden_rules::ids::FunctionArn::parse(&format!(
        "arn:aws:lambda:us-east-1:444455556666:function:{}",
        name(5)
    ))
    .expect("arn");
    deps.config.self_identity.function_arns = [own, elsewhere].into();
    let ample = Deadline {
        deadline_ms: u64::MAX,
        margin_ms: 30_000,
        now_ms: || 0,
    };
    // WHEN it sweeps
    let summary = run_sweep(
        &scheduled("sched-own"),
        "req-own",
        &deps,
        &ample,
        EVALUATION_TIME,
    )
    .await;
    // THEN its own function is left out, and the other account's name is evaluated here
    assert_eq!(status(&lambda, 0).await, None, "own function evaluated");
    assert!(!recorded(&sdk, 0).await, "own function recorded");
    assert_eq!(status(&lambda, 5).await.as_deref(), Some("non-compliant"));
    assert!(recorded(&sdk, 5).await);
    let public = summary.open_by_rule.get("LW001").copied().unwrap_or(0);
    assert_eq!(public, FUNCTIONS / 5 - 1, "{summary:?}");
}

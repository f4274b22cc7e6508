//! End-to-end tests of the `iam-events` handler: an `aws.iam` sample event into
//! `iam_events::handle`, against moto started with AWS managed policies
//! (`MOTO_IAM_LOAD_MANAGED_POLICIES=true`), then which functions were evaluated in which
//! Region, the requests sent, and what the account and the alert topic show.
//!
//! The seeded demo account (us-east-1) is there for its alert topic and queue; each test adds
//! the role and functions it is about, one of them in a second Region.

use serde_json::Value;
use warden_aws::calls::OTHER_OPERATION;
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::rules::RuleId;
use warden_tests::seed::*;
use warden_tests::{load_event, retarget, seed_demo_account, DemoAccount, Moto};

use iam_events::{handle, Deps};

/// 2026-05-28T00:00:00Z, in seconds since the Unix epoch: the handler's "now".
const NOW: i64 = 1_779_926_400;
/// The second Region the functions live in.
const EU: &str = "eu-west-1";
/// The role the tests change.
const ROLE: &str = "reports-role";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// The rule that flags AdministratorAccess on a function's execution role. It is checked only
/// once the rule catalogue has it: the IAM function already finds and evaluates the affected
/// functions, whichever rules exist.
fn lw019() -> Option<RuleId> {
    RuleId::parse("LW019")
}

struct World {
    // Kept alive for the test's duration; dropping it stops moto.
    _moto: Moto,
    demo: DemoAccount,
    deps: Deps,
    iam: aws_sdk_iam::Client,
    lambda_eu: aws_sdk_lambda::Client,
    /// `reports-api` (us-east-1) and `reports-api-eu` (eu-west-1), both with role `reports-role`.
    arns: [String; 2],
}

async fn world() -> World {
    let moto = Moto::start_with_managed_policies();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk)
        .await
        .expect("seed the demo account");
    let iam = aws_sdk_iam::Client::new(&sdk);
    let lambda_eu = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(&sdk)
            .region(aws_config::Region::new(EU))
            .build(),
    );
    let role_arn = iam
        .create_role()
        .role_name(ROLE)
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("CreateRole")
        .role()
        .expect("role")
        .arn()
        .to_owned();
    let mut arns = Vec::new();
    for (lambda, name) in [
        (demo.lambda(), "reports-api"),
        (&lambda_eu, "reports-api-eu"),
    ] {
        let out = lambda
            .create_function()
            .function_name(name)
            .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
            .handler("bootstrap")
            .role(&role_arn)
            .code(
                aws_sdk_lambda::types::FunctionCode::builder()
                    .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP.to_vec()))
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateFunction {name}: {e:?}"));
        arns.push(out.function_arn().expect("FunctionArn").to_owned());
    }
    let settings = [
        ("WARDEN_MODE", "tag".to_owned()),
        ("WARDEN_ALERT_TOPIC_ARN", demo.topic_arn.clone()),
        ("WARDEN_SELF_ROLE_ARNS", demo.warden_role_arn.clone()),
        (
            "WARDEN_SELF_FUNCTION_ARNS",
            demo.function_arn(WARDEN_FUNCTION),
        ),
        ("WARDEN_REGIONS", format!("us-east-1,{EU}")),
        ("WARDEN_STATE_TABLE", demo.state_table.clone()),
        ("WARDEN_EXEMPTION_APPROVERS", APPROVER_ROLE_ARN.to_owned()),
    ];
    let config = Config::from_lookup(|k| {
        settings
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("valid settings");
    // The state table (in us-east-1) serves the evaluations of both Regions.
    let deps = Deps {
        aws: Aws::configured(&sdk, &config),
        config,
    };
    World {
        _moto: moto,
        demo,
        deps,
        iam,
        lambda_eu,
        arns: [arns[0].clone(), arns[1].clone()],
    }
}

async fn deliver(w: &World, event: Value) -> Value {
    let decision = handle(event, &w.deps, NOW)
        .await
        .unwrap_or_else(|e| panic!("handler failed: {e}"));
    serde_json::to_value(&decision).expect("decision serialises")
}

fn event(name: &str) -> Value {
    load_event(name).unwrap_or_else(|e| panic!("{e}"))
}

/// The sample `AttachRolePolicy` of AdministratorAccess, about `role`.
fn attach_admin(role: &str) -> Value {
    retarget(
        &event("iam-attach-role-policy-admin-demo-function-role.json"),
        DEMO_ROLE,
        role,
    )
}

/// `(function_arn, outcome)` of each function in the decision.
fn evaluated(decision: &Value) -> Vec<(String, String)> {
    decision["functions"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    (
                        f["function_arn"].as_str().unwrap_or("").to_owned(),
                        f["outcome"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the state table holds about `function_arn`, read with a client of its own.
async fn stored(w: &World, function_arn: &str) -> warden_aws::store::Stored {
    warden_aws::store::StateStore::new(
        &w._moto.sdk_config(),
        std::sync::Arc::default(),
        &w.demo.state_table,
        None,
    )
    .load(function_arn)
    .await
    .expect("read the state table")
}

fn calls(w: &World, operation: &str) -> usize {
    w.deps
        .aws
        .calls()
        .by_operation()
        .get(operation)
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn admin_access_on_a_role_evaluates_its_functions_in_every_region() {
    // GIVEN reports-role, used by one function in us-east-1 and one in eu-west-1, now with
    // AdministratorAccess attached (moto has the AWS managed policy)
    let w = world().await;
    w.iam
        .attach_role_policy()
        .role_name(ROLE)
        .policy_arn(ADMIN)
        .send()
        .await
        .expect("AttachRolePolicy");

    // WHEN the AttachRolePolicy event (delivered in us-east-1) arrives
    let decision = deliver(&w, attach_admin(ROLE)).await;

    // THEN both functions, and only they, were evaluated, each in its own Region
    assert_eq!(decision["outcome"], "evaluated", "{decision}");
    assert_eq!(decision["roles"], serde_json::json!([ROLE]), "{decision}");
    assert_eq!(
        decision["regions"],
        serde_json::json!(["us-east-1", EU]),
        "{decision}"
    );
    assert_eq!(decision["change"]["kind"], "role", "{decision}");
    let functions = evaluated(&decision);
    let arns: Vec<&str> = functions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(arns, [w.arns[0].as_str(), w.arns[1].as_str()], "{decision}");
    assert!(w.arns[1].starts_with(&format!("arn:aws:lambda:{EU}:")));
    for (arn, outcome) in &functions {
        assert!(
            outcome == "compliant" || outcome == "non_compliant",
            "{arn}: {outcome}"
        );
    }
    // One listing per Region, one evaluation (GetFunctionConfiguration) per function, no policy lookup.
    assert_eq!(calls(&w, "ListFunctions"), 2);
    assert_eq!(calls(&w, "GetFunctionConfiguration"), 2);
    assert_eq!(calls(&w, "iam:ListEntitiesForPolicy"), 0);
    assert_eq!(
        calls(&w, OTHER_OPERATION),
        0,
        "every request is a known operation"
    );

    // Each function's status tags were written in its own Region.
    let tags_us = warden_tests::tags(w.demo.lambda(), &w.arns[0])
        .await
        .expect("tags");
    let tags_eu = warden_tests::tags(&w.lambda_eu, &w.arns[1])
        .await
        .expect("tags");
    for tags in [&tags_us, &tags_eu] {
        assert!(tags.contains_key(TAG_STATUS), "{tags:?}");
    }
    // Each function's state is recorded in the one table, under its own Region's ARN, and
    // the display tag shows the recorded fingerprint.
    for (arn, tags) in w.arns.iter().zip([&tags_us, &tags_eu]) {
        let state = stored(&w, arn).await.state.expect("state recorded");
        assert_eq!(&state.resource_arn, arn);
        assert_eq!(
            tags.get("lambda-warden:fingerprint"),
            Some(&state.fingerprint),
            "{arn}"
        );
    }

    // Once the catalogue has LW019 (AdministratorAccess on the execution role): a finding on
    // each function, tagged and alerted.
    if let Some(rule) = lw019() {
        let alerts = w.demo.read_alerts().await.expect("alerts");
        for (i, f) in decision["functions"]
            .as_array()
            .expect("functions")
            .iter()
            .enumerate()
        {
            assert_eq!(f["outcome"], "non_compliant", "{f}");
            assert!(
                f["findings"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|id| id == rule.as_str())),
                "{f}"
            );
            let tags = if i == 0 { &tags_us } else { &tags_eu };
            assert_eq!(
                tags.get(TAG_STATUS).map(String::as_str),
                Some("non-compliant")
            );
            let found = tags.get(TAG_FINDINGS).cloned().unwrap_or_default();
            assert!(found.split(' ').any(|id| id == rule.as_str()), "{found:?}");
            assert!(
                alerts
                    .iter()
                    .any(|(_, m)| m.contains(&w.arns[i]) && m.contains(rule.as_str())),
                "no alert names {} and {rule:?}: {alerts:?}",
                w.arns[i]
            );
        }
    }
}

#[tokio::test]
async fn a_new_policy_version_evaluates_the_functions_of_every_role_it_is_attached_to() {
    // GIVEN a customer managed policy attached to reports-role and to the demo functions' role
    let w = world().await;
    let policy_arn = w
        .iam
        .create_policy()
        .policy_name("demo-function-access")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
        .send()
        .await
        .expect("CreatePolicy")
        .policy()
        .and_then(|p| p.arn())
        .expect("policy ARN")
        .to_owned();
    for role in [ROLE, DEMO_ROLE] {
        w.iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(&policy_arn)
            .send()
            .await
            .expect("AttachRolePolicy");
    }

    // WHEN a CreatePolicyVersion event about that policy arrives
    let decision = deliver(
        &w,
        event("iam-create-policy-version-demo-function-access.json"),
    )
    .await;

    // THEN the roles come from ListEntitiesForPolicy and every function of both roles, in both
    // Regions, is evaluated once; the exempt demo function stays exempt
    assert_eq!(decision["outcome"], "evaluated", "{decision}");
    let mut roles: Vec<&str> = decision["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    roles.sort();
    assert_eq!(roles, [DEMO_ROLE, ROLE]);
    let functions = evaluated(&decision);
    assert_eq!(functions.len(), DEMO_FUNCTIONS.len() + 2, "{decision}");
    for name in DEMO_FUNCTIONS {
        assert!(
            functions
                .iter()
                .any(|(a, _)| a == &w.demo.function_arn(name)),
            "{name} not evaluated: {decision}"
        );
    }
    let legacy = functions
        .iter()
        .find(|(a, _)| a == &w.demo.function_arn(LEGACY_BATCH))
        .expect("legacy-batch");
    assert_eq!(legacy.1, "exempt", "its exemption is recorded in the table");
    // Every other function's state is recorded; the exempt one's is not.
    for (arn, _) in &functions {
        let state = stored(&w, arn).await.state;
        assert_eq!(
            state.is_some(),
            arn != &w.demo.function_arn(LEGACY_BATCH),
            "{arn}: {state:?}"
        );
    }
    let orders = decision["functions"]
        .as_array()
        .and_then(|fs| {
            fs.iter()
                .find(|f| f["function_arn"] == w.demo.function_arn(ORDERS_API))
        })
        .expect("orders-api");
    assert!(
        orders["findings"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| id == "LW001")),
        "{orders}"
    );
    assert_eq!(calls(&w, "iam:ListEntitiesForPolicy"), 1);
    assert_eq!(
        calls(&w, OTHER_OPERATION),
        0,
        "every request is a known operation"
    );
    assert_eq!(
        calls(&w, "ListFunctions"),
        2,
        "each Region listed once for both roles"
    );
    assert_eq!(
        calls(&w, "GetFunctionConfiguration"),
        DEMO_FUNCTIONS.len() + 2
    );
}

#[tokio::test]
async fn lambda_warden_s_own_function_is_left_alone() {
    let w = world().await;
    let decision = deliver(&w, attach_admin(WARDEN_ROLE)).await;
    assert_eq!(
        evaluated(&decision),
        [(w.demo.function_arn(WARDEN_FUNCTION), "skipped".to_owned())],
        "{decision}"
    );
    assert_eq!(calls(&w, "GetFunctionConfiguration"), 0);
    assert_eq!(w.deps.aws.calls().writes(), 0);
    assert_eq!(w.deps.aws.calls().store_calls(), 0);
}

#[tokio::test]
async fn events_that_change_nothing_are_skipped_without_a_call() {
    let w = world().await;
    for (e, reason) in [
        (
            event("iam-attach-role-policy-failed-access-denied.json"),
            "failed_call",
        ),
        (
            event("add-permission-public-orders-api.json"),
            "unsupported_event",
        ),
    ] {
        let decision = deliver(&w, e).await;
        assert_eq!(decision["outcome"], "skipped", "{decision}");
        let skip = decision["skip_reason"].as_str().unwrap_or("");
        assert!(skip.starts_with(reason), "{skip}");
    }
    let decision = deliver(&w, serde_json::json!({"detail-type": "Scheduled Event"})).await;
    assert_eq!(decision["outcome"], "ignored_bad_input", "{decision}");
    assert_eq!(w.deps.aws.calls().reads() + w.deps.aws.calls().writes(), 0);
    assert_eq!(w.deps.aws.calls().store_calls(), 0);
}

#[tokio::test]
async fn a_role_no_function_uses_ends_with_no_functions() {
    let w = world().await;
    let decision = deliver(&w, attach_admin("unused-role")).await;
    assert_eq!(decision["outcome"], "no_functions", "{decision}");
    assert_eq!(evaluated(&decision), []);
    assert_eq!(calls(&w, "ListFunctions"), 2);
    assert_eq!(calls(&w, "GetFunctionConfiguration"), 0);
}

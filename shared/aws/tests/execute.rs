//! `Aws::execute` and `Aws::publish_alert` against moto.
//!
//! moto is started through the workspace's `tests/moto/launch.py`, which corrects moto's `RemovePermission`
//! `RevisionId` comparison; without it every removal that carries a `RevisionId` fails.

mod common;

use std::collections::BTreeMap;

use aws_sdk_lambda::types::FunctionUrlAuthType as SdkAuthType;
use common::{sids_of, statements_of, Moto, Setup};
use warden_aws::Aws;
use warden_rules::findings::{PermissionGrant, StatementRecord};
use warden_rules::ids::{AccountId, FunctionArn};
use warden_rules::outcome::{ActionStatus, FailureKind, Outcome};
use warden_rules::plan::Action;
use warden_rules::report::Alert;
use warden_rules::snapshot::{FunctionUrlAuthType, PolicyDocument};

fn statuses(outcome: &Outcome) -> Vec<ActionStatus> {
    outcome.results.iter().map(|r| r.status.clone()).collect()
}

fn failed(kind: FailureKind, code: &str, operation: &str) -> ActionStatus {
    ActionStatus::Failed {
        kind,
        code: code.to_owned(),
        operation: operation.to_owned(),
    }
}

fn grant(sid: &str, principal: &str) -> PermissionGrant {
    PermissionGrant {
        statement_id: sid.to_owned(),
        action: "lambda:InvokeFunction".to_owned(),
        principal: principal.to_owned(),
        source_arn: None,
        source_account: None,
        principal_org_id: None,
        event_source_token: None,
        function_url_auth_type: None,
        invoked_via_function_url: None,
        qualifier: None,
    }
}

fn remove(function: &FunctionArn, sid: &str, revision_id: Option<&str>) -> Action {
    remove_recorded(
        function,
        sid,
        revision_id,
        serde_json::json!({ "Sid": sid }),
    )
}

/// A removal recording `statement` as the statement the plan saw.
fn remove_recorded(
    function: &FunctionArn,
    sid: &str,
    revision_id: Option<&str>,
    statement: serde_json::Value,
) -> Action {
    Action::RemovePermission {
        function: function.clone(),
        sid: sid.to_owned(),
        revision_id: revision_id.map(str::to_owned),
        removed: StatementRecord {
            sid: sid.to_owned(),
            statement,
        },
        fixes: Vec::new(),
    }
}

/// The statement with `sid` in policy document `doc`.
fn statement_in(doc: &str, sid: &str) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_str(doc).expect("policy JSON");
    doc["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["Sid"] == sid)
        .cloned()
        .expect("statement present")
}

fn add(function: &FunctionArn, grant: PermissionGrant) -> Action {
    Action::AddPermission {
        function: function.clone(),
        grant,
        fixes: Vec::new(),
    }
}

fn tag(function: &FunctionArn, key: &str, value: &str) -> Action {
    Action::TagResource {
        resource: function.unqualified(),
        tags: BTreeMap::from([(key.to_owned(), value.to_owned())]),
    }
}

async fn policy(setup: &Setup, name: &str) -> PolicyDocument {
    let out = setup
        .lambda
        .get_policy()
        .function_name(name)
        .send()
        .await
        .expect("GetPolicy");
    PolicyDocument {
        json: out.policy().expect("Policy").to_owned(),
        revision_id: out.revision_id().map(str::to_owned),
    }
}

async fn tags(setup: &Setup, arn: &FunctionArn) -> BTreeMap<String, String> {
    setup
        .lambda
        .list_tags()
        .resource(arn.to_string())
        .send()
        .await
        .expect("ListTags")
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_statement_is_replaced_under_its_sid_with_revision_ids() {
    // GIVEN a function whose policy has a public statement and one to keep
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("replace-me", &[]).await;
    setup
        .add_permission("replace-me", "keep", "sns.amazonaws.com", None)
        .await;
    setup
        .add_permission("replace-me", "public", "*", None)
        .await;
    let before = policy(&setup, "replace-me").await;

    // WHEN the plan removes it with the RevisionId read, adds it back pinned to an
    // organization, and tags the function
    let tightened = PermissionGrant {
        principal_org_id: Some("o-a1b2c3d4e5".to_owned()),
        ..grant("public", "*")
    };
    let plan = [
        remove(&arn, "public", before.revision_id.as_deref()),
        add(&arn, tightened),
        tag(&arn, "lambda-warden:status", "remediated"),
    ];
    let aws = Aws::new(&moto.sdk_config());
    let outcome = aws.execute(&plan).await;

    // THEN every action is done, in order
    assert_eq!(outcome.results.len(), 3);
    assert!(outcome.all_done(), "{outcome:#?}");
    assert_eq!(
        outcome
            .results
            .iter()
            .map(|r| r.action.clone())
            .collect::<Vec<_>>(),
        plan
    );
    // AND the statement is back under its Sid, now with the organization condition
    let after = policy(&setup, "replace-me").await;
    assert_eq!(sids_of(&after.json), ["keep", "public"]);
    let replaced = statements_of(&after.json)[1].to_string();
    assert!(replaced.contains("o-a1b2c3d4e5"), "{replaced}");
    assert_eq!(
        tags(&setup, &arn)
            .await
            .get("lambda-warden:status")
            .map(String::as_str),
        Some("remediated")
    );
    // AND the AddPermission after the removal read the current RevisionId first
    assert_eq!(
        aws.calls().by_operation(),
        BTreeMap::from([
            ("AddPermission", 1),
            ("GetPolicy", 1),
            ("RemovePermission", 1),
            ("TagResource", 1),
        ])
    );
    assert_eq!((aws.calls().reads(), aws.calls().writes()), (1, 3));
}

#[tokio::test]
async fn later_edits_of_the_same_policy_read_the_current_revision_id() {
    // GIVEN a function with two statements
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("two-edits", &[]).await;
    setup.add_permission("two-edits", "first", "*", None).await;
    setup
        .add_permission("two-edits", "second", "sns.amazonaws.com", None)
        .await;
    let before = policy(&setup, "two-edits").await;

    // WHEN a plan removes both (the second removal carries no RevisionId) and adds two
    // statements (the first addition follows an edit, so it reads the RevisionId too)
    let pinned = PermissionGrant {
        source_account: Some(AccountId::parse(common::ACCOUNT).expect("account")),
        source_arn: Some("arn:aws:sns:us-east-1:123456789012:alerts".to_owned()),
        ..grant("second", "sns.amazonaws.com")
    };
    let plan = [
        remove(&arn, "first", before.revision_id.as_deref()),
        remove_recorded(&arn, "second", None, statement_in(&before.json, "second")),
        add(&arn, pinned),
        add(&arn, grant("third", "s3.amazonaws.com")),
    ];
    let aws = Aws::new(&moto.sdk_config());
    let outcome = aws.execute(&plan).await;

    // THEN all are done, with one GetPolicy before each edit after the first
    assert!(outcome.all_done(), "{outcome:#?}");
    assert_eq!(
        sids_of(&policy(&setup, "two-edits").await.json),
        ["second", "third"]
    );
    assert_eq!(
        aws.calls().by_operation(),
        BTreeMap::from([
            ("AddPermission", 2),
            ("GetPolicy", 3),
            ("RemovePermission", 2)
        ])
    );
}

#[tokio::test]
async fn a_later_edit_checks_the_statement_it_removes() {
    // GIVEN a plan whose second removal recorded a statement that is no longer in the policy
    // in that form (the first removal carries the current RevisionId, so it succeeds)
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("checked", &[]).await;
    setup.add_permission("checked", "pub-a", "*", None).await;
    setup
        .add_permission("checked", "pub-b", common::ACCOUNT, None)
        .await;
    let current = policy(&setup, "checked").await;
    let stale_b = serde_json::json!({"Sid": "pub-b", "Effect": "Allow", "Principal": "*",
        "Action": "lambda:InvokeFunction", "Resource": arn.to_string()});
    let plan = [
        remove_recorded(
            &arn,
            "pub-a",
            current.revision_id.as_deref(),
            statement_in(&current.json, "pub-a"),
        ),
        remove_recorded(&arn, "pub-b", None, stale_b),
        tag(&arn, "lambda-warden:status", "compliant"),
    ];

    // WHEN it runs
    let aws = Aws::new(&moto.sdk_config());
    let outcome = aws.execute(&plan).await;

    // THEN the first removal is done, the second is refused as a conflict (StatementChanged)
    // without a RemovePermission, and the tag is not written
    assert_eq!(
        statuses(&outcome),
        [
            ActionStatus::Done,
            failed(FailureKind::Conflict, "StatementChanged", "GetPolicy"),
            ActionStatus::NotAttempted
        ]
    );
    assert_eq!(sids_of(&policy(&setup, "checked").await.json), ["pub-b"]);
    assert_eq!(aws.calls().by_operation().get("RemovePermission"), Some(&1));
}

#[tokio::test]
async fn a_stale_revision_id_is_a_conflict_and_nothing_after_it_runs() {
    // GIVEN a policy read at one revision, then changed by someone else
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("contended", &[]).await;
    setup.add_permission("contended", "public", "*", None).await;
    let read = policy(&setup, "contended").await;
    setup
        .add_permission("contended", "added-meanwhile", "sns.amazonaws.com", None)
        .await;
    assert_ne!(
        policy(&setup, "contended").await.revision_id,
        read.revision_id
    );

    // WHEN the plan removes the statement with the stale RevisionId
    let plan = [
        remove(&arn, "public", read.revision_id.as_deref()),
        add(&arn, grant("public", "111122223333")),
        tag(&arn, "lambda-warden:status", "remediated"),
    ];
    let aws = Aws::new(&moto.sdk_config());
    let outcome = aws.execute(&plan).await;

    // THEN AWS refuses it as a conflict, and the rest is not attempted
    assert_eq!(
        statuses(&outcome),
        [
            failed(
                FailureKind::Conflict,
                "PreconditionFailedException",
                "RemovePermission"
            ),
            ActionStatus::NotAttempted,
            ActionStatus::NotAttempted,
        ]
    );
    assert_eq!(
        sids_of(&policy(&setup, "contended").await.json),
        ["public", "added-meanwhile"]
    );
    assert!(tags(&setup, &arn).await.is_empty());
    assert_eq!((aws.calls().reads(), aws.calls().writes()), (0, 1));
}

#[tokio::test]
async fn a_failure_midway_stops_the_plan_and_says_what_happened() {
    // GIVEN a function with a public URL and no policy
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("midway", &[]).await;
    setup
        .lambda
        .create_function_url_config()
        .function_name("midway")
        .auth_type(SdkAuthType::None)
        .send()
        .await
        .expect("CreateFunctionUrlConfig");

    // WHEN the second action removes a statement that does not exist (as the first policy
    // edit, with a RevisionId, so the request is sent as planned)
    let plan = [
        tag(&arn, "lambda-warden:status", "noncompliant"),
        remove(&arn, "does-not-exist", Some("any-revision")),
        Action::RequireIamAuth {
            function: arn.clone(),
            fixes: Vec::new(),
            previous_auth_type: Some("NONE".to_owned()),
        },
    ];
    let aws = Aws::new(&moto.sdk_config());
    let outcome = aws.execute(&plan).await;

    // THEN the first is done, the second failed (its RevisionId matches no policy), the third
    // not attempted
    assert_eq!(
        statuses(&outcome),
        [
            ActionStatus::Done,
            failed(
                FailureKind::Conflict,
                "PreconditionFailedException",
                "RemovePermission"
            ),
            ActionStatus::NotAttempted,
        ]
    );
    assert_eq!(
        outcome
            .first_failure()
            .map(|(action, _)| action.operation()),
        Some("RemovePermission")
    );
    // AND the world matches the outcome: tagged, URL still public
    assert_eq!(
        tags(&setup, &arn)
            .await
            .get("lambda-warden:status")
            .map(String::as_str),
        Some("noncompliant")
    );
    let url = setup
        .lambda
        .get_function_url_config()
        .function_name("midway")
        .send()
        .await
        .expect("GetFunctionUrlConfig");
    assert_eq!(url.auth_type(), &SdkAuthType::None);
    // AND exactly the attempted writes were sent
    assert_eq!(
        aws.calls().by_operation(),
        BTreeMap::from([("RemovePermission", 1), ("TagResource", 1)])
    );
}

#[tokio::test]
async fn a_public_url_is_switched_to_iam_auth() {
    let moto = Moto::start();
    let setup = moto.setup();
    let arn = setup.create_function("url-switch", &[]).await;
    setup
        .lambda
        .create_function_url_config()
        .function_name("url-switch")
        .auth_type(SdkAuthType::None)
        .send()
        .await
        .expect("CreateFunctionUrlConfig");
    let aws = Aws::new(&moto.sdk_config());

    let outcome = aws
        .execute(&[Action::RequireIamAuth {
            function: arn.clone(),
            fixes: Vec::new(),
            previous_auth_type: Some("NONE".to_owned()),
        }])
        .await;

    assert_eq!(statuses(&outcome), [ActionStatus::Done]);
    let snapshot = match aws.fetch_snapshot(&arn).await.expect("fetch_snapshot") {
        warden_aws::Fetched::Found(s) => s,
        warden_aws::Fetched::Gone => panic!("function gone"),
    };
    let url = snapshot.url.value().and_then(Option::as_ref).expect("URL");
    assert_eq!(url.auth_type, FunctionUrlAuthType::AwsIam);
    // Seven Lambda reads, then GetRole, ListAttachedRolePolicies and ListRolePolicies for a
    // role with no policies.
    assert_eq!((aws.calls().reads(), aws.calls().writes()), (10, 1));
}

#[tokio::test]
async fn an_empty_plan_sends_nothing() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.sdk_config());

    let outcome = aws.execute(&[]).await;

    assert!(outcome.results.is_empty());
    assert!(aws.calls().by_operation().is_empty());
}

#[tokio::test]
async fn an_alert_is_published_to_its_topic() {
    let moto = Moto::start();
    let setup = moto.setup();
    let topic_arn = setup
        .sns
        .create_topic()
        .name("warden-alerts")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("TopicArn")
        .to_owned();
    let alert = Alert {
        subject: "lambda-warden: CRITICAL finding on orders-api".to_owned(),
        message: r#"{"findings":[]}"#.to_owned(),
    };
    let aws = Aws::new(&moto.sdk_config());

    aws.publish_alert(&topic_arn, &alert)
        .await
        .expect("Publish");
    let missing = topic_arn.replace("warden-alerts", "no-such-topic");
    let err = aws
        .publish_alert(&missing, &alert)
        .await
        .expect_err("no such topic");

    assert_eq!(err.operation, "Publish");
    assert_eq!(err.resource_arn, missing);
    assert_eq!(err.kind, FailureKind::NotFound, "{err}");
    assert_eq!(aws.calls().by_operation(), BTreeMap::from([("Publish", 2)]));
    assert_eq!(aws.calls().writes(), 2);
}

//! Event intake: every sample event in `events/` and every reference record in
//! `tests/fixtures/events/reference/` parses to the expected trigger; every bad fixture fails
//! with the expected error and path; the three delivery shapes agree; the gate decides as
//! expected; and no input makes the parser panic.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{json, Value};
use warden_rules::config::{Config, SelfIdentity};
use warden_rules::event_name::EventName;
use warden_rules::gate::{self, Gate, SkipReason};
use warden_rules::ids::{FunctionArn, FunctionRef, Qualifier};
use warden_rules::trigger::{self, EnvelopeShape, EventError, Trigger, DETAIL_STRING_LIMIT};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace's sample events (`events/` at the workspace root).
fn events_dir() -> PathBuf {
    crate_dir().join("../../events")
}

fn fixtures_dir(kind: &str) -> PathBuf {
    crate_dir().join("tests/fixtures/events").join(kind)
}

fn load(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_files(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect()
}

/// Fails when a file in `dir` has no row, or a row names a file that is not there.
fn assert_table_covers(dir: &Path, listed: impl Iterator<Item = &'static str>) {
    let on_disk = json_files(dir);
    let listed: BTreeSet<String> = listed.map(str::to_owned).collect();
    let unlisted: Vec<_> = on_disk.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&on_disk).collect();
    assert!(
        unlisted.is_empty(),
        "{}: files without an expected row: {unlisted:?}",
        dir.display()
    );
    assert!(
        missing.is_empty(),
        "{}: rows without a file: {missing:?}",
        dir.display()
    );
}

/// One expected parse: the fields that matter downstream.
struct Row {
    file: &'static str,
    event_name: &'static str,
    function: Option<&'static str>,
    qualifier: Option<&'static str>,
    account: &'static str,
    region: &'static str,
    error_code: Option<&'static str>,
    role: Option<&'static str>,
}

#[allow(clippy::too_many_arguments)]
const fn row(
    file: &'static str,
    event_name: &'static str,
    function: Option<&'static str>,
    qualifier: Option<&'static str>,
    account: &'static str,
    region: &'static str,
    error_code: Option<&'static str>,
    role: Option<&'static str>,
) -> Row {
    Row {
        file,
        event_name,
        function,
        qualifier,
        account,
        region,
        error_code,
        role,
    }
}

const DEMO: &str = "123456789012";
const REF: &str = "111122223333";
const USE1: &str = "us-east-1";
const SSO_ROLE: &str = "AWSReservedSSO_DeveloperAccess_0123456789abcdef";

#[rustfmt::skip]
const EVENTS: &[Row] = &[
    row("add-permission-public-orders-api.json", "AddPermission20150331v2", Some("orders-api"), None, DEMO, USE1, None, None),
    row("add-permission-public-payments-api.json", "AddPermission20150331v2", Some("payments-api"), None, DEMO, USE1, None, Some("ci-deploy-role")),
    row("add-permission-s3-unpinned-image-resizer.json", "AddPermission20150331v2", Some("image-resizer"), None, DEMO, USE1, None, None),
    row("add-permission-sns-unpinned-notifier.json", "AddPermission20150331v2", Some("notifier"), None, DEMO, USE1, None, None),
    row("create-function-url-none-public-webhook.json", "CreateFunctionUrlConfig", Some("public-webhook"), None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("add-permission-url-public-public-webhook.json", "AddPermission20150331v2", Some("public-webhook"), None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("add-permission-failed-access-denied.json", "AddPermission20150331v2", None, None, DEMO, USE1, Some("AccessDenied"), Some("developer-role")),
    row("remove-permission-by-lambda-warden.json", "RemovePermission20150331v2", Some("orders-api"), None, DEMO, USE1, None, Some("lambda-warden-events-role")),
    row("tag-resource-opt-in-orders-api.json", "TagResource20170331v2", Some("orders-api"), None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("tag-resource-self-exempt-notifier.json", "TagResource20170331v2", Some("notifier"), None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("tag-resource-forged-display-tags-orders-api.json", "TagResource20170331v2", Some("orders-api"), None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("create-function-orders-api.json", "CreateFunction20150331", Some("orders-api"), None, DEMO, USE1, None, Some("ci-deploy-role")),
    row("update-function-configuration-orders-api.json", "UpdateFunctionConfiguration20150331v2", Some("orders-api"), None, DEMO, USE1, None, Some("ci-deploy-role")),
    row("create-alias-live-orders-api.json", "CreateAlias20150331", Some("orders-api"), Some("live"), DEMO, USE1, None, None),
    row("put-function-event-invoke-config-orders-api.json", "PutFunctionEventInvokeConfig", Some("orders-api"), None, DEMO, USE1, None, None),
    row("delete-function-event-invoke-config-orders-api.json", "DeleteFunctionEventInvokeConfig", Some("orders-api"), None, DEMO, USE1, None, None),
    row("put-function-code-signing-config-orders-api.json", "PutFunctionCodeSigningConfig", Some("orders-api"), None, DEMO, USE1, None, None),
    row("add-layer-version-permission-public-shared-deps.json", "AddLayerVersionPermission20181031", None, None, DEMO, USE1, None, None),
    // IAM events (handled by `iam_trigger`, see tests/iam_trigger_events.rs) name no function.
    row("iam-attach-role-policy-admin-demo-function-role.json", "AttachRolePolicy", None, None, DEMO, USE1, None, None),
    row("iam-detach-role-policy-demo-function-role.json", "DetachRolePolicy", None, None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("iam-put-role-policy-wildcard-demo-function-role.json", "PutRolePolicy", None, None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("iam-delete-role-policy-demo-function-role.json", "DeleteRolePolicy", None, None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("iam-update-assume-role-policy-demo-function-role.json", "UpdateAssumeRolePolicy", None, None, DEMO, USE1, None, Some("ci-deploy-role")),
    row("iam-create-policy-version-demo-function-access.json", "CreatePolicyVersion", None, None, DEMO, USE1, None, Some("ci-deploy-role")),
    row("iam-set-default-policy-version-demo-function-access.json", "SetDefaultPolicyVersion", None, None, DEMO, USE1, None, Some(SSO_ROLE)),
    row("iam-attach-role-policy-failed-access-denied.json", "AttachRolePolicy", None, None, DEMO, USE1, Some("AccessDenied"), Some(SSO_ROLE)),
];

#[rustfmt::skip]
const REFERENCE: &[Row] = &[
    row("iam-AttachRolePolicy-execution-role-AdministratorAccess.json", "AttachRolePolicy", None, None, REF, USE1, None, None),
    row("lambda-AddLayerVersionPermission20181031-principal-star-no-org.json", "AddLayerVersionPermission20181031", None, None, REF, USE1, None, Some("ci-deploy-role")),
    row("lambda-AddPermission20150331v2-errorCode-AccessDenied.json", "AddPermission20150331v2", None, None, REF, USE1, Some("AccessDenied"), Some("developer-role")),
    row("lambda-AddPermission20150331v2-functionUrlAuthType-NONE-console.json", "AddPermission20150331v2", Some("public-webhook"), None, REF, "eu-central-1", None, Some(SSO_ROLE)),
    row("lambda-AddPermission20150331v2-principal-star-public.json", "AddPermission20150331v2", Some("orders-api"), None, REF, USE1, None, None),
    row("lambda-AddPermission20150331v2-s3-sourceArn-sourceAccount.json", "AddPermission20150331v2", Some("image-resizer"), None, REF, USE1, None, None),
    row("lambda-AddPermission20150331v2-service-principal-sns-no-sourceArn.json", "AddPermission20150331v2", Some("notifier"), None, REF, USE1, None, None),
    row("lambda-CreateFunction20150331-basic-cli-no-env.json", "CreateFunction20150331", Some("example-function"), None, REF, USE1, None, None),
    row("lambda-CreateFunction20150331-vpc-kms-tracing-env-terraform.json", "CreateFunction20150331", Some("orders-api"), None, REF, USE1, None, Some("ci-deploy-role")),
    row("lambda-CreateFunctionUrlConfig-authType-NONE-console.json", "CreateFunctionUrlConfig", Some("public-webhook"), None, REF, "eu-central-1", None, Some(SSO_ROLE)),
    row("lambda-PublishLayerVersion20181031-s3-content-terraform.json", "PublishLayerVersion20181031", None, None, REF, USE1, None, None),
    row("lambda-PutFunctionConcurrency20171031-reserved-zero.json", "PutFunctionConcurrency20171031", Some("orders-api"), None, REF, USE1, None, None),
    row("lambda-RemovePermission20150331v2-self-triggered-by-remediator-role.json", "RemovePermission20150331v2", Some("orders-api"), None, REF, USE1, None, Some("lambda-remediator-role")),
    row("lambda-TagResource20170331v2-resource-arn.json", "TagResource20170331v2", Some("orders-api"), None, REF, USE1, None, Some(SSO_ROLE)),
];

fn check_rows(dir: &Path, rows: &[Row]) {
    assert_table_covers(dir, rows.iter().map(|r| r.file));
    for r in rows {
        let event = load(&dir.join(r.file));
        let t = trigger::parse(&event).unwrap_or_else(|e| panic!("{}: {e}", r.file));
        let f = r.file;
        assert_eq!(t.event_name.as_str(), r.event_name, "{f}");
        assert_eq!(
            t.event_name.is_supported(),
            EventName::parse(r.event_name).is_supported()
        );
        assert_eq!(
            t.target.as_ref().map(|t| t.name.as_str()),
            r.function,
            "{f}: target"
        );
        assert_eq!(
            t.target
                .as_ref()
                .and_then(|t| t.qualifier.as_ref())
                .map(Qualifier::as_str),
            r.qualifier,
            "{f}: qualifier"
        );
        assert_eq!(t.account.as_str(), r.account, "{f}: account");
        assert_eq!(t.region, r.region, "{f}: region");
        assert_eq!(t.partition, "aws", "{f}: partition");
        assert_eq!(t.error_code.as_deref(), r.error_code, "{f}: errorCode");
        assert_eq!(t.actor.role_name.as_deref(), r.role, "{f}: role");
        assert_eq!(t.shape, EnvelopeShape::EventBridge, "{f}");
        // Fields copied verbatim from the record.
        let detail = &event["detail"];
        assert_eq!(Some(t.event_id.as_str()), detail["eventID"].as_str(), "{f}");
        assert_eq!(
            Some(t.event_source.as_str()),
            detail["eventSource"].as_str(),
            "{f}"
        );
        assert_eq!(t.event_time.as_deref(), detail["eventTime"].as_str(), "{f}");
        assert_eq!(
            t.actor.arn.as_deref(),
            detail["userIdentity"]["arn"].as_str(),
            "{f}"
        );
        // The resolved ARN names the event's account and region.
        if let Some(arn) = t.function_arn() {
            let expected = format!(
                "arn:aws:lambda:{}:{}:function:{}{}",
                r.region,
                r.account,
                r.function.unwrap_or_default(),
                r.qualifier.map(|q| format!(":{q}")).unwrap_or_default()
            );
            assert_eq!(arn.to_string(), expected, "{f}");
        }
    }
}

#[test]
fn every_sample_event_parses_to_the_expected_trigger() {
    check_rows(&events_dir(), EVENTS);
}

#[test]
fn every_reference_record_parses_to_the_expected_trigger() {
    check_rows(&fixtures_dir("reference"), REFERENCE);
}

#[test]
fn session_names_come_from_the_assumed_role_arn() {
    let t = trigger::parse(&load(
        &events_dir().join("remove-permission-by-lambda-warden.json"),
    ))
    .unwrap();
    assert_eq!(
        t.actor.session_name.as_deref(),
        Some("lambda-warden-events")
    );
    assert_eq!(t.actor.identity_type.as_deref(), Some("AssumedRole"));
    assert_eq!(t.actor.account.as_deref(), Some(DEMO));
    let t = trigger::parse(&load(
        &fixtures_dir("reference")
            .join("lambda-AddPermission20150331v2-functionUrlAuthType-NONE-console.json"),
    ))
    .unwrap();
    assert_eq!(
        t.actor.session_name.as_deref(),
        Some("jane.doe@example.com")
    );
    let t = trigger::parse(&load(
        &events_dir().join("add-permission-public-orders-api.json"),
    ))
    .unwrap();
    assert_eq!(t.actor.identity_type.as_deref(), Some("IAMUser"));
    assert_eq!(t.actor.session_name, None);
}

/// The same record delivered as a `detail` string and as a bare record.
fn other_shapes(event: &Value) -> [(Value, EnvelopeShape); 2] {
    let mut as_string = event.clone();
    as_string["detail"] = Value::String(event["detail"].to_string());
    [
        (as_string, EnvelopeShape::EventBridgeDetailString),
        (event["detail"].clone(), EnvelopeShape::CloudTrailRecord),
    ]
}

#[test]
fn every_shape_parses_to_the_same_trigger() {
    let mut checked = 0;
    for dir in [events_dir(), fixtures_dir("reference")] {
        for file in json_files(&dir) {
            let event = load(&dir.join(&file));
            let expected = trigger::parse(&event).unwrap_or_else(|e| panic!("{file}: {e}"));
            for (variant, shape) in other_shapes(&event) {
                let got =
                    trigger::parse(&variant).unwrap_or_else(|e| panic!("{file} {shape:?}: {e}"));
                assert_eq!(got.shape, shape, "{file}");
                assert_eq!(
                    Trigger {
                        shape: expected.shape,
                        ..got
                    },
                    expected,
                    "{file} {shape:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 2 * (EVENTS.len() + REFERENCE.len()));
}

#[test]
fn envelope_fields_fill_in_what_the_record_lacks() {
    let mut event = load(&events_dir().join("add-permission-public-orders-api.json"));
    let detail = event["detail"].as_object_mut().unwrap();
    for key in ["eventID", "eventTime", "recipientAccountId", "awsRegion"] {
        detail.remove(key);
    }
    detail["userIdentity"]
        .as_object_mut()
        .unwrap()
        .remove("accountId");
    let t = trigger::parse(&event).unwrap();
    assert_eq!(Some(t.event_id.as_str()), event["id"].as_str());
    assert_eq!(t.event_time.as_deref(), event["time"].as_str());
    assert_eq!(t.account.as_str(), DEMO);
    assert_eq!(t.region, USE1);

    // Without an envelope, the caller's account is the last resort.
    let mut record =
        load(&events_dir().join("add-permission-public-orders-api.json"))["detail"].clone();
    record.as_object_mut().unwrap().remove("recipientAccountId");
    let t = trigger::parse(&record).unwrap();
    assert_eq!(t.account.as_str(), DEMO);
    record["userIdentity"]
        .as_object_mut()
        .unwrap()
        .remove("accountId");
    let e = trigger::parse(&record).unwrap_err();
    assert_eq!(e.path(), Some("recipientAccountId"), "{e}");
}

/// One expected failure: the error's code and path.
#[rustfmt::skip]
const BAD: &[(&str, &str, Option<&str>)] = &[
    ("missing-detail.json", "missing_field", Some("detail")),
    ("detail-not-an-object.json", "not_an_object", Some("detail")),
    ("detail-string-truncated.json", "detail_not_json", Some("detail")),
    ("detail-string-not-json.json", "detail_not_json", Some("detail")),
    ("event-name-number.json", "wrong_type", Some("detail.eventName")),
    ("function-name-number.json", "wrong_type", Some("detail.requestParameters.functionName")),
    ("function-name-malformed.json", "bad_identifier", Some("detail.requestParameters.functionName")),
    ("account-id-short.json", "bad_identifier", Some("detail.recipientAccountId")),
    ("request-parameters-array.json", "not_an_object", Some("detail.requestParameters")),
    ("region-not-a-code.json", "invalid_value", Some("detail.awsRegion")),
    ("scheduled-event.json", "not_cloudtrail", Some("detail-type")),
    ("empty-object.json", "missing_field", Some("detail")),
    ("top-level-array.json", "not_an_object", Some("$")),
    ("add-permission-success-no-parameters.json", "no_function", None),
];

#[test]
fn every_bad_fixture_fails_with_the_expected_error() {
    let dir = fixtures_dir("bad");
    assert_table_covers(&dir, BAD.iter().map(|(f, _, _)| *f));
    for (file, code, path) in BAD {
        let err = trigger::parse(&load(&dir.join(file)))
            .err()
            .unwrap_or_else(|| panic!("{file} parsed"));
        assert_eq!(err.code(), *code, "{file}: {err}");
        assert_eq!(err.path(), *path, "{file}: {err}");
        assert!(err.is_permanent(), "{file}");
        let message = err.to_string();
        if let Some(path) = path {
            assert!(message.starts_with(path), "{file}: {message}");
        }
        assert!(!message.contains('\n'), "{file}: {message}");
    }
}

#[test]
fn errors_say_what_was_expected_and_found() {
    let dir = fixtures_dir("bad");
    match trigger::parse(&load(&dir.join("function-name-number.json"))).unwrap_err() {
        EventError::WrongType {
            expected, found, ..
        } => {
            assert_eq!(expected, "a string");
            assert_eq!(found.as_str(), "number");
        }
        other => panic!("{other:?}"),
    }
    match trigger::parse(&load(&dir.join("scheduled-event.json"))).unwrap_err() {
        EventError::NotCloudTrail { detail_type } => assert_eq!(detail_type, "Scheduled Event"),
        other => panic!("{other:?}"),
    }
    match trigger::parse(&load(
        &dir.join("add-permission-success-no-parameters.json"),
    ))
    .unwrap_err()
    {
        e @ EventError::NoFunction { .. } => {
            assert!(e.to_string().contains("AddPermission20150331v2"), "{e}");
            assert!(
                e.to_string().contains("requestParameters.functionName"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    match trigger::parse(&load(&dir.join("detail-not-an-object.json"))).unwrap_err() {
        EventError::NotAnObject { found, .. } => assert_eq!(found.to_string(), "array"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_oversized_detail_string_is_not_decoded() {
    let mut event = load(&events_dir().join("add-permission-public-orders-api.json"));
    let padding = " ".repeat(DETAIL_STRING_LIMIT);
    event["detail"] = Value::String(format!("{}{padding}", event["detail"]));
    match trigger::parse(&event).unwrap_err() {
        EventError::TooLarge { path, bytes, limit } => {
            assert_eq!(path, "detail");
            assert!(bytes > limit);
            assert_eq!(limit, DETAIL_STRING_LIMIT);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_detail_string_holding_a_non_object_is_rejected() {
    let event = json!({"detail-type": "AWS API Call via CloudTrail", "detail": "[1, 2]"});
    let e = trigger::parse(&event).unwrap_err();
    assert_eq!((e.code(), e.path()), ("not_an_object", Some("detail")));
}

#[test]
fn a_failed_call_with_a_malformed_name_is_not_an_error() {
    // A call rejected for its malformed name still reaches CloudTrail with that name.
    let mut event = load(&events_dir().join("add-permission-public-orders-api.json"));
    event["detail"]["errorCode"] = json!("ValidationException");
    event["detail"]["requestParameters"]["functionName"] = json!("not a name!");
    let t = trigger::parse(&event).unwrap();
    assert_eq!(t.target, None);
    assert_eq!(t.error_code.as_deref(), Some("ValidationException"));
}

#[test]
fn qualifiers_are_kept() {
    let base = load(&events_dir().join("add-permission-public-orders-api.json"));
    let qualifier_of = |patch: &dyn Fn(&mut Value)| {
        let mut e = base.clone();
        patch(&mut e);
        let t = trigger::parse(&e).unwrap_or_else(|err| panic!("{err}"));
        t.target
            .and_then(|t| t.qualifier)
            .map(|q| q.as_str().to_owned())
    };
    assert_eq!(
        qualifier_of(&|e| e["detail"]["requestParameters"]["qualifier"] = json!("live")),
        Some("live".into())
    );
    assert_eq!(
        qualifier_of(&|e| e["detail"]["requestParameters"]["functionName"] = json!("orders-api:7")),
        Some("7".into())
    );
    assert_eq!(
        qualifier_of(&|e| {
            e["detail"]["eventName"] = json!("PublishVersion20150331");
            e["detail"]["responseElements"] = json!({"version": "3", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:orders-api:3"});
        }),
        Some("3".into())
    );
    assert_eq!(
        qualifier_of(&|e| {
            e["detail"]["eventName"] = json!("UpdateAlias20150331");
            e["detail"]["requestParameters"] =
                json!({"functionName": "orders-api", "name": "canary", "functionVersion": "4"});
        }),
        Some("canary".into())
    );
    // A malformed qualifier of a successful call is an error naming its path.
    let mut e = base.clone();
    e["detail"]["requestParameters"]["qualifier"] = json!("not/valid");
    let err = trigger::parse(&e).unwrap_err();
    assert_eq!(
        err.path(),
        Some("detail.requestParameters.qualifier"),
        "{err}"
    );
}

#[test]
fn function_is_found_in_the_response_when_the_request_lacks_it() {
    let mut event = load(&events_dir().join("create-function-orders-api.json"));
    event["detail"]["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("functionName");
    let t = trigger::parse(&event).unwrap();
    let target = t.target.unwrap();
    assert_eq!(target.name.as_str(), "orders-api");
    assert_eq!(target.account.as_ref().map(|a| a.as_str()), Some(DEMO));
}

#[test]
fn partition_follows_the_region_or_the_arn() {
    let base = load(&events_dir().join("add-permission-public-orders-api.json"));
    for (region, partition) in [
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("eu-west-1", "aws"),
    ] {
        let mut e = base.clone();
        e["detail"]["awsRegion"] = json!(region);
        e["detail"]["userIdentity"]["arn"] = Value::Null;
        let t = trigger::parse(&e).unwrap();
        assert_eq!(t.partition, partition, "{region}");
        assert!(t
            .function_arn()
            .unwrap()
            .to_string()
            .starts_with(&format!("arn:{partition}:lambda:{region}:")));
    }
    // The caller's ARN names the partition before the Region does; the target never does.
    let mut e = base.clone();
    e["detail"]["awsRegion"] = json!("cn-northwest-1");
    e["detail"]["userIdentity"]["arn"] = json!("arn:aws-cn:iam::123456789012:user/example-dev");
    e["detail"]["requestParameters"]["functionName"] =
        json!("arn:aws-cn:lambda:cn-northwest-1:123456789012:function:orders-api");
    assert_eq!(trigger::parse(&e).unwrap().partition, "aws-cn");
    e["detail"]["userIdentity"]["arn"] = Value::Null;
    e["detail"]["awsRegion"] = json!("us-east-1");
    assert_eq!(trigger::parse(&e).unwrap().partition, "aws");
}

#[test]
fn tagging_another_kind_of_lambda_resource_has_no_target() {
    let mut event = load(&events_dir().join("tag-resource-opt-in-orders-api.json"));
    event["detail"]["requestParameters"]["resource"] =
        json!("arn:aws:lambda:us-east-1:123456789012:event-source-mapping:a1b2c3d4-5678-90ab-cdef-11111EXAMPLE");
    let t = trigger::parse(&event).unwrap();
    assert_eq!(t.target, None);
    assert_eq!(
        gate::decide(&t, &Config::default()),
        Gate::Skip(SkipReason::NoTarget)
    );
}

/// lambda-warden as the sample events' account 123456789012 knows it.
fn warden_config() -> Config {
    config_with(
        &["arn:aws:iam::123456789012:role/lambda-warden-events-role"],
        &["arn:aws:lambda:us-east-1:123456789012:function:lambda-warden-events"],
    )
}

/// A self identity of these role ARNs and function ARNs (the session names are the functions'
/// names).
fn config_with(role_arns: &[&str], function_arns: &[&str]) -> Config {
    let function_arns: BTreeSet<FunctionArn> = function_arns
        .iter()
        .map(|f| FunctionArn::parse(f).unwrap())
        .collect();
    Config {
        self_identity: SelfIdentity {
            role_arns: role_arns.iter().map(|s| s.to_string()).collect(),
            function_names: function_arns
                .iter()
                .map(|a| a.name.as_str().to_owned())
                .collect(),
            function_arns,
            member_role: None,
        },
        ..Config::default()
    }
}

/// The reference remediator's role and function (account 111122223333).
const REMEDIATOR_ROLE: &str = "arn:aws:iam::111122223333:role/lambda-remediator-role";
const REMEDIATOR: &str = "arn:aws:lambda:us-east-1:111122223333:function:lambda-remediator";

#[test]
fn gate_decisions() {
    let ev = |f: &str| events_dir().join(f);
    let rf = |f: &str| fixtures_dir("reference").join(f);
    let self_ref = "lambda-RemovePermission20150331v2-self-triggered-by-remediator-role.json";
    #[rustfmt::skip]
    let cases: Vec<(PathBuf, Config, Option<&str>)> = vec![
        (ev("add-permission-public-orders-api.json"), warden_config(), None),
        (ev("create-function-url-none-public-webhook.json"), warden_config(), None),
        (ev("tag-resource-opt-in-orders-api.json"), warden_config(), None),
        (ev("tag-resource-self-exempt-notifier.json"), warden_config(), None),
        (ev("tag-resource-forged-display-tags-orders-api.json"), warden_config(), Some("warden_tags_only")),
        (ev("create-alias-live-orders-api.json"), warden_config(), None),
        (ev("add-layer-version-permission-public-shared-deps.json"), warden_config(), None),
        (ev("put-function-event-invoke-config-orders-api.json"), warden_config(), None),
        (ev("remove-permission-by-lambda-warden.json"), warden_config(), Some("self_initiated")),
        // Not by its session name alone: anyone may choose any session name.
        (ev("remove-permission-by-lambda-warden.json"), config_with(&[], &["arn:aws:lambda:us-east-1:123456789012:function:lambda-warden-events"]), None),
        // Not by its role alone: any function given the role runs with it.
        (ev("remove-permission-by-lambda-warden.json"), config_with(&["arn:aws:iam::123456789012:role/lambda-warden-events-role"], &[]), None),
        (ev("remove-permission-by-lambda-warden.json"), Config::default(), None),
        (ev("add-permission-failed-access-denied.json"), warden_config(), Some("failed_call")),
        (ev("create-function-orders-api.json"), config_with(&[], &["arn:aws:lambda:us-east-1:123456789012:function:orders-api"]), Some("own_function")),
        // The same name in another account or Region is not lambda-warden's function.
        (ev("create-function-orders-api.json"), config_with(&[], &["arn:aws:lambda:us-east-1:444455556666:function:orders-api"]), None),
        (ev("create-function-orders-api.json"), config_with(&[], &["arn:aws:lambda:eu-west-1:123456789012:function:orders-api"]), None),
        (rf(self_ref), config_with(&[REMEDIATOR_ROLE], &[REMEDIATOR]), Some("self_initiated")),
        (rf(self_ref), config_with(&[REMEDIATOR_ROLE], &[]), None),
        (rf(self_ref), config_with(&[], &[REMEDIATOR]), None),
        (rf(self_ref), warden_config(), None),
        (rf("iam-AttachRolePolicy-execution-role-AdministratorAccess.json"), warden_config(), Some("unsupported_event")),
        (rf("lambda-AddLayerVersionPermission20181031-principal-star-no-org.json"), warden_config(), None),
        (rf("lambda-AddPermission20150331v2-errorCode-AccessDenied.json"), warden_config(), Some("failed_call")),
    ];
    for (path, config, expected) in cases {
        let t = trigger::parse(&load(&path)).unwrap();
        let gate = gate::decide(&t, &config);
        let name = path.file_name().unwrap().to_string_lossy();
        assert_eq!(
            gate.skip_reason().map(SkipReason::code),
            expected,
            "{name} with {:?}",
            config.self_identity
        );
    }
}

#[test]
fn layer_permission_events_name_the_layer_version() {
    for (path, arn) in [
        (
            events_dir().join("add-layer-version-permission-public-shared-deps.json"),
            "arn:aws:lambda:us-east-1:123456789012:layer:shared-deps:1",
        ),
        (
            fixtures_dir("reference")
                .join("lambda-AddLayerVersionPermission20181031-principal-star-no-org.json"),
            "arn:aws:lambda:us-east-1:111122223333:layer:example-extension-layer:1",
        ),
    ] {
        let t = trigger::parse(&load(&path)).unwrap();
        assert_eq!(t.target, None, "{path:?}");
        assert_eq!(t.layer.map(|l| l.to_string()).as_deref(), Some(arn));
    }
}

#[test]
fn the_self_triggered_reference_event_names_the_remediator() {
    let t = trigger::parse(&load(&fixtures_dir("reference").join(
        "lambda-RemovePermission20150331v2-self-triggered-by-remediator-role.json",
    )))
    .unwrap();
    assert_eq!(
        gate::decide(&t, &config_with(&[REMEDIATOR_ROLE], &[REMEDIATOR])),
        Gate::Skip(SkipReason::SelfInitiated {
            role_arn: Some(REMEDIATOR_ROLE.into()),
            session_name: Some("lambda-remediator".into()),
        })
    );
}

/// The reference record with the caller's session renamed: `sessionIssuer` unchanged, the
/// session ARN and principal id naming `session`.
fn with_session(event: &Value, session: &str) -> Value {
    let mut e = event.clone();
    let ui = &mut e["detail"]["userIdentity"];
    let arn = ui["arn"].as_str().unwrap();
    let (role_part, _) = arn.rsplit_once('/').unwrap();
    ui["arn"] = json!(format!("{role_part}/{session}"));
    let principal = ui["principalId"].as_str().unwrap();
    let (id, _) = principal.split_once(':').unwrap();
    ui["principalId"] = json!(format!("{id}:{session}"));
    e
}

#[test]
fn another_function_with_lambda_warden_s_role_is_evaluated() {
    // Attack 7: `assumed-role/lambda-warden-events-role/attacker-fn` was skipped because only
    // the role name was compared.
    let own = load(&events_dir().join("remove-permission-by-lambda-warden.json"));
    let attacker = with_session(&own, "attacker-fn");
    let t = trigger::parse(&attacker).unwrap();
    assert_eq!(
        t.actor.arn.as_deref(),
        Some("arn:aws:sts::123456789012:assumed-role/lambda-warden-events-role/attacker-fn")
    );
    assert_eq!(gate::decide(&t, &warden_config()), Gate::Go);
    // Without the session issuer, the role is read from the session ARN: still evaluated.
    let mut bare = attacker.clone();
    bare["detail"]["userIdentity"]
        .as_object_mut()
        .unwrap()
        .remove("sessionContext");
    let t = trigger::parse(&bare).unwrap();
    assert_eq!(
        t.actor.role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/lambda-warden-events-role")
    );
    assert_eq!(gate::decide(&t, &warden_config()), Gate::Go);
    // lambda-warden's own session, with and without the issuer: skipped.
    let mut own_bare = own.clone();
    own_bare["detail"]["userIdentity"]
        .as_object_mut()
        .unwrap()
        .remove("sessionContext");
    for e in [own, own_bare] {
        let t = trigger::parse(&e).unwrap();
        assert_eq!(
            gate::decide(&t, &warden_config())
                .skip_reason()
                .map(SkipReason::code),
            Some("self_initiated")
        );
    }
}

#[test]
fn lambda_warden_s_function_name_in_another_account_is_evaluated() {
    // Attack 6: an event for `444455556666:function:lambda-warden-events` in a 111122223333
    // event was answered own_function.
    let mut e = load(
        &fixtures_dir("reference")
            .join("lambda-AddPermission20150331v2-principal-star-public.json"),
    );
    let own = config_with(
        &[],
        &["arn:aws:lambda:us-east-1:111122223333:function:lambda-warden-events"],
    );
    e["detail"]["requestParameters"]["functionName"] =
        json!("444455556666:function:lambda-warden-events");
    let t = trigger::parse(&e).unwrap();
    assert_eq!(t.account.as_str(), REF);
    assert_eq!(
        gate::decide(&t, &own).skip_reason().map(SkipReason::code),
        Some("foreign_target")
    );
    // Recorded in 444455556666 itself (a member account's function of that name): evaluated.
    let mut member = e.clone();
    member["account"] = json!("444455556666");
    member["detail"]["recipientAccountId"] = json!("444455556666");
    let t = trigger::parse(&member).unwrap();
    assert_eq!(gate::decide(&t, &own), Gate::Go);
    // lambda-warden's own function, by bare name in its own account and Region: skipped.
    e["detail"]["requestParameters"]["functionName"] = json!("lambda-warden-events");
    let t = trigger::parse(&e).unwrap();
    assert_eq!(
        gate::decide(&t, &own).skip_reason().map(SkipReason::code),
        Some("own_function")
    );
}

#[test]
fn a_target_in_another_partition_is_foreign() {
    // Attack 12a: an `arn:aws-cn:` target in an `aws` account's event was evaluated.
    let mut e = load(
        &fixtures_dir("reference")
            .join("lambda-AddPermission20150331v2-principal-star-public.json"),
    );
    e["detail"]["requestParameters"]["functionName"] =
        json!("arn:aws-cn:lambda:us-east-1:111122223333:function:orders-api");
    let t = trigger::parse(&e).unwrap();
    assert_eq!(t.partition, "aws");
    match gate::decide(&t, &Config::default()) {
        Gate::Skip(r @ SkipReason::ForeignTarget { .. }) => {
            assert_eq!(r.code(), "foreign_target");
            assert!(r.to_string().contains("arn:aws-cn:lambda:"), "{r}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tag_changes_of_display_tags_only_are_skipped() {
    // Attack 4: another deployment's status write re-triggered this one forever.
    let base =
        load(&fixtures_dir("reference").join("lambda-TagResource20170331v2-resource-arn.json"));
    let t = trigger::parse(&base).unwrap();
    assert_eq!(
        t.tag_change().unwrap().set.keys().collect::<Vec<_>>(),
        ["compliance-exempt", "owner"]
    );
    assert_eq!(gate::decide(&t, &Config::default()), Gate::Go);

    let tagged = |tags: Value| {
        let mut e = base.clone();
        e["detail"]["requestParameters"]["tags"] = tags;
        trigger::parse(&e).unwrap()
    };
    let display = tagged(json!({
        "lambda-warden:status": "non-compliant",
        "lambda-warden:findings@live": "LW001",
    }));
    assert_eq!(
        gate::decide(&display, &Config::default()),
        Gate::Skip(SkipReason::WardenTagsOnly {
            keys: vec![
                "lambda-warden:findings@live".into(),
                "lambda-warden:status".into()
            ]
        })
    );
    let with_exempt = tagged(json!({
        "lambda-warden:status": "compliant",
        "lambda-warden:findings@live": "none",
        "lambda-warden:exempt": "",
    }));
    assert_eq!(gate::decide(&with_exempt, &Config::default()), Gate::Go);

    // UntagResource (the API's tagKeys list): the record built from the TagResource one.
    let untagged = |keys: Value| {
        let mut e = base.clone();
        e["detail"]["eventName"] = json!("UntagResource20170331v2");
        let request = e["detail"]["requestParameters"].as_object_mut().unwrap();
        request.remove("tags");
        request.insert("tagKeys".into(), keys);
        trigger::parse(&e).unwrap()
    };
    assert_eq!(
        gate::decide(
            &untagged(json!(["lambda-warden:fingerprint"])),
            &Config::default()
        )
        .skip_reason()
        .map(SkipReason::code),
        Some("warden_tags_only")
    );
    for keys in [
        json!(["lambda-warden:fingerprint", "lambda-warden:exempt"]),
        json!(["lambda-warden:auto-fix"]),
        json!([]),
    ] {
        assert_eq!(
            gate::decide(&untagged(keys.clone()), &Config::default()),
            Gate::Go,
            "{keys}"
        );
    }
}

// ---- property tests ----

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "detail",
            "detail-type",
            "id",
            "account",
            "region",
            "time",
            "eventName",
            "eventSource",
            "eventID",
            "eventTime",
            "awsRegion",
            "recipientAccountId",
            "errorCode",
            "userIdentity",
            "type",
            "arn",
            "accountId",
            "principalId",
            "sessionContext",
            "sessionIssuer",
            "userName",
            "requestParameters",
            "responseElements",
            "functionName",
            "resource",
            "functionArn",
            "qualifier",
            "name",
            "version",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z-]{0,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        prop::sample::select(vec![
            "AWS API Call via CloudTrail",
            "AddPermission20150331v2",
            "CreateAlias20150331",
            "PublishVersion20150331",
            "TagResource20170331v2",
            "lambda.amazonaws.com",
            "123456789012",
            "us-east-1",
            "orders-api",
            "orders-api:live",
            "Role",
            "arn:aws:lambda:us-east-1:123456789012:function:orders-api",
            "arn:aws:sts::123456789012:assumed-role/r/s",
            "{\"eventName\": 1}",
        ])
        .prop_map(Value::from),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Paths in a real event where an arbitrary value is substituted.
const SLOTS: &[&[&str]] = &[
    &["detail"],
    &["detail-type"],
    &["id"],
    &["detail", "eventName"],
    &["detail", "eventID"],
    &["detail", "eventTime"],
    &["detail", "errorCode"],
    &["detail", "awsRegion"],
    &["detail", "recipientAccountId"],
    &["detail", "userIdentity"],
    &["detail", "userIdentity", "arn"],
    &["detail", "userIdentity", "sessionContext"],
    &["detail", "requestParameters"],
    &["detail", "requestParameters", "functionName"],
    &["detail", "requestParameters", "qualifier"],
    &["detail", "responseElements"],
];

fn set(event: &mut Value, path: &[&str], value: Value) {
    let mut node = event;
    for seg in &path[..path.len() - 1] {
        node = &mut node[*seg];
    }
    node[path[path.len() - 1]] = value;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        let _ = trigger::parse(&value);
        // The same value wrapped as a detail, as a detail string, and with an envelope.
        let _ = trigger::parse(&json!({"detail-type": "AWS API Call via CloudTrail", "detail": value.clone()}));
        let _ = trigger::parse(&json!({"detail": value.to_string()}));
    }

    #[test]
    fn arbitrary_values_in_a_real_event_never_panic(
        slot in prop::sample::select(SLOTS.to_vec()),
        value in arb_json(),
    ) {
        let mut event = load(&events_dir().join("add-permission-public-orders-api.json"));
        set(&mut event, slot, value);
        if let Ok(t) = trigger::parse(&event) {
            let config = warden_config();
            let _ = gate::decide(&t, &config);
            let _ = t.function_arn();
        }
    }

    #[test]
    fn arbitrary_function_names_are_accepted_exactly_when_valid(name in ".{0,80}|[a-z0-9:-]{1,80}") {
        let mut event = load(&events_dir().join("add-permission-public-orders-api.json"));
        event["detail"]["requestParameters"]["functionName"] = Value::String(name.clone());
        match (trigger::parse(&event), FunctionRef::parse(&name)) {
            (Ok(t), Ok(expected)) => prop_assert_eq!(t.target, Some(expected)),
            (Err(EventError::BadIdentifier { path, .. }), Err(_)) => {
                prop_assert_eq!(path, "detail.requestParameters.functionName")
            }
            (got, reference) => prop_assert!(false, "{name:?}: {got:?} vs {reference:?}"),
        }
    }

    #[test]
    fn arbitrary_event_names_parse_verbatim(name in ".{0,60}") {
        let mut event = load(&events_dir().join("add-permission-public-orders-api.json"));
        event["detail"]["eventName"] = Value::String(name.clone());
        let t = trigger::parse(&event).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(t.event_name.as_str(), name.as_str());
    }
}

//! IAM event intake: every `aws.iam` sample event in `events/` and every IAM reference record
//! parses to the expected [`IamTrigger`] in each delivery shape; the gate decides as expected;
//! bad input fails with an error naming its path; and no input makes the parser panic.

use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{json, Value};
use warden_rules::config::{Config, SelfIdentity};
use warden_rules::event_name::IamEventName;
use warden_rules::gate::{Gate, SkipReason};
use warden_rules::iam_trigger::{self, IamChange, IamTrigger, PolicyArn, RoleName};
use warden_rules::ids::FunctionArn;
use warden_rules::trigger::EnvelopeShape;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn events_dir() -> PathBuf {
    crate_dir().join("../../events")
}

fn reference_dir() -> PathBuf {
    crate_dir().join("tests/fixtures/events/reference")
}

fn load(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.json` file of `dir` whose envelope `source` is `aws.iam`.
fn iam_files(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .filter(|name| load(&dir.join(name))["source"] == "aws.iam")
        .collect();
    files.sort();
    files
}

/// What an IAM event changed: a role (by name) or a managed policy (by ARN).
#[derive(Clone, Copy)]
enum Changed {
    Role(&'static str),
    Policy(&'static str),
    Nothing,
}

struct Row {
    file: &'static str,
    event_name: IamEventName,
    change: Changed,
    account: &'static str,
    error_code: Option<&'static str>,
    /// The caller's role name (`None` for an IAM user).
    role: Option<&'static str>,
}

const DEMO: &str = "123456789012";
const REF: &str = "111122223333";
const DEMO_ROLE: &str = "demo-function-role";
const DEMO_POLICY: &str = "arn:aws:iam::123456789012:policy/demo-function-access";
const SSO_ROLE: &str = "AWSReservedSSO_DeveloperAccess_0123456789abcdef";

fn rows() -> Vec<Row> {
    use Changed::*;
    use IamEventName::*;
    let row = |file, event_name, change, account, error_code, role| Row {
        file,
        event_name,
        change,
        account,
        error_code,
        role,
    };
    vec![
        row(
            "iam-attach-role-policy-admin-demo-function-role.json",
            AttachRolePolicy,
            Role(DEMO_ROLE),
            DEMO,
            None,
            None,
        ),
        row(
            "iam-detach-role-policy-demo-function-role.json",
            DetachRolePolicy,
            Role(DEMO_ROLE),
            DEMO,
            None,
            Some(SSO_ROLE),
        ),
        row(
            "iam-put-role-policy-wildcard-demo-function-role.json",
            PutRolePolicy,
            Role(DEMO_ROLE),
            DEMO,
            None,
            Some(SSO_ROLE),
        ),
        row(
            "iam-delete-role-policy-demo-function-role.json",
            DeleteRolePolicy,
            Role(DEMO_ROLE),
            DEMO,
            None,
            Some(SSO_ROLE),
        ),
        row(
            "iam-update-assume-role-policy-demo-function-role.json",
            UpdateAssumeRolePolicy,
            Role(DEMO_ROLE),
            DEMO,
            None,
            Some("ci-deploy-role"),
        ),
        row(
            "iam-create-policy-version-demo-function-access.json",
            CreatePolicyVersion,
            Policy(DEMO_POLICY),
            DEMO,
            None,
            Some("ci-deploy-role"),
        ),
        row(
            "iam-set-default-policy-version-demo-function-access.json",
            SetDefaultPolicyVersion,
            Policy(DEMO_POLICY),
            DEMO,
            None,
            Some(SSO_ROLE),
        ),
        row(
            "iam-attach-role-policy-failed-access-denied.json",
            AttachRolePolicy,
            Nothing,
            DEMO,
            Some("AccessDenied"),
            Some(SSO_ROLE),
        ),
        row(
            "iam-AttachRolePolicy-execution-role-AdministratorAccess.json",
            AttachRolePolicy,
            Role("orders-api-role"),
            REF,
            None,
            None,
        ),
    ]
}

fn expected_change(c: Changed) -> Option<IamChange> {
    match c {
        Changed::Role(name) => Some(IamChange::Role {
            role_name: RoleName::parse(name).unwrap(),
        }),
        Changed::Policy(arn) => Some(IamChange::ManagedPolicy {
            policy_arn: PolicyArn::parse(arn).unwrap(),
        }),
        Changed::Nothing => None,
    }
}

/// The file's directory: the reference records keep AWS's event names in their file names.
fn path_of(file: &str) -> PathBuf {
    if file.starts_with("iam-AttachRolePolicy-") {
        reference_dir().join(file)
    } else {
        events_dir().join(file)
    }
}

/// The same record delivered as a `detail` string and as a bare record.
fn shapes(event: &Value) -> [(Value, EnvelopeShape); 3] {
    let mut as_string = event.clone();
    as_string["detail"] = Value::String(event["detail"].to_string());
    [
        (event.clone(), EnvelopeShape::EventBridge),
        (as_string, EnvelopeShape::EventBridgeDetailString),
        (event["detail"].clone(), EnvelopeShape::CloudTrailRecord),
    ]
}

#[test]
fn every_iam_event_has_a_row() {
    let listed: Vec<&str> = rows().iter().map(|r| r.file).collect();
    for dir in [events_dir(), reference_dir()] {
        for file in iam_files(&dir) {
            assert!(
                listed.contains(&file.as_str()),
                "{file} has no expected row"
            );
        }
    }
    assert!(iam_files(&events_dir()).len() >= 8);
}

#[test]
fn every_iam_event_parses_to_the_expected_trigger_in_every_shape() {
    for r in rows() {
        let f = r.file;
        let event = load(&path_of(f));
        let detail = &event["detail"];
        for (variant, shape) in shapes(&event) {
            let t = iam_trigger::parse(&variant).unwrap_or_else(|e| panic!("{f} {shape:?}: {e}"));
            assert_eq!(t.event_name, r.event_name, "{f}");
            assert_eq!(t.change, expected_change(r.change), "{f} {shape:?}");
            assert_eq!(t.account.as_str(), r.account, "{f}");
            assert_eq!(t.region, "us-east-1", "{f}");
            assert_eq!(t.partition, "aws", "{f}");
            assert_eq!(t.error_code.as_deref(), r.error_code, "{f}");
            assert_eq!(t.actor.role_name.as_deref(), r.role, "{f}");
            assert_eq!(t.shape, shape, "{f}");
            assert_eq!(Some(t.event_id.as_str()), detail["eventID"].as_str(), "{f}");
            assert_eq!(t.event_source, "iam.amazonaws.com", "{f}");
            assert_eq!(t.event_time.as_deref(), detail["eventTime"].as_str(), "{f}");
            assert_eq!(
                t.actor.arn.as_deref(),
                detail["userIdentity"]["arn"].as_str()
            );
        }
    }
}

fn identity(roles: &[&str], functions: &[&str]) -> Config {
    let function_arns: std::collections::BTreeSet<FunctionArn> = functions
        .iter()
        .map(|f| FunctionArn::parse(f).unwrap())
        .collect();
    Config {
        self_identity: SelfIdentity {
            role_arns: roles.iter().map(|r| (*r).to_owned()).collect(),
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

fn warden() -> Config {
    identity(
        &["arn:aws:iam::123456789012:role/lambda-warden-iam-events-role"],
        &["arn:aws:lambda:us-east-1:123456789012:function:lambda-warden-iam-events"],
    )
}

#[test]
fn gate_decisions() {
    let go: Option<&str> = None;
    for r in rows() {
        let t = iam_trigger::parse(&load(&path_of(r.file))).unwrap();
        let expected = if r.error_code.is_some() {
            Some("failed_call")
        } else {
            go
        };
        assert_eq!(
            iam_trigger::decide(&t, &warden())
                .skip_reason()
                .map(SkipReason::code),
            expected,
            "{}",
            r.file
        );
    }

    // A call by one of lambda-warden's roles under one of its function names: skipped, by the
    // same rule as Lambda events (the sample's caller stands in for lambda-warden here: its
    // issuer ARN carries a path, and its session name plays the function name).
    let t = iam_trigger::parse(&load(
        &events_dir().join("iam-put-role-policy-wildcard-demo-function-role.json"),
    ))
    .unwrap();
    let sso_role_arn =
        format!("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/{SSO_ROLE}");
    assert_eq!(t.actor.role_arn.as_deref(), Some(sso_role_arn.as_str()));
    let mut both = identity(&[&sso_role_arn], &[]);
    both.self_identity
        .function_names
        .insert("jane.doe@example.com".to_owned());
    assert_eq!(
        iam_trigger::decide(&t, &both),
        Gate::Skip(SkipReason::SelfInitiated {
            role_arn: Some(sso_role_arn.clone()),
            session_name: Some("jane.doe@example.com".into()),
        })
    );
    // The role alone is not lambda-warden: any function given the role runs with it.
    assert_eq!(
        iam_trigger::decide(&t, &identity(&[&sso_role_arn], &[])),
        Gate::Go
    );
    // A session name alone is not lambda-warden: anyone may choose any session name.
    let mut by_session = identity(&[], &[]);
    by_session
        .self_identity
        .function_names
        .insert("jane.doe@example.com".to_owned());
    assert_eq!(iam_trigger::decide(&t, &by_session), Gate::Go);
    // The same role name in another account is somebody else's.
    let mut elsewhere = identity(
        &[&format!(
            "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/{SSO_ROLE}"
        )],
        &[],
    );
    elsewhere
        .self_identity
        .function_names
        .insert("jane.doe@example.com".to_owned());
    assert_eq!(iam_trigger::decide(&t, &elsewhere), Gate::Go);

    // Lambda events and other IAM events are not this function's.
    for (file, name) in [
        (
            "add-permission-public-orders-api.json",
            "AddPermission20150331v2",
        ),
        ("create-function-orders-api.json", "CreateFunction20150331"),
    ] {
        let t = iam_trigger::parse(&load(&events_dir().join(file))).unwrap();
        assert_eq!(t.change, None, "{file}");
        assert_eq!(
            iam_trigger::decide(&t, &warden()),
            Gate::Skip(SkipReason::UnsupportedEvent {
                event_name: name.into()
            })
        );
    }
    let mut other = load(&events_dir().join("iam-detach-role-policy-demo-function-role.json"));
    other["detail"]["eventName"] = json!("AttachUserPolicy");
    let t = iam_trigger::parse(&other).unwrap();
    assert_eq!(
        iam_trigger::decide(&t, &warden())
            .skip_reason()
            .map(SkipReason::code),
        Some("unsupported_event")
    );
}

/// A change to a sample event.
type Patch = Box<dyn Fn(&mut Value)>;

#[test]
fn bad_inputs_name_the_path_and_what_was_expected() {
    let base = load(&events_dir().join("iam-attach-role-policy-admin-demo-function-role.json"));
    let with = |patch: &dyn Fn(&mut Value)| {
        let mut e = base.clone();
        patch(&mut e);
        iam_trigger::parse(&e).unwrap_err()
    };
    #[rustfmt::skip]
    let cases: Vec<(Patch, &str, Option<&str>)> = vec![
        (Box::new(|e| e["detail"]["requestParameters"] = Value::Null), "missing_field", Some("detail.requestParameters.roleName")),
        (Box::new(|e| e["detail"]["requestParameters"]["roleName"] = json!(["demo"])), "wrong_type", Some("detail.requestParameters.roleName")),
        (Box::new(|e| e["detail"]["requestParameters"]["roleName"] = json!("arn:aws:iam::123456789012:role/demo")), "invalid_value", Some("detail.requestParameters.roleName")),
        (Box::new(|e| e["detail"]["requestParameters"] = json!("roleName=demo")), "not_an_object", Some("detail.requestParameters")),
        (Box::new(|e| { e["detail"]["eventName"] = json!("CreatePolicyVersion"); e["detail"]["requestParameters"] = json!({"roleName": "demo"}); }), "missing_field", Some("detail.requestParameters.policyArn")),
        (Box::new(|e| { e["detail"]["eventName"] = json!("SetDefaultPolicyVersion"); e["detail"]["requestParameters"]["policyArn"] = json!("AdministratorAccess"); }), "invalid_value", Some("detail.requestParameters.policyArn")),
        (Box::new(|e| e["detail"]["eventName"] = json!(42)), "wrong_type", Some("detail.eventName")),
        (Box::new(|e| { e["detail"]["recipientAccountId"] = json!("1234"); }), "bad_identifier", Some("detail.recipientAccountId")),
        (Box::new(|e| e["detail-type"] = json!("Scheduled Event")), "not_cloudtrail", Some("detail-type")),
        (Box::new(|e| e["detail"] = json!("{not json")), "detail_not_json", Some("detail")),
        (Box::new(|e| *e = json!([1])), "not_an_object", Some("$")),
    ];
    for (i, (patch, code, path)) in cases.iter().enumerate() {
        let err = with(patch.as_ref());
        assert_eq!((err.code(), err.path()), (*code, *path), "case {i}: {err}");
        assert!(err.is_permanent());
        let message = err.to_string();
        assert!(!message.contains('\n'), "{message}");
        if let Some(path) = path {
            assert!(message.starts_with(path), "case {i}: {message}");
        }
    }
}

#[test]
fn the_event_region_is_kept_and_the_partition_follows_the_policy_arn() {
    let mut e = load(&events_dir().join("iam-create-policy-version-demo-function-access.json"));
    e["detail"]["requestParameters"]["policyArn"] =
        json!("arn:aws-cn:iam::123456789012:policy/demo-function-access");
    e["detail"]["awsRegion"] = json!("cn-north-1");
    let t: IamTrigger = iam_trigger::parse(&e).unwrap();
    assert_eq!(
        (t.region.as_str(), t.partition.as_str()),
        ("cn-north-1", "aws-cn")
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "AttachRolePolicy",
            "CreatePolicyVersion",
            "iam.amazonaws.com",
            "demo-function-role",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "123456789012",
            "us-east-1",
            "AWS API Call via CloudTrail",
            "",
        ])
        .prop_map(|s| json!(s)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "detail",
                    "detail-type",
                    "eventName",
                    "eventSource",
                    "eventID",
                    "awsRegion",
                    "recipientAccountId",
                    "errorCode",
                    "userIdentity",
                    "requestParameters",
                    "roleName",
                    "policyArn",
                ])
                .prop_map(str::to_owned),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn no_input_makes_the_iam_parser_panic(v in json_value()) {
        let _ = iam_trigger::parse(&v);
    }

    #[test]
    fn the_sample_with_one_field_replaced_never_panics(v in json_value(), field in prop::sample::select(vec![
        "eventName", "requestParameters", "userIdentity", "errorCode", "awsRegion",
    ])) {
        let mut e = load(&events_dir().join("iam-attach-role-policy-admin-demo-function-role.json"));
        e["detail"][field] = v;
        if let Ok(t) = iam_trigger::parse(&e) {
            let _ = iam_trigger::decide(&t, &Config::default());
        }
    }
}
